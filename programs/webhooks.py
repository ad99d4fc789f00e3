"""Webhooks: a subscription's flag events POSTed as signed JSON to an endpoint its owner names.

Only analysts create webhooks, and only to hosts the operator lists in
``WEBHOOK_ALLOWED_HOSTS``; a URL whose host resolves to a loopback, private, link-local or
otherwise non-public address is refused unless the operator sets ``WEBHOOK_ALLOW_PRIVATE``. The
URL is checked again at every delivery (a name may resolve elsewhere by then) and redirects are
not followed.

Every delivery carries ``X-GCAPtrack-Signature: t=<unix time>,v1=<hex>``, the HMAC-SHA256 of
``"<t>." + body`` with the webhook's secret: the receiver recomputes it and checks that ``t`` is
recent. Each attempt is logged (``WebhookDelivery``) with the answer's status code; a 2xx
answer delivers the event, anything else (or no answer) is retried by the Celery task with
exponential backoff. After ``WEBHOOK_MAX_FAILURES`` failed attempts in a row the webhook is
disabled and its owner is mailed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from programs.flags.selectors import visible_flags
from programs.flags.serializers import FlagSerializer
from programs.models import Flag, FlagEvent, Subscription, Webhook, WebhookDelivery
from programs.subscriptions import KIND_WORDS, absolute_url, event_severity, flag_url

SIGNATURE_HEADER = "X-GCAPtrack-Signature"
EVENT_HEADER = "X-GCAPtrack-Event"
USER_AGENT = "GCAPtrack-Webhook/1"


def _host_allowed(host: str, allowed: list[str]) -> bool:
    host = host.lower().rstrip(".")
    for entry in (entry.lower().rstrip(".") for entry in allowed):
        if entry == "*" or entry == host:
            return True
        if entry.startswith(".") and (host.endswith(entry) or host == entry[1:]):
            return True
    return False


def url_error(url: str) -> str | None:
    """Why deliveries may not go to ``url``, or None when they may."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "A webhook URL is an http:// or https:// address."
    host = parts.hostname
    if not _host_allowed(host, settings.WEBHOOK_ALLOWED_HOSTS):
        return (
            f"{host} is not a host webhooks may go to: the operator allows "
            f"{', '.join(settings.WEBHOOK_ALLOWED_HOSTS) or 'none'} (WEBHOOK_ALLOWED_HOSTS)."
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, ValueError):
        return f"{host} does not resolve to an address."
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            return (
                f"{host} resolves to {address}, a loopback or private address: webhooks go to "
                "public addresses only (WEBHOOK_ALLOW_PRIVATE)."
            )
    return None


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def event_name(event: FlagEvent) -> str:
    return KIND_WORDS[event.kind].lower()


#: The fields of the flag (``FlagSerializer``) an event carries, besides the link to its page.
EVENT_FLAG_FIELDS = [
    "id",
    "rule",
    "programme",
    "nation",
    "counterparts",
    "severity",
    "status",
    "explanation",
]


