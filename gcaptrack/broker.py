"""The Redis client for what the app keeps in Redis besides its caches: the on-change scans'
coalescing keys (``programs.services.scan_queue``) and the critical-flag mail claims
(``programs.notifications``). The same Redis is Celery's broker (``REDIS_URL``)."""

import functools

import redis
from django.conf import settings


@functools.cache
def redis_client() -> redis.Redis:
    """One client (its own connection pool) per process.

    Short timeouts: a save must not hang on an unreachable Redis (its scan is then recorded as
    missed).
    """
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
