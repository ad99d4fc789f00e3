"""*Download* links of the Following page: the subscriptions table and a webhook's delivery
log, each the API's file of the rows the page shows, the signed-in user's own only."""

import re

import pytest
from django.utils import timezone

from programs.models import FlagEvent, Subscription, Webhook, WebhookDelivery
from tests import factories
from tests.admin_helpers import https_client
from tests.dashboards.tables import csv_table, page_blocks, xlsx_sheets

pytestmark = pytest.mark.django_db


def hook_with_deliveries(user, outcomes: list[tuple[int | None, bool, str]]) -> Webhook:
    subscription = Subscription.objects.create(user=user, everything=True, name="all")
    webhook = Webhook.objects.create(subscription=subscription, url="https://hooks.example.org/a")
    flag = factories.FlagFactory()
    event = FlagEvent.objects.create(
        flag=flag, kind=FlagEvent.Kind.choices[0][0], at=timezone.now()
    )
    for attempt, (code, delivered, error) in enumerate(outcomes, start=1):
        WebhookDelivery.objects.create(
            webhook=webhook,
            event=event,
            attempt=attempt,
            status_code=code,
            delivered=delivered,
            error=error,
        )
    return webhook


@pytest.fixture
def ana():
    return factories.UserFactory(username="ana", groups=["analyst"])


def test_the_delivery_log_downloads_its_rows(ana):
    webhook = hook_with_deliveries(
        ana, [(500, False, ""), (None, False, "timed out"), (200, True, "")]
    )
    client = https_client(ana)
    html = client.get(f"/webhooks/{webhook.pk}/deliveries/").content.decode()
    [table] = [b for b in page_blocks(html) if b.element_id == "deliveries-table"]
    assert set(table.links) == {"CSV", "XLSX"}

    columns, rows = csv_table(client.get(table.links["CSV"]))
    assert columns == ["when", "event", "attempt", "response_code", "outcome"]
    shown = [cells[1:] for cells in table.rows]  # event, attempt, response code, outcome
    filed = [[r["event"], r["attempt"], r["response_code"] or "—", r["outcome"]] for r in rows]
    assert filed == shown
    assert [r["outcome"] for r in rows] == ["delivered", "failed: timed out", "failed"]
    [sheet] = xlsx_sheets(client.get(table.links["XLSX"])).values()
    assert [line[1:] for line in sheet[1:]] == [
        (
            int(r["event"]),
            int(r["attempt"]),
            int(r["response_code"]) if r["response_code"] else None,
            r["outcome"],
        )
        for r in rows
    ]


def test_someone_elses_delivery_log_is_missing_in_every_format(ana):
    webhook = hook_with_deliveries(ana, [(200, True, "")])
    other = https_client(factories.UserFactory(username="bob", groups=["analyst"]))
    for fmt in ("json", "csv", "xlsx"):
        response = other.get(f"/api/v1/webhooks/{webhook.pk}/deliveries/?format={fmt}")
        assert response.status_code == 404, fmt


def test_the_subscriptions_table_downloads_the_users_own_rows(ana):
    Subscription.objects.create(user=ana, everything=True, name="=all")
    Subscription.objects.create(user=ana, everything=True, min_severity="critical")
    bob = factories.UserFactory(username="bob", groups=["analyst"])
    Subscription.objects.create(user=bob, everything=True, name="bob's")
    client = https_client(ana)
    html = client.get("/subscriptions/").content.decode()
    [table] = [b for b in page_blocks(html) if b.element_id == "subscriptions-table"]
    links = table.links
    assert set(links) == {"CSV", "XLSX"}
    shown = re.findall(
        r'<tr id="subscription-\d+">\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>', html
    )

    columns, rows = csv_table(client.get(links["CSV"]))
    assert columns == ["name", "follows", "email", "feed_url"]
    assert [(r["name"].lstrip("'") or "—", r["follows"], r["email"]) for r in rows] == [
        tuple(map(str, cells)) for cells in shown
    ]
    assert rows[0]["name"] == "'=all"
    assert "bob's" not in str(rows)
    [sheet] = xlsx_sheets(client.get(links["XLSX"])).values()
    assert len(sheet) - 1 == len(rows) == 2


def test_the_files_take_a_constant_number_of_queries(ana, django_assert_max_num_queries):
    webhook = hook_with_deliveries(ana, [(200, True, "")])
    delivery = webhook.deliveries.get()
    client = https_client(ana)
    for attempt in (2, 3):  # more rows add no query
        Subscription.objects.create(user=ana, everything=True)
        WebhookDelivery.objects.create(
            webhook=webhook, event=delivery.event, attempt=attempt, delivered=True
        )
        with django_assert_max_num_queries(8):
            csv_table(client.get("/api/v1/subscriptions/?format=csv"))
        with django_assert_max_num_queries(8):
            xlsx_sheets(client.get(f"/api/v1/webhooks/{webhook.pk}/deliveries/?format=xlsx"))


def test_a_format_the_log_does_not_offer_is_a_400_on_the_field(ana):
    webhook = hook_with_deliveries(ana, [(200, True, "")])
    response = https_client(ana).get(f"/api/v1/webhooks/{webhook.pk}/deliveries/?format=pdf")

    assert response.status_code == 400
    assert "csv" in response.json()["format"][0]
