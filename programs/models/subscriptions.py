"""Analysts following the flags they care about (issue 22): what they follow and how they
hear of it. The matching and sending live in ``programs.subscriptions``."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from programs.models.flags import Flag, FlagEvent
from programs.models.nations import Nation
from programs.models.programmes import Programme

#: Severities from least to most severe, for "this severity or worse".
SEVERITY_ORDER: list[str] = [Flag.Severity.INFO, Flag.Severity.WARNING, Flag.Severity.CRITICAL]


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class Subscription(models.Model):
    """A user's interest in some flags: those of a programme, a flagged nation and a rule (each
    optional), at a minimum severity, or ``everything``; mailed as they happen or in a daily
    digest, and readable as an Atom feed at a secret URL."""

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", "An e-mail per event"
        DAILY = "daily", "A daily digest"
        NONE = "none", "No e-mail (feed only)"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flag_subscriptions"
    )
    name = models.CharField(max_length=100, blank=True)
    everything = models.BooleanField(
        default=False, help_text="Every flag you may see, whatever its programme, nation, rule."
    )
    programme = models.ForeignKey(
        Programme, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    nation = models.ForeignKey(
        Nation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The nation flags are raised for.",
    )
    rule = models.CharField(max_length=40, blank=True)
    min_severity = models.CharField(
        max_length=8, choices=Flag.Severity.choices, default=Flag.Severity.WARNING
    )
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    feed_token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(everything=False)
                | models.Q(programme__isnull=True, nation__isnull=True, rule=""),
                name="subscription_everything_has_no_filter",
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"Subscription {self.pk}"

    def clean(self) -> None:
        if self.everything and (self.programme_id or self.nation_id or self.rule):
            raise ValidationError(
                {"everything": "“Everything” takes no programme, nation or rule."}
            )
        if not self.everything and not (self.programme_id or self.nation_id or self.rule):
            raise ValidationError(
                {"everything": "Pick a programme, a nation or a rule, or follow everything."}
            )

    @property
    def severities(self) -> list[str]:
        """The severities it follows: its minimum and worse."""
        return SEVERITY_ORDER[SEVERITY_ORDER.index(self.min_severity) :]


class SubscriptionNotice(models.Model):
    """A flag event sent to a subscription (mail or digest): each is sent once."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(FlagEvent, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="subscription_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"event {self.event_id} sent to subscription {self.subscription_id}"


def new_webhook_secret() -> str:
    return secrets.token_hex(32)


class Webhook(models.Model):
    """An endpoint that receives a subscription's flag events as signed JSON (analysts only,
    to hosts the operator allows: ``programs.webhooks``)."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=500)
    secret = models.CharField(
        max_length=64,
        default=new_webhook_secret,
        help_text="Signs every delivery (HMAC-SHA256); the receiver checks it with this secret.",
    )
    active = models.BooleanField(default=True)
    #: Failed attempts in a row; reset by a delivered event.
    failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One attempt to deliver an event to a webhook, with what the receiver answered."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(FlagEvent, on_delete=models.CASCADE, related_name="+")
    attempt = models.PositiveIntegerField()
    at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    delivered = models.BooleanField(default=False)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        outcome = self.status_code or self.error or "no answer"
        return (
            f"event {self.event_id} to webhook {self.webhook_id}, attempt {self.attempt}: {outcome}"
        )


def new_view_token() -> str:
    return secrets.token_urlsafe(12)


class SavedFlagView(models.Model):
    """A named set of the flags page's filters, kept by its owner and shareable by its link
    (whoever opens it sees the flags they may see under those filters)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_flag_views"
    )
    name = models.CharField(max_length=100)
    #: The flags page's query string (its filters), without the page number.
    query = models.CharField(max_length=1000, blank=True)
    token = models.CharField(max_length=32, unique=True, default=new_view_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_flag_view_name_per_user")
        ]

    def __str__(self) -> str:
        return self.name
