"""The metrics of SPEC §2, computed with SQL aggregates.

A programme's balance takes a fixed number of queries whatever the number of contributions,
allocations, votes or milestones: every figure is a ``GROUP BY`` over nations (or pairs of
nations) in the database, and Python only assembles the handful of nations and pairs of the
programme. Joint ventures are looked through with a recursive CTE over ownership stakes (plain
``WITH RECURSIVE``, which PostgreSQL and SQLite both run).

Shares, rates and ratios are ``Decimal`` fractions rounded to six places (0.333333 for a
third); money is ``Decimal`` rounded to the cent, in the programme's currency.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import combinations
from types import SimpleNamespace

from django.db import connection
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from programs.access import RELEASE_PATHS, released_table, released_to
from programs.balance.statements import statement_cursor
from programs.models import (
    Agreement,
    Contribution,
    Decision,
    DecisionBody,
    LeadershipRole,
    Nation,
    Organisation,
    OwnershipStake,
    Participation,
    Programme,
    Seat,
    TechTransferMilestone,
    Vote,
    WorkPackage,
    WorkshareAllocation,
)

SIX_PLACES = Decimal("0.000001")
CENTS = Decimal("0.01")
ZERO = Decimal("0")
NO_POINTS = Decimal("0.00")
DAYS_PER_YEAR = Decimal("365.25")
#: A prior tie's index counts the years of shared programmes and this many points for each
#: agreement in force (SPEC §2); the tie is strong from STRONG_TIE points (a rule may ask for
#: more: ``bloc_sidelining``'s ``strong_tie``).
AGREEMENT_POINTS = Decimal("5")
STRONG_TIE = Decimal("5")
OVERDUE_DAYS = 90
#: Ventures owning ventures are followed this deep; it also stops ownership cycles.
MAX_LOOK_THROUGH_DEPTH = 8

COUNTED_OUTCOMES = (Decision.Outcome.APPROVED, Decision.Outcome.REJECTED)
COUNTED_POSITIONS = (Vote.Position.FOR, Vote.Position.AGAINST)


def ratio(numerator, denominator) -> Decimal | None:
    """numerator / denominator rounded to six places; None when the denominator is 0."""
    numerator, denominator = as_decimal(numerator), as_decimal(denominator)
    if denominator == 0:
        return None
    return (numerator / denominator).quantize(SIX_PLACES, rounding=ROUND_HALF_UP)


def share(numerator, denominator) -> Decimal:
    """Like ``ratio`` but 0 when there is nothing to share."""
    return ratio(numerator, denominator) or ZERO.quantize(SIX_PLACES)


def as_decimal(value) -> Decimal:
    """SQLite hands raw-SQL sums back as floats; PostgreSQL as Decimal."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def money(value) -> Decimal:
    return as_decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class NationBalance:
    code: str
    name: str
    #: Takes part in the programme on the day (joined on or before it, not left).
    active: bool
    role: str | None
    contributed: Decimal
    contribution_share: Decimal
    #: 'recorded', 'agreed' or 'equal': where the contribution share comes from (SPEC §2).
    contribution_basis: str
    work: Decimal
    workshare_share: Decimal
    return_coefficient: Decimal | None
    leadership_weight: int
    leadership_share: Decimal
    roles_held: int
    votes: int
    vote_share: Decimal
    vetoes: int
    chairs: int
    counted_votes: int
    outvoted_votes: int
    outvoted_rate: Decimal | None
    tt_delivered_weight: int
    tt_received_weight: int
    overdue_to_receive: int
    blocked_to_receive: int


@dataclass(frozen=True)
class TiePart:
    """One thing a prior tie is made of: a programme both took part in, with its overlap in
    years, or an agreement in force binding both, with its points."""

    #: 'programme' or 'agreement'.
    kind: str
    #: The programme's code; empty for an agreement.
    code: str
    name: str
    #: The start of the overlap, or the day the agreement was signed.
    since: datetime.date
    points: Decimal


@dataclass(frozen=True)
class PairBalance:
    """Two nations of a programme, ``a`` < ``b`` by code."""

    a: str
    b: str
    #: Decisions of the programme where both cast counted votes, and where they voted alike.
    shared_decisions: int
    agreed_decisions: int
    agreement_rate: Decimal | None
    #: Decisions a and b won voting alike, by the nation that cast a counted vote the other way.
    carried_together_against: dict[str, int]
    #: The prior tie (SPEC §2): overlap years of shared programmes + 5 points per agreement in
    #: force, the sum of ``tie_parts``; strong at 5 or more.
    tie_index: Decimal
    tie_strong: bool
    tie_since: datetime.date | None
    tie_parts: list[TiePart]
    tie_overlap_years: Decimal
    tie_agreements: list[str]
    tie_programmes: list[str]
    tie_programme_names: list[str]
    tt_weight_a_to_b: int
    tt_weight_b_to_a: int
    milestones_between: int

    def other(self, code: str) -> str:
        return self.b if code == self.a else self.a


