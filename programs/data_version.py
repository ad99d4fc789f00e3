"""The data version: a token every write to the data moves, so that what is computed from the data
(the balance report) can be cached under it and is never served stale.

The token lives in the ``reports`` cache (Redis, shared by every process; the dummy cache
without Redis, where nothing is cached). It is global, not per programme: a programme's report
also reads other programmes' participations and agreements (prior ties), global flags and the
scans' output, so a global token is the one that is exact by construction.

Every write moves it:

* saves, deletes and many-to-many changes of every model of this app (tracked data, markings,
  clearances, threshold overrides, flags) through the receivers connected here, and renames of
  users (the report names who acknowledged a flag);
* writes that send no signal call :func:`bump` themselves: ``triggers.request_scans`` (which
  every bulk writer already calls, e.g. the CSV importers), the scans (flags, snapshots) and
  ``generate_portfolio``.

A bump sets a new random token at once (later reads in the same transaction see the change)
and again when the transaction commits: a report computed by another process from the data
before the commit, but under the token set at once, is left behind under that token.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

CACHE_ALIAS = "reports"
VERSION_KEY = "data-version"

#: Set while writes are made that are always rolled back (``held``).
_held: ContextVar[bool] = ContextVar("data_version_held", default=False)

#: Models of this app whose rows no report reads (API token bookkeeping, missed scans,
#: scenario-load records, flag events, pending conditions, saved what-if drafts (whose runs are
#: never kept), the users' subscriptions, webhooks, their delivery log and saved views), or that
#: only scans write and which move the version themselves (snapshots). Left alone, their
#: deletes stay fast (no signal).
_UNWATCHED = {
    "ApiToken",
    "Subscription",
    "SubscriptionNotice",
    "Webhook",
    "WebhookDelivery",
    "SavedFlagView",
    "MissedScan",
    "ScenarioLoad",
    "FlagEvent",
    "PendingCondition",
    "BalanceSnapshot",
    "WhatIfDraft",
}


class CacheVersion:
    """A token in the ``reports`` cache that writes move, so that what is cached under it is
    exact: read it before reading what it guards, and keep what you read under it.

    Without a shared cache (the dummy cache) every read is a new token: nothing is reused.
    """

    def __init__(self, key: str) -> None:
        self.key = key

    def current(self) -> str:
        """The current version (a new one is set when the cache has none)."""
        cache = caches[CACHE_ALIAS]
        version = cache.get(self.key)
        if version is None:
            fresh = uuid.uuid4().hex
            version = fresh if cache.add(self.key, fresh, timeout=None) else cache.get(self.key)
        return version or uuid.uuid4().hex

    def bump(self) -> None:
        """Move the version now and again when the current transaction commits (neither while
        the version is ``held``)."""
        if _held.get():
            return
        self.move()
        connection = transaction.get_connection()
        if connection.in_atomic_block and not any(
            callback == self.move for _savepoints, callback, *_rest in connection.run_on_commit
        ):
            transaction.on_commit(self.move, robust=True)

    def move(self) -> None:
        """Set a new version (now only; :meth:`bump` also on commit)."""
        caches[CACHE_ALIAS].set(self.key, uuid.uuid4().hex, timeout=None)


DATA = CacheVersion(VERSION_KEY)


@contextmanager
def held() -> Iterator[None]:
    """Writes made in this block move no version: for writes that are always rolled back
    (what-if drafts, ``programs.whatif``), which no other reader ever sees, so nothing cached
    under the version can be stale because of them."""
    token = _held.set(True)
    try:
        yield
    finally:
        _held.reset(token)


def current() -> str:
    """The current data version (a new one is set when the cache has none)."""
    return DATA.current()


def bump() -> None:
    """Move the data version now and again when the current transaction commits."""
    DATA.bump()


def move() -> None:
    """Set a new data version (now only; :func:`bump` also on commit)."""
    DATA.move()


def _on_write(sender, **kwargs) -> None:
    bump()


def _on_relation_change(sender, action, **kwargs) -> None:
    if action.startswith("post_"):
        bump()


def _on_user_write(sender, update_fields=None, **kwargs) -> None:
    if update_fields is None or set(update_fields) != {"last_login"}:
        bump()


def connect() -> None:
    """Connect the receivers, model by model (a receiver without a sender would stop Django's
    fast deletes of every model of every app)."""
    watched = [
        model
        for model in apps.get_app_config("programs").get_models()
        if model.__name__ not in _UNWATCHED and not model.__name__.startswith("Historical")
    ]
    for model in watched:
        uid = f"data-version-{model.__name__}"
        post_save.connect(_on_write, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"{uid}-delete")
        for relation in model._meta.local_many_to_many:
            through = relation.remote_field.through
            if through is None:
                continue
            m2m_changed.connect(
                _on_relation_change, sender=through, dispatch_uid=f"data-version-{through.__name__}"
            )
    user = apps.get_model(settings.AUTH_USER_MODEL)
    post_save.connect(_on_user_write, sender=user, dispatch_uid="data-version-user-save")
    post_delete.connect(_on_user_write, sender=user, dispatch_uid="data-version-user-delete")
