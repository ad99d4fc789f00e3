"""The values each threshold parameter may take.

A threshold is a share, a ratio, a count or a number of days; each kind has its own range, so
an override is refused where it is entered (admin, scenario file) instead of breaking the scans
and pages that use it (``overdue_days=99999999`` overflowed the day arithmetic).
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Bounds:
    low: Decimal
    high: Decimal
    whole: bool
    #: What the parameter measures, in the message of a refused value.
    kind: str

    def error(self, number: Decimal) -> str | None:
        if self.whole and number != number.to_integral_value():
            return f"A {self.kind} is a whole number from {self.low} to {self.high}."
        if not self.low <= number <= self.high:
            if self.whole:
                return f"A {self.kind} is a whole number from {self.low} to {self.high}."
            return f"A {self.kind} is a number from {self.low} to {self.high}."
        return None


SHARE = Bounds(Decimal(0), Decimal(1), whole=False, kind="share or rate")
RATIO = Bounds(Decimal(0), Decimal(100), whole=False, kind="ratio")
COUNT = Bounds(Decimal(0), Decimal(10_000), whole=True, kind="count")
SCANS = Bounds(Decimal(1), Decimal(1_000), whole=True, kind="number of scans")
DAYS = Bounds(Decimal(0), Decimal(36_525), whole=True, kind="number of days (up to 100 years)")
TIE_SCORE = Bounds(Decimal(0), Decimal(10_000), whole=False, kind="tie score")

#: Bounds by parameter name; ``RULE_BOUNDS`` overrides them for one rule.
PARAMETER_BOUNDS: dict[str, Bounds] = {
    "warning": RATIO,
    "critical": RATIO,
    "recovery": RATIO,
    "ratio": RATIO,
    "deficit_ratio": RATIO,
    "critical_contribution_share": SHARE,
    "agreement_rate": SHARE,
    "bloc_leadership_share": SHARE,
    "min_contribution_share": SHARE,
    "min_counted_votes": COUNT,
    "min_shared_decisions": COUNT,
    "min_carried_against": COUNT,
    "min_milestones": COUNT,
    "consecutive_scans": SCANS,
    "overdue_days": DAYS,
    "strong_tie": TIE_SCORE,
}
RULE_BOUNDS: dict[tuple[str, str], Bounds] = {
    # The outvoted rule's thresholds are rates of votes; bloc_sidelining recovers on its
    # agreement rate.
    ("outvoted", "warning"): SHARE,
    ("outvoted", "critical"): SHARE,
    ("outvoted", "recovery"): SHARE,
    ("bloc_sidelining", "recovery"): SHARE,
}
#: For a parameter not listed above: a wide range, still one the scans can compute with.
FALLBACK = Bounds(Decimal(0), Decimal(10_000), whole=False, kind="threshold")


def bounds_of(rule: str, parameter: str) -> Bounds:
    return RULE_BOUNDS.get((rule, parameter)) or PARAMETER_BOUNDS.get(parameter, FALLBACK)


def out_of_bounds(rule: str, parameter: str, number: Decimal) -> str | None:
    """Why ``number`` is not a valid value of the rule's parameter; None when it is."""
    return bounds_of(rule, parameter).error(number)
