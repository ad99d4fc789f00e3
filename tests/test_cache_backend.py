"""The Redis cache backend: a miss, not an error, when Redis cannot be reached; clear() removes
only its own keys (Celery's queues and the scan bookkeeping share the Redis database)."""

import os

import pytest
import redis
from django.core.cache.backends.redis import RedisSerializer

from gcaptrack.cache import TolerantRedisCache


def test_an_unreachable_redis_is_a_miss_and_writes_are_dropped():
    cache = TolerantRedisCache(
        "redis://127.0.0.1:1/0",
        {"KEY_PREFIX": "t", "OPTIONS": {"socket_connect_timeout": 0.2}},
    )

    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.add("k", 1) is False
    cache.set("k", 1)
    cache.delete("k")
    cache.clear()
    assert cache.count_in_window("throttle", 7, 60) == (0, 0)  # the request is let through
    assert cache.get_many_and_count(["k"], (cache, "throttle", 7, 60)) == ({}, (0, 0))
    cache.uncount("throttle", 7)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_clear_removes_only_the_keys_of_its_prefix():
    url = os.environ["REDIS_URL"]
    cache = TolerantRedisCache(url, {"KEY_PREFIX": "gcaptrack-test-clear"})
    other = redis.Redis.from_url(url)
    other.set("gcaptrack:unrelated-test-key", "kept")
    try:
        cache.set_many({f"k{i}": i for i in range(1500)})
        assert cache.get("k1499") == 1499

        cache.clear()

        assert cache.get("k1499") is None
        assert other.get("gcaptrack:unrelated-test-key") == b"kept"
    finally:
        other.delete("gcaptrack:unrelated-test-key")


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_counts_in_windows_and_one_redis_client_for_every_operation():
    cache = TolerantRedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": "gcaptrack-test-window"})
    try:
        assert cache.count_in_window("user-1", 10, 60) == (1, 0)
        assert cache.count_in_window("user-1", 10, 60) == (2, 0)
        assert cache.count_in_window("user-1", 11, 60) == (1, 2)
        cache.uncount("user-1", 11)
        assert cache.count_in_window("user-1", 11, 60) == (1, 2)
        assert cache._cache.get_client(write=True) is cache._cache.get_client(write=True)
    finally:
        cache.clear()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_reads_of_one_cache_and_a_count_of_another_share_one_round_trip():
    url = os.environ["REDIS_URL"]
    versions = TolerantRedisCache(url, {"KEY_PREFIX": "gcaptrack-test-versions"})
    counts = TolerantRedisCache(url, {"KEY_PREFIX": "gcaptrack-test-counts"})
    try:
        versions.set("a", "one")
        counts.count_in_window("user-2", 4, 60)
        found, counted = versions.get_many_and_count(["a", "b"], (counts, "user-2", 5, 60))
        assert found == {"a": "one"}
        assert counted == (1, 1)
        assert counts.count_in_window("user-2", 5, 60) == (2, 1)
        raw = redis.Redis.from_url(url)
        assert 0 < raw.ttl(counts.make_and_validate_key("user-2:5")) <= 120  # kept two windows

        raw.script_flush()  # Redis restarted, say: the script is loaded again
        assert versions.get_many_and_count(["a"], (counts, "user-2", 5, 60)) == (
            {"a": "one"},
            (3, 1),
        )

        # Redis dropped the connection the scripts run on, say: the script runs on a fresh one.
        kept = versions._cache._script_connection()
        kept.send_command("CLIENT", "ID")
        raw.client_kill_filter(_id=kept.read_response())
        assert versions.get_many_and_count(["a"], (counts, "user-2", 5, 60)) == (
            {"a": "one"},
            (4, 1),
        )
        assert versions.get_many_and_count(["a"], (counts, "user-2", 5, 60)) == (
            {"a": "one"},
            (5, 1),
        )
    finally:
        versions.clear()
        counts.clear()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_values_read_back_as_djangos_serializer_reads_them():
    cache = TolerantRedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": "gcaptrack-test-values"})
    django_reads = RedisSerializer().loads
    raw = redis.Redis.from_url(os.environ["REDIS_URL"])
    values = [7, -3, 0, True, 2.5, "12", "0123abcd", b"\x80raw", {"a": [1, "b"]}, None, ""]
    try:
        for number, value in enumerate(values):
            cache.set(f"v{number}", value)
            assert cache.get(f"v{number}", "missing") == value
            stored = raw.get(cache.make_key(f"v{number}"))
            assert cache._cache._serializer.loads(stored) == django_reads(stored)
        raw.set(cache.make_key("written-by-incr"), b"42")
        assert cache.get("written-by-incr") == 42
        for corrupt in (b"\x80 not a pickle", b"neither"):
            raw.set(cache.make_key("corrupt"), corrupt)
            with pytest.raises(Exception) as django_error:
                django_reads(corrupt)
            with pytest.raises(django_error.type):
                cache.get("corrupt")
    finally:
        cache.clear()
