"""Admin of scenario loads: a read-only journal of the scenario files loaded.

A load's counts (records created, updated, unchanged) cover every record the file touched,
including records hidden from a user restricted to a nation; such a user sees only the loads
they ran themselves, and the "loaded by" filter offers only who loaded what the list shows.
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from programs.access import is_restricted
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
    list_filter = (("loaded_by", admin.RelatedOnlyFieldListFilter),)
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

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        loads = super().get_queryset(request)
        if is_restricted(request.user):
            return loads.filter(loaded_by=request.user)
        return loads
