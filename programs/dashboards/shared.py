"""What more than one dashboard page reads: each nation's colour and the order of severities."""

from __future__ import annotations

from programs.dashboards.formatting import nation_colours
from programs.models import Flag, Nation

#: Severest first: the order flag counts and cards are listed in.
SEVERITIES: list[str] = [Flag.Severity.CRITICAL, Flag.Severity.WARNING, Flag.Severity.INFO]


def palette() -> dict[str, str]:
    """A colour per nation code, the same on every page (one query)."""
    return nation_colours(list(Nation.objects.order_by("code").values_list("code", flat=True)))
