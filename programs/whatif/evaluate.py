"""Evaluating a what-if draft: the balance and the flags now and under the draft, side by side.

A draft is a SPEC §4 scenario document. It is applied with the scenario loader itself, inside a
transaction that is always rolled back, and the programmes it changes are measured with the
scan's own metrics and rules (``programme_balance``, ``rule_conditions``), so a what-if can
never disagree with the scan that would follow the change. Nothing escapes the transaction:

* records, historical rows and the scenario-load row are rolled back with it;
* flags, flag events, pending conditions and snapshots are never written (the rules' conditions
  are compared, ``apply_conditions`` is not called);
* on-change scans are registered with ``on_commit`` and dropped with the rollback; the data
  version, which moves at once on every write, is ``held`` for the duration;
* no e-mail: only scans that raise critical flags send any.

On PostgreSQL, an evaluation that opens the transaction itself reads one snapshot of the data
(``REPEATABLE READ``) for both sides, so a scan or a write committing meanwhile cannot make
"now" and "draft" disagree about data the draft does not touch.

For a restricted user the draft is applied to the data as they see it (a hidden record is
unknown to it) and every figure is computed over the rows released to them only.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal

import yaml
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from programs import data_version
from programs.access import released_flags_to, released_to, viewer_nation
from programs.balance.flags import LIVE
from programs.balance.global_returns import global_returns
from programs.balance.programme_balance import NationBalance, ProgrammeBalance
from programs.balance.programme_balance import programme_balance as measure
from programs.balance.rules.registry import Condition, global_rules, programme_rules
from programs.balance.scan import global_thresholds, programme_thresholds, rule_conditions
from programs.models import Flag, Programme
from programs.scenarios.loading import load_scenario_texts
from programs.scenarios.results import ScenarioError
from programs.whatif.changes import collecting

#: The figures of a nation that a what-if compares, in the order they are shown.
METRICS = tuple(f.name for f in dataclasses.fields(NationBalance) if f.name not in ("code", "name"))

RAISED, RESOLVED, CHANGED, UNCHANGED = "raised", "resolved", "changed", "unchanged"
#: The order flag changes are listed in: what the draft does first.
CHANGE_ORDER = (RAISED, RESOLVED, CHANGED, UNCHANGED)

__all__ = ["DraftRefused", "WhatIf", "evaluate_draft"]


class DraftRefused(ScenarioError):
    """The draft is invalid; ``errors`` name the record and the field, as the loader's do."""


@dataclass(frozen=True)
class FlagChange:
    rule: str
    nation: str
    counterparts: tuple[str, ...]
    now: str | None
    draft: str | None
    change: str
    #: The draft's explanation; for a resolved flag, today's.
    explanation: str


@dataclass(frozen=True)
class NationComparison:
    nation: str
    name: str
    now: NationBalance | None
    draft: NationBalance | None


@dataclass
class ProgrammeWhatIf:
    #: None for the cross-programme rule (global return).
    code: str | None
    name: str
    now: ProgrammeBalance | None = None
    draft: ProgrammeBalance | None = None
    nations: list[NationComparison] = field(default_factory=list)
    flags: list[FlagChange] = field(default_factory=list)

    def changes(self, kind: str) -> list[FlagChange]:
        return [flag for flag in self.flags if flag.change == kind]


@dataclass
class WhatIf:
    as_of: datetime.date
    programmes: list[ProgrammeWhatIf]

    def as_json(self) -> dict:
        """The SPEC §7 JSON of the API and of ``what_if --format json``."""
        return {
            "as_of": self.as_of.isoformat(),
            "programmes": [
                {
                    "code": programme.code,
                    "nations": [
                        {
                            "nation": nation.nation,
                            "now": metrics_json(nation.now),
                            "draft": metrics_json(nation.draft),
                        }
                        for nation in programme.nations
                    ],
                    "flags": [
                        {
                            "rule": flag.rule,
                            "nation": flag.nation,
                            "counterparts": list(flag.counterparts),
                            "now": flag.now,
                            "draft": flag.draft,
                            "change": flag.change,
                            "explanation": flag.explanation,
                        }
                        for flag in programme.flags
                    ],
                }
                for programme in self.programmes
            ],
        }


