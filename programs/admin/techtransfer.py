"""Admin of tech-transfer milestones: filters by both nations, a date hierarchy on the
planned date, bulk status actions and spreadsheet import."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from programs.admin.base import ImportExportTrackedAdmin, titled_related_filter
from programs.admin.nations import PROVENANCE_FIELDSET, RELEASABILITY_FIELDSET
from programs.imports.resources import TechTransferMilestoneResource
from programs.models import TechTransferMilestone
from programs.services import milestones


@admin.register(TechTransferMilestone)
class TechTransferMilestoneAdmin(ImportExportTrackedAdmin):
    resource_classes = [TechTransferMilestoneResource]
    list_display = (
        "title",
        "programme",
        "provider_label",
        "recipient_label",
        "technology_area",
        "planned_on",
        "achieved_on",
        "status",
        "access_level",
        "weight",
        "confidence",
    )
    list_filter = (
        "programme",
        "status",
        ("provider__nation", titled_related_filter("provider nation")),
        ("recipient__nation", titled_related_filter("recipient nation")),
        "access_level",
        "confidence",
    )
    list_select_related = ("programme", "provider__nation", "recipient__nation")
    search_fields = (
        "title",
        "technology_area",
        "provider__name",
        "recipient__name",
        "export_control",
    )
    autocomplete_fields = ("programme", "provider", "recipient")
    date_hierarchy = "planned_on"
    actions = ("mark_achieved_today", "mark_blocked")
    fieldsets = (
        (None, {"fields": ("programme", "title", "technology_area", "weight")}),
        ("Parties", {"fields": ("provider", "recipient", "access_level", "export_control")}),
        ("Progress", {"fields": ("planned_on", "status", "achieved_on")}),
        PROVENANCE_FIELDSET,
        RELEASABILITY_FIELDSET,
    )

    @admin.display(description="provider", ordering="provider__name")
    def provider_label(self, milestone: TechTransferMilestone) -> str:
        return _party(milestone.provider)

    @admin.display(description="recipient", ordering="recipient__name")
    def recipient_label(self, milestone: TechTransferMilestone) -> str:
        return _party(milestone.recipient)

    @admin.action(description="Mark selected milestones achieved today", permissions=["change"])
    def mark_achieved_today(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run(request, milestones.mark_achieved, queryset, "achieved today")

    @admin.action(description="Mark selected milestones blocked", permissions=["change"])
    def mark_blocked(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run(request, milestones.mark_blocked, queryset, "blocked")

    def _run(self, request: HttpRequest, change: Any, queryset: QuerySet, done: str) -> None:
        try:
            result = change(queryset.select_related("provider", "recipient"), by=request.user)
        except ValidationError as error:
            self.message_user(
                request, f"Nothing changed: {'; '.join(error.messages)}", messages.ERROR
            )
            return
        self.message_user(
            request,
            f"{result.changed} milestone(s) marked {done}; {result.skipped} left as they were.",
            messages.SUCCESS,
        )


def _party(organisation: Any) -> str:
    nation = organisation.nation
    return f"{organisation} ({nation.code})" if nation else str(organisation)
