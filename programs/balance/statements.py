"""The plumbing of the balance's hand-written SQL: where it reads from, and the cursor it runs on.

A programme's balance takes a fixed number of queries whatever the number of contributions,
allocations, votes or milestones: every figure is a ``GROUP BY`` over nations (or pairs of
nations) in the database, and Python only assembles the handful of nations and pairs of the
programme (``programs.balance.programme_balance``). The statements read their tables through
``sql_sources``, so a viewer's releasability applies (``programs.access``), and build ``IN``
lists with ``placeholders``; SQLite hands dates back as strings, hence ``as_date``.

The statements are few, long and run for every programme of every scan: planning them cost
more than running them on a small programme. On PostgreSQL, ``statement_cursor`` binds
parameters on the server, so psycopg prepares a statement once it has run
``DB_PREPARE_THRESHOLD`` times on the connection and PostgreSQL reuses its plan. Django's own
cursors bind on the client (the ORM does not yet write SQL that can be prepared) and stay as
they are. The cursor is Django's wrapper all the same: queries are logged and counted, execute
wrappers apply and database errors come out as Django's.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import Q

from programs.access import RELEASE_PATHS, released_table


@contextmanager
def statement_cursor() -> Iterator[CursorWrapper]:
    """A cursor on the default connection, in its current transaction."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    # django-stubs give ServerBindingCursor no arguments and make_cursor a wrapper, unlike Django.
    raw = ServerBindingCursor(connection.connection)  # type: ignore[call-arg]
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    with wrap(raw) as cursor:  # type: ignore[arg-type]
        yield cursor


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def placeholders(values) -> str:
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
            names[model] = table(model)
            continue
        source, source_params = released_table(model, nation_id)
        name = f"visible_{model._meta.model_name}"
        ctes.append(f"{name} AS (SELECT * FROM {source} AS visible)")
        params += source_params
        names[model] = name
    return SqlSources(names, ctes, params)


def days_between(end: str, start: str) -> str:
    if connection.vendor == "sqlite":
        return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"
    return f"({end} - {start})"


def as_date_or_none(value) -> datetime.date | None:
    return None if value is None else as_date(value)


def as_date(value) -> datetime.date:
    if isinstance(value, str):
        return datetime.date.fromisoformat(value)
    return value


def active_on(day: datetime.date, start: str, end: str) -> Q:
    """Started on or before the day (or no start) and not ended on or before it."""
    return (Q(**{f"{start}__isnull": True}) | Q(**{f"{start}__lte": day})) & (
        Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gt": day})
    )
