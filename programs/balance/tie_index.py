"""The prior tie index of a pair of nations (SPEC §2): what it is made of and how it grew.

How each nation's ties compare with a bloc's (the tie ratio of ``bloc_sidelining``) is in
``programs.balance.ties``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

from programs.balance.rounding import CENTS, as_decimal
from programs.balance.statements import (
    as_date,
    days_between,
    placeholders,
    sql_sources,
    statement_cursor,
    table,
)
from programs.models import Agreement, Participation, Programme

NO_POINTS = Decimal("0.00")
DAYS_PER_YEAR = Decimal("365.25")
#: A prior tie's index counts the years of shared programmes and this many points for each
#: agreement in force (SPEC §2); the tie is strong from STRONG_TIE points (a rule may ask for
#: more: ``bloc_sidelining``'s ``strong_tie``).
AGREEMENT_POINTS = Decimal("5")
STRONG_TIE = Decimal("5")


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
    through = table(Agreement.nations.through)
    src = sql_sources(nation_id, Participation, Programme, Agreement)
    participation, programme = src[Participation], src[Programme]
    days = days_between("pair_span.e", "pair_span.s")
    sql = f"""
        WITH{src.leading} span AS (
            SELECT p.nation_id AS nation_id, p.programme_id AS programme_id,
                   COALESCE(p.joined_on, q.started_on) AS s,
                   CASE WHEN COALESCE(p.left_on, q.ended_on, %s) > %s THEN %s
                        ELSE COALESCE(p.left_on, q.ended_on, %s) END AS e
            FROM {participation} p JOIN {programme} q ON q.id = p.programme_id
            WHERE p.programme_id <> %s AND p.nation_id IN ({placeholders(nation_ids)})
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
            WHERE x.nation_id IN ({placeholders(nation_ids)})
              AND y.nation_id IN ({placeholders(nation_ids)})
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
                as_date(since),
                *(tie_points(v) for v in figures),
                as_date(start),
            )
            for a, b, kind, code, name, since, *figures, start in cursor.fetchall()
        ]


def pair_ties(
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
    through = table(Agreement.nations.through)
    src = sql_sources(nation_id, Participation, Programme, Agreement)
    participation, programme = src[Participation], src[Programme]
    day = "SELECT %s AS d" if connection.vendor == "sqlite" else "SELECT CAST(%s AS DATE) AS d"
    day_rows = " UNION ALL ".join([day] * len(days))
    overlap = days_between("clipped.e", "clipped.s")
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
        return [(as_date(day), tie_points(index)) for day, index in cursor.fetchall()]


def tie_points(value) -> Decimal:
    return as_decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP)
