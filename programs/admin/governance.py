"""Admin of governance: decision bodies with their seats, decisions with their votes."""

from typing import Any

from django.contrib import admin

from programs.admin.base import (
    CheckedInlineFormSet,
    ReleasedQuerysetMixin,
    ReleasedRelatedFieldListFilter,
    TrackedAdmin,
)
from programs.admin.nations import PROVENANCE_FIELDSET, RELEASABILITY_FIELDSET
from programs.models import Decision, DecisionBody, Participation, Seat, Vote

PARTICIPANT_ERROR = "This nation does not take part in the programme."


class SeatInlineFormSet(CheckedInlineFormSet):
    """A seat's nation takes part in the body's programme, also for a body being added."""

    def check_row(self, form: Any) -> None:
        nation = form.cleaned_data.get("nation")
        programme_id = self.instance.programme_id
        if self.instance.pk is not None or not (nation and programme_id):
            return
        if not Participation.objects.filter(programme_id=programme_id, nation=nation).exists():
            form.add_error("nation", PARTICIPANT_ERROR)


class SeatInline(ReleasedQuerysetMixin, admin.TabularInline):
    model = Seat
    formset = SeatInlineFormSet
    fields = ("nation", "votes", "veto", "chair", "source", "confidence")
    autocomplete_fields = ("nation",)
    extra = 0


@admin.register(DecisionBody)
class DecisionBodyAdmin(TrackedAdmin):
    list_display = ("name", "programme", "level", "voting_rule", "confidence")
    list_filter = ("programme", "level", "voting_rule", "confidence")
    list_select_related = ("programme",)
    search_fields = ("name", "programme__code")
    autocomplete_fields = ("programme",)
    inlines = (SeatInline,)
    fieldsets = (
        (None, {"fields": ("programme", "name", "level", "voting_rule")}),
        PROVENANCE_FIELDSET,
        RELEASABILITY_FIELDSET,
    )


@admin.register(Seat)
class SeatAdmin(TrackedAdmin):
    list_display = ("nation", "body", "votes", "veto", "chair", "confidence")
    list_filter = (
        ("body__programme", ReleasedRelatedFieldListFilter),
        "nation",
        "veto",
        "chair",
        "confidence",
    )
    list_select_related = ("nation", "body__programme")
    search_fields = ("body__name", "nation__code", "nation__name")
    autocomplete_fields = ("body", "nation")


class VoteInlineFormSet(CheckedInlineFormSet):
    """A vote's nation holds a seat on the decision's body, also for a decision being added."""

    def check_row(self, form: Any) -> None:
        nation = form.cleaned_data.get("nation")
        body_id = self.instance.body_id
        if self.instance.pk is not None or not (nation and body_id):
            return
        if not Seat.objects.filter(body_id=body_id, nation=nation).exists():
            form.add_error("nation", f"{nation} holds no seat on this body.")


class VoteInline(ReleasedQuerysetMixin, admin.TabularInline):
    model = Vote
    formset = VoteInlineFormSet
    fields = ("nation", "position", "source", "confidence")
    autocomplete_fields = ("nation",)
    extra = 0


@admin.register(Decision)
class DecisionAdmin(TrackedAdmin):
    list_display = (
        "title",
        "body",
        "programme_code",
        "decided_on",
        "outcome",
        "proposer",
        "confidence",
    )
    list_filter = (
        ("body__programme", ReleasedRelatedFieldListFilter),
        "outcome",
        ("proposer", ReleasedRelatedFieldListFilter),
        "confidence",
    )
    list_select_related = ("body__programme", "proposer")
    search_fields = ("title", "body__name", "body__programme__code")
    autocomplete_fields = ("body", "proposer")
    date_hierarchy = "decided_on"
    inlines = (VoteInline,)
    fieldsets = (
        (None, {"fields": ("body", "title", "decided_on", "outcome", "proposer")}),
        PROVENANCE_FIELDSET,
        RELEASABILITY_FIELDSET,
    )

    @admin.display(description="programme", ordering="body__programme__code")
    def programme_code(self, decision: Decision) -> str:
        return decision.body.programme.code


@admin.register(Vote)
class VoteAdmin(TrackedAdmin):
    list_display = ("decision", "body", "nation", "position", "confidence")
    list_filter = (
        ("decision__body__programme", ReleasedRelatedFieldListFilter),
        "nation",
        "position",
        "confidence",
    )
    list_select_related = ("decision__body__programme", "nation")
    search_fields = ("decision__title", "nation__code", "nation__name")
    autocomplete_fields = ("decision", "nation")

    @admin.display(description="body", ordering="decision__body__name")
    def body(self, vote: Vote) -> str:
        return str(vote.decision.body)
