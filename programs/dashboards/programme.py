"""The programme page: who puts in and who gets out of one programme as of a day, for the
viewer (``programs.access``), section by section as ``dashboards/programme.html`` lays it out.

``programme_page`` calls one function per section; each returns what its section shows, built
from the balance engine's aggregates (``programs.balance.programme_balance``) and a fixed
number of queries of its own, so the page costs the same with three nations or thirty.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db import connection
from django.utils import timezone

from programs.access import released_snapshots, viewer_nation
from programs.balance.flags import LIVE
from programs.balance.programme_balance import (
    NationBalance,
    PairBalance,
    ProgrammeBalance,
    programme_balance,
)
from programs.balance.scan import programme_thresholds
from programs.balance.statements import sql_sources
from programs.balance.ties import BlocTie, bloc_ties
from programs.dashboards import charts
from programs.dashboards.formatting import (
    CONFIDENCE_COLOURS,
    MEASURE_COLOURS,
    as_float,
    as_percent,
    num,
    pct,
    return_band,
)
from programs.dashboards.shared import SEVERITIES, palette
from programs.flags.selectors import visible_flags
from programs.models import (
    BalanceSnapshot,
    Confidence,
    Contribution,
    Decision,
    DecisionBody,
    Flag,
    LeadershipRole,
    Participation,
    Programme,
    Seat,
    TechTransferMilestone,
    Vote,
    WorkPackage,
    WorkshareAllocation,
)


def programme_page(programme: Programme, as_of: datetime.date | None = None, user=None) -> dict:
    """Everything the programme page shows to the user, as of a day (default today), section
    by section in the page's order."""
    as_of = as_of or timezone.localdate()
    nation_id = viewer_nation(user)
    thresholds = programme_thresholds(programme, nation_id=nation_id)
    overdue_days = int(thresholds["tech_transfer_overdue"]["overdue_days"])
    balance = programme_balance(programme, as_of, overdue_days=overdue_days, nation_id=nation_id)
    colours = palette()
    nations = nation_rows(balance, thresholds["workshare_return"], colours)
    agreement = agreement_matrix(balance, nations)
    transfers = transfer_matrix(balance)
    trends = return_trends(programme, colours, user)
    provenance = data_provenance(programme, user)
    drawn: dict[str, charts.Chart | None] = {
        "shares": shares_side_by_side(programme, balance),
        "returns": return_chart(nations),
        "outvoted": outvoted_chart(balance, thresholds["outvoted"]),
        "agreement": agreement_chart(balance, agreement),
        "transfers": transfer_chart(balance, transfers),
        "trend": trends.chart,
        "provenance": provenance.chart,
    }
    return {
        "programme": programme,
        "balance": balance,
        "as_of": as_of,
        "thresholds": thresholds,
        "nations": nations,
        "agreement_matrix": agreement,
        "transfers": transfers,
        "overdue_days": overdue_days,
        "ties": prior_ties(balance),
        "bloc_ties": bloc_tie_rows(balance, thresholds["bloc_sidelining"]),
        "flags": open_flags(programme, user),
        "trend_nations": trends.nations,
        "trend_table": trends.table,
        "confidences": CONFIDENCES,
        "provenance": provenance.rows,
        "provenance_totals": provenance.totals,
        "provenance_total": provenance.total,
        "charts": {name: chart for name, chart in drawn.items() if chart is not None},
    }


# Who puts in, who gets out -----------------------------------------------------------------


@dataclass
class NationRow:
    balance: NationBalance
    colour: str
    band: str

    def __getattr__(self, name: str):
        return getattr(self.balance, name)

    @cached_property
    def formatted(self) -> dict[str, str]:
        """The row's figures as the tables print them (read a dozen times per page)."""
        n = self.balance
        return {
            "contribution_share": pct(n.contribution_share),
            "workshare_share": pct(n.workshare_share),
            "leadership_share": pct(n.leadership_share),
            "vote_share": pct(n.vote_share),
            "outvoted_rate": pct(n.outvoted_rate),
            "return_coefficient": num(n.return_coefficient),
        }


