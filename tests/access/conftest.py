from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import override_settings

from tests.access.caveat_world import CaveatWorld, build_caveat_world


@pytest.fixture(scope="module")
def caveat_world(django_db_setup, django_db_blocker) -> Iterator[CaveatWorld]:
    """The caveat world (tests/access/caveat_world.py), built once for a module in a transaction
    kept open for the module and rolled back after it; each test runs in a savepoint inside it
    (pytest-django's ``db``)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(CELERY_ON_CHANGE_SCANS=False):
                built = build_caveat_world()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)
