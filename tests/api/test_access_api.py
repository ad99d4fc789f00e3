"""Access by nation on the API (issue #7): a user restricted to a nation sees, counts, exports,
filters by and refers to only what is releasable to it; the rest answers like a record that
does not exist. An unrestricted analyst, on the same data, still sees everything."""

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from programs import models
from programs.api.tokens import issue_token
from tests import factories
from tests.api.conftest import token_client
from tests.factories import UserFactory


@pytest.fixture
def fcas(world):
    """A programme Britain does not take part in (unmarked: released to France only), with a
    contribution, a work package, a body and a flag; GCAP names it as a predecessor."""
    fra = world.nations["FRA"]
    fcas = factories.ProgrammeFactory(code="FCAS", name="Future Combat Air System")
    factories.ParticipationFactory(programme=fcas, nation=fra, agreed_share=Decimal("50"))
    dassault = factories.OrganisationFactory(name="Dassault Aviation", nation=fra)
    dassault.releasable_to.set([fra])
    factories.ContributionFactory(programme=fcas, nation=fra, amount=Decimal("9999999.99"))
    factories.WorkPackageFactory(programme=fcas, code="NGF", lead_organisation=dassault)
    factories.DecisionBodyFactory(programme=fcas, name="FCAS steering board")
    now = timezone.now()
    flag = models.Flag.objects.create(
        rule="workshare_return",
        programme=fcas,
        nation=fra,
        severity=models.Flag.Severity.WARNING,
        metric="return_coefficient",
        value=Decimal("0.7"),
        threshold=Decimal("0.95"),
        explanation="France gets 70 % of a fair return.",
        evidence={"return_coefficient": "0.7"},
        fingerprint="workshare_return|FCAS|FRA|",
        first_seen_at=now,
        last_seen_at=now,
    )
    world.programme.predecessors.set([fcas])
    world.records["fcas-flag"] = flag
    world.orgs["DAS"] = dassault
    return fcas


def cleared_client(nation, username: str = "gb-analyst"):
    user = UserFactory(username=username, groups=["analyst"])
    factories.ClearanceFactory(user=user, nation=nation)
    _, key = issue_token(user, "tests")
    return token_client(key)


@pytest.fixture
def gbr_api(world):
    """An analyst restricted to the United Kingdom."""
    return cleared_client(world.nations["GBR"])


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_lists_leave_out_hidden_rows_and_count_only_visible_ones(world, fcas, gbr_api, api):
    restricted = gbr_api.get("/api/v1/programmes/")
    assert [row["code"] for row in results(restricted)] == ["GCAP"]
    assert restricted.json()["count"] == 1
    contributions = gbr_api.get("/api/v1/contributions/").json()
    assert contributions["count"] == 1
    assert {row["programme"] for row in contributions["results"]} == {"GCAP"}
    names = {row["name"] for row in results(gbr_api.get("/api/v1/organisations/"))}
    assert "Dassault Aviation" not in names
    assert "BAE Systems" in names

    everything = api.get("/api/v1/programmes/")
    assert [row["code"] for row in results(everything)] == ["FCAS", "GCAP"]
    assert api.get("/api/v1/contributions/").json()["count"] == 2


@pytest.mark.parametrize(
    "path",
    ["programmes/FCAS/", "programmes/FCAS/balance/", "work-packages/{package}/", "flags/{flag}/"],
)
def test_a_hidden_record_answers_404_like_a_missing_one(world, fcas, gbr_api, api, path):
    package = models.WorkPackage.objects.get(code="NGF")
    url = "/api/v1/" + path.format(package=package.pk, flag=world.records["fcas-flag"].pk)
    missing = "/api/v1/" + path.format(package=999999, flag=999999).replace("FCAS", "NOPE")

    hidden = gbr_api.get(url)
    assert hidden.status_code == 404
    assert hidden.json() == gbr_api.get(missing).json()
    assert api.get(url).status_code == 200


def test_hidden_records_cannot_be_changed_deleted_acknowledged_or_scanned(world, fcas, gbr_api):
    package = models.WorkPackage.objects.get(code="NGF")
    flag = world.records["fcas-flag"]
    answers = [
        gbr_api.patch(f"/api/v1/work-packages/{package.pk}/", {"name": "x"}, format="json"),
        gbr_api.put("/api/v1/programmes/FCAS/", {"code": "FCAS"}, format="json"),
        gbr_api.delete("/api/v1/programmes/FCAS/"),
        gbr_api.post(f"/api/v1/flags/{flag.pk}/acknowledge/", {"note": "x"}, format="json"),
    ]
    assert [answer.status_code for answer in answers] == [404] * 4
    # Scans are for unrestricted analysts only: refused before any programme is looked up.
    scans = [
        gbr_api.post(f"/api/v1/programmes/{code}/scan/", {}, format="json")
        for code in ("FCAS", "GCAP", "NO-SUCH")
    ]
    assert [answer.status_code for answer in scans] == [403] * 3
    package.refresh_from_db()
    flag.refresh_from_db()
    assert package.name != "x"
    assert flag.status == models.Flag.Status.OPEN
    assert models.Programme.objects.filter(code="FCAS").exists()


