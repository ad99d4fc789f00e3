"""Each dashboard page costs the same number of queries with the seeds and with ten times as
many rows on top: no query per programme, nation, flag or snapshot."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.dashboards.data import SCAN_OFFSETS, add_synthetic_rows, load_seeds_and_scan

PAGES = [
    "/",
    "/programmes/GCAP/",
    "/nations/JPN/GBR/",
    "/flags/",
    "/flags/?programme=GCAP&nation=JPN&status=",
]
#: A generous ceiling: the point is that the count does not grow, but a page should stay cheap.
MAX_QUERIES = 60


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(context.captured_queries)


@pytest.mark.django_db
def test_every_page_costs_the_same_queries_with_ten_times_the_rows(analyst_client):
    load_seeds_and_scan()
    seeded = {url: count_queries(analyst_client, url) for url in PAGES}

    add_synthetic_rows(10)
    grown = {url: count_queries(analyst_client, url) for url in PAGES}

    assert grown == seeded
    assert max(seeded.values()) <= MAX_QUERIES, seeded


@pytest.mark.django_db
def test_programme_page_stays_under_its_query_budget(analyst_client, django_assert_max_num_queries):
    load_seeds_and_scan()
    before = analyst_client.get("/programmes/GCAP/").context["page"]["balance"]
    add_synthetic_rows(10)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = analyst_client.get("/programmes/GCAP/")
    assert response.status_code == 200
    # The synthetic rows are on the page: 10 boards × 3 decisions more counted votes each.
    after = response.context["page"]["balance"]
    assert after.nation("JPN").counted_votes == before.nation("JPN").counted_votes + 30
    assert len(response.context["page"]["trend_table"]) == len(SCAN_OFFSETS) + 10
    assert b"Synthetic flag 0." in response.content


@pytest.mark.django_db
def test_the_following_and_flags_pages_cost_the_same_queries_with_more_subscriptions_and_views(
    analyst, analyst_client
):
    from programs.models import SavedFlagView, Subscription, Webhook
    from tests import factories

    programme = factories.ProgrammeFactory(code="GCAP")
    nation = factories.NationFactory(code="JPN")

    def add(index: int) -> None:
        Subscription.objects.create(user=analyst, programme=programme, name=f"GCAP {index}")
        japan = Subscription.objects.create(user=analyst, nation=nation, name=f"Japan {index}")
        Webhook.objects.create(subscription=japan, url=f"https://hooks.example.org/{index}")
        Webhook.objects.create(subscription=japan, url=f"https://hooks.example.org/{index}/b")
        SavedFlagView.objects.create(user=analyst, name=f"View {index}", query="nation=JPN")

    add(0)
    few = {url: count_queries(analyst_client, url) for url in ("/subscriptions/", "/flags/")}
    for index in range(1, 15):
        add(index)
    many = {url: count_queries(analyst_client, url) for url in ("/subscriptions/", "/flags/")}

    assert many == few
