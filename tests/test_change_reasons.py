"""A reason on every change: the admin's forms, inlines, bulk actions and deletions, and the
API's writes, refuse a balance-moving change without one and keep it in the history."""

from decimal import Decimal

import pytest

from programs.models import Contribution, Decision, Programme, TechTransferMilestone
from programs.scenarios.loading import load_scenario_files
from tests import factories
from tests.admin_helpers import admin_url, change_page_data, https_client

pytestmark = pytest.mark.django_db

REQUIRED = "A change reason is required for changes to contributions"


@pytest.fixture
def client(analyst):
    return https_client(analyst)


@pytest.fixture
def contribution():
    programme = factories.ProgrammeFactory(code="DEMO")
    nation = factories.NationFactory(code="AAA")
    factories.ParticipationFactory(programme=programme, nation=nation)
    return factories.ContributionFactory(programme=programme, nation=nation, amount=100)


def test_admin_refuses_a_contribution_change_without_a_reason_and_keeps_the_given_one(
    client, contribution, analyst
):
    url = admin_url(Contribution, "change", contribution.pk)
    data = change_page_data(client, url, {})
    data["amount"] = "250"

    refused = client.post(url, data)

    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["change_reason"] == [
        f"{REQUIRED}: say why (e.g. the source of the new figure)."
    ]
    assert "Change reason" in refused.text
    contribution.refresh_from_db()
    assert contribution.amount == 100

    saved = client.post(url, {**data, "change_reason": "MoD annual report 2025"})

    assert saved.status_code == 302
    latest = contribution.history.latest()
    assert (latest.amount, latest.history_user, latest.history_change_reason) == (
        Decimal("250"),
        analyst,
        "MoD annual report 2025",
    )


def test_admin_refuses_a_contribution_changed_as_a_programme_inline_without_a_reason(
    client, contribution
):
    url = admin_url(Programme, "change", contribution.programme.pk)
    data = change_page_data(client, url, {"contributions": {"0-amount": "300"}})

    refused = client.post(url, data)

    assert refused.status_code == 200
    assert REQUIRED in refused.text
    contribution.refresh_from_db()
    assert contribution.amount == 100

    saved = client.post(url, {**data, "change_reason": "budget revision"})

    assert saved.status_code == 302, saved.context and saved.context["errors"]
    assert contribution.history.latest().history_change_reason == "budget revision"
    assert contribution.programme.history.latest().history_change_reason == "budget revision"


def test_a_programme_alone_saves_without_a_reason(client, contribution):
    programme = contribution.programme
    url = admin_url(Programme, "change", programme.pk)
    data = change_page_data(client, url, {})
    data["name"] = "Renamed programme"

    response = client.post(url, data)

    assert response.status_code == 302
    latest = programme.history.latest()
    assert (latest.name, latest.history_change_reason) == ("Renamed programme", None)


@pytest.fixture
def milestone():
    programme = factories.ProgrammeFactory(code="DEMO")
    return factories.TechTransferMilestoneFactory(programme=programme, status="planned")


def test_admin_bulk_action_needs_a_reason_and_keeps_it(client, milestone):
    changelist = admin_url(TechTransferMilestone, "changelist")
    action = {"action": "mark_blocked", "_selected_action": [milestone.pk], "index": "0"}
    assert 'name="change_reason"' in client.get(changelist).text

    refused = client.post(changelist, action, follow=True)

    assert "Nothing changed. A change reason is required for changes to tech-transfer" in (
        refused.text
    )
    milestone.refresh_from_db()
    assert milestone.status == "planned"

    client.post(changelist, {**action, "change_reason": "export licence withheld"})

    milestone.refresh_from_db()
    assert milestone.status == "blocked"
    assert milestone.history.latest().history_change_reason == "export licence withheld"


def test_admin_deletion_needs_a_reason_and_keeps_it(client, contribution):
    url = admin_url(Contribution, "delete", contribution.pk)
    assert 'name="change_reason"' in client.get(url).text

    refused = client.post(url, {"post": "yes"}, follow=True)

    assert f"Nothing was deleted. {REQUIRED}" in refused.text
    assert Contribution.objects.filter(pk=contribution.pk).exists()

    client.post(url, {"post": "yes", "change_reason": "entered twice"})

    assert not Contribution.objects.filter(pk=contribution.pk).exists()
    deleted = Contribution.history.filter(id=contribution.pk).latest()
    assert (deleted.history_type, deleted.history_change_reason) == ("-", "entered twice")