def metrics_json(nation: NationBalance | None) -> dict | None:
    """A nation's figures for JSON: ratios and money as strings (exact decimals)."""
    if nation is None:
        return None
    return {
        name: str(value) if isinstance(value, Decimal) else value
        for name, value in ((name, getattr(nation, name)) for name in METRICS)
    }


@dataclass
class _World:
    """One side of a what-if: the balances and the rules' conditions of some programmes."""

    names: dict[str | None, str] = field(default_factory=dict)
    balances: dict[str, ProgrammeBalance] = field(default_factory=dict)
    conditions: dict[str | None, list[Condition]] = field(default_factory=dict)
    #: The cross-programme conditions, when the draft changes nothing they read.
    unchanged_global: list[Condition] | None = None


def evaluate_draft(
    document: str | bytes | dict,
    *,
    as_of: datetime.date | None = None,
    user=None,
    name: str = "draft",
) -> WhatIf:
    """Evaluate a draft as of a day (default today), as ``user`` sees the data; write nothing.

    Raises :class:`DraftRefused` for an invalid draft, with the loader's messages.
    """
    as_of = as_of or timezone.localdate()
    if isinstance(document, dict):
        document = json.dumps(document, default=str)
    nation_id = viewer_nation(user)
    with data_version.held(), transaction.atomic():
        _one_snapshot()
        try:
            draft, touched = _draft_world(document, name, as_of, user, nation_id)
            now = _measure(touched, as_of, nation_id, global_conditions=draft.unchanged_global)
            live = _live_severities(touched, nation_id)
        finally:
            transaction.set_rollback(True)
    return WhatIf(as_of=as_of, programmes=_compare(now, draft, live))


def _one_snapshot() -> None:
    """Read both sides from one snapshot when this is the outermost transaction."""
    if connection.vendor == "postgresql" and not connection.savepoint_ids:
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def _draft_world(
    document: str | bytes, name: str, as_of: datetime.date, user, nation_id: int | None
) -> tuple[_World, set[int]]:
    """Apply the draft in a savepoint, measure what it touches, and roll the savepoint back."""
    sid = transaction.savepoint()
    try:
        with collecting() as changes:
            load_scenario_texts([(name, document)], user=user, as_seen_by_user=True)
        touched = changes.programme_ids() | _named_programmes(document, nation_id)
        world = _measure(touched, as_of, nation_id)
        if nation_id is None and not changes.global_inputs_changed():
            world.unchanged_global = world.conditions[None]
    except ScenarioError as exc:
        transaction.savepoint_rollback(sid)
        raise DraftRefused(exc.errors) from None
    transaction.savepoint_rollback(sid)
    return world, touched


def _named_programmes(document: str | bytes, nation_id: int | None) -> set[int]:
    """Ids of the programmes the draft's records name, changed or not (an unchanged draft
    still shows its programmes, every flag unchanged). The loader has read it already."""
    data = yaml.safe_load(document)
    codes = {
        str(item.get("code")) for item in data.get("programmes") or [] if isinstance(item, dict)
    }
    for records in data.values():
        if isinstance(records, list):
            codes |= {
                str(item["programme"])
                for item in records
                if isinstance(item, dict) and item.get("programme") is not None
            }
    visible = released_to(Programme.objects.filter(code__in=codes), nation_id)
    return set(visible.values_list("pk", flat=True))


