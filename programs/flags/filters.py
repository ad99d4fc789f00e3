"""The flag filters (django-filter): one meaning of every filter for the API's flag list, the
flags page and the ``flags`` command."""

from django.db.models import QuerySet
from django_filters import rest_framework as filters

from programs.balance.flags import LIVE
from programs.bounds import validate_day
from programs.models import Flag

#: The status filter's extra value: the flags still to deal with (open or acknowledged).
STATUS_LIVE = "live"
#: The programme filter's value for cross-programme flags (no programme).
CROSS_PROGRAMME = "-"


class FlagFilter(filters.FilterSet):
    """The flags' filters, shared by the API's flag list and the dashboards' flags page.

    ``nation`` is the nation a flag is raised for, as ``nation`` is the record's own nation on
    every other list; ``counterpart`` is a nation the flag names as a counterpart (the bloc of
    a sidelining flag, the other side of a transfer). Both given, a flag must match both.
    """

    programme = filters.CharFilter(
        method="filter_programme",
        label="Programme",
        help_text=f"Programme code; `{CROSS_PROGRAMME}` for cross-programme flags",
    )
    nation = filters.CharFilter(
        field_name="nation__code", lookup_expr="iexact", help_text="Nation the flag is raised for"
    )
    counterpart = filters.CharFilter(
        field_name="counterparts__code",
        lookup_expr="iexact",
        help_text="A counterpart nation of the flag",
        distinct=True,
    )
    rule = filters.ChoiceFilter(
        choices=Flag._meta.get_field("rule").choices, empty_label="Any rule"
    )
    severity = filters.ChoiceFilter(choices=Flag.Severity.choices, empty_label="Any severity")
    status = filters.ChoiceFilter(
        choices=[(STATUS_LIVE, "Open or acknowledged"), *Flag.Status.choices],
        method="filter_status",
        empty_label="Any status",
        help_text=f"`{STATUS_LIVE}` for open or acknowledged flags",
    )
    last_seen_after = filters.IsoDateTimeFilter(
        field_name="last_seen_at",
        lookup_expr="gte",
        validators=[validate_day],
        help_text="Last seen at or after",
    )
    last_seen_before = filters.IsoDateTimeFilter(
        field_name="last_seen_at",
        lookup_expr="lte",
        validators=[validate_day],
        help_text="Last seen at or before",
    )

    class Meta:
        model = Flag
        fields = ["programme", "nation", "counterpart", "rule", "severity", "status"]

    def filter_programme(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == CROSS_PROGRAMME:
            return queryset.filter(programme__isnull=True)
        return queryset.filter(programme__code__iexact=value)

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == STATUS_LIVE:
            return queryset.filter(status__in=LIVE)
        return queryset.filter(status=value)
