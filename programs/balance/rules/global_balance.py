"""SPEC §3 ``global_balance``: a nation's return across programmes is low.

Across the programmes of one currency (``programs.balance.global_returns``), a nation whose
global return is below ``warning`` (0.95) raises a warning with no programme, one flag per
currency; an open flag resolves at ``recovery`` (0.97) or above. No programme overrides these
thresholds: the defaults apply.
"""

from __future__ import annotations

from decimal import Decimal

from programs.balance.global_returns import GlobalReturn
from programs.balance.rules.registry import (
    WARNING,
    Condition,
    rule,
    state_when_low,
)
from programs.balance.rules.wording import and_join, ev, num, past, pct, the


@rule("global_balance", scope="global")
def global_balance(returns: list[GlobalReturn], t: dict[str, Decimal]) -> list[Condition]:
    """A nation's return across the programmes of one currency below the warning threshold."""
    found = []
    for item in returns:
        state = state_when_low(item.global_return, t["warning"], t["recovery"])
        if state is None:
            continue
        found.append(
            Condition(
                rule="global_balance",
                programme=None,
                nation=item.nation,
                counterparts=(),
                severity=WARNING if state == "raise" else None,
                metric="global_return",
                value=item.global_return,
                threshold=t["warning"] if state == "raise" else t["recovery"],
                explanation=(
                    f"Across {and_join(item.programmes)} ({item.currency}), "
                    f"{the(item.name)} receives {pct(item.workshare_share)} of the work for "
                    f"{pct(item.contribution_share)} of the contributions: a global return of "
                    f"{num(item.global_return)}, "
                    f"{past(WARNING if state == 'raise' else None, t['warning'], t['recovery'])}."
                ),
                evidence={
                    "currency": item.currency,
                    "programmes": item.programmes,
                    "global_return": ev(item.global_return),
                    "workshare_share": ev(item.workshare_share),
                    "contribution_share": ev(item.contribution_share),
                    "work": ev(item.work),
                    "total_work": ev(item.total_work),
                    "contributions": ev(item.contributions),
                    "total_contributions": ev(item.total_contributions),
                    "threshold": ev(t["warning"]),
                    "recovery": ev(t["recovery"]),
                },
                discriminator=item.currency,
            )
        )
    return found
