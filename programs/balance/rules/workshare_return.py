"""SPEC §3 ``workshare_return``: a nation's return coefficient is low.

The return coefficient is the nation's workshare share over its contribution share
(``programs.balance.programme_balance``). Below ``warning`` (0.95) it raises a warning, below
``critical`` (0.85) a critical flag; an open flag resolves at ``recovery`` (0.97) or above.
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
    state_when_low,
)
from programs.balance.rules.wording import amount, ev, num, past, pct, the


@rule("workshare_return")
def workshare_return(balance: ProgrammeBalance, t: dict[str, Decimal]) -> list[Condition]:
    """Return coefficient (workshare share / contribution share) below the warning threshold."""
    found = []
    for nation in balance.active_nations:
        value = nation.return_coefficient
        state = state_when_low(value, t["warning"], t["recovery"])
        if state is None or value is None:
            continue
        severity = None
        if state == "raise":
            severity = CRITICAL if value < t["critical"] else WARNING
        threshold = t["critical"] if severity == CRITICAL else t["warning"]
        if severity is None:
            threshold = t["recovery"]
        found.append(
            nation_condition(
                balance,
                nation,
                rule="workshare_return",
                counterparts=(),
                severity=severity,
                metric="return_coefficient",
                value=value,
                threshold=threshold,
                explanation=(
                    f"{the(nation.name, True)} receives {pct(nation.workshare_share)} of "
                    f"{balance.programme_name}'s work ({amount(nation.work)} of "
                    f"{amount(balance.total_work)} "
                    f"{balance.currency}) for a {pct(nation.contribution_share)} contribution "
                    f"share ({nation.contribution_basis}): a return coefficient of "
                    f"{num(value)}, "
                    f"{past(severity, t['critical'] if severity == CRITICAL else t['warning'], t['recovery'])}."
                ),
                evidence={
                    "return_coefficient": ev(value),
                    "workshare_share": ev(nation.workshare_share),
                    "contribution_share": ev(nation.contribution_share),
                    "contribution_basis": nation.contribution_basis,
                    "work": ev(nation.work),
                    "total_work": ev(balance.total_work),
                    "contributed": ev(nation.contributed),
                    "total_contributions": ev(balance.total_contributions),
                    "currency": balance.currency,
                    "warning": ev(t["warning"]),
                    "critical": ev(t["critical"]),
                    "recovery": ev(t["recovery"]),
                },
            )
        )
    return found
