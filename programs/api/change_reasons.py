"""A change reason with every API write: an ``X-Change-Reason`` header or a ``change_reason``
field in the body (the header wins when both are sent).

Required for the records that move the balance (``programs.change_reasons``): a create,
update or delete without it answers 400 naming ``change_reason`` and writes nothing. The write
then runs inside ``change_reason``, so every historical row it writes (nested seats and votes
included) keeps the reason.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from programs.change_reasons import FIELD, HEADER, change_reason, reason_error


def requested_reason(request: Request) -> str:
    """The reason sent with the request: the header, else the body's field."""
    header = request.headers.get(HEADER, "")
    if header.strip():
        return header
    data = request.data
    if isinstance(data, Mapping):
        value = data.get(FIELD)
        if isinstance(value, str):
            return value
    return ""


if TYPE_CHECKING:  # what the mixin is mixed into
    from rest_framework.viewsets import ModelViewSet

    _ModelViewSet = ModelViewSet[Any]
else:
    _ModelViewSet = object


class ChangeReasonMixin(_ModelViewSet):
    """Creates, updates and deletes of a tracked resource take a change reason."""

    #: Read by programs.api.schema to document the header and the 400 on DELETE.
    takes_change_reason = True

    def _with_reason(self, request: Request, write: Any, *args: Any, **kwargs: Any) -> Any:
        reason = requested_reason(request)
        queryset = type(self).queryset  # the class's: its records' model
        if queryset is None:  # every tracked resource names its records
            raise ImproperlyConfigured(f"{type(self).__name__} has no queryset")
        error = reason_error(queryset.model, reason)
        if error:
            raise ValidationError({FIELD: [error]})
        with change_reason(reason):
            return write(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return self._with_reason(request, super().create, *args, **kwargs)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return self._with_reason(request, super().update, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return self._with_reason(request, super().destroy, *args, **kwargs)
