from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from simple_history.models import HistoricalRecords

from programs.balance.thresholds import RULE_CHOICES, threshold_error
from programs.bounds import validate_day
from programs.models.base import (
    AMOUNT_VALIDATORS,
    PERCENT_VALIDATORS,
    WEIGHT_VALIDATORS,
    Tracked,
    date_order_error,
    dates_in_order,
)
from programs.models.nations import Nation, Organisation

currency_validator = RegexValidator(r"^[A-Z]{3}$", "Use the ISO 4217 code in capitals, e.g. GBP.")


class Domain(models.TextChoices):
    AIRFRAME = "airframe"
    PROPULSION = "propulsion"
    SENSORS = "sensors"
    MISSION_SYSTEMS = "mission_systems", "Mission systems"
    WEAPONS = "weapons"
    INTEGRATION = "integration"
    SUPPORT = "support"
    OTHER = "other"


class RoleDomain(models.TextChoices):
    """Domains of lead roles: the work-package domains plus programme management."""

    MANAGEMENT = "management", "Programme management"
    AIRFRAME = "airframe"
    PROPULSION = "propulsion"
    SENSORS = "sensors"
    MISSION_SYSTEMS = "mission_systems", "Mission systems"
    WEAPONS = "weapons"
    INTEGRATION = "integration"
    SUPPORT = "support"
    OTHER = "other"


class Programme(Tracked):
    class Status(models.TextChoices):
        CONCEPT = "concept"
        DEVELOPMENT = "development"
        PRODUCTION = "production"
        IN_SERVICE = "in_service", "In service"
        MERGED = "merged"
        CANCELLED = "cancelled"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices)
    currency = models.CharField(max_length=3, validators=[currency_validator])
    started_on = models.DateField(null=True, blank=True, validators=[validate_day])
    ended_on = models.DateField(null=True, blank=True, validators=[validate_day])
    predecessors = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="successors",
        help_text="Programmes merged into this one.",
    )
    history = HistoricalRecords(m2m_fields=[predecessors])

    class Meta:
        ordering = ["code"]
        constraints = [
            dates_in_order("started_on", "ended_on", "programme_dates_in_order"),
            models.CheckConstraint(
                condition=Exact(Length("currency"), 3), name="programme_currency_three_letters"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        error = date_order_error(self.started_on, self.ended_on, "started_on", "ended_on")
        if error:
            raise error


class Participation(Tracked):
    class Role(models.TextChoices):
        LEAD = "lead"
        PARTNER = "partner"
        JUNIOR = "junior"
        OBSERVER = "observer"

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="participations"
    )
    nation = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(max_length=10, choices=Role.choices)
    agreed_share = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT_VALIDATORS,
        help_text="Agreed share of the programme, in percent.",
    )
    joined_on = models.DateField(null=True, blank=True, validators=[validate_day])
    left_on = models.DateField(null=True, blank=True, validators=[validate_day])

    history = HistoricalRecords()

    #: True where the caller checks the total of all the programme's agreed shares itself (an
    #: admin inline, the scenario loader), so that shares can be moved between nations in one edit.
    siblings_checked_as_a_set = False

    class Meta:
        ordering = ["programme__code", "nation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "nation"], name="participation_one_per_nation"
            ),
            models.CheckConstraint(
                condition=Q(agreed_share__isnull=True)
                | (Q(agreed_share__gte=0) & Q(agreed_share__lte=100)),
                name="participation_agreed_share_range",
            ),
            dates_in_order("joined_on", "left_on", "participation_dates_in_order"),
        ]

    def __str__(self) -> str:
        return f"{self.nation} in {self.programme}"

    def clean(self) -> None:
        error = date_order_error(self.joined_on, self.left_on, "joined_on", "left_on")
        if error:
            raise error
        if self.agreed_share is None or self.programme_id is None or self.siblings_checked_as_a_set:
            return
        others = Participation.objects.filter(programme_id=self.programme_id).exclude(
            pk=self.pk
        ).aggregate(total=Sum("agreed_share"))["total"] or Decimal("0")
        if others + self.agreed_share > 100:
            # No total: it would include shares the user may not see (programs.access).
            raise ValidationError(
                {"agreed_share": f"Agreed shares of {self.programme} would sum to over 100%."}
            )


def require_participant(programme_id: int | None, nation_id: int | None, field: str) -> None:
    """Raise a field error unless the nation takes part in the programme."""
    if programme_id is None or nation_id is None:
        return
    if not Participation.objects.filter(programme_id=programme_id, nation_id=nation_id).exists():
        raise ValidationError({field: "This nation does not take part in the programme."})


