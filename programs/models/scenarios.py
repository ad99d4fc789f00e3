from django.conf import settings
from django.db import models


class ScenarioLoad(models.Model):
    """A record of one scenario file loaded: when, by whom, what it said it was current as of."""

    file_name = models.CharField(max_length=500)
    format = models.CharField(max_length=40)
    as_of = models.DateField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now_add=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-loaded_at"]

    def __str__(self) -> str:
        return f"{self.file_name} at {self.loaded_at:%Y-%m-%d %H:%M}"
