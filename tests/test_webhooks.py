"""Webhooks: only analysts create them, only to hosts the operator allows and never to a
loopback or private address unless allowed; a real worker delivers a signed event to a
receiver started by the test, retries after a 500, and disables a webhook that keeps failing,
mailing its owner."""

import datetime
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from programs.models import Flag, FlagEvent, Subscription, Webhook, WebhookDelivery
from programs.tasks import notify_subscribers
from programs.webhooks import SIGNATURE_HEADER, url_error
from tests import factories
from tests.api.conftest import token_client
from tests.celery_fixtures import wait_for


class Receiver:
    """A local HTTP endpoint answering POSTs with the scripted status codes (then the last)."""

    def __init__(self, codes: list[int]):
        self.codes = list(codes)
        #: (headers, read case-insensitively; body) of each request received.
        self.requests: list[tuple] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.headers, body))
                code = receiver.codes.pop(0) if len(receiver.codes) > 1 else receiver.codes[0]
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/gcaptrack-hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def verified(secret: str, headers: dict, body: bytes) -> bool:
    """The receiver's check: recompute the HMAC over "<t>." + body and compare."""
    fields = dict(part.split("=", 1) for part in headers[SIGNATURE_HEADER].split(","))
    expected = hmac.new(
        secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and abs(time.time() - int(fields["t"])) < 300


def raised_flag() -> Flag:
    programme = factories.ProgrammeFactory(code="LEAD", name="Programme LEAD")
    jpn = factories.NationFactory(code="JPN", name="Japan")
    factories.ParticipationFactory(programme=programme, nation=jpn)
    now = timezone.now()
    flag = Flag.objects.create(
        rule="leadership_deficit",
        programme=programme,
        nation=jpn,
        severity="critical",
        metric="leadership_ratio",
        explanation="Japan holds no lead role.",
        fingerprint="leadership_deficit|LEAD|JPN",
        first_seen_at=now,
        last_seen_at=now,
    )
    FlagEvent.objects.create(
        flag=flag, kind=FlagEvent.Kind.RAISED, at=now, data={"severity": "critical"}
    )
    return flag


def webhook_to(url: str) -> Webhook:
    owner = factories.UserFactory(username="ana", email="ana@example.org", groups=["analyst"])
    subscription = Subscription.objects.create(
        user=owner, everything=True, min_severity="info", delivery=Subscription.Delivery.NONE
    )
    subscription.created_at = timezone.now() - datetime.timedelta(minutes=5)
    subscription.save()
    return Webhook.objects.create(subscription=subscription, url=url)


WORKER_ENV = {
    "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
    "WEBHOOK_ALLOW_PRIVATE": "1",
    "WEBHOOK_RETRY_SECONDS": "1",
    "WEBHOOK_MAX_FAILURES": "3",
}


@pytest.mark.worker
def test_a_worker_delivers_a_signed_event_and_retries_after_a_500(start_worker, groups):
    flag = raised_flag()
    with Receiver([500, 200]) as receiver:
        webhook = webhook_to(receiver.url)
        start_worker(**WORKER_ENV)

        notify_subscribers.delay([flag.pk])

        def delivered():
            """the event to be delivered on its second attempt"""
            return WebhookDelivery.objects.filter(webhook=webhook, delivered=True).exists()

        wait_for(delivered, timeout=60)

    attempts = list(
        WebhookDelivery.objects.filter(webhook=webhook)
        .order_by("attempt")
        .values_list("attempt", "status_code", "delivered")
    )
    assert attempts == [(1, 500, False), (2, 200, True)]
    assert len(receiver.requests) == 2
    for headers, body in receiver.requests:
        assert verified(webhook.secret, headers, body)
        assert headers["Content-Type"] == "application/json"
    payload = json.loads(receiver.requests[-1][1])
    assert payload["event"] == "raised"
    assert payload["flag"] | {"url": None} == {
        "id": flag.pk,
        "rule": "leadership_deficit",
        "programme": "LEAD",
        "nation": "JPN",
        "counterparts": [],
        "severity": "critical",
        "status": "open",
        "explanation": "Japan holds no lead role.",
        "url": None,
    }
    assert not verified("another secret", *receiver.requests[-1])
    webhook.refresh_from_db()
    assert (webhook.active, webhook.failures) == (True, 0)


@pytest.mark.worker
def test_a_webhook_failing_the_configured_times_is_disabled_and_its_owner_mailed(
    start_worker, groups, mail_dir
):
    flag = raised_flag()
    with Receiver([500]) as receiver:
        webhook = webhook_to(receiver.url)
        start_worker(**WORKER_ENV)

        notify_subscribers.delay([flag.pk])

        def disabled():
            """the webhook to be disabled after three failed attempts"""
            webhook.refresh_from_db()
            return not webhook.active

        wait_for(disabled, timeout=60)
        time.sleep(2.5)  # no attempt after the webhook was disabled

    assert webhook.failures == 3
    assert len(receiver.requests) == 3
    assert WebhookDelivery.objects.filter(webhook=webhook, status_code=500).count() == 3

    def mailed():
        """the owner's notice to be written to the mail directory"""
        return [path.read_text() for path in mail_dir.iterdir()]

    text = wait_for(mailed, timeout=20)[0]
    assert "Subject: [GCAPtrack] Webhook disabled:" in text
    assert "To: ana@example.org" in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
    ],
)
def test_a_loopback_or_private_url_is_refused_unless_the_operator_allows_it(settings, url):
    settings.WEBHOOK_ALLOWED_HOSTS = ["*"]
    settings.WEBHOOK_ALLOW_PRIVATE = False
    assert "loopback or private address" in url_error(url)

    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert url_error(url) is None


