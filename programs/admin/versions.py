"""Optimistic locking for the admin's change forms: a stale save is refused, not applied.

Django's admin saves whatever the form holds, so two analysts editing the same record would
silently overwrite each other. The change form carries, in a hidden field, a fingerprint of the
record as stored when the page was opened; on save it is compared with the record as stored
now, read with the row locked for the admin's transaction. If anyone changed the record in
between (in the admin, the API, an import or a scenario load), nothing is written and the form
comes back with a message. This is the admin's counterpart of the API's ETag and If-Match.
Only the record's own fields count, not its inlines; a post without the field (a script) is
not checked, like an API write without If-Match.
"""

import hashlib
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest

VERSION_FIELD = "record_version"
STALE_MESSAGE = (
    "Someone changed this record after you opened this page, so your changes were not saved. "
    "Open the record again to see their changes, then reapply yours."
)


def record_version(model: type[models.Model], pk: Any, *, lock: bool = False) -> str:
    """A fingerprint of the record's stored fields (locked for the transaction if ``lock``)."""
    rows = model._base_manager.filter(pk=pk)
    if lock and transaction.get_connection().in_atomic_block:
        rows = rows.select_for_update(of=("self",))
    values = rows.values_list(*(field.attname for field in model._meta.concrete_fields)).first()
    return hashlib.sha256(repr(values).encode()).hexdigest()[:32]


class VersionCheckedForm(forms.ModelForm):
    """Mixed into an admin's change form (see :class:`StaleSaveGuardMixin`)."""

    record_version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and not self.is_bound:
            self.initial[VERSION_FIELD] = record_version(type(self.instance), self.instance.pk)

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        sent = (cleaned or {}).get(VERSION_FIELD)
        if not sent or self.instance.pk is None:
            return cleaned
        if sent != record_version(type(self.instance), self.instance.pk, lock=True):
            raise ValidationError(STALE_MESSAGE, code="stale")
        return cleaned


if TYPE_CHECKING:  # what the mixin is mixed into
    from django.contrib.admin import ModelAdmin

    _ModelAdmin = ModelAdmin[Any]
else:
    _ModelAdmin = object


class StaleSaveGuardMixin(_ModelAdmin):
    """A ModelAdmin whose change form refuses to overwrite a change made since it was opened."""

    def _guards(self, request: HttpRequest, obj: Any) -> bool:
        return obj is not None and self.has_change_permission(request, obj)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if self._guards(request, obj) and "form" not in kwargs:
            kwargs["form"] = type(self.form.__name__, (VersionCheckedForm, self.form), {})
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list:
        fieldsets = list(super().get_fieldsets(request, obj))
        if not self._guards(request, obj) or not fieldsets:
            return fieldsets
        if any(VERSION_FIELD in _flat(options.get("fields", ())) for _name, options in fieldsets):
            return fieldsets
        name, options = fieldsets[-1]
        fields = [*options.get("fields", ()), VERSION_FIELD]
        return [*fieldsets[:-1], (name, {**options, "fields": fields})]


def _flat(fields: Any) -> list:
    flat: list = []
    for field in fields:
        flat.extend(field if isinstance(field, list | tuple) else [field])
    return flat
