"""Admin of scenario loads: a read-only journal of the scenario files loaded."""

from django.contrib import admin

from programs.admin.base import ReadOnlyAdminMixin
from programs.models import ScenarioLoad


@admin.register(ScenarioLoad)
class ScenarioLoadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "file_name",
        "as_of",
        "loaded_at",
        "loaded_by",
        "created",
        "updated",
        "unchanged",
    )
    list_filter = ("loaded_by",)
    list_select_related = ("loaded_by",)
    search_fields = ("file_name", "sha256")
    date_hierarchy = "loaded_at"
    readonly_fields = (
        "file_name",
        "format",
        "as_of",
        "sha256",
        "loaded_at",
        "loaded_by",
        "created",
        "updated",
        "unchanged",
    )
