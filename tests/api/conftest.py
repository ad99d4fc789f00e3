import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from programs.api.tokens import issue_token, revoke_token
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(world_with_every_resource):
    """The API tests' world: GCAP with one record of every resource to read, change and delete
    (tests/worlds.py)."""
    return world_with_every_resource


def https_client(change_reason: str | None = "api test") -> APIClient:
    """A DRF test client speaking HTTPS (production settings redirect plain HTTP) that gives
    every write a change reason (``X-Change-Reason``) unless ``change_reason`` is None."""
    if change_reason is None:
        return APIClient(HTTP_X_FORWARDED_PROTO="https")
    return APIClient(HTTP_X_FORWARDED_PROTO="https", HTTP_X_CHANGE_REASON=change_reason)


def token_client(key: str | None) -> APIClient:
    client = https_client()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def analyst_user(db):
    return UserFactory(username="ana", groups=["analyst"])


@pytest.fixture
def viewer_user(db):
    return UserFactory(username="vic", groups=["viewer"])


@pytest.fixture
def api(analyst_user) -> APIClient:
    """An analyst authenticated with an API token."""
    _, key = issue_token(analyst_user, "tests")
    return token_client(key)


@pytest.fixture
def viewer_api(viewer_user) -> APIClient:
    _, key = issue_token(viewer_user, "tests")
    return token_client(key)


@pytest.fixture
def identities(analyst_user, viewer_user) -> dict[str, APIClient]:
    """Every kind of caller of the permission matrix."""
    _, analyst_key = issue_token(analyst_user, "analyst")
    _, viewer_key = issue_token(viewer_user, "viewer")
    revoked, revoked_key = issue_token(analyst_user, "revoked")
    revoke_token(revoked)
    expired, expired_key = issue_token(
        analyst_user, "expiring", expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    type(expired).objects.filter(pk=expired.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2),
        expires_at=timezone.now() - datetime.timedelta(days=1),
    )
    return {
        "anonymous": token_client(None),
        "revoked_token": token_client(revoked_key),
        "expired_token": token_client(expired_key),
        "viewer": token_client(viewer_key),
        "analyst": token_client(analyst_key),
    }
