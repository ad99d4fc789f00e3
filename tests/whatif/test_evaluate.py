"""What-if drafts (SPEC §7): the balance and flags under a draft, next to today's, written
nowhere; through the service, the ``what_if`` command and ``POST /api/v1/what-if/``."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from gcaptrack.broker import redis_client
from programs.balance.programme_balance import programme_balance
from programs.models import Flag, LeadershipRole, Programme
from programs.scenarios.loading import load_scenario_texts
from programs.services.scan_queue import pending_key
from programs.whatif.evaluate import DraftRefused, evaluate_draft
from tests import factories
from tests.whatif.helpers import (
    JAPAN_TAKES_TWO_LEADS,
    NOTHING_CHANGES,
    SEED_DAY,
    UNKNOWN_NATION,
    footprint,
    seeded_and_scanned,
)
from tests.worlds import SECRET_AMOUNT, restricted_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def watched(settings, celery_queue):
    """The seeds scanned, then on-change scans on and sent to this session's Redis queue: a
    write that escaped a what-if would queue a scan there."""
    seeded_and_scanned()
    client = redis_client()
    client.delete(celery_queue, pending_key("GCAP"))
    settings.CELERY_ON_CHANGE_SCANS = True
    yield
    client.delete(celery_queue, pending_key("GCAP"))


def gcap_flags(result) -> dict:
    gcap = next(p for p in result.programmes if p.code == "GCAP")
    return {(f.rule, f.nation, f.counterparts): f for f in gcap.flags}


def test_moving_two_gcap_lead_roles_to_japan_clears_its_deficit_and_eases_the_bloc_flag():
    seeded_and_scanned()

    result = evaluate_draft(JAPAN_TAKES_TWO_LEADS, as_of=SEED_DAY)

    flags = gcap_flags(result)
    deficit = flags[("leadership_deficit", "JPN", ())]
    assert (deficit.now, deficit.draft, deficit.change) == ("warning", None, "resolved")
    bloc = flags[("bloc_sidelining", "JPN", ("GBR", "ITA"))]
    assert (bloc.now, bloc.draft, bloc.change) == ("critical", "warning", "changed")
    assert "Japan holds 12 of 32 leadership weight (37.5 %)" in bloc.explanation
    # The UK, losing two leads, would be flagged in turn.
    raised = flags[("leadership_deficit", "GBR", ())]
    assert (raised.now, raised.draft, raised.change) == (None, "warning", "raised")
    gcap = next(p for p in result.programmes if p.code == "GCAP")
    japan = next(n for n in gcap.nations if n.nation == "JPN")
    assert (japan.now.leadership_weight, japan.draft.leadership_weight) == (5, 12)
    assert japan.now.contribution_share == japan.draft.contribution_share
    # Today's side is the scan's own: the flags the seeded scan left open.
    live = Flag.objects.filter(programme__code="GCAP", status="open")
    assert {(f.rule, f.nation.code, f.severity) for f in live} == {
        (f.rule, f.nation, f.now) for f in gcap.flags if f.now is not None
    }
    # Only what the draft touches: GCAP (roles) and the cross-programme rule.
    assert [p.code for p in result.programmes] == ["GCAP", None]


def test_a_draft_that_changes_nothing_reports_every_flag_unchanged():
    seeded_and_scanned()

    result = evaluate_draft(NOTHING_CHANGES, as_of=SEED_DAY)

    gcap = next(p for p in result.programmes if p.code == "GCAP")
    assert gcap.flags
    assert {f.change for f in gcap.flags} == {"unchanged"}
    assert all(f.now == f.draft for f in gcap.flags)
    assert all(n.now == n.draft for n in gcap.nations)
    assert len(gcap.flags) == Flag.objects.filter(programme__code="GCAP", status="open").count()


def test_the_command_prints_each_metric_now_and_under_the_draft_and_writes_nothing(
    tmp_path, capsys, watched, django_capture_on_commit_callbacks
):
    draft = tmp_path / "japan-leads.yaml"
    draft.write_text(JAPAN_TAKES_TWO_LEADS)
    before = footprint()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("what_if", str(draft), "--as-of", SEED_DAY.isoformat())
        call_command("what_if", str(draft), "--as-of", SEED_DAY.isoformat(), "--format", "json")

    assert footprint() == before
    assert callbacks == []
    table, as_json = capsys.readouterr().out.split("\n{", 1)
    assert "GCAP: " in table
    assert "leadership_weight" in table and "5 -> 12" in table
    assert "resolved  leadership_deficit JPN: warning -> -" in table
    data = json.loads("{" + as_json)
    assert data["as_of"] == SEED_DAY.isoformat()
    gcap = next(p for p in data["programmes"] if p["code"] == "GCAP")
    japan = next(n for n in gcap["nations"] if n["nation"] == "JPN")
    assert (japan["now"]["leadership_weight"], japan["draft"]["leadership_weight"]) == (5, 12)
    assert {"rule", "nation", "counterparts", "now", "draft", "change", "explanation"} == set(
        gcap["flags"][0]
    )

    # The footprint does see a change: the same draft loaded for real moves all of it.
    with django_capture_on_commit_callbacks(execute=True):
        load_scenario_texts([("real.yaml", JAPAN_TAKES_TWO_LEADS)])
    after = footprint()
    assert after["rows"]["programs.HistoricalLeadershipRole"] == (
        before["rows"]["programs.HistoricalLeadershipRole"] + 2
    )
    assert after["data_version"] != before["data_version"]
    assert after["pending"] == before["pending"] + 1
    assert after["queued"] == before["queued"] + 1


def test_the_api_answers_the_spec_shape_to_a_viewer_and_writes_nothing(
    viewer_client, watched, django_capture_on_commit_callbacks
):
    before = footprint()
    draft = {
        "format": "gcaptrack-scenario/1",
        "leadership_roles": [
            {
                "programme": "GCAP",
                "title": "Propulsion system lead",
                "nation": "JPN",
                "organisation": "IHI",
            },
            {
                "programme": "GCAP",
                "title": "Mission systems lead",
                "nation": "JPN",
                "organisation": "Mitsubishi Electric",
            },
        ],
    }

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = viewer_client.post(
            reverse("api:what-if") + f"?as_of={SEED_DAY}",
            draft,
            content_type="application/json",
            secure=True,
        )

    assert response.status_code == 200, response.content
    assert footprint() == before
    assert callbacks == []
    data = response.json()
    assert data["as_of"] == SEED_DAY.isoformat()
    gcap = next(p for p in data["programmes"] if p["code"] == "GCAP")
    changes = {(f["rule"], f["nation"]): f for f in gcap["flags"]}
    assert changes[("leadership_deficit", "JPN")]["change"] == "resolved"
    assert changes[("bloc_sidelining", "JPN")]["counterparts"] == ["GBR", "ITA"]
    assert changes[("bloc_sidelining", "JPN")]["draft"] == "warning"
    assert data["programmes"][-1]["code"] is None
    japan = next(n for n in gcap["nations"] if n["nation"] == "JPN")
    assert japan["now"]["leadership_share"] == "0.156250"
    assert japan["draft"]["leadership_share"] == "0.375000"


def test_an_invalid_draft_is_refused_naming_the_record_and_the_field_and_writes_nothing(
    tmp_path, viewer_client
):
    seeded_and_scanned()
    before = footprint()
    draft = tmp_path / "bad.yaml"
    draft.write_text(UNKNOWN_NATION)
    where = "leadership_roles[0] (GCAP/Propulsion system lead): nation: unknown nation 'ZZZ'"

    with pytest.raises(CommandError) as refused:
        call_command("what_if", str(draft))
    assert where in str(refused.value)
    assert "\n" not in str(refused.value)

    response = viewer_client.post(
        reverse("api:what-if"),
        {
            "format": "gcaptrack-scenario/1",
            "leadership_roles": [
                {"programme": "GCAP", "title": "Propulsion system lead", "nation": "ZZZ"}
            ],
        },
        content_type="application/json",
        secure=True,
    )
    assert response.status_code == 400
    assert any(where in error for error in response.json()["errors"])

    response = viewer_client.post(
        reverse("api:what-if"),
        {"leadership_roles": []},
        content_type="application/json",
        secure=True,
    )
    assert response.status_code == 400
    assert "format: missing" in response.json()["errors"][0]
    assert footprint() == before


def test_the_api_refuses_anonymous_callers_and_users_in_no_group(client):
    assert client.post(
        reverse("api:what-if"), {}, content_type="application/json", secure=True
    ).status_code in (
        401,
        403,
    )
    nobody = factories.UserFactory(username="nobody")
    client.force_login(nobody)
    response = client.post(reverse("api:what-if"), {}, content_type="application/json", secure=True)
    assert response.status_code == 403


def test_a_japan_cleared_viewer_cannot_name_a_hidden_record_and_sees_no_hidden_figure(
    world_with_secrets,
):
    jpn = world_with_secrets.nations["JPN"]
    japanese = restricted_user(jpn, groups=["viewer"])
    secret_body = {
        "format": "gcaptrack-scenario/1",
        "decisions": [
            {
                "programme": "GCAP",
                "body": "Secret committee",
                "title": "Probe",
                "decided_on": "2024-01-01",
                "outcome": "approved",
            }
        ],
    }

    with pytest.raises(DraftRefused) as refused:
        evaluate_draft(secret_body, user=japanese)
    assert refused.value.errors == [
        "draft: decisions[0] (GCAP/Secret committee/Probe): body: "
        "unknown decision body 'Secret committee' of GCAP."
    ]
    # The same draft from an unrestricted analyst names a record that exists.
    assert evaluate_draft(secret_body).programmes[0].code == "GCAP"

    # A role under the hidden role's key is a new role to Japan: the hidden one shows nowhere.
    takes_secret_title = {
        "format": "gcaptrack-scenario/1",
        "leadership_roles": [
            {
                "programme": "GCAP",
                "title": "Secret lead",
                "nation": "JPN",
                "weight": 1,
                "domain": "other",
            }
        ],
    }
    result = evaluate_draft(takes_secret_title, user=japanese)
    text = json.dumps(result.as_json())
    gcap = next(p for p in result.programmes if p.code == "GCAP")
    seen = programme_balance(Programme.objects.get(code="GCAP"), nation_id=jpn.pk)
    assert gcap.now == seen
    italy = next(n for n in gcap.nations if n.nation == "ITA")
    assert italy.now.leadership_weight == italy.draft.leadership_weight == 3
    japan = next(n for n in gcap.nations if n.nation == "JPN")
    assert (japan.now.leadership_weight, japan.draft.leadership_weight) == (2, 3)
    assert LeadershipRole.objects.filter(title="Secret lead").get().nation.code == "ITA"

    # Unrestricted, the same figures include the secrets: the check above could fail.
    unrestricted = evaluate_draft(takes_secret_title)
    everything = json.dumps(unrestricted.as_json())
    uk_total = next(n for n in unrestricted.programmes[0].nations if n.nation == "GBR").now
    assert uk_total.contributed > SECRET_AMOUNT
    assert str(uk_total.contributed) in everything
    assert str(uk_total.contributed) not in text