def nation_rows(
    balance: ProgrammeBalance, thresholds: dict[str, Decimal], colours: dict[str, str]
) -> list[NationRow]:
    """The balance table: each nation's figures, colour, and return band under the programme's
    ``workshare_return`` thresholds."""
    return [
        NationRow(n, colours.get(n.code, "#555"), return_band(n.return_coefficient, thresholds))
        for n in balance.nations
    ]


def share_chart(balance: ProgrammeBalance, chart_id: str, title: str, where: str) -> charts.Chart:
    """Each nation's contribution, workshare, leadership and vote share as grouped bars (the
    programme page's chart, drawn by the what-if page for today and for the draft too)."""
    return charts.grouped_bars(
        chart_id,
        title,
        f"Bar chart of each nation's contribution, workshare, leadership and vote share in {where}",
        [n.name for n in balance.nations],
        [
            (
                measure.replace("_", " ").capitalize(),
                [as_percent(getattr(n, measure)) for n in balance.nations],
                colour,
            )
            for measure, colour in MEASURE_COLOURS.items()
        ],
        "share of the programme",
        y_suffix=" %",
    )


def shares_side_by_side(programme: Programme, balance: ProgrammeBalance) -> charts.Chart | None:
    """The programme page's share chart, once a nation takes part."""
    if not balance.nations:
        return None
    return share_chart(
        balance,
        "chart-shares",
        "Shares side by side",
        f"{programme.code}; the table below gives every value.",
    )


def return_chart(nations: list[NationRow]) -> charts.Chart | None:
    """Each nation's return coefficient as a bar coloured by its band, against a fair 1.00."""
    if not nations:
        return None
    chart = charts.grouped_bars(
        "chart-returns",
        "Return coefficient",
        "Bar chart of each nation's return coefficient (workshare share over contribution "
        "share); the dashed line is a fair return of 1.00.",
        [n.name for n in nations],
        [("Return coefficient", [as_float(n.return_coefficient, 3) for n in nations], "#52606d")],
        "return coefficient",
        reference=1.0,
    )
    chart.data[0]["marker"]["color"] = [
        {"critical": "#b2182b", "warning": "#ef8a62", "above": "#2166ac"}.get(n.band, "#7b8794")
        for n in nations
    ]
    chart.layout["showlegend"] = False
    chart.height = 300
    return chart


# Decision record ---------------------------------------------------------------------------


def outvoted_chart(
    balance: ProgrammeBalance, thresholds: dict[str, Decimal]
) -> charts.Chart | None:
    """Each nation's outvoted rate, coloured past the ``outvoted`` rule's thresholds."""
    if not balance.nations:
        return None
    chart = charts.grouped_bars(
        "chart-outvoted",
        "Outvoted rate",
        "Bar chart of the share of each nation's counted votes cast on the losing side; the "
        "dashed line is the warning threshold.",
        [n.name for n in balance.nations],
        [("Outvoted rate", [as_percent(n.outvoted_rate) for n in balance.nations], "#7b8794")],
        "outvoted rate",
        y_suffix=" %",
        reference=float(thresholds["warning"]) * 100,
    )
    chart.data[0]["marker"]["color"] = [
        _outvoted_colour(n.outvoted_rate, thresholds) for n in balance.nations
    ]
    chart.layout["showlegend"] = False
    chart.height = 280
    return chart


def _outvoted_colour(rate: Decimal | None, t: dict[str, Decimal]) -> str:
    if rate is None or rate < t["warning"]:
        return "#7b8794"
    return "#b2182b" if rate >= t["critical"] else "#ef8a62"


@dataclass
class MatrixCell:
    value: Decimal | int | None
    text: str
    detail: str = ""


def agreement_matrix(
    balance: ProgrammeBalance, nations: list[NationRow]
) -> list[tuple[NationRow, list[MatrixCell]]]:
    """How often each pair votes alike, as a nation × nation matrix: each nation's row with
    its agreement rate with every nation (a dash against itself)."""
    agreement: dict[tuple[str, str], PairBalance] = {}
    for pair in balance.pairs:
        agreement[(pair.a, pair.b)] = agreement[(pair.b, pair.a)] = pair
    codes = [n.code for n in balance.nations]
    cells = [
        [
            MatrixCell(None, "—")
            if a == b
            else MatrixCell(
                agreement[(a, b)].agreement_rate,
                pct(agreement[(a, b)].agreement_rate, 0),
                f"{agreement[(a, b)].agreed_decisions} of {agreement[(a, b)].shared_decisions}",
            )
            for b in codes
        ]
        for a in codes
    ]
    return list(zip(nations, cells, strict=True))


