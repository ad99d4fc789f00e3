"""Per-user throttling over a sliding window, counted with Django's cache API.

The count of a window is a cache entry ``incr``-ed by each request (Redis's INCR, atomic across
workers); a request is let through while the current window's count plus the previous window's,
weighted by how much of it still lies within the last ``duration`` seconds, stays within the
rate. DRF's own throttle keeps a list of timestamps per user, read and written back whole on
every request, so two workers' requests at once could each overwrite the other's. With Redis
unreachable the cache counts nothing and requests are let through (``gcaptrack.cache``).
"""

import math

from rest_framework import throttling
from rest_framework.settings import api_settings


class UserRateThrottle(throttling.UserRateThrottle):
    """DRF's per-user throttle, reading its rate at request time and counting with ``incr``.

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
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        window, into = divmod(self.timer(), self.duration)
        current = f"{self.key}:{int(window)}"
        count = self._count(current)
        before = self.cache.get(f"{self.key}:{int(window) - 1}", 0)
        carried = before * (self.duration - into) / self.duration
        if count + carried <= self.num_requests:
            return True
        self.cache.decr(current)  # a refused request uses up nothing
        self._wait = self._seconds_until_allowed(count - 1, before, into)
        return False

    def _count(self, key: str) -> int:
        """One more request in the window counted by ``key``; the window's count now. A count
        is kept two windows, long enough to weigh it in the next one."""
        try:
            return self.cache.incr(key)
        except ValueError:  # the window's first request
            if self.cache.add(key, 1, timeout=2 * self.duration):
                return 1
            return self.cache.incr(key)  # another worker's request came first

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
