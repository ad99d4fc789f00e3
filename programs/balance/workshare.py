"""Work per nation: workshare allocations, looking through joint ventures (SPEC §2).

Joint ventures are looked through with a recursive CTE over ownership stakes (plain
``WITH RECURSIVE``, which PostgreSQL and SQLite both run).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from programs.balance.rounding import money
from programs.balance.statements import placeholders, sql_sources, statement_cursor
from programs.models import Organisation, OwnershipStake, WorkPackage, WorkshareAllocation

#: Ventures owning ventures are followed this deep; it also stops ownership cycles.
MAX_LOOK_THROUGH_DEPTH = 8


def work_by_nation(
    programme_ids: list[int],
    as_of: datetime.date | None = None,
    *,
    nation_id: int | None = None,
) -> dict[tuple[int, int], Decimal]:
    """Work of the programmes per (programme id, nation id) as of a day, looking through joint
    ventures.

    Only allocations whose period starts on or before ``as_of`` (default today) count (SPEC §2:
    one that starts later was not yet placed on that day). Work placed with an organisation
    that has a nation counts for that nation; work placed with a venture is split by its
    stakes, each divided by the venture's actual stake total (three stakes of 33.3 % make
    99.9 %, and each owner gets a third), recursively. With a viewer ``nation_id``, only the allocations, packages,
    organisations and stakes visible to it count.
    """
    return work_and_totals(programme_ids, as_of, nation_id=nation_id)[0]


def work_and_totals(
    programme_ids: list[int],
    as_of: datetime.date | None = None,
    *,
    nation_id: int | None = None,
) -> tuple[dict[tuple[int, int], Decimal], dict[int, Decimal]]:
    """``work_by_nation`` and each programme's total work as of a day, in one statement.

    The total is every allocation of the programme started on or before ``as_of`` (default
    today; visible to ``nation_id``), attributed to a nation or not; it is summed from the same
    grouped allocations the look-through starts from, so the allocations are read once.
    """
    if not programme_ids:
        return {}, {}
    as_of = as_of or timezone.localdate()
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
            WHERE wp.programme_id IN ({placeholders(programme_ids)})
              AND wa.period_start <= %s
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
        cursor.execute(sql, [*src.params, *programme_ids, as_of, MAX_LOOK_THROUGH_DEPTH])
        for pid, nid, amount in cursor.fetchall():
            if nid is None:
                totals[pid] = money(amount)
            else:
                work[(pid, nid)] = money(amount)
    return work, totals