@dataclass(frozen=True)
class ProgrammeBalance:
    programme: str
    programme_name: str
    currency: str
    as_of: datetime.date
    total_contributions: Decimal
    total_work: Decimal
    #: Work placed with organisations that resolve to no nation (e.g. an agency).
    unattributed_work: Decimal
    total_leadership_weight: int
    total_votes: int
    nations: list[NationBalance]
    pairs: list[PairBalance]
    _by_code: dict[str, NationBalance] = field(default_factory=dict, repr=False, compare=False)
    #: Nation code -> id (``nation_ids``).
    _nation_ids: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    #: (provider code, recipient code) -> milestone counts (``transfers_between``).
    _transfers: dict[tuple[str, str], dict[str, int]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def nation(self, code: str) -> NationBalance:
        if not self._by_code:
            self._by_code.update({n.code: n for n in self.nations})
        return self._by_code[code]

    def pair(self, a: str, b: str) -> PairBalance:
        a, b = sorted((a, b))
        for pair in self.pairs:
            if pair.a == a and pair.b == b:
                return pair
        raise KeyError((a, b))

    @property
    def nation_ids(self) -> dict[str, int]:
        """Nation code -> id, for callers that write rows about the nations (snapshots); not a
        field, so not part of the report."""
        return dict(self._nation_ids)

    @property
    def transfers_between(self) -> dict[tuple[str, str], dict[str, int]]:
        """(provider code, recipient code) -> the milestones between them: ``live`` (not
        cancelled), ``achieved`` and ``delivered`` weight by the day, ``overdue``, ``blocked``.
        Not a field: the report gives the per-nation and per-pair sums."""
        return dict(self._transfers)

    @property
    def active_nations(self) -> list[NationBalance]:
        return [n for n in self.nations if n.active]


@dataclass(frozen=True)
class GlobalReturn:
    nation: str
    name: str
    currency: str
    programmes: list[str]
    work: Decimal
    total_work: Decimal
    contributions: Decimal
    total_contributions: Decimal
    workshare_share: Decimal
    contribution_share: Decimal
    global_return: Decimal | None


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


@dataclass
class SqlSources:
    """FROM-sources of hand-written SQL for one viewer.

    Unrestricted (no nation): the tables themselves, no CTE and no parameter, so the SQL is the
    same as without releasability. Restricted: one CTE per releasable model holding only the
    rows visible to the nation (``released_table``), to be put first in the query's ``WITH``
    list; their parameters come before all others.
    """

    names: dict
    ctes: list[str]
    params: list

    def __getitem__(self, model) -> str:
        return self.names[model]

    @property
    def leading(self) -> str:
        """The CTEs to put first in an existing ``WITH`` list: empty, or each after a space
        and before a comma (``f"WITH{src.leading} first AS (…)"``)."""
        return "".join(f" {cte}," for cte in self.ctes)

    @property
    def with_clause(self) -> str:
        """A ``WITH`` clause of the CTEs, for a query that has none of its own."""
        return f"WITH {', '.join(self.ctes)} " if self.ctes else ""


def sql_sources(nation_id: int | None, *models) -> SqlSources:
    """The FROM-sources of ``models`` for hand-written SQL seen by the viewer ``nation_id``."""
    names, ctes, params = {}, [], []
    for model in models:
        if nation_id is None or model not in RELEASE_PATHS:
            names[model] = _table(model)
            continue
        source, source_params = released_table(model, nation_id)
        name = f"visible_{model._meta.model_name}"
        ctes.append(f"{name} AS (SELECT * FROM {source} AS visible)")
        params += source_params
        names[model] = name
    return SqlSources(names, ctes, params)


def work_by_nation(
    programme_ids: list[int], *, nation_id: int | None = None
) -> dict[tuple[int, int], Decimal]:
    """Work of the programmes per (programme id, nation id), looking through joint ventures.

    Work placed with an organisation that has a nation counts for that nation; work placed with
    a venture is split by its stakes, each divided by the venture's actual stake total (three
    stakes of 33.3 % make 99.9 %, and each owner gets a third), recursively. With a viewer
    ``nation_id``, only the allocations, packages, organisations and stakes visible to it count.
    """
    return work_and_totals(programme_ids, nation_id=nation_id)[0]


def work_and_totals(
    programme_ids: list[int], *, nation_id: int | None = None
) -> tuple[dict[tuple[int, int], Decimal], dict[int, Decimal]]:
    """``work_by_nation`` and each programme's total work, in one statement.

    The total is every allocation of the programme (visible to ``nation_id``), attributed to a
    nation or not; it is summed from the same grouped allocations the look-through starts from,
    so the allocations are read once.
    """
    if not programme_ids:
        return {}, {}
    src = sql_sources(nation_id, OwnershipStake, WorkshareAllocation, WorkPackage, Organisation)
    sql = f"""
        WITH RECURSIVE{src.leading}
        stake_total(venture_id, total) AS (
            SELECT venture_id, SUM(percent) FROM {src[OwnershipStake]} GROUP BY venture_id
        ),
        placed(programme_id, org_id, amount, depth) AS (
            SELECT wp.programme_id, wa.organisation_id, SUM(wa.amount), 0
            FROM {src[WorkshareAllocation]} wa
            JOIN {src[WorkPackage]} wp ON wp.id = wa.work_package_id
            WHERE wp.programme_id IN ({_placeholders(programme_ids)})
            GROUP BY wp.programme_id, wa.organisation_id
            UNION ALL
            SELECT placed.programme_id, s.owner_id,
                   1.0 * placed.amount * s.percent / t.total, placed.depth + 1
            FROM placed
            JOIN {src[Organisation]} v ON v.id = placed.org_id AND v.nation_id IS NULL
            JOIN {src[OwnershipStake]} s ON s.venture_id = placed.org_id
            JOIN stake_total t ON t.venture_id = s.venture_id
            WHERE placed.depth < %s AND t.total > 0
        )
        SELECT placed.programme_id, o.nation_id, SUM(placed.amount)
        FROM placed JOIN {src[Organisation]} o ON o.id = placed.org_id
        WHERE o.nation_id IS NOT NULL
        GROUP BY placed.programme_id, o.nation_id
        UNION ALL
        SELECT programme_id, NULL, SUM(amount) FROM placed WHERE depth = 0
        GROUP BY programme_id
    """
    work: dict[tuple[int, int], Decimal] = {}
    totals: dict[int, Decimal] = {}
    with statement_cursor() as cursor:
        cursor.execute(sql, [*src.params, *programme_ids, MAX_LOOK_THROUGH_DEPTH])
        for pid, nid, amount in cursor.fetchall():
            if nid is None:
                totals[pid] = money(amount)
            else:
                work[(pid, nid)] = money(amount)
    return work, totals


def _days_between(end: str, start: str) -> str:
    if connection.vendor == "sqlite":
        return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"
    return f"({end} - {start})"


def tie_parts(
    programme_id: int,
    nation_ids: list[int],
    as_of: datetime.date,
    *,
    nation_id: int | None = None,
) -> list[tuple]:
    """What the prior ties of the nations' pairs are made of, with each pair's tie index (SPEC
    §2), in one statement.

    One row per pair (a id < b id) and part: ``(a id, b id, kind, code, name, since, points,
    tie index, overlap years, tie since)``. A ``programme`` part is another programme both took
    part in (predecessors included) with a positive overlap up to the day: its points are the
    overlap in years, rounded to two places, from the later start to the earlier end of the two
    participations (a participation runs from joined_on, else the programme's start, to
    left_on, else the programme's end, else the day; nothing after the day counts). An
    ``agreement`` part binds both and is in force on the day: ``AGREEMENT_POINTS``. The index
    is the sum of the pair's parts, so the parts an analyst reads add up to it. With a viewer
    ``nation_id``, only the rows visible to it count.
    """
    if len(nation_ids) < 2:
        return []
    through = _table(Agreement.nations.through)
    src = sql_sources(nation_id, Participation, Programme, Agreement)
    participation, programme = src[Participation], src[Programme]
    days = _days_between("pair_span.e", "pair_span.s")
    sql = f"""
        WITH{src.leading} span AS (
            SELECT p.nation_id AS nation_id, p.programme_id AS programme_id,
                   COALESCE(p.joined_on, q.started_on) AS s,
                   CASE WHEN COALESCE(p.left_on, q.ended_on, %s) > %s THEN %s
                        ELSE COALESCE(p.left_on, q.ended_on, %s) END AS e
            FROM {participation} p JOIN {programme} q ON q.id = p.programme_id
            WHERE p.programme_id <> %s AND p.nation_id IN ({_placeholders(nation_ids)})
        ),
        pair_span AS (
            SELECT x.nation_id AS a_id, y.nation_id AS b_id, x.programme_id AS programme_id,
                   CASE WHEN x.s > y.s THEN x.s ELSE y.s END AS s,
                   CASE WHEN x.e < y.e THEN x.e ELSE y.e END AS e
            FROM span x JOIN span y
              ON x.programme_id = y.programme_id AND x.nation_id < y.nation_id
            WHERE x.s IS NOT NULL AND y.s IS NOT NULL
        ),
        part AS (
            SELECT pair_span.a_id AS a_id, pair_span.b_id AS b_id, 'programme' AS kind,
                   q.code AS code, q.name AS name, pair_span.s AS since,
                   ROUND(CAST({days} AS NUMERIC) / %s, 2) AS points
            FROM pair_span JOIN {programme} q ON q.id = pair_span.programme_id
            WHERE pair_span.e > pair_span.s
            UNION ALL
            SELECT x.nation_id, y.nation_id, 'agreement', '', ag.name, ag.signed_on, %s
            FROM {through} x
            JOIN {through} y ON x.agreement_id = y.agreement_id AND x.nation_id < y.nation_id
            JOIN {src[Agreement]} ag ON ag.id = x.agreement_id
            WHERE x.nation_id IN ({_placeholders(nation_ids)})
              AND y.nation_id IN ({_placeholders(nation_ids)})
              AND ag.signed_on <= %s AND (ag.ended_on IS NULL OR ag.ended_on > %s)
        )
        SELECT a_id, b_id, kind, code, name, since, points,
               SUM(points) OVER (PARTITION BY a_id, b_id),
               SUM(CASE WHEN kind = 'programme' THEN points ELSE 0 END)
                   OVER (PARTITION BY a_id, b_id),
               MIN(since) OVER (PARTITION BY a_id, b_id)
        FROM part
        ORDER BY a_id, b_id, since, kind DESC, name
    """
    params = [
        *src.params,
        *[as_of] * 4,
        programme_id,
        *nation_ids,
        DAYS_PER_YEAR,
        AGREEMENT_POINTS,
        *nation_ids,
        *nation_ids,
        as_of,
        as_of,
    ]
    with statement_cursor() as cursor:
        cursor.execute(sql, params)
        return [
            (
                a,
                b,
                kind,
                code,
                name,
                _as_date(since),
                *(_points(v) for v in figures),
                _as_date(start),
            )
            for a, b, kind, code, name, since, *figures, start in cursor.fetchall()
        ]


def tie_index_by_year(
    a_id: int,
    b_id: int,
    since: datetime.date,
    as_of: datetime.date,
    *,
    nation_id: int | None = None,
) -> list[tuple[datetime.date, Decimal]]:
    """The pair's tie index (SPEC §2) at the end of each year from ``since`` to the day's year,
    the last one on the day itself, counting every programme both took part in (no programme
    left out: the pair's whole shared history), in one statement.

    Each year's index is judged as of its day: overlaps up to that day, agreements in force on
    it; each programme's years rounded to two places as in ``tie_parts``.
    """
    days = [datetime.date(year, 12, 31) for year in range(since.year, as_of.year)] + [as_of]
    through = _table(Agreement.nations.through)
    src = sql_sources(nation_id, Participation, Programme, Agreement)
    participation, programme = src[Participation], src[Programme]
    day = "SELECT %s AS d" if connection.vendor == "sqlite" else "SELECT CAST(%s AS DATE) AS d"
    day_rows = " UNION ALL ".join([day] * len(days))
    overlap = _days_between("clipped.e", "clipped.s")
    sql = f"""
        WITH{src.leading} span AS (
            SELECT p.nation_id AS nation_id, p.programme_id AS programme_id,
                   COALESCE(p.joined_on, q.started_on) AS s,
                   COALESCE(p.left_on, q.ended_on) AS e
            FROM {participation} p JOIN {programme} q ON q.id = p.programme_id
            WHERE p.nation_id IN (%s, %s)
        ),
        pair_span AS (
            SELECT CASE WHEN x.s > y.s THEN x.s ELSE y.s END AS s,
                   CASE WHEN x.e IS NULL THEN y.e WHEN y.e IS NULL THEN x.e
                        WHEN x.e < y.e THEN x.e ELSE y.e END AS e
            FROM span x JOIN span y ON x.programme_id = y.programme_id
            WHERE x.nation_id = %s AND y.nation_id = %s AND x.s IS NOT NULL AND y.s IS NOT NULL
        ),
        bound AS (
            SELECT ag.signed_on AS signed_on, ag.ended_on AS ended_on
            FROM {through} x
            JOIN {through} y ON x.agreement_id = y.agreement_id
            JOIN {src[Agreement]} ag ON ag.id = x.agreement_id
            WHERE x.nation_id = %s AND y.nation_id = %s
        ),
        day AS ({day_rows}),
        clipped AS (
            SELECT day.d AS d, pair_span.s AS s,
                   CASE WHEN pair_span.e IS NULL OR pair_span.e > day.d THEN day.d
                        ELSE pair_span.e END AS e
            FROM day JOIN pair_span ON pair_span.s < day.d
        ),
        years AS (
            SELECT clipped.d AS d, SUM(ROUND(CAST({overlap} AS NUMERIC) / %s, 2)) AS points
            FROM clipped WHERE clipped.e > clipped.s GROUP BY clipped.d
        ),
        agreements AS (
            SELECT day.d AS d, COUNT(*) * %s AS points
            FROM day JOIN bound ON bound.signed_on <= day.d
             AND (bound.ended_on IS NULL OR bound.ended_on > day.d)
            GROUP BY day.d
        )
        SELECT day.d, COALESCE(years.points, 0) + COALESCE(agreements.points, 0)
        FROM day
        LEFT JOIN years ON years.d = day.d
        LEFT JOIN agreements ON agreements.d = day.d
        ORDER BY day.d
    """
    params = [
        *src.params,
        a_id,
        b_id,
        a_id,
        b_id,
        a_id,
        b_id,
        *days,
        DAYS_PER_YEAR,
        AGREEMENT_POINTS,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(_as_date(day), _points(index)) for day, index in cursor.fetchall()]


def _points(value) -> Decimal:
    return as_decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP)


