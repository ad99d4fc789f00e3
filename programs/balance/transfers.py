"""Technology transfer between nations (SPEC §2).

Per provider and recipient: the weight delivered, and the milestones live, achieved, overdue
and blocked.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from programs.balance.statements import sql_sources, statement_cursor, table
from programs.models import Organisation, TechTransferMilestone

OVERDUE_DAYS = 90


def transfers_between_nations(
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
    organisation = table(Organisation)
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


def transfer_sums(
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