def agreement_chart(
    balance: ProgrammeBalance, matrix: list[tuple[NationRow, list[MatrixCell]]]
) -> charts.Chart | None:
    """The agreement matrix as a heat map, once some pair has voted on the same decision."""
    if not any(pair.shared_decisions for pair in balance.pairs):
        return None
    names = [n.name for n in balance.nations]
    lines = [line for _, line in matrix]
    return charts.heatmap(
        "chart-agreement",
        "How often each pair votes alike",
        "Heat map of the agreement rate of every pair of nations over the decisions where "
        "both cast a counted vote; the table below gives every value with its count.",
        x=names,
        y=names,
        z=[[as_percent(cell.value) for cell in line] for line in lines],
        text=[[cell.text if cell.value is not None else "" for cell in line] for line in lines],
        colourscale=[[0, "#fff7ec"], [0.5, "#fdbb84"], [1, "#b30000"]],
        zmin=0,
        zmax=100,
        colourbar_title="% alike",
    )


# Technology transfer -----------------------------------------------------------------------


@dataclass
class TransferRow:
    provider: str
    recipient: str
    milestones: int
    achieved: int
    delivered_weight: int
    overdue: int
    blocked: int


def transfer_matrix(balance: ProgrammeBalance) -> list[TransferRow]:
    """Milestones by provider and recipient nation: delivered weight, overdue, blocked (the
    balance's own counts, in code order)."""
    return [
        TransferRow(
            provider=provider,
            recipient=recipient,
            milestones=row["live"],
            achieved=row["achieved"],
            delivered_weight=row["delivered"],
            overdue=row["overdue"],
            blocked=row["blocked"],
        )
        for (provider, recipient), row in sorted(balance.transfers_between.items())
    ]


def transfer_chart(balance: ProgrammeBalance, transfers: list[TransferRow]) -> charts.Chart | None:
    """Weight delivered from each provider (rows) to each recipient (columns) as a heat map,
    with the overdue and blocked counts written in each cell."""
    if not transfers:
        return None
    names = [n.name for n in balance.nations]
    codes = [n.code for n in balance.nations]
    by_pair = {(t.provider, t.recipient): t for t in transfers}
    cells = [[None if a == b else by_pair.get((a, b)) for b in codes] for a in codes]
    return charts.heatmap(
        "chart-transfers",
        "Technology transferred: provider (rows) to recipient (columns)",
        "Heat map of the weight of technology-transfer milestones delivered from each "
        "provider nation to each recipient nation, with overdue counts; the table below "
        "gives every value.",
        x=names,
        y=names,
        z=[[None if cell is None else cell.delivered_weight for cell in line] for line in cells],
        text=[
            [
                ""
                if cell is None
                else f"{cell.delivered_weight} delivered"
                + (f"<br>{cell.overdue} overdue" if cell.overdue else "")
                + (f"<br>{cell.blocked} blocked" if cell.blocked else "")
                for cell in line
            ]
            for line in cells
        ],
        colourscale=[[0, "#f7fbff"], [1, "#08519c"]],
        zmin=0,
        zmax=max([t.delivered_weight for t in transfers] + [1]),
        colourbar_title="weight",
        x_title="recipient",
        y_title="provider",
    )


# Prior ties --------------------------------------------------------------------------------


@dataclass
class TieRow:
    pair: PairBalance
    a_name: str
    b_name: str

    # Written here rather than looped over in the template: a pair may share dozens of
    # programmes, and the template engine's per-item cost made this table most of the page
    # (years as `.year`, not `:%Y`, for the same reason).
    @property
    def programmes_text(self) -> str:
        return "; ".join(
            f"{part.name} ({part.code}, from {part.since.year}, {part.points} yrs)"
            for part in self.pair.tie_parts
            if part.kind == "programme"
        )

    @property
    def agreements_text(self) -> str:
        return "; ".join(
            f"{part.name} ({part.since.year})"
            for part in self.pair.tie_parts
            if part.kind == "agreement"
        )


