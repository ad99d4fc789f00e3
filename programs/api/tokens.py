"""Issuing, checking and revoking API tokens (used by the API's token endpoints and the admin).

A key reads ``gct_<prefix>_<secret>``: the prefix finds the row, the SHA-256 of the whole key
is compared in constant time. Only the prefix and the hash are stored.

Each process keeps the tokens it has checked, with their user (permissions loaded) and the
user's clearance, under the *auth version* (``programs.data_version.CacheVersion``): every
write to a token, a user, a clearance, a group or a permission link moves it, so a revoked
token, a deactivated user or a changed clearance is refused or applied on the very next request
in every process. Looking the token up in the database, then the user's permissions, cost more
than all the rest of a cached API request. Without Redis (the demo) nothing is kept. A version
move lost while Redis is unreachable cannot be seen: a kept token is therefore checked again
after ``KEPT_TOKEN_SECONDS`` in any case, which bounds how long a token revoked during a Redis
outage can still be used by a process that kept it before.
"""

import copy
import dataclasses
import datetime
import hashlib
import hmac
import secrets
import time
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, Group, User
from django.db import transaction
from django.db.models import F, Model
from django.db.models.base import ModelState
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from programs import data_version
from programs.access import remember_viewer_nation
from programs.api.response_cache import RecentEntries
from programs.api.throttling import UserRateThrottle, WindowCount
from programs.data_version import CacheVersion
from programs.models import ApiToken, Clearance

M = TypeVar("M", bound=Model)

KEY_MARK = "gct"
#: last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
AUTH_VERSION = CacheVersion("auth-version")
#: Checked tokens kept per process, by key hash: (auth version, time kept, token with its user).
CHECKED_TOKENS = 256
_checked = RecentEntries(CHECKED_TOKENS)
KEPT_TOKEN_SECONDS = 60
_clock = time.monotonic


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(
    user: User, name: str, expires_at: datetime.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return it with its key, which is never retrievable again."""
    prefix = secrets.token_hex(6)
    key = f"{KEY_MARK}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        user=user, name=name, prefix=prefix, key_hash=_hash(key), expires_at=expires_at
    )
    token.created_at = timezone.now()
    token.full_clean(exclude=["prefix", "key_hash"])
    token.save()
    return token, key


def revoke_token(token: ApiToken) -> ApiToken:
    """Revoke a token for good (idempotent: a revoked token keeps its first revocation time)."""
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        AUTH_VERSION.bump()  # update() sends no signal
    token.refresh_from_db()
    return token


class TokenRejected(Exception):
    """The key is unknown, malformed, revoked or expired; the message says which."""


@dataclasses.dataclass(frozen=True, slots=True)
class TokenCheck:
    """What checking a request's API token found; DRF's ``request.auth``.

    ``token`` is the token as this process keeps it, shared by the requests that use it: read
    it, never change it. ``user`` is the request's own copy of its user. ``data_version`` and
    ``throttle_counted`` were read in the same round trip to Redis as the auth version (see
    :func:`_checked_token`).
    """

    token: ApiToken
    user: AbstractBaseUser
    data_version: str
    throttle_counted: WindowCount | None


def token_for_key(key: str) -> TokenCheck:
    """The check of a live token, its last use recorded; raise TokenRejected otherwise."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_MARK:
        raise TokenRejected("Malformed API token.")
    key_hash = _hash(key)
    token, data_version_now, counted = _checked_token(parts[1], key_hash)
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenRejected("This API token has been revoked.")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenRejected("This API token has expired.")
    if not token.user.is_active:
        raise TokenRejected("The user of this API token is inactive.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    # The request's own user: it may annotate it; the kept one stays as loaded.
    return TokenCheck(token, _copy_of(token.user), data_version_now, counted)


def _copy_of(instance: M) -> M:
    """A shallow copy of a model instance, as ``copy.copy`` makes it: its own attributes and
    its own state, with its own cache of related objects, so that the two can be changed
    apart. ``copy.copy`` goes through pickling's protocol and copies the state that way too,
    which cost more than the rest of a kept token's check."""
    if any(isinstance(value, memoryview) for value in instance.__dict__.values()):
        return copy.copy(instance)  # binary fields: Django's pickling turns them to bytes
    clone = instance.__class__.__new__(instance.__class__)
    clone.__dict__.update(instance.__dict__)
    state = ModelState()
    state.__dict__.update(instance._state.__dict__)
    if "fields_cache" in state.__dict__:
        state.fields_cache = state.fields_cache.copy()
    clone._state = state
    return clone


def _checked_token(prefix: str, key_hash: str) -> tuple[ApiToken, str, WindowCount | None]:
    """The token with this prefix and hash, kept from an earlier request of this process while
    the auth version has not moved (read before the database, so a change made meanwhile is
    never kept under the new version); raise TokenRejected for an unknown key.

    Also returns the data version, read in the same round trip to the cache: the request's
    cached reports are looked up under it (``request.auth.data_version``); and the throttle's
    ``WindowCount`` when it was counted in it too (``request.auth.throttle_counted``).
    """
    kept = _checked.get(key_hash)
    # A token's user never changes: a kept token's user is counted by the throttle in the
    # same round trip (UserRateThrottle then uses that count).
    counter = UserRateThrottle().counter_for(kept[2].user_id) if kept is not None else None
    (version, data_version_now), counts = data_version.current_and_count(
        (AUTH_VERSION, data_version.DATA), counter
    )
    counted = None
    if counter is not None and counts is not None:
        cache, key, window, _seconds = counter
        counted = WindowCount(cache, key, window, counts)
    now = _clock()
    if kept is not None and kept[0] == version and now - kept[1] < KEPT_TOKEN_SECONDS:
        return kept[2], data_version_now, counted
    token = (
        ApiToken.objects.select_related("user")
        .annotate(viewer_nation_id=F("user__clearance__nation_id"))
        .filter(prefix=prefix)
        .first()
    )
    if token is None or not hmac.compare_digest(token.key_hash, key_hash):
        raise TokenRejected("Unknown API token.")
    if token.user.is_active:
        token.user.get_all_permissions()  # loaded once, kept with the user
    remember_viewer_nation(token.user, token.viewer_nation_id)
    _checked.put(key_hash, (version, now, token))
    return token, data_version_now, counted


def _on_auth_write(sender, **kwargs) -> None:
    AUTH_VERSION.bump()


def _on_auth_relation_change(sender, action, **kwargs) -> None:
    if action.startswith("post_"):
        AUTH_VERSION.bump()


def connect() -> None:
    """Move the auth version on every write that changes who a token lets in, or as whom."""
    from django.apps import apps

    user = apps.get_model(settings.AUTH_USER_MODEL)
    for model in (ApiToken, user, Clearance, Group):
        uid = f"auth-version-{model.__name__}"
        post_save.connect(_on_auth_write, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_on_auth_write, sender=model, dispatch_uid=f"{uid}-delete")
    for through in (user.groups.through, user.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(
            _on_auth_relation_change,
            sender=through,
            dispatch_uid=f"auth-version-{through.__name__}",
        )
