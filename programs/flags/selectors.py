"""Which flags a user sees: the one selector behind the API's flag list and balance reports,
the dashboards' flag lists, the ``flags`` command and webhooks.

A restricted user sees the flags of the programmes they see in full (``programs.access``):
every list of flags starts from :func:`visible_flags`, so each applies releasability, loads
the same fields and orders the same way.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max, Prefetch, QuerySet

from programs.access import released, released_flags, released_snapshots
from programs.flags.filters import FlagFilter
from programs.models import BalanceSnapshot, Flag, Nation, Programme

#: What listing a flag reads: its SPEC §1 fields, its programme's code, its nation's code and
#: name, and the name of who acknowledged it; not the user's other columns (a password hash
#: among them).
LISTED_FIELDS = (
    *("rule", "severity", "status", "metric", "value", "threshold", "explanation", "evidence"),
    *("first_seen_at", "last_seen_at", "resolved_at", "acknowledged_at", "note"),
    *("programme__code", "nation__code", "nation__name", "acknowledged_by__username"),
)


def visible_flags(user, filters: Mapping[str, Any] | None = None) -> QuerySet[Flag]:
    """The flags ``user`` may see (every flag for None), most recently seen first, with their
    programme, nation, counterparts (by code) and acknowledging user in two queries whatever
    their number.

    ``filters`` are those of :class:`~programs.flags.filters.FlagFilter` by name (``programme``,
    ``status``...); a bad value raises ``ValidationError`` naming the filter. The API's list
    and the flags page bind ``FlagFilter`` to the request themselves, over this queryset, to
    answer bad input with a 400 or a form error.
    """
    flags = released_flags(Flag.objects.all(), user)
    if filters:
        filterset = FlagFilter(filters, queryset=flags)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors.as_data())
        flags = filterset.qs
    return (
        flags.select_related("programme", "nation", "acknowledged_by")
        .only(*LISTED_FIELDS)
        .prefetch_related(
            Prefetch("counterparts", queryset=Nation.objects.only("code", "name").order_by("code"))
        )
        .order_by("-last_seen_at", "-id")
    )


def last_scan_at(user=None, programme: Programme | None = None) -> datetime.datetime | None:
    """When a scan last ran (over ``programme``, or any): the latest snapshot taken or flag
    seen of those the user may see (two queries)."""
    flags = released_flags(Flag.objects.all(), user)
    snapshots = released_snapshots(BalanceSnapshot.objects.all(), user)
    if programme is not None:
        flags = flags.filter(programme=programme)
        snapshots = snapshots.filter(programme=programme)
    times = [
        snapshots.aggregate(at=Max("taken_at"))["at"],
        flags.aggregate(at=Max("last_seen_at"))["at"],
    ]
    seen = [time for time in times if time is not None]
    return max(seen) if seen else None


def flag_filter_choices(user=None) -> dict[str, list[tuple[str, str]]]:
    """The choices of the flags page's programme and nation filters (two queries)."""
    return {
        "programme": list(
            released(Programme.objects.all(), user).order_by("code").values_list("code", "code")
        ),
        "nation": [
            (code, f"{name} ({code})")
            for code, name in Nation.objects.order_by("name").values_list("code", "name")
        ],
    }
