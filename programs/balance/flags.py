"""The flag lifecycle of SPEC §3: raise, update, acknowledge, resolve, reopen.

Scans hand ``apply_conditions`` what the rules found; it upserts flags by fingerprint and keeps
one ``FlagEvent`` per transition. Hysteresis comes from the rules: a condition without a
severity (between the raise and the recovery threshold) keeps a live flag as it is but raises
none, and only a nation past the recovery threshold (no condition at all) resolves its flag.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from programs.balance.rules.registry import Condition
from programs.models import Flag, FlagEvent, Nation, PendingCondition, Programme

LIVE = (Flag.Status.OPEN, Flag.Status.ACKNOWLEDGED)
ACKNOWLEDGE_PERMISSION = "programs.acknowledge_flag"


class FlagStateError(Exception):
    """The flag cannot make this transition (e.g. acknowledging a resolved flag)."""


@dataclass
class Outcome:
    """What applying one scan's conditions did to the flags in its scope."""

    raised: list[Flag] = field(default_factory=list)
    updated: list[Flag] = field(default_factory=list)
    resolved: list[Flag] = field(default_factory=list)
    reopened: list[Flag] = field(default_factory=list)
    unchanged: list[Flag] = field(default_factory=list)
    #: Conditions seen but waiting for more consecutive scans before raising.
    pending: list[str] = field(default_factory=list)


FIGURES = ("severity", "metric", "value", "threshold", "explanation", "evidence")


def _figures(condition: Condition) -> dict:
    return {
        "metric": condition.metric,
        "value": _six(condition.value),
        "threshold": _six(condition.threshold),
        "explanation": condition.explanation,
        "evidence": condition.evidence,
    }


