"""Per-user API tokens: stored as a lookup prefix and a SHA-256 hash, never in clear."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from programs.bounds import validate_day


class ApiToken(models.Model):
    """One named API key of a user.

    The key is shown once, when it is issued (programs.api.tokens.issue_token); the database
    keeps only its public ``prefix`` (to find the row) and the SHA-256 of the whole key. Keys are
    32 random bytes, so a fast hash is enough: there is nothing to brute-force.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'BI export'.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True, validators=[validate_day])
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"

    def clean(self) -> None:
        """The expiry constraint, as a message on the field (not the constraint's name)."""
        if self.expires_at and self.created_at and self.expires_at <= self.created_at:
            raise ValidationError(
                {"expires_at": "Choose a time in the future: the token would expire already."}
            )
