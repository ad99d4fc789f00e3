"""Status changes of tech-transfer milestones made in bulk (the admin's actions use these).

Each milestone is validated and saved on its own, never with ``queryset.update()``, so that
django-simple-history writes a historical record (who, when, what changed) for every row.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from programs.models import TechTransferMilestone

Status = TechTransferMilestone.Status

#: Milestones a "mark blocked" leaves alone: they are over.
FINISHED = {Status.ACHIEVED, Status.CANCELLED}


@dataclass(frozen=True)
class BulkStatusResult:
    changed: int
    skipped: int


def _save_all(milestones: list[TechTransferMilestone], by: AbstractBaseUser | None) -> None:
    """Validate every milestone first, then save each (all or nothing)."""
    for milestone in milestones:
        milestone.full_clean()
    with transaction.atomic():
        for milestone in milestones:
            if by is not None:
                # simple_history reads this attribute, which it leaves undeclared.
                milestone._history_user = by  # type: ignore[attr-defined]
            milestone.save()


def mark_achieved(
    milestones: Iterable[TechTransferMilestone],
    *,
    on: datetime.date | None = None,
    by: AbstractBaseUser | None = None,
) -> BulkStatusResult:
    """Mark milestones achieved on ``on`` (default: today, UTC).

    Milestones already achieved keep their date and are skipped. Raises ``ValidationError``
    and changes nothing if any milestone would be invalid afterwards.
    """
    on = on or timezone.now().date()
    changed, skipped = [], 0
    for milestone in milestones:
        if milestone.status == Status.ACHIEVED:
            skipped += 1
            continue
        milestone.status = Status.ACHIEVED
        milestone.achieved_on = on
        changed.append(milestone)
    _save_all(changed, by)
    return BulkStatusResult(changed=len(changed), skipped=skipped)


def mark_blocked(
    milestones: Iterable[TechTransferMilestone], *, by: AbstractBaseUser | None = None
) -> BulkStatusResult:
    """Mark open milestones blocked; achieved, cancelled and already blocked ones are skipped."""
    changed, skipped = [], 0
    for milestone in milestones:
        if milestone.status in FINISHED or milestone.status == Status.BLOCKED:
            skipped += 1
            continue
        milestone.status = Status.BLOCKED
        changed.append(milestone)
    _save_all(changed, by)
    return BulkStatusResult(changed=len(changed), skipped=skipped)
