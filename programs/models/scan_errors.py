"""Scans that failed: which programme, as of which day, and why.

A scan of every programme goes on past one that fails (``programs.balance.scan.scan_all``); the
failure is kept here for operators (admin → Scan errors), logged and mailed to ``ADMINS``.
"""

from django.db import models
from django.utils import timezone

from programs.models.programmes import Programme


class ScanError(models.Model):
    #: Null for the cross-programme rules, or once the programme is deleted.
    programme = models.ForeignKey(
        Programme, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: The programme's code at the time, kept if the programme is deleted.
    programme_code = models.CharField(max_length=40, blank=True)
    as_of = models.DateField()
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    #: One line: the kind of error and its message.
    reason = models.TextField()
    #: The traceback, for whoever fixes it.
    details = models.TextField(blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        where = self.programme_code or "the cross-programme rules"
        return f"scan of {where} as of {self.as_of} failed: {self.reason}"
