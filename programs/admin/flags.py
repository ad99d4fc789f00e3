"""Admin for flags and balance snapshots (owned by the balance engine).

A user restricted to a nation sees flags and snapshots only of the programmes they see in full
(``programs.access.released_flags``): they are computed from every row of the programme.

Flags are raised by scans, never typed in: everything is read-only except acknowledging with a
note, which analysts (``programs.acknowledge_flag``) do on a flag's page (the note field) or for
many flags at once (an action with an intermediate page for the note). Viewers only look.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse

from programs.access import released_flags, released_snapshots
from programs.admin.base import ReadOnlyAdminMixin
from programs.balance.flags import (
    ACKNOWLEDGE_PERMISSION,
    FlagStateError,
    acknowledge_flag,
    acknowledge_flags,
)
from programs.models import BalanceSnapshot, Flag, FlagEvent

FLAG_FIELDS = (
    "rule",
    "programme",
    "nation",
    "counterpart_codes",
    "severity",
    "status",
    "metric",
    "value",
    "threshold",
    "explanation",
    "evidence",
    "first_seen_at",
    "last_seen_at",
    "resolved_at",
    "acknowledged_by",
    "acknowledged_at",
    "reopens",
    "fingerprint",
)


class FlagEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = FlagEvent
    fields = ("at", "kind", "by", "note", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[FlagEvent]:
        return super().get_queryset(request).select_related("by")


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        required=False,
        help_text="Why the imbalance is known or accepted; kept with the flag's history.",
    )


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "severity",
        "status",
        "rule",
        "programme",
        "nation",
        "counterpart_codes",
        "short_explanation",
        "last_seen_at",
    )
    list_display_links = ("id", "rule")
    list_filter = ("rule", "severity", "status", "programme", "nation")
    list_select_related = ("programme", "nation")
    search_fields = ("explanation", "note", "nation__name", "nation__code", "programme__code")
    date_hierarchy = "last_seen_at"
    fields = (*FLAG_FIELDS, "note")
    readonly_fields = FLAG_FIELDS
    inlines = [FlagEventInline]
    actions = ["acknowledge_selected"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Flag]:
        """A restricted user sees the flags of the programmes they see in full."""
        flags = super().get_queryset(request).prefetch_related("counterparts")
        return released_flags(flags, request.user)

    @admin.display(description="with")
    def counterpart_codes(self, flag: Flag) -> str:
        return ", ".join(sorted(n.code for n in flag.counterparts.all())) or "-"

    @admin.display(description="explanation")
    def short_explanation(self, flag: Flag) -> str:
        text = flag.explanation
        return text if len(text) <= 140 else text[:139] + "…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_acknowledge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ACKNOWLEDGE_PERMISSION)

    def has_change_permission(self, request: HttpRequest, obj: Flag | None = None) -> bool:
        """Changing a flag means acknowledging it; a resolved flag is history."""
        if not self.has_acknowledge_permission(request):
            return False
        return obj is None or obj.status != Flag.Status.RESOLVED

    def get_readonly_fields(self, request: HttpRequest, obj: Flag | None = None):
        if obj is not None and self.has_change_permission(request, obj):
            return self.readonly_fields
        return (*self.readonly_fields, "note")

    def save_model(self, request: HttpRequest, obj: Flag, form, change: bool) -> None:
        try:
            acknowledge_flag(obj, request.user, form.cleaned_data.get("note", ""))
        except FlagStateError as error:
            raise PermissionDenied(str(error)) from error

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["show_save_and_continue"] = False
        context["show_save_and_add_another"] = False
        if obj is not None and self.has_change_permission(request, obj):
            context["title"] = "Acknowledge flag (add a note and save)"
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.action(description="Acknowledge selected flags with a note", permissions=["acknowledge"])
    def acknowledge_selected(self, request: HttpRequest, queryset: QuerySet[Flag]):
        if "apply" in request.POST:
            form = AcknowledgeForm(request.POST)
            if form.is_valid():
                done, skipped = acknowledge_flags(
                    list(queryset), request.user, form.cleaned_data["note"]
                )
                self.message_user(request, f"Acknowledged {len(done)} flag(s).", messages.SUCCESS)
                if skipped:
                    self.message_user(
                        request,
                        f"Skipped {len(skipped)} resolved flag(s): only open flags are acknowledged.",
                        messages.WARNING,
                    )
                return HttpResponseRedirect(request.get_full_path())
        else:
            form = AcknowledgeForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Acknowledge flags",
            "opts": self.model._meta,
            "flags": queryset.select_related("programme", "nation"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/programs/flag/acknowledge.html", context)


@admin.register(BalanceSnapshot)
class BalanceSnapshotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "taken_on",
        "programme",
        "nation",
        "contribution_share",
        "workshare_share",
        "return_coefficient",
        "leadership_share",
        "vote_share",
        "outvoted_rate",
        "overdue_to_receive",
        "blocked_to_receive",
    )
    list_filter = ("programme", "nation", "taken_on")
    list_select_related = ("programme", "nation")
    date_hierarchy = "taken_on"
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[BalanceSnapshot]:
        """A restricted user sees the snapshots of the programmes they see in full."""
        return released_snapshots(super().get_queryset(request), request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        return [field.name for field in self.model._meta.fields]
