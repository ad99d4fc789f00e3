"""Scans: compute a programme's balance, run the rules, update flags and snapshots.

A programme scan is one transaction holding a lock on the programme's row, so two scans of the
same programme (a periodic one and an on-change one) run one after the other, and a scan that
dies half-way leaves nothing behind. Scans are idempotent: a second scan of unchanged data only
moves ``last_seen_at``.
"""

from __future__ import annotations

import datetime
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from programs import data_version
from programs.balance.flags import apply_conditions
from programs.balance.global_returns import global_returns
from programs.balance.programme_balance import ProgrammeBalance, programme_balance
from programs.balance.rounding import as_decimal
from programs.balance.rules.registry import Condition, Rule, global_rules, programme_rules
from programs.balance.scan_errors import OUTAGES, record_scan_error
from programs.balance.statements import sql_sources, statement_cursor
from programs.balance.thresholds import thresholds_for
from programs.models import BalanceSnapshot, Flag, Programme, ThresholdOverride
from programs.models.fields import column, concrete_field

#: Key of the PostgreSQL advisory lock that serialises cross-programme scans.
GLOBAL_SCAN_LOCK = 7_021_001


@dataclass
class ScanResult:
    #: Programme code; None for the cross-programme rules.
    programme: str | None
    as_of: datetime.date
    raised: list[Flag] = field(default_factory=list)
    updated: list[Flag] = field(default_factory=list)
    resolved: list[Flag] = field(default_factory=list)
    reopened: list[Flag] = field(default_factory=list)
    unchanged: list[Flag] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    snapshots: int = 0
    seconds: float = 0.0
    #: Why the scan failed (it changed nothing), when it did; kept as a ``ScanError``.
    error: str | None = None

    @property
    def opened(self) -> list[Flag]:
        """Flags that became live in this scan: newly raised and raised again."""
        return self.raised + self.reopened

    @property
    def live(self) -> int:
        return len(self.raised) + len(self.reopened) + len(self.updated) + len(self.unchanged)

    def summary(self) -> str:
        where = self.programme or "all programmes (global rules)"
        if self.error:
            return f"{where} as of {self.as_of}: FAILED, nothing changed: {self.error}"
        return (
            f"{where} as of {self.as_of}: {len(self.raised)} raised, "
            f"{len(self.reopened)} reopened, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.resolved)} resolved"
            + (f", {len(self.pending)} pending" if self.pending else "")
            + f"; {self.snapshots} snapshots in {self.seconds:.2f}s"
        )


def programme_thresholds(
    programme: Programme, *, nation_id: int | None = None
) -> dict[str, dict[str, Decimal]]:
    """Every rule's thresholds for the programme: defaults with its overrides applied (those
    visible to the viewer ``nation_id``, if given)."""
    overrides: dict[str, dict[str, Decimal]] = defaultdict(dict)
    src = sql_sources(nation_id, ThresholdOverride)
    sql = f"""
        {src.with_clause}SELECT rule, parameter, value FROM {src[ThresholdOverride]}
        WHERE programme_id = %s
    """
    with statement_cursor() as cursor:
        cursor.execute(sql, [*src.params, programme.pk])
        for rule, parameter, value in cursor.fetchall():
            overrides[rule][parameter] = as_decimal(value)
    return {r.name: thresholds_for(r.name, overrides.get(r.name)) for r in programme_rules()}


def _consecutive(thresholds: dict[str, dict[str, Decimal]]) -> dict[str, int]:
    return {rule: int(t.get("consecutive_scans", 1)) for rule, t in thresholds.items()}


def rule_conditions(rules: list[Rule], subject: object, thresholds: dict) -> list[Condition]:
    """What ``rules`` find in ``subject`` (a programme's balance, or the global returns), with
    their thresholds; writes nothing (scans and what-if drafts alike)."""
    return [condition for rule in rules for condition in rule.check(subject, thresholds[rule.name])]


def global_thresholds() -> dict[str, dict[str, Decimal]]:
    """The cross-programme rules' thresholds: their defaults (no programme to override them)."""
    return {r.name: thresholds_for(r.name) for r in global_rules()}


def _run_rules(
    rules: list[Rule], subject: object, thresholds: dict, *, programme: Programme | None
):
    """Check ``rules`` against ``subject`` and bring the flags of those rules up to date with
    what they found."""
    return apply_conditions(
        rule_conditions(rules, subject, thresholds),
        programme=programme,
        rules=[rule.name for rule in rules],
        consecutive_scans=_consecutive(thresholds),
    )


def scan_programme(
    programme: Programme | str,
    as_of: datetime.date | None = None,
    *,
    returns_cache: dict | None = None,
) -> ScanResult:
    """Run every programme rule on one programme, as of a day (default today).

    ``returns_cache`` lets ``scan_all`` compute the cross-programme returns once per currency
    instead of once per programme (they read every programme's work).
    """
    started = time.perf_counter()
    as_of = as_of or timezone.localdate()
    code = programme if isinstance(programme, str) else programme.code
    with transaction.atomic():
        locked = Programme.objects.select_for_update(of=("self",)).get(code=code)
        thresholds = programme_thresholds(locked)
        balance = programme_balance(
            locked,
            as_of,
            overdue_days=int(thresholds["tech_transfer_overdue"]["overdue_days"]),
        )
        outcome = _run_rules(programme_rules(), balance, thresholds, programme=locked)
        snapshots = write_snapshots(locked, balance, returns_cache)
        data_version.bump()  # flags and snapshots are written with update() and bulk_create()
    return ScanResult(
        programme=locked.code,
        as_of=as_of,
        raised=outcome.raised,
        updated=outcome.updated,
        resolved=outcome.resolved,
        reopened=outcome.reopened,
        unchanged=outcome.unchanged,
        pending=outcome.pending,
        snapshots=snapshots,
        seconds=time.perf_counter() - started,
    )


