"""SPEC §3 ``tech_transfer_asymmetry``: a nation gives a partner more technology than it gets.

For a pair n, m with at least ``min_milestones`` (3) milestones between them (any status but
cancelled), n raises a warning when the weight it received from m is below ``ratio`` (50 %) of
the weight it delivered to m; the counterpart is m. An open flag resolves at ``recovery``
(52 %) or above.
"""

from __future__ import annotations

from decimal import Decimal

from programs.balance.programme_balance import ProgrammeBalance
from programs.balance.rules.registry import (
    WARNING,
    Condition,
    nation_condition,
    rule,
    state_when_low,
)
from programs.balance.rules.wording import ev, past, pct, the


@rule("tech_transfer_asymmetry")
def tech_transfer_asymmetry(balance: ProgrammeBalance, t: dict[str, Decimal]) -> list[Condition]:
    """n received from m less than ``ratio`` × the weight it delivered to m."""
    found = []
    for pair in balance.pairs:
        if pair.milestones_between < t["min_milestones"]:
            continue
        for code in (pair.a, pair.b):
            other = pair.other(code)
            delivered = pair.tt_weight_a_to_b if code == pair.a else pair.tt_weight_b_to_a
            received = pair.tt_weight_b_to_a if code == pair.a else pair.tt_weight_a_to_b
            if not delivered:
                continue
            value = (Decimal(received) / Decimal(delivered)).quantize(Decimal("0.000001"))
            state = state_when_low(value, t["ratio"], t["recovery"])
            if state is None:
                continue
            nation, counterpart = balance.nation(code), balance.nation(other)
            found.append(
                nation_condition(
                    balance,
                    nation,
                    rule="tech_transfer_asymmetry",
                    counterparts=(other,),
                    severity=WARNING if state == "raise" else None,
                    metric="tech_transfer_received_to_delivered",
                    value=value,
                    threshold=t["ratio"] if state == "raise" else t["recovery"],
                    explanation=(
                        f"{the(nation.name, True)} has delivered technology of weight "
                        f"{delivered} to {the(counterpart.name)} in {balance.programme_name} "
                        f"but received {received} in return ({pct(value)}, "
                        f"{past(WARNING if state == 'raise' else None, t['ratio'], t['recovery'], pct)}"
                        f") over {pair.milestones_between} milestones."
                    ),
                    evidence={
                        "delivered_weight": delivered,
                        "received_weight": received,
                        "ratio": ev(value),
                        "milestones_between": pair.milestones_between,
                        "threshold": ev(t["ratio"]),
                        "recovery": ev(t["recovery"]),
                    },
                )
            )
    return found