def test_admin_delete_selected_asks_the_reason_on_its_confirmation_page(client, contribution):
    changelist = admin_url(Contribution, "changelist")
    action = {"action": "delete_selected", "_selected_action": [contribution.pk], "index": "0"}

    confirmation = client.post(changelist, action)
    assert 'name="change_reason"' in confirmation.text
    refused = client.post(changelist, {**action, "post": "yes"}, follow=True)
    assert REQUIRED in refused.text
    assert Contribution.objects.filter(pk=contribution.pk).exists()

    client.post(changelist, {**action, "post": "yes", "change_reason": "duplicate row"})

    assert not Contribution.objects.filter(pk=contribution.pk).exists()
    assert Contribution.history.filter(id=contribution.pk).latest().history_change_reason == (
        "duplicate row"
    )


@pytest.fixture
def world(world_with_every_resource):
    """GCAP as the API tests see it (tests/worlds.py)."""
    return world_with_every_resource


def api_client(analyst, reason=None):
    from programs.api.tokens import issue_token
    from tests.api.conftest import https_client as api_https_client

    _, key = issue_token(analyst, "reasons")
    client = api_https_client(change_reason=reason)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def contribution_body(world, **overrides) -> dict:
    return {
        "programme": "GCAP",
        "nation": "JPN",
        "period_start": "2030-01-01",
        "amount": "75.00",
        **overrides,
    }


def test_api_refuses_a_contribution_without_a_reason_naming_it(world, analyst):
    api = api_client(analyst)
    before = Contribution.objects.count()

    response = api.post("/api/v1/contributions/", contribution_body(world), format="json")

    assert response.status_code == 400
    assert response.json()["change_reason"][0].startswith(REQUIRED)
    assert Contribution.objects.count() == before


