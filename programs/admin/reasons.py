"""A change reason on every admin write: change forms, inlines, bulk actions and deletions.

The reason is a field of the change form (``change_reason``), of the action bar above a list,
and of the deletion confirmation pages. It is required for the records that move the balance
(``programs.change_reasons.REASON_REQUIRED_MODELS``), also when they are edited as inlines of a
record that does not need one (a programme's contributions); a write without it is refused with
a message naming it, and nothing is saved. On a change form the missing or too long reason is
one more error of the form, shown with every other field's and inline's in the same response; a
bulk action or a deletion, whose only input is the reason, comes back with the message. The
write then runs inside ``programs.change_reasons.change_reason``, so every historical row it
produces keeps the reason.
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.forms.formsets import BaseFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from programs.change_reasons import (
    FIELD,
    REASON_MAX_LENGTH,
    change_reason,
    clean_reason,
    reason_error,
    reason_required,
    required_message,
    too_long_message,
)

HELP_TEXT = "Why you make this change (kept in the record's history)."


def reason_field(model: type[Model]) -> forms.CharField:
    """The form's reason, required for ``model`` when it moves the balance: its error shows
    beside the field, with the form's other errors."""
    return forms.CharField(
        label="Change reason",
        required=reason_required(model),
        max_length=REASON_MAX_LENGTH,
        help_text=f"{HELP_TEXT} At most {REASON_MAX_LENGTH:,} characters.",
        error_messages={"required": required_message(model), "max_length": too_long_message()},
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
    )


class ReasonActionForm(helpers.ActionForm):
    """The action bar with a reason for the bulk action."""

    change_reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=REASON_MAX_LENGTH,
        error_messages={"max_length": too_long_message()},
    )


class DeletionReasonForm(forms.Form):
    """The reason field of the deletion confirmation pages."""

    def __init__(self, model: type[Model], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[FIELD] = reason_field(model)


def posted_reason(request: HttpRequest) -> str:
    """The reason posted with the request (the action bar may appear twice on a list)."""
    return next(
        (clean_reason(text) for text in request.POST.getlist(FIELD) if clean_reason(text)), ""
    )


def with_reason_check(formset: type[BaseFormSet], model: type[Model]) -> type[BaseFormSet]:
    """The inline formset, refusing changed rows of ``model`` without the form's reason (a
    reason too long is the form field's own error)."""
    if not reason_required(model):
        return formset

    def clean(self: Any) -> None:
        errors = []
        try:
            formset.clean(self)  # the rows' checks as a set (shares over 100 %), shown too
        except ValidationError as error:
            errors.extend(error.error_list)
        changed = any(form.has_changed() for form in self.forms)
        if changed and not clean_reason(self.data.get(FIELD)):
            errors.append(ValidationError(required_message(model), code="change_reason"))
        if errors:
            raise ValidationError(errors)

    return type(formset.__name__, (formset,), {"clean": clean})


if TYPE_CHECKING:  # what the mixin is mixed into
    from django.contrib.admin import ModelAdmin

    class _ModelAdmin(ModelAdmin[Any]):
        def history_form_view(  # simple_history's (SimpleHistoryAdmin), which has no types
            self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
        ) -> HttpResponse: ...
else:
    _ModelAdmin = object


class ChangeReasonAdminMixin(_ModelAdmin):
    """A model admin whose every write carries a change reason (see the module docstring)."""

    action_form = ReasonActionForm
    delete_confirmation_template = "admin/programs/reasoned_delete_confirmation.html"
    delete_selected_confirmation_template = (
        "admin/programs/reasoned_delete_selected_confirmation.html"
    )

    def _writes(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None:
            return self.has_add_permission(request)
        return self.has_change_permission(request, obj)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if self._writes(request, obj):
            base = kwargs.get("form", self.form)
            kwargs["form"] = type(base.__name__, (base,), {FIELD: reason_field(self.model)})
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list:
        fieldsets = list(super().get_fieldsets(request, obj))
        if not self._writes(request, obj):
            return fieldsets
        without = [
            (name, {**options, "fields": [f for f in options["fields"] if f != FIELD]})
            for name, options in fieldsets
        ]
        return [*without, ("Why", {"fields": [FIELD]})]

    def get_formsets_with_inlines(self, request: HttpRequest, obj: Any = None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            yield with_reason_check(formset, inline.model), inline

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with change_reason(posted_reason(request)):
            return super().changeform_view(request, *args, **kwargs)

    def history_form_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Reverting to a past version is a change like any other: its form asks the reason."""
        with change_reason(posted_reason(request)):
            return super().history_form_view(request, *args, **kwargs)

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        reason = posted_reason(request)
        if request.method == "POST" and self.has_delete_permission(request):
            error = reason_error(self.model, reason)
            if error:
                self.message_user(request, f"Nothing was deleted. {error}", messages.ERROR)
                return HttpResponseRedirect(request.get_full_path())
        with change_reason(reason):
            response = super().delete_view(request, *args, **kwargs)
        return self._with_reason_form(response, reason)

    def response_action(
        self, request: HttpRequest, queryset: QuerySet, *args: Any, **kwargs: Any
    ) -> HttpResponse | None:
        """Run a bulk action with the reason; refuse it (nothing changed) without one.

        "Delete selected" asks for the reason on its confirmation page, so its first step, which
        only shows that page, needs none.
        """
        reason = posted_reason(request)
        confirming_deletion = request.POST.get("action") == "delete_selected" and not (
            request.POST.get("post")
        )
        error = None if confirming_deletion else reason_error(self.model, reason)
        if error:
            self.message_user(request, f"Nothing changed. {error}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        with change_reason(reason):
            response = super().response_action(request, queryset, *args, **kwargs)
        return self._with_reason_form(response, reason) if response is not None else None

    def _with_reason_form(self, response: HttpResponse, reason: str) -> HttpResponse:
        """A deletion confirmation page, with the reason field to fill (the action bar's
        reason, when one was typed there)."""
        if isinstance(response, TemplateResponse) and response.context_data is not None:
            form = DeletionReasonForm(self.model, initial={FIELD: reason})
            response.context_data["reason_form"] = form
        return response