def _as_date_or_none(value) -> datetime.date | None:
    return None if value is None else _as_date(value)


def _as_date(value) -> datetime.date:
    if isinstance(value, str):
        return datetime.date.fromisoformat(value)
    return value


def _votes(
    programme_id: int, nation_id: int | None = None
) -> tuple[
    dict[int, tuple[int, int]],
    dict[tuple[int, int], tuple[int, int]],
    dict[tuple[int, int], dict[int, int]],
]:
    """The programme's counted votes (for or against, on approved or rejected decisions) read
    once and measured three ways, in one statement:

    * per nation: (counted votes, votes on the losing side);
    * per pair (a id < b id): (decisions where both voted, of which they voted alike);
    * per pair: {third nation id: decisions a and b won voting alike while it voted the other
      way}.
    """
    src = sql_sources(nation_id, Vote, Decision, DecisionBody)
    vote, decision, body = src[Vote], src[Decision], src[DecisionBody]
    sql = f"""
        WITH{src.leading} counted AS (
            SELECT v.decision_id, v.nation_id, v.position, d.outcome
            FROM {vote} v
            JOIN {decision} d ON d.id = v.decision_id
            JOIN {body} b ON b.id = d.body_id
            WHERE b.programme_id = %s AND d.outcome IN (%s, %s) AND v.position IN (%s, %s)
        )
        SELECT 'ballots', nation_id, NULL, CAST(NULL AS BIGINT), COUNT(*),
               SUM(CASE WHEN (position = %s AND outcome = %s) OR (position = %s AND outcome = %s)
                        THEN 1 ELSE 0 END)
        FROM counted GROUP BY nation_id
        UNION ALL
        SELECT 'pair', x.nation_id, y.nation_id, CAST(NULL AS BIGINT), COUNT(*),
               SUM(CASE WHEN x.position = y.position THEN 1 ELSE 0 END)
        FROM counted x
        JOIN counted y ON y.decision_id = x.decision_id AND x.nation_id < y.nation_id
        GROUP BY x.nation_id, y.nation_id
        UNION ALL
        SELECT 'carried', x.nation_id, y.nation_id, z.nation_id, COUNT(*), 0
        FROM counted x
        JOIN counted y ON y.decision_id = x.decision_id AND x.nation_id < y.nation_id
                       AND y.position = x.position
        JOIN counted z ON z.decision_id = x.decision_id AND z.position <> x.position
        WHERE (x.position = %s AND x.outcome = %s) OR (x.position = %s AND x.outcome = %s)
        GROUP BY x.nation_id, y.nation_id, z.nation_id
    """
    FOR, AGAINST = Vote.Position.FOR, Vote.Position.AGAINST
    APPROVED, REJECTED = Decision.Outcome.APPROVED, Decision.Outcome.REJECTED
    params = [
        *src.params,
        programme_id,
        *COUNTED_OUTCOMES,
        *COUNTED_POSITIONS,
        *(FOR, REJECTED, AGAINST, APPROVED),  # on the losing side
        *(FOR, APPROVED, AGAINST, REJECTED),  # carried
    ]
    ballots: dict[int, tuple[int, int]] = {}
    pairs: dict[tuple[int, int], tuple[int, int]] = {}
    carried: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    with statement_cursor() as cursor:
        cursor.execute(sql, params)
        for kind, a, b, c, first, second in cursor.fetchall():
            if kind == "ballots":
                ballots[a] = (int(first), int(second))
            elif kind == "pair":
                pairs[(a, b)] = (int(first), int(second))
            else:
                carried[(a, b)][c] = int(first)
    return ballots, pairs, carried


