"""The change log: every change across the tracked records, newest first, with who, why and
the field-by-field difference; filtered; at a constant query count; and only what the reader
may see."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs import changelog
from programs.models import Contribution, Nation
from tests import factories
from tests.admin_helpers import admin_url, change_page_data, https_client

pytestmark = pytest.mark.django_db

PAGE = reverse("dashboards:changes")
API = "/api/v1/changes/"


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def demo():
    """DEMO with AAA and BBB; one contribution of each, AAA's released to AAA only."""
    programme = factories.ProgrammeFactory(code="DEMO")
    nations = {}
    for code in ("AAA", "BBB"):
        nations[code] = factories.NationFactory(code=code, name=f"Nation {code}")
        factories.ParticipationFactory(programme=programme, nation=nations[code])
    shared = factories.ContributionFactory(programme=programme, nation=nations["BBB"], amount=100)
    secret = factories.ContributionFactory(
        programme=programme, nation=nations["AAA"], amount=777, source="QXsecretQX"
    )
    secret.releasable_to.set([nations["AAA"]])
    return programme, nations, shared, secret


def change_in_admin(client: Client, contribution: Contribution, amount: str, reason: str):
    url = admin_url(Contribution, "change", contribution.pk)
    data = change_page_data(client, url, {})
    response = client.post(url, {**data, "amount": amount, "change_reason": reason})
    assert response.status_code == 302, response.context and response.context["errors"]


def restricted_to(nation: Nation, username: str) -> Client:
    user = factories.UserFactory(username=username, groups=["analyst"])
    factories.ClearanceFactory(user=user, nation=nation)
    client = Client()
    client.force_login(user)
    return client


def test_the_change_log_lists_an_admin_change_with_its_reason_and_difference(demo, analyst):
    _, _, shared, _ = demo
    client = https_client(analyst)
    change_in_admin(client, shared, "250", "MoD annual report 2025")

    page = client.get(PAGE)

    assert page.status_code == 200
    first = page.context["changes"][0]
    assert (first.model_name, first.object_id, first.kind, first.user, first.reason) == (
        "contribution",
        shared.pk,
        "changed",
        analyst.username,
        "MoD annual report 2025",
    )
    assert [(c.field, str(c.old), str(c.new)) for c in first.changes] == [
        ("amount", "100.00", "250.00")
    ]
    assert "MoD annual report 2025" in page.text
    assert "100.00 → 250.00" in page.text
    history = admin_url(Contribution, "history", shared.pk)
    assert f'href="{history}"' in page.text
    assert "Amount" in client.get(history).text


def test_a_restricted_user_sees_no_change_to_a_record_not_released_to_them(demo, analyst):
    _, nations, shared, secret = demo
    client = https_client(analyst)
    change_in_admin(client, secret, "778", "QXhiddenreasonQX")
    change_in_admin(client, shared, "101", "visible reason")
    everyone = client.get(PAGE)
    bbb = restricted_to(nations["BBB"], "bee")

    page = bbb.get(PAGE)

    seen = {(c.model_name, c.object_id) for c in page.context["changes"]}
    assert ("contribution", shared.pk) in seen
    assert ("contribution", secret.pk) not in seen
    # Whole markers: a random CSRF token or a record id may hold "QX" or "777".
    assert "QXsecretQX" not in page.text and "QXhiddenreasonQX" not in page.text
    assert "777.00" not in page.text and "778.00" not in page.text
    assert "visible reason" in page.text
    hidden_versions = secret.history.count()
    assert page.context["page_obj"].paginator.count == (
        everyone.context["page_obj"].paginator.count - hidden_versions
    )
    aaa = restricted_to(nations["AAA"], "ay")
    assert "QXhiddenreasonQX" in aaa.get(PAGE).text


def test_a_reference_to_a_hidden_record_reads_as_not_releasable(demo, analyst):
    programme, nations, _, _ = demo
    hidden = factories.ProgrammeFactory(code="QXHIDDENQX")
    hidden.releasable_to.set([nations["AAA"]])
    moved = factories.ContributionFactory(programme=hidden, nation=nations["BBB"], amount=5)
    moved.programme = programme
    moved.save()
    bbb = restricted_to(nations["BBB"], "bee")

    page = bbb.get(PAGE, {"model": "contribution"})

    change = next(c for c in page.context["changes"] if c.object_id == moved.pk)
    assert [(c.field, c.old, c.new) for c in change.changes] == [
        ("programme", "(not releasable to you)", "DEMO")
    ]
    assert "QXHIDDENQX" not in page.text


