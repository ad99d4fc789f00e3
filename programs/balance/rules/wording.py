"""How the rules write figures: in explanations (sentences) and evidence (JSON).

A sentence drops what a reader does not need: '50 %' rather than '50.0 %', whole units of large
sums, 'n/a' for a figure that cannot be computed; evidence keeps each ``Decimal`` exact, as a
string. The dashboards' tables write figures with ``programs.dashboards.formatting`` instead:
a fixed number of places so columns line up, and '—' in an empty cell. The two differ on
purpose, and the explanations stored on flags (pinned by ``seeds/expected/flags.yaml``) are
written with these.
"""

from __future__ import annotations

from decimal import Decimal

#: Names that read with "the" in a sentence.
_THE_PREFIXES = ("United ", "Republic ", "Czech ", "Netherlands", "Philippines", "Russian ")


def pct(value: Decimal | None) -> str:
    """0.142857 -> '14.3 %', 0.5 -> '50 %'."""
    if value is None:
        return "n/a"
    text = f"{value * 100:.1f}".removesuffix(".0")
    return f"{text} %"


def num(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{places}f}"


def points(value: Decimal) -> str:
    """A tie index for a sentence, to two places as computed: 109.27 -> '109.27',
    10.50 -> '10.5', 21.00 -> '21'."""
    return f"{value:.2f}".rstrip("0").removesuffix(".")


def amount(value: Decimal) -> str:
    """Money for a sentence: 1983133333.33 -> '1,983,133,333'; small sums keep their cents."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.2f}".removesuffix(".00")


def the(name: str, capital: bool = False) -> str:
    """'United Kingdom' -> 'the United Kingdom' (or 'The ...' opening a sentence)."""
    if name.startswith(_THE_PREFIXES):
        return ("The " if capital else "the ") + name
    return name


def and_join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def past(
    severity: str | None,
    raised_at: Decimal,
    recovery: Decimal,
    show=num,
    side: str = "below",
) -> str:
    """How the figure stands against its thresholds, for an explanation: "below 0.95" past the
    raise threshold; in the hysteresis band, where the flag stays open but the figure is no
    longer past the raise threshold, "short of the recovery threshold 0.97 (raised below 0.95)"."""
    if severity is not None:
        return f"{side} {show(raised_at)}"
    return f"short of the recovery threshold {show(recovery)} (raised {side} {show(raised_at)})"


def ev(value) -> str | None:
    """A figure for a condition's evidence (JSON): the ``Decimal`` exact, as a string."""
    return None if value is None else str(value)
