"""JSON shapes of the API resources, with natural keys (SPEC §4) instead of database ids.

Validation lives in the models (``clean()`` and Meta constraints, shared with the admin): every
serializer builds the record it is about to write and calls ``full_clean()`` on it, turning
Django's ValidationError into a 400 with a message per field. Nested children (seats, votes,
ownership stakes) are cleaned one by one as they are written, inside the request's transaction,
so an invalid child rolls the whole request back.
"""

import copy
import dataclasses
import datetime
import typing
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import timezone
from rest_framework import serializers
from rest_framework.settings import api_settings
from rest_framework.validators import UniqueValidator

from programs.access import (
    RELEASE_PATHS,
    audit_taken_key,
    is_restricted,
    releasable_nations_error,
    released,
    validation_errors_by_field,
)
from programs.api.change_reasons import ChangeReasonSerializerMixin
from programs.balance.global_returns import GlobalReturn
from programs.balance.programme_balance import NationBalance, PairBalance, ProgrammeBalance
from programs.balance.ties import BlocTie
from programs.bounds import validate_day
from programs.dashboards.exports import PROGRAMME_SECTIONS
from programs.flags.serializers import FlagSerializer
from programs.models import (
    Agreement,
    ApiToken,
    Contribution,
    Decision,
    DecisionBody,
    LeadershipRole,
    Nation,
    Organisation,
    OwnershipStake,
    Participation,
    Programme,
    Seat,
    TechTransferMilestone,
    Vote,
    WorkPackage,
    WorkshareAllocation,
)
from programs.models.nations import agreement_nations_error, stake_total_error
from programs.models.programmes import currency_validator

PROVENANCE = ["source", "confidence"]
#: Provenance and the releasability marking of a tracked resource.
MARKED = [*PROVENANCE, "releasable_to"]
NOT_RELEASABLE_TO_YOU = (
    "The record would not be releasable to your nation: add your nation to releasable_to."
)


def drf_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """Django's errors keyed as DRF keys them (``__all__`` becomes ``non_field_errors``)."""
    if not hasattr(error, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: list(error.messages)}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): list(messages)
        for field, messages in error.message_dict.items()
    }


def request_user(serializer: serializers.Field):
    """The user of the request the serializer (or field) works for, or None outside one."""
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class NaturalKeyField(serializers.SlugRelatedField):
    """A reference by natural key (a nation's code, an organisation's name...).

    Only records the requesting user may see are found: naming a record hidden from them fails
    exactly like naming one that does not exist.
    """

    def get_queryset(self):
        return released(super().get_queryset(), request_user(self))

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)


def nation_field(**kwargs) -> NaturalKeyField:
    return NaturalKeyField(slug_field="code", queryset=Nation.objects.all(), **kwargs)


def programme_field(**kwargs) -> NaturalKeyField:
    return NaturalKeyField(slug_field="code", queryset=Programme.objects.all(), **kwargs)


def organisation_field(**kwargs) -> NaturalKeyField:
    return NaturalKeyField(slug_field="name", queryset=Organisation.objects.all(), **kwargs)