def _participations(programme_id: int, nation_id: int | None = None) -> dict[int, dict]:
    """The programme's participations by nation id: role, agreed share, joined and left on."""
    src = sql_sources(nation_id, Participation)
    sql = f"""
        {src.with_clause}SELECT nation_id, role, agreed_share, joined_on, left_on
        FROM {src[Participation]} WHERE programme_id = %s
    """
    with statement_cursor() as cursor:
        cursor.execute(sql, [*src.params, programme_id])
        return {
            nid: {
                "nation_id": nid,
                "role": role,
                "agreed_share": None if agreed is None else as_decimal(agreed),
                "joined_on": _as_date_or_none(joined),
                "left_on": _as_date_or_none(left),
            }
            for nid, role, agreed, joined, left in cursor.fetchall()
        }


def _nation_sums(
    programme_id: int, as_of: datetime.date, nation_id: int | None = None
) -> tuple[dict[int, Decimal], dict[int, tuple[int, int]], dict[int, tuple[int, int, int]]]:
    """Per nation id, in one statement: contributed money; (leadership weight, roles held) of
    the roles in force on the day; (votes, vetoes, chairs) of the seats."""
    src = sql_sources(nation_id, Contribution, LeadershipRole, Seat)
    sql = f"""
        {src.with_clause}SELECT 'contributed', nation_id, SUM(amount), 0, 0, 0
        FROM {src[Contribution]} WHERE programme_id = %s GROUP BY nation_id
        UNION ALL
        SELECT 'roles', nation_id, NULL, SUM(weight), COUNT(*), 0
        FROM {src[LeadershipRole]}
        WHERE programme_id = %s AND (started_on IS NULL OR started_on <= %s)
          AND (ended_on IS NULL OR ended_on > %s)
        GROUP BY nation_id
        UNION ALL
        SELECT 'seats', s.nation_id, NULL, SUM(s.votes),
               SUM(CASE WHEN s.veto THEN 1 ELSE 0 END), SUM(CASE WHEN s.chair THEN 1 ELSE 0 END)
        FROM {src[Seat]} s JOIN {_table(DecisionBody)} b ON b.id = s.body_id
        WHERE b.programme_id = %s
        GROUP BY s.nation_id
    """
    contributed: dict[int, Decimal] = {}
    roles: dict[int, tuple[int, int]] = {}
    seats: dict[int, tuple[int, int, int]] = {}
    with statement_cursor() as cursor:
        cursor.execute(sql, [*src.params, programme_id, programme_id, as_of, as_of, programme_id])
        for kind, nid, amount, first, second, third in cursor.fetchall():
            if kind == "contributed":
                contributed[nid] = money(amount)
            elif kind == "roles":
                roles[nid] = (int(first), int(second))
            else:
                seats[nid] = (int(first or 0), int(second), int(third))
    return contributed, roles, seats


