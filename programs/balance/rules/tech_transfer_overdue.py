"""SPEC §3 ``tech_transfer_overdue``: a nation waits for technology due to it.

A nation with milestones to receive planned more than ``overdue_days`` (90) days ago and not
achieved raises a warning; a critical flag when any milestone it is to receive is blocked. The
flag resolves once none is overdue or blocked.
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
from programs.balance.rules.wording import the


@rule("tech_transfer_overdue")
def tech_transfer_overdue(balance: ProgrammeBalance, t: dict[str, Decimal]) -> list[Condition]:
    """Milestones to receive that are overdue (warning) or blocked (critical)."""
    found = []
    for nation in balance.nations:
        if not (nation.overdue_to_receive or nation.blocked_to_receive):
            continue
        severity = CRITICAL if nation.blocked_to_receive else WARNING
        days = int(t["overdue_days"])
        found.append(
            nation_condition(
                balance,
                nation,
                rule="tech_transfer_overdue",
                counterparts=(),
                severity=severity,
                metric="blocked_to_receive" if nation.blocked_to_receive else "overdue_to_receive",
                value=Decimal(nation.blocked_to_receive or nation.overdue_to_receive),
                threshold=Decimal(1),
                explanation=(
                    f"{the(nation.name, True)} waits for {nation.overdue_to_receive} "
                    f"tech-transfer milestone{'s' if nation.overdue_to_receive != 1 else ''} "
                    f"in {balance.programme_name} planned more than {days} days ago and not "
                    f"achieved, and {nation.blocked_to_receive} blocked."
                ),
                evidence={
                    "overdue_to_receive": nation.overdue_to_receive,
                    "blocked_to_receive": nation.blocked_to_receive,
                    "overdue_days": days,
                },
            )
        )
    return found