@dataclass(frozen=True)
class Nested:
    """Children written with their parent, replaced as a set when the field is given.

    ``key`` is the child's natural key within its parent; children whose key is not in the
    payload are deleted, the others updated (only when something changed) or created, in the
    order ``order`` gives so that cross-row checks (one chair, stakes <= 100 %) pass on the way.
    """

    related_name: str
    parent_field: str
    key: str
    # Each nested set's own functions take its own model (Any: Callable is contravariant).
    order: Callable[[dict, Any], Any] = lambda row, existing: 0
    check_set: Callable[[Any, list[dict]], str | None] = lambda parent, rows: None

    def write(self, parent: models.Model, rows: list[dict], user=None) -> None:
        """Write the rows; children hidden from ``user`` are neither shown nor touched."""
        manager = getattr(parent, self.related_name)
        existing = {
            getattr(child, f"{self.key}_id"): child for child in released(manager.all(), user)
        }
        wanted = {row[self.key].pk for row in rows}
        for key, child in existing.items():
            if key not in wanted:
                child.delete()
        plan = sorted(
            enumerate(rows),
            key=lambda item: self.order(item[1], existing.get(item[1][self.key].pk)),
        )
        for index, row in plan:
            child = existing.get(row[self.key].pk)
            if child is None:
                child = manager.model(**{self.parent_field: parent})
            elif all(getattr(child, name) == value for name, value in row.items()):
                continue
            for name, value in row.items():
                setattr(child, name, value)
            try:
                child.full_clean()
            except DjangoValidationError as error:
                audit_taken_key(user, manager.model, validation_errors_by_field(error))
                raise serializers.ValidationError(
                    {self.related_name: self._at(index, len(rows), drf_errors(error))}
                ) from None
            child.save()
        message = self.check_set(parent, rows)
        if message:
            raise serializers.ValidationError({self.related_name: [message]})

    @staticmethod
    def _at(index: int, count: int, errors: dict) -> list[dict]:
        return [errors if position == index else {} for position in range(count)]


class TrackedSerializer(ChangeReasonSerializerMixin, serializers.ModelSerializer):
    """A record validated by its model's ``full_clean()`` before anything is written, with the
    write's change reason (``programs.api.change_reasons``)."""

    nested: ClassVar[dict[str, Nested]] = {}

    class Meta:
        validators: ClassVar[list] = []

    def build_standard_field(self, field_name: str, model_field: models.Field) -> tuple:
        """DRF's field without its ``UniqueValidator``: a taken key is refused by the model's
        ``validate_unique()``, with the one message that names no holder (README, Security)."""
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        kwargs["validators"] = [
            validator
            for validator in kwargs.get("validators", [])
            if not isinstance(validator, UniqueValidator)
        ]
        return field_class, kwargs

    def resolve(self, attrs: dict) -> dict:
        """Turn composite natural keys (e.g. programme + work package code) into records."""
        return attrs

    def check_relations(self, instance: Any, attrs: dict) -> None:
        """Invariants on many-to-many fields, which full_clean() cannot see."""

    def validate(self, attrs: dict) -> dict:
        attrs = self.resolve(attrs)
        for name, spec in self.nested.items():
            keys = [row[spec.key].pk for row in attrs.get(name, [])]
            if len(keys) != len(set(keys)):
                raise serializers.ValidationError(
                    {name: [f"Each {spec.key} may appear only once."]}
                )
        instance = self._build(attrs)
        try:
            instance.full_clean()
        except DjangoValidationError as error:
            audit_taken_key(request_user(self), type(instance), validation_errors_by_field(error))
            raise serializers.ValidationError(drf_errors(error)) from None
        if "releasable_to" in attrs:
            nation_ids = {nation.pk for nation in attrs["releasable_to"]}
            message = releasable_nations_error(request_user(self), nation_ids, instance)
            if message:
                raise serializers.ValidationError({"releasable_to": [message]})
        self.check_relations(instance, attrs)
        return attrs

    def _concrete(self) -> set[str]:
        return {field.name for field in self.Meta.model._meta.concrete_fields}

    def _build(self, attrs: dict) -> models.Model:
        instance = copy.copy(self.instance) if self.instance is not None else self.Meta.model()
        concrete = self._concrete()
        for name, value in attrs.items():
            if name in concrete:
                setattr(instance, name, value)
        return instance

    def _save(self, instance: models.Model, validated_data: dict) -> models.Model:
        concrete = self._concrete()
        for name, value in validated_data.items():
            if name in concrete:
                setattr(instance, name, value)
        instance.save()
        for field in self.Meta.model._meta.many_to_many:
            if field.name in validated_data:
                kept = self._hidden_related(instance, field)
                getattr(instance, field.name).set([*validated_data[field.name], *kept])
        for name, spec in self.nested.items():
            if name in validated_data:
                spec.write(instance, validated_data[name], request_user(self))
        return instance

    def _hidden_related(self, instance: models.Model, field: models.Field) -> list:
        """Related records hidden from the user: a write replaces only what they can see."""
        user = request_user(self)
        if field.related_model not in RELEASE_PATHS or not is_restricted(user):
            return []
        current = getattr(instance, field.name).all()
        visible = released(field.related_model._default_manager.all(), user).values("pk")
        return list(current.exclude(pk__in=visible))

    def create(self, validated_data: dict) -> models.Model:
        return self._save(self.Meta.model(), validated_data)

    def update(self, instance: models.Model, validated_data: dict) -> models.Model:
        return self._save(instance, validated_data)


