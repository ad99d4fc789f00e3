"""Responses cached under the data version (``programs.data_version``), so never stale.

What the API sends for a balance report or a list page is a function of the data, the viewer's
nation and the request (programme, day, URL with its filters and cursor). Cached under a key
that carries the data version read *before* the data, an entry is exact whenever its key is
asked for: any write moves the version and the next request computes afresh.

Entries live in the ``reports`` cache only (Redis, shared by every process; nothing is cached
without Redis), so every process serves the same entry and none holds one of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import caches

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
