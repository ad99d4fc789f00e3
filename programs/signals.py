"""Signal receivers: thin, they hand every change to programs.balance.triggers.

Connected in ProgramsConfig.ready(). Scan output (flags, events, snapshots) and scenario-load
records are not tracked data and are not watched, so a scan never triggers a scan.
"""

from django.db.models.signals import m2m_changed, post_save, pre_delete

from programs import models as m
from programs.balance import triggers

#: Every model whose rows feed a programme's metrics.
TRACKED_MODELS = (
    m.Programme,
    m.Participation,
    m.Contribution,
    m.WorkPackage,
    m.WorkshareAllocation,
    m.LeadershipRole,
    m.ThresholdOverride,
    m.DecisionBody,
    m.Seat,
    m.Decision,
    m.Vote,
    m.TechTransferMilestone,
    m.Organisation,
    m.OwnershipStake,
    m.Agreement,
)

#: Many-to-many relations that feed prior ties.
TRACKED_RELATIONS = (m.Programme.predecessors.through, m.Agreement.nations.through)

_M2M_ACTIONS = {"post_add", "post_remove", "pre_clear"}


def on_save(sender, instance, raw=False, **kwargs) -> None:
    if raw:  # loaddata: fixtures are not changes an analyst made
        return
    triggers.scans_for_change(instance)


def on_delete(sender, instance, **kwargs) -> None:
    # pre_delete, not post_delete: the rows that lead to the programme still exist.
    triggers.scans_for_change(instance)


def on_relation_change(sender, instance, action, pk_set, **kwargs) -> None:
    if action in _M2M_ACTIONS:
        triggers.scans_for_relation_change(instance, pk_set)


def connect() -> None:
    for model in TRACKED_MODELS:
        post_save.connect(on_save, sender=model, dispatch_uid=f"scan-on-save-{model.__name__}")
        pre_delete.connect(on_delete, sender=model, dispatch_uid=f"scan-on-delete-{model.__name__}")
    for through in TRACKED_RELATIONS:
        m2m_changed.connect(
            on_relation_change, sender=through, dispatch_uid=f"scan-on-m2m-{through.__name__}"
        )
