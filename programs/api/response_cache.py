"""Responses kept under the data version (``programs.data_version``), so never stale.

What the API sends for a balance report or a list page is a function of the data, the viewer's
nation and the request (programme, day, URL with its filters and cursor). Kept under a key that
carries the data version read *before* the data, an entry is exact whenever its key is asked
for: any write moves the version and the next request computes afresh.

Entries live in the ``reports`` cache (Redis, shared by every process) and, for the most recent
ones, in this process's memory too: a hit then costs no transfer and no unpickling. Sent as
plain JSON, an entry is also rendered once per process (``json_response``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from django.http import HttpResponse, HttpResponseBase
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from programs import data_version
from programs.access import viewer_nation


class RecentEntries:
    """This process's most recently used entries, at most ``size``; safe to share between the
    threads of a worker (a lookup moves its entry, an insert may drop the oldest)."""

    def __init__(self, size: int) -> None:
        self._entries: OrderedDict[Any, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


#: Entries kept in this process's memory, and the JSON bodies rendered from them.
RECENT_ENTRIES = 64
_recent = RecentEntries(RECENT_ENTRIES)
_rendered = RecentEntries(RECENT_ENTRIES)


def viewer_key(user) -> str:
    """The part of a key that tells viewers apart: their nation (``all``: unrestricted)."""
    nation = viewer_nation(user)
    return "all" if nation is None else str(nation)


def request_data_version(request: Request) -> str:
    """The data version for this request: read with the API token's check when there was one
    (one round trip for both), else now."""
    return getattr(request.auth, "data_version", None) or data_version.current()


def versioned(key: str, compute: Callable[[], Any]) -> Any:
    """The data kept under ``key`` (which must carry the data version), else ``compute()``,
    kept."""
    data = _recent.get(key)
    if data is None:
        cache = caches[data_version.CACHE_ALIAS]
        data = cache.get(key)
        if data is None:
            data = compute()
            cache.set(key, data)
        _recent.put(key, data)
    return data


def json_response(request: Request, key: str, data: Any) -> HttpResponseBase:
    """``Response(data)``, except that plain JSON (no ``indent`` asked for) is rendered once per
    process and kept entry: the same bytes and content type DRF's JSON renderer gives."""
    renderer = request.accepted_renderer
    if type(renderer) is not JSONRenderer or request.accepted_media_type != renderer.media_type:
        return Response(data)
    body = _rendered.get(key)
    if body is None:
        body = renderer.render(data, renderer.media_type, {"request": request})
        _rendered.put(key, body)
    return HttpResponse(body, content_type=renderer.media_type)
