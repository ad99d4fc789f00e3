"""A change reason with every API write: an ``X-Change-Reason`` header or a ``change_reason``
field in the body (the header wins when both are sent).

The reason is validated with the write's other input, by its serializer
(:class:`ChangeReasonSerializerMixin`): a reason that is missing where one is required
(``programs.change_reasons``), or too long, is one more error in the 400 that names every bad
field, so an analyst fixes them all in one round; nothing is written. A DELETE, whose only input
is its reason, is validated the same way (:class:`DeletionReasonSerializer`). The write then
runs inside ``change_reason``, so every historical row it writes (nested seats and votes
included) keeps the reason.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.fields import empty
from rest_framework.request import Request

from programs.change_reasons import (
    FIELD,
    HEADER,
    REASON_MAX_LENGTH,
    change_reason,
    clean_reason,
    reason_required,
    required_message,
    too_long_message,
)


class ChangeReasonField(serializers.CharField):
    """The reason: the ``X-Change-Reason`` header when sent, else the body's field.

    Optional in the body, since the header may carry it; whether a write needs a reason at all is
    the serializer's question (:class:`ChangeReasonSerializerMixin`).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            write_only=True,
            required=False,
            allow_blank=True,
            max_length=REASON_MAX_LENGTH,
            error_messages={"max_length": too_long_message()},
            help_text="Why the record changes, kept in its history; or send the "
            f"`{HEADER}` header, which says where a reason is required.",
            **kwargs,
        )

    def get_value(self, dictionary: Any) -> Any:
        request = self.context.get("request")
        header = request.headers.get(HEADER, "") if request is not None else ""
        if header.strip():
            return header
        return super().get_value(dictionary)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


if TYPE_CHECKING:  # what the mixin is mixed into
    _Serializer = serializers.Serializer
else:
    _Serializer = object


class ChangeReasonSerializerMixin(_Serializer):
    """A write that carries a change reason: validated with every other field, kept apart from
    the record (``validated_reason``) and given to every historical row ``save()`` writes.

    A missing reason where one is required joins the errors of the fields and of the record's
    own checks (``validate()``), so the 400 names them all together.
    """

    validated_reason = ""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields[FIELD] = ChangeReasonField()
        return fields

    def models_written(self, data: Mapping) -> list[type[Model]]:
        """The record's model and those of the nested children the write replaces (a body's
        seats): a reason is required when one of them moves the balance."""
        nested = [
            field.child.Meta.model
            for name, field in self.fields.items()
            if isinstance(field, serializers.ListSerializer)
            and isinstance(field.child, serializers.ModelSerializer)
            and not field.read_only
            and name in data
        ]
        return [self.Meta.model, *nested]  # type: ignore[attr-defined]  # a model serializer's

    def missing_reason(self, data: Any) -> dict[str, list[ErrorDetail]]:
        """``{"change_reason": [message]}`` when the write needs a reason and has none."""
        if not isinstance(data, Mapping):
            return {}  # the body itself is refused, and says so
        if clean_reason(_text(self.fields[FIELD].get_value(data))):
            return {}
        needing = [model for model in self.models_written(data) if reason_required(model)]
        if not needing:
            return {}
        return {FIELD: [ErrorDetail(required_message(needing[0]), code="required")]}

    def run_validation(self, data: Any = empty) -> Any:
        try:
            attrs = super().run_validation(data)
        except serializers.ValidationError as error:
            errors = serializers.as_serializer_error(error)
            if FIELD not in errors:  # a reason sent but refused has its field's own error
                errors.update(self.missing_reason(data))
            raise serializers.ValidationError(errors) from None
        missing = self.missing_reason(data)
        if missing:
            raise serializers.ValidationError(missing)
        self.validated_reason = clean_reason(attrs.pop(FIELD, ""))
        return attrs

    def save(self, **kwargs: Any) -> Any:
        with change_reason(self.validated_reason):
            return super().save(**kwargs)


class DeletionReasonSerializer(ChangeReasonSerializerMixin, serializers.Serializer):
    """A DELETE's input: its reason, for the model named in the context (``model``)."""

    def models_written(self, data: Mapping) -> list[type[Model]]:
        return [self.context["model"]]


if TYPE_CHECKING:  # what the mixin is mixed into
    from rest_framework.viewsets import ModelViewSet

    _ModelViewSet = ModelViewSet[Any]
else:
    _ModelViewSet = object


class ChangeReasonMixin(_ModelViewSet):
    """A tracked resource: its serializer takes the reason of creates and updates
    (``ChangeReasonSerializerMixin``); deletes take it here."""

    #: Read by programs.api.schema to document the header and the 400 on DELETE.
    takes_change_reason = True

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        queryset = type(self).queryset  # the class's: its records' model
        if queryset is None:  # every tracked resource names its records
            raise ImproperlyConfigured(f"{type(self).__name__} has no queryset")
        data = request.data if isinstance(request.data, Mapping) else {}
        context = {**self.get_serializer_context(), "model": queryset.model}
        reason = DeletionReasonSerializer(data=data, context=context)
        reason.is_valid(raise_exception=True)
        with change_reason(reason.validated_reason):
            return super().destroy(request, *args, **kwargs)
