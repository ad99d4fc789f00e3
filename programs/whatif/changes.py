"""Which programmes a draft changes: those whose figures the records it saves feed.

While :func:`collecting` is active, every save and many-to-many change of tracked data made in
this thread (or task) is noted, and the programmes it touches are found with the on-change
scans' own rules (``triggers.programmes_touched_by``): a record's own programme, and through
prior ties the programmes of the nations of a changed participation or agreement.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import Model
from django.db.models.signals import m2m_changed, post_save

from programs import models as m
from programs.balance import triggers
from programs.signals import TRACKED_MODELS, TRACKED_RELATIONS

#: What the global returns (``metrics.global_returns``) read: a draft that saves none of these
#: leaves every nation's global return as it is.
GLOBAL_INPUTS = (
    m.Programme,
    m.Participation,
    m.Contribution,
    m.WorkPackage,
    m.WorkshareAllocation,
    m.Organisation,
    m.OwnershipStake,
)

_changes: ContextVar[Changes | None] = ContextVar("whatif_changes", default=None)


class Changes:
    """The saves and relation changes noted in one ``collecting`` block."""

    def __init__(self) -> None:
        self.saved: list[Model] = []
        self.related: list[tuple[Model, set[int]]] = []

    def programme_ids(self) -> set[int]:
        """Ids of the programmes whose figures the noted changes feed (read in the data as it
        is after them)."""
        ids: set[int] = set()
        for instance in self.saved:
            ids |= triggers.programmes_touched_by(instance)
        for instance, pk_set in self.related:
            ids |= triggers.programmes_touched_by_relation(instance, pk_set)
        return ids - {None}

    def global_inputs_changed(self) -> bool:
        return any(isinstance(instance, GLOBAL_INPUTS) for instance in self.saved) or any(
            isinstance(instance, m.Programme) for instance, _ in self.related
        )


@contextmanager
def collecting() -> Iterator[Changes]:
    changes = Changes()
    token = _changes.set(changes)
    try:
        yield changes
    finally:
        _changes.reset(token)


def _on_save(sender, instance, raw=False, **kwargs) -> None:
    changes = _changes.get()
    if changes is not None and not raw:
        changes.saved.append(instance)


def _on_relation_change(sender, instance, action, pk_set, **kwargs) -> None:
    changes = _changes.get()
    if changes is not None and action in ("post_add", "post_remove"):
        changes.related.append((instance, set(pk_set or ())))


def connect() -> None:
    for model in TRACKED_MODELS:
        post_save.connect(_on_save, sender=model, dispatch_uid=f"whatif-save-{model.__name__}")
    for through in TRACKED_RELATIONS:
        m2m_changed.connect(
            _on_relation_change, sender=through, dispatch_uid=f"whatif-m2m-{through.__name__}"
        )
