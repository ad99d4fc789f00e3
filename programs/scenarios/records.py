"""One record of a scenario file: its label in messages, its errors, its fields read.

A field is read as the model field's Python type, so the model's own messages name what is
wrong with it.
"""

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from programs.models.base import Confidence
from programs.models.fields import concrete_field
from programs.scenarios.document import MISSING, PROVENANCE


def show(value: Any) -> str:
    if value is None:
        return "?"
    if isinstance(value, list | dict):
        return "…"
    return str(value)


class Record:
    """One record of the file being read: its label for messages and its errors."""

    def __init__(
        self,
        sink: list[str],
        prefix: str,
        key: str,
        index: int | str,
        data: dict,
        natural: Sequence[str],
    ) -> None:
        self.data = data
        self.sink = sink
        shown = "/".join(show(data.get(name)) for name in natural)
        self.label = f"{key}[{index}]" + (f" ({shown})" if natural else "")
        self.where = prefix + self.label
        self.failed = False
        #: Set when the record refers to one that failed above: its error is already reported.
        self.blocked = False

    def error(self, field_name: str | None, message: str) -> None:
        self.failed = True
        if field_name and field_name != NON_FIELD_ERRORS:
            self.sink.append(f"{self.where}: {field_name}: {message}")
        else:
            self.sink.append(f"{self.where}: {message}")

    @property
    def ok(self) -> bool:
        return not (self.failed or self.blocked)

    def convert(self, model: type[models.Model], name: str, value: Any) -> Any:
        """The value of one scalar field as the model field's Python type, or MISSING."""
        if isinstance(value, list | dict):
            self.error(name, "expected a single value, not a list or mapping.")
            return MISSING
        if value is None:
            return None
        model_field = concrete_field(model, name)
        if isinstance(model_field, models.DateField) and not isinstance(value, datetime.date | str):
            self.error(name, "expected an ISO date such as 2026-06-30.")
            return MISSING
        if isinstance(model_field, models.DecimalField) and isinstance(value, float):
            # The shortest repr is the number as written: 33.3, not 33.2999999999999971578...
            value = Decimal(repr(value))
        try:
            return model_field.to_python(value)
        except ValidationError as exc:
            self.error(name, " ".join(exc.messages))
        except (TypeError, ValueError, ArithmeticError):
            self.error(name, f"{value!r} is not a valid value.")
        return MISSING

    def required(self, model: type[models.Model], name: str) -> Any:
        value = self.data.get(name)
        if value is None or value == "":
            self.error(name, "This field is required.")
            return None
        converted = self.convert(model, name, value)
        return None if converted is MISSING else converted

    def values(self, model: type[models.Model], names: Iterable[str]) -> dict:
        """The stated scalar fields among ``names``, converted; omitted ones are not returned."""
        values = {}
        for name in names:
            if name in self.data:
                converted = self.convert(model, name, self.data[name])
                if converted is not MISSING:
                    values[name] = converted
        return values

    def provenance(self, model: type[models.Model], inherited: dict | None = None) -> dict:
        data = self.data
        if inherited is not None and not any(name in data for name in PROVENANCE):
            return dict(inherited)
        source = self.convert(model, "source", data.get("source"))
        source = "" if source in (None, MISSING) else source
        confidence = data.get("confidence")
        if confidence is None:
            confidence = Confidence.REPORTED if source else Confidence.ILLUSTRATIVE
        elif not isinstance(confidence, str):
            self.error("confidence", f"expected one of: {', '.join(Confidence.values)}.")
        return {"source": source, "confidence": confidence}
