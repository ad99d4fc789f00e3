"""On-change scans: which programmes a change touches, and one coalesced scan of each on commit.

Signal receivers (programs.signals) call :func:`scans_for_change` and nothing else. The scan is
queued when the transaction commits (a rolled-back change queues nothing) and only once:

* within one transaction, a programme's scan is registered with ``on_commit`` once, however
  many of its records change (this is all the coalescing the in-process demo needs);
* across transactions, with a broker, a Redis key per programme (``SET NX`` with a TTL) marks a
  scan as queued; the scan is sent with a countdown of ``SCAN_COALESCE_SECONDS`` and the task
  deletes the key when it starts, so every save made before the scan reads the data is covered
  by it, and a save made after queues the next one.

When the broker cannot be reached the change still commits and the request still succeeds:
the programme is recorded as a :class:`~programs.models.MissedScan` row, and
:func:`requeue_missed_scans` (the periodic task ``programs.requeue_missed_scans``) sends its scan
once the broker is back; the periodic scan of every programme covers and clears them too.

Code that writes with ``QuerySet.update()`` or ``bulk_create()`` sends no signals: it should
call :func:`request_scans` itself. Nation changes (names, codes) queue nothing: they only change
wording, which the periodic scan refreshes. Cross-programme flags (``global_balance``) are
raised by the periodic scan of all programmes.
"""

import datetime
import functools
import logging
from collections.abc import Iterable

import redis
from django.conf import settings
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from programs import data_version
from programs import models as m

logger = logging.getLogger(__name__)

PENDING_KEY = "gcaptrack:scan-pending:{code}"


def scans_for_change(instance: models.Model) -> None:
    """Queue a scan of every programme whose figures a saved or deleted ``instance`` feeds."""
    if not settings.CELERY_ON_CHANGE_SCANS:
        return
    request_scans(programmes_touched_by(instance))


def scans_for_relation_change(instance: models.Model, pk_set: Iterable[int] | None) -> None:
    """Queue scans after a many-to-many change (programme predecessors, agreement nations).

    ``instance`` is the side the change was made from; ``pk_set`` the ids on the other side.
    """
    if not settings.CELERY_ON_CHANGE_SCANS:
        return
    ids = set(programmes_touched_by(instance))
    if isinstance(instance, m.Programme) and pk_set:
        ids |= _programmes_sharing_nations_with(pk_set) | set(pk_set)
    elif isinstance(instance, m.Agreement) and pk_set:
        ids |= _programmes_of_nations(pk_set)
    elif isinstance(instance, m.Nation) and pk_set:
        nations = m.Agreement.nations.through.objects.filter(agreement_id__in=pk_set)
        ids |= _programmes_of_nations({instance.pk, *nations.values_list("nation_id", flat=True)})
    request_scans(ids)


def programmes_touched_by(instance: models.Model) -> set[int]:
    """The ids of the programmes whose metrics depend on ``instance``."""
    if isinstance(instance, m.Programme):
        # Its own figures, and the prior ties (dates, predecessors) of programmes sharing nations.
        return {instance.pk} | _programmes_sharing_nations_with([instance.pk])
    if isinstance(instance, m.Participation):
        # Its programme, and the prior ties of the nation in every other programme it is in.
        return {instance.programme_id} | _programmes_of_nations([instance.nation_id])
    direct = getattr(instance, "programme_id", None)
    if isinstance(
        instance,
        m.Contribution
        | m.WorkPackage
        | m.LeadershipRole
        | m.ThresholdOverride
        | m.DecisionBody
        | m.TechTransferMilestone,
    ):
        return {direct} if direct is not None else set()
    if isinstance(instance, m.WorkshareAllocation):
        return _ids(
            m.WorkPackage.objects.filter(pk=instance.work_package_id).values_list("programme_id")
        )
    if isinstance(instance, m.Seat | m.Decision):
        return _ids(m.DecisionBody.objects.filter(pk=instance.body_id).values_list("programme_id"))
    if isinstance(instance, m.Vote):
        return _ids(
            m.Decision.objects.filter(pk=instance.decision_id).values_list("body__programme_id")
        )
    if isinstance(instance, m.OwnershipStake):
        # Work placed with the venture, or with any venture it owns part of, is split through
        # these stakes.
        return _programmes_with_work_at(_with_ventures_owned([instance.venture_id]))
    if isinstance(instance, m.Organisation):
        # Its nation decides where its work and its transfers count.
        return _programmes_with_work_at(_with_ventures_owned([instance.pk])) | _ids(
            m.TechTransferMilestone.objects.filter(
                models.Q(provider_id=instance.pk) | models.Q(recipient_id=instance.pk)
            ).values_list("programme_id")
        )
    if isinstance(instance, m.Agreement):
        # Agreements feed the prior ties of their nations wherever these take part.
        if instance.pk is None:
            return set()
        return _programmes_of_nations(instance.nations.values_list("pk", flat=True))
    return set()


