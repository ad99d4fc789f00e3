"""A write that PostgreSQL aborts for a deadlock is retried, and answered 503 with Retry-After
if it keeps conflicting, never 500 (programs.api.retry).

The deadlocks here are real: another connection holds one row and asks for the row the write
holds, after the write started waiting for it, so PostgreSQL's check runs in (and aborts) the
write's transaction.
"""

import threading
import time

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import DatabaseError, connection, transaction

from programs.api.retry import is_lock_conflict, retried_on_lock_conflict
from programs.api.views import LOCK_CONFLICT, exception_handler
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def database_url() -> str:
    params = connection.get_connection_params()
    return psycopg.conninfo.make_conninfo(
        **{k: v for k, v in params.items() if k in ("host", "port", "user", "password")},
        dbname=connection.settings_dict["NAME"],
    )


class Rival:
    """Another connection: takes row ``second`` now, asks for row ``first`` when told."""

    def __init__(self, first: int, second: int) -> None:
        self.first, self.second = first, second
        self.holding = threading.Event()
        self.go = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        with psycopg.connect(database_url()) as conn:
            conn.execute("select 1 from programs_nation where id = %s for update", [self.second])
            self.holding.set()
            self.go.wait(10)
            time.sleep(0.2)  # the write is waiting for ``second`` by now
            conn.execute("select 1 from programs_nation where id = %s for update", [self.first])
            conn.commit()


def deadlocking_write(rivals: list[Rival], attempts: list[int]):
    """Lock ``first``, then ask for ``second``: a deadlock while a rival holds ``second``."""

    def write():
        attempts.append(1)
        rival = rivals.pop(0) if rivals else None
        with transaction.atomic(), connection.cursor() as cursor:
            first, second = (rival.first, rival.second) if rival else (None, None)
            if rival:
                cursor.execute("select 1 from programs_nation where id = %s for update", [first])
                rival.go.set()
                cursor.execute("select 1 from programs_nation where id = %s for update", [second])
        return "written"

    return write


@pytest.fixture
def nations():
    return factories.NationFactory(code="AAA").pk, factories.NationFactory(code="BBB").pk


def started_rival(first: int, second: int) -> Rival:
    rival = Rival(first, second)
    rival.thread.start()
    assert rival.holding.wait(10)
    return rival


def test_a_write_aborted_by_a_deadlock_is_retried_and_succeeds(nations):
    rival = started_rival(*nations)
    attempts: list[int] = []

    result = retried_on_lock_conflict(deadlocking_write([rival], attempts))()

    rival.thread.join(10)
    assert result == "written"
    assert len(attempts) == 2


def test_a_write_that_keeps_deadlocking_is_answered_503_with_retry_after(nations, settings):
    settings.API_WRITE_ATTEMPTS = 1
    rival = started_rival(*nations)
    attempts: list[int] = []

    with pytest.raises(DatabaseError) as aborted:
        retried_on_lock_conflict(deadlocking_write([rival], attempts))()
    rival.thread.join(10)

    assert len(attempts) == 1
    assert is_lock_conflict(aborted.value)
    response = exception_handler(aborted.value, {})
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.data == {"detail": LOCK_CONFLICT}


def test_other_database_errors_are_not_retried(nations):
    attempts: list[int] = []

    def write():
        attempts.append(1)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("select 1 / 0")

    with pytest.raises(DatabaseError) as failed:
        retried_on_lock_conflict(write)()

    assert len(attempts) == 1
    assert not is_lock_conflict(failed.value)
    assert django_settings.API_WRITE_ATTEMPTS == 3
