"""Admin of programmes and what hangs off them: participations, contributions, work packages,
workshare, leadership roles and threshold overrides."""

from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError

from programs.admin.base import (
    CheckedInlineFormSet,
    ImportExportTrackedAdmin,
    ReleasedQuerysetMixin,
    ReleasedRelatedFieldListFilter,
    TrackedAdmin,
)
from programs.admin.nations import PROVENANCE_FIELDSET, RELEASABILITY_FIELDSET
from programs.imports.resources import ContributionResource, WorkshareAllocationResource
from programs.models import (
    Contribution,
    LeadershipRole,
    Participation,
    Programme,
    ThresholdOverride,
    WorkPackage,
    WorkshareAllocation,
)

PARTICIPATIONS_PREFIX = "participations"


class ParticipationInlineFormSet(CheckedInlineFormSet):
    """Agreed shares of the programme's participations, together, are at most 100 %."""

    checks_siblings_as_a_set = True

    def clean(self) -> None:
        super().clean()
        total = sum(
            (form.cleaned_data.get("agreed_share") or Decimal("0") for form in self.kept_forms()),
            Decimal("0"),
        )
        if total > 100:
            raise ValidationError(f"Agreed shares sum to {total}%, over 100%.")


class ParticipationInline(ReleasedQuerysetMixin, admin.TabularInline):
    model = Participation
    formset = ParticipationInlineFormSet
    fields = ("nation", "role", "agreed_share", "joined_on", "left_on", "source", "confidence")
    autocomplete_fields = ("nation",)
    extra = 0


def posted_participant_ids(data: Any, prefix: str = PARTICIPATIONS_PREFIX) -> set[str]:
    """Nation ids of the participation rows posted with the programme form (kept rows only)."""
    try:
        total = int(data.get(f"{prefix}-TOTAL_FORMS", 0))
    except (TypeError, ValueError):
        return set()
    ids = set()
    for index in range(total):
        nation = data.get(f"{prefix}-{index}-nation")
        if nation and not data.get(f"{prefix}-{index}-DELETE"):
            ids.add(str(nation))
    return ids


class ContributionInlineFormSet(CheckedInlineFormSet):
    """A contribution's nation takes part in the programme, counting participations being
    added in the same form (``Contribution.clean`` cannot see those while the programme is new).
    """

    def clean(self) -> None:
        if self.instance.pk is None:
            self.participant_ids = posted_participant_ids(self.data)
        super().clean()

    def check_row(self, form: Any) -> None:
        nation = form.cleaned_data.get("nation")
        if self.instance.pk is None and nation and str(nation.pk) not in self.participant_ids:
            form.add_error("nation", "This nation does not take part in the programme.")


class ContributionInline(ReleasedQuerysetMixin, admin.TabularInline):
    model = Contribution
    formset = ContributionInlineFormSet
    fields = ("nation", "period_start", "period_end", "amount", "source", "confidence")
    autocomplete_fields = ("nation",)
    extra = 0


class WorkPackageInline(ReleasedQuerysetMixin, admin.TabularInline):
    model = WorkPackage
    fields = ("code", "name", "domain", "lead_organisation", "confidence")
    autocomplete_fields = ("lead_organisation",)
    show_change_link = True
    extra = 0


class ThresholdOverrideInline(ReleasedQuerysetMixin, admin.TabularInline):
    model = ThresholdOverride
    fields = ("rule", "parameter", "value", "source", "confidence")
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(TrackedAdmin):
    list_display = ("code", "name", "status", "currency", "started_on", "ended_on", "confidence")
    list_filter = ("status", "currency", "confidence")
    search_fields = ("code", "name")
    autocomplete_fields = ("predecessors",)
    inlines = (ParticipationInline, ContributionInline, WorkPackageInline, ThresholdOverrideInline)
    fieldsets = (
        (None, {"fields": ("code", "name", "status", "currency", "started_on", "ended_on")}),
        ("Merged programmes", {"fields": ("predecessors",)}),
        PROVENANCE_FIELDSET,
        RELEASABILITY_FIELDSET,
    )


@admin.register(Participation)
class ParticipationAdmin(TrackedAdmin):
    list_display = (
        "programme",
        "nation",
        "role",
        "agreed_share",
        "joined_on",
        "left_on",
        "confidence",
    )
    list_filter = ("programme", "nation", "role", "confidence")
    list_select_related = ("programme", "nation")
    search_fields = ("programme__code", "nation__code", "nation__name")
    autocomplete_fields = ("programme", "nation")


@admin.register(Contribution)
class ContributionAdmin(ImportExportTrackedAdmin):
    resource_classes = [ContributionResource]
    list_display = (
        "programme",
        "nation",
        "period_start",
        "period_end",
        "amount",
        "confidence",
        "source",
    )
    list_filter = ("programme", "nation", "confidence")
    list_select_related = ("programme", "nation")
    search_fields = ("programme__code", "nation__code", "nation__name", "source")
    autocomplete_fields = ("programme", "nation")
    date_hierarchy = "period_start"


@admin.register(WorkPackage)
class WorkPackageAdmin(TrackedAdmin):
    list_display = ("code", "name", "programme", "domain", "lead_organisation", "confidence")
    list_filter = ("programme", "domain", "confidence")
    list_select_related = ("programme", "lead_organisation")
    search_fields = ("code", "name", "programme__code")
    autocomplete_fields = ("programme", "lead_organisation")


@admin.register(WorkshareAllocation)
class WorkshareAllocationAdmin(ImportExportTrackedAdmin):
    resource_classes = [WorkshareAllocationResource]
    list_display = (
        "work_package",
        "organisation",
        "organisation_nation",
        "period_start",
        "period_end",
        "amount",
        "confidence",
        "source",
    )
    list_filter = (
        ("work_package__programme", ReleasedRelatedFieldListFilter),
        ("organisation__nation", ReleasedRelatedFieldListFilter),
        "confidence",
    )
    list_select_related = ("work_package__programme", "organisation__nation")
    search_fields = ("work_package__code", "work_package__name", "organisation__name", "source")
    autocomplete_fields = ("work_package", "organisation")
    date_hierarchy = "period_start"

    @admin.display(description="nation", ordering="organisation__nation__code")
    def organisation_nation(self, allocation: WorkshareAllocation) -> str:
        nation = allocation.organisation.nation
        return nation.code if nation else "joint venture (via stakes)"


@admin.register(LeadershipRole)
class LeadershipRoleAdmin(TrackedAdmin):
    list_display = (
        "title",
        "programme",
        "domain",
        "weight",
        "nation",
        "organisation",
        "started_on",
        "ended_on",
        "confidence",
    )
    list_filter = ("programme", "nation", "domain", "confidence")
    list_select_related = ("programme", "nation", "organisation")
    search_fields = ("title", "programme__code", "nation__code", "nation__name")
    autocomplete_fields = ("programme", "nation", "organisation")


@admin.register(ThresholdOverride)
class ThresholdOverrideAdmin(TrackedAdmin):
    list_display = ("programme", "rule", "parameter", "value", "confidence", "source")
    list_filter = ("programme", "rule", "confidence")
    list_select_related = ("programme",)
    search_fields = ("programme__code", "rule", "parameter")
    autocomplete_fields = ("programme",)