def test_flags_of_hidden_programmes_are_not_listed(world, fcas, gbr_api, api):
    assert {row["programme"] for row in results(gbr_api.get("/api/v1/flags/"))} == {"GCAP"}
    assert {row["programme"] for row in results(api.get("/api/v1/flags/"))} == {"GCAP", "FCAS"}


def test_csv_export_leaves_out_hidden_rows(world, fcas, gbr_api):
    response = gbr_api.get("/api/v1/contributions/?format=csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["programme"] for row in rows] == ["GCAP"]
    assert "9999999.99" not in str(rows)


def test_a_record_hidden_inside_a_visible_programme_is_left_out(world, gbr_api):
    hidden = factories.ContributionFactory(
        programme=world.programme, nation=world.nations["JPN"], amount=Decimal("4242.42")
    )
    hidden.releasable_to.set([world.nations["JPN"], world.nations["ITA"]])

    listed = results(gbr_api.get("/api/v1/contributions/"))
    assert hidden.pk not in {row["id"] for row in listed}
    assert gbr_api.get(f"/api/v1/contributions/{hidden.pk}/").status_code == 404
    jpn_api = cleared_client(world.nations["JPN"], username="jp-analyst")
    assert jpn_api.get(f"/api/v1/contributions/{hidden.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        (
            "contributions",
            {"programme": "{code}", "nation": "FRA", "period_start": "2025-01-01", "amount": "1"},
            "programme",
        ),
        (
            "workshare",
            {
                "programme": "GCAP",
                "work_package": "AIR",
                "organisation": "{org}",
                "amount": "1",
                "period_start": "2025-01-01",
            },
            "organisation",
        ),
        (
            "programmes",
            {
                "code": "NEXT",
                "name": "Next",
                "status": "concept",
                "currency": "GBP",
                "predecessors": ["{code}"],
                "releasable_to": ["GBR"],
            },
            "predecessors",
        ),
    ],
)
def test_naming_a_hidden_record_fails_like_naming_a_missing_one(
    world, fcas, gbr_api, api, path, payload, field
):
    def fill(code: str, org: str) -> dict:
        return {
            key: (
                [item.format(code=code, org=org) for item in value]
                if isinstance(value, list)
                else value.format(code=code, org=org)
            )
            for key, value in payload.items()
        }

    hidden = gbr_api.post(f"/api/v1/{path}/", fill("FCAS", "Dassault Aviation"), format="json")
    missing = gbr_api.post(f"/api/v1/{path}/", fill("NOPE", "Nobody Ltd"), format="json")
    assert hidden.status_code == missing.status_code == 400
    message = str(hidden.json()[field])
    assert "does not exist" in message
    assert message.replace("FCAS", "NOPE").replace("Dassault Aviation", "Nobody Ltd") == str(
        missing.json()[field]
    )
    allowed = api.post(f"/api/v1/{path}/", fill("FCAS", "Dassault Aviation"), format="json")
    assert allowed.status_code == 201, allowed.json()


def test_nested_owner_and_named_body_hidden_from_the_user_are_unknown(world, gbr_api):
    jpn = world.nations["JPN"]
    secret_body = factories.DecisionBodyFactory(programme=world.programme, name="Secret board")
    secret_body.releasable_to.set([jpn])
    secret_owner = factories.OrganisationFactory(name="Secret Works", nation=jpn)
    secret_owner.releasable_to.set([jpn])

    venture = gbr_api.post(
        "/api/v1/organisations/",
        {
            "name": "New JV",
            "kind": "joint_venture",
            "stakes": [
                {"owner": "BAE Systems", "percent": "50.00"},
                {"owner": "Secret Works", "percent": "50.00"},
            ],
        },
        format="json",
    )
    assert venture.status_code == 400
    assert "does not exist" in str(venture.json()["stakes"])

    decision = gbr_api.post(
        "/api/v1/decisions/",
        {
            "programme": "GCAP",
            "body": "Secret board",
            "title": "Leak",
            "decided_on": "2025-03-01",
            "outcome": "approved",
        },
        format="json",
    )
    assert decision.status_code == 400
    assert decision.json() == {"body": ["GCAP has no decision body 'Secret board'."]}


def test_filtering_by_a_hidden_programme_finds_nothing_like_an_unknown_one(
    world, fcas, gbr_api, api
):
    for path in ("nations", "organisations", "contributions"):
        hidden = results(gbr_api.get(f"/api/v1/{path}/?programme=FCAS"))
        unknown = results(gbr_api.get(f"/api/v1/{path}/?programme=NOPE"))
        assert hidden == unknown == [], path
        assert results(api.get(f"/api/v1/{path}/?programme=FCAS")), path
    assert results(gbr_api.get("/api/v1/programmes/?nation=FRA")) == []
    assert [row["code"] for row in results(api.get("/api/v1/programmes/?nation=FRA"))] == ["FCAS"]


