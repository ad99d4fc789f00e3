"""Saved what-if drafts: who sees which, and saving, copying, deleting and running them.

Releasability: a draft is saved only when it evaluates for its author, so it names only records
released to them; it keeps the nation the author was restricted to (``WhatIfDraft.nation``) and
is shown to users restricted to that nation and to unrestricted users. A run evaluates the
document for the user who runs it, over what is released to them, against the data as it is
then: no figure is ever stored with a draft.

Anyone signed in with the draft permissions (analysts and viewers) keeps drafts; only the
author (or a superuser) changes or deletes one, anyone who sees it may copy it.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet

from programs.access import released, viewer_nation
from programs.models import Programme, WhatIfDraft
from programs.whatif.evaluate import DraftRefused, WhatIf, evaluate_draft


def drafts_visible_to(user) -> QuerySet[WhatIfDraft]:
    """The drafts the user may see: all for an unrestricted user, else their nation's."""
    drafts = WhatIfDraft.objects.select_related("author", "programme")
    nation_id = viewer_nation(user)
    if nation_id is None:
        return drafts
    return drafts.filter(nation_id=nation_id)


def may_change(user, draft: WhatIfDraft) -> bool:
    return bool(user.is_superuser or (draft.author_id and draft.author_id == user.pk))


def document_errors(document: str, user) -> list[str]:
    """Why the document cannot be a draft for the user (the loader's messages), or []."""
    try:
        evaluate_draft(document, user=user)
    except DraftRefused as exc:
        return exc.errors
    return []


def _check(draft: WhatIfDraft, user) -> None:
    """The model's own checks, then the document evaluated for the user."""
    draft.full_clean()
    errors = document_errors(draft.document, user)
    if errors:
        raise ValidationError({"document": errors})
    if (
        draft.programme_id
        and not released(Programme.objects.all(), user).filter(pk=draft.programme_id).exists()
    ):
        raise ValidationError({"programme": "Unknown programme."})


def save_draft(
    user,
    *,
    name: str,
    document: str,
    note: str = "",
    programme: Programme | None = None,
    draft: WhatIfDraft | None = None,
) -> WhatIfDraft:
    """Create a draft (``draft`` None) or change the user's own; ``ValidationError`` when the
    document is invalid for the user or names a record hidden from them."""
    if draft is None:
        draft = WhatIfDraft(author=user, nation_id=viewer_nation(user))
    elif not may_change(user, draft):
        raise PermissionDenied("Only the author of a draft may change it.")
    draft.name = name.strip()
    draft.document = document
    draft.note = note.strip()
    draft.programme = programme
    _check(draft, user)
    with transaction.atomic():
        draft.save()
    return draft


def copy_draft(user, draft: WhatIfDraft, *, name: str | None = None) -> WhatIfDraft:
    """A copy of a draft the user sees, authored by them ("Copy of …" unless named)."""
    if not drafts_visible_to(user).filter(pk=draft.pk).exists():
        raise PermissionDenied("No such draft.")
    return save_draft(
        user,
        name=name or f"Copy of {draft.name}"[:200],
        document=draft.document,
        note=draft.note,
        programme=draft.programme,
    )


def delete_draft(user, draft: WhatIfDraft) -> None:
    if not may_change(user, draft):
        raise PermissionDenied("Only the author of a draft may delete it.")
    draft.delete()


def run_draft(user, draft: WhatIfDraft, *, as_of: datetime.date | None = None) -> WhatIf:
    """Evaluate a saved draft for the user against the data as it is now."""
    return evaluate_draft(draft.document, as_of=as_of, user=user, name=draft.name)
