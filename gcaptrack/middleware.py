"""Site-wide middleware: request size limits and the security headers Django does not set."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from gcaptrack.errors import request_too_large


class RequestSizeLimitMiddleware:
    """Answer 413 before reading a body whose declared length is over the limit.

    Django only checks ``DATA_UPLOAD_MAX_MEMORY_SIZE`` when a form body is parsed (and answers
    400); DRF's JSON parser reads the stream without checking it at all. Multipart bodies carry
    uploaded files (admin imports), so they get the larger ``MAX_UPLOAD_SIZE``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if request.content_type == "multipart/form-data":
            limit = settings.MAX_UPLOAD_SIZE
        else:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            return request_too_large(request, limit)
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Permissions-Policy and Cross-Origin-Resource-Policy on every response.

    Django's SecurityMiddleware already sends HSTS, nosniff, Referrer-Policy and
    Cross-Origin-Opener-Policy; the clickjacking middleware sends X-Frame-Options.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
