"""Responses cached under the data version (``programs.data_version``), so never stale.

What the API sends for a balance report or a list page is a function of the data, the viewer's
nation and the request (programme, day, URL with its filters and cursor). Cached under a key
that carries the data version read *before* the data, an entry is exact whenever its key is
asked for: any write moves the version and the next request computes afresh.

Entries live in the ``reports`` cache only (Redis, shared by every process; nothing is cached
without Redis), so every process serves the same entry and none holds one of its own. A JSON
response is cached as the body its renderer wrote (:func:`rendered_json`), so a hit neither
serialises nor renders; other formats (CSV, XLSX) are rendered from the cached data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.core.cache import caches
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from programs import data_version
from programs.access import viewer_nation


def viewer_key(user) -> str:
    """The part of a key that tells viewers apart: their nation (``all``: unrestricted)."""
    nation = viewer_nation(user)
    return "all" if nation is None else str(nation)


def versioned(key: str, compute: Callable[[], Any]) -> Any:
    """The data cached under ``key`` (which must carry the data version), else ``compute()``,
    cached."""
    cache = caches[data_version.CACHE_ALIAS]
    data = cache.get(key)
    if data is None:
        data = compute()
        cache.set(key, data)
    return data


def rendered_json(request: Request, key: str, compute: Callable[[], Any]) -> HttpResponse:
    """The response DRF would send for ``compute()`` with the request's JSON renderer, its body
    cached under ``key`` and the indent asked for (``Accept: application/json; indent=2``)."""
    renderer = cast(JSONRenderer, request.accepted_renderer)  # JSON only: see the callers
    media_type = request.accepted_media_type
    context = {"request": request}
    cache = caches[data_version.CACHE_ALIAS]
    body_key = f"{key}:json:{renderer.get_indent(media_type, context)}"
    body = cache.get(body_key)
    if body is None:
        body = renderer.render(compute(), media_type, context)
        cache.set(body_key, body)
    content_type = renderer.media_type
    if renderer.charset:
        content_type = f"{content_type}; charset={renderer.charset}"
    return HttpResponse(body, content_type=content_type)
