"""What the scans produce: flags with their history of transitions, and daily balance snapshots.

None of these is typed in by hand: scans (programs.balance.scan) write them, analysts only
acknowledge flags.
"""

from typing import TypedDict

from django.conf import settings
from django.db import models
from django.db.models import Q

from programs.balance.thresholds import RULE_CHOICES
from programs.models.nations import Nation
from programs.models.programmes import Programme


class DecimalSize(TypedDict):
    max_digits: int
    decimal_places: int


#: Ratios and shares (fractions, 0.25 for 25 %).
RATIO: DecimalSize = {"max_digits": 14, "decimal_places": 6}
#: Money in the programme's currency.
MONEY: DecimalSize = {"max_digits": 20, "decimal_places": 2}


class Flag(models.Model):
    class Severity(models.TextChoices):
        INFO = "info"
        WARNING = "warning"
        CRITICAL = "critical"

    class Status(models.TextChoices):
        OPEN = "open"
        ACKNOWLEDGED = "acknowledged"
        RESOLVED = "resolved"

    rule = models.CharField(max_length=40, choices=RULE_CHOICES)
    programme = models.ForeignKey(
        Programme,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="flags",
        help_text="Empty for cross-programme rules.",
    )
    nation = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="flags")
    counterparts = models.ManyToManyField(Nation, blank=True, related_name="counterpart_flags")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    metric = models.CharField(max_length=60, help_text="The metric the rule judges.")
    value = models.DecimalField(
        **RATIO, null=True, blank=True, help_text="The metric's value at the last scan."
    )
    threshold = models.DecimalField(
        **RATIO, null=True, blank=True, help_text="The threshold the value crossed."
    )
    explanation = models.TextField()
    evidence = models.JSONField(default=dict, blank=True)
    fingerprint = models.CharField(
        max_length=255,
        db_index=True,
        help_text="Rule, programme, nation and sorted counterparts: one live flag each.",
    )
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="acknowledged_flags",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    reopens = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reopened_as",
        help_text="The resolved flag this one raises again.",
    )

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        permissions = [
            ("acknowledge_flag", "Can acknowledge a flag with a note"),
            ("run_scan", "Can run a scan, which raises and resolves live flags"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=~Q(status="resolved"),
                name="flag_one_live_per_fingerprint",
            ),
            models.CheckConstraint(
                condition=Q(status="resolved", resolved_at__isnull=False)
                | (~Q(status="resolved") & Q(resolved_at__isnull=True)),
                name="flag_resolved_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "severity"], name="flag_status_severity"),
            models.Index(fields=["programme", "status"], name="flag_programme_status"),
        ]

    def __str__(self) -> str:
        where = self.programme.code if self.programme is not None else "all programmes"
        return f"{self.rule} · {self.nation.code} · {where} ({self.severity}, {self.status})"

    @property
    def is_live(self) -> bool:
        return self.status != self.Status.RESOLVED


class FlagEvent(models.Model):
    """One transition of a flag, with who made it (None for a scan) and when."""

    class Kind(models.TextChoices):
        RAISED = "raised"
        UPDATED = "updated"
        ACKNOWLEDGED = "acknowledged"
        RESOLVED = "resolved"
        REOPENED = "reopened"

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="flag_events",
    )
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class PendingCondition(models.Model):
    """A condition seen by consecutive scans but not yet raised (``consecutive_scans`` > 1).

    The row goes when the flag is raised or when a scan no longer sees the condition.
    """

    fingerprint = models.CharField(max_length=255, unique=True)
    rule = models.CharField(max_length=40, choices=RULE_CHOICES)
    programme = models.ForeignKey(
        Programme, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    nation = models.ForeignKey(Nation, on_delete=models.CASCADE, related_name="+")
    scans = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["fingerprint"]

    def __str__(self) -> str:
        return f"{self.fingerprint}: seen by {self.scans} scan(s)"


class BalanceSnapshot(models.Model):
    """Every SPEC §2 metric of one nation in one programme, as of one day (trend charts)."""

    class Basis(models.TextChoices):
        RECORDED = "recorded"
        AGREED = "agreed"
        EQUAL = "equal"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="snapshots")
    nation = models.ForeignKey(Nation, on_delete=models.CASCADE, related_name="snapshots")
    taken_on = models.DateField()
    taken_at = models.DateTimeField()
    contributed = models.DecimalField(**MONEY)
    contribution_share = models.DecimalField(**RATIO)
    contribution_basis = models.CharField(max_length=10, choices=Basis.choices)
    work = models.DecimalField(**MONEY)
    workshare_share = models.DecimalField(**RATIO)
    return_coefficient = models.DecimalField(**RATIO, null=True, blank=True)
    leadership_weight = models.PositiveIntegerField()
    leadership_share = models.DecimalField(**RATIO)
    roles_held = models.PositiveIntegerField()
    votes = models.PositiveIntegerField()
    vote_share = models.DecimalField(**RATIO)
    vetoes = models.PositiveIntegerField()
    chairs = models.PositiveIntegerField()
    counted_votes = models.PositiveIntegerField()
    outvoted_votes = models.PositiveIntegerField()
    outvoted_rate = models.DecimalField(**RATIO, null=True, blank=True)
    tt_delivered_weight = models.PositiveIntegerField(
        help_text="Weight of milestones this nation delivered (achieved on or before the day)."
    )
    tt_received_weight = models.PositiveIntegerField(
        help_text="Weight of milestones this nation received (achieved on or before the day)."
    )
    overdue_to_receive = models.PositiveIntegerField()
    blocked_to_receive = models.PositiveIntegerField()
    global_return = models.DecimalField(
        **RATIO,
        null=True,
        blank=True,
        help_text="Global return in the programme's currency, where computable.",
    )

    class Meta:
        ordering = ["-taken_on", "programme__code", "nation__name"]
        get_latest_by = "taken_on"
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "nation", "taken_on"], name="snapshot_one_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme.code}/{self.nation.code} on {self.taken_on}"
