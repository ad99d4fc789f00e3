"""SPEC §3 ``outvoted``: a nation is often on the losing side of the votes.

With at least ``min_counted_votes`` (5) counted votes, an outvoted rate of ``warning`` (30 %) or
more raises a warning, of ``critical`` (50 %) or more a critical flag; an open flag resolves at
``recovery`` (28 %) or below.
"""

from __future__ import annotations

from decimal import Decimal

from programs.balance.programme_balance import ProgrammeBalance
from programs.balance.rules.registry import (
    CRITICAL,
    WARNING,
    Condition,
    nation_condition,
    rule,
)
from programs.balance.rules.wording import ev, past, pct, the


@rule("outvoted")
def outvoted(balance: ProgrammeBalance, t: dict[str, Decimal]) -> list[Condition]:
    """Share of counted votes on the losing side, given enough counted votes."""
    found = []
    for nation in balance.nations:
        value = nation.outvoted_rate
        if value is None or nation.counted_votes < t["min_counted_votes"]:
            continue
        if value >= t["warning"]:
            severity = CRITICAL if value >= t["critical"] else WARNING
        elif value > t["recovery"]:
            severity = None
        else:
            continue
        raised_at = t["critical"] if severity == CRITICAL else t["warning"]
        threshold = raised_at if severity else t["recovery"]
        found.append(
            nation_condition(
                balance,
                nation,
                rule="outvoted",
                counterparts=(),
                severity=severity,
                metric="outvoted_rate",
                value=value,
                threshold=threshold,
                explanation=(
                    f"{the(nation.name, True)} was on the losing side of "
                    f"{nation.outvoted_votes} of its {nation.counted_votes} counted votes in "
                    f"{balance.programme_name} ({pct(value)}), "
                    f"{past(severity, raised_at, t['recovery'], pct, 'at or above')}."
                ),
                evidence={
                    "outvoted_votes": nation.outvoted_votes,
                    "counted_votes": nation.counted_votes,
                    "outvoted_rate": ev(value),
                    "warning": ev(t["warning"]),
                    "critical": ev(t["critical"]),
                    "recovery": ev(t["recovery"]),
                },
            )
        )
    return found
