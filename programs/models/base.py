from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from programs.models.fields import concrete_field


class Confidence(models.TextChoices):
    REPORTED = "reported", "Reported (public or official source)"
    ESTIMATED = "estimated", "Estimated by an analyst"
    ILLUSTRATIVE = "illustrative", "Illustrative (scenario or demo data)"


class Provenance(models.Model):
    """Where a fact comes from and how far to trust it (SPEC §1)."""

    source = models.TextField(blank=True, help_text="Where the fact comes from: text or URL.")
    confidence = models.CharField(
        max_length=16, choices=Confidence.choices, default=Confidence.ILLUSTRATIVE
    )

    class Meta:
        abstract = True


class Tracked(Provenance):
    """Provenance, releasability and history shared by every record analysts track.

    Every concrete subclass declares ``history = HistoricalRecords()`` (with its many-to-many
    fields where it has some), which keeps who, when and what for every save and delete made
    through the ORM: admin, API, importers, the scenario loader, the shell. The releasability
    marking is part of that history (``_history_m2m_fields``).

    ``releasable_to`` left empty means the default of ``programs.access``: the participants of
    the record's programme, or every nation for a record outside any programme. Nations are
    reference data and carry no marking (``Nation`` is only ``Provenance``).
    """

    releasable_to = models.ManyToManyField(
        "programs.Nation",
        blank=True,
        related_name="+",
        help_text=(
            "Nations this record may be shown to. Leave empty for the default: the participants "
            "of its programme (every nation for records outside a programme)."
        ),
    )

    _history_m2m_fields = ["releasable_to"]

    if TYPE_CHECKING:
        #: simple_history's manager, which every concrete subclass declares.
        history: ClassVar[Any]

    class Meta:
        abstract = True

    def unique_error_message(
        self, model_class: type[models.Model], unique_check: Sequence[str]
    ) -> ValidationError:
        """One message for a taken natural key, whatever record holds it.

        The holder may be hidden from the user (``programs.access``); a key cannot be taken twice
        without polyinstantiation, so the refusal cannot be avoided, but it reads the same for a
        visible and a hidden holder and names nothing of either (README, Security). Used by
        ``validate_unique()`` and by every field-based ``UniqueConstraint``: the API, the admin,
        the imports and the scenario loader all get it.
        """
        labels = [str(concrete_field(model_class, name).verbose_name) for name in unique_check]
        code = "unique" if len(unique_check) == 1 else "unique_together"
        return ValidationError(
            TAKEN_KEY_MESSAGE.format(key=_joined(labels)),
            code=code,
            params={"model_class": model_class, "unique_check": unique_check},
        )


#: The refusal of a taken natural key (``Tracked.unique_error_message``).
TAKEN_KEY_MESSAGE = (
    "Another record already has this {key}; it may be one that is not releasable to you. "
    "Choose another {key}."
)


def _joined(labels: list[str]) -> str:
    if len(labels) == 1:
        return labels[0]
    return f"{', '.join(labels[:-1])} and {labels[-1]}"


def date_order_error(start, end, start_field: str, end_field: str) -> ValidationError | None:
    """The error for an end date before its start date, keyed by the end field."""
    if start and end and end < start:
        return ValidationError({end_field: f"{end_field} must not be before {start_field}."})
    return None


def dates_in_order(
    start: str, end: str, name: str, *, start_may_be_blank: bool = True
) -> models.CheckConstraint:
    """The database's own check that ``end``, when given, is not before ``start``."""
    condition = Q(**{f"{end}__isnull": True})
    if start_may_be_blank:
        condition |= Q(**{f"{start}__isnull": True})
    return models.CheckConstraint(condition=condition | Q(**{f"{end}__gte": F(start)}), name=name)


PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
AMOUNT_VALIDATORS = [MinValueValidator(Decimal("0"))]
WEIGHT_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]
