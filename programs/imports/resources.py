"""Spreadsheet resources for the three record kinds analysts bring in bulk: contributions,
workshare allocations and tech-transfer milestones.

Columns use the natural keys of SPEC §4 (programme code, nation code, organisation name, work
package code within its programme), so an exported file can be edited and imported back. A row
whose natural key matches an existing record updates it; unchanged rows are skipped (no history).
"""

from typing import Any

from import_export import fields

from programs.imports.base import NaturalKeyWidget, TrackedResource
from programs.models import (
    Contribution,
    Nation,
    Organisation,
    Programme,
    TechTransferMilestone,
    WorkPackage,
    WorkshareAllocation,
)

PROVENANCE = ("source", "confidence")


class WorkPackageWidget(NaturalKeyWidget):
    """A work package by its code, within the programme named in the row's ``programme`` column."""

    def get_queryset(self, value: Any, row: dict, *args: Any, **kwargs: Any) -> Any:
        programme = str((row or {}).get("programme") or "").strip()
        return WorkPackage.objects.filter(programme__code=programme)

    def missing_message(self, value: Any, row: dict | None) -> str:
        programme = str((row or {}).get("programme") or "").strip()
        if not programme:
            return f"Give the programme of work package '{value}' in the programme column."
        return f"No work package '{value}' in programme '{programme}'."


def programme_field() -> fields.Field:
    return fields.Field(
        attribute="programme", column_name="programme", widget=NaturalKeyWidget(Programme, "code")
    )


def nation_field(attribute: str = "nation") -> fields.Field:
    return fields.Field(
        attribute=attribute, column_name=attribute, widget=NaturalKeyWidget(Nation, "code")
    )


def organisation_field(attribute: str) -> fields.Field:
    return fields.Field(
        attribute=attribute, column_name=attribute, widget=NaturalKeyWidget(Organisation, "name")
    )


class ContributionResource(TrackedResource):
    programme = programme_field()
    nation = nation_field()

    class Meta:
        model = Contribution
        name = "Contributions (programme, nation, period_start)"
        fields = ("programme", "nation", "period_start", "period_end", "amount", *PROVENANCE)
        import_id_fields = ("programme", "nation", "period_start")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True


class WorkshareAllocationResource(TrackedResource):
    programme = fields.Field(column_name="programme", readonly=True)
    work_package = fields.Field(
        attribute="work_package",
        column_name="work_package",
        widget=WorkPackageWidget(WorkPackage, "code"),
    )
    organisation = organisation_field("organisation")

    class Meta:
        model = WorkshareAllocation
        name = "Workshare (programme, work_package, organisation, period_start)"
        fields = (
            "programme",
            "work_package",
            "organisation",
            "period_start",
            "period_end",
            "amount",
            *PROVENANCE,
        )
        import_id_fields = ("work_package", "organisation", "period_start")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def dehydrate_programme(self, allocation: WorkshareAllocation) -> str:
        return allocation.work_package.programme.code


class TechTransferMilestoneResource(TrackedResource):
    programme = programme_field()
    provider = organisation_field("provider")
    recipient = organisation_field("recipient")

    class Meta:
        model = TechTransferMilestone
        name = "Tech-transfer milestones (programme, title)"
        fields = (
            "programme",
            "title",
            "technology_area",
            "provider",
            "recipient",
            "planned_on",
            "achieved_on",
            "status",
            "access_level",
            "export_control",
            "weight",
            *PROVENANCE,
        )
        import_id_fields = ("programme", "title")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
