"""A model's concrete fields by name, for the code that writes SQL itself (COPY, INSERT)."""

from django.db.models import Field, Model


def concrete_field(model: type[Model], name: str) -> Field:
    """The field ``name`` of ``model``; a reverse relation (no column) is a programming error."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise TypeError(f"{model.__name__}.{name} has no column")
    return field


def column(model: type[Model], name: str) -> str:
    """The database column of ``model``'s field ``name``."""
    return str(concrete_field(model, name).column)
