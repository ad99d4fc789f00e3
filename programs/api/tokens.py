"""Issuing, checking and revoking API tokens (used by the API's token authentication, its token
endpoints and the admin).

A key reads ``gct_<prefix>_<secret>``: the prefix finds the row, the SHA-256 of the whole key
is compared in constant time. Only the prefix and the hash are stored.

A token is read from the database on every request that carries it, so a revocation, an expiry,
a deactivated user or a changed clearance applies on the very next request, with or without
Redis.
"""

import datetime
import hashlib
import hmac
import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from programs.access import remember_viewer_nation
from programs.models import ApiToken

KEY_MARK = "gct"
#: last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


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
    token.refresh_from_db()
    return token


class TokenRejected(Exception):
    """The key is unknown, malformed, revoked or expired; the message says which."""


def token_for_key(key: str) -> ApiToken:
    """The live token the key belongs to, read with its user and the user's clearance in one
    query, its last use recorded; raise TokenRejected otherwise."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_MARK:
        raise TokenRejected("Malformed API token.")
    try:
        token = ApiToken.objects.select_related("user", "user__clearance").get(prefix=parts[1])
    except ApiToken.DoesNotExist:
        raise TokenRejected("Unknown API token.") from None
    if not hmac.compare_digest(token.key_hash, _hash(key)):
        raise TokenRejected("Unknown API token.")
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
    clearance = getattr(token.user, "clearance", None)  # None: no clearance row, unrestricted
    remember_viewer_nation(token.user, clearance.nation_id if clearance else None)
    return token