class MarkedSerializer(TrackedSerializer):
    """A tracked resource with its releasability marking (``releasable_to``)."""

    releasable_to = nation_field(
        many=True,
        required=False,
        help_text="Codes of the nations this record may be shown to; empty for the default "
        "(the participants of its programme, every nation outside a programme). A user "
        "restricted to a nation must keep it in the list.",
    )


class NationSerializer(TrackedSerializer):
    class Meta(TrackedSerializer.Meta):
        model = Nation
        fields = ["code", "name", *PROVENANCE]


class OwnershipStakeSerializer(serializers.ModelSerializer):
    owner = organisation_field()

    class Meta:
        model = OwnershipStake
        fields = ["owner", "percent", *PROVENANCE]
        validators: ClassVar[list] = []


def _stake_order(row: dict, existing: OwnershipStake | None) -> Decimal:
    """Lower stakes first, so that the running total never passes 100 % on the way."""
    return row["percent"] - (existing.percent if existing else Decimal("0"))


def _stakes_total(venture: Organisation, rows: list[dict]) -> str | None:
    if not rows:
        return None
    return stake_total_error(venture.name, sum((row["percent"] for row in rows), Decimal("0")))


class OrganisationSerializer(MarkedSerializer):
    nation = nation_field(allow_null=True, required=False)
    stakes = OwnershipStakeSerializer(
        many=True,
        required=False,
        help_text="Owners of a joint venture; when given, replaces them all and must sum to 100.",
    )
    nested = {
        "stakes": Nested("stakes", "venture", "owner", order=_stake_order, check_set=_stakes_total)
    }

    class Meta(TrackedSerializer.Meta):
        model = Organisation
        fields = ["id", "name", "short_name", "nation", "kind", "stakes", *MARKED]


class ProgrammeSerializer(MarkedSerializer):
    predecessors = programme_field(many=True, required=False)

    class Meta(TrackedSerializer.Meta):
        model = Programme
        fields = [
            "code",
            "name",
            "status",
            "currency",
            "started_on",
            "ended_on",
            "predecessors",
            *MARKED,
        ]

    def check_relations(self, instance: Programme, attrs: dict) -> None:
        if any(
            other.code == instance.code or (instance.pk and other.pk == instance.pk)
            for other in attrs.get("predecessors", [])
        ):
            raise serializers.ValidationError(
                {"predecessors": ["A programme cannot be its own predecessor."]}
            )


class ParticipationSerializer(MarkedSerializer):
    programme = programme_field()
    nation = nation_field()

    class Meta(TrackedSerializer.Meta):
        model = Participation
        fields = [
            "id",
            "programme",
            "nation",
            "role",
            "agreed_share",
            "joined_on",
            "left_on",
            *MARKED,
        ]


class ContributionSerializer(MarkedSerializer):
    programme = programme_field()
    nation = nation_field()

    class Meta(TrackedSerializer.Meta):
        model = Contribution
        fields = [
            "id",
            "programme",
            "nation",
            "period_start",
            "period_end",
            "amount",
            *MARKED,
        ]


class WorkPackageSerializer(MarkedSerializer):
    programme = programme_field()
    lead_organisation = organisation_field(allow_null=True, required=False)

    class Meta(TrackedSerializer.Meta):
        model = WorkPackage
        fields = ["id", "programme", "code", "name", "domain", "lead_organisation", *MARKED]