def request_scans(programme_ids: Iterable[int | None]) -> None:
    """Queue one scan of each programme when the current transaction commits.

    Outside a transaction the scan is queued at once. Programmes deleted meanwhile are skipped.
    Every writer calls this (bulk writers too), so it also moves the data version that cached
    balance reports are keyed by.
    """
    data_version.bump()
    if not settings.CELERY_ON_CHANGE_SCANS:
        return
    connection = transaction.get_connection()
    already = {
        callback.programme_id
        for _savepoints, callback, *_rest in connection.run_on_commit
        if isinstance(callback, _ScanOnCommit) and not callback.done
    }
    for programme_id in set(programme_ids) - already:
        if programme_id is not None:
            transaction.on_commit(_ScanOnCommit(programme_id), robust=True)


def queue_coalesced_scan(programme_code: str) -> bool:
    """Send a scan of the programme unless one is already queued; True if one was sent.

    In process (no broker) the scan runs now.
    """
    from programs.tasks import scan_programme_task

    if scan_programme_task.app.conf.task_always_eager:
        scan_programme_task.delay(programme_code)
        return True
    client = redis_client()
    key = pending_key(programme_code)
    countdown = settings.SCAN_COALESCE_SECONDS
    if not client.set(key, "queued", nx=True, ex=countdown + 60):
        return False
    try:
        # Nobody waits for an on-change scan's result: no result subscription in the web process.
        scan_programme_task.apply_async((programme_code,), countdown=countdown, ignore_result=True)
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
    """Keep, in the database, that a programme's on-change scan could not be queued."""
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


@functools.cache
def redis_client() -> redis.Redis:
    # Short timeouts: a save must not hang on an unreachable Redis (the scan is then recorded).
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


class _ScanOnCommit:
    """The on-commit callback for one programme (a class, so a transaction can find it again)."""

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


def _ids(values: models.QuerySet) -> set[int]:
    return {row[0] for row in values if row[0] is not None}


def _programmes_of_nations(nation_ids: Iterable[int]) -> set[int]:
    return _ids(
        m.Participation.objects.filter(nation_id__in=list(nation_ids))
        .values_list("programme_id")
        .distinct()
    )


def _programmes_sharing_nations_with(programme_ids: Iterable[int]) -> set[int]:
    nations = m.Participation.objects.filter(programme_id__in=list(programme_ids)).values(
        "nation_id"
    )
    return _ids(
        m.Participation.objects.filter(nation_id__in=nations).values_list("programme_id").distinct()
    )


def _with_ventures_owned(organisation_ids: Iterable[int]) -> set[int]:
    """The organisations and every venture they own part of, however indirectly."""
    found = set(organisation_ids)
    frontier = set(found)
    while frontier:
        owned = _ids(
            m.OwnershipStake.objects.filter(owner_id__in=frontier).values_list("venture_id")
        )
        frontier = owned - found
        found |= frontier
    return found


def _programmes_with_work_at(organisation_ids: set[int]) -> set[int]:
    return _ids(
        m.WorkshareAllocation.objects.filter(organisation_id__in=organisation_ids)
        .values_list("work_package__programme_id")
        .distinct()
    )