class Contribution(Tracked):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="contributions")
    nation = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="contributions")
    period_start = models.DateField(validators=[validate_day])
    period_end = models.DateField(null=True, blank=True, validators=[validate_day])
    amount = models.DecimalField(max_digits=18, decimal_places=2, validators=AMOUNT_VALIDATORS)

    history = HistoricalRecords()

    class Meta:
        ordering = ["programme__code", "period_start", "nation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "nation", "period_start"], name="contribution_natural_key"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="contribution_amount_positive"),
            dates_in_order(
                "period_start",
                "period_end",
                "contribution_period_in_order",
                start_may_be_blank=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nation} → {self.programme} from {self.period_start}: {self.amount}"

    def clean(self) -> None:
        error = date_order_error(self.period_start, self.period_end, "period_start", "period_end")
        if error:
            raise error
        require_participant(self.programme_id, self.nation_id, "nation")


class WorkPackage(Tracked):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="work_packages")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=20, choices=Domain.choices)
    lead_organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_work_packages",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["programme__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="work_package_natural_key"),
        ]

    def __str__(self) -> str:
        return f"{self.programme.code}/{self.code}"


class WorkshareAllocation(Tracked):
    # No index of its own: the natural key and ``workshare_package_amounts`` both lead with it,
    # and every index costs the bulk importer (1,000,000-row ledgers).
    work_package = models.ForeignKey(
        WorkPackage, on_delete=models.CASCADE, related_name="allocations", db_index=False
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="allocations"
    )
    amount = models.DecimalField(max_digits=18, decimal_places=2, validators=AMOUNT_VALIDATORS)
    period_start = models.DateField(validators=[validate_day])
    period_end = models.DateField(null=True, blank=True, validators=[validate_day])

    #: History is read per record (``id``) and by date; the largest ledger's history keeps no
    #: index on its foreign keys, which nothing looks it up by.
    history = HistoricalRecords(no_db_index=["work_package", "organisation"])

    class Meta:
        ordering = ["work_package__programme__code", "work_package__code", "period_start", "id"]
        verbose_name = "workshare allocation"
        indexes = [
            # The balance sums amounts per organisation of a programme's work packages: an
            # index-only scan with this one instead of a heap fetch per allocation.
            models.Index(
                fields=["work_package"],
                include=["organisation", "amount"],
                name="workshare_package_amounts",
            ),
            # The API's cursor-paginated list orders by (period_start, id).
            models.Index(fields=["period_start", "id"], name="workshare_cursor_order"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["work_package", "organisation", "period_start"],
                name="workshare_natural_key",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="workshare_amount_positive"),
            dates_in_order(
                "period_start", "period_end", "workshare_period_in_order", start_may_be_blank=False
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_package} → {self.organisation}: {self.amount}"

    def clean(self) -> None:
        error = date_order_error(self.period_start, self.period_end, "period_start", "period_end")
        if error:
            raise error


class LeadershipRole(Tracked):
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="leadership_roles"
    )
    title = models.CharField(max_length=200)
    domain = models.CharField(max_length=20, choices=RoleDomain.choices)
    weight = models.PositiveSmallIntegerField(validators=WEIGHT_VALIDATORS)
    nation = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="leadership_roles")
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leadership_roles",
    )
    started_on = models.DateField(null=True, blank=True, validators=[validate_day])
    ended_on = models.DateField(null=True, blank=True, validators=[validate_day])

    history = HistoricalRecords()

    class Meta:
        ordering = ["programme__code", "-weight", "title"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "title"], name="leadership_natural_key"),
            models.CheckConstraint(
                condition=Q(weight__gte=1) & Q(weight__lte=5), name="leadership_weight_range"
            ),
            dates_in_order("started_on", "ended_on", "leadership_dates_in_order"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.programme.code})"

    def clean(self) -> None:
        error = date_order_error(self.started_on, self.ended_on, "started_on", "ended_on")
        if error:
            raise error
        if (
            self.organisation is not None
            and self.nation_id
            and self.organisation.nation_id
            and self.organisation.nation_id != self.nation_id
        ):
            raise ValidationError(
                {"organisation": f"{self.organisation} belongs to another nation than the holder."}
            )
        require_participant(self.programme_id, self.nation_id, "nation")


class ThresholdOverride(Tracked):
    """A programme's own value for one parameter of one imbalance rule (SPEC §3)."""

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="threshold_overrides"
    )
    rule = models.CharField(max_length=40, choices=RULE_CHOICES)
    parameter = models.CharField(max_length=40)
    value = models.DecimalField(max_digits=12, decimal_places=4)

    history = HistoricalRecords()

    class Meta:
        ordering = ["programme__code", "rule", "parameter"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "rule", "parameter"], name="threshold_one_per_parameter"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme.code}: {self.rule}.{self.parameter} = {self.value}"

    def clean(self) -> None:
        error = threshold_error(self.rule, self.parameter, self.value)
        if error:
            field, message = error
            raise ValidationError({field: message})
