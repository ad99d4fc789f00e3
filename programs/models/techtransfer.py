from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from programs.bounds import validate_day
from programs.models.base import WEIGHT_VALIDATORS, Tracked
from programs.models.nations import Organisation
from programs.models.programmes import Programme


class TechTransferMilestone(Tracked):
    """One technology handed from a provider organisation to a recipient organisation.

    The nations of a transfer are those of its organisations, so both must have a nation.
    """

    class Status(models.TextChoices):
        PLANNED = "planned"
        IN_PROGRESS = "in_progress", "In progress"
        ACHIEVED = "achieved"
        DELAYED = "delayed"
        BLOCKED = "blocked"
        CANCELLED = "cancelled"

    class AccessLevel(models.TextChoices):
        FULL = "full"
        LICENSED = "licensed"
        BLACK_BOX = "black_box", "Black box"

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="tech_transfers"
    )
    title = models.CharField(max_length=300)
    technology_area = models.CharField(max_length=100)
    provider = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="transfers_provided"
    )
    recipient = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="transfers_received"
    )
    planned_on = models.DateField(validators=[validate_day])
    achieved_on = models.DateField(null=True, blank=True, validators=[validate_day])
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    access_level = models.CharField(max_length=10, choices=AccessLevel.choices)
    export_control = models.CharField(max_length=200, blank=True)
    weight = models.PositiveSmallIntegerField(default=1, validators=WEIGHT_VALIDATORS)

    history = HistoricalRecords()

    class Meta:
        ordering = ["programme__code", "planned_on", "title"]
        verbose_name = "tech-transfer milestone"
        # The API's cursor-paginated list orders by (planned_on, id).
        indexes = [models.Index(fields=["planned_on", "id"], name="tech_transfer_cursor_order")]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "title"], name="tech_transfer_natural_key"
            ),
            models.CheckConstraint(
                condition=~Q(provider=F("recipient")), name="tech_transfer_distinct_parties"
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=1) & Q(weight__lte=5), name="tech_transfer_weight_range"
            ),
            models.CheckConstraint(
                condition=Q(status="achieved", achieved_on__isnull=False)
                | (~Q(status="achieved") & Q(achieved_on__isnull=True)),
                name="tech_transfer_achieved_has_date",
                violation_error_message="An achieved milestone has an achieved_on date, and only it.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.status == self.Status.ACHIEVED and not self.achieved_on:
            errors["achieved_on"] = "An achieved milestone needs the date it was achieved."
        if self.status != self.Status.ACHIEVED and self.achieved_on:
            errors["status"] = "A milestone with an achieved_on date must have status achieved."
        if self.provider_id and self.recipient_id:
            if self.provider_id == self.recipient_id:
                errors["recipient"] = "Provider and recipient must differ."
            elif self.provider.nation_id is None:
                errors["provider"] = f"{self.provider} has no nation; name the national company."
            elif self.recipient.nation_id is None:
                errors["recipient"] = f"{self.recipient} has no nation; name the national company."
            elif self.provider.nation_id == self.recipient.nation_id:
                errors["recipient"] = "A transfer goes between two nations."
        if errors:
            raise ValidationError(errors)