def event_payload(event: FlagEvent, flag: Flag) -> dict:
    """The event with its flag (as ``visible_flags`` lists it) in the flag's JSON shape; the
    severity is the one the event left the flag with."""
    shape = FlagSerializer(flag).data
    return {
        "id": event.pk,
        "event": event_name(event),
        "at": event.at.isoformat(),
        "flag": {name: shape[name] for name in EVENT_FLAG_FIELDS}
        | {"severity": event_severity(event), "url": flag_url(flag)},
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new destination: it could point anywhere."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` and return the answer's status code (raises ``OSError`` for no answer)."""
    # The scheme and host were checked by url_error just before: http(s) to an allowed host.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # nosec B310
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@dataclass(frozen=True)
class Outcome:
    """What one attempt did; ``retry`` when the event should be tried again later."""

    status: str
    retry: bool = False
    status_code: int | None = None


def backoff_seconds(retries: int) -> int:
    """Seconds before the next attempt after ``retries`` retries: doubling each time."""
    return settings.WEBHOOK_RETRY_SECONDS * 2**retries


def deliver(webhook_id: int, event_id: int, attempt: int = 1) -> Outcome:
    """One attempt to deliver the event to the webhook, logged; see the module docstring."""
    webhook = Webhook.objects.select_related("subscription__user").filter(pk=webhook_id).first()
    event = FlagEvent.objects.select_related("flag").filter(pk=event_id).first()
    if webhook is None or event is None or not webhook.active:
        return Outcome("skipped")
    if WebhookDelivery.objects.filter(webhook=webhook, event=event, delivered=True).exists():
        return Outcome("already delivered")
    flag = visible_flags(webhook.subscription.user).filter(pk=event.flag_id).first()
    if flag is None:
        return Outcome("not visible")
    body = json.dumps(event_payload(event, flag), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: event_name(event),
        SIGNATURE_HEADER: signature_header(webhook.secret, int(time.time()), body),
    }
    status_code, error = None, url_error(webhook.url)
    if error is None:
        try:
            status_code = post(webhook.url, body, headers)
        except OSError as failure:
            error = f"No answer: {failure}"
    delivered = status_code is not None and 200 <= status_code < 300
    WebhookDelivery.objects.create(
        webhook=webhook,
        event=event,
        attempt=attempt,
        status_code=status_code,
        delivered=delivered,
        error=error or "",
    )
    if delivered:
        Webhook.objects.filter(pk=webhook.pk).update(failures=0)
        return Outcome("delivered", status_code=status_code)
    return _failed(webhook, status_code)


def _failed(webhook: Webhook, status_code: int | None) -> Outcome:
    webhook.failures += 1
    if webhook.failures < settings.WEBHOOK_MAX_FAILURES:
        webhook.save(update_fields=["failures"])
        return Outcome("failed", retry=True, status_code=status_code)
    webhook.active = False
    webhook.disabled_at = timezone.now()
    webhook.save(update_fields=["failures", "active", "disabled_at"])
    if webhook.subscription.user.email:
        disabled_message(webhook).send()
    return Outcome("disabled", status_code=status_code)


def disabled_message(webhook: Webhook) -> EmailMessage:
    manage = absolute_url(reverse("api:webhook-detail", args=[webhook.pk]))
    return EmailMessage(
        subject=f"[GCAPtrack] Webhook disabled: {webhook.url}",
        body="\n".join(
            [
                f"GCAPtrack stopped sending flag events to {webhook.url}: its last "
                f"{webhook.failures} attempts failed (see its delivery log).",
                "",
                f"Fix the receiver, then turn the webhook back on (PATCH {manage} with "
                '{"active": true}) or create a new one.',
            ]
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[webhook.subscription.user.email],
    )


def enable(webhook: Webhook) -> Webhook:
    """Back on after the owner fixed the receiver: the failure count starts again."""
    webhook.active, webhook.failures, webhook.disabled_at = True, 0, None
    webhook.save(update_fields=["active", "failures", "disabled_at"])
    return webhook


#: How many of a webhook's latest delivery attempts its log shows (API and Following page).
DELIVERIES_SHOWN = 100
#: Who may create webhooks (analysts): they send data out of GCAPtrack.
ADD_PERMISSION = "programs.add_webhook"


class WebhookRefused(ValueError):
    """A webhook was not created: the message says why (the URL's check)."""


def create_webhook(subscription: Subscription, url: str) -> Webhook:
    """A new webhook on ``subscription`` to ``url``, checked like the API's (:func:`url_error`)."""
    error = url_error(url)
    if error:
        raise WebhookRefused(error)
    return Webhook.objects.create(subscription=subscription, url=url)


def recent_deliveries(webhook: Webhook) -> QuerySet[WebhookDelivery]:
    """The webhook's latest delivery attempts, newest first."""
    return webhook.deliveries.all()[:DELIVERIES_SHOWN]


def subscriptions_with_webhooks(user) -> QuerySet[Subscription]:
    """The user's subscriptions, each with its webhooks (``.webhooks.all()``) annotated with
    their last attempt's ``last_status_code``, ``last_delivered`` and ``last_at``: a fixed
    number of queries whatever the count of webhooks."""
    last = WebhookDelivery.objects.filter(webhook=OuterRef("pk")).order_by("-at", "-id")
    webhooks = Webhook.objects.annotate(
        last_status_code=Subquery(last.values("status_code")[:1]),
        last_delivered=Subquery(last.values("delivered")[:1]),
        last_error=Subquery(last.values("error")[:1]),
        last_at=Subquery(last.values("at")[:1]),
    ).order_by("id")
    return (
        Subscription.objects.filter(user=user)
        .select_related("programme", "nation")
        .prefetch_related(Prefetch("webhooks", queryset=webhooks))
    )