def _transfers(
    programme_id: int,
    as_of: datetime.date,
    overdue_before: datetime.date,
    nation_id: int | None = None,
) -> dict[tuple[int, int], dict[str, int]]:
    """(provider nation id, recipient nation id) -> the weight delivered by the day, and the
    live (not cancelled), achieved (by the day), overdue (not achieved by the day, planned
    before ``overdue_before``) and blocked milestones between them."""
    Status = TechTransferMilestone.Status
    src = sql_sources(nation_id, TechTransferMilestone)
    organisation = _table(Organisation)
    sql = f"""
        {src.with_clause}SELECT p.nation_id, r.nation_id,
               SUM(CASE WHEN t.status = %s AND t.achieved_on <= %s THEN t.weight ELSE 0 END),
               SUM(CASE WHEN t.status <> %s THEN 1 ELSE 0 END),
               SUM(CASE WHEN t.status = %s AND t.achieved_on <= %s THEN 0
                        WHEN t.status <> %s AND t.planned_on < %s THEN 1 ELSE 0 END),
               SUM(CASE WHEN t.status = %s THEN 1 ELSE 0 END),
               SUM(CASE WHEN t.status = %s AND t.achieved_on <= %s THEN 1 ELSE 0 END)
        FROM {src[TechTransferMilestone]} t
        JOIN {organisation} p ON p.id = t.provider_id
        JOIN {organisation} r ON r.id = t.recipient_id
        WHERE t.programme_id = %s AND p.nation_id IS NOT NULL AND r.nation_id IS NOT NULL
        GROUP BY p.nation_id, r.nation_id
    """
    params = [
        *src.params,
        Status.ACHIEVED,
        as_of,
        Status.CANCELLED,
        Status.ACHIEVED,
        as_of,
        Status.CANCELLED,
        overdue_before,
        Status.BLOCKED,
        Status.ACHIEVED,
        as_of,
        programme_id,
    ]
    with statement_cursor() as cursor:
        cursor.execute(sql, params)
        return {
            (provider, recipient): {
                "delivered": int(delivered or 0),
                "live": int(live),
                "overdue": int(overdue),
                "blocked": int(blocked),
                "achieved": int(achieved),
            }
            for provider, recipient, delivered, live, overdue, blocked, achieved in cursor
        }


