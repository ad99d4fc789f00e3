"""Django's Redis cache, made safe to share one Redis with Celery and to lose for a while.

* With Redis unreachable a read is a miss, a write is dropped and ``incr`` counts nothing
  (logged), so requests keep working (API throttling lets requests through; balance reports
  are computed, not cached), as the rest of the app does without its broker.
* ``clear()`` deletes this cache's keys (its ``KEY_PREFIX``) only, never the whole Redis
  database, which also holds Celery's queues and the scan bookkeeping.
* One ``redis.Redis`` client per connection pool, made once (:class:`ReusedClientRedisCacheClient`).
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

_UNREACHABLE = (redis.ConnectionError, redis.TimeoutError)


def _tolerant(default):
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except _UNREACHABLE as error:
                logger.warning("cache %s unreachable (%s): %s", method.__name__, error, args[:1])
                return default(*args, **kwargs)

        return wrapper

    return decorate


def _get_default(key, default=None, version=None):
    return default


def _constant(value):
    return lambda *args, **kwargs: value() if callable(value) else value


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, handing out one ``redis.Redis`` per connection pool.

    Django builds a new ``redis.Redis`` for every operation, and building one (its table of
    response callbacks) costs more CPU than the operation itself; a cached API request makes
    five, and without this the API's throughput target (b) is missed by more than a tenth.
    A client is thread-safe: its pool hands each command a connection.
    """

    if TYPE_CHECKING:  # Django's own attribute and methods, which its stubs leave out
        _client: type[redis.Redis]

        def _get_connection_pool_index(self, write: bool) -> int: ...
        def _get_connection_pool(self, write: bool) -> redis.ConnectionPool: ...

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, redis.Redis] = {}

    def get_client(self, key=None, *, write: bool = False) -> redis.Redis:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients.setdefault(index, self._client(connection_pool=pool))
        return client


class TolerantRedisCache(RedisCache):
    """A miss when Redis cannot be reached; ``clear()`` limited to the key prefix."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    get = _tolerant(_get_default)(RedisCache.get)
    get_many = _tolerant(_constant(dict))(RedisCache.get_many)
    has_key = _tolerant(_constant(False))(RedisCache.has_key)
    add = _tolerant(_constant(False))(RedisCache.add)
    set = _tolerant(_constant(None))(RedisCache.set)
    set_many = _tolerant(_constant(list))(RedisCache.set_many)
    touch = _tolerant(_constant(False))(RedisCache.touch)
    delete = _tolerant(_constant(False))(RedisCache.delete)
    delete_many = _tolerant(_constant(None))(RedisCache.delete_many)
    incr = _tolerant(_constant(0))(RedisCache.incr)

    @_tolerant(_constant(None))
    def clear(self) -> None:
        if not self.key_prefix:
            raise ValueError("TolerantRedisCache.clear() needs a KEY_PREFIX")
        client = self._cache.get_client(write=True)
        batch = []
        for key in client.scan_iter(match=f"{self.key_prefix}:*", count=1000):
            batch.append(key)
            if len(batch) == 1000:
                client.delete(*batch)
                batch = []
        if batch:
            client.delete(*batch)
