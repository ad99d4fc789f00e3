"""Saved what-if drafts (SPEC §7): a named scenario document, evaluated afresh at every run."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

#: Longest draft kept, in characters: a draft moves a few records, it is no seed file.
MAX_DOCUMENT_CHARS = 200_000


class WhatIfDraft(models.Model):
    """A draft an analyst or viewer keeps to run again: its figures are never stored, each run
    evaluates the document against the data as it is then.

    ``nation`` is the nation the author was restricted to when saving (None: unrestricted). The
    draft could only name records released to that nation, so it is shown to users of that
    nation and to unrestricted users (``programs.whatif.drafts``).
    """

    name = models.CharField(max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="whatif_drafts",
    )
    nation = models.ForeignKey(
        "programs.Nation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    programme = models.ForeignKey(
        "programs.Programme",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="whatif_drafts",
        help_text="The programme whose What if page the draft is listed on.",
    )
    note = models.TextField(blank=True)
    document = models.TextField(
        help_text="A SPEC §4 scenario document (YAML or JSON) applied over the stored data."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = "what-if draft"
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="whatif_draft_named"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.document.strip():
            raise ValidationError({"document": "A draft needs a scenario document."})
        if len(self.document) > MAX_DOCUMENT_CHARS:
            raise ValidationError(
                {"document": f"At most {MAX_DOCUMENT_CHARS:,} characters in a draft."}
            )