def _nation_names(nation_ids: list[int]) -> dict[int, SimpleNamespace]:
    """Nation id -> (code, name) of the given nations."""
    if not nation_ids:
        return {}
    sql = f"SELECT id, code, name FROM {_table(Nation)} WHERE id IN ({_placeholders(nation_ids)})"
    with statement_cursor() as cursor:
        cursor.execute(sql, nation_ids)
        return {nid: SimpleNamespace(code=code, name=name) for nid, code, name in cursor}


def active_on(day: datetime.date, start: str, end: str) -> Q:
    """Started on or before the day (or no start) and not ended on or before it."""
    return (Q(**{f"{start}__isnull": True}) | Q(**{f"{start}__lte": day})) & (
        Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gt": day})
    )


def programme_balance(
    programme: Programme,
    as_of: datetime.date | None = None,
    *,
    overdue_days: int = OVERDUE_DAYS,
    nation_id: int | None = None,
) -> ProgrammeBalance:
    """Every SPEC §2 metric of the programme's nations and pairs of nations, as of a day.

    With a viewer ``nation_id``, every figure is computed over the rows visible to that nation
    only (``programs.access``): a hidden contribution, allocation, vote or organisation counts
    nowhere, not even in a total. Without it (scans), over every row.
    """
    as_of = as_of or timezone.localdate()
    pid = programme.pk

    participations = _participations(pid, nation_id)
    active_ids = {
        nid
        for nid, row in participations.items()
        if (row["joined_on"] is None or row["joined_on"] <= as_of)
        and (row["left_on"] is None or row["left_on"] > as_of)
    }
    contributed, roles, seats = _nation_sums(pid, as_of, nation_id)
    work_per_programme, totals = work_and_totals([pid], nation_id=nation_id)
    work = {nid: amount for (_, nid), amount in work_per_programme.items()}
    total_work = totals.get(pid, money(0))
    ballots, pair_votes, carried = _votes(pid, nation_id)
    overdue_before = as_of - datetime.timedelta(days=overdue_days)
    transfers = _transfers(pid, as_of, overdue_before, nation_id)

    nation_ids = sorted(
        set(participations)
        | set(contributed)
        | set(work)
        | set(roles)
        | set(seats)
        | set(ballots)
        | {nid for pair in transfers for nid in pair}
    )
    nations = _nation_names(nation_ids)
    nation_ids.sort(key=lambda nid: nations[nid].code)

    total_contributions = money(sum(contributed.values(), ZERO))
    contribution_shares, basis = _contribution_shares(
        total_contributions, contributed, participations, active_ids
    )
    total_weight = sum(weight for weight, _ in roles.values())
    total_votes = sum(votes for votes, _, _ in seats.values())

    delivered, received, overdue_in, blocked_in = _transfer_sums(transfers)

    nation_rows = []
    for nid in nation_ids:
        weight, held = roles.get(nid, (0, 0))
        votes, vetoes, chairs = seats.get(nid, (0, 0, 0))
        counted, outvoted = ballots.get(nid, (0, 0))
        contribution_share = contribution_shares.get(nid, ZERO.quantize(SIX_PLACES))
        workshare_share = share(work.get(nid, ZERO), total_work)
        nation_rows.append(
            NationBalance(
                code=nations[nid].code,
                name=nations[nid].name,
                active=nid in active_ids,
                role=participations.get(nid, {}).get("role"),
                contributed=contributed.get(nid, money(0)),
                contribution_share=contribution_share,
                contribution_basis=basis,
                work=work.get(nid, money(0)),
                workshare_share=workshare_share,
                return_coefficient=_return_coefficient(
                    work.get(nid, ZERO),
                    total_work,
                    contributed.get(nid, ZERO),
                    total_contributions,
                    contribution_share,
                    basis,
                ),
                leadership_weight=weight,
                leadership_share=share(weight, total_weight),
                roles_held=held,
                votes=votes,
                vote_share=share(votes, total_votes),
                vetoes=vetoes,
                chairs=chairs,
                counted_votes=counted,
                outvoted_votes=outvoted,
                outvoted_rate=ratio(outvoted, counted),
                tt_delivered_weight=delivered[nid],
                tt_received_weight=received[nid],
                overdue_to_receive=overdue_in[nid],
                blocked_to_receive=blocked_in[nid],
            )
        )

    ties = _ties(pid, nation_ids, as_of, nation_id)
    pairs = _pairs(nation_ids, nations, transfers, pair_votes, carried, ties)
    attributed = money(sum(work.values(), ZERO))
    return ProgrammeBalance(
        programme=programme.code,
        programme_name=programme.name,
        currency=programme.currency,
        as_of=as_of,
        total_contributions=total_contributions,
        total_work=total_work,
        unattributed_work=max(money(total_work - attributed), money(0)),
        total_leadership_weight=total_weight,
        total_votes=total_votes,
        nations=nation_rows,
        pairs=pairs,
        _nation_ids={nations[nid].code: nid for nid in nation_ids},
        _transfers={
            (nations[provider].code, nations[recipient].code): row
            for (provider, recipient), row in transfers.items()
        },
    )