def _resolve_within_programme(
    attrs: dict,
    instance: models.Model | None,
    field: str,
    model: type[models.Model],
    key: str,
    user=None,
) -> dict:
    """Replace ``attrs[field] = {"programme": P, key: value}`` by the record it names.

    A record hidden from ``user`` is reported missing, like one that does not exist.
    """
    given = attrs.pop(field, None)
    if given is None:
        return attrs
    current = getattr(instance, field) if instance is not None else None
    programme = given.get("programme") or (current.programme if current else None)
    value = given.get(key) if key in given else (getattr(current, key) if current else None)
    if programme is None or value is None:
        missing = "programme" if programme is None else field
        raise serializers.ValidationError({missing: ["This field is required."]})
    found = released(
        model._default_manager.filter(programme=programme, **{key: value}), user
    ).first()
    if found is None:
        raise serializers.ValidationError(
            {field: [f"{programme.code} has no {model._meta.verbose_name} {value!r}."]}
        )
    attrs[field] = found
    return attrs


class WorkshareSerializer(MarkedSerializer):
    programme = programme_field(source="work_package.programme")
    work_package = serializers.CharField(
        source="work_package.code", max_length=40, help_text="Work package code in the programme."
    )
    organisation = organisation_field()

    class Meta(TrackedSerializer.Meta):
        model = WorkshareAllocation
        fields = [
            "id",
            "programme",
            "work_package",
            "organisation",
            "amount",
            "period_start",
            "period_end",
            *MARKED,
        ]

    def resolve(self, attrs: dict) -> dict:
        return _resolve_within_programme(
            attrs, self.instance, "work_package", WorkPackage, "code", request_user(self)
        )


class SeatSerializer(serializers.ModelSerializer):
    nation = nation_field()

    class Meta:
        model = Seat
        fields = ["nation", "votes", "veto", "chair", *PROVENANCE]
        validators: ClassVar[list] = []


class DecisionBodySerializer(MarkedSerializer):
    programme = programme_field()
    seats = SeatSerializer(
        many=True, required=False, help_text="When given, replaces the body's seats."
    )
    nested = {
        "seats": Nested(
            "seats", "body", "nation", order=lambda row, existing: bool(row.get("chair"))
        )
    }

    class Meta(TrackedSerializer.Meta):
        model = DecisionBody
        fields = ["id", "programme", "name", "level", "voting_rule", "seats", *MARKED]

    def validate_seats(self, rows: list[dict]) -> list[dict]:
        if sum(1 for row in rows if row.get("chair")) > 1:
            raise serializers.ValidationError("A body has at most one chair.")
        return rows


class LeadershipRoleSerializer(MarkedSerializer):
    programme = programme_field()
    nation = nation_field()
    organisation = organisation_field(allow_null=True, required=False)

    class Meta(TrackedSerializer.Meta):
        model = LeadershipRole
        fields = [
            "id",
            "programme",
            "title",
            "domain",
            "weight",
            "nation",
            "organisation",
            "started_on",
            "ended_on",
            *MARKED,
        ]


class VoteSerializer(serializers.ModelSerializer):
    nation = nation_field()

    class Meta:
        model = Vote
        fields = ["nation", "position", *PROVENANCE]
        validators: ClassVar[list] = []


class DecisionSerializer(MarkedSerializer):
    programme = programme_field(source="body.programme")
    body = serializers.CharField(
        source="body.name", max_length=200, help_text="Name of the decision body in the programme."
    )
    proposer = nation_field(allow_null=True, required=False)
    votes = VoteSerializer(
        many=True, required=False, help_text="When given, replaces the decision's votes."
    )
    nested = {"votes": Nested("votes", "decision", "nation")}

    class Meta(TrackedSerializer.Meta):
        model = Decision
        fields = [
            "id",
            "programme",
            "body",
            "title",
            "decided_on",
            "outcome",
            "proposer",
            "votes",
            *MARKED,
        ]

    def resolve(self, attrs: dict) -> dict:
        return _resolve_within_programme(
            attrs, self.instance, "body", DecisionBody, "name", request_user(self)
        )


