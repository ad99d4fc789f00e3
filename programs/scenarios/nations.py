"""Nations, organisations and the ownership stakes of joint ventures, in a scenario file."""

from decimal import Decimal

from django.db.models import Sum

from programs.models import Nation, Organisation, OwnershipStake
from programs.models.nations import stake_total_error
from programs.scenarios.scenario_file import ScenarioFile


def load_nations(file: ScenarioFile, items: list[tuple[int, dict]]) -> None:
    seen: dict = {}
    for index, data in items:
        rec = file.record("nations", index, data, ("code",), ("name",))
        code = rec.required(Nation, "code")
        values = rec.values(Nation, ("name",)) | rec.provenance(Nation)
        file.upsert(rec, "nations", Nation, {"code": code}, values, seen)


def load_organisations(file: ScenarioFile, items: list[tuple[int, dict]]) -> None:
    seen: dict = {}
    for index, data in items:
        rec = file.record("organisations", index, data, ("name",), ("short_name", "nation", "kind"))
        name = rec.required(Organisation, "name")
        values = rec.values(Organisation, ("short_name", "kind"))
        if "nation" in data:
            values["nation"] = file.keys.nation(rec, "nation", required=False)
        values |= rec.provenance(Organisation)
        file.upsert(rec, "organisations", Organisation, {"name": name}, values, seen)


def load_ownership_stakes(file: ScenarioFile, items: list[tuple[int, dict]]) -> None:
    seen: dict = {}
    ventures: dict[int, Organisation] = {}
    incomplete: set[str] = set()
    for index, data in items:
        rec = file.record("ownership_stakes", index, data, ("venture", "owner"), ("percent",))
        venture = file.keys.organisation(rec, "venture")
        owner = file.keys.organisation(rec, "owner")
        values = rec.values(OwnershipStake, ("percent",))
        values |= rec.provenance(OwnershipStake)
        values["siblings_checked_as_a_set"] = True  # totals are checked below
        lookup = {"venture": venture, "owner": owner}
        instance, _ = file.upsert(rec, "ownership_stakes", OwnershipStake, lookup, values, seen)
        if instance is not None:
            ventures.setdefault(instance.venture_id, instance.venture)
        else:
            incomplete.add(str(data.get("venture")))
    for venture in ventures.values():
        if venture.name in incomplete:
            continue  # a stake of it failed above: its total says nothing more
        total = OwnershipStake.objects.filter(venture=venture).aggregate(total=Sum("percent"))[
            "total"
        ] or Decimal("0")
        message = stake_total_error(venture.name, total)
        if message:
            file.file_error(f"ownership_stakes (venture {venture.name}): percent: {message}")
