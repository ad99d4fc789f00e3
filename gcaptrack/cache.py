"""Django's Redis cache, made safe to share one Redis with Celery and to lose for a while.

* With Redis unreachable a read is a miss and a write is dropped (logged), so requests keep
  working (API throttling lets requests through; balance reports are computed, not cached), as
  the rest of the app does without its broker.
* ``clear()`` deletes this cache's keys (its ``KEY_PREFIX``) only, never the whole Redis
  database, which also holds Celery's queues and the scan bookkeeping.
* One Redis client object per connection pool, made once: Django makes a new one for every
  operation, which cost more than the round trip to Redis on a cached API request.
"""

from __future__ import annotations

import functools
import logging
import os
import pickle
import threading
from typing import TYPE_CHECKING

import hiredis
import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient, RedisSerializer
from redis.commands.core import Script
from redis.connection import Connection

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


#: The window count of the throttle, with reads in the same round trip. KEYS: the keys to read
#: (none or more), then the window's count key and the previous window's; ARGV[1]: how long a
#: count is kept. Returns the values read, the window's new count, the previous window's count.
_READ_AND_COUNT = """
local n = #KEYS - 2
local values = {}
if n > 0 then values = redis.call('MGET', unpack(KEYS, 1, n)) end
values[n + 1] = redis.call('INCR', KEYS[n + 1])
redis.call('EXPIRE', KEYS[n + 1], ARGV[1])
values[n + 2] = redis.call('GET', KEYS[n + 2])
return values
"""


def _get_default(key, default=None, version=None):
    return default


def _constant(value):
    return lambda *args, **kwargs: value() if callable(value) else value


class PickleFirstSerializer(RedisSerializer):
    """Django's serializer, reading a pickled value as one before trying it as an integer.

    Django's tries ``int()`` first, and the ``ValueError`` every pickled value raises there
    cost as much as the unpickling. A pickle of protocol 2 or later (Django writes the highest)
    begins with the PROTO opcode; anything else is read as Django reads it.
    """

    def loads(self, data):
        if data[:1] == pickle.PROTO:
            # The cache's own values, unpickled as Django's serializer unpickles them.
            return pickle.loads(data)  # nosec B301
        return super().loads(data)


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, handing out one ``redis.Redis`` per pool (thread-safe: the
    pool hands each command a connection)."""

    if TYPE_CHECKING:  # Django's own attributes and methods, which its stubs leave out
        _client: type[redis.Redis]
        _serializer: RedisSerializer

        def _get_connection_pool_index(self, write: bool) -> int: ...
        def _get_connection_pool(self, write: bool) -> redis.ConnectionPool: ...

    def __init__(self, *args, **kwargs) -> None:
        kwargs["serializer"] = kwargs.get("serializer") or PickleFirstSerializer
        super().__init__(*args, **kwargs)
        self._clients: dict[int, redis.Redis] = {}
        self._scripts: dict[str, Script] = {}
        self._script_connections = threading.local()

    def get_client(self, key=None, *, write: bool = False) -> redis.Redis:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients.setdefault(index, self._client(connection_pool=pool))
        return client

    def get_script(self, source: str) -> Script:
        """``source`` registered on the write client, once (run by its SHA1; reloaded by
        redis-py if Redis lost it)."""
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts.setdefault(
                source, self.get_client(write=True).register_script(source)
            )
        return script

    def run_script(self, source: str, keys: list[str], args: list) -> list:
        """``source`` run with ``keys`` and ``args`` by its SHA1 (loaded first when Redis does
        not have it), on a connection this thread keeps for its scripts.

        redis-py's own call (retry policy, hooks, response callbacks) added about a quarter to
        the round trip of a kept API request, and taking a connection from the pool and giving
        it back (a lock, its metrics and a read of the socket to check it) another 14 µs of
        CPU. A kept connection that fails (Redis restarted, or closed it) is dropped and the
        script run once more on a fresh one from the pool, as redis-py retries a command; an
        error there is raised. A script whose answer was lost with the connection may so run
        twice: the throttle then counts that request twice.
        """
        script = self.get_script(source)
        connection = self._script_connection()  # a failure here is the pool's: raised
        try:
            return self._evalsha(connection, script, keys, args)
        except _UNREACHABLE:
            pass  # that connection is dropped: once more on a fresh one
        return self._evalsha(self._script_connection(), script, keys, args)

    def _evalsha(self, connection: Connection, script: Script, keys: list[str], args: list):
        """The script's answer on ``connection``; the connection is dropped on any error but
        Redis's not having the script (then loaded and run through redis-py)."""
        try:
            # Packed by hiredis directly: redis-py's packer around it cost twice as much again.
            command = ("EVALSHA", script.sha, len(keys), *keys, *args)
            connection.send_packed_command([hiredis.pack_command(command)])
            return connection.read_response()
        except redis.exceptions.NoScriptError:
            pass  # answered in full: the connection is fine
        except BaseException:
            self._drop_script_connection(connection)
            raise
        return script(keys=keys, args=args)

    def _script_connection(self) -> Connection:
        """This thread's connection for scripts: taken from the write pool (which checks it)
        the first time, and after a fork or a failure."""
        connection = getattr(self._script_connections, "connection", None)
        if connection is None or connection.pid != os.getpid():
            connection = self._get_connection_pool(True).get_connection()
            self._script_connections.connection = connection
        return connection

    def _drop_script_connection(self, connection: Connection) -> None:
        connection.disconnect()
        self._get_connection_pool(True).release(connection)
        if getattr(self._script_connections, "connection", None) is connection:
            self._script_connections.connection = None


