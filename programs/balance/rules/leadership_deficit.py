"""SPEC §3 ``leadership_deficit``: a nation leads far less than it contributes.

In a programme with lead roles, a nation whose leadership share is below ``ratio`` (0.5) × its
contribution share raises a warning; a critical flag when it holds no role and its
contribution share is at least ``critical_contribution_share`` (20 %). An open flag resolves
once the leadership share is ``recovery`` (0.52) × the contribution share or more.
"""

from __future__ import annotations

from decimal import Decimal

from programs.balance.programme_balance import NationBalance, ProgrammeBalance
from programs.balance.rules.registry import (
    CRITICAL,
    WARNING,
    Condition,
    nation_condition,
    rule,
    state_when_low,
)
from programs.balance.rules.wording import ev, num, past, pct, the


def leadership_ratio(nation: NationBalance) -> Decimal | None:
    """Leadership share / contribution share; None when the nation contributes nothing."""
    if not nation.contribution_share:
        return None
    return (nation.leadership_share / nation.contribution_share).quantize(Decimal("0.000001"))


@rule("leadership_deficit")
def leadership_deficit(balance: ProgrammeBalance, t: dict[str, Decimal]) -> list[Condition]:
    """Leadership share below ``ratio`` × contribution share, where the programme has roles."""
    if not balance.total_leadership_weight:
        return []
    found = []
    for nation in balance.active_nations:
        value = leadership_ratio(nation)
        state = state_when_low(value, t["ratio"], t["recovery"])
        if state is None:
            continue
        severity = None
        if state == "raise":
            severity = (
                CRITICAL
                if nation.roles_held == 0
                and nation.contribution_share >= t["critical_contribution_share"]
                else WARNING
            )
        found.append(
            nation_condition(
                balance,
                nation,
                rule="leadership_deficit",
                counterparts=(),
                severity=severity,
                metric="leadership_to_contribution",
                value=value,
                threshold=t["ratio"] if severity else t["recovery"],
                explanation=(
                    f"{the(nation.name, True)} holds {nation.leadership_weight} of "
                    f"{balance.total_leadership_weight} leadership weight in "
                    f"{balance.programme_name} ({pct(nation.leadership_share)}, "
                    f"{nation.roles_held} role{'s' if nation.roles_held != 1 else ''}) with a "
                    f"{pct(nation.contribution_share)} contribution share: "
                    f"{num(value)} of its share, {past(severity, t['ratio'], t['recovery'])}."
                ),
                evidence={
                    "leadership_weight": nation.leadership_weight,
                    "total_leadership_weight": balance.total_leadership_weight,
                    "leadership_share": ev(nation.leadership_share),
                    "roles_held": nation.roles_held,
                    "contribution_share": ev(nation.contribution_share),
                    "contribution_basis": nation.contribution_basis,
                    "ratio": ev(value),
                    "threshold": ev(t["ratio"]),
                    "recovery": ev(t["recovery"]),
                },
            )
        )
    return found
