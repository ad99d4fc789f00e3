"""Writes retried when PostgreSQL aborts them for a lock conflict, then answered 503.

Two transactions that lock the same rows in opposite orders deadlock, and PostgreSQL aborts one
of them ("deadlock detected", SQLSTATE 40P01; a serialisation failure is 40001). Neither is the
client's fault and both usually succeed when run again: the write is retried a few times with a
short pause, and if it still conflicts the client gets 503 with ``Retry-After`` (see
``programs.api.views.exception_handler``), never a 500.
"""

import functools
import random
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, transaction

#: SQLSTATEs of the transaction-rollback errors that a retry can clear.
TRANSIENT_SQLSTATES = {"40P01", "40001"}


def is_lock_conflict(error: BaseException | None) -> bool:
    """Whether the error (or what caused it) is a deadlock or a serialisation failure."""
    seen = set()
    while error is not None and id(error) not in seen:
        if getattr(error, "sqlstate", None) in TRANSIENT_SQLSTATES:
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def retried_on_lock_conflict(write: Callable) -> Callable:
    """Run ``write`` again (up to ``API_WRITE_ATTEMPTS`` times in all) when its transaction is
    aborted by a lock conflict. Only an outermost transaction is retried: inside another one
    the conflict has aborted the enclosing work too."""

    @functools.wraps(write)
    def attempt(*args, **kwargs):
        attempts = settings.API_WRITE_ATTEMPTS
        for tried in range(1, attempts + 1):
            outermost = not transaction.get_connection().in_atomic_block
            try:
                return write(*args, **kwargs)
            except DatabaseError as error:
                if tried == attempts or not outermost or not is_lock_conflict(error):
                    raise
            time.sleep(random.uniform(0.01, 0.05) * tried)
        raise AssertionError("unreachable")

    return attempt
