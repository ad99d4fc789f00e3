"""Request facts the security machinery needs: the client's address behind the proxy."""

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
