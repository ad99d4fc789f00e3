"""The balance report of one programme: every SPEC §2 metric per nation and pair, with the
live flags and the time of the scan they come from (a selector: reads only).

For a restricted user (``programs.access``) the metrics are computed over the rows released to
their nation only, and flags appear only for programmes they see in full.

:func:`balance_report_data` serves the serialised report cached under the data version, by
programme, day and viewer nation (``programs.api.response_cache``): any write moves the version,
so a cached report is never older than the data.
"""

import dataclasses
import datetime
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from rest_framework.generics import get_object_or_404

from programs.access import released, viewer_nation
from programs.api.response_cache import versioned, viewer_key
from programs.api.serializers import BalanceReportSerializer
from programs.balance.flags import LIVE
from programs.balance.programme_balance import programme_balance
from programs.balance.scan import programme_thresholds
from programs.balance.ties import bloc_ties
from programs.flags.selectors import last_scan_at, visible_flags
from programs.models import Programme


def balance_report(
    programme: Programme, as_of: datetime.date | None = None, *, user=None
) -> dict[str, Any]:
    """The metrics computed now (as of ``as_of``, default today) and the flags of the last scan,
    as the user may see them (everything for ``None`` or an unrestricted user)."""
    balance = programme_balance(programme, as_of, nation_id=viewer_nation(user))
    report = {
        field.name: getattr(balance, field.name)
        for field in dataclasses.fields(balance)
        if not field.name.startswith("_")
    }
    report["nations"] = [dataclasses.asdict(nation) for nation in balance.nations]
    report["pairs"] = [dataclasses.asdict(pair) for pair in balance.pairs]
    thresholds = programme_thresholds(programme, nation_id=viewer_nation(user))
    report["bloc_ties"] = [
        dataclasses.asdict(tie) for tie in bloc_ties(balance, thresholds["bloc_sidelining"])
    ]
    report["computed_at"] = timezone.now()
    report["last_scan_at"] = last_scan_at(user, programme)
    report["open_flags"] = list(visible_flags(user).filter(programme=programme, status__in=LIVE))
    return report


def balance_report_data(
    code: str,
    as_of: datetime.date,
    *,
    user,
    version: str,
    check: Callable[[Programme], None] | None = None,
) -> dict[str, Any]:
    """The report of the programme with this code (:func:`balance_report`, serialised by
    ``BalanceReportSerializer``), cached under the data version for the day and viewer nation.

    ``version`` is the data version the caller read before reading anything else of the data.
    The programme is looked up (``Http404`` if the user may not see it) and ``check``-ed only
    when the report is computed: what a nation sees changes only with the data, so a report
    cached under this version for this nation was computed for a programme it could see.
    """

    def compute() -> dict[str, Any]:
        programme = visible_programme(code, user)
        if check is not None:
            check(programme)
        return BalanceReportSerializer(balance_report(programme, as_of, user=user)).data

    return versioned(balance_report_key(code, as_of, user, version), compute)


def balance_report_key(code: str, as_of: datetime.date, user, version: str) -> str:
    """The key of a programme's report as of the day, for the user's nation, at a version."""
    return f"balance:{code}:{as_of.isoformat()}:{viewer_key(user)}:{version}"


def visible_programme(code: str, user) -> Programme:
    """The programme with this code if the user may see it, else ``Http404``."""
    return get_object_or_404(released(Programme.objects.all(), user), code=code)
