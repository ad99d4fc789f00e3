"""Per-user throttling; the rate comes from settings (API_THROTTLE_USER) when each request runs.

With Redis as the cache, the count is a sliding-window counter kept in Redis and checked in one
round trip: the requests of the current window plus those of the previous window weighted by
how much of it still lies within the last ``duration`` seconds. DRF's own throttle keeps a list
of timestamps per user, read and written back on every request (two round trips and the whole
list unpickled and pickled). Without Redis (the demo's local memory cache), DRF's throttle runs.
"""

import math
import time
from typing import NamedTuple

from django.core.cache import caches
from rest_framework import throttling
from rest_framework.settings import api_settings

from gcaptrack.cache import TolerantRedisCache

_clock = time.time


class WindowCount(NamedTuple):
    """A user's count in the throttle's window, taken with the API token's check (same round
    trip to Redis): the cache counted in, the key, the window's number, and the counts of that
    window (this request included) and of the one before."""

    cache: TolerantRedisCache
    key: str
    window: int
    counts: tuple[int, int]


class UserRateThrottle(throttling.UserRateThrottle):
    """DRF's per-user throttle, reading its rate at request time rather than at import.

    DRF binds ``THROTTLE_RATES`` when the module is imported, so a changed setting (tests,
    ``override_settings``) would be ignored.
    """

    #: Set from the rate by DRF's constructor (``parse_rate``); its stubs leave them out.
    num_requests: int
    duration: int

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return None if rate is None else str(rate)

    def allow_request(self, request, view) -> bool:
        counted: WindowCount | None = getattr(request.auth, "throttle_counted", None)
        cache = counted.cache if counted is not None else caches["default"]
        if not isinstance(cache, TolerantRedisCache):
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = _clock()
        window, into = divmod(now, self.duration)
        if counted is not None and (counted.key, counted.window) == (self.key, int(window)):
            count, before = counted.counts  # counted with the token's check, same round trip
        else:
            count, before = cache.count_in_window(self.key, int(window), self.duration)
        carried = before * (self.duration - into) / self.duration
        if count + carried <= self.num_requests:
            return True
        cache.uncount(self.key, int(window))  # a refused request uses up nothing
        self._wait = self._seconds_until_allowed(count - 1, before, into)
        return False

    def counter_for(self, user_id: int) -> tuple[TolerantRedisCache, str, int, int] | None:
        """This throttle's counter of a user now, for ``TolerantRedisCache.count_in_window``
        (cache, key, window, seconds); None when it does not count in Redis."""
        cache = caches["default"]
        if self.rate is None or not isinstance(cache, TolerantRedisCache):
            return None
        key = self.cache_format % {"scope": self.scope, "ident": user_id}
        return cache, key, int(_clock() // self.duration), self.duration

    def _seconds_until_allowed(self, count: int, before: int, into: float) -> float:
        """Seconds until one more request fits: the previous window's weight fades, or, when
        the current window alone is full, the next window begins."""
        left_in_window = self.duration - into
        if count >= self.num_requests or before == 0:
            return left_in_window
        fade = (count + before * left_in_window / self.duration + 1 - self.num_requests) * (
            self.duration / before
        )
        return min(left_in_window, max(fade, 0.0))

    def wait(self) -> float | None:
        if hasattr(self, "_wait"):
            return math.ceil(self._wait * 1000) / 1000
        return super().wait()
