"""What every GCAPtrack admin shares: history with diffs, export of the filtered changelist,
and (for the record kinds analysts bring in bulk) spreadsheet import.

History: ``SimpleHistoryAdmin`` adds the "History" page (who, when, and a "Changes" column with
each field's old and new value, computed with ``diff_against``).
"""

from typing import Any

from django.contrib import messages
from django.contrib.admin import RelatedFieldListFilter
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from import_export.admin import ExportMixin, ImportMixin
from import_export.formats import base_formats
from simple_history.admin import SimpleHistoryAdmin

from programs.admin.versions import StaleSaveGuardMixin
from programs.imports.base import export_resource_for

SPREADSHEET_FORMATS = [base_formats.CSV, base_formats.XLSX]


class ReadOnlyAdminMixin:
    """For records written by the system (scan results, scenario loads, flag events): people
    view them; nobody adds, changes or deletes them by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TrackedAdmin(StaleSaveGuardMixin, ExportMixin, SimpleHistoryAdmin):
    """Admin of a tracked record: history page, provenance, export of the filtered list.

    Whoever may view a model may export what the changelist shows them.
    """

    formats = SPREADSHEET_FORMATS
    list_per_page = 50
    show_full_result_count = False

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_export_resource_classes(self, request: HttpRequest) -> list:
        if self.resource_classes:
            return list(self.resource_classes)
        return [export_resource_for(self.model)]


class ImportExportTrackedAdmin(ImportMixin, TrackedAdmin):
    """A tracked admin that also imports CSV and XLSX files.

    Only users who may both add and change the model import. The preview is a dry run in a
    rolled-back transaction; the confirmed import runs in one transaction that is rolled back
    if any row fails, including rows that became invalid since the preview.
    """

    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    import_error_display = ("message", "row")

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_import_data_kwargs(self, **kwargs: Any) -> dict:
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def process_result(self, result: Any, request: HttpRequest) -> Any:
        if not (result.has_errors() or result.has_validation_errors()):
            return super().process_result(result, request)
        messages.error(
            request, "Nothing was imported: fix the rows below and import the file again."
        )
        context = self.get_import_context_data()
        context.update(self.admin_site.each_context(request))
        context.update(
            {
                "title": "Import",
                "form": self.get_import_form_class(request)(
                    self.get_import_formats(), self.get_import_resource_classes(request)
                ),
                "opts": self.model._meta,
                "result": result,
                "import_error_display": self.import_error_display,
                "fields_list": [],
            }
        )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context, status=400)


def titled_related_filter(title: str) -> type[RelatedFieldListFilter]:
    """A related-field filter with its own title (two filters on ``nation`` need two names)."""

    class TitledFilter(RelatedFieldListFilter):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.title = title

    return TitledFilter


class CheckedInlineFormSet(BaseInlineFormSet):
    """An inline formset that checks each kept row against its parent, saved or not.

    Model ``clean()`` methods that look the parent up in the database cannot see a parent
    being added in the same form; subclasses repeat those checks in ``check_row`` with the
    parent the admin is about to save.
    """

    #: True where ``clean`` checks a total over all rows (stakes, agreed shares): the rows'
    #: own ``clean()`` then skips its check against the sibling rows still stored.
    checks_siblings_as_a_set = False

    def _construct_form(self, i: int, **kwargs: Any) -> Any:
        form = super()._construct_form(i, **kwargs)
        if self.checks_siblings_as_a_set:
            form.instance.siblings_checked_as_a_set = True
        return form

    def clean(self) -> None:
        super().clean()
        for form in self.kept_forms():
            self.check_row(form)

    def kept_forms(self) -> list:
        return [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", None) and not self._should_delete_form(form)
        ]

    def check_row(self, form: Any) -> None:
        """Add errors to ``form`` for a row that does not fit its parent."""
