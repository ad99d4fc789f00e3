"""The pair page: what one nation gives another and gets from it across every programme both
take part in (``dashboards/pair.html``), of what the viewer may see (``programs.access``), with
a verdict sentence built from the page's figures."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from programs.access import released, released_to, viewer_nation
from programs.balance.flags import LIVE
from programs.balance.rules.wording import and_join, the
from programs.balance.statements import active_on, sql_sources
from programs.balance.thresholds import RULE_DEFAULTS
from programs.balance.tie_index import TiePart, tie_index_by_year, tie_parts
from programs.balance.workshare import work_by_nation
from programs.dashboards import charts
from programs.dashboards.formatting import money
from programs.dashboards.shared import palette
from programs.flags.selectors import visible_flags
from programs.models import (
    Agreement,
    Contribution,
    Decision,
    DecisionBody,
    Flag,
    LeadershipRole,
    Nation,
    Participation,
    TechTransferMilestone,
    Vote,
    WorkshareAllocation,
)

DAYS_PER_YEAR = Decimal("365.25")
#: ``tie_parts`` leaves out one programme (the one whose balance it is); no programme has id 0,
#: so a nation pair's tie counts every programme both took part in.
NO_PROGRAMME = 0


def pair_page(a: Nation, b: Nation, today: datetime.date | None = None, user=None) -> dict:
    """What nation a gives nation b and gets from it across every programme both take part in
    (of what the user may see), section by section in the page's order."""
    today = today or timezone.localdate()
    programmes = shared_programmes(a, b, today, user)
    rows = sorted(programmes.values(), key=lambda p: p.code)
    agreements = shared_agreements(a, b, user)
    totals = _pair_totals(rows)
    tie = pair_tie(a, b, today, viewer_nation(user))
    colours = palette()
    drawn = {
        "ledger": _ledger_chart(a, b, totals, colours) if rows else None,
        "tie": _tie_chart(a, b, tie) if tie.years else None,
    }
    return {
        "a": a,
        "b": b,
        "today": today,
        "verdict": verdict(a, b, rows, agreements, today),
        "totals": totals,
        "programmes": rows,
        "milestones": latest_milestones(a, b, user),
        "roles_held": lead_roles_held(a, b, list(programmes), today, user),
        "agreements": agreements,
        "tie": tie,
        "flags": flags_naming_both(a, b, user),
        "charts": {name: chart for name, chart in drawn.items() if chart is not None},
    }


# Money, work, technology and votes, programme by programme ---------------------------------


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


def shared_programmes(
    a: Nation, b: Nation, today: datetime.date, user=None
) -> dict[int, SharedProgramme]:
    """Every programme both nations take part in (of those the user may see), by id in code
    order, with each one's money and work, lead-role weight, votes and technology each way."""
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
        _fill_lead_weights(programmes, shared_ids, a, b, today, user)
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
    return programmes


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


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.000001"))


def _fill_lead_weights(
    programmes: dict[int, SharedProgramme],
    shared_ids: list[int],
    a: Nation,
    b: Nation,
    today: datetime.date,
    user=None,
) -> None:
    """The weight of the lead roles active on ``today``: a's, b's and every nation's."""
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


# The ledger and the verdict -------------------------------------------------------------


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


# Technology each way, lead roles, shared history, flags -------------------------------------


def latest_milestones(a: Nation, b: Nation, user=None) -> list[TechTransferMilestone]:
    """The 25 latest-planned technology-transfer milestones from either nation to the other."""
    return list(
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


def lead_roles_held(
    a: Nation, b: Nation, programme_ids: list[int], today: datetime.date, user=None
) -> list[LeadershipRole]:
    """The lead roles a and b hold on ``today`` in the programmes they share."""
    return list(
        released(
            LeadershipRole.objects.filter(programme_id__in=programme_ids, nation__in=[a, b]), user
        )
        .filter(active_on(today, "started_on", "ended_on"))
        .select_related("programme", "nation", "organisation")
        .order_by("programme__code", "nation__code", "-weight", "title")
    )


def shared_agreements(a: Nation, b: Nation, user=None) -> list[Agreement]:
    """Every agreement binding both nations, oldest first."""
    return list(
        released(Agreement.objects.filter(nations=a).filter(nations=b), user).order_by(
            "signed_on", "name"
        )
    )


def flags_naming_both(a: Nation, b: Nation, user=None) -> list[Flag]:
    """The live flags on either nation that name the other as a counterpart."""
    return list(
        visible_flags(user)
        .filter(status__in=LIVE)
        .filter(Q(nation=a, counterparts=b) | Q(nation=b, counterparts=a))
        .distinct()
        .order_by("programme__code", "nation__code", "rule")
    )


# Tie index over time ----------------------------------------------------------------------


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
