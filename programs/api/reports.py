"""The balance report of one programme: every SPEC §2 metric per nation and pair, with the
live flags and the time of the scan they come from (a selector: reads only)."""

import dataclasses
import datetime
from typing import Any

from django.db.models import Max, QuerySet
from django.utils import timezone

from programs.balance.metrics import programme_balance
from programs.models import BalanceSnapshot, Flag, Programme


def live_flags(programme: Programme) -> QuerySet[Flag]:
    """The programme's open and acknowledged flags, most severe and most recent first."""
    return (
        Flag.objects.filter(programme=programme)
        .exclude(status=Flag.Status.RESOLVED)
        .select_related("programme", "nation", "acknowledged_by")
        .prefetch_related("counterparts")
        .order_by("-last_seen_at", "-id")
    )


def last_scan_at(programme: Programme) -> datetime.datetime | None:
    """When a scan last looked at the programme: its latest flag sighting or snapshot."""
    seen = Flag.objects.filter(programme=programme).aggregate(at=Max("last_seen_at"))["at"]
    taken = BalanceSnapshot.objects.filter(programme=programme).aggregate(at=Max("taken_at"))["at"]
    times = [time for time in (seen, taken) if time is not None]
    return max(times) if times else None


def balance_report(programme: Programme, as_of: datetime.date | None = None) -> dict[str, Any]:
    """The metrics computed now (as of ``as_of``, default today) and the flags of the last scan."""
    balance = programme_balance(programme, as_of)
    report = {
        field.name: getattr(balance, field.name)
        for field in dataclasses.fields(balance)
        if not field.name.startswith("_")
    }
    report["nations"] = [dataclasses.asdict(nation) for nation in balance.nations]
    report["pairs"] = [dataclasses.asdict(pair) for pair in balance.pairs]
    report["computed_at"] = timezone.now()
    report["last_scan_at"] = last_scan_at(programme)
    report["open_flags"] = list(live_flags(programme))
    return report
