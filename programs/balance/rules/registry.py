"""What a rule returns (``Condition``), the ``@rule`` decorator and the rules a scan runs.

A rule reads a programme's balance (or, for cross-programme rules, the global returns) and the
programme's thresholds, and returns the conditions it finds. A condition with a ``severity``
is past the raise threshold; one with ``severity=None`` is between the raise and the recovery
threshold: it keeps an open flag open but raises none (hysteresis). A nation past the recovery
threshold yields no condition at all, and its flag resolves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from programs.balance.programme_balance import NationBalance, ProgrammeBalance
from programs.balance.thresholds import RULE_DEFAULTS

WARNING = "warning"
CRITICAL = "critical"


@dataclass(frozen=True)
class Condition:
    rule: str
    #: Programme code; None for cross-programme rules.
    programme: str | None
    nation: str
    counterparts: tuple[str, ...]
    #: 'warning' or 'critical'; None while between the raise and recovery thresholds.
    severity: str | None
    metric: str
    value: Decimal | None
    threshold: Decimal | None
    explanation: str
    evidence: dict = field(compare=False)
    #: Tells apart conditions of one rule, programme and nation (the currency of a global one).
    discriminator: str = ""

    @property
    def fingerprint(self) -> str:
        return fingerprint(
            self.rule, self.programme, self.nation, self.counterparts, self.discriminator
        )


def fingerprint(
    rule: str,
    programme: str | None,
    nation: str,
    counterparts: tuple[str, ...] | list[str] = (),
    discriminator: str = "",
) -> str:
    parts = [rule, programme or "*", nation, ",".join(sorted(counterparts))]
    if discriminator:
        parts.append(discriminator)
    return "|".join(parts)


@dataclass(frozen=True)
class Rule:
    name: str
    #: 'programme' rules read a ProgrammeBalance; 'global' rules the list of GlobalReturns.
    scope: str
    check: Callable[..., list[Condition]]


REGISTRY: dict[str, Rule] = {}


def rule(name: str, scope: str = "programme"):
    """Register a rule function under its SPEC §3 name."""
    if name not in RULE_DEFAULTS:
        raise LookupError(f"Rule {name} has no defaults in RULE_DEFAULTS.")

    def register(check):
        REGISTRY[name] = Rule(name=name, scope=scope, check=check)
        return check

    return register


def _rules_of(scope: str) -> list[Rule]:
    """The registered rules of ``scope`` in the order of ``RULE_DEFAULTS`` (SPEC §3's table),
    not in the order their modules happened to be imported."""
    return [
        REGISTRY[name]
        for name in RULE_DEFAULTS
        if name in REGISTRY and REGISTRY[name].scope == scope
    ]


def programme_rules() -> list[Rule]:
    return _rules_of("programme")


def global_rules() -> list[Rule]:
    return _rules_of("global")


def state_when_low(value: Decimal | None, raise_at: Decimal, recover_at: Decimal) -> str | None:
    """'raise', 'hold' or None for a metric that is bad when low."""
    if value is None:
        return None
    if value < raise_at:
        return "raise"
    if value < recover_at:
        return "hold"
    return None


def nation_condition(balance: ProgrammeBalance, nation: NationBalance, **kwargs) -> Condition:
    """A condition a programme rule finds for one nation of the programme."""
    return Condition(programme=balance.programme, nation=nation.code, **kwargs)