def test_hidden_children_are_neither_shown_nor_replaced(world, gbr_api):
    body = world.records["decision-body"]
    jpn_seat = body.seats.get(nation__code="JPN")
    jpn_seat.releasable_to.set([world.nations["JPN"]])
    url = f"/api/v1/decision-bodies/{body.pk}/"

    shown = gbr_api.get(url).json()
    assert sorted(seat["nation"] for seat in shown["seats"]) == ["GBR", "ITA"]
    replaced = gbr_api.patch(url, {"seats": [{"nation": "GBR", "chair": True}]}, format="json")
    assert replaced.status_code == 200, replaced.json()
    assert [seat["nation"] for seat in replaced.json()["seats"]] == ["GBR"]
    assert set(body.seats.values_list("nation__code", flat=True)) == {"GBR", "JPN"}


def test_hidden_predecessors_are_neither_shown_nor_dropped(world, fcas, gbr_api, api):
    assert gbr_api.get("/api/v1/programmes/GCAP/").json()["predecessors"] == []
    assert api.get("/api/v1/programmes/GCAP/").json()["predecessors"] == ["FCAS"]
    response = gbr_api.patch("/api/v1/programmes/GCAP/", {"predecessors": []}, format="json")
    assert response.status_code == 200, response.json()
    assert list(world.programme.predecessors.values_list("code", flat=True)) == ["FCAS"]


def test_releasable_to_is_read_and_written_as_nation_codes(world, gbr_api):
    # GCAP's participants: a restricted analyst may mark it, but not take it from any of them.
    marking = ["JPN", "GBR", "ITA"]
    response = gbr_api.patch("/api/v1/programmes/GCAP/", {"releasable_to": marking}, format="json")
    assert response.status_code == 200, response.json()
    assert sorted(response.json()["releasable_to"]) == sorted(marking)
    assert set(world.programme.releasable_to.values_list("code", flat=True)) == set(marking)
    listed = results(gbr_api.get("/api/v1/programmes/"))
    assert sorted(listed[0]["releasable_to"]) == sorted(marking)


def test_a_restricted_user_must_keep_their_nation_in_the_marking(world, gbr_api, api):
    refused = gbr_api.patch(
        "/api/v1/programmes/GCAP/", {"releasable_to": ["JPN", "ITA"]}, format="json"
    )
    assert refused.status_code == 400
    assert "own nation" in refused.json()["releasable_to"][0]
    assert not world.programme.releasable_to.exists()

    unknown = gbr_api.patch("/api/v1/programmes/GCAP/", {"releasable_to": ["XXX"]}, format="json")
    assert unknown.status_code == 400
    assert "does not exist" in unknown.json()["releasable_to"][0]

    unrestricted = api.patch("/api/v1/programmes/GCAP/", {"releasable_to": ["JPN"]}, format="json")
    assert unrestricted.status_code == 200


def test_a_write_that_would_hide_the_record_from_its_author_is_refused(world, gbr_api):
    payload = {"code": "SOLO", "name": "Solo", "status": "concept", "currency": "GBP"}
    refused = gbr_api.post("/api/v1/programmes/", payload, format="json")
    assert refused.status_code == 400
    assert "releasable_to" in refused.json()
    assert not models.Programme.objects.filter(code="SOLO").exists()

    kept = gbr_api.post("/api/v1/programmes/", {**payload, "releasable_to": ["GBR"]}, format="json")
    assert kept.status_code == 201, kept.json()
    assert kept.json()["releasable_to"] == ["GBR"]


def test_balance_of_a_visible_programme_is_computed_for_the_user(world, fcas, gbr_api):
    response = gbr_api.get("/api/v1/programmes/GCAP/balance/")
    assert response.status_code == 200
    assert {row["programme"] for row in response.json()["open_flags"]} == {"GCAP"}


def test_deleting_a_record_that_hidden_records_depend_on_is_refused(world, gbr_api, api):
    body = world.records["decision-body"]
    body.seats.get(nation__code="JPN").releasable_to.set([world.nations["JPN"]])
    url = f"/api/v1/decision-bodies/{body.pk}/"

    refused = gbr_api.delete(url)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("Other records depend on this one")
    assert "JPN" not in refused.json()["detail"]
    assert body.seats.count() == 3

    assert api.delete(url).status_code == 204


def test_a_restricted_user_reads_the_status_of_their_own_tasks_only(world, gbr_api, api):
    queued = api.post("/api/v1/programmes/GCAP/scan/", {}, format="json")
    assert queued.status_code == 202
    url = f"/api/v1/tasks/{queued.json()['task_id']}/"
    assert api.get(url).status_code == 200
    assert gbr_api.get(url).status_code == 404