def _six(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.000001"))


def _json(value):
    return str(value) if isinstance(value, Decimal) else value


def apply_conditions(
    conditions: list[Condition],
    *,
    programme: Programme | None,
    rules: list[str],
    consecutive_scans: dict[str, int],
    now: datetime.datetime | None = None,
) -> Outcome:
    """Bring the live flags of ``rules`` in the programme (None: cross-programme) in line with
    what a scan found. Runs in the caller's transaction; the caller holds the scan lock."""
    now = now or timezone.now()
    outcome = Outcome()
    scope = {"programme": programme, "rule__in": rules}
    live = {
        flag.fingerprint: flag
        for flag in Flag.objects.select_for_update(of=("self",)).filter(status__in=LIVE, **scope)
    }
    pending = {p.fingerprint: p for p in PendingCondition.objects.filter(**scope)}
    by_fingerprint = {c.fingerprint: c for c in conditions}

    to_open = [c for fp, c in by_fingerprint.items() if c.severity is not None and fp not in live]
    earlier = {}
    if to_open:
        for flag in (
            Flag.objects.filter(
                status=Flag.Status.RESOLVED, fingerprint__in=[c.fingerprint for c in to_open]
            )
            .order_by("resolved_at", "id")
            .only("id", "fingerprint", "resolved_at")
        ):
            earlier[flag.fingerprint] = flag
    codes = {c.nation for c in to_open} | {code for c in to_open for code in c.counterparts}
    nations = {n.code: n for n in Nation.objects.filter(code__in=codes)} if codes else {}

    touched: list[int] = []
    for fp, condition in by_fingerprint.items():
        open_flag = live.get(fp)
        if open_flag is not None:
            if _update(open_flag, condition, now):
                outcome.updated.append(open_flag)
            else:
                touched.append(open_flag.pk)
                outcome.unchanged.append(open_flag)
            continue
        if condition.severity is None:
            continue
        needed = max(1, consecutive_scans.get(condition.rule, 1))
        seen = pending.pop(fp, None)
        scans = (seen.scans if seen else 0) + 1
        if scans < needed:
            _remember(seen, condition, programme, nations, scans, now)
            outcome.pending.append(fp)
            continue
        if seen is not None:
            seen.delete()
        flag = _open(condition, programme, nations, now, earlier.get(fp))
        (outcome.reopened if flag.reopens_id else outcome.raised).append(flag)

    if touched:
        Flag.objects.filter(pk__in=touched).update(last_seen_at=now)
        for flag in outcome.unchanged:
            flag.last_seen_at = now
    gone = [p.pk for fp, p in pending.items() if fp not in outcome.pending]
    if gone:
        PendingCondition.objects.filter(pk__in=gone).delete()
    for fp, flag in live.items():
        if fp not in by_fingerprint:
            _resolve(flag, now)
            outcome.resolved.append(flag)
    return outcome


def _update(flag: Flag, condition: Condition, now: datetime.datetime) -> bool:
    """Refresh a live flag's figures; True (and an 'updated' event) when something changed.

    A condition in the hysteresis band keeps the flag open at the lowest severity: the figure
    is no longer past any raise threshold, so a critical flag is not left saying critical."""
    wanted = _figures(condition)
    wanted["severity"] = condition.severity or Flag.Severity.WARNING
    changes = {
        name: {"from": _json(getattr(flag, name)), "to": _json(value)}
        for name, value in wanted.items()
        if getattr(flag, name) != value
    }
    if not changes:
        return False
    for name, value in wanted.items():
        setattr(flag, name, value)
    flag.last_seen_at = now
    flag.save(update_fields=[*wanted, "last_seen_at"])
    FlagEvent.objects.create(flag=flag, kind=FlagEvent.Kind.UPDATED, at=now, data=changes)
    return True


def _open(
    condition: Condition,
    programme: Programme | None,
    nations: dict[str, Nation],
    now: datetime.datetime,
    earlier: Flag | None,
) -> Flag:
    assert condition.severity is not None, "only a condition with a severity opens a flag"
    flag = Flag.objects.create(
        rule=condition.rule,
        programme=programme,
        nation=nations[condition.nation],
        severity=condition.severity,
        status=Flag.Status.OPEN,
        fingerprint=condition.fingerprint,
        first_seen_at=now,
        last_seen_at=now,
        reopens=earlier,
        **_figures(condition),
    )
    if condition.counterparts:
        flag.counterparts.set([nations[code] for code in condition.counterparts])
    if earlier is None:
        FlagEvent.objects.create(
            flag=flag, kind=FlagEvent.Kind.RAISED, at=now, data={"severity": flag.severity}
        )
    else:
        FlagEvent.objects.create(
            flag=flag,
            kind=FlagEvent.Kind.REOPENED,
            at=now,
            data={
                "severity": flag.severity,
                "reopens": earlier.pk,
                "resolved_at": earlier.resolved_at.isoformat() if earlier.resolved_at else None,
            },
        )
    return flag


def _remember(
    seen: PendingCondition | None,
    condition: Condition,
    programme: Programme | None,
    nations: dict[str, Nation],
    scans: int,
    now: datetime.datetime,
) -> None:
    if seen is None:
        PendingCondition.objects.create(
            fingerprint=condition.fingerprint,
            rule=condition.rule,
            programme=programme,
            nation=nations[condition.nation],
            scans=scans,
            first_seen_at=now,
            last_seen_at=now,
        )
    else:
        seen.scans = scans
        seen.last_seen_at = now
        seen.save(update_fields=["scans", "last_seen_at"])


def _resolve(flag: Flag, now: datetime.datetime) -> None:
    flag.status = Flag.Status.RESOLVED
    flag.resolved_at = now
    flag.save(update_fields=["status", "resolved_at"])
    FlagEvent.objects.create(
        flag=flag, kind=FlagEvent.Kind.RESOLVED, at=now, data={"last_value": _json(flag.value)}
    )


def acknowledge_flag(flag: Flag, user, note: str = "") -> Flag:
    """An analyst acknowledges a live flag with a note; it stays acknowledged while its
    condition holds. Acknowledging again replaces the note."""
    if not user.has_perm(ACKNOWLEDGE_PERMISSION):
        raise PermissionDenied("You may not acknowledge flags.")
    with transaction.atomic():
        locked = Flag.objects.select_for_update(of=("self",)).get(pk=flag.pk)
        if locked.status == Flag.Status.RESOLVED:
            raise FlagStateError(
                f"Flag {locked.pk} was resolved on {locked.resolved_at:%Y-%m-%d %H:%M}; "
                "only an open flag can be acknowledged."
            )
        now = timezone.now()
        locked.status = Flag.Status.ACKNOWLEDGED
        locked.acknowledged_by = user
        locked.acknowledged_at = now
        locked.note = note.strip()
        locked.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "note"])
        FlagEvent.objects.create(
            flag=locked, kind=FlagEvent.Kind.ACKNOWLEDGED, at=now, by=user, note=locked.note
        )
    return locked


def acknowledge_flags(flags, user, note: str = "") -> tuple[list[Flag], list[Flag]]:
    """Acknowledge several flags with one note: (acknowledged, skipped because resolved)."""
    done, skipped = [], []
    for flag in flags:
        try:
            done.append(acknowledge_flag(flag, user, note))
        except FlagStateError:
            skipped.append(flag)
    return done, skipped
