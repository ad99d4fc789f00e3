"""Programmes in a scenario file, their predecessors and thresholds, and who takes part."""

from decimal import Decimal

from django.db.models import Sum

from programs.models import Participation, Programme, ThresholdOverride
from programs.scenarios.records import Record, show
from programs.scenarios.results import Counts
from programs.scenarios.scenario_file import ScenarioFile


def load_programmes(file: ScenarioFile, items: list[tuple[int, dict]]) -> None:
    seen: dict = {}
    fields = ("name", "status", "currency", "started_on", "ended_on")
    loaded = []
    for index, data in items:
        rec = file.record(
            "programmes", index, data, ("code",), (*fields, "predecessors", "thresholds")
        )
        code = rec.required(Programme, "code")
        provenance = rec.provenance(Programme)
        values = rec.values(Programme, fields) | provenance
        instance, outcome = file.upsert(rec, "programmes", Programme, {"code": code}, values, seen)
        if instance is not None and outcome is not None:
            loaded.append((rec, instance, outcome, provenance))
    for rec, instance, outcome, provenance in loaded:
        if "predecessors" in rec.data:
            load_predecessors(file, rec, instance, outcome)
        if "thresholds" in rec.data:
            load_thresholds(file, rec, instance, provenance)


def load_predecessors(file: ScenarioFile, rec: Record, programme: Programme, outcome: str) -> None:
    codes = rec.data["predecessors"]
    if codes is None:
        codes = []
    if not isinstance(codes, list):
        rec.error("predecessors", "expected a list of programme codes.")
        return
    members = []
    for code in codes:
        if code == programme.code:
            rec.error("predecessors", "a programme cannot be its own predecessor.")
            continue
        found = file.keys.ref(
            rec, "predecessors", Programme, {"code": code}, f"programme {show(code)!r}"
        )
        if found is not None:
            members.append(found)
    if rec.ok and file.set_m2m(programme, "predecessors", members):
        file.bump("programmes", outcome)


def load_thresholds(
    file: ScenarioFile, rec: Record, programme: Programme, provenance: dict
) -> None:
    thresholds = rec.data["thresholds"]
    if thresholds is None:
        return
    if not isinstance(thresholds, dict) or not all(
        isinstance(params, dict) for params in thresholds.values()
    ):
        rec.error("thresholds", "expected a mapping of rule to {parameter: value}.")
        return
    file.result.counts.setdefault("thresholds", Counts())
    seen: dict = {}
    for rule, params in thresholds.items():
        for parameter, value in params.items():
            sub = file.record("thresholds", f"{rule}.{parameter}", {}, (), (), parent=rec)
            if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
                sub.error("value", f"{value!r} is not a number.")
            lookup = {"programme": programme, "rule": str(rule), "parameter": str(parameter)}
            values = {"value": value} | provenance
            if sub.ok:
                values["value"] = sub.convert(ThresholdOverride, "value", value)
            file.upsert(sub, "thresholds", ThresholdOverride, lookup, values, seen)


def load_participations(file: ScenarioFile, items: list[tuple[int, dict]]) -> None:
    seen: dict = {}
    programmes: dict = {}
    fields = ("role", "agreed_share", "joined_on", "left_on")
    for index, data in items:
        rec = file.record("participations", index, data, ("programme", "nation"), fields)
        lookup = {"programme": file.keys.programme(rec), "nation": file.keys.nation(rec, "nation")}
        values = rec.values(Participation, fields) | rec.provenance(Participation)
        values["siblings_checked_as_a_set"] = True  # totals are checked below
        instance, _ = file.upsert(rec, "participations", Participation, lookup, values, seen)
        if instance is not None:
            programmes.setdefault(instance.programme_id, instance.programme)
    totals = (
        Participation.objects.filter(programme_id__in=programmes)
        .values("programme_id")
        .annotate(total=Sum("agreed_share"))
    )
    for row in totals:
        if row["total"] is not None and row["total"] > 100:
            code = programmes[row["programme_id"]].code
            file.file_error(
                f"participations (programme {code}): agreed_share: agreed shares sum to "
                f"{row['total']}%, over 100%."
            )
