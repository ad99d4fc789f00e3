"""Governance in a scenario file: decision bodies and seats, leadership roles, decisions, votes."""

from django.db import models

from programs.models import Decision, DecisionBody, LeadershipRole, Seat, Vote
from programs.scenarios.records import Record, show
from programs.scenarios.results import Counts
from programs.scenarios.scenario_file import ScenarioFile


def load_decision_bodies(file: ScenarioFile, items: list[tuple[int, dict]]) -> None:
    seen: dict = {}
    for index, data in items:
        rec = file.record(
            "decision_bodies",
            index,
            data,
            ("programme", "name"),
            ("level", "voting_rule", "seats"),
        )
        lookup = {
            "programme": file.keys.programme(rec),
            "name": rec.required(DecisionBody, "name"),
        }
        provenance = rec.provenance(DecisionBody)
        values = rec.values(DecisionBody, ("level", "voting_rule")) | provenance
        body, _ = file.upsert(rec, "decision_bodies", DecisionBody, lookup, values, seen)
        if body is not None and "seats" in data:
            load_seats_or_votes(file, rec, "seats", body, provenance)


def load_seats_or_votes(
    file: ScenarioFile, rec: Record, key: str, parent: models.Model, provenance: dict
) -> None:
    """Seats of a body or votes of a decision: upsert those listed, leave the others alone."""
    items = rec.data[key]
    if items is None:
        return
    if not isinstance(items, list):
        rec.error(key, "expected a list of records.")
        return
    file.result.counts.setdefault(key, Counts())
    if key == "seats":
        model: type[Seat] | type[Vote] = Seat
        fields: tuple[str, ...] = ("votes", "veto", "chair")
        parent_field = "body"
    else:
        model, parent_field, fields = Vote, "decision", ("position",)
    seen: dict = {}
    for index, data in enumerate(items):
        if not isinstance(data, dict):
            rec.error(key, f"{key}[{index}] is not a mapping of fields.")
            continue
        sub = file.record(key, index, data, ("nation",), fields, parent=rec)
        lookup = {parent_field: parent, "nation": file.keys.nation(sub, "nation")}
        values = sub.values(model, fields) | sub.provenance(model, provenance)
        file.upsert(sub, key, model, lookup, values, seen)


def load_leadership_roles(file: ScenarioFile, items: list[tuple[int, dict]]) -> None:
    seen: dict = {}
    fields = ("domain", "weight", "started_on", "ended_on")
    for index, data in items:
        rec = file.record(
            "leadership_roles",
            index,
            data,
            ("programme", "title"),
            (*fields, "nation", "organisation"),
        )
        lookup = {
            "programme": file.keys.programme(rec),
            "title": rec.required(LeadershipRole, "title"),
        }
        values = rec.values(LeadershipRole, fields)
        if "nation" in data:
            values["nation"] = file.keys.nation(rec, "nation")
        if "organisation" in data:
            values["organisation"] = file.keys.organisation(rec, "organisation", required=False)
        values |= rec.provenance(LeadershipRole)
        file.upsert(rec, "leadership_roles", LeadershipRole, lookup, values, seen)


def load_decisions(file: ScenarioFile, items: list[tuple[int, dict]]) -> None:
    seen: dict = {}
    fields = ("decided_on", "outcome")
    for index, data in items:
        rec = file.record(
            "decisions",
            index,
            data,
            ("programme", "body", "title"),
            (*fields, "proposer", "votes"),
        )
        programme = file.keys.programme(rec)
        body = None
        if programme is not None:
            name = data.get("body")
            body = file.keys.ref(
                rec,
                "body",
                DecisionBody,
                {"programme": programme, "name": name},
                f"decision body {show(name)!r} of {programme.code}",
            )
        lookup = {"body": body, "title": rec.required(Decision, "title")}
        provenance = rec.provenance(Decision)
        values = rec.values(Decision, fields)
        if "proposer" in data:
            values["proposer"] = file.keys.nation(rec, "proposer", required=False)
        values |= provenance
        decision, _ = file.upsert(rec, "decisions", Decision, lookup, values, seen)
        if decision is not None and "votes" in data:
            load_seats_or_votes(file, rec, "votes", decision, provenance)
