"""Each nation's return across the programmes of one currency (the OCCAR view, SPEC §2)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from programs.access import released_to
from programs.balance.rounding import ZERO, money, ratio, share
from programs.balance.workshare import work_and_totals
from programs.models import Contribution, Participation, Programme, WorkshareAllocation


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


def global_returns(
    as_of: datetime.date | None = None,
    currency: str | None = None,
    *,
    nation_id: int | None = None,
) -> list[GlobalReturn]:
    """Each nation's return across the programmes of one currency (the OCCAR view, SPEC §2).

    Counts the programmes of the currency with both contributions and work recorded by the day
    (periods started on or before it, as everywhere in SPEC §2); a nation
    taking part (joined on or before the day) in two or more of them gets its share of all
    their work over its share of all their contributions. With a viewer ``nation_id``, over the
    programmes and rows visible to that nation only.
    """
    as_of = as_of or timezone.localdate()

    def visible(queryset):
        return released_to(queryset, nation_id)

    contributions_by = Contribution.objects.filter(period_start__lte=as_of)
    allocations_by = WorkshareAllocation.objects.filter(period_start__lte=as_of)
    # EXISTS, not joins: a join of contributions with allocations multiplies their rows.
    programmes = visible(Programme.objects.all()).filter(
        Exists(visible(contributions_by.filter(programme=OuterRef("pk"), amount__gt=0))),
        Exists(
            visible(allocations_by.filter(work_package__programme=OuterRef("pk"), amount__gt=0))
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
        for row in visible(contributions_by.filter(programme_id__in=ids))
        .values("programme_id", "nation_id")
        .annotate(total=Sum("amount"))
    }
    work, work_totals = work_and_totals(ids, as_of, nation_id=nation_id)
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
