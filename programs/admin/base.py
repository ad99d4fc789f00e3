"""What every GCAPtrack admin shares: history with diffs, export of the filtered changelist,
releasability by nation, and (for the record kinds analysts bring in bulk) spreadsheet import.

History: ``SimpleHistoryAdmin`` adds the "History" page (who, when, and a "Changes" column with
each field's old and new value, computed with ``diff_against``).

Releasability (``programs.access``): a user restricted to a nation sees, counts, filters by,
picks (select boxes, autocomplete) and exports only the records releasable to it; a hidden
record's pages answer like a record that does not exist, its history pages 404.
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.admin import FieldListFilter, RelatedFieldListFilter
from django.contrib.admin.utils import unquote
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, Prefetch, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from import_export.admin import ExportMixin, ImportMixin
from import_export.formats import base_formats
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from programs.access import (
    RELEASE_PATHS,
    audit_taken_key,
    is_restricted,
    releasable_nations_error,
    released,
)
from programs.admin.reasons import ChangeReasonAdminMixin
from programs.admin.versions import StaleSaveGuardMixin
from programs.imports.base import export_resource_for
from programs.imports.formats import CSV
from programs.services.hidden_dependants import REFUSAL, deletion_reaches_hidden

SPREADSHEET_FORMATS = [base_formats.CSV, base_formats.XLSX]
#: The same formats for import, the CSV one reading a whole file at once (``formats.CSV``).
IMPORT_FORMATS = [CSV, base_formats.XLSX]
HIDDEN = "(not releasable to you)"


def _is_releasable_relation(field: Any) -> bool:
    return bool(getattr(field, "remote_field", None)) and (
        getattr(field, "related_model", None) in RELEASE_PATHS
    )


class ReleasedRelatedFieldListFilter(RelatedFieldListFilter):
    """A related-field filter offering only the records the user may see.

    Django's filter lists every related record; this one lists those releasable to the user's
    nation. It is registered ahead of Django's for every relation to a releasable model, so a
    plain ``list_filter = ("programme",)`` gets it too.
    """

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list:
        related = released(field.related_model._default_manager.all(), request.user)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            related = related.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in related]


FieldListFilter.register(
    _is_releasable_relation, ReleasedRelatedFieldListFilter, take_priority=True
)


class ReleasedHistoryContextHelper(HistoricalRecordContextHelper):
    """History diffs that name a record hidden from the user (an old programme, say) say so
    instead of naming it."""

    def __init__(self, *args: Any, visible: "VisibleRecords", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.visible = visible

    def prepare_delta_change_value(self, change: Any, value: Any) -> Any:
        value = super().prepare_delta_change_value(change, value)
        if isinstance(value, list):
            return [self.visible.shown(item) for item in value]
        return self.visible.shown(value)


class VisibleRecords:
    """Which records of the releasable models a user may see, one query per model."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.pks: dict[type[Model], set] = {}

    def __contains__(self, obj: Model) -> bool:
        return self.has(type(obj), obj.pk)

    def has(self, model: type[Model], pk: Any) -> bool:
        """Whether the record of ``model`` with this key exists and the user may see it."""
        if model not in self.pks:
            self.pks[model] = set(
                released(model._default_manager.all(), self.user).values_list("pk", flat=True)
            )
        return pk in self.pks[model]

    def names_hidden(self, version: Any) -> bool:
        """Whether a historical version points at a record hidden from the user (or since
        deleted, whose marking is gone with it)."""
        for field in version.instance_type._meta.concrete_fields:
            if not _is_releasable_relation(field):
                continue
            pk = getattr(version, field.attname, None)
            if pk is not None and not self.has(field.related_model, pk):
                return True
        return False

    def shown(self, value: Any) -> Any:
        if isinstance(value, Model) and type(value) in RELEASE_PATHS and value not in self:
            return HIDDEN
        return value


