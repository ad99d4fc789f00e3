from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from programs.models.nations import Nation


class Clearance(models.Model):
    """The nation a user works for, which limits what they see (national caveats).

    A user with no clearance, or a clearance with no nation, is unrestricted; a user whose
    clearance names a nation sees only records releasable to that nation, on every path.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clearance"
    )
    nation = models.ForeignKey(
        Nation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cleared_users",
        help_text="Leave empty for an unrestricted user.",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "clearance"

    def __str__(self) -> str:
        return f"{self.user} — {self.nation.code if self.nation is not None else 'unrestricted'}"
