"""Admin of failed scans (``ScanError``): for operators, read-only.

Only users with the model's view permission (superusers, unless an operator grants it) who are
not restricted to a nation see them: a reason can quote any programme's data.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from programs.access import is_restricted
from programs.admin.base import ReadOnlyAdminMixin
from programs.models import ScanError


@admin.register(ScanError)
class ScanErrorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("occurred_at", "programme_code", "as_of", "reason")
    list_filter = ("programme_code", "occurred_at")
    search_fields = ("programme_code", "reason")
    date_hierarchy = "occurred_at"
    show_full_result_count = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not is_restricted(request.user) and super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        return [field.name for field in self.model._meta.fields]