def scan_global(
    as_of: datetime.date | None = None, *, returns_cache: dict | None = None
) -> ScanResult:
    """Run the cross-programme rules (global_balance) with their default thresholds."""
    started = time.perf_counter()
    as_of = as_of or timezone.localdate()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [GLOBAL_SCAN_LOCK])
        returns = (
            returns_cache[as_of]
            if returns_cache is not None and as_of in returns_cache
            else global_returns(as_of)
        )
        outcome = _run_rules(global_rules(), returns, global_thresholds(), programme=None)
        data_version.bump()
    return ScanResult(
        programme=None,
        as_of=as_of,
        raised=outcome.raised,
        updated=outcome.updated,
        resolved=outcome.resolved,
        reopened=outcome.reopened,
        unchanged=outcome.unchanged,
        pending=outcome.pending,
        seconds=time.perf_counter() - started,
    )


def scan_all(as_of: datetime.date | None = None) -> list[ScanResult]:
    """Scan every programme (each in its own transaction), then the cross-programme rules.

    A programme whose scan fails is rolled back and recorded (``programs.balance.scan_errors``)
    and the others are still scanned: its result carries the ``error``.
    """
    as_of = as_of or timezone.localdate()
    codes = list(Programme.objects.order_by("code").values_list("code", flat=True))
    returns_cache: dict = {}
    results = [
        _surviving(
            code, as_of, lambda code=code: scan_programme(code, as_of, returns_cache=returns_cache)
        )
        for code in codes
    ]
    results.append(_surviving(None, as_of, lambda: scan_global(as_of, returns_cache=returns_cache)))
    return results


def scan_programme_or_record(code: str, as_of: datetime.date | None = None) -> ScanResult:
    """Scan one programme; a failure is recorded like one in :func:`scan_all` (for commands)."""
    as_of = as_of or timezone.localdate()
    return _surviving(code, as_of, lambda: scan_programme(code, as_of))


def _surviving(code: str | None, as_of: datetime.date, scan) -> ScanResult:
    """``scan()``, or the failed result of a scan that raised (an outage is raised on)."""
    try:
        return scan()
    except OUTAGES:
        raise
    except Exception as error:
        scan_error = record_scan_error(code, as_of, error)
        return ScanResult(
            programme=code, as_of=as_of, error=f"{scan_error.reason} (scan error #{scan_error.pk})"
        )


SNAPSHOT_FIELDS = [
    "contributed",
    "contribution_share",
    "contribution_basis",
    "work",
    "workshare_share",
    "return_coefficient",
    "leadership_weight",
    "leadership_share",
    "roles_held",
    "votes",
    "vote_share",
    "vetoes",
    "chairs",
    "counted_votes",
    "outvoted_votes",
    "outvoted_rate",
    "tt_delivered_weight",
    "tt_received_weight",
    "overdue_to_receive",
    "blocked_to_receive",
]
#: Every column a snapshot row is written with.
SNAPSHOT_COLUMNS = [
    "programme",
    "nation",
    "taken_on",
    "taken_at",
    *SNAPSHOT_FIELDS,
    "global_return",
]


def write_snapshots(
    programme: Programme, balance: ProgrammeBalance, returns_cache: dict | None = None
) -> int:
    """Upsert the day's snapshot of every nation of the balance (one row per nation and day).

    ``taken_at`` keeps the time of the day's first scan, so a repeated scan changes no figure.
    """
    if not balance.nations:
        return 0
    if returns_cache is None:
        every_return = global_returns(balance.as_of, currency=programme.currency)
    else:
        # Every currency's returns at once: the same figures, each currency's programmes apart.
        if balance.as_of not in returns_cache:
            returns_cache[balance.as_of] = global_returns(balance.as_of)
        every_return = returns_cache[balance.as_of]
    returns = {
        item.nation: item.global_return
        for item in every_return
        if item.currency == programme.currency and programme.code in item.programmes
    }

    ids = balance.nation_ids
    now = timezone.now()
    rows = [
        {
            "programme": programme.pk,
            "nation": ids[nation.code],
            "taken_on": balance.as_of,
            "taken_at": now,
            "global_return": returns.get(nation.code),
            **{name: getattr(nation, name) for name in SNAPSHOT_FIELDS},
        }
        for nation in balance.nations
    ]
    _upsert_snapshots(rows)
    return len(rows)


def _upsert_snapshots(rows: list[dict]) -> None:
    """Insert the rows, each updating the stored row of its programme, nation and day.

    ``bulk_create(update_conflicts=True)`` in one hand-written statement: building a dozen model
    instances and compiling the insert cost more than the database spent on it, on every
    programme of every scan. Values are adapted by their model fields, as the ORM does.
    """
    meta = BalanceSnapshot._meta
    fields = [concrete_field(BalanceSnapshot, name) for name in SNAPSHOT_COLUMNS]
    quote = connection.ops.quote_name
    updated = [quote(column(BalanceSnapshot, name)) for name in [*SNAPSHOT_FIELDS, "global_return"]]
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(str(f.column)) for f in fields)}) "
        f"VALUES {', '.join([row] * len(rows))} "
        "ON CONFLICT (programme_id, nation_id, taken_on) DO UPDATE SET "
        + ", ".join(f"{column} = excluded.{column}" for column in updated)
    )
    params = [
        field.get_db_prep_save(values[field.name], connection)
        for values in rows
        for field in fields
    ]
    with statement_cursor() as cursor:
        cursor.execute(sql, params)
