"""Scans asked for on change that could not be queued (the broker was unreachable).

A change commits whether or not Redis answers; when the on-change scan cannot be sent, the
programme is written here instead, and ``programs.requeue_missed_scans`` (a periodic task) sends
it once the broker is back. The periodic scan of every programme also covers, and clears, them.
"""

from django.db import models

from programs.models.programmes import Programme


class MissedScan(models.Model):
    programme = models.OneToOneField(Programme, on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField(help_text="The latest change whose scan was not queued.")

    class Meta:
        verbose_name = "missed on-change scan"

    def __str__(self) -> str:
        return (
            f"scan of programme {self.programme_id} missed at {self.requested_at:%Y-%m-%d %H:%M:%S}"
        )