@dataclass
class BlocTieRow:
    """How a nation's ties compare with a bloc's: the figure ``bloc_sidelining`` reads."""

    tie: BlocTie
    nation_name: str
    a_name: str
    b_name: str


def prior_ties(balance: ProgrammeBalance) -> list[TieRow]:
    """Each pair's shared history outside the programme, part by part, strongest first."""
    names = {n.code: n.name for n in balance.nations}
    rows = [TieRow(pair=pair, a_name=names[pair.a], b_name=names[pair.b]) for pair in balance.pairs]
    rows.sort(key=lambda row: (not row.pair.tie_strong, -row.pair.tie_index))
    return rows


def bloc_tie_rows(balance: ProgrammeBalance, thresholds: dict[str, Decimal]) -> list[BlocTieRow]:
    """For each nation, how its ties compare with each bloc of two others with a strong tie
    (``bloc_ties``; pairs less tied are no bloc)."""
    names = {n.code: n.name for n in balance.nations}
    return [
        BlocTieRow(tie=tie, nation_name=names[tie.nation], a_name=names[tie.a], b_name=names[tie.b])
        for tie in bloc_ties(balance, thresholds)
        if tie.bloc_index >= tie.strong_tie
    ]


# Open flags --------------------------------------------------------------------------------


def open_flags(programme: Programme, user=None) -> list[Flag]:
    """The programme's live flags the user may see: open before acknowledged, severest first."""
    flags = list(
        visible_flags(user)
        .filter(programme=programme, status__in=LIVE)
        .order_by("status", "-severity", "nation__code", "rule")
    )
    flags.sort(key=lambda f: (f.status != Flag.Status.OPEN, SEVERITIES.index(f.severity)))
    return flags


# Trends ------------------------------------------------------------------------------------


@dataclass
class Trends:
    """Each nation's return coefficient and leadership share at every scan of the programme."""

    #: (code, name) of every nation with a snapshot, in code order: the table's columns.
    nations: list[tuple[str, str]]
    #: One row per scan day: the day, and each nation's snapshot values (None where it has none).
    table: list[tuple[datetime.date, list[dict[str, Any] | None]]]
    chart: charts.Chart | None


def return_trends(programme: Programme, colours: dict[str, str], user=None) -> Trends:
    """The programme's snapshots the user may see, day by day (one query)."""
    trend_rows = list(
        released_snapshots(BalanceSnapshot.objects.filter(programme=programme), user)
        .order_by("taken_on", "nation__code")
        .values(
            "taken_on", "nation__code", "nation__name", "return_coefficient", "leadership_share"
        )
    )
    days = sorted({row["taken_on"] for row in trend_rows})
    names = dict((row["nation__code"], row["nation__name"]) for row in trend_rows)
    codes = sorted(names)
    values = {(row["taken_on"], row["nation__code"]): row for row in trend_rows}
    return Trends(
        nations=[(code, names[code]) for code in codes],
        table=[(day, [values.get((day, code)) for code in codes]) for day in days],
        chart=_trend_chart(days, codes, names, values, colours) if days else None,
    )


def _trend_chart(
    days: list[datetime.date],
    codes: list[str],
    names: dict[str, str],
    values: dict[tuple[datetime.date, str], dict[str, Any]],
    colours: dict[str, str],
) -> charts.Chart:
    chart = charts.lines(
        "chart-trend",
        "Return coefficient over time",
        "Line chart of each nation's return coefficient at every scan of the programme; "
        "the table below gives every value.",
        [
            (
                names[code],
                [day.isoformat() for day in days if (day, code) in values],
                [
                    as_float(values[(day, code)]["return_coefficient"], 3)
                    for day in days
                    if (day, code) in values
                ],
                colours.get(code, "#555"),
            )
            for code in codes
        ],
        "return coefficient",
        reference=1.0,
    )
    chart.layout["xaxis"]["tickformat"] = "%d %b %Y"
    if len(days) == 1:
        pad = datetime.timedelta(days=15)
        chart.layout["xaxis"]["range"] = [
            (days[0] - pad).isoformat(),
            (days[0] + pad).isoformat(),
        ]
    return chart


