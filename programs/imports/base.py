"""Shared pieces of the spreadsheet resources: natural-key widgets, provenance defaults and
escaping of exported cells against spreadsheet formula injection."""

from typing import Any

from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist
from django.db import models
from import_export import resources, widgets

from programs.models import Confidence, Nation, Organisation, Programme
from programs.spreadsheets import escape_formula

#: The natural key column of the models other records refer to in spreadsheets (SPEC §4).
NATURAL_KEY_FIELDS: dict[type[models.Model], str] = {
    Nation: "code",
    Programme: "code",
    Organisation: "name",
}


def default_confidence(source: Any) -> str:
    """SPEC §4's default: ``reported`` when a source is given, else ``illustrative``."""
    return Confidence.REPORTED if str(source or "").strip() else Confidence.ILLUSTRATIVE


class NaturalKeyWidget(widgets.ForeignKeyWidget):
    """Look a related record up by its natural key; an unknown key is a field error."""

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
        try:
            return super().clean(value, row, **kwargs)
        except ObjectDoesNotExist:
            raise ValueError(self.missing_message(value, row)) from None
        except MultipleObjectsReturned:
            raise ValueError(
                f"More than one {self.model._meta.verbose_name} matches '{value}'."
            ) from None

    def missing_message(self, value: Any, row: dict | None) -> str:
        return f"No {self.model._meta.verbose_name} with {self.field} '{value}'."


class LabelForeignKeyWidget(widgets.ForeignKeyWidget):
    """Export a foreign key as its natural key where it has one, else as its label."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        if value is None:
            return ""
        field = NATURAL_KEY_FIELDS.get(type(value))
        return str(getattr(value, field)) if field else str(value)


class LabelManyToManyWidget(widgets.ManyToManyWidget):
    """Export a many-to-many field as the natural keys of its records, comma-separated."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        if value is None:
            return ""
        field = NATURAL_KEY_FIELDS.get(self.model)
        return self.separator.join(
            str(getattr(item, field)) if field else str(item) for item in value.all()
        )


class TrackedResource(resources.ModelResource):
    """Base of every resource: escapes exported formulae, fills provenance defaults on import.

    Rows go through the model's ``full_clean()`` (``clean_model_instances``), so the model's
    invariants are the only rules; each row is saved with ``save()``, which writes history.
    """

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        return escape_formula(super().export_field(field, instance, **kwargs))

    def get_instance(self, instance_loader: Any, row: dict) -> Any:
        # An unknown natural key in the row means "no such record yet"; the same key then
        # fails as a field error when the row is imported, instead of a traceback.
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            return None

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        # A file whose first line is blank has no header row: tablib leaves ``headers`` unset and
        # import-export would fail on the first row with a TypeError (a 500). Refuse the file
        # with one error instead, and empty the dataset so that no row is looked at.
        if dataset.headers is None and dataset.height:
            dataset.wipe()
            raise ValueError("The first line of the file must be the column headers; it is blank.")
        super().before_import(dataset, **kwargs)

    def before_import_row(self, row: dict, **kwargs: Any) -> None:
        if "confidence" in row and not str(row["confidence"] or "").strip():
            row["confidence"] = default_confidence(row.get("source"))

    def after_init_instance(self, instance: Any, new: bool, row: dict, **kwargs: Any) -> None:
        if new and "confidence" not in row:
            instance.confidence = default_confidence(row.get("source"))

    @classmethod
    def field_from_django_field(cls, field_name: str, django_field: Any, readonly: bool) -> Any:
        if isinstance(django_field, models.ForeignKey):
            return cls.DEFAULT_RESOURCE_FIELD(
                attribute=field_name,
                column_name=field_name,
                widget=LabelForeignKeyWidget(model=django_field.related_model),
                readonly=readonly,
            )
        if isinstance(django_field, models.TextField) and django_field.blank:
            # A blank text cell (None in XLSX) is stored as "", as Django stores blank text.
            return cls.DEFAULT_RESOURCE_FIELD(
                attribute=field_name,
                column_name=field_name,
                widget=widgets.CharWidget(coerce_to_string=True, allow_blank=True),
                readonly=readonly,
                default=django_field.default,
            )
        return super().field_from_django_field(field_name, django_field, readonly)

    @classmethod
    def get_m2m_widget(cls, field: Any) -> Any:
        return lambda **kwargs: LabelManyToManyWidget(model=field.related_model, **kwargs)


def export_resource_for(model: type[models.Model]) -> type[TrackedResource]:
    """An export-only resource for a model that has no spreadsheet import of its own."""
    return resources.modelresource_factory(model, resource_class=TrackedResource)
