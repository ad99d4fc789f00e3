from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q, Sum
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from simple_history.models import HistoricalRecords

from programs.bounds import validate_day
from programs.models.base import (
    PERCENT_VALIDATORS,
    Provenance,
    Tracked,
    date_order_error,
    dates_in_order,
)

nation_code_validator = RegexValidator(
    r"^[A-Z]{3}$", "Use the ISO 3166-1 alpha-3 code in capitals, e.g. GBR."
)

#: Published stakes are often rounded (Edgewing: 3 × 33.3 %), so a venture's stakes must add
#: up to 100 within this tolerance; look-through divides by the actual total.
STAKE_TOTAL_TOLERANCE = Decimal("0.1")


class Nation(Provenance):
    code = models.CharField(max_length=3, unique=True, validators=[nation_code_validator])
    name = models.CharField(max_length=100, unique=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Exact(Length("code"), 3), name="nation_code_three_letters"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class Organisation(Tracked):
    class Kind(models.TextChoices):
        GOVERNMENT = "government"
        AGENCY = "agency"
        INTERGOVERNMENTAL = "intergovernmental"
        PRIME = "prime"
        SUPPLIER = "supplier"
        JOINT_VENTURE = "joint_venture", "Joint venture"

    #: Kinds that belong to no single nation.
    STATELESS_KINDS = {Kind.INTERGOVERNMENTAL, Kind.JOINT_VENTURE}

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=50, blank=True)
    nation = models.ForeignKey(
        Nation, null=True, blank=True, on_delete=models.PROTECT, related_name="organisations"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="joint_venture") | Q(nation__isnull=True),
                name="organisation_joint_venture_has_no_nation",
                violation_error_message="A joint venture has no nation: give its owners' stakes.",
            ),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    def clean(self) -> None:
        if self.kind == self.Kind.JOINT_VENTURE and self.nation_id:
            raise ValidationError(
                {"nation": "A joint venture has no nation: record its owners' stakes instead."}
            )
        if self.kind and self.kind not in self.STATELESS_KINDS and not self.nation_id:
            raise ValidationError(
                {"nation": f"A {self.get_kind_display().lower()} organisation needs a nation."}
            )


class OwnershipStake(Tracked):
    venture = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="stakes",
        limit_choices_to={"kind": Organisation.Kind.JOINT_VENTURE},
    )
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="holdings")
    percent = models.DecimalField(max_digits=5, decimal_places=2, validators=PERCENT_VALIDATORS)

    history = HistoricalRecords()

    #: True where the caller checks the total of all the venture's stakes itself (an admin
    #: inline, the scenario loader, the API's nested write): then moving 50/50 to 60/40 in one
    #: edit is not refused against the stakes still stored.
    siblings_checked_as_a_set = False

    class Meta:
        ordering = ["venture__name", "-percent"]
        constraints = [
            models.UniqueConstraint(fields=["venture", "owner"], name="stake_one_per_owner"),
            models.CheckConstraint(
                condition=Q(percent__gt=0) & Q(percent__lte=100), name="stake_percent_range"
            ),
            models.CheckConstraint(
                condition=~Q(venture=F("owner")), name="stake_venture_not_own_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner} holds {self.percent}% of {self.venture}"

    def clean(self) -> None:
        if self.venture_id is None:
            return
        if self.venture.kind != Organisation.Kind.JOINT_VENTURE:
            raise ValidationError({"venture": "Only a joint venture has ownership stakes."})
        if self.owner_id == self.venture_id:
            raise ValidationError({"owner": "A venture cannot own itself."})
        if self.percent is not None and self.percent <= 0:
            raise ValidationError({"percent": "A stake is more than 0%."})
        if self.siblings_checked_as_a_set:
            return
        others = OwnershipStake.objects.filter(venture_id=self.venture_id).exclude(
            pk=self.pk
        ).aggregate(total=Sum("percent"))["total"] or Decimal("0")
        if self.percent is not None and others + self.percent > 100 + STAKE_TOTAL_TOLERANCE:
            raise ValidationError(
                {
                    "percent": f"Stakes of {self.venture} would sum to {others + self.percent}%, over 100%."
                }
            )


def stake_total_error(venture_name: str, total: Decimal) -> str | None:
    """The message for a venture whose stakes do not add up to 100 %, or None."""
    if abs(total - 100) > STAKE_TOTAL_TOLERANCE:
        return f"Stakes of {venture_name} sum to {total}%; they must sum to 100%."
    return None


class Agreement(Tracked):
    class Kind(models.TextChoices):
        TREATY = "treaty"
        MOU = "mou", "MoU"
        INDUSTRIAL = "industrial"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    nations = models.ManyToManyField(Nation, related_name="agreements")
    signed_on = models.DateField(validators=[validate_day])
    ended_on = models.DateField(null=True, blank=True, validators=[validate_day])
    history = HistoricalRecords(m2m_fields=[nations])

    class Meta:
        ordering = ["signed_on", "name"]
        constraints = [
            dates_in_order(
                "signed_on", "ended_on", "agreement_dates_in_order", start_may_be_blank=False
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        error = date_order_error(self.signed_on, self.ended_on, "signed_on", "ended_on")
        if error:
            raise error


MIN_AGREEMENT_NATIONS = 2


def agreement_nations_error(nation_count: int) -> str | None:
    if nation_count < MIN_AGREEMENT_NATIONS:
        return "An agreement binds two or more nations."
    return None