@pytest.mark.django_db
def test_only_allowed_hosts_take_webhooks(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = [".example.org"]
    settings.WEBHOOK_ALLOW_PRIVATE = True

    assert "not a host webhooks may go to" in url_error("https://evil.test/hook")
    assert url_error("ftp://hooks.example.org/x") == (
        "A webhook URL is an http:// or https:// address."
    )
    assert "does not resolve" in url_error("https://nowhere.invalid.example.org/hook")


@pytest.mark.django_db
def test_only_analysts_create_webhooks_and_a_private_url_is_a_400(settings):
    from programs.api.tokens import issue_token

    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_ALLOW_PRIVATE = False
    analyst = factories.UserFactory(username="ana", groups=["analyst"])
    viewer = factories.UserFactory(username="vic", groups=["viewer"])
    mine = Subscription.objects.create(user=analyst, everything=True)
    theirs = Subscription.objects.create(user=viewer, everything=True)
    ana = token_client(issue_token(analyst, "hooks")[1])
    vic = token_client(issue_token(viewer, "hooks")[1])
    body = {"subscription": mine.pk, "url": "http://127.0.0.1:9/hook"}

    assert vic.post("/api/v1/webhooks/", {**body, "subscription": theirs.pk}).status_code == 403
    refused = ana.post("/api/v1/webhooks/", body, format="json")
    assert refused.status_code == 400
    assert "loopback or private address" in refused.json()["url"][0]
    assert (
        ana.post(
            "/api/v1/webhooks/", {**body, "subscription": theirs.pk}, format="json"
        ).status_code
        == 400
    )
    assert not Webhook.objects.exists()

    settings.WEBHOOK_ALLOW_PRIVATE = True
    created = ana.post("/api/v1/webhooks/", body, format="json")
    assert created.status_code == 201, created.content
    assert len(created.json()["secret"]) == 64
    listed = ana.get("/api/v1/webhooks/").json()["results"]
    assert [row["url"] for row in listed] == ["http://127.0.0.1:9/hook"]
    assert "secret" not in listed[0]
    assert ana.get(f"/api/v1/webhooks/{listed[0]['id']}/deliveries/").json() == []


@pytest.mark.django_db
def test_webhooks_are_managed_on_the_following_page(settings):
    from django.test import Client

    settings.SECURE_SSL_REDIRECT = False
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_ALLOW_PRIVATE = False
    analyst = factories.UserFactory(username="ana", groups=["analyst"])
    viewer = factories.UserFactory(username="vic", groups=["viewer"])
    mine = Subscription.objects.create(user=analyst, everything=True)
    theirs = Subscription.objects.create(user=viewer, everything=True)
    ana, vic = Client(), Client()
    ana.force_login(analyst)
    vic.force_login(viewer)

    page = ana.get("/subscriptions/")
    assert f'action="/subscriptions/{mine.pk}/webhooks/"' in page.text
    refused = ana.post(
        f"/subscriptions/{mine.pk}/webhooks/", {"url": "http://127.0.0.1:9/hook"}, follow=True
    )
    assert refused.status_code == 200
    assert "The webhook was not added:" in refused.text
    assert "loopback or private address" in refused.text
    assert (
        "not a host webhooks may go to"
        in ana.post(
            f"/subscriptions/{mine.pk}/webhooks/", {"url": "https://evil.test/hook"}, follow=True
        ).text
    )
    assert not Webhook.objects.exists()

    settings.WEBHOOK_ALLOW_PRIVATE = True
    added = ana.post(
        f"/subscriptions/{mine.pk}/webhooks/", {"url": "http://127.0.0.1:9/hook"}, follow=True
    )
    webhook = Webhook.objects.get()
    assert (webhook.subscription, webhook.url, webhook.active) == (
        mine,
        "http://127.0.0.1:9/hook",
        True,
    )
    assert webhook.secret in added.text  # shown this once
    assert "none yet" in added.text
    assert webhook.secret not in ana.get("/subscriptions/").text

    # Its delivery log, and the last delivery's status on the Following page.
    flag = raised_flag()
    event = FlagEvent.objects.get(flag=flag)
    WebhookDelivery.objects.create(webhook=webhook, event=event, attempt=1, status_code=500)
    WebhookDelivery.objects.create(
        webhook=webhook, event=event, attempt=2, status_code=204, delivered=True
    )
    Webhook.objects.filter(pk=webhook.pk).update(active=False, disabled_at=timezone.now())
    listed = ana.get("/subscriptions/").text
    row = listed.split(f'id="webhook-{webhook.pk}"')[1].split("</tr>")[0]
    assert "http://127.0.0.1:9/hook" in row and "disabled" in row and "delivered (204)" in row
    assert f'href="/webhooks/{webhook.pk}/deliveries/"' in row
    log = ana.get(f"/webhooks/{webhook.pk}/deliveries/")
    assert log.status_code == 200
    assert [(d.attempt, d.status_code) for d in log.context["deliveries"]] == [(2, 204), (1, 500)]
    assert ">500<" in log.text and ">204<" in log.text

    # A viewer sees no form, and their POST is refused; another user's webhook is missing.
    assert 'aria-label="New webhook"' not in vic.get("/subscriptions/").text
    assert (
        vic.post(
            f"/subscriptions/{theirs.pk}/webhooks/", {"url": "http://127.0.0.1:9/x"}
        ).status_code
        == 403
    )
    other = Client()
    other.force_login(factories.UserFactory(username="bob", groups=["analyst"]))
    assert other.get(f"/webhooks/{webhook.pk}/deliveries/").status_code == 404
    assert other.post(f"/webhooks/{webhook.pk}/delete/").status_code == 404
    assert (
        other.post(
            f"/subscriptions/{mine.pk}/webhooks/", {"url": "http://127.0.0.1:9/x"}
        ).status_code
        == 404
    )
    assert vic.post(f"/webhooks/{webhook.pk}/delete/").status_code == 404
    assert Webhook.objects.count() == 1

    deleted = ana.post(f"/webhooks/{webhook.pk}/delete/", follow=True)
    assert deleted.status_code == 200 and "deleted" in deleted.text
    assert not Webhook.objects.exists()
    assert not WebhookDelivery.objects.exists()