def test_api_keeps_the_reason_from_the_header_or_the_body(world, analyst):
    by_header = api_client(analyst, reason="Japanese budget 2030")
    by_body = api_client(analyst)

    created = by_header.post("/api/v1/contributions/", contribution_body(world), format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    patched = by_body.patch(
        f"/api/v1/contributions/{pk}/",
        {"amount": "80.00", "change_reason": "corrected figure"},
        format="json",
    )
    assert patched.status_code == 200, patched.content

    reasons = list(
        Contribution.history.filter(id=pk)
        .order_by("history_date")
        .values_list("history_type", "history_change_reason")
    )
    assert reasons == [("+", "Japanese budget 2030"), ("~", "corrected figure")]


def test_api_refuses_a_deletion_without_a_reason(world, analyst):
    contribution = world.records["contribution"]

    refused = api_client(analyst).delete(f"/api/v1/contributions/{contribution.pk}/")
    deleted = api_client(analyst, reason="entered twice").delete(
        f"/api/v1/contributions/{contribution.pk}/"
    )

    assert refused.status_code == 400
    assert "change_reason" in refused.json()
    assert deleted.status_code == 204
    assert Contribution.history.filter(id=contribution.pk).latest().history_change_reason == (
        "entered twice"
    )


def test_api_gives_the_reason_to_nested_votes_too(world, analyst):
    decision = Decision.objects.get(title="Design freeze")
    api = api_client(analyst, reason="minutes of the board")
    votes = [{"nation": code, "position": "against"} for code in ("GBR", "JPN", "ITA")]

    response = api.patch(f"/api/v1/decisions/{decision.pk}/", {"votes": votes}, format="json")

    assert response.status_code == 200, response.content
    vote = decision.votes.get(nation__code="JPN")
    assert vote.history.latest().history_change_reason == "minutes of the board"


def test_api_writes_to_an_organisation_need_no_reason(world, analyst):
    response = api_client(analyst).post(
        "/api/v1/organisations/",
        {"name": "Avio Aero", "nation": "ITA", "kind": "prime"},
        format="json",
    )

    assert response.status_code == 201, response.content


def test_a_scenario_load_keeps_its_own_reason_inside_an_admin_reason(tmp_path, world):
    from programs.change_reasons import change_reason

    scenario = tmp_path / "extra.yaml"
    scenario.write_text(
        "format: gcaptrack-scenario/1\n"
        "contributions:\n"
        "  - {programme: GCAP, nation: ITA, period_start: 2031-01-01, amount: 5}\n"
    )

    with change_reason("ignored"):
        load_scenario_files([scenario])

    created = Contribution.objects.get(period_start="2031-01-01")
    assert created.history.get().history_change_reason == "scenario extra.yaml"


def test_admin_revert_to_a_past_version_needs_a_reason_and_keeps_it(client, contribution):
    contribution.amount = 300
    contribution.save()
    first = contribution.history.earliest()
    url = admin_url(Contribution, "simple_history", contribution.pk, first.history_id)
    data = change_page_data(client, url, {})

    refused = client.post(url, data)

    assert refused.status_code == 200
    assert "change_reason" in refused.context["adminform"].form.errors
    contribution.refresh_from_db()
    assert contribution.amount == 300

    client.post(url, {**data, "change_reason": "the first figure was right"})

    contribution.refresh_from_db()
    assert contribution.amount == 100
    assert contribution.history.latest().history_change_reason == "the first figure was right"


# --- every error in one answer ---------------------------------------------------------------


def contribution_state() -> tuple[list, int]:
    """The contributions as stored, and how many historical rows they have."""
    return list(Contribution.objects.order_by("pk").values()), Contribution.history.count()


def test_api_names_every_bad_field_and_the_missing_reason_in_one_answer(world, analyst):
    api = api_client(analyst)
    before = contribution_state()

    response = api.post(
        "/api/v1/contributions/",
        contribution_body(world, nation="ZZZ", amount="lots"),
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()
    assert sorted(errors) == ["amount", "change_reason", "nation"]
    assert errors["change_reason"][0].startswith(REQUIRED)
    assert contribution_state() == before


def test_api_patch_without_a_reason_names_it_with_the_bad_fields(world, analyst):
    contribution = world.records["contribution"]
    before = contribution_state()

    response = api_client(analyst).patch(
        f"/api/v1/contributions/{contribution.pk}/",
        {"amount": "lots", "period_start": "someday"},
        format="json",
    )

    assert response.status_code == 400
    assert sorted(response.json()) == ["amount", "change_reason", "period_start"]
    assert contribution_state() == before


def test_api_names_the_missing_reason_with_the_records_own_checks(world, analyst):
    """A record-level error (an end before the start, checked by the model's ``clean()``) is
    reported with the missing reason too, not after it is fixed."""
    contribution = world.records["contribution"]
    before = contribution_state()

    response = api_client(analyst).patch(
        f"/api/v1/contributions/{contribution.pk}/",
        {"period_start": "2030-01-01", "period_end": "2029-01-01"},
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()
    assert sorted(errors) == ["change_reason", "period_end"]
    assert errors["period_end"] == ["period_end must not be before period_start."]
    assert errors["change_reason"][0].startswith(REQUIRED)
    assert contribution_state() == before


def test_api_needs_a_reason_to_replace_a_bodys_seats_but_not_to_rename_it(world, analyst):
    body = world.records["decision-body"]
    api = api_client(analyst)
    seats = [{"nation": code, "votes": 1} for code in ("GBR", "JPN", "ITA")]

    refused = api.patch(f"/api/v1/decision-bodies/{body.pk}/", {"seats": seats}, format="json")
    renamed = api.patch(f"/api/v1/decision-bodies/{body.pk}/", {"name": "Board"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["change_reason"][0].startswith(
        "A change reason is required for changes to seats"
    )
    assert renamed.status_code == 200, renamed.content


def test_admin_change_form_shows_the_bad_field_and_the_missing_reason_together(
    client, contribution
):
    url = admin_url(Contribution, "change", contribution.pk)
    data = change_page_data(client, url, {})

    refused = client.post(url, {**data, "amount": "lots"})

    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors
    assert sorted(errors) == ["amount", "change_reason"]
    assert errors["amount"] == ["Enter a number."]
    assert "Enter a number." in refused.text
    assert REQUIRED in refused.text
    contribution.refresh_from_db()
    assert contribution.amount == 100


def test_admin_programme_form_shows_its_bad_field_and_its_inlines_missing_reason_together(
    client, contribution
):
    programme = contribution.programme
    url = admin_url(Programme, "change", programme.pk)
    data = change_page_data(client, url, {"contributions": {"0-amount": "300"}})

    refused = client.post(url, {**data, "name": ""})

    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["name"] == ["This field is required."]
    assert REQUIRED in refused.text
    contribution.refresh_from_db()
    assert contribution.amount == 100


def test_admin_programme_form_shows_its_inlines_set_check_and_missing_reason_together(client):
    programme = factories.ProgrammeFactory(code="DEMO")
    for code in ("AAA", "BBB"):
        nation = factories.NationFactory(code=code)
        factories.ParticipationFactory(programme=programme, nation=nation, agreed_share=40)
    url = admin_url(Programme, "change", programme.pk)
    shares = {"0-agreed_share": "60", "1-agreed_share": "60"}
    data = change_page_data(client, url, {"participations": shares})

    refused = client.post(url, data)

    assert refused.status_code == 200
    assert "Agreed shares sum to 120%, over 100%." in refused.text
    assert "A change reason is required for changes to participations" in refused.text
    assert sorted(programme.participations.values_list("agreed_share", flat=True)) == [40, 40]


# --- long reasons ----------------------------------------------------------------------------

LONG_REASON = (
    "Japanese Ministry of Defense budget request for fiscal 2030, table 4, line 12, read "
    "together with the trilateral memorandum of 2029 on the phasing of development funding. " * 4
)[:600]
TOO_LONG = "A change reason has at most 1,000 characters."


def test_a_long_reason_is_kept_in_full_and_shown_in_the_change_log(world, analyst):
    assert len(LONG_REASON) == 600
    api = api_client(analyst, reason=LONG_REASON)

    created = api.post("/api/v1/contributions/", contribution_body(world), format="json")

    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert Contribution.history.get(id=pk).history_change_reason == LONG_REASON
    listed = api.get("/api/v1/changes/", {"model": "contribution"}).json()["results"][0]
    assert (listed["object_id"], listed["reason"]) == (pk, LONG_REASON)
    page = https_client(analyst).get("/changes/", {"model": "contribution"})
    assert page.status_code == 200
    assert LONG_REASON in page.text


def test_admin_keeps_a_long_reason_in_full(client, contribution):
    url = admin_url(Contribution, "change", contribution.pk)
    data = change_page_data(client, url, {})

    saved = client.post(url, {**data, "amount": "250", "change_reason": LONG_REASON})

    assert saved.status_code == 302
    assert contribution.history.latest().history_change_reason == LONG_REASON


@pytest.mark.parametrize("sent_as", ["header", "body"])
def test_api_refuses_a_reason_beyond_the_bound_naming_it(world, analyst, sent_as):
    reason = "x" * 1001
    if sent_as == "header":
        api, body = api_client(analyst, reason=reason), contribution_body(world)
    else:
        api, body = api_client(analyst), contribution_body(world, change_reason=reason)
    before = contribution_state()

    response = api.post("/api/v1/contributions/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"change_reason": [TOO_LONG]}
    assert contribution_state() == before


def test_api_takes_a_reason_at_the_bound_even_where_it_is_optional(world, analyst):
    organisation = {"name": "Avio Aero", "nation": "ITA", "kind": "prime"}

    too_long = api_client(analyst, reason="x" * 1001).post(
        "/api/v1/organisations/", organisation, format="json"
    )
    at_the_bound = api_client(analyst, reason="x" * 1000).post(
        "/api/v1/organisations/", organisation, format="json"
    )

    assert (too_long.status_code, too_long.json()) == (400, {"change_reason": [TOO_LONG]})
    assert at_the_bound.status_code == 201, at_the_bound.content


def test_admin_refuses_a_reason_beyond_the_bound_naming_it(client, contribution):
    url = admin_url(Contribution, "change", contribution.pk)
    data = change_page_data(client, url, {})

    refused = client.post(url, {**data, "amount": "250", "change_reason": "x" * 1001})

    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["change_reason"] == [TOO_LONG]
    assert TOO_LONG in refused.text
    contribution.refresh_from_db()
    assert contribution.amount == 100


def test_admin_deletion_refuses_a_reason_beyond_the_bound(client, contribution):
    url = admin_url(Contribution, "delete", contribution.pk)
    assert 'maxlength="1000"' in client.get(url).text

    refused = client.post(url, {"post": "yes", "change_reason": "x" * 1001}, follow=True)

    assert f"Nothing was deleted. {TOO_LONG}" in refused.text
    assert Contribution.objects.filter(pk=contribution.pk).exists()


# --- scenario loads and imports keep their own reasons ----------------------------------------


def test_a_scenario_file_with_a_long_name_keeps_it_in_its_reason(tmp_path, world):
    name = "gcap-" + "japanese-budget-request-fiscal-2030-" * 4 + "revised.yaml"
    assert len(f"scenario {name}") > 100
    scenario = tmp_path / name
    scenario.write_text(
        "format: gcaptrack-scenario/1\n"
        "contributions:\n"
        "  - {programme: GCAP, nation: ITA, period_start: 2031-01-01, amount: 5}\n"
    )

    load_scenario_files([scenario])

    created = Contribution.objects.get(period_start="2031-01-01")
    assert created.history.get().history_change_reason == f"scenario {name}"


def test_an_import_keeps_its_own_reason_inside_an_admin_reason(world, analyst):
    from programs.change_reasons import change_reason
    from programs.imports.bulk import ContributionImporter

    header = ["programme", "nation", "period_start", "period_end", "amount", "source", "confidence"]
    row = ["GCAP", "ITA", "2032-01-01", "", "7", "Budget", ""]
    name = "italian-budget-" * 8 + "2032.csv"

    with change_reason("ignored"):
        outcome = ContributionImporter(analyst, file_name=name).run(
            header, [[value] for value in row], dry_run=False
        )

    assert outcome.written
    created = Contribution.objects.get(period_start="2032-01-01")
    assert created.history.get().history_change_reason == f"spreadsheet import {name}"
