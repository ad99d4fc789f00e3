"""Users with their clearance (the nation they are restricted to), and the clearances alone.

Only superusers manage users and clearances (Django's model permissions: nobody else is given
them). A clearance with no nation, or no clearance at all, leaves the user unrestricted.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from programs.models import Clearance

User = get_user_model()


class ClearanceInline(admin.StackedInline):
    model = Clearance
    fields = ("nation",)
    autocomplete_fields = ("nation",)
    can_delete = True
    extra = 0
    max_num = 1
    verbose_name_plural = "clearance (leave empty for an unrestricted user)"


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = (*DjangoUserAdmin.inlines, ClearanceInline)
    # django-stubs types list_display per instance; the class's own tuple is what is extended.
    list_display = (*DjangoUserAdmin.list_display, "cleared_for")  # type: ignore[misc]
    list_filter = (*DjangoUserAdmin.list_filter, "clearance__nation")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("clearance__nation")

    @admin.display(description="restricted to", ordering="clearance__nation__code")
    def cleared_for(self, user) -> str:
        clearance = getattr(user, "clearance", None)
        if clearance is None or clearance.nation is None:
            return "-"
        return clearance.nation.code


@admin.register(Clearance)
class ClearanceAdmin(SimpleHistoryAdmin):
    list_display = ("user", "nation")
    list_filter = ("nation",)
    list_select_related = ("user", "nation")
    search_fields = ("user__username", "nation__code", "nation__name")
    autocomplete_fields = ("user", "nation")
