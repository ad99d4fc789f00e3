"""Request facts the security machinery needs: the client's address behind the proxy."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The address login throttling counts failures against.

    nginx appends the address it saw to ``X-Forwarded-For``, so when the request comes from a
    trusted proxy the right-most entry is the client; entries further left were sent by the
    client and could be forged. Anyone else is taken at ``REMOTE_ADDR``.
    """
    remote = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if remote in settings.TRUSTED_PROXY_IPS and forwarded.strip():
        return forwarded.split(",")[-1].strip() or remote
    return remote


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login that comes with a request.

    The login pages (the dashboards' and the admin's) always pass the request. A call without
    one comes from code running on the server (a management command, the shell), where there
    is nobody to throttle: axes would raise, this lets the model backend answer instead.
    """

    def authenticate(self, request: HttpRequest | None, *args, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)
