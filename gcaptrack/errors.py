"""Error responses shared by the pages and the API."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults


def request_too_large(request: HttpRequest, limit: int | None = None) -> HttpResponse:
    """413: JSON under /api/, a plain page elsewhere."""
    detail = "The request body is too large."
    if limit is not None:
        detail = f"The request body is too large (the limit is {limit} bytes)."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=413)
    return HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400, except a body over DATA_UPLOAD_MAX_MEMORY_SIZE, which is a 413."""
    if isinstance(exception, RequestDataTooBig):
        return request_too_large(request)
    return defaults.bad_request(request, exception)
