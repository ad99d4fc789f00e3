"""Money in and work out, in a scenario file: contributions, work packages, workshare."""

from programs.models import Contribution, WorkPackage, WorkshareAllocation
from programs.scenarios.records import show
from programs.scenarios.scenario_file import ScenarioFile


def load_contributions(file: ScenarioFile, items: list[tuple[int, dict]]) -> None:
    seen: dict = {}
    natural = ("programme", "nation", "period_start")
    for index, data in items:
        rec = file.record("contributions", index, data, natural, ("period_end", "amount"))
        lookup = {
            "programme": file.keys.programme(rec),
            "nation": file.keys.nation(rec, "nation"),
            "period_start": rec.required(Contribution, "period_start"),
        }
        values = rec.values(Contribution, ("period_end", "amount"))
        values |= rec.provenance(Contribution)
        file.upsert(rec, "contributions", Contribution, lookup, values, seen)


def load_work_packages(file: ScenarioFile, items: list[tuple[int, dict]]) -> None:
    seen: dict = {}
    for index, data in items:
        rec = file.record(
            "work_packages",
            index,
            data,
            ("programme", "code"),
            ("name", "domain", "lead_organisation"),
        )
        lookup = {
            "programme": file.keys.programme(rec),
            "code": rec.required(WorkPackage, "code"),
        }
        values = rec.values(WorkPackage, ("name", "domain"))
        if "lead_organisation" in data:
            values["lead_organisation"] = file.keys.organisation(
                rec, "lead_organisation", required=False
            )
        values |= rec.provenance(WorkPackage)
        file.upsert(rec, "work_packages", WorkPackage, lookup, values, seen)


def load_workshare(file: ScenarioFile, items: list[tuple[int, dict]]) -> None:
    seen: dict = {}
    natural = ("programme", "work_package", "organisation", "period_start")
    for index, data in items:
        rec = file.record("workshare", index, data, natural, ("period_end", "amount"))
        programme = file.keys.programme(rec)
        work_package = None
        if programme is not None:
            code = data.get("work_package")
            work_package = file.keys.ref(
                rec,
                "work_package",
                WorkPackage,
                {"programme": programme, "code": code},
                f"work package {show(code)!r} of {programme.code}",
            )
        lookup = {
            "work_package": work_package,
            "organisation": file.keys.organisation(rec, "organisation"),
            "period_start": rec.required(WorkshareAllocation, "period_start"),
        }
        values = rec.values(WorkshareAllocation, ("period_end", "amount"))
        values |= rec.provenance(WorkshareAllocation)
        file.upsert(rec, "workshare", WorkshareAllocation, lookup, values, seen)
