"""Admin of scenario loads: a read-only journal of the scenario files loaded."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from programs.models import ScenarioLoad


@admin.register(ScenarioLoad)
class ScenarioLoadAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