def _return_coefficient(
    nation_work: Decimal,
    total_work: Decimal,
    nation_money: Decimal,
    total_contributions: Decimal,
    contribution_share: Decimal,
    basis: str,
) -> Decimal | None:
    """workshare share / contribution share from the unrounded figures; None where the
    contribution share is 0 or the programme has no work (SPEC §2)."""
    if not total_work or not contribution_share:
        return None
    if basis == "recorded":
        return ratio(nation_work * total_contributions, total_work * nation_money)
    return ratio(nation_work, total_work * contribution_share)


def _contribution_shares(
    total: Decimal,
    contributed: dict[int, Decimal],
    participations: dict[int, dict],
    active_ids: set[int],
) -> tuple[dict[int, Decimal], str]:
    """Recorded contributions; where none, agreed shares; where none, an equal split."""
    if total > 0:
        return {nid: share(amount, total) for nid, amount in contributed.items()}, "recorded"
    agreed = {
        nid: row["agreed_share"]
        for nid, row in participations.items()
        if nid in active_ids and row["agreed_share"] is not None
    }
    if any(agreed.values()):
        return {nid: share(value, 100) for nid, value in agreed.items()}, "agreed"
    return {nid: share(1, len(active_ids)) for nid in active_ids}, "equal"


def _transfer_sums(
    transfers: dict[tuple[int, int], dict],
) -> tuple[defaultdict[int, int], ...]:
    """Per nation id: weight delivered as provider, weight received, milestones overdue to
    receive and blocked to receive (one pass over the provider × recipient counts)."""
    delivered: defaultdict[int, int] = defaultdict(int)
    received: defaultdict[int, int] = defaultdict(int)
    overdue: defaultdict[int, int] = defaultdict(int)
    blocked: defaultdict[int, int] = defaultdict(int)
    for (provider, recipient), row in transfers.items():
        delivered[provider] += int(row["delivered"] or 0)
        received[recipient] += int(row["delivered"] or 0)
        overdue[recipient] += int(row["overdue"] or 0)
        blocked[recipient] += int(row["blocked"] or 0)
    return delivered, received, overdue, blocked


def _ties(
    pid: int, nation_ids: list[int], as_of: datetime.date, viewer_nation_id: int | None = None
) -> dict[tuple[int, int], dict]:
    """(a id, b id), a < b -> the pair's tie index, overlap years, since and parts, for pairs
    with any tie."""
    ties: dict[tuple[int, int], dict] = {}
    for a, b, kind, code, name, since, points, index, years, start in tie_parts(
        pid, nation_ids, as_of, nation_id=viewer_nation_id
    ):
        tie = ties.setdefault((a, b), {"index": index, "years": years, "since": start, "parts": []})
        tie["parts"].append(TiePart(kind=kind, code=code, name=name, since=since, points=points))
    return ties