# Where the data comes from -----------------------------------------------------------------


CONFIDENCES = [value for value, _ in Confidence.choices]


@dataclass
class ProvenanceRow:
    label: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def values(self) -> list[int]:
        """Counts in CONFIDENCES order."""
        return [self.counts.get(c, 0) for c in CONFIDENCES]


@dataclass
class Provenance:
    """How many of the programme's records are reported, estimated or illustrative."""

    #: The kinds of record the programme has any of.
    rows: list[ProvenanceRow]
    #: (confidence, records of every kind) in CONFIDENCES order.
    totals: list[tuple[str, int]]
    total: int
    chart: charts.Chart | None


def data_provenance(programme: Programme, user=None) -> Provenance:
    """The provenance table, its totals and its stacked bars (one query)."""
    counts = provenance_counts(programme, user)
    rows = [row for row in counts if row.total]
    chart = None
    if rows:
        chart = charts.stacked_bars(
            "chart-provenance",
            "Where the data comes from",
            "Stacked bar chart of how many of each kind of record are reported, estimated or "
            "illustrative; the table below gives every count.",
            [row.label for row in rows],
            [
                (c, [row.counts.get(c, 0) for row in rows], CONFIDENCE_COLOURS[c])
                for c in CONFIDENCES
            ],
            "records",
        )
    return Provenance(
        rows=rows,
        totals=[(c, sum(row.counts.get(c, 0) for row in counts)) for c in CONFIDENCES],
        total=sum(row.total for row in counts),
        chart=chart,
    )


def provenance_counts(programme: Programme, user=None) -> list[ProvenanceRow]:
    """How many of the programme's records (of those the user may see) are reported,
    estimated, illustrative (one hand-written query: the ORM's union of eleven grouped
    querysets cost more to build than to run)."""
    src = sql_sources(viewer_nation(user), *(model for _, model, _ in PROVENANCE_SOURCES))
    parts, params = [], list(src.params)
    for index, (_, model, joins_where) in enumerate(PROVENANCE_SOURCES):
        joins, where = joins_where
        parts.append(
            f"SELECT {index}, r.confidence, COUNT(*) FROM {src[model]} r {joins} "
            f"WHERE {where} GROUP BY r.confidence"
        )
        params.append(programme.pk)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(src.with_clause + " UNION ALL ".join(parts), params)
        for kind, confidence, n in cursor.fetchall():
            counts[kind][confidence] = n
    return [
        ProvenanceRow(label, counts.get(i, {}))
        for i, (label, _, _) in enumerate(PROVENANCE_SOURCES)
    ]


#: The programme's records by kind: label, model, and the joins and condition (on the
#: programme's id) that tie a row to the programme through the plain tables.
PROVENANCE_SOURCES = [
    ("Programme", Programme, ("", "r.id = %s")),
    ("Participations", Participation, ("", "r.programme_id = %s")),
    ("Contributions", Contribution, ("", "r.programme_id = %s")),
    ("Work packages", WorkPackage, ("", "r.programme_id = %s")),
    (
        "Workshare allocations",
        WorkshareAllocation,
        ("JOIN programs_workpackage wp ON wp.id = r.work_package_id", "wp.programme_id = %s"),
    ),
    ("Decision bodies", DecisionBody, ("", "r.programme_id = %s")),
    ("Seats", Seat, ("JOIN programs_decisionbody b ON b.id = r.body_id", "b.programme_id = %s")),
    ("Leadership roles", LeadershipRole, ("", "r.programme_id = %s")),
    (
        "Decisions",
        Decision,
        ("JOIN programs_decisionbody b ON b.id = r.body_id", "b.programme_id = %s"),
    ),
    (
        "Votes",
        Vote,
        (
            "JOIN programs_decision d ON d.id = r.decision_id "
            "JOIN programs_decisionbody b ON b.id = d.body_id",
            "b.programme_id = %s",
        ),
    ),
    ("Technology transfers", TechTransferMilestone, ("", "r.programme_id = %s")),
]
