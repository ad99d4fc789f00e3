"""The real URLs plus a bare view, for the benchmark server only (see settings.py here)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from gcaptrack.urls import urlpatterns as real_urlpatterns

_BODIES: dict[int, bytes] = {}


def body_of(size: int) -> bytes:
    """A JSON body of exactly ``size`` bytes (at least 12), built once per size."""
    if size not in _BODIES:
        _BODIES[size] = b'{"pad": "' + b"x" * max(size - 11, 1) + b'"}'
    return _BODIES[size]


def bare(request: HttpRequest, size: int) -> HttpResponse:
    """The floor of a Django response: no auth, no query, a pre-serialised body."""
    return HttpResponse(body_of(size), content_type="application/json")


urlpatterns = [path("bench/bare/<int:size>/", bare), *real_urlpatterns]