def _pairs(
    nation_ids: list[int],
    nations: dict[int, SimpleNamespace],
    transfers: dict[tuple[int, int], dict],
    votes: dict[tuple[int, int], tuple[int, int]],
    carried: dict[tuple[int, int], dict[int, int]],
    ties: dict[tuple[int, int], dict],
) -> list[PairBalance]:
    pairs = []
    for x, y in combinations(nation_ids, 2):
        # Code order for the public pair, id order for the SQL keys.
        a, b = sorted((x, y), key=lambda nid: nations[nid].code)
        key = (min(x, y), max(x, y))
        shared, agreed = votes.get(key, (0, 0))
        tie = ties.get(key) or {"index": NO_POINTS, "years": NO_POINTS, "since": None, "parts": []}
        programmes = [part for part in tie["parts"] if part.kind == "programme"]
        between = sum(int(transfers.get(pair, {}).get("live") or 0) for pair in ((a, b), (b, a)))
        pairs.append(
            PairBalance(
                a=nations[a].code,
                b=nations[b].code,
                shared_decisions=shared,
                agreed_decisions=agreed,
                agreement_rate=ratio(agreed, shared),
                carried_together_against={
                    nations[against].code: count
                    for against, count in sorted(carried.get(key, {}).items())
                },
                tie_index=tie["index"],
                tie_strong=tie["index"] >= STRONG_TIE,
                tie_since=tie["since"],
                tie_parts=tie["parts"],
                tie_overlap_years=tie["years"],
                tie_agreements=[part.name for part in tie["parts"] if part.kind == "agreement"],
                tie_programmes=list(dict.fromkeys(part.code for part in programmes)),
                tie_programme_names=list(dict.fromkeys(part.name for part in programmes)),
                tt_weight_a_to_b=int((transfers.get((a, b)) or {}).get("delivered") or 0),
                tt_weight_b_to_a=int((transfers.get((b, a)) or {}).get("delivered") or 0),
                milestones_between=between,
            )
        )
    return pairs


def global_returns(
    as_of: datetime.date | None = None,
    currency: str | None = None,
    *,
    nation_id: int | None = None,
) -> list[GlobalReturn]:
    """Each nation's return across the programmes of one currency (the OCCAR view, SPEC §2).

    Counts the programmes of the currency with both contributions and work recorded; a nation
    taking part (joined on or before the day) in two or more of them gets its share of all
    their work over its share of all their contributions. With a viewer ``nation_id``, over the
    programmes and rows visible to that nation only.
    """
    as_of = as_of or timezone.localdate()

    def visible(queryset):
        return released_to(queryset, nation_id)

    # EXISTS, not joins: a join of contributions with allocations multiplies their rows.
    programmes = visible(Programme.objects.all()).filter(
        Exists(visible(Contribution.objects.filter(programme=OuterRef("pk"), amount__gt=0))),
        Exists(
            visible(
                WorkshareAllocation.objects.filter(
                    work_package__programme=OuterRef("pk"), amount__gt=0
                )
            )
        ),
    )
    if currency:
        programmes = programmes.filter(currency=currency)
    programme_rows = {
        row["id"]: row for row in programmes.values("id", "code", "currency").distinct()
    }
    if not programme_rows:
        return []
    ids = sorted(programme_rows)
    contributions = {
        (row["programme_id"], row["nation_id"]): money(row["total"])
        for row in visible(Contribution.objects.filter(programme_id__in=ids))
        .values("programme_id", "nation_id")
        .annotate(total=Sum("amount"))
    }
    work, work_totals = work_and_totals(ids, nation_id=nation_id)
    taking_part: dict[tuple[int, str], list[int]] = defaultdict(list)
    names: dict[int, tuple[str, str]] = {}
    for row in (
        visible(Participation.objects.filter(programme_id__in=ids))
        .filter(Q(joined_on__isnull=True) | Q(joined_on__lte=as_of))
        .values("programme_id", "nation_id", "nation__code", "nation__name")
        .order_by("nation__code", "programme__code")
    ):
        currency_code = programme_rows[row["programme_id"]]["currency"]
        taking_part[(row["nation_id"], currency_code)].append(row["programme_id"])
        names[row["nation_id"]] = (row["nation__code"], row["nation__name"])
    contribution_totals: dict[int, Decimal] = defaultdict(Decimal)
    for (programme_id, _), amount in contributions.items():
        contribution_totals[programme_id] += amount

    result = []
    for (nid, currency_code), programme_ids in taking_part.items():
        if len(programme_ids) < 2:
            continue
        nation_work = sum((work.get((p, nid), ZERO) for p in programme_ids), ZERO)
        all_work = sum((work_totals.get(p, ZERO) for p in programme_ids), ZERO)
        nation_money = sum((contributions.get((p, nid), ZERO) for p in programme_ids), ZERO)
        all_money = sum((contribution_totals[p] for p in programme_ids), ZERO)
        code, name = names[nid]
        contribution_share = share(nation_money, all_money)
        result.append(
            GlobalReturn(
                nation=code,
                name=name,
                currency=currency_code,
                programmes=[programme_rows[p]["code"] for p in programme_ids],
                work=money(nation_work),
                total_work=money(all_work),
                contributions=money(nation_money),
                total_contributions=money(all_money),
                workshare_share=share(nation_work, all_work),
                contribution_share=contribution_share,
                global_return=(
                    ratio(nation_work * all_money, all_work * nation_money)
                    if nation_money and all_work
                    else None
                ),
            )
        )
    result.sort(key=lambda r: (r.currency, r.nation))
    return result
