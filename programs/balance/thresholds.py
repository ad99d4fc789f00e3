"""Default thresholds of the imbalance rules (SPEC §3) and the per-programme overrides.

Rates and shares are fractions (0.30 for 30 %); ``recovery`` is where an open flag resolves
(the warning threshold moved 0.02 toward fair); ``consecutive_scans`` is how many scans in a row
must see the condition before a flag is raised. ``bloc_sidelining`` compares tie indices (SPEC
§2): the bloc's tie is strong from ``strong_tie`` points and far more than the nation's at
``tie_ratio`` times its index with each of the pair; an open flag resolves once the ratio is
below ``tie_ratio`` less ``tie_ratio_margin``, so it does not flap as an index moves.
"""

from decimal import Decimal, InvalidOperation

from programs.balance.threshold_bounds import out_of_bounds

RULE_DEFAULTS: dict[str, dict[str, Decimal]] = {
    "workshare_return": {
        "warning": Decimal("0.95"),
        "critical": Decimal("0.85"),
        "recovery": Decimal("0.97"),
        "consecutive_scans": Decimal("1"),
    },
    "leadership_deficit": {
        "ratio": Decimal("0.5"),
        "critical_contribution_share": Decimal("0.20"),
        "recovery": Decimal("0.52"),
        "consecutive_scans": Decimal("1"),
    },
    "outvoted": {
        "min_counted_votes": Decimal("5"),
        "warning": Decimal("0.30"),
        "critical": Decimal("0.50"),
        "recovery": Decimal("0.28"),
        "consecutive_scans": Decimal("1"),
    },
    "bloc_sidelining": {
        "strong_tie": Decimal("5"),
        "tie_ratio": Decimal("3"),
        "tie_ratio_margin": Decimal("0.02"),
        "agreement_rate": Decimal("0.80"),
        "min_shared_decisions": Decimal("3"),
        "min_carried_against": Decimal("3"),
        "bloc_leadership_share": Decimal("0.80"),
        "min_contribution_share": Decimal("0.20"),
        "deficit_ratio": Decimal("0.5"),
        "recovery": Decimal("0.78"),
        "consecutive_scans": Decimal("1"),
    },
    "tech_transfer_asymmetry": {
        "min_milestones": Decimal("3"),
        "ratio": Decimal("0.50"),
        "recovery": Decimal("0.52"),
        "consecutive_scans": Decimal("1"),
    },
    "tech_transfer_overdue": {
        "overdue_days": Decimal("90"),
        "consecutive_scans": Decimal("1"),
    },
    "global_balance": {
        "warning": Decimal("0.95"),
        "recovery": Decimal("0.97"),
        "consecutive_scans": Decimal("1"),
    },
}

RULE_CHOICES = [(rule, rule) for rule in RULE_DEFAULTS]


def threshold_error(rule: str, parameter: str, value: object) -> tuple[str, str] | None:
    """Why an override is not valid, as (field, message); None when it is."""
    if rule not in RULE_DEFAULTS:
        return "rule", f"Unknown rule {rule!r}; known rules: {', '.join(RULE_DEFAULTS)}."
    if parameter not in RULE_DEFAULTS[rule]:
        known = ", ".join(RULE_DEFAULTS[rule])
        return "parameter", f"Rule {rule} has no parameter {parameter!r}; it has: {known}."
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return "value", f"{value!r} is not a number."
    if not number.is_finite() or number < 0:
        return "value", "A threshold is a number of zero or more."
    refused = out_of_bounds(rule, parameter, number)
    return ("value", refused) if refused else None


def thresholds_for(rule: str, overrides: dict[str, Decimal] | None = None) -> dict[str, Decimal]:
    """The rule's defaults with a programme's overrides applied."""
    merged = dict(RULE_DEFAULTS[rule])
    merged.update(overrides or {})
    return merged
