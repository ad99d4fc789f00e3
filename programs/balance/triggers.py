"""On-change scans: which programmes a change touches, and one coalesced scan of each on commit.

Signal receivers (programs.signals) call :func:`scans_for_change` and nothing else. The scan is
queued when the transaction commits (a rolled-back change queues nothing) and only once:

* within one transaction, a programme's scan is registered with ``on_commit`` once, however
  many of its records change (this is all the coalescing the in-process demo needs);
* across transactions, with a broker, a Redis key per programme marks a scan as queued
  (``programs.services.scan_queue``, which also records the scans the broker could not take).

Code that writes with ``QuerySet.update()`` or ``bulk_create()`` sends no signals: it should
call :func:`request_scans` itself. Nation changes (names, codes) queue nothing: they only change
wording, which the periodic scan refreshes. Cross-programme flags (``global_balance``) are
raised by the periodic scan of all programmes.
"""

from collections.abc import Iterable

from django.conf import settings
from django.db import models, transaction

from programs import data_version
from programs import models as m
from programs.services.scan_queue import ScanOnCommit


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
    request_scans(programmes_touched_by_relation(instance, pk_set))


def programmes_touched_by_relation(
    instance: models.Model, pk_set: Iterable[int] | None
) -> set[int]:
    """The ids of the programmes whose metrics depend on a many-to-many change made from
    ``instance`` to the rows ``pk_set`` (programme predecessors, agreement nations)."""
    ids = set(programmes_touched_by(instance))
    if isinstance(instance, m.Programme) and pk_set:
        ids |= _programmes_sharing_nations_with(pk_set) | set(pk_set)
    elif isinstance(instance, m.Agreement) and pk_set:
        ids |= _programmes_of_nations(pk_set)
    elif isinstance(instance, m.Nation) and pk_set:
        nations = m.Agreement.nations.through.objects.filter(agreement_id__in=pk_set)
        ids |= _programmes_of_nations({instance.pk, *nations.values_list("nation_id", flat=True)})
    return ids


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
        if isinstance(callback, ScanOnCommit) and not callback.done
    }
    for programme_id in set(programme_ids) - already - {None}:
        if programme_id is not None:
            transaction.on_commit(ScanOnCommit(programme_id), robust=True)


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
