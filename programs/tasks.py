"""Celery tasks: thin wrappers around the scan and notification services.

Every task is safe to run twice (scans are idempotent; a flag is mailed once) and retries with
exponential backoff when the database or the broker is briefly unreachable. Messages are acked
when a task ends (settings: ``CELERY_TASK_ACKS_LATE``), so a worker that dies mid-scan hands the
scan to another worker; the scan being one transaction, the dead one left nothing behind.
"""

import datetime
import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError

from programs import notifications, subscriptions, webhooks
from programs.balance.scan import ScanResult, scan_all, scan_programme
from programs.models import Programme
from programs.services import scan_queue

logger = logging.getLogger(__name__)

_DB_RETRY: dict[str, Any] = {
    "autoretry_for": (OperationalError, InterfaceError, BrokerError, RedisConnectionError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
}
RETRY: dict[str, Any] = {
    "autoretry_for": (OperationalError, InterfaceError, BrokerError, RedisConnectionError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="programs.scan_programme", **RETRY)
def scan_programme_task(programme_code: str, as_of: str | None = None) -> dict:
    """Scan one programme; ``as_of`` is an ISO date (default today)."""
    scan_queue.clear_pending(programme_code)
    try:
        result = scan_programme(programme_code, _date(as_of))
    except Programme.DoesNotExist:
        logger.info("Programme %s no longer exists; nothing to scan", programme_code)
        return {"programme": programme_code, "skipped": "no such programme"}
    _notify_after_commit([result])
    return _summary(result)


@shared_task(name="programs.scan_all", **RETRY)
def scan_all_task(as_of: str | None = None) -> list[dict]:
    """Scan every programme, then the cross-programme rules (the periodic task)."""
    began = timezone.now()
    results = scan_all(_date(as_of))
    if as_of is None:  # a scan of today covers the on-change scans missed before it began
        scan_queue.forget_missed_scans(covered_since=began)
    _notify_after_commit(results)
    return [_summary(result) for result in results]


@shared_task(name="programs.requeue_missed_scans", **RETRY)
def requeue_missed_scans_task() -> list[str]:
    """Queue the on-change scans that could not be queued while the broker was down."""
    return scan_queue.requeue_missed_scans()


@shared_task(name="programs.notify_critical_flags", **RETRY)
def notify_critical_flags(flag_ids: list[int]) -> int:
    """Mail the analysts about each critical flag not mailed yet; return the mails sent."""
    return notifications.notify_critical_flags(flag_ids)


@shared_task(name="programs.notify_subscribers", **RETRY)
def notify_subscribers(flag_ids: list[int]) -> int:
    """Mail the subscribers of the recent events of these flags and queue their webhooks'
    deliveries; return the mails sent."""
    sent = subscriptions.notify_flag_events(flag_ids)
    for webhook_id, event_id in subscriptions.webhook_deliveries(flag_ids):
        deliver_webhook.delay(webhook_id, event_id)
    return sent


@shared_task(bind=True, name="programs.deliver_webhook", max_retries=None, **_DB_RETRY)
def deliver_webhook(self, webhook_id: int, event_id: int) -> str:
    """One attempt to deliver a flag event to a webhook; a failed one is retried after a
    doubling delay, up to WEBHOOK_RETRIES times (the webhook is disabled sooner if it fails
    WEBHOOK_MAX_FAILURES times in a row)."""
    outcome = webhooks.deliver(webhook_id, event_id, attempt=self.request.retries + 1)
    if outcome.retry and self.request.retries < settings.WEBHOOK_RETRIES:
        raise self.retry(countdown=webhooks.backoff_seconds(self.request.retries))
    return outcome.status


@shared_task(name="programs.send_daily_digests", **RETRY)
def send_daily_digests(day: str | None = None) -> int:
    """Mail the daily digests of ``day`` (an ISO date; default yesterday)."""
    return subscriptions.send_daily_digests(_date(day))


def _notify_after_commit(results: list[ScanResult]) -> None:
    flag_ids = notifications.newly_critical(results)
    if flag_ids:
        transaction.on_commit(lambda: notify_critical_flags.delay(flag_ids))
    changed = sorted(
        {
            flag.pk
            for result in results
            for flag in (*result.opened, *result.updated, *result.resolved)
        }
    )
    if changed:
        transaction.on_commit(lambda: notify_subscribers.delay(changed))


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _summary(result: ScanResult) -> dict:
    return {
        "programme": result.programme,
        "as_of": result.as_of.isoformat(),
        "raised": [flag.pk for flag in result.raised],
        "reopened": [flag.pk for flag in result.reopened],
        "updated": [flag.pk for flag in result.updated],
        "resolved": [flag.pk for flag in result.resolved],
        "snapshots": result.snapshots,
        "seconds": round(result.seconds, 3),
        "error": result.error,
    }
