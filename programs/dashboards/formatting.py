"""How figures read on the dashboards: percentages, ratios, money, and the colour bands.

Templates get strings from here, so a figure reads the same in a table, a chart's hover text
and a verdict sentence.
"""

from __future__ import annotations

from decimal import Decimal

from programs.balance.thresholds import RULE_DEFAULTS

#: Okabe–Ito: distinguishable with the common colour-vision deficiencies.
NATION_PALETTE = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#8C6D00",
    "#000000",
]
MEASURE_COLOURS = {
    "contribution_share": "#0072B2",
    "workshare_share": "#E69F00",
    "leadership_share": "#009E73",
    "vote_share": "#CC79A7",
}
CONFIDENCE_COLOURS = {"reported": "#0072B2", "estimated": "#E69F00", "illustrative": "#999999"}
#: Diverging scale for return coefficients: red below fair, blue above, white at 1.0.
RETURN_COLOURSCALE = [
    [0.0, "#b2182b"],
    [0.25, "#ef8a62"],
    [0.5, "#f7f7f7"],
    [0.75, "#67a9cf"],
    [1.0, "#2166ac"],
]
RETURN_RANGE = (0.5, 1.5)


def pct(value: Decimal | float | None, places: int = 1) -> str:
    """0.3333 -> '33.3 %'; None -> '—'."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.{places}f} %"


def num(value: Decimal | float | None, places: int = 2) -> str:
    if value is None:
        return "—"
    return f"{float(value):.{places}f}"


def money(value: Decimal | float | None, currency: str = "") -> str:
    """1234567.8 -> 'GBP 1,234,568' (whole units: the figures are estimates at best)."""
    if value is None:
        return "—"
    text = f"{float(value):,.0f}"
    return f"{currency} {text}".strip()


def as_float(value: Decimal | float | int | None, places: int = 6) -> float | None:
    return None if value is None else round(float(value), places)


def as_percent(value: Decimal | float | None) -> float | None:
    return None if value is None else round(float(value) * 100, 1)


def return_band(value: Decimal | float | None, thresholds: dict[str, Decimal] | None = None) -> str:
    """The CSS band of a return coefficient: 'critical', 'warning', 'fair', 'above' or 'none'.

    Uses the workshare_return rule's thresholds (the programme's, where it overrides them).
    """
    if value is None:
        return "none"
    t = thresholds or RULE_DEFAULTS["workshare_return"]
    value = Decimal(str(value))
    if value < t["critical"]:
        return "critical"
    if value < t["warning"]:
        return "warning"
    # As far above fair as the warning threshold is below it.
    if value > 2 - t["warning"]:
        return "above"
    return "fair"


BAND_LABELS = {
    "critical": "well below a fair return",
    "warning": "below a fair return",
    "fair": "about a fair return",
    "above": "above a fair return",
    "none": "not computed",
}


def nation_colours(codes: list[str]) -> dict[str, str]:
    """A stable colour for every nation code, given all codes in a fixed order."""
    return {code: NATION_PALETTE[i % len(NATION_PALETTE)] for i, code in enumerate(codes)}
