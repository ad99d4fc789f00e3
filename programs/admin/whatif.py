"""Saved what-if drafts in the admin: listed, opened, changed, copied and deleted.

The rules are those of ``programs.whatif.drafts``: a user sees the drafts of their nation (all,
unrestricted), changes and deletes their own, copies any they see; a document that does not
evaluate for them is refused on its field, naming the record and the field.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from programs.access import released, viewer_nation
from programs.models import Programme, WhatIfDraft
from programs.whatif.drafts import copy_draft, document_errors, drafts_visible_to, may_change


class WhatIfDraftForm(forms.ModelForm):
    class Meta:
        model = WhatIfDraft
        fields = ["name", "programme", "note", "document"]
        widgets = {"document": forms.Textarea(attrs={"rows": 16, "class": "vLargeTextField"})}

    user = None

    def clean_document(self) -> str:
        document = self.cleaned_data["document"]
        errors = document_errors(document, self.user)
        if errors:
            raise ValidationError(errors)
        return document


@admin.register(WhatIfDraft)
class WhatIfDraftAdmin(SimpleHistoryAdmin):
    form = WhatIfDraftForm
    list_display = ["name", "programme", "author", "updated_at"]
    list_select_related = ["programme", "author"]
    list_filter = ["programme"]
    search_fields = ["name", "note"]
    readonly_fields = ["author", "created_at", "updated_at"]
    actions = ["copy"]

    def get_actions(self, request: HttpRequest) -> dict:
        """No bulk delete: a draft is deleted from its own page, by its author."""
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_queryset(self, request: HttpRequest) -> QuerySet[WhatIfDraft]:
        return drafts_visible_to(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "programme":
            kwargs["queryset"] = released(Programme.objects.order_by("code"), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_change(request.user, obj))

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or may_change(request.user, obj))

    def save_model(self, request: HttpRequest, obj: WhatIfDraft, form, change: bool) -> None:
        if not change:
            obj.author = request.user  # type: ignore[assignment]  # the admin's users are signed in
            obj.nation_id = viewer_nation(request.user)
        super().save_model(request, obj, form, change)

    @admin.action(description="Copy the selected drafts", permissions=["add"])
    def copy(self, request: HttpRequest, queryset: QuerySet[WhatIfDraft]) -> None:
        copies = [copy_draft(request.user, draft) for draft in queryset]
        self.message_user(request, f"Copied {len(copies)} draft(s).", messages.SUCCESS)
