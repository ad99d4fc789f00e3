"""The portfolio page: every programme × nation at the latest scan, the live flags' counts, the
global returns and the nation pairs to compare (``dashboards/portfolio.html``), for the viewer
(``programs.access``), in a fixed number of queries."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, OuterRef, Subquery

from programs.access import released, released_flags, released_snapshots, viewer_nation
from programs.balance.flags import LIVE
from programs.balance.global_returns import global_returns
from programs.balance.thresholds import RULE_DEFAULTS, thresholds_for
from programs.dashboards import charts
from programs.dashboards.formatting import (
    RETURN_COLOURSCALE,
    RETURN_RANGE,
    as_float,
    num,
    pct,
    return_band,
)
from programs.dashboards.shared import SEVERITIES
from programs.flags.selectors import last_scan_at
from programs.models import (
    BalanceSnapshot,
    Flag,
    Participation,
    Programme,
    ScenarioLoad,
    ThresholdOverride,
)


@dataclass
class PortfolioCell:
    nation: str
    nation_name: str
    taking_part: bool
    return_coefficient: Decimal | None = None
    band: str = "none"
    flags: dict[str, int] = field(default_factory=dict)
    acknowledged: int = 0

    @property
    def text(self) -> str:
        return num(self.return_coefficient)

    @property
    def open_flags(self) -> int:
        return sum(self.flags.values())

    @property
    def flag_badges(self) -> list[tuple[str, int]]:
        return [(s, self.flags[s]) for s in SEVERITIES if self.flags.get(s)]


@dataclass
class PortfolioRow:
    code: str
    name: str
    status: str
    currency: str
    snapshot_on: datetime.date | None
    cells: list[PortfolioCell]
    global_flags: int = 0

    @property
    def open_flags(self) -> int:
        return sum(cell.open_flags for cell in self.cells)


@dataclass
class Portfolio:
    nations: list[tuple[str, str]]
    rows: list[PortfolioRow]
    severity_counts: list[tuple[str, int]]
    acknowledged: int
    cross_programme_flags: int
    last_scan_at: datetime.datetime | None
    global_returns: list[dict[str, str]]
    scenario_loads: list[ScenarioLoad]
    pairs: list[tuple[str, str, str, str]]
    chart: charts.Chart | None


def portfolio_page(user=None) -> Portfolio:
    """Programmes × nations with the return coefficient of each programme's latest scan."""
    programmes = list(
        released(Programme.objects.all(), user)
        .order_by("code")
        .values("id", "code", "name", "status", "currency")
    )
    status_labels = dict(Programme.Status.choices)
    participations = list(
        released(Participation.objects.all(), user).values(
            "programme_id", "nation__code", "nation__name", "joined_on", "left_on"
        )
    )
    latest_day = (
        BalanceSnapshot.objects.filter(programme_id=OuterRef("programme_id"))
        .order_by("-taken_on")
        .values("taken_on")[:1]
    )
    snapshots = {
        (row["programme_id"], row["nation__code"]): row
        for row in released_snapshots(
            BalanceSnapshot.objects.filter(taken_on=Subquery(latest_day)), user
        ).values("programme_id", "nation__code", "nation__name", "taken_on", "return_coefficient")
    }
    flag_counts = live_flag_counts(user)
    overrides: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for pid, parameter, value in released(
        ThresholdOverride.objects.filter(rule="workshare_return"), user
    ).values_list("programme_id", "parameter", "value"):
        overrides[pid][parameter] = value

    names = {p["nation__code"]: p["nation__name"] for p in participations}
    names.update({code: row["nation__name"] for (_, code), row in snapshots.items()})
    nations = sorted(names.items())
    taking_part = {(p["programme_id"], p["nation__code"]) for p in participations}

    rows = []
    for programme in programmes:
        pid = programme["id"]
        thresholds = thresholds_for("workshare_return", overrides.get(pid))
        cells = []
        snapshot_on = None
        for code, name in nations:
            snapshot = snapshots.get((pid, code))
            counts = flag_counts.get((pid, code), Counter())
            cell = PortfolioCell(
                nation=code,
                nation_name=name,
                taking_part=(pid, code) in taking_part or snapshot is not None,
                flags={s: counts[s] for s in SEVERITIES if counts[s]},
                acknowledged=counts["acknowledged"],
            )
            if snapshot:
                snapshot_on = snapshot["taken_on"]
                cell.return_coefficient = snapshot["return_coefficient"]
                cell.band = return_band(snapshot["return_coefficient"], thresholds)
            cells.append(cell)
        rows.append(
            PortfolioRow(
                code=programme["code"],
                name=programme["name"],
                status=status_labels.get(programme["status"], programme["status"]),
                currency=programme["currency"],
                snapshot_on=snapshot_on,
                cells=cells,
            )
        )

    totals: Counter = Counter()
    for counts in flag_counts.values():
        totals.update(counts)
    cross = sum(sum(c.values()) for (pid, _), c in flag_counts.items() if pid is None)
    chart = return_heatmap(nations, rows)

    return Portfolio(
        nations=nations,
        rows=rows,
        severity_counts=[(s, totals[s]) for s in SEVERITIES],
        acknowledged=totals["acknowledged"],
        cross_programme_flags=cross,
        last_scan_at=last_scan_at(user),
        global_returns=global_return_rows(user),
        scenario_loads=list(ScenarioLoad.objects.order_by("-loaded_at")[:5]),
        pairs=nation_pairs(participations),
        chart=chart,
    )


