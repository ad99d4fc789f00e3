"""Agreements between nations in a scenario file."""

from programs.models import Agreement, Nation
from programs.models.nations import agreement_nations_error
from programs.scenarios.document import MISSING
from programs.scenarios.records import Record, show
from programs.scenarios.scenario_file import ScenarioFile


def load_agreements(file: ScenarioFile, items: list[tuple[int, dict]]) -> None:
    seen: dict = {}
    fields = ("kind", "signed_on", "ended_on")
    for index, data in items:
        rec = file.record("agreements", index, data, ("name",), (*fields, "nations"))
        name = rec.required(Agreement, "name")
        nations = agreement_nations(file, rec)
        if nations is None and name and not Agreement.objects.filter(name=name).exists():
            rec.error("nations", "This field is required: list the codes of two or more nations.")
        values = rec.values(Agreement, fields) | rec.provenance(Agreement)
        agreement, outcome = file.upsert(rec, "agreements", Agreement, {"name": name}, values, seen)
        if (
            agreement is not None
            and outcome is not None
            and nations is not None
            and file.set_m2m(agreement, "nations", nations)
        ):
            file.bump("agreements", outcome)


def agreement_nations(file: ScenarioFile, rec: Record) -> list[Nation] | None:
    """The agreement's nations, or None when the record does not list them."""
    codes = rec.data.get("nations", MISSING)
    if codes is MISSING:
        return None
    if not isinstance(codes, list):
        rec.error("nations", "expected a list of nation codes.")
        return None
    nations: list[Nation] = []
    for code in codes:
        found = file.keys.ref(rec, "nations", Nation, {"code": code}, f"nation {show(code)!r}")
        if found is not None and found not in nations:
            nations.append(found)
    if rec.ok:
        message = agreement_nations_error(len(nations))
        if message:
            rec.error("nations", message)
    return nations