def _visible_records(request: HttpRequest) -> VisibleRecords:
    """The request's ``VisibleRecords``, made once per request."""
    visible = request.__dict__.get("_gcaptrack_visible_records")
    if visible is None:
        visible = request.__dict__["_gcaptrack_visible_records"] = VisibleRecords(request.user)
    return visible


if TYPE_CHECKING:  # what the mixins below are mixed into
    from django.contrib.admin.options import BaseModelAdmin, ModelAdmin

    _AdminBase = BaseModelAdmin[Any]
    _ModelAdmin = ModelAdmin[Any]
else:
    _AdminBase = _ModelAdmin = object


class ReleasedQuerysetMixin(_AdminBase):
    """Narrows a model admin or an inline to the records the user may see.

    Select boxes and autocomplete of related records offer only visible ones (autocomplete
    asks the related model's admin, whose ``get_queryset`` is narrowed too); an inline shows
    only the visible rows of its parent and leaves the hidden ones alone.
    """

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return released(super().get_queryset(request), request.user)

    def _released_choices(self, db_field: Any, request: HttpRequest, kwargs: dict) -> QuerySet:
        queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
        if queryset is None:
            queryset = db_field.related_model._default_manager.all()
        return released(queryset, request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        if "queryset" not in kwargs and db_field.related_model in RELEASE_PATHS:
            kwargs["queryset"] = self._released_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        if db_field.name == "releasable_to" and "widget" not in kwargs:
            kwargs["widget"] = forms.CheckboxSelectMultiple
        if "queryset" not in kwargs and db_field.related_model in RELEASE_PATHS:
            kwargs["queryset"] = self._released_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ReleasedAdminMixin(ReleasedQuerysetMixin, _ModelAdmin):
    """A model admin narrowed to what the user may see, with its records' marking.

    ``releasable_to`` is edited with checkboxes; a restricted user must keep their nation in
    it. On save, links to hidden records the form could not show (a programme's hidden
    predecessors) are kept.
    """

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        return _with_marking_check(form, request.user)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        """Refuse (as a protected deletion) one that would reach records hidden from the user,
        without listing or counting them; a restricted user's every protected deletion reads
        the same (``programs.services.hidden_dependants``)."""
        if deletion_reaches_hidden(list(objs), request.user):
            return [], {}, set(), [REFUSAL]
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected and is_restricted(request.user):
            return [], {}, set(), [REFUSAL]
        return deleted, counts, perms_needed, protected

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        hidden = {}
        if change and is_restricted(request.user):
            for field in form.instance._meta.many_to_many:
                if field.related_model in RELEASE_PATHS and field.name in form.cleaned_data:
                    visible = released(field.related_model._default_manager.all(), request.user)
                    hidden[field.name] = list(
                        getattr(form.instance, field.name).exclude(pk__in=visible.values("pk"))
                    )
        super().save_related(request, form, formsets, change)
        for name, records in hidden.items():
            getattr(form.instance, name).add(*records)


def _with_marking_check(form: type[forms.ModelForm], user: Any) -> type[forms.ModelForm]:
    """The form, checking the ``releasable_to`` a restricted user sets (``programs.access.
    releasable_nations_error``, against the record as the form would save it), and keeping
    an audit entry when its natural key is refused as taken."""

    def _post_clean(self: forms.ModelForm) -> None:
        form._post_clean(self)  # type: ignore[attr-defined]  # Django's own, left out of its stubs
        if "releasable_to" in self.cleaned_data:
            nation_ids = {nation.pk for nation in self.cleaned_data["releasable_to"]}
            message = releasable_nations_error(user, nation_ids, self.instance)
            if message:
                self.add_error("releasable_to", message)
        audit_taken_key(user, self._meta.model, self.errors.as_data())

    return type(form.__name__, (form,), {"_post_clean": _post_clean})


class ReadOnlyAdminMixin:
    """For records written by the system (scan results, scenario loads, flag events): people
    view them; nobody adds, changes or deletes them by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TrackedAdmin(
    StaleSaveGuardMixin, ChangeReasonAdminMixin, ReleasedAdminMixin, ExportMixin, SimpleHistoryAdmin
):
    """Admin of a tracked record: history page, provenance, export of the filtered list, a
    change reason with every write (``programs.admin.reasons``).

    Whoever may view a model may export what the changelist shows them. A restricted user
    sees the history of records they see now: the history of a hidden record, or of a deleted
    one (whose marking is gone with it), answers 404, and so does a past version that named a
    record hidden from them; the "Changes" column names no hidden record.
    """

    formats = SPREADSHEET_FORMATS
    list_per_page = 50
    show_full_result_count = False

    def get_export_queryset(self, request: HttpRequest) -> QuerySet:
        """The changelist's rows; their links to hidden records (predecessors) left out."""
        queryset = super().get_export_queryset(request)
        if not is_restricted(request.user):
            return queryset
        for field in self.model._meta.many_to_many:
            if field.related_model in RELEASE_PATHS:
                visible = released(field.related_model._default_manager.all(), request.user)
                queryset = queryset.prefetch_related(Prefetch(field.name, queryset=visible))
        return queryset

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None):
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ):
        self._visible_or_404(request, object_id)
        if is_restricted(request.user):
            self._version_visible_or_404(request, object_id, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record: Any):
        if not is_restricted(request.user):
            return super().get_historical_record_context_helper(request, historical_record)
        return ReleasedHistoryContextHelper(
            self.model, historical_record, visible=_visible_records(request)
        )

    def set_history_delta_changes(self, request: HttpRequest, historical_records: Any, *args, **kw):
        """The history page's rows. For a restricted user, a version that named a record hidden
        from them (a hidden organisation, an old hidden programme) is shown as hidden: its
        "Object" text and its values in the "Changes" column (the amount placed with the
        hidden organisation, say) would describe the hidden record."""
        super().set_history_delta_changes(request, historical_records, *args, **kw)
        if not is_restricted(request.user):
            return
        visible = _visible_records(request)
        versions = list(historical_records)
        hidden = [visible.names_hidden(version) for version in versions]
        for i, version in enumerate(versions):
            if hidden[i]:
                version.history_object = HIDDEN
            older_hidden = i + 1 < len(versions) and hidden[i + 1]
            changes = getattr(version, "history_delta_changes", None)
            if changes and (hidden[i] or older_hidden):
                version.history_delta_changes = [
                    {
                        **change,
                        "old": HIDDEN if older_hidden else change["old"],
                        "new": HIDDEN if hidden[i] else change["new"],
                    }
                    for change in changes
                ]

    def _visible_or_404(self, request: HttpRequest, object_id: str) -> None:
        if not is_restricted(request.user):
            return
        try:
            found = self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        except (ValueError, ValidationError):
            found = False
        if not found:
            raise Http404

    def _version_visible_or_404(self, request: HttpRequest, object_id: str, version_id: str):
        """404 for a past version that named a record hidden from the user (or since deleted,
        whose marking is unknown)."""
        lookup = {self.model._meta.pk.attname: unquote(object_id), "history_id": version_id}
        try:
            version = self.model.history.filter(**lookup).first()
        except (ValueError, ValidationError):
            raise Http404 from None
        if version is None:
            raise Http404
        for field in self.model._meta.concrete_fields:
            if not _is_releasable_relation(field) or getattr(version, field.attname) is None:
                continue
            try:
                related = getattr(version, field.name)
            except ObjectDoesNotExist:
                raise Http404 from None
            if not released(type(related).objects.filter(pk=related.pk), request.user).exists():
                raise Http404

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
    import_formats = IMPORT_FORMATS

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

    class TitledFilter(ReleasedRelatedFieldListFilter):
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
        # Django's own (private) method, which its stubs leave out.
        form = super()._construct_form(i, **kwargs)  # type: ignore[misc]
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
            if getattr(form, "cleaned_data", None) and not self._should_delete_form(form)  # type: ignore[attr-defined]  # Django's own
        ]

    def check_row(self, form: Any) -> None:
        """Add errors to ``form`` for a row that does not fit its parent."""
