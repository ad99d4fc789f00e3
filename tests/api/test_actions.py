"""Balance report, scans, task status, flag acknowledgement, nested writes."""

import csv
import io
import uuid
from decimal import Decimal

import openpyxl
from django.utils import timezone

from programs.models import Decision, DecisionBody, Flag, Organisation, OwnershipStake, Seat


def test_balance_report_has_every_metric_per_nation_and_open_flags(world, viewer_api):
    response = viewer_api.get("/api/v1/programmes/GCAP/balance/")
    assert response.status_code == 200
    report = response.json()
    assert {row["code"] for row in report["nations"]} == {"GBR", "JPN", "ITA"}
    for metric in (
        "contribution_share",
        "workshare_share",
        "return_coefficient",
        "leadership_share",
        "vote_share",
        "outvoted_rate",
        "tt_received_weight",
    ):
        assert metric in report["nations"][0]
    assert {(row["a"], row["b"]) for row in report["pairs"]} == {
        ("GBR", "ITA"),
        ("GBR", "JPN"),
        ("ITA", "JPN"),
    }
    assert [flag["id"] for flag in report["open_flags"]] == [world.records["flag"].pk]
    assert report["last_scan_at"] is not None


def test_balance_report_as_csv_and_xlsx(world, viewer_api):
    csv_response = viewer_api.get("/api/v1/programmes/GCAP/balance/", {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert {row["code"] for row in rows} == {"GBR", "JPN", "ITA"}
    pairs = viewer_api.get(
        "/api/v1/programmes/GCAP/balance/", {"format": "csv", "section": "pairs"}
    )
    assert len(list(csv.DictReader(io.StringIO(pairs.content.decode("utf-8-sig"))))) == 3
    xlsx = viewer_api.get("/api/v1/programmes/GCAP/balance/", {"format": "xlsx"})
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    assert workbook.sheetnames == ["nations", "pairs", "bloc_ties", "open_flags"]


def test_scan_is_queued_for_analysts_and_its_status_readable(world, api, viewer_api):
    assert viewer_api.post("/api/v1/programmes/GCAP/scan/", {}, format="json").status_code == 403
    response = api.post(
        "/api/v1/programmes/GCAP/scan/",
        {"as_of": timezone.localdate().isoformat()},
        format="json",
    )
    assert response.status_code == 202
    task_id = response.json()["task_id"]
    assert response.json()["status_url"].endswith(f"/api/v1/tasks/{task_id}/")
    status = viewer_api.get(f"/api/v1/tasks/{task_id}/")
    assert status.status_code == 200
    assert status.json()["id"] == task_id
    assert status.json()["status"] in ("PENDING", "STARTED", "SUCCESS")
    assert api.get(f"/api/v1/tasks/{uuid.uuid4()}/").json()["status"] == "PENDING"


def test_acknowledging_a_flag_needs_a_note_and_an_unresolved_flag(world, api, viewer_api):
    flag = world.records["flag"]
    url = f"/api/v1/flags/{flag.pk}/acknowledge/"
    assert viewer_api.post(url, {"note": "seen"}, format="json").status_code == 403
    assert "note" in api.post(url, {}, format="json").json()
    done = api.post(url, {"note": "Known: Japan's share rises in 2027."}, format="json")
    assert done.status_code == 200
    assert done.json()["status"] == "acknowledged"
    assert done.json()["acknowledged_by"] == "ana"
    Flag.objects.filter(pk=flag.pk).update(status="resolved", resolved_at=flag.last_seen_at)
    refused = api.post(url, {"note": "again"}, format="json")
    assert refused.status_code == 400
    assert "status" in refused.json()


def test_seats_are_replaced_as_a_set_and_the_chair_can_move(world, api):
    body = world.records["decision-body"]
    url = f"/api/v1/decision-bodies/{body.pk}/"
    seats = [{"nation": "JPN", "chair": True}, {"nation": "GBR", "chair": False}]
    response = api.patch(url, {"seats": seats}, format="json")
    assert response.status_code == 200, response.json()
    assert {(s.nation.code, s.chair) for s in Seat.objects.filter(body=body)} == {
        ("JPN", True),
        ("GBR", False),
    }


def test_stakes_can_be_rebalanced_and_must_sum_to_100(world, api):
    venture = world.orgs["EDG"]
    url = f"/api/v1/organisations/{venture.pk}/"
    stakes = [
        {"owner": "BAE Systems", "percent": "50.00"},
        {"owner": "Mitsubishi Heavy Industries", "percent": "25.00"},
        {"owner": "Leonardo", "percent": "25.00"},
    ]
    assert api.patch(url, {"stakes": stakes}, format="json").status_code == 200
    short = [{"owner": "BAE Systems", "percent": "50.00"}]
    response = api.patch(url, {"stakes": short}, format="json")
    assert response.status_code == 400
    assert "stakes" in response.json()
    assert OwnershipStake.objects.filter(venture=venture).count() == 3
    assert sum(s.percent for s in venture.stakes.all()) == Decimal("100")


def test_an_invalid_vote_rolls_back_the_whole_decision(world, api):
    before = (Decision.objects.count(), DecisionBody.objects.count())
    payload = {
        "programme": "GCAP",
        "body": "GIGO board",
        "title": "New",
        "decided_on": "2025-01-01",
        "outcome": "approved",
        "votes": [{"nation": "GBR", "position": "for"}, {"nation": "FRA", "position": "for"}],
    }
    response = api.post("/api/v1/decisions/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["votes"][0] == {}
    assert "nation" in response.json()["votes"][1]
    assert (Decision.objects.count(), DecisionBody.objects.count()) == before


def test_deleting_a_referenced_record_is_409_not_500(world, api):
    response = api.delete("/api/v1/nations/GBR/")
    assert response.status_code == 409
    assert Organisation.objects.filter(nation__code="GBR").exists()


def test_references_use_natural_keys(world, api):
    row = api.get(f"/api/v1/workshare/{world.records['workshare'].pk}/").json()
    assert (row["programme"], row["work_package"], row["organisation"]) == (
        "GCAP",
        "AIR",
        "Edgewing",
    )
    missing = api.post(
        "/api/v1/workshare/",
        {
            "programme": "GCAP",
            "work_package": "NOPE",
            "organisation": "Edgewing",
            "amount": "1",
            "period_start": "2025-01-01",
        },
        format="json",
    )
    assert missing.status_code == 400
    assert "work_package" in missing.json()
