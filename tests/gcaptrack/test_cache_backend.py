"""The Redis cache backend: a miss, not an error, when Redis cannot be reached; clear() removes
only its own keys (Celery's queues and the scan bookkeeping share the Redis database)."""

import os

import pytest
import redis

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
    assert cache.incr("throttle") == 0  # nothing counted: the request is let through
    assert cache.decr("throttle") == 0


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
def test_counts_are_incremented_in_redis_and_a_missing_count_is_djangos_value_error():
    cache = TolerantRedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": "gcaptrack-test-count"})
    try:
        with pytest.raises(ValueError):
            cache.incr("user-1:10")
        assert cache.add("user-1:10", 1, timeout=120)
        assert cache.incr("user-1:10") == 2
        assert cache.decr("user-1:10") == 1
        assert cache.get("user-1:10") == 1
    finally:
        cache.clear()
