import pytest
from django.core.cache import caches
from django.test import Client

from tests.factories import UserFactory

pytest_plugins = ["tests.celery_fixtures"]


@pytest.fixture(autouse=True)
def _no_cached_reports():
    """Balance reports cached by an earlier test (Redis outlives the test database) never
    answer this one."""
    caches["reports"].clear()


@pytest.fixture
def analyst(db):
    return UserFactory(username="ana", groups=["analyst"])


@pytest.fixture
def viewer(db):
    return UserFactory(username="vic", groups=["viewer"])


@pytest.fixture
def analyst_client(analyst) -> Client:
    client = Client()
    client.force_login(analyst)
    return client


@pytest.fixture
def viewer_client(viewer) -> Client:
    client = Client()
    client.force_login(viewer)
    return client
