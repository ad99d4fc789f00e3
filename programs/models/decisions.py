from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from programs.bounds import validate_day
from programs.models.base import Tracked
from programs.models.nations import Nation
from programs.models.programmes import Programme, require_participant


class DecisionBody(Tracked):
    class Level(models.TextChoices):
        GOVERNMENTAL = "governmental"
        INDUSTRIAL = "industrial"
        TECHNICAL = "technical"

    class VotingRule(models.TextChoices):
        UNANIMITY = "unanimity"
        MAJORITY = "majority"
        WEIGHTED = "weighted"

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="decision_bodies"
    )
    name = models.CharField(max_length=200)
    level = models.CharField(max_length=12, choices=Level.choices)
    voting_rule = models.CharField(max_length=10, choices=VotingRule.choices)

    history = HistoricalRecords()

    class Meta:
        ordering = ["programme__code", "name"]
        verbose_name_plural = "decision bodies"
        constraints = [
            models.UniqueConstraint(fields=["programme", "name"], name="decision_body_natural_key"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.programme.code})"


class Seat(Tracked):
    body = models.ForeignKey(DecisionBody, on_delete=models.CASCADE, related_name="seats")
    nation = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="seats")
    votes = models.PositiveSmallIntegerField(default=1)
    veto = models.BooleanField(default=False)
    chair = models.BooleanField(default=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["body__name", "nation__name"]
        constraints = [
            models.UniqueConstraint(fields=["body", "nation"], name="seat_one_per_nation"),
            models.UniqueConstraint(
                fields=["body"],
                condition=Q(chair=True),
                name="seat_one_chair_per_body",
                violation_error_message="This body already has a chair.",
            ),
            models.CheckConstraint(condition=Q(votes__gte=0), name="seat_votes_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.nation} on {self.body}"

    def clean(self) -> None:
        if self.body_id:
            require_participant(self.body.programme_id, self.nation_id, "nation")


class Decision(Tracked):
    class Outcome(models.TextChoices):
        APPROVED = "approved"
        REJECTED = "rejected"
        DEFERRED = "deferred"

    body = models.ForeignKey(DecisionBody, on_delete=models.CASCADE, related_name="decisions")
    decided_on = models.DateField(validators=[validate_day])
    title = models.CharField(max_length=300)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    proposer = models.ForeignKey(
        Nation, null=True, blank=True, on_delete=models.PROTECT, related_name="proposals"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-decided_on", "title"]
        constraints = [
            models.UniqueConstraint(fields=["body", "title"], name="decision_natural_key"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.decided_on})"

    def clean(self) -> None:
        if self.body_id and self.proposer_id:
            require_participant(self.body.programme_id, self.proposer_id, "proposer")


class Vote(Tracked):
    class Position(models.TextChoices):
        FOR = "for"
        AGAINST = "against"
        ABSTAIN = "abstain"
        ABSENT = "absent"

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="votes")
    nation = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="votes")
    position = models.CharField(max_length=8, choices=Position.choices)

    history = HistoricalRecords()

    class Meta:
        ordering = ["decision", "nation__name"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "nation"], name="vote_one_per_nation"),
        ]

    def __str__(self) -> str:
        return f"{self.nation}: {self.position}"

    def clean(self) -> None:
        if self.decision_id is None or self.nation_id is None:
            return
        if not Seat.objects.filter(
            body_id=self.decision.body_id, nation_id=self.nation_id
        ).exists():
            raise ValidationError(
                {"nation": f"{self.nation} holds no seat on {self.decision.body.name}."}
            )
