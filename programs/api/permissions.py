"""Who may do what through the API: Django model permissions, granted through the groups of
programs.permissions (``analyst`` writes, ``viewer`` reads). Anonymous requests get 401."""

from rest_framework import permissions

from programs.permissions import ANALYST, VIEWER

#: Analysts acknowledge flags; unrestricted analysts queue scans; viewers may do neither.
ACKNOWLEDGE_PERMISSION = "programs.acknowledge_flag"
SCAN_PERMISSION = "programs.run_scan"


class ModelPermissions(permissions.DjangoModelPermissions):
    """Model permissions, with ``view_<model>`` needed to read (DRF asks nothing for GET)."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def _queryset(self, view):
        """The view's class queryset: only its model is read here, and the view's own
        ``get_queryset()`` (rows released to the user, nested children) costs more to build
        than a cached list page costs to send."""
        queryset = getattr(view, "queryset", None)
        return queryset if queryset is not None else super()._queryset(view)


class CanAcknowledgeFlags(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm(ACKNOWLEDGE_PERMISSION))


class CanScan(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm(SCAN_PERMISSION))


class IsAnalystOrViewer(permissions.BasePermission):
    """Signed in and in one of the two groups (token management, task status)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return user.is_superuser or user.groups.filter(name__in=[ANALYST, VIEWER]).exists()
