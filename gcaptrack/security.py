"""Request facts the security machinery needs (the client's address behind the proxy) and the
authentication backends."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from programs.access import remember_viewer_nation, withheld_permissions


def client_ip(request: HttpRequest) -> str | None:
    """The address login throttling counts failures against.

    nginx appends the address it saw to ``X-Forwarded-For``, so when the request comes from a
    trusted proxy the right-most entry is the client; entries further left were sent by the
    client and could be forged. Anyone else is taken at ``REMOTE_ADDR``.
    """
    remote = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if remote in settings.TRUSTED_PROXY_IPS and forwarded.strip():
        return forwarded.split(",")[-1].strip() or remote
    return remote


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login that comes with a request.

    The login pages (the dashboards' and the admin's) always pass the request. A call without
    one comes from code running on the server (a management command, the shell), where there
    is nobody to throttle: axes would raise, this lets the model backend answer instead.
    """

    def authenticate(self, request: HttpRequest | None, *args, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


class ClearedUserBackend(ModelBackend):
    """Django's model backend, loading a signed-in user together with their clearance.

    Every page asks which nation the user is restricted to (``programs.access.viewer_nation``);
    read in the same query as the user, it costs no query of its own. It is read on every
    request, as the user is, so a changed clearance applies from the user's next request.

    It is also where every permission check (API, admin, dashboards) ends: a user restricted to
    a nation never holds the permissions of ``programs.access.UNRESTRICTED_ONLY`` (editing
    nations, running scans), whichever group grants them.
    """

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        return withheld_permissions(user_obj, super().get_all_permissions(user_obj, obj))

    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("clearance").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        if not self.user_can_authenticate(user):
            return None
        clearance = getattr(user, "clearance", None)  # None: no clearance row, unrestricted
        remember_viewer_nation(user, clearance.nation_id if clearance else None)
        return user
