"""Spreadsheet resources for the three record kinds analysts bring in bulk: contributions,
workshare allocations and tech-transfer milestones.

Columns use the natural keys of SPEC §4 (programme code, nation code, organisation name, work
package code within its programme), so an exported file can be edited and imported back. A row
whose natural key matches an existing record updates it; unchanged rows are skipped (no history).

Contributions and workshare allocations come in files of many thousand rows: their resources hand
the whole file to the set-based importer of ``programs.imports.bulk`` and turn its outcome into
django-import-export's ``Result``, so the admin's upload → preview → confirm pages are unchanged.
"""

from typing import Any

from diff_match_patch import diff_match_patch
from django.contrib import messages
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from import_export import exceptions, fields
from import_export.results import Result, RowResult

from programs.imports.base import NaturalKeyWidget, TrackedResource
from programs.imports.bulk import (
    NEW,
    SKIP,
    UPDATE,
    BulkImporter,
    ContributionImporter,
    ImportRefused,
    WorkshareImporter,
)
from programs.imports.formats import paused_gc
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


#: Rows of a preview shown in full; the counts always cover the whole file.
PREVIEW_ROWS = 200


def dataset_columns(dataset: Any, width: int) -> list[tuple]:
    """The first ``width`` columns of a dataset (every row has the dataset's width).

    All the rows at once, turned into columns by ``zip``: ``get_col`` reads each cell through
    a Python call.
    """
    if not len(dataset):
        return [() for _ in range(width)]
    return list(zip(*dataset[:], strict=True))[:width]


class BulkImportResource(TrackedResource):
    """A resource whose imports go through a set-based ``BulkImporter`` as one whole file.

    ``import_data`` keeps django-import-export's contract: a dry run writes nothing, a file with
    any bad row writes nothing and lists each bad row with its field errors, a file-level
    problem is a base error, the totals count new, updated and skipped rows. A preview lists
    the first ``PREVIEW_ROWS`` rows with their changes and, for a longer file, says in a message
    how many rows are new, updated and unchanged (also ``result.preview_note``). A confirmed
    import returns no per-row results, so the admin writes no ``LogEntry`` per row: the
    historical rows (user, time, "spreadsheet import <file>") record who changed what.
    """

    importer_class: type[BulkImporter]

    def import_data(
        self,
        dataset: Any,
        dry_run: bool = False,
        raise_errors: bool = False,
        use_transactions: bool | None = None,
        collect_failed_rows: bool = False,
        rollback_on_validation_errors: bool = False,
        **kwargs: Any,
    ) -> Result:
        result = self.get_result_class()()
        result.diff_headers = self.get_diff_headers()
        result.total_rows = len(dataset)
        try:
            self.before_import(dataset, **kwargs)
            importer = self.importer_class(kwargs.get("user"), file_name=kwargs.get("file_name"))
            headers = dataset.headers or []
            with paused_gc():
                outcome = importer.run(
                    headers,
                    dataset_columns(dataset, len(headers)),
                    dry_run=dry_run,
                    preview_rows=PREVIEW_ROWS if dry_run else 0,
                )
        except (ImportRefused, ValueError) as error:
            self.handle_import_error(result, error, raise_errors)
            return result
        for kind, count in outcome.counts.items():
            result.totals[kind] = count
        for row in outcome.invalid:
            row_result = self.get_row_result_class()()
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            row_result.validation_error = row.validation_error()
            result.append_invalid_row(row.number, row.cells, row_result.validation_error)
            result.append_row_result(row_result)
            if raise_errors:
                raise exceptions.ImportError(
                    row_result.validation_error, number=row.number, row=row.cells
                )
        for row in outcome.preview:
            row_result = self.get_row_result_class()()
            row_result.import_type = row.kind
            row_result.diff = self.row_diff(row)
            row_result.add_instance_info(row.instance)
            result.append_row_result(row_result)
        shown = len(outcome.preview)
        if dry_run and not outcome.invalid and shown < result.total_rows:
            result.preview_note = (
                f"{result.total_rows:,} rows: {outcome.counts[NEW]:,} new, "
                f"{outcome.counts[UPDATE]:,} updated, {outcome.counts[SKIP]:,} unchanged. "
                f"The first {shown:,} are shown below."
            )
            if kwargs.get("request") is not None:
                messages.info(kwargs["request"], result.preview_note)
        return result

    def row_diff(self, row: Any) -> list[SafeString]:
        """The row's cells as the preview shows them: what is new, what changes."""
        differ = diff_match_patch()
        cells = []
        for field in self.get_import_fields():
            now = self.export_field(field, row.instance)
            if row.kind == SKIP:
                cells.append(mark_safe(f"<span>{escape(now)}</span>"))
                continue
            before = ""
            if field.attribute in row.before:
                before = field.widget.render(row.before[field.attribute])
            elif row.kind != NEW:
                before = now
            diff = differ.diff_main(str(before), str(now))
            differ.diff_cleanupSemantic(diff)
            cells.append(mark_safe(differ.diff_prettyHtml(diff)))
        return cells


class ContributionResource(BulkImportResource):
    importer_class = ContributionImporter

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


class WorkshareAllocationResource(BulkImportResource):
    importer_class = WorkshareImporter

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
