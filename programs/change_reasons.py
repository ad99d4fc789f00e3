"""Why a tracked record changed: the reason analysts give with every write, kept on its
historical rows (django-simple-history's ``history_change_reason``).

The admin and the API do not pass the reason to each ``save()``: an admin form saves its
inlines and many-to-many fields, a nested API write saves children, a bulk action saves each
row. They run the write inside :func:`change_reason` instead, and every historical row written
meanwhile without a reason of its own gets it (:func:`fill_change_reason`). Scenario loads and
imports set their own reason on each record ("scenario gcap.yaml", "spreadsheet import …"),
which is kept.

A reason is required for the records that move the balance (:data:`REASON_REQUIRED_MODELS`);
elsewhere it is optional. History keeps it in a text column
(``SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD``), so its length is bounded here, by
:data:`REASON_MAX_LENGTH`, where the admin and the API take it, not by the database.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models
from simple_history.signals import pre_create_historical_record

from programs import models as m

#: The records whose changes move a nation's balance: a write to one needs a reason.
REASON_REQUIRED_MODELS: tuple[type[models.Model], ...] = (
    m.Contribution,
    m.WorkshareAllocation,
    m.Participation,
    m.LeadershipRole,
    m.Seat,
    m.Decision,
    m.Vote,
    m.TechTransferMilestone,
    m.Agreement,
)

#: The longest reason the admin and the API take (a paragraph: the source and what it says).
REASON_MAX_LENGTH = 1000

HEADER = "X-Change-Reason"
FIELD = "change_reason"

_current: ContextVar[str | None] = ContextVar("change_reason", default=None)


def reason_required(model: type[models.Model]) -> bool:
    return model in REASON_REQUIRED_MODELS


def required_message(model: type[models.Model]) -> str:
    """The refusal of a write to ``model`` without a reason, naming what is missing."""
    return (
        f"A change reason is required for changes to {model._meta.verbose_name_plural}: "
        "say why (e.g. the source of the new figure)."
    )


def too_long_message() -> str:
    return f"A change reason has at most {REASON_MAX_LENGTH:,} characters."


def clean_reason(text: str | None) -> str:
    """The reason as kept: surrounding white space dropped, ``""`` for none."""
    return (text or "").strip()


def reason_error(model: type[models.Model], text: str | None) -> str | None:
    """Why a write to ``model`` with this reason is refused, or None when it may go ahead."""
    reason = clean_reason(text)
    if not reason and reason_required(model):
        return required_message(model)
    if len(reason) > REASON_MAX_LENGTH:
        return too_long_message()
    return None


@contextmanager
def change_reason(text: str | None) -> Iterator[None]:
    """Give ``text`` to every historical row written in the block without a reason of its own."""
    token = _current.set(clean_reason(text) or None)
    try:
        yield
    finally:
        _current.reset(token)


def fill_change_reason(sender, history_instance, **kwargs) -> None:
    if history_instance.history_change_reason:
        return
    reason = _current.get()
    if reason:
        history_instance.history_change_reason = reason


def connect() -> None:
    pre_create_historical_record.connect(fill_change_reason, dispatch_uid="fill-change-reason")