class TechTransferSerializer(MarkedSerializer):
    programme = programme_field()
    provider = organisation_field()
    recipient = organisation_field()
    provider_nation = serializers.CharField(
        source="provider.nation.code", read_only=True, allow_null=True
    )
    recipient_nation = serializers.CharField(
        source="recipient.nation.code", read_only=True, allow_null=True
    )

    class Meta(TrackedSerializer.Meta):
        model = TechTransferMilestone
        fields = [
            "id",
            "programme",
            "title",
            "technology_area",
            "provider",
            "provider_nation",
            "recipient",
            "recipient_nation",
            "planned_on",
            "achieved_on",
            "status",
            "access_level",
            "export_control",
            "weight",
            *MARKED,
        ]


class AgreementSerializer(MarkedSerializer):
    nations = nation_field(many=True)

    class Meta(TrackedSerializer.Meta):
        model = Agreement
        fields = ["id", "name", "kind", "nations", "signed_on", "ended_on", *MARKED]

    def check_relations(self, instance: Agreement, attrs: dict) -> None:
        if "nations" not in attrs:
            return
        message = agreement_nations_error(len(set(attrs["nations"])))
        if message:
            raise serializers.ValidationError({"nations": [message]})


class AcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(
        allow_blank=False, max_length=5000, help_text="Why the imbalance is known and accepted."
    )


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at", "revoked_at"]


class IssuedApiTokenSerializer(ApiTokenSerializer):
    key = serializers.CharField(
        read_only=True, help_text="The secret key: shown only in this response, never again."
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
        read_only_fields = [*ApiTokenSerializer.Meta.read_only_fields, "key"]


class TaskSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.ChoiceField(
        choices=["PENDING", "RECEIVED", "STARTED", "RETRY", "SUCCESS", "FAILURE", "REVOKED"]
    )
    ready = serializers.BooleanField()
    result = serializers.JSONField(
        allow_null=True, help_text="The task's result once it succeeded."
    )
    error = serializers.CharField(allow_null=True, help_text="The error once it failed.")


class TaskQueuedSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    status_url = serializers.CharField()


def _field_for(annotation: Any) -> serializers.Field:
    """A read-only serializer field for a metrics dataclass attribute's type."""
    args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    nullable = type(None) in typing.get_args(annotation)
    base = args[0] if nullable and len(args) == 1 else annotation
    origin = typing.get_origin(base)
    kwargs = {"read_only": True, "allow_null": nullable} if nullable else {"read_only": True}
    if origin is list:
        (item,) = typing.get_args(base)
        if isinstance(item, type) and dataclasses.is_dataclass(item):
            return dataclass_serializer(item, f"{item.__name__}Serializer")(many=True, **kwargs)
        return serializers.ListField(child=serializers.CharField(), **kwargs)
    if origin is dict:
        return serializers.DictField(child=serializers.IntegerField(), **kwargs)
    mapping: dict[Any, Callable[..., serializers.Field]] = {
        Decimal: lambda **kw: serializers.DecimalField(None, None, **kw),
        bool: serializers.BooleanField,
        int: serializers.IntegerField,
        str: serializers.CharField,
        datetime.date: serializers.DateField,
    }
    return mapping[base](**kwargs)


def dataclass_serializer(dataclass_type: type, name: str) -> type[serializers.Serializer]:
    """A read-only serializer with one field per attribute of a metrics dataclass."""
    hints = typing.get_type_hints(dataclass_type)
    fields = {
        item.name: _field_for(hints[item.name])
        for item in dataclasses.fields(dataclass_type)
        if not item.name.startswith("_")
    }
    return type(name, (serializers.Serializer,), fields)


NationBalanceSerializer = dataclass_serializer(NationBalance, "NationBalanceSerializer")
PairBalanceSerializer = dataclass_serializer(PairBalance, "PairBalanceSerializer")
BlocTieSerializer = dataclass_serializer(BlocTie, "BlocTieSerializer")
_ReportTotals = dataclass_serializer(ProgrammeBalance, "_ReportTotals")


# A base class built at import from the dataclass, which mypy cannot follow.
class BalanceReportSerializer(_ReportTotals):  # type: ignore[valid-type, misc]
    nations = NationBalanceSerializer(many=True, read_only=True)
    pairs = PairBalanceSerializer(many=True, read_only=True)
    bloc_ties = BlocTieSerializer(
        many=True,
        read_only=True,
        help_text="For each active nation and each pair a, b of other active nations: the "
        "pair's tie index, the nation's with a and with b, and the ratio bloc_sidelining reads "
        "(the pair's index / the larger of the nation's two; null when the nation has no tie "
        "to either) next to the programme's tie_ratio, its recovery threshold and strong_tie; "
        "state is 'raise', 'hold' (between recovery and tie_ratio) or null.",
    )
    computed_at = serializers.DateTimeField(
        read_only=True, help_text="When these metrics were computed (now)."
    )
    last_scan_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When a scan last looked at the programme (latest flag sighting or snapshot); "
        "the open flags reflect that scan. Null when never scanned.",
    )
    open_flags = FlagSerializer(
        many=True, read_only=True, help_text="Open and acknowledged flags of the programme."
    )


