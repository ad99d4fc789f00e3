"""Per-page data of the dashboards, each page in a fixed number of queries.

Every figure comes from a ``GROUP BY`` in the database (the balance engine's aggregates, or one
of the few here), never from a query per row: a page costs the same number of queries with three
programmes or three hundred. Templates only lay out what these functions return.

Every page is built for its viewer (``programs.access``): a restricted user's pages show only
the records released to their nation, figures are computed over those rows only, and flags and
snapshots appear only for the programmes they see in full.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db import connection
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from programs.access import (
    released,
    released_flags,
    released_snapshots,
    released_to,
    viewer_nation,
)
from programs.balance.flags import LIVE
from programs.balance.global_returns import global_returns
from programs.balance.programme_balance import (
    NationBalance,
    PairBalance,
    ProgrammeBalance,
    programme_balance,
)
from programs.balance.rules.wording import and_join, the
from programs.balance.scan import programme_thresholds
from programs.balance.statements import active_on, sql_sources
from programs.balance.thresholds import RULE_DEFAULTS, thresholds_for
from programs.balance.tie_index import TiePart, tie_index_by_year, tie_parts
from programs.balance.ties import BlocTie, bloc_ties
from programs.balance.workshare import work_by_nation
from programs.dashboards import charts
from programs.dashboards.formatting import (
    CONFIDENCE_COLOURS,
    MEASURE_COLOURS,
    RETURN_COLOURSCALE,
    RETURN_RANGE,
    as_float,
    as_percent,
    money,
    nation_colours,
    num,
    pct,
    return_band,
)
from programs.flags.selectors import last_scan_at, visible_flags
from programs.models import (
    Agreement,
    BalanceSnapshot,
    Confidence,
    Contribution,
    Decision,
    DecisionBody,
    Flag,
    LeadershipRole,
    Nation,
    Participation,
    Programme,
    ScenarioLoad,
    Seat,
    TechTransferMilestone,
    ThresholdOverride,
    Vote,
    WorkPackage,
    WorkshareAllocation,
)

SEVERITIES: list[str] = [Flag.Severity.CRITICAL, Flag.Severity.WARNING, Flag.Severity.INFO]
DAYS_PER_YEAR = Decimal("365.25")
#: ``tie_parts`` leaves out one programme (the one whose balance it is); no programme has id 0,
#: so a nation pair's tie counts every programme both took part in.
NO_PROGRAMME = 0


# Shared pieces -------------------------------------------------------------------------------


def palette() -> dict[str, str]:
    """A colour per nation code, the same on every page (one query)."""
    return nation_colours(list(Nation.objects.order_by("code").values_list("code", flat=True)))


# Portfolio ----------------------------------------------------------------------------------


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
    global_returns: list
    scenario_loads: list[ScenarioLoad]
    pairs: list[tuple[str, str, str, str]]
    chart: charts.Chart | None


def portfolio(user=None) -> Portfolio:
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
    flag_counts: dict[tuple[int | None, str], Counter] = defaultdict(Counter)
    for row in (
        released_flags(Flag.objects.filter(status__in=LIVE), user)
        .values("programme_id", "nation__code", "severity", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        key = "acknowledged" if row["status"] == Flag.Status.ACKNOWLEDGED else row["severity"]
        flag_counts[(row["programme_id"], row["nation__code"])][key] += row["n"]
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

    chart = None
    if rows and nations:
        chart = charts.heatmap(
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

    return Portfolio(
        nations=nations,
        rows=rows,
        severity_counts=[(s, totals[s]) for s in SEVERITIES],
        acknowledged=totals["acknowledged"],
        cross_programme_flags=cross,
        last_scan_at=last_scan_at(user),
        global_returns=[
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
        ],
        scenario_loads=list(ScenarioLoad.objects.order_by("-loaded_at")[:5]),
        pairs=pairs,
        chart=chart,
    )


# Programme ----------------------------------------------------------------------------------


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


@dataclass
class MatrixCell:
    value: Decimal | int | None
    text: str
    detail: str = ""


@dataclass
class TransferRow:
    provider: str
    recipient: str
    milestones: int
    achieved: int
    delivered_weight: int
    overdue: int
    blocked: int


@dataclass
class TieRow:
    pair: PairBalance
    a_name: str
    b_name: str

    # Written here rather than looped over in the template: a pair may share dozens of
    # programmes, and the template engine's per-item cost made this table most of the page.
    # Years as `.year`, not `:%Y`: strftime took 1.2 µs an item, a fifth of the table.
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


def programme_page(programme: Programme, as_of: datetime.date | None = None, user=None) -> dict:
    """Everything the programme page shows to the user, as of a day (default today)."""
    as_of = as_of or timezone.localdate()
    nation_id = viewer_nation(user)
    thresholds = programme_thresholds(programme, nation_id=nation_id)
    overdue_days = int(thresholds["tech_transfer_overdue"]["overdue_days"])
    balance = programme_balance(programme, as_of, overdue_days=overdue_days, nation_id=nation_id)
    colours = palette()
    rows = [
        NationRow(
            n,
            colours.get(n.code, "#555"),
            return_band(n.return_coefficient, thresholds["workshare_return"]),
        )
        for n in balance.nations
    ]
    names = [n.name for n in balance.nations]
    codes = [n.code for n in balance.nations]

    page: dict = {
        "programme": programme,
        "balance": balance,
        "as_of": as_of,
        "nations": rows,
        "thresholds": thresholds,
        "charts": {},
    }
    if rows:
        page["charts"]["shares"] = share_chart(
            balance,
            "chart-shares",
            "Shares side by side",
            f"{programme.code}; the table below gives every value.",
        )
        returns = charts.grouped_bars(
            "chart-returns",
            "Return coefficient",
            "Bar chart of each nation's return coefficient (workshare share over contribution "
            "share); the dashed line is a fair return of 1.00.",
            names,
            [
                (
                    "Return coefficient",
                    [as_float(n.return_coefficient, 3) for n in balance.nations],
                    "#52606d",
                )
            ],
            "return coefficient",
            reference=1.0,
        )
        returns.data[0]["marker"]["color"] = [
            {"critical": "#b2182b", "warning": "#ef8a62", "above": "#2166ac"}.get(r.band, "#7b8794")
            for r in rows
        ]
        returns.layout["showlegend"] = False
        returns.height = 300
        page["charts"]["returns"] = returns
        outvoted = charts.grouped_bars(
            "chart-outvoted",
            "Outvoted rate",
            "Bar chart of the share of each nation's counted votes cast on the losing side; the "
            "dashed line is the warning threshold.",
            names,
            [("Outvoted rate", [as_percent(n.outvoted_rate) for n in balance.nations], "#7b8794")],
            "outvoted rate",
            y_suffix=" %",
            reference=float(thresholds["outvoted"]["warning"]) * 100,
        )
        outvoted.data[0]["marker"]["color"] = [
            _outvoted_colour(n.outvoted_rate, thresholds["outvoted"]) for n in balance.nations
        ]
        outvoted.layout["showlegend"] = False
        outvoted.height = 280
        page["charts"]["outvoted"] = outvoted

    # Decision record: agreement rate of every pair, as a nation × nation matrix.
    agreement = {}
    for pair in balance.pairs:
        agreement[(pair.a, pair.b)] = agreement[(pair.b, pair.a)] = pair
    agreement_matrix = [
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
    page["agreement_matrix"] = list(zip(rows, agreement_matrix, strict=True))
    if any(pair.shared_decisions for pair in balance.pairs):
        page["charts"]["agreement"] = charts.heatmap(
            "chart-agreement",
            "How often each pair votes alike",
            "Heat map of the agreement rate of every pair of nations over the decisions where "
            "both cast a counted vote; the table below gives every value with its count.",
            x=names,
            y=names,
            z=[[as_percent(cell.value) for cell in line] for line in agreement_matrix],
            text=[
                [cell.text if cell.value is not None else "" for cell in line]
                for line in agreement_matrix
            ],
            colourscale=[[0, "#fff7ec"], [0.5, "#fdbb84"], [1, "#b30000"]],
            zmin=0,
            zmax=100,
            colourbar_title="% alike",
        )

    transfers = transfer_matrix(balance)
    page["transfers"] = transfers
    page["overdue_days"] = overdue_days
    by_pair = {(t.provider, t.recipient): t for t in transfers}
    transfer_cells = [[None if a == b else by_pair.get((a, b)) for b in codes] for a in codes]
    page["transfer_matrix"] = list(zip(rows, transfer_cells, strict=True))
    if transfers:
        page["charts"]["transfers"] = charts.heatmap(
            "chart-transfers",
            "Technology transferred: provider (rows) to recipient (columns)",
            "Heat map of the weight of technology-transfer milestones delivered from each "
            "provider nation to each recipient nation, with overdue counts; the table below "
            "gives every value.",
            x=names,
            y=names,
            z=[
                [None if cell is None else cell.delivered_weight for cell in line]
                for line in transfer_cells
            ],
            text=[
                [
                    ""
                    if cell is None
                    else f"{cell.delivered_weight} delivered"
                    + (f"<br>{cell.overdue} overdue" if cell.overdue else "")
                    + (f"<br>{cell.blocked} blocked" if cell.blocked else "")
                    for cell in line
                ]
                for line in transfer_cells
            ],
            colourscale=[[0, "#f7fbff"], [1, "#08519c"]],
            zmin=0,
            zmax=max([t.delivered_weight for t in transfers] + [1]),
            colourbar_title="weight",
            x_title="recipient",
            y_title="provider",
        )

    page["ties"] = prior_ties(balance)
    page["bloc_ties"] = bloc_tie_rows(balance, thresholds["bloc_sidelining"])

    flags = list(
        visible_flags(user)
        .filter(programme=programme, status__in=LIVE)
        .order_by("status", "-severity", "nation__code", "rule")
    )
    flags.sort(key=lambda f: (f.status != Flag.Status.OPEN, SEVERITIES.index(f.severity)))
    page["flags"] = flags

    trend_rows = list(
        released_snapshots(BalanceSnapshot.objects.filter(programme=programme), user)
        .order_by("taken_on", "nation__code")
        .values(
            "taken_on", "nation__code", "nation__name", "return_coefficient", "leadership_share"
        )
    )
    days = sorted({row["taken_on"] for row in trend_rows})
    trend_names = dict((row["nation__code"], row["nation__name"]) for row in trend_rows)
    trend_codes = sorted(trend_names)
    values = {(row["taken_on"], row["nation__code"]): row for row in trend_rows}
    page["trend_nations"] = [(code, trend_names[code]) for code in trend_codes]
    page["trend_table"] = [(day, [values.get((day, code)) for code in trend_codes]) for day in days]
    if days:
        page["charts"]["trend"] = charts.lines(
            "chart-trend",
            "Return coefficient over time",
            "Line chart of each nation's return coefficient at every scan of the programme; "
            "the table below gives every value.",
            [
                (
                    trend_names[code],
                    [day.isoformat() for day in days if (day, code) in values],
                    [
                        as_float(values[(day, code)]["return_coefficient"], 3)
                        for day in days
                        if (day, code) in values
                    ],
                    colours.get(code, "#555"),
                )
                for code in trend_codes
            ],
            "return coefficient",
            reference=1.0,
        )
        trend = page["charts"]["trend"]
        trend.layout["xaxis"]["tickformat"] = "%d %b %Y"
        if len(days) == 1:
            pad = datetime.timedelta(days=15)
            trend.layout["xaxis"]["range"] = [
                (days[0] - pad).isoformat(),
                (days[0] + pad).isoformat(),
            ]

    provenance = provenance_counts(programme, user)
    confidences = CONFIDENCES
    page["confidences"] = confidences
    page["provenance"] = [row for row in provenance if row.total]
    page["provenance_totals"] = [
        (c, sum(row.counts.get(c, 0) for row in provenance)) for c in confidences
    ]
    page["provenance_total"] = sum(row.total for row in provenance)
    if page["provenance"]:
        page["charts"]["provenance"] = charts.stacked_bars(
            "chart-provenance",
            "Where the data comes from",
            "Stacked bar chart of how many of each kind of record are reported, estimated or "
            "illustrative; the table below gives every count.",
            [row.label for row in page["provenance"]],
            [
                (c, [row.counts.get(c, 0) for row in page["provenance"]], CONFIDENCE_COLOURS[c])
                for c in confidences
            ],
            "records",
        )
    return page


def _outvoted_colour(rate: Decimal | None, t: dict[str, Decimal]) -> str:
    if rate is None or rate < t["warning"]:
        return "#7b8794"
    return "#b2182b" if rate >= t["critical"] else "#ef8a62"


# Nation pair -------------------------------------------------------------------------------


@dataclass
class SharedProgramme:
    code: str
    name: str
    currency: str
    a_role: str
    b_role: str
    overlap_from: datetime.date | None
    overlap_years: Decimal
    a_contribution_share: Decimal | None = None
    b_contribution_share: Decimal | None = None
    basis: str = ""
    total_work: Decimal = Decimal(0)
    a_work: Decimal = Decimal(0)
    b_work: Decimal = Decimal(0)
    a_workshare: Decimal | None = None
    b_workshare: Decimal | None = None
    a_return: Decimal | None = None
    b_return: Decimal | None = None
    #: Work placed with b's industry paid for by a's share of the funding, and the reverse.
    a_funds_b: Decimal = Decimal(0)
    b_funds_a: Decimal = Decimal(0)
    a_lead_weight: int = 0
    b_lead_weight: int = 0
    total_lead_weight: int = 0
    a_to_b: dict = field(default_factory=dict)
    b_to_a: dict = field(default_factory=dict)
    shared_decisions: int = 0
    together: int = 0
    a_prevailed: int = 0
    b_prevailed: int = 0

    @property
    def net_to_a(self) -> Decimal:
        return self.b_funds_a - self.a_funds_b


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.000001"))


def _overlap(rows: list[dict], today: datetime.date) -> tuple[datetime.date | None, Decimal]:
    """Start and length in years of two participations' overlap (SPEC §2's prior-tie spans)."""
    spans = []
    for row in rows:
        start = row["joined_on"] or row["programme__started_on"]
        end = min(row["left_on"] or row["programme__ended_on"] or today, today)
        spans.append((start, end))
    if any(start is None for start, _ in spans):
        return None, Decimal(0)
    start = max(s for s, _ in spans)
    end = min(e for _, e in spans)
    if end <= start:
        return None, Decimal(0)
    return start, (Decimal((end - start).days) / DAYS_PER_YEAR).quantize(Decimal("0.1"))


def _pair_votes(
    a_id: int, b_id: int, nation_id: int | None = None
) -> dict[int, tuple[int, int, int, int]]:
    """programme id -> (decisions both voted on, voted alike, a prevailed, b prevailed).

    Counted votes only (for/against on approved/rejected decisions); a nation prevails on a
    split when its side carried the decision. With a viewer ``nation_id``, visible votes only.
    """
    src = sql_sources(nation_id, Vote, Decision, DecisionBody)
    vote, decision, body = src[Vote], src[Decision], src[DecisionBody]
    won = "((x.position = %s AND d.outcome = %s) OR (x.position = %s AND d.outcome = %s))"
    sql = f"""
        {src.with_clause}SELECT b.programme_id, COUNT(*),
               SUM(CASE WHEN x.position = y.position THEN 1 ELSE 0 END),
               SUM(CASE WHEN x.position <> y.position AND {won} THEN 1 ELSE 0 END),
               SUM(CASE WHEN x.position <> y.position AND NOT {won} THEN 1 ELSE 0 END)
        FROM {vote} x
        JOIN {vote} y ON y.decision_id = x.decision_id
        JOIN {decision} d ON d.id = x.decision_id
        JOIN {body} b ON b.id = d.body_id
        WHERE x.nation_id = %s AND y.nation_id = %s AND d.outcome IN (%s, %s)
          AND x.position IN (%s, %s) AND y.position IN (%s, %s)
        GROUP BY b.programme_id
    """
    won_params = [
        Vote.Position.FOR,
        Decision.Outcome.APPROVED,
        Vote.Position.AGAINST,
        Decision.Outcome.REJECTED,
    ]
    counted = [Vote.Position.FOR, Vote.Position.AGAINST]
    params = [
        *src.params,
        *won_params,
        *won_params,
        a_id,
        b_id,
        Decision.Outcome.APPROVED,
        Decision.Outcome.REJECTED,
        *counted,
        *counted,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            pid: (int(shared), int(alike or 0), int(a_won or 0), int(b_won or 0))
            for pid, shared, alike, a_won, b_won in cursor.fetchall()
        }


def pair_page(a: Nation, b: Nation, today: datetime.date | None = None, user=None) -> dict:
    """What nation a gives nation b and gets from it across every programme both take part in
    (of what the user may see)."""
    today = today or timezone.localdate()
    nation_id = viewer_nation(user)
    own = list(
        released(Participation.objects.filter(nation__in=[a, b]), user)
        .values(
            "programme_id",
            "programme__code",
            "programme__name",
            "programme__currency",
            "programme__started_on",
            "programme__ended_on",
            "nation_id",
            "role",
            "joined_on",
            "left_on",
        )
        .order_by("programme__code")
    )
    by_programme: dict[int, dict[int, dict]] = defaultdict(dict)
    for row in own:
        by_programme[row["programme_id"]][row["nation_id"]] = row
    shared_ids = [pid for pid, rows in by_programme.items() if len(rows) == 2]
    roles = dict(Participation.Role.choices)

    programmes: dict[int, SharedProgramme] = {}
    for pid in shared_ids:
        ra, rb = by_programme[pid][a.pk], by_programme[pid][b.pk]
        start, years = _overlap([ra, rb], today)
        programmes[pid] = SharedProgramme(
            code=ra["programme__code"],
            name=ra["programme__name"],
            currency=ra["programme__currency"],
            a_role=roles.get(ra["role"], ra["role"]),
            b_role=roles.get(rb["role"], rb["role"]),
            overlap_from=start,
            overlap_years=years,
        )

    if shared_ids:
        _fill_money(programmes, shared_ids, a, b, today, nation_id)
        for row in (
            released(LeadershipRole.objects.filter(programme_id__in=shared_ids), user)
            .filter(active_on(today, "started_on", "ended_on"))
            .values("programme_id", "nation_id")
            .annotate(weight=Sum("weight"))
            .order_by()
        ):
            shared = programmes[row["programme_id"]]
            shared.total_lead_weight += int(row["weight"])
            if row["nation_id"] == a.pk:
                shared.a_lead_weight = int(row["weight"])
            elif row["nation_id"] == b.pk:
                shared.b_lead_weight = int(row["weight"])
        for pid, (count, alike, a_won, b_won) in _pair_votes(a.pk, b.pk, nation_id).items():
            if pid in programmes:
                shared = programmes[pid]
                shared.shared_decisions, shared.together = count, alike
                shared.a_prevailed, shared.b_prevailed = a_won, b_won

    transfers = _pair_transfers(a, b, today, user)
    for (pid, provider), figures in transfers.items():
        if pid in programmes:
            target = programmes[pid].a_to_b if provider == a.pk else programmes[pid].b_to_a
            target.update(figures)

    roles_held = list(
        released(
            LeadershipRole.objects.filter(programme_id__in=shared_ids, nation__in=[a, b]), user
        )
        .filter(active_on(today, "started_on", "ended_on"))
        .select_related("programme", "nation", "organisation")
        .order_by("programme__code", "nation__code", "-weight", "title")
    )
    milestones = list(
        released(
            TechTransferMilestone.objects.filter(
                Q(provider__nation=a, recipient__nation=b)
                | Q(provider__nation=b, recipient__nation=a)
            ),
            user,
        )
        .select_related("programme", "provider", "recipient")
        .order_by("-planned_on", "title")[:25]
    )
    agreements = list(
        released(Agreement.objects.filter(nations=a).filter(nations=b), user).order_by(
            "signed_on", "name"
        )
    )
    flags = list(
        visible_flags(user)
        .filter(status__in=LIVE)
        .filter(Q(nation=a, counterparts=b) | Q(nation=b, counterparts=a))
        .distinct()
        .order_by("programme__code", "nation__code", "rule")
    )
    rows = [programmes[pid] for pid in shared_ids]
    rows.sort(key=lambda p: p.code)
    colours = palette()
    page: dict[str, Any] = {
        "a": a,
        "b": b,
        "today": today,
        "programmes": rows,
        "roles_held": roles_held,
        "milestones": milestones,
        "agreements": agreements,
        "flags": flags,
        "totals": _pair_totals(rows),
        "charts": {},
    }
    page["verdict"] = verdict(a, b, rows, agreements, today)
    if rows:
        page["charts"]["ledger"] = _ledger_chart(a, b, page["totals"], colours)
    page["tie"] = pair_tie(a, b, today, nation_id)
    if page["tie"].years:
        page["charts"]["tie"] = _tie_chart(a, b, page["tie"])
    return page


@dataclass
class PairTie:
    """The pair's tie index over its whole shared history (every programme both took part in)
    as of the day, its parts, and its index at the end of each year since it began."""

    index: Decimal
    since: datetime.date | None
    parts: list[TiePart]
    years: list[tuple[datetime.date, Decimal]]


def pair_tie(a: Nation, b: Nation, today: datetime.date, nation_id: int | None = None) -> PairTie:
    """Two queries: the parts and index as of the day, then the index year by year."""
    rows = tie_parts(NO_PROGRAMME, [a.pk, b.pk], today, nation_id=nation_id)
    if not rows:
        return PairTie(index=Decimal("0.00"), since=None, parts=[], years=[])
    *_, index, _, since = rows[0]
    parts = [
        TiePart(kind=kind, code=code, name=name, since=start, points=points)
        for _, _, kind, code, name, start, points, *_ in rows
    ]
    years = tie_index_by_year(a.pk, b.pk, since, today, nation_id=nation_id)
    return PairTie(index=index, since=since, parts=parts, years=years)


def _tie_chart(a: Nation, b: Nation, tie: PairTie) -> charts.Chart:
    return charts.lines(
        "chart-tie",
        f"Tie index of {a.name} and {b.name}, year by year",
        f"Line chart of the tie index of {a.name} and {b.name} at the end of each year since "
        f"{tie.since.year if tie.since else ''}: years of shared programmes plus 5 points per agreement in force; "
        "the table beside it gives every value.",
        [
            (
                "tie index",
                [day.isoformat() for day, _ in tie.years],
                [float(v) for _, v in tie.years],
                "#0072B2",
            )
        ],
        "points",
        reference=5,
    )


def _fill_money(
    programmes: dict[int, SharedProgramme],
    shared_ids: list[int],
    a: Nation,
    b: Nation,
    today: datetime.date,
    nation_id: int | None = None,
) -> None:
    """Contribution shares (recorded, else agreed, else equal: SPEC §2) and work of a and b as
    of ``today`` (money whose period started by then), over the rows visible to the viewer
    ``nation_id`` (all for None)."""
    contributed: dict[tuple[int, int], Decimal] = {}
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for row in (
        released_to(
            Contribution.objects.filter(programme_id__in=shared_ids, period_start__lte=today),
            nation_id,
        )
        .values("programme_id", "nation_id")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        contributed[(row["programme_id"], row["nation_id"])] = row["total"]
        totals[row["programme_id"]] += row["total"]
    agreed: dict[tuple[int, int], Decimal | None] = {}
    active: Counter = Counter()
    for row in (
        released_to(Participation.objects.filter(programme_id__in=shared_ids), nation_id)
        .filter(active_on(today, "joined_on", "left_on"))
        .values("programme_id", "nation_id", "agreed_share")
    ):
        active[row["programme_id"]] += 1
        agreed[(row["programme_id"], row["nation_id"])] = row["agreed_share"]
    work_totals = {
        row["work_package__programme_id"]: row["total"]
        for row in released_to(
            WorkshareAllocation.objects.filter(
                work_package__programme_id__in=shared_ids, period_start__lte=today
            ),
            nation_id,
        )
        .values("work_package__programme_id")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    work = work_by_nation(shared_ids, today, nation_id=nation_id)

    for pid, shared in programmes.items():
        if totals[pid] > 0:
            shared.basis = "recorded"
            share_a = _ratio(contributed.get((pid, a.pk), Decimal(0)), totals[pid])
            share_b = _ratio(contributed.get((pid, b.pk), Decimal(0)), totals[pid])
        elif any(agreed.get((pid, n)) for n in (a.pk, b.pk)) or any(
            value for (p, _), value in agreed.items() if p == pid
        ):
            shared.basis = "agreed"
            share_a = _ratio(agreed.get((pid, a.pk)) or Decimal(0), Decimal(100))
            share_b = _ratio(agreed.get((pid, b.pk)) or Decimal(0), Decimal(100))
        else:
            shared.basis = "equal"
            share_a = _ratio(Decimal(1), Decimal(active[pid])) if (pid, a.pk) in agreed else None
            share_b = _ratio(Decimal(1), Decimal(active[pid])) if (pid, b.pk) in agreed else None
        shared.a_contribution_share, shared.b_contribution_share = share_a, share_b
        shared.total_work = Decimal(work_totals.get(pid) or 0)
        shared.a_work = work.get((pid, a.pk), Decimal(0))
        shared.b_work = work.get((pid, b.pk), Decimal(0))
        shared.a_workshare = _ratio(shared.a_work, shared.total_work)
        shared.b_workshare = _ratio(shared.b_work, shared.total_work)
        if share_a and shared.a_workshare is not None:
            shared.a_return = _ratio(shared.a_workshare, share_a)
        if share_b and shared.b_workshare is not None:
            shared.b_return = _ratio(shared.b_workshare, share_b)
        shared.a_funds_b = (shared.b_work * (share_a or 0)).quantize(Decimal("0.01"))
        shared.b_funds_a = (shared.a_work * (share_b or 0)).quantize(Decimal("0.01"))


def _pair_transfers(
    a: Nation, b: Nation, today: datetime.date, user=None
) -> dict[tuple[int, int], dict]:
    """(programme id, provider nation id) -> milestone counts and delivered weight."""
    cancelled = Q(status=TechTransferMilestone.Status.CANCELLED)
    achieved = Q(status=TechTransferMilestone.Status.ACHIEVED, achieved_on__lte=today)
    overdue_days = int(RULE_DEFAULTS["tech_transfer_overdue"]["overdue_days"])
    overdue_before = today - datetime.timedelta(days=overdue_days)
    rows = (
        released(
            TechTransferMilestone.objects.filter(
                Q(provider__nation=a, recipient__nation=b)
                | Q(provider__nation=b, recipient__nation=a)
            ),
            user,
        )
        .values("programme_id", "provider__nation_id")
        .annotate(
            milestones=Count("id", filter=~cancelled),
            achieved=Count("id", filter=achieved),
            delivered=Sum("weight", filter=achieved),
            overdue=Count("id", filter=~achieved & ~cancelled & Q(planned_on__lt=overdue_before)),
            blocked=Count("id", filter=Q(status=TechTransferMilestone.Status.BLOCKED)),
        )
        .order_by()
    )
    return {
        (row["programme_id"], row["provider__nation_id"]): {
            "milestones": row["milestones"],
            "achieved": row["achieved"],
            "delivered": int(row["delivered"] or 0),
            "overdue": row["overdue"],
            "blocked": row["blocked"],
        }
        for row in rows
    }


@dataclass
class PairTotals:
    #: currency -> (a funds b's industry, b funds a's industry)
    funding: dict[str, tuple[Decimal, Decimal]]
    a_received_weight: int
    b_received_weight: int
    a_overdue: int
    b_overdue: int
    a_blocked: int
    b_blocked: int
    a_lead_weight: int
    b_lead_weight: int
    total_lead_weight: int
    shared_decisions: int
    together: int
    a_prevailed: int
    b_prevailed: int


def _pair_totals(rows: list[SharedProgramme]) -> PairTotals:
    funding: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in rows:
        funding[row.currency][0] += row.a_funds_b
        funding[row.currency][1] += row.b_funds_a
    return PairTotals(
        funding={c: (v[0], v[1]) for c, v in sorted(funding.items())},
        a_received_weight=sum(r.b_to_a.get("delivered", 0) for r in rows),
        b_received_weight=sum(r.a_to_b.get("delivered", 0) for r in rows),
        a_overdue=sum(r.b_to_a.get("overdue", 0) for r in rows),
        b_overdue=sum(r.a_to_b.get("overdue", 0) for r in rows),
        a_blocked=sum(r.b_to_a.get("blocked", 0) for r in rows),
        b_blocked=sum(r.a_to_b.get("blocked", 0) for r in rows),
        a_lead_weight=sum(r.a_lead_weight for r in rows),
        b_lead_weight=sum(r.b_lead_weight for r in rows),
        total_lead_weight=sum(r.total_lead_weight for r in rows),
        shared_decisions=sum(r.shared_decisions for r in rows),
        together=sum(r.together for r in rows),
        a_prevailed=sum(r.a_prevailed for r in rows),
        b_prevailed=sum(r.b_prevailed for r in rows),
    )


def verdict(
    a: Nation,
    b: Nation,
    rows: list[SharedProgramme],
    agreements: list[Agreement],
    today: datetime.date,
) -> str:
    """One sentence on who gets more out of the relationship, built from the page's figures.

    Each measure (industrial funding per currency, technology received, lead-role weight, who
    prevails when the two split) counts for the nation it favours; the verdict names the
    measures and their figures so the reader can weigh them.
    """
    if not rows:
        return (
            f"{the(a.name, capital=True)} and {the(b.name)} take part in no programme together, "
            "so there is nothing to weigh yet."
        )
    totals = _pair_totals(rows)
    favours: Counter = Counter()
    clauses = []
    for currency, (a_funds_b, b_funds_a) in totals.funding.items():
        if a_funds_b or b_funds_a:
            favours[_side(b_funds_a, a_funds_b)] += 1
            clauses.append(
                f"{_possessive(a.name)} contributions pay for {money(a_funds_b, currency)} of work "
                f"placed with {_possessive(b.name)} industry and {_possessive(b.name)} for "
                f"{money(b_funds_a, currency)} of work placed with {_possessive(a.name)}"
            )
    if totals.a_received_weight or totals.b_received_weight:
        favours[_side(totals.a_received_weight, totals.b_received_weight)] += 1
        clauses.append(
            f"{the(a.name)} received technology of weight {totals.a_received_weight} from "
            f"{the(b.name)} and delivered {totals.b_received_weight}"
        )
    if totals.total_lead_weight:
        favours[_side(totals.a_lead_weight, totals.b_lead_weight)] += 1
        clauses.append(
            f"it holds {totals.a_lead_weight} of {totals.total_lead_weight} lead-role weight "
            f"to {_possessive(b.name)} {totals.b_lead_weight}"
        )
    if totals.shared_decisions:
        clauses.append(
            f"the two voted alike on {totals.together} of {totals.shared_decisions} decisions"
        )
        if totals.a_prevailed or totals.b_prevailed:
            favours[_side(totals.a_prevailed, totals.b_prevailed)] += 1
            clauses[-1] += (
                f", and where they split {the(a.name)} prevailed {totals.a_prevailed} "
                f"and {the(b.name)} {totals.b_prevailed} time(s)"
            )
    codes = and_join([row.code for row in rows])
    measured = favours["a"] + favours["b"] + favours["even"]
    if favours["a"] > favours["b"]:
        head = f"{the(a.name, capital=True)} gets more from {the(b.name)} than it gives"
    elif favours["b"] > favours["a"]:
        head = f"{the(a.name, capital=True)} gives {the(b.name)} more than it gets"
    else:
        head = f"{the(a.name, capital=True)} and {the(b.name)} come out about even"
    if not measured:
        return (
            f"{the(a.name, capital=True)} and {the(b.name)} share {codes}, but no money, "
            "technology, lead roles or votes between them are recorded yet."
        )
    favoured = favours["b"] if favours["b"] > favours["a"] else favours["a"]
    summary = (
        f"{head} ({favoured} of {measured} measures"
        if favours["a"] != favours["b"]
        else f"{head} ({favours['a']} measure(s) each way"
    )
    return f"{summary}, in {codes}): " + "; ".join(clauses) + "."


def _side(a_value, b_value) -> str:
    if a_value > b_value:
        return "a"
    if b_value > a_value:
        return "b"
    return "even"


def _possessive(name: str) -> str:
    return f"{the(name)}’s"


def _ledger_chart(
    a: Nation, b: Nation, totals: PairTotals, colours: dict[str, str]
) -> charts.Chart:
    categories = ["Technology received (weight)", "Lead-role weight held", "Prevailed when split"]
    a_values: list[float | None] = [
        totals.a_received_weight,
        totals.a_lead_weight,
        totals.a_prevailed,
    ]
    b_values: list[float | None] = [
        totals.b_received_weight,
        totals.b_lead_weight,
        totals.b_prevailed,
    ]
    chart = charts.grouped_bars(
        "chart-ledger",
        f"{a.name} and {b.name}, measure by measure",
        f"Bar chart comparing {a.name} and {b.name} on technology received, lead-role weight "
        "and decisions won when they voted apart; the table below gives every value.",
        categories,
        [
            (a.name, a_values, colours.get(a.code, "#0072B2")),
            (b.name, b_values, colours.get(b.code, "#D55E00")),
        ],
        "",
    )
    chart.height = 320
    return chart
