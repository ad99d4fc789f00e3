"""Per-user throttling; the rate comes from settings (API_THROTTLE_USER) when each request runs."""

from rest_framework import throttling
from rest_framework.settings import api_settings


class UserRateThrottle(throttling.UserRateThrottle):
    """DRF's per-user throttle, reading its rate at request time rather than at import.

    DRF binds ``THROTTLE_RATES`` when the module is imported, so a changed setting (tests,
    ``override_settings``) would be ignored.
    """

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
