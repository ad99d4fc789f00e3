"""The admin site: Django's, with the "Recent actions" log narrowed by releasability.

Installed in place of ``django.contrib.admin`` (``INSTALLED_APPS``), whose ``default_site`` it
names, so ``admin.site`` and every ``@admin.register`` use it. Kept out of ``programs.admin``,
which imports models and cannot be imported while the app registry is being filled.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db.models import QuerySet
from django.http import HttpRequest


class ReleasedAdminSite(admin.AdminSite):
    def get_log_entries(self, request: HttpRequest) -> QuerySet:
        """The admin log, less entries of records hidden from the user (whose text, written
        when the record was visible to them, may describe what it has become since)."""
        from programs.access import released_log_entries

        return released_log_entries(super().get_log_entries(request), request.user)


class GCAPtrackAdminConfig(AdminConfig):
    default_site = "gcaptrack.admin_site.ReleasedAdminSite"
