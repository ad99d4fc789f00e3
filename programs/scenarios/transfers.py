"""Technology transfer milestones in a scenario file."""

from programs.models import TechTransferMilestone
from programs.scenarios.scenario_file import ScenarioFile


def load_tech_transfers(file: ScenarioFile, items: list[tuple[int, dict]]) -> None:
    seen: dict = {}
    fields = (
        "technology_area",
        "planned_on",
        "achieved_on",
        "status",
        "access_level",
        "export_control",
        "weight",
    )
    for index, data in items:
        rec = file.record(
            "tech_transfers",
            index,
            data,
            ("programme", "title"),
            (*fields, "provider", "recipient"),
        )
        lookup = {
            "programme": file.keys.programme(rec),
            "title": rec.required(TechTransferMilestone, "title"),
        }
        values = rec.values(TechTransferMilestone, fields)
        for name in ("provider", "recipient"):
            if name in data:
                values[name] = file.keys.organisation(rec, name)
        values |= rec.provenance(TechTransferMilestone)
        file.upsert(rec, "tech_transfers", TechTransferMilestone, lookup, values, seen)