def live_flag_counts(user=None) -> dict[tuple[int | None, str], Counter]:
    """(programme id or None, nation code) -> live flags by severity, and the acknowledged ones
    under ``"acknowledged"`` (one query)."""
    flag_counts: dict[tuple[int | None, str], Counter] = defaultdict(Counter)
    for row in (
        released_flags(Flag.objects.filter(status__in=LIVE), user)
        .values("programme_id", "nation__code", "severity", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        key = "acknowledged" if row["status"] == Flag.Status.ACKNOWLEDGED else row["severity"]
        flag_counts[(row["programme_id"], row["nation__code"])][key] += row["n"]
    return flag_counts


def return_heatmap(nations: list[tuple[str, str]], rows: list[PortfolioRow]) -> charts.Chart | None:
    """The grid of return coefficients as a heat map (none for an empty grid)."""
    if not (rows and nations):
        return None
    return charts.heatmap(
        "chart-portfolio",
        "Return coefficient by programme and nation",
        "Heat map of each nation's return coefficient in each programme at the latest scan; "
        "1.00 is a fair return. The table below gives every value.",
        x=[name for _, name in nations],
        y=[row.code for row in rows],
        z=[[as_float(cell.return_coefficient, 2) for cell in row.cells] for row in rows],
        text=[[cell.text if cell.taking_part else "" for cell in row.cells] for row in rows],
        colourscale=RETURN_COLOURSCALE,
        zmin=RETURN_RANGE[0],
        zmax=RETURN_RANGE[1],
        zmid=1.0,
        colourbar_title="return",
    )


def global_return_rows(user=None) -> list[dict[str, str]]:
    """Each nation's return over every programme it takes part in, as the table prints it."""
    return [
        {
            "name": item.name,
            "currency": item.currency,
            "programmes": ", ".join(item.programmes),
            "contribution_share": pct(item.contribution_share),
            "workshare_share": pct(item.workshare_share),
            "global_return": num(item.global_return),
            "band": return_band(
                item.global_return, RULE_DEFAULTS["global_balance"] | {"critical": Decimal(0)}
            ),
        }
        for item in global_returns(nation_id=viewer_nation(user))
    ]


def nation_pairs(participations: list[dict]) -> list[tuple[str, str, str, str]]:
    """Every pair of nations taking part in a programme together, as (a, a's name, b, b's
    name) with a before b, in code order: the pair pages to link to."""
    pairs = []
    codes_by_programme: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for p in participations:
        codes_by_programme[p["programme_id"]].append((p["nation__code"], p["nation__name"]))
    seen = set()
    for members in codes_by_programme.values():
        members.sort()
        for i, (a, a_name) in enumerate(members):
            for b, b_name in members[i + 1 :]:
                if (a, b) not in seen:
                    seen.add((a, b))
                    pairs.append((a, a_name, b, b_name))
    pairs.sort()
    return pairs