#: The balance report's own tables (``?format=csv&section=``; the XLSX's sheets).
REPORT_SECTIONS = ("nations", "pairs", "bloc_ties", "open_flags")


class BalanceQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(
        required=False,
        validators=[validate_day],
        help_text="Compute the metrics as of this day (default today).",
    )
    section = serializers.ChoiceField(
        choices=[*REPORT_SECTIONS, *PROGRAMME_SECTIONS],
        required=False,
        help_text="For ?format=csv: which table to return (default `nations`); for "
        "?format=xlsx: one sheet of that table (without it, a sheet for each of the report's "
        "nations, pairs, bloc_ties and open_flags). The report's own tables: `nations`, "
        "`pairs`, `bloc_ties` (every nation against every bloc of two others), `open_flags`. "
        "The programme page's other tables, with the rows the page shows: "
        + "; ".join(f"`{name}`: {what}" for name, what in PROGRAMME_SECTIONS.items())
        + ". The page lists only blocs with a strong tie: its Download link asks for "
        "`strong_bloc_ties`.",
    )


#: Why a scan through the API or the dashboards is for today only.
PAST_SCAN_REFUSED = (
    "A scan raises and resolves the live flags, so it is for today only. To see the flags of "
    "a past day without changing them, use a what-if; an operator can scan a past day with "
    "`manage.py scan --as-of`."
)


GlobalReturnSerializer = dataclass_serializer(GlobalReturn, "GlobalReturnSerializer")


class GlobalReturnsSerializer(serializers.Serializer):
    as_of = serializers.DateField(read_only=True)
    results = GlobalReturnSerializer(many=True, read_only=True)


class GlobalReturnsQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(
        required=False,
        validators=[validate_day],
        help_text="Compute the global returns as of this day (default today).",
    )
    currency = serializers.CharField(
        required=False,
        validators=[currency_validator],
        help_text="Only the programmes of this currency (ISO 4217, e.g. EUR).",
    )


class ScanRequestSerializer(serializers.Serializer):
    as_of = serializers.DateField(
        required=False,
        allow_null=True,
        validators=[validate_day],
        help_text="Today (the default); a past or future day is refused: see what-if.",
    )

    def validate_as_of(self, day: datetime.date | None) -> datetime.date | None:
        if day is not None and day != timezone.localdate():
            raise serializers.ValidationError(PAST_SCAN_REFUSED)
        return day
