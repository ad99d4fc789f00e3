"""Saved what-if drafts: listed, opened, changed, copied, deleted and run, through the API and
the admin; releasability decides who sees a draft and what its runs show."""

import pytest

from programs.models import LeadershipRole, WhatIfDraft
from programs.scenarios.loading import load_scenario_files
from tests import factories
from tests.admin_helpers import admin_url, https_client
from tests.whatif.helpers import JAPAN_TAKES_TWO_LEADS, SEED_DAY, SEEDS, UNKNOWN_NATION
from tests.worlds import restricted_user

pytestmark = pytest.mark.django_db

DRAFTS = "/api/v1/what-if/drafts/"


@pytest.fixture
def seeded():
    load_scenario_files(SEEDS)


def api_client(user):
    return https_client(user)


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def flag(run: dict, rule: str, nation: str) -> dict:
    gcap = next(p for p in run["programmes"] if p["code"] == "GCAP")
    return next(f for f in gcap["flags"] if f["rule"] == rule and f["nation"] == nation)


def test_a_viewer_saves_lists_opens_runs_changes_copies_and_deletes_a_draft(seeded):
    vic = factories.UserFactory(username="vic", groups=["viewer"])
    client = api_client(vic)

    created = post(
        client,
        DRAFTS,
        {
            "name": "Japan leads engines",
            "note": "for the Rome talks",
            "document": JAPAN_TAKES_TWO_LEADS,
            "programme": "GCAP",
        },
    )
    assert created.status_code == 201, created.content
    draft = created.json()
    assert (draft["author"], draft["programme"]) == ("vic", "GCAP")

    listed = client.get(DRAFTS + "?programme__code=GCAP").json()["results"]
    assert [d["name"] for d in listed] == ["Japan leads engines"]
    opened = client.get(f"{DRAFTS}{draft['id']}/").json()
    assert opened["document"] == JAPAN_TAKES_TWO_LEADS

    run = client.get(f"{DRAFTS}{draft['id']}/run/?as_of={SEED_DAY}")
    assert run.status_code == 200
    assert flag(run.json(), "leadership_deficit", "JPN")["change"] == "resolved"

    changed = client.patch(
        f"{DRAFTS}{draft['id']}/", {"note": "after Rome"}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["note"] == "after Rome"
    assert WhatIfDraft.history.filter(id=draft["id"]).count() == 2

    copied = client.post(f"{DRAFTS}{draft['id']}/copy/")
    assert copied.status_code == 201
    assert copied.json()["name"] == "Copy of Japan leads engines"

    assert client.delete(f"{DRAFTS}{draft['id']}/").status_code == 204
    assert [d["name"] for d in client.get(DRAFTS).json()["results"]] == [
        "Copy of Japan leads engines"
    ]


def test_each_run_of_a_saved_draft_shows_against_the_data_as_it_is_now(seeded):
    ana = factories.UserFactory(username="ana", groups=["analyst"])
    client = api_client(ana)
    draft = post(client, DRAFTS, {"name": "Leads", "document": JAPAN_TAKES_TWO_LEADS}).json()
    url = f"{DRAFTS}{draft['id']}/run/?as_of={SEED_DAY}"
    assert flag(client.get(url).json(), "leadership_deficit", "JPN")["now"] == "warning"

    # The data changes after the draft was saved: Japan is given the airframe lead for real.
    role = LeadershipRole.objects.get(title="Airframe chief engineer")
    role.nation = factories.NationFactory(code="JPN")
    role.organisation = None
    role.save()

    gcap = next(p for p in client.get(url).json()["programmes"] if p["code"] == "GCAP")
    japan = next(n for n in gcap["nations"] if n["nation"] == "JPN")
    assert japan["now"]["leadership_weight"] == 10  # 5 + the airframe's 5
    assert japan["draft"]["leadership_weight"] == 17


def test_an_invalid_draft_is_not_saved_and_its_error_names_the_record_and_field(seeded):
    client = api_client(factories.UserFactory(username="vic", groups=["viewer"]))

    response = post(client, DRAFTS, {"name": "Bad", "document": UNKNOWN_NATION})

    assert response.status_code == 400
    errors = response.json()["document"]
    assert any(
        "leadership_roles[0] (GCAP/Propulsion system lead): nation: unknown nation 'ZZZ'" in e
        for e in errors
    )
    assert not WhatIfDraft.objects.exists()


def test_only_the_author_changes_or_deletes_a_draft_others_may_copy_it(seeded):
    ana = factories.UserFactory(username="ana", groups=["analyst"])
    vic = factories.UserFactory(username="vic", groups=["viewer"])
    draft = post(api_client(ana), DRAFTS, {"name": "A", "document": JAPAN_TAKES_TWO_LEADS}).json()
    other = api_client(vic)

    assert (
        other.patch(
            f"{DRAFTS}{draft['id']}/", {"note": "mine"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert other.delete(f"{DRAFTS}{draft['id']}/").status_code == 403
    copy = other.post(f"{DRAFTS}{draft['id']}/copy/")
    assert copy.status_code == 201 and copy.json()["author"] == "vic"
    assert WhatIfDraft.objects.get(pk=draft["id"]).note == ""


def test_drafts_follow_releasability_a_japanese_user_names_no_hidden_record_and_sees_no_other_nations_draft(
    world_with_secrets,
):
    japanese = restricted_user(world_with_secrets.nations["JPN"], groups=["viewer"])
    british = restricted_user(
        world_with_secrets.nations["GBR"], username="brit", groups=["analyst"]
    )
    naming_a_secret = (
        "format: gcaptrack-scenario/1\n"
        "decisions:\n"
        "  - {programme: GCAP, body: Secret committee, title: Probe, decided_on: 2024-01-01,"
        " outcome: approved}\n"
    )
    refused = post(api_client(japanese), DRAFTS, {"name": "Probe", "document": naming_a_secret})
    assert refused.status_code == 400
    assert "unknown decision body 'Secret committee' of GCAP" in refused.json()["document"][0]

    uk_draft = post(api_client(british), DRAFTS, {"name": "UK", "document": naming_a_secret})
    assert uk_draft.status_code == 201, uk_draft.content
    japanese_client = api_client(japanese)
    assert japanese_client.get(DRAFTS).json()["results"] == []
    assert japanese_client.get(f"{DRAFTS}{uk_draft.json()['id']}/").status_code == 404
    assert japanese_client.get(f"{DRAFTS}{uk_draft.json()['id']}/run/").status_code == 404
    # An unrestricted user sees it.
    boss = factories.UserFactory(username="boss", groups=["analyst"])
    assert [d["name"] for d in api_client(boss).get(DRAFTS).json()["results"]] == ["UK"]


def test_the_admin_adds_a_draft_through_its_form_refuses_a_bad_one_and_copies(seeded):
    ana = factories.UserFactory(username="ana", groups=["analyst"])
    client = https_client(ana)
    add = admin_url(WhatIfDraft, "add")
    assert client.get(add).status_code == 200

    bad = client.post(add, {"name": "Bad", "note": "", "document": UNKNOWN_NATION})
    assert bad.status_code == 200
    assert "nation: unknown nation &#x27;ZZZ&#x27;" in bad.content.decode()
    assert not WhatIfDraft.objects.exists()

    good = client.post(add, {"name": "Leads", "note": "n", "document": JAPAN_TAKES_TWO_LEADS})
    assert good.status_code == 302
    draft = WhatIfDraft.objects.get()
    assert draft.author == ana

    listed = client.get(admin_url(WhatIfDraft, "changelist"))
    assert "Leads" in listed.content.decode()
    client.post(
        admin_url(WhatIfDraft, "changelist"),
        {"action": "copy", "_selected_action": [draft.pk]},
    )
    assert sorted(WhatIfDraft.objects.values_list("name", flat=True)) == ["Copy of Leads", "Leads"]

    vic = factories.UserFactory(username="vic", groups=["viewer"])
    others = https_client(vic)
    assert (
        others.post(
            admin_url(WhatIfDraft, "change", draft.pk),
            {"name": "Mine", "note": "", "document": JAPAN_TAKES_TWO_LEADS},
        ).status_code
        == 403
    )
    assert (
        others.post(admin_url(WhatIfDraft, "delete", draft.pk), {"post": "yes"}).status_code == 403
    )
    assert WhatIfDraft.objects.get(pk=draft.pk).name == "Leads"