def _measure(
    programme_ids: set[int],
    as_of: datetime.date,
    nation_id: int | None,
    *,
    global_conditions: list[Condition] | None = None,
) -> _World:
    """The balances and conditions of the programmes (those the viewer sees) and the
    cross-programme rule, in the data as it stands in the transaction (``global_conditions``
    when they are known to be the same: the global returns read every programme)."""
    world = _World()
    programmes = released_to(Programme.objects.filter(pk__in=programme_ids), nation_id)
    for programme in programmes.order_by("code"):
        thresholds = programme_thresholds(programme, nation_id=nation_id)
        balance = measure(
            programme,
            as_of,
            overdue_days=int(thresholds["tech_transfer_overdue"]["overdue_days"]),
            nation_id=nation_id,
        )
        world.names[programme.code] = programme.name
        world.balances[programme.code] = balance
        world.conditions[programme.code] = rule_conditions(programme_rules(), balance, thresholds)
    world.names[None] = "All programmes (global return)"
    if global_conditions is None:
        returns = global_returns(as_of, nation_id=nation_id)
        global_conditions = rule_conditions(global_rules(), returns, global_thresholds())
    world.conditions[None] = global_conditions
    return world


def _live_severities(programme_ids: set[int], nation_id: int | None) -> dict[str, str]:
    """Fingerprint -> severity of the live flags of the programmes and the cross-programme
    rule that the viewer may see: a condition in the hysteresis band keeps these open."""
    flags = Flag.objects.filter(status__in=LIVE).filter(
        Q(programme_id__in=programme_ids) | Q(programme__isnull=True)
    )
    return dict(released_flags_to(flags, nation_id).values_list("fingerprint", "severity"))


def _now_severity(condition: Condition | None, live: dict[str, str]) -> str | None:
    """Today's severity: past a raise threshold, or held open by a live flag (hysteresis)."""
    if condition is None:
        return None
    return condition.severity or live.get(condition.fingerprint)


def _draft_severity(condition: Condition | None, now: str | None) -> str | None:
    """The severity after the draft, as the next scan would set it: a condition in the band
    keeps an open flag open at warning (``flags._update``) and raises none."""
    if condition is None:
        return None
    if condition.severity is None:
        return Flag.Severity.WARNING if now is not None else None
    return condition.severity


def _flag_changes(
    now: list[Condition], draft: list[Condition], live: dict[str, str]
) -> list[FlagChange]:
    before = {c.fingerprint: c for c in now}
    after = {c.fingerprint: c for c in draft}
    found = []
    for fingerprint in sorted(before.keys() | after.keys()):
        old, new = before.get(fingerprint), after.get(fingerprint)
        severity_now = _now_severity(old, live)
        severity_draft = _draft_severity(new, severity_now)
        if severity_now is None and severity_draft is None:
            continue
        if severity_now is None:
            change = RAISED
        elif severity_draft is None:
            change = RESOLVED
        elif severity_now != severity_draft:
            change = CHANGED
        else:
            change = UNCHANGED
        shown = new if new is not None and change != RESOLVED else old
        if shown is None:  # neither side holds the condition (skipped above)
            continue
        found.append(
            FlagChange(
                rule=shown.rule,
                nation=shown.nation,
                counterparts=tuple(sorted(shown.counterparts)),
                now=severity_now,
                draft=severity_draft,
                change=change,
                explanation=shown.explanation,
            )
        )
    found.sort(key=lambda f: (CHANGE_ORDER.index(f.change), f.rule, f.nation, f.counterparts))
    return found


def _nations(now: ProgrammeBalance | None, draft: ProgrammeBalance | None) -> list:
    before = {n.code: n for n in now.nations} if now else {}
    after = {n.code: n for n in draft.nations} if draft else {}
    return [
        NationComparison(
            nation=code,
            name=(after.get(code) or before[code]).name,
            now=before.get(code),
            draft=after.get(code),
        )
        for code in sorted(before.keys() | after.keys())
    ]


def _compare(now: _World, draft: _World, live: dict[str, str]) -> list[ProgrammeWhatIf]:
    codes = sorted(c for c in now.names.keys() | draft.names.keys() if c is not None)
    result = []
    for code in [*codes, None]:
        before = now.balances.get(code) if code is not None else None
        after = draft.balances.get(code) if code is not None else None
        result.append(
            ProgrammeWhatIf(
                code=code,
                name=draft.names.get(code) or now.names[code],
                now=before,
                draft=after,
                nations=_nations(before, after),
                flags=_flag_changes(
                    now.conditions.get(code, []), draft.conditions.get(code, []), live
                ),
            )
        )
    return result
