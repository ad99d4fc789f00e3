"""Filters of the API lists (django-filter) and an ordering that is always total.

Every list filters by ``programme`` and ``nation`` (codes) where the resource has them, by
``status`` and ``confidence``, and by date ranges as ``<date field>_after`` / ``_before``
(inclusive).

Filters that reach through a to-many relation (a nation's participations, a body's seats)
look only at the related rows the requesting user may see: filtering by a programme hidden
from them finds nothing, as for an unknown code, and never tells which visible records are
tied to a hidden one.
"""

from django.db.models import Model, Q, QuerySet
from django_filters import rest_framework as filters
from rest_framework.filters import OrderingFilter

from programs.access import released
from programs.bounds import validate_day
from programs.models import (
    Agreement,
    Confidence,
    Contribution,
    Decision,
    DecisionBody,
    LeadershipRole,
    Nation,
    Organisation,
    Participation,
    Programme,
    Seat,
    TechTransferMilestone,
    Vote,
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


class ReleasedFilterSet(filters.FilterSet):
    """A filter set that knows the requesting user, to look only at rows they may see."""

    def visible(self, model: type[Model], **lookups) -> QuerySet:
        """Rows of ``model`` matching ``lookups`` that the requesting user may see."""
        user = getattr(self.request, "user", None)
        return released(model._default_manager.filter(**lookups), user)


def _date_range(field_name: str) -> tuple[filters.DateFilter, filters.DateFilter]:
    return (
        filters.DateFilter(
            field_name=field_name,
            lookup_expr="gte",
            validators=[validate_day],
            help_text=f"{field_name} on or after",
        ),
        filters.DateFilter(
            field_name=field_name,
            lookup_expr="lte",
            validators=[validate_day],
            help_text=f"{field_name} on or before",
        ),
    )


def _confidence() -> filters.ChoiceFilter:
    return filters.ChoiceFilter(choices=Confidence.choices, help_text="Provenance confidence")


class NationFilter(ReleasedFilterSet):
    programme = filters.CharFilter(
        method="filter_programme", help_text="Nations taking part in the programme"
    )
    code = _code("code", "Nation code")
    confidence = _confidence()

    class Meta:
        model = Nation
        fields = ["programme", "code", "confidence"]

    def filter_programme(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        taking_part = self.visible(Participation, programme__code__iexact=value)
        return queryset.filter(pk__in=taking_part.values("nation_id"))


class OrganisationFilter(ReleasedFilterSet):
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
        transfers = self.visible(TechTransferMilestone, programme__code__iexact=value)
        return queryset.filter(
            Q(
                pk__in=self.visible(
                    WorkshareAllocation, work_package__programme__code__iexact=value
                ).values("organisation_id")
            )
            | Q(
                pk__in=self.visible(WorkPackage, programme__code__iexact=value).values(
                    "lead_organisation_id"
                )
            )
            | Q(
                pk__in=self.visible(LeadershipRole, programme__code__iexact=value).values(
                    "organisation_id"
                )
            )
            | Q(pk__in=transfers.values("provider_id"))
            | Q(pk__in=transfers.values("recipient_id"))
        )


class ProgrammeFilter(ReleasedFilterSet):
    nation = filters.CharFilter(
        method="filter_nation", help_text="Programmes the nation takes part in"
    )
    status = filters.ChoiceFilter(choices=Programme.Status.choices)
    confidence = _confidence()
    started_on_after, started_on_before = _date_range("started_on")

    class Meta:
        model = Programme
        fields = ["nation", "status", "confidence"]

    def filter_nation(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        taking_part = self.visible(Participation, nation__code__iexact=value)
        return queryset.filter(pk__in=taking_part.values("programme_id"))


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


class DecisionBodyFilter(ReleasedFilterSet):
    programme = _code("programme__code", "Programme code")
    nation = filters.CharFilter(
        method="filter_nation", help_text="Bodies where the nation holds a seat"
    )
    level = filters.ChoiceFilter(choices=DecisionBody.Level.choices)
    confidence = _confidence()

    class Meta:
        model = DecisionBody
        fields = ["programme", "nation", "level", "confidence"]

    def filter_nation(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        seats = self.visible(Seat, nation__code__iexact=value)
        return queryset.filter(pk__in=seats.values("body_id"))


class LeadershipRoleFilter(filters.FilterSet):
    programme = _code("programme__code", "Programme code")
    nation = _code("nation__code", "Nation code")
    domain = filters.ChoiceFilter(choices=LeadershipRole._meta.get_field("domain").choices)
    confidence = _confidence()
    started_on_after, started_on_before = _date_range("started_on")

    class Meta:
        model = LeadershipRole
        fields = ["programme", "nation", "domain", "confidence"]


class DecisionFilter(ReleasedFilterSet):
    programme = _code("body__programme__code", "Programme code")
    body = filters.CharFilter(field_name="body__name", help_text="Decision body name")
    nation = filters.CharFilter(
        method="filter_nation", help_text="Decisions on which the nation voted"
    )
    proposer = _code("proposer__code", "Proposing nation code")
    outcome = filters.ChoiceFilter(choices=Decision.Outcome.choices)
    confidence = _confidence()
    decided_on_after, decided_on_before = _date_range("decided_on")

    class Meta:
        model = Decision
        fields = ["programme", "body", "nation", "proposer", "outcome", "confidence"]

    def filter_nation(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        votes = self.visible(Vote, nation__code__iexact=value)
        return queryset.filter(pk__in=votes.values("decision_id"))


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
