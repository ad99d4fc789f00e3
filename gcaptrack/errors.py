"""Error responses shared by the pages and the API."""

import sys

import redis
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from kombu.exceptions import OperationalError as BrokerError

#: Errors that mean a service the request needs (PostgreSQL, Redis) is unreachable right now.
UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    BrokerError,
    redis.ConnectionError,
    redis.TimeoutError,
)
#: Seconds a client is asked to wait before retrying after a 503.
RETRY_AFTER_SECONDS = 5


def request_too_large(request: HttpRequest, limit: int | None = None) -> HttpResponse:
    """413: JSON under /api/, a plain page elsewhere."""
    detail = "The request body is too large."
    if limit is not None:
        detail = f"The request body is too large (the limit is {limit} bytes)."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=413)
    return HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400, except a body over DATA_UPLOAD_MAX_MEMORY_SIZE, which is a 413."""
    if isinstance(exception, RequestDataTooBig):
        return request_too_large(request)
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500, except while the database or the broker is unreachable: then a 503.

    Django calls this handler from inside its ``except`` block, so the exception is at hand.
    An outage (a PostgreSQL restart, Redis down while queueing a task) is not a bug in the
    request: the client gets 503 with ``Retry-After``, JSON under /api/, a short page elsewhere.
    Nothing here touches the database.
    """
    if not _caused_by_outage(sys.exc_info()[1]):
        return defaults.server_error(request)
    detail = (
        "The service is briefly unavailable (a database or queue is restarting); retry shortly."
    )
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": detail}, status=503)
    else:
        response = HttpResponse(
            f"<!doctype html><title>Service unavailable</title><h1>Service unavailable</h1><p>{detail}</p>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _caused_by_outage(error: BaseException | None) -> bool:
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, UNAVAILABLE):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False