class TolerantRedisCache(RedisCache):
    """A miss when Redis cannot be reached; ``clear()`` limited to the key prefix."""

    if TYPE_CHECKING:  # Django's own attribute, which its stubs leave out; the client is ours
        _servers: list[str]

        @property
        def _cache(self) -> ReusedClientRedisCacheClient: ...

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

    @_tolerant(_constant((0, 0)))
    def count_in_window(self, key: str, window: int, seconds: int) -> tuple[int, int]:
        """Add one to ``key``'s count in window number ``window`` (windows of ``seconds``) and
        return it with the count of the window before, in one round trip to Redis."""
        _, count, before = self._read_and_count([], self, key, window, seconds)
        return count, before

    @_tolerant(lambda keys, counter: ({}, (0, 0)))
    def get_many_and_count(
        self, keys: list[str], counter: tuple[TolerantRedisCache, str, int, int]
    ) -> tuple[dict, tuple[int, int]]:
        """``get_many(keys)`` and ``counter``'s ``count_in_window`` (its cache, key, window,
        seconds) in one round trip; both caches must use the same Redis server."""
        other, key, window, seconds = counter
        if other._servers != self._servers:
            return self.get_many(keys), other.count_in_window(key, window, seconds)
        made = {self.make_key(k): k for k in keys}  # the app's own keys, Redis-safe
        values, count, before = self._read_and_count(list(made), other, key, window, seconds)
        found = {
            made[made_key]: self._cache._serializer.loads(value)
            for made_key, value in zip(made, values, strict=True)
            if value is not None
        }
        return found, (count, before)

    def _read_and_count(
        self, made_keys: list[str], counter: TolerantRedisCache, key: str, window: int, seconds: int
    ) -> tuple[list, int, int]:
        """The raw values of ``made_keys``, then ``counter``'s count of ``key`` in window
        ``window`` after adding one (kept two windows) and the previous window's count: one
        script, one round trip (a pipeline of its four commands took twice as long)."""
        keys = [
            *made_keys,
            counter.make_key(f"{key}:{window}"),
            counter.make_key(f"{key}:{window - 1}"),
        ]
        *values, count, before = self._cache.run_script(_READ_AND_COUNT, keys, [2 * seconds])
        return values, int(count), int(before or 0)

    @_tolerant(_constant(None))
    def uncount(self, key: str, window: int) -> None:
        """Take back one count of ``key`` in window number ``window``."""
        self._cache.get_client(write=True).decr(self.make_and_validate_key(f"{key}:{window}"))

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
