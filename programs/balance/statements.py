"""A cursor for the balance's hand-written SQL that PostgreSQL plans once per connection.

The balance statements (``programs.balance.metrics``) are few, long and run for every
programme of every scan: planning them cost more than running them on a small programme. On
PostgreSQL, this cursor binds parameters on the server, so psycopg prepares a statement once it
has run ``DB_PREPARE_THRESHOLD`` times on the connection and PostgreSQL reuses its plan. Django's
own cursors bind on the client (the ORM does not yet write SQL that can be prepared) and stay
as they are. The cursor is Django's wrapper all the same: queries are logged and counted,
execute wrappers apply and database errors come out as Django's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.backends.utils import CursorWrapper


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
