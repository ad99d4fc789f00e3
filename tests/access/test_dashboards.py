"""The dashboards for a user restricted to a nation: only released records, figures over the
visible rows, flags and trends only for programmes seen in full, 404 for what is hidden, and
the same constant number of queries."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from programs.models import BalanceSnapshot, Flag, Nation
from tests import factories
from tests.dashboards.data import add_synthetic_rows, load_seeds_and_scan
from tests.dashboards.test_pages import make_flag
from tests.worlds import restricted_user

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/programmes/GCAP/",
    "/nations/GBR/ITA/",
    "/nations/JPN/GBR/",
    "/nations/",
    "/flags/",
    "/flags/?status=",
]
#: How the secret contribution (987,654,321) reads anywhere on a page.
SECRET_TEXTS = ("987,654", "987654", "987.654", "987 654")
SECRET_NAMES = ("UK–Italy defence MoU", "Secret committee", "Secret lead", "UK–Italy venture")


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_text(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_no_hidden_amount_or_name_reaches_a_restricted_users_pages(
    analyst_client, world_with_secrets
):
    factories.WorkshareAllocationFactory(
        work_package=world_with_secrets.package,
        organisation=factories.OrganisationFactory(name="UK–Italy venture"),
    )
    japanese = client_for(restricted_user(world_with_secrets.nations["JPN"], groups=["analyst"]))

    for url in PAGES:
        text = page_text(japanese, url)
        for secret in SECRET_TEXTS + SECRET_NAMES:
            assert secret not in text, (url, secret)

    # The same pages show them to an unrestricted analyst: the check above can fail.
    everything = "".join(page_text(analyst_client, url) for url in PAGES)
    assert "987,654" in everything
    assert "UK–Italy defence MoU" in everything and "Secret lead" in everything


def test_a_restricted_programme_page_shows_the_figures_of_the_visible_rows(
    analyst_client, world_with_secrets
):
    japanese = client_for(restricted_user(world_with_secrets.nations["JPN"]))

    balance = japanese.get("/programmes/GCAP/").context["page"]["balance"]
    full = analyst_client.get("/programmes/GCAP/").context["page"]["balance"]

    assert balance.total_contributions == 300
    assert full.total_contributions > 300
    assert balance.nation("GBR").work == 400
    assert balance.pair("GBR", "ITA").tie_programmes == []
    assert full.pair("GBR", "ITA").tie_programmes == ["TORNADO", "TEMPEST"]


@pytest.mark.usefixtures("world_with_secrets")
def test_a_hidden_programme_is_not_found_like_a_missing_one(analyst_client):
    japanese = client_for(restricted_user(Nation.objects.get(code="JPN")))

    hidden = japanese.get("/programmes/TORNADO/")
    missing = japanese.get("/programmes/NOSUCH/")

    assert hidden.status_code == missing.status_code == 404
    assert "Tornado" not in hidden.content.decode()
    assert analyst_client.get("/programmes/TORNADO/").status_code == 200
    # Nor is it listed anywhere.
    for url in ("/", "/flags/", "/nations/GBR/ITA/"):
        assert "TORNADO" not in page_text(japanese, url), url


def test_flags_and_trends_of_a_programme_not_seen_in_full_are_hidden(
    analyst_client, world_with_secrets
):
    jpn, gbr = world_with_secrets.nations["JPN"], world_with_secrets.nations["GBR"]
    flag = make_flag(world_with_secrets.programme, jpn, counterparts=[gbr])
    factories.BalanceSnapshotFactory(programme=world_with_secrets.programme, nation=jpn)
    japanese_user = restricted_user(jpn, groups=["analyst"])
    japanese = client_for(japanese_user)

    page = japanese.get("/programmes/GCAP/").context["page"]
    assert page["flags"] == [] and page["trend_table"] == []
    portfolio = japanese.get("/").context["page"]
    assert [cell.return_coefficient for row in portfolio.rows for cell in row.cells] == [None] * 3
    assert portfolio.severity_counts == [("critical", 0), ("warning", 0), ("info", 0)]
    assert japanese.get("/flags/?status=").context["page_obj"].paginator.count == 0
    assert japanese.get("/nations/JPN/GBR/").context["page"]["flags"] == []
    assert f"flag-{flag.pk}" not in page_text(japanese, "/flags/")

    response = japanese.post(f"/flags/{flag.pk}/acknowledge/", {"note": "seen"})
    assert response.status_code == 404
    flag.refresh_from_db()
    assert flag.status == Flag.Status.OPEN

    # The UK sees every row of GCAP (the hidden ones are released to it): flags and trends.
    british = client_for(restricted_user(gbr, username="gus", groups=["analyst"]))
    page = british.get("/programmes/GCAP/").context["page"]
    assert [f.pk for f in page["flags"]] == [flag.pk] and len(page["trend_table"]) == 1
    response = british.post(f"/flags/{flag.pk}/acknowledge/", {"note": "seen"})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACKNOWLEDGED
    # An unrestricted analyst sees them as before.
    page = analyst_client.get("/programmes/GCAP/").context["page"]
    assert [f.pk for f in page["flags"]] == [flag.pk] and len(page["trend_table"]) == 1


def count_queries(client: Client, url: str) -> int:
    """Queries of one request with nothing cached (what is seen in full is cached per data
    version, and adding rows moves the version)."""
    caches["reports"].clear()
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(context.captured_queries)


def test_with_the_seeds_japan_sees_gcap_in_full_at_a_constant_query_count():
    days = load_seeds_and_scan()
    japanese = client_for(restricted_user(Nation.objects.get(code="JPN"), groups=["analyst"]))

    page = japanese.get("/programmes/GCAP/").context["page"]
    rules = {flag.rule for flag in page["flags"]}
    assert {"bloc_sidelining", "leadership_deficit", "outvoted"} <= rules
    assert [day for day, _ in page["trend_table"]] == days
    assert page["balance"].pair("GBR", "ITA").tie_strong
    assert page["balance"].total_contributions == 4_600_000_000
    assert BalanceSnapshot.objects.filter(programme__code="TORNADO").exists()
    assert japanese.get("/programmes/TORNADO/").status_code == 200, "history is released to all"

    urls = ["/", "/programmes/GCAP/", "/nations/JPN/GBR/", "/flags/", "/flags/?nation=JPN"]
    seeded = {url: count_queries(japanese, url) for url in urls}
    add_synthetic_rows(10)
    grown = {url: count_queries(japanese, url) for url in urls}

    assert grown == seeded


@pytest.mark.usefixtures("world_with_secrets")
def test_the_clearance_is_read_with_the_signed_in_user_and_a_change_applies_at_once():
    user = restricted_user(Nation.objects.get(code="JPN"))
    japanese = client_for(user)

    with CaptureQueriesContext(connection) as queries:
        hidden = japanese.get("/programmes/TORNADO/")
    clearance_reads = [q["sql"] for q in queries.captured_queries if "clearance" in q["sql"]]
    assert hidden.status_code == 404
    assert len(clearance_reads) == 1 and '"auth_user"' in clearance_reads[0], clearance_reads

    user.clearance.nation = None
    user.clearance.save()
    assert japanese.get("/programmes/TORNADO/").status_code == 200, "unrestricted from now on"

    user.clearance.delete()
    assert japanese.get("/programmes/TORNADO/").status_code == 200, "no clearance: unrestricted"

    factories.ClearanceFactory(user=user, nation=Nation.objects.get(code="JPN"))
    assert japanese.get("/programmes/TORNADO/").status_code == 404, "restricted again"


def test_the_viewer_nation_is_looked_up_at_most_once_per_request(world_with_secrets):
    user = restricted_user(world_with_secrets.nations["JPN"])
    japanese = client_for(user)
    unrestricted = client_for(factories.UserFactory(username="una"))

    for url in PAGES:
        with CaptureQueriesContext(connection) as free:
            unrestricted.get(url)
        with CaptureQueriesContext(connection) as restricted:
            japanese.get(url)
        lookups = [q for q in restricted.captured_queries if "programs_clearance" in q["sql"]]
        assert len(lookups) <= 1, (url, lookups)
        assert len(restricted.captured_queries) <= len(free.captured_queries), url


@pytest.mark.usefixtures("world_with_secrets")
def test_the_pair_tie_chart_counts_only_what_the_viewer_may_see(analyst_client):
    japanese = client_for(restricted_user(Nation.objects.get(code="JPN")))

    hidden = japanese.get("/nations/GBR/ITA/").context["page"]["tie"]
    full = analyst_client.get("/nations/GBR/ITA/").context["page"]["tie"]

    # Tornado and Tempest are released to their participants only, the MoU to the UK and Italy:
    # Japan sees the two in GCAP alone (every shared programme counts on the pair page).
    assert [part.code for part in hidden.parts] == ["GCAP"]
    assert [part.name for part in full.parts] == [
        "Tornado",
        "UK–Italy defence MoU",
        "Tempest",
        "GCAP",
    ]
    assert hidden.since.year == 2022 and full.since.year == 1970
    assert hidden.years[-1][1] == hidden.index < full.index == full.years[-1][1]
    assert "Tornado" not in page_text(japanese, "/nations/GBR/ITA/")
