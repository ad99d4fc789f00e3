"""Queueing on-change scans, coalesced, and the bookkeeping of the scans that could not be queued.

With a broker, a Redis key per programme (``SET NX`` with a TTL) marks a scan as queued; the
scan is sent with a countdown of ``SCAN_COALESCE_SECONDS`` and the task deletes the key when it
starts (:func:`clear_pending`), so every save made before the scan reads the data is covered by
it, and a save made after queues the next one.

When the broker cannot be reached the change still commits and the request still succeeds:
the programme is recorded as a :class:`~programs.models.MissedScan` row, and
:func:`requeue_missed_scans` (the periodic task ``programs.requeue_missed_scans``) sends its scan
once the broker is back; the periodic scan of every programme covers and clears them too
(:func:`forget_missed_scans`).

The scan task is sent by its name, so that this module does not import ``programs.tasks``, which
calls it (the tasks are registered when the app loads: ``programs.apps``).
"""

import datetime
import logging

import redis
from celery import current_app
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from gcaptrack.broker import redis_client
from programs import models as m

logger = logging.getLogger(__name__)

SCAN_PROGRAMME_TASK = "programs.scan_programme"
PENDING_KEY = "gcaptrack:scan-pending:{code}"


def queue_coalesced_scan(programme_code: str) -> bool:
    """Send a scan of the programme unless one is already queued; True if one was sent.

    In process (no broker) the scan runs now.
    """
    scan = current_app.tasks[SCAN_PROGRAMME_TASK]
    if current_app.conf.task_always_eager:
        scan.delay(programme_code)
        return True
    client = redis_client()
    key = pending_key(programme_code)
    countdown = settings.SCAN_COALESCE_SECONDS
    if not client.set(key, "queued", nx=True, ex=countdown + 60):
        return False
    try:
        # Nobody waits for an on-change scan's result: no result subscription in the web process.
        scan.apply_async((programme_code,), countdown=countdown, ignore_result=True)
    except BrokerError:
        client.delete(key)
        raise
    return True


def clear_pending(programme_code: str) -> None:
    """Called by the scan task as it starts: later changes must queue a new scan."""
    if settings.REDIS_URL:
        redis_client().delete(pending_key(programme_code))


def pending_key(programme_code: str) -> str:
    return PENDING_KEY.format(code=programme_code)


def record_missed_scan(programme_id: int) -> None:
    """Record, in the database, that a programme's on-change scan could not be queued."""
    m.MissedScan.objects.bulk_create(
        [m.MissedScan(programme_id=programme_id, requested_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["programme"],
        update_fields=["requested_at"],
    )


def requeue_missed_scans() -> list[str]:
    """Queue the scans missed while the broker was down; return the programme codes queued.

    A row is removed only once its scan is queued, and only if no newer miss was recorded
    meanwhile; a row the broker refuses again stays for the next run.
    """
    queued = []
    for missed in m.MissedScan.objects.select_related("programme").order_by("requested_at"):
        try:
            queue_coalesced_scan(missed.programme.code)
        except (redis.RedisError, BrokerError):
            logger.warning("The broker is still unreachable: the scans missed stay recorded")
            break
        m.MissedScan.objects.filter(pk=missed.pk, requested_at__lte=missed.requested_at).delete()
        queued.append(missed.programme.code)
    return queued


def forget_missed_scans(covered_since: datetime.datetime) -> None:
    """Called by the scan of all programmes: misses recorded before it started are covered."""
    m.MissedScan.objects.filter(requested_at__lt=covered_since).delete()


class ScanOnCommit:
    """The on-commit callback that queues one programme's scan (a class, so that a transaction
    can find it again: ``programs.balance.triggers.request_scans``)."""

    def __init__(self, programme_id: int) -> None:
        self.programme_id = programme_id
        self.done = False

    def __call__(self) -> None:
        self.done = True
        code = (
            m.Programme.objects.filter(pk=self.programme_id).values_list("code", flat=True).first()
        )
        if code is None:
            return
        try:
            queue_coalesced_scan(code)
        except (redis.RedisError, BrokerError) as error:
            logger.warning(
                "Could not queue the on-change scan of %s (%s); it is recorded and will be "
                "queued when the broker is back",
                code,
                error,
            )
            try:
                record_missed_scan(self.programme_id)
            except DatabaseError:
                logger.exception(
                    "Could not record the missed scan of %s; the periodic scan will cover it", code
                )
