"""Filters of the API lists (django-filter) and an ordering that is always total.

Every list filters by ``programme`` and ``nation`` (codes) where the resource has them, by
``status`` and ``confidence``, and by date ranges as ``<date field>_after`` / ``_before``
(inclusive).
"""

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters
from rest_framework.filters import OrderingFilter

from programs.models import (
    Agreement,
    Confidence,
    Contribution,
    Decision,
    DecisionBody,
    Flag,
    LeadershipRole,
    Nation,
    Organisation,
    Participation,
    Programme,
    TechTransferMilestone,
    WorkPackage,
    WorkshareAllocation,
)


class StableOrderingFilter(OrderingFilter):
    """``?ordering=`` with the primary key appended, so that pages never overlap or skip."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not any(term.lstrip("-") in ("pk", "id") for term in ordering):
            ordering.append("id")
        return ordering


def _code(field_name: str, help_text: str, distinct: bool = False) -> filters.CharFilter:
    """A filter by code; ``distinct`` for codes reached through a to-many relation."""
    return filters.CharFilter(
        field_name=field_name, lookup_expr="iexact", help_text=help_text, distinct=distinct
    )


def _date_range(field_name: str) -> tuple[filters.DateFilter, filters.DateFilter]:
    return (
        filters.DateFilter(
            field_name=field_name, lookup_expr="gte", help_text=f"{field_name} on or after"
        ),
        filters.DateFilter(
            field_name=field_name, lookup_expr="lte", help_text=f"{field_name} on or before"
        ),
    )


def _confidence() -> filters.ChoiceFilter:
    return filters.ChoiceFilter(choices=Confidence.choices, help_text="Provenance confidence")


class NationFilter(filters.FilterSet):
    programme = _code(
        "participations__programme__code", "Nations taking part in the programme", distinct=True
    )
    code = _code("code", "Nation code")
    confidence = _confidence()

    class Meta:
        model = Nation
        fields = ["programme", "code", "confidence"]


class OrganisationFilter(filters.FilterSet):
    nation = _code("nation__code", "Nation code")
    kind = filters.ChoiceFilter(choices=Organisation.Kind.choices)
    programme = filters.CharFilter(
        method="filter_programme",
        help_text="Organisations with workshare, work packages, roles or milestones in it",
    )
    confidence = _confidence()

    class Meta:
        model = Organisation
        fields = ["nation", "kind", "programme", "confidence"]

    def filter_programme(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        ids = (
            Q(allocations__work_package__programme__code__iexact=value)
            | Q(led_work_packages__programme__code__iexact=value)
            | Q(leadership_roles__programme__code__iexact=value)
            | Q(transfers_provided__programme__code__iexact=value)
            | Q(transfers_received__programme__code__iexact=value)
        )
        return queryset.filter(pk__in=Organisation.objects.filter(ids).values("pk"))


class ProgrammeFilter(filters.FilterSet):
    nation = _code(
        "participations__nation__code", "Programmes the nation takes part in", distinct=True
    )
    status = filters.ChoiceFilter(choices=Programme.Status.choices)
    confidence = _confidence()
    started_on_after, started_on_before = _date_range("started_on")

    class Meta:
        model = Programme
        fields = ["nation", "status", "confidence"]


class ParticipationFilter(filters.FilterSet):
    programme = _code("programme__code", "Programme code")
    nation = _code("nation__code", "Nation code")
    role = filters.ChoiceFilter(choices=Participation.Role.choices)
    confidence = _confidence()
    joined_on_after, joined_on_before = _date_range("joined_on")

    class Meta:
        model = Participation
        fields = ["programme", "nation", "role", "confidence"]


class ContributionFilter(filters.FilterSet):
    programme = _code("programme__code", "Programme code")
    nation = _code("nation__code", "Nation code")
    confidence = _confidence()
    period_start_after, period_start_before = _date_range("period_start")

    class Meta:
        model = Contribution
        fields = ["programme", "nation", "confidence"]


class WorkPackageFilter(filters.FilterSet):
    programme = _code("programme__code", "Programme code")
    nation = _code("lead_organisation__nation__code", "Nation of the lead organisation")
    domain = filters.ChoiceFilter(choices=WorkPackage._meta.get_field("domain").choices)
    confidence = _confidence()

    class Meta:
        model = WorkPackage
        fields = ["programme", "nation", "domain", "confidence"]


class WorkshareFilter(filters.FilterSet):
    programme = _code("work_package__programme__code", "Programme code")
    work_package = _code("work_package__code", "Work package code")
    organisation = filters.CharFilter(
        field_name="organisation__name", help_text="Organisation name"
    )
    nation = _code(
        "organisation__nation__code",
        "Nation of the organisation (work placed with joint ventures has none)",
    )
    confidence = _confidence()
    period_start_after, period_start_before = _date_range("period_start")

    class Meta:
        model = WorkshareAllocation
        fields = ["programme", "work_package", "organisation", "nation", "confidence"]


class DecisionBodyFilter(filters.FilterSet):
    programme = _code("programme__code", "Programme code")
    nation = _code("seats__nation__code", "Bodies where the nation holds a seat", distinct=True)
    level = filters.ChoiceFilter(choices=DecisionBody.Level.choices)
    confidence = _confidence()

    class Meta:
        model = DecisionBody
        fields = ["programme", "nation", "level", "confidence"]


class LeadershipRoleFilter(filters.FilterSet):
    programme = _code("programme__code", "Programme code")
    nation = _code("nation__code", "Nation code")
    domain = filters.ChoiceFilter(choices=LeadershipRole._meta.get_field("domain").choices)
    confidence = _confidence()
    started_on_after, started_on_before = _date_range("started_on")

    class Meta:
        model = LeadershipRole
        fields = ["programme", "nation", "domain", "confidence"]


class DecisionFilter(filters.FilterSet):
    programme = _code("body__programme__code", "Programme code")
    body = filters.CharFilter(field_name="body__name", help_text="Decision body name")
    nation = _code("votes__nation__code", "Decisions on which the nation voted", distinct=True)
    proposer = _code("proposer__code", "Proposing nation code")
    outcome = filters.ChoiceFilter(choices=Decision.Outcome.choices)
    confidence = _confidence()
    decided_on_after, decided_on_before = _date_range("decided_on")

    class Meta:
        model = Decision
        fields = ["programme", "body", "nation", "proposer", "outcome", "confidence"]


class TechTransferFilter(filters.FilterSet):
    programme = _code("programme__code", "Programme code")
    nation = filters.CharFilter(
        method="filter_nation", help_text="Milestones the nation provides or receives"
    )
    provider_nation = _code("provider__nation__code", "Nation code of the provider")
    recipient_nation = _code("recipient__nation__code", "Nation code of the recipient")
    status = filters.ChoiceFilter(choices=TechTransferMilestone.Status.choices)
    access_level = filters.ChoiceFilter(choices=TechTransferMilestone.AccessLevel.choices)
    confidence = _confidence()
    planned_on_after, planned_on_before = _date_range("planned_on")
    achieved_on_after, achieved_on_before = _date_range("achieved_on")

    class Meta:
        model = TechTransferMilestone
        fields = [
            "programme",
            "nation",
            "provider_nation",
            "recipient_nation",
            "status",
            "access_level",
            "confidence",
        ]

    def filter_nation(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(provider__nation__code__iexact=value) | Q(recipient__nation__code__iexact=value)
        )


class AgreementFilter(filters.FilterSet):
    nation = _code("nations__code", "Agreements binding the nation", distinct=True)
    kind = filters.ChoiceFilter(choices=Agreement.Kind.choices)
    confidence = _confidence()
    signed_on_after, signed_on_before = _date_range("signed_on")

    class Meta:
        model = Agreement
        fields = ["nation", "kind", "confidence"]


class FlagFilter(filters.FilterSet):
    programme = _code("programme__code", "Programme code")
    nation = _code("nation__code", "Nation the flag is raised for")
    counterpart = _code("counterparts__code", "A counterpart nation of the flag", distinct=True)
    rule = filters.ChoiceFilter(choices=Flag._meta.get_field("rule").choices)
    severity = filters.ChoiceFilter(choices=Flag.Severity.choices)
    status = filters.ChoiceFilter(choices=Flag.Status.choices)
    last_seen_after = filters.IsoDateTimeFilter(
        field_name="last_seen_at", lookup_expr="gte", help_text="Last seen at or after"
    )
    last_seen_before = filters.IsoDateTimeFilter(
        field_name="last_seen_at", lookup_expr="lte", help_text="Last seen at or before"
    )

    class Meta:
        model = Flag
        fields = ["programme", "nation", "counterpart", "rule", "severity", "status"]