def test_the_change_log_filters_by_programme_nation_model_user_reason_and_dates(demo, analyst):
    _, nations, shared, _ = demo
    other = factories.ProgrammeFactory(code="OTHER")
    client = https_client(analyst)
    change_in_admin(client, shared, "150", "budget revision")
    factories.OrganisationFactory(name="Loose firm", nation=nations["AAA"])

    def listed(**query) -> set:
        page = client.get(PAGE, query)
        assert page.status_code == 200
        return {(c.model_name, c.object_id, c.kind) for c in page.context["changes"]}

    assert ("contribution", shared.pk, "changed") in listed(programme="DEMO")
    assert not any(row[0] == "organisation" for row in listed(programme="DEMO"))
    assert listed(programme="OTHER") == {("programme", other.pk, "created")}
    assert all(row[0] != "contribution" or row[1] == shared.pk for row in listed(nation="BBB"))
    assert {row[0] for row in listed(model="contribution")} == {"contribution"}
    assert listed(user=analyst.username) == {("contribution", shared.pk, "changed")}
    assert listed(reason="BUDGET") == {("contribution", shared.pk, "changed")}
    today = datetime.date.today()
    assert ("contribution", shared.pk, "changed") in listed(since=today.isoformat())
    assert listed(until=(today - datetime.timedelta(days=1)).isoformat()) == set()


def test_bad_filters_are_named_on_the_page(demo, analyst):
    page = https_client(analyst).get(
        PAGE, {"programme": "NOPE", "user": "nobody", "since": "2026-02-02", "until": "2026-01-01"}
    )

    assert page.status_code == 200
    errors = page.context["form"].errors
    assert set(errors) == {"programme", "user", "until"}
    assert "No user named “nobody”." in page.text
    assert page.context["changes"] == []


def count_queries(client: Client, url: str, query: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, query).status_code == 200
    return len(captured)


#: The count and the page, two queries per model on the page, the users, the references' names,
#: the filter form's choices, the session and the user, the clearance.
MAX_QUERIES = 12 + 2 * len(changelog.SOURCES)


def test_the_change_log_costs_the_same_queries_whatever_the_history(
    demo, analyst, django_assert_max_num_queries
):
    programme, nations, shared, _ = demo
    client = https_client(analyst)
    few = count_queries(client, PAGE, {"model": "contribution"})
    for _ in range(60):
        shared.amount += 1
        shared.save()
    for index in range(10):
        body = factories.DecisionBodyFactory(programme=programme, name=f"Board {index}")
        factories.SeatFactory(body=body, nation=nations["AAA"])

    # A page of changed amounts names no reference (the first page of creations did: the
    # programme and the nation, one query each).
    assert count_queries(client, PAGE, {"model": "contribution"}) == few - 2
    assert count_queries(client, PAGE, {"model": "contribution", "page": "2"}) == few
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(PAGE)
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(API)


def api_for(user, reason: str | None = None):
    from programs.api.tokens import issue_token
    from tests.api.conftest import https_client as api_client

    _, key = issue_token(user, "changes")
    client = api_client(change_reason=reason)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_the_api_lists_an_api_change_with_its_reason_and_hides_it_from_others(demo, analyst):
    _, nations, shared, secret = demo
    api = api_for(analyst, reason="Treasury figures")
    assert (
        api.patch(
            f"/api/v1/contributions/{secret.pk}/", {"amount": "800.00"}, format="json"
        ).status_code
        == 200
    )
    api.patch(f"/api/v1/contributions/{shared.pk}/", {"amount": "120.00"}, format="json")

    everything = api.get(API, {"model": "contribution"}).json()
    bbb_user = factories.UserFactory(username="bee", groups=["viewer"])
    factories.ClearanceFactory(user=bbb_user, nation=nations["BBB"])
    bbb = api_for(bbb_user).get(API, {"model": "contribution"})

    newest = everything["results"][0]
    assert {key: newest[key] for key in ("model", "object_id", "kind", "user", "reason")} == {
        "model": "contribution",
        "object_id": shared.pk,
        "kind": "changed",
        "user": analyst.username,
        "reason": "Treasury figures",
    }
    assert newest["changes"] == [{"field": "amount", "old": "100.00", "new": "120.00"}]
    assert secret.pk in {row["object_id"] for row in everything["results"]}
    assert bbb.status_code == 200
    assert secret.pk not in {row["object_id"] for row in bbb.json()["results"]}
    assert "QXsecretQX" not in bbb.content.decode() and "800.00" not in bbb.content.decode()
    assert bbb.json()["count"] == everything["count"] - secret.history.count()


def test_the_api_refuses_bad_change_log_filters_naming_them(demo, analyst):
    response = api_for(analyst).get(API, {"nation": "ZZZ", "since": "yesterday"})

    assert response.status_code == 400
    assert set(response.json()) == {"nation", "since"}


def test_the_api_pages_the_change_log(demo, analyst):
    _, _, shared, _ = demo
    for _ in range(60):
        shared.amount += 1
        shared.save()
    api = api_for(analyst)

    first = api.get(API, {"model": "contribution"}).json()
    second = api.get(first["next"]).json()

    assert len(first["results"]) == 50
    assert first["previous"] is None
    assert {r["history_id"] for r in first["results"]}.isdisjoint(
        r["history_id"] for r in second["results"]
    )
    assert first["count"] == len(first["results"]) + len(second["results"])
    assert api.get(API, {"page": "99"}).status_code == 404


def test_a_page_that_is_no_number_is_a_404_not_a_500(analyst):
    api = api_for(analyst)
    assert api.get(API, {"page": "false"}).status_code == 404
    assert api.get(API, {"page": "false", "format": "csv"}).status_code == 200
