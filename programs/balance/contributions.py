"""What each nation of a programme puts in and holds (SPEC §2).

Its participation (role, agreed share, joined and left on), the money contributed and its
contribution share, leadership roles and seats, and the return coefficient that sets its
workshare against its contribution.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from programs.balance.rounding import as_decimal, money, ratio, share
from programs.balance.statements import (
    as_date_or_none,
    sql_sources,
    statement_cursor,
    table,
)
from programs.models import Contribution, DecisionBody, LeadershipRole, Participation, Seat


def participations_by_nation(programme_id: int, nation_id: int | None = None) -> dict[int, dict]:
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
                "joined_on": as_date_or_none(joined),
                "left_on": as_date_or_none(left),
            }
            for nid, role, agreed, joined, left in cursor.fetchall()
        }


def contributions_roles_and_seats(
    programme_id: int, as_of: datetime.date, nation_id: int | None = None
) -> tuple[dict[int, Decimal], dict[int, tuple[int, int]], dict[int, tuple[int, int, int]]]:
    """Per nation id, in one statement: money contributed by the day (periods started on or
    before it); (leadership weight, roles held) of the roles in force on the day; (votes,
    vetoes, chairs) of the seats."""
    src = sql_sources(nation_id, Contribution, LeadershipRole, Seat)
    sql = f"""
        {src.with_clause}SELECT 'contributed', nation_id, SUM(amount), 0, 0, 0
        FROM {src[Contribution]} WHERE programme_id = %s AND period_start <= %s
        GROUP BY nation_id
        UNION ALL
        SELECT 'roles', nation_id, NULL, SUM(weight), COUNT(*), 0
        FROM {src[LeadershipRole]}
        WHERE programme_id = %s AND (started_on IS NULL OR started_on <= %s)
          AND (ended_on IS NULL OR ended_on > %s)
        GROUP BY nation_id
        UNION ALL
        SELECT 'seats', s.nation_id, NULL, SUM(s.votes),
               SUM(CASE WHEN s.veto THEN 1 ELSE 0 END), SUM(CASE WHEN s.chair THEN 1 ELSE 0 END)
        FROM {src[Seat]} s JOIN {table(DecisionBody)} b ON b.id = s.body_id
        WHERE b.programme_id = %s
        GROUP BY s.nation_id
    """
    contributed: dict[int, Decimal] = {}
    roles: dict[int, tuple[int, int]] = {}
    seats: dict[int, tuple[int, int, int]] = {}
    with statement_cursor() as cursor:
        cursor.execute(
            sql, [*src.params, programme_id, as_of, programme_id, as_of, as_of, programme_id]
        )
        for kind, nid, amount, first, second, third in cursor.fetchall():
            if kind == "contributed":
                contributed[nid] = money(amount)
            elif kind == "roles":
                roles[nid] = (int(first), int(second))
            else:
                seats[nid] = (int(first or 0), int(second), int(third))
    return contributed, roles, seats


def contribution_shares_with_basis(
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


def return_coefficient(
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
