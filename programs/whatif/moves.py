"""The common moves of the What if page, written as the records of a draft.

Each move is a record of SPEC §4 over the programme: moving a lead role restates the role with
another holder, changing a contribution restates (or adds) one by its period start, changing a
vote restates the decision with that vote, adding or ending a participation states its
``joined_on`` or ``left_on``, adding an agreement states a new one. The loader then checks
them as it checks any file.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml

from programs.scenarios.document import FORMAT


@dataclass(frozen=True)
class RoleMove:
    title: str
    nation: str
    #: The holder's organisation; None when no organisation is named (the role's is cleared,
    #: since it belongs to the previous holder's nation).
    organisation: str | None = None


@dataclass(frozen=True)
class ContributionChange:
    nation: str
    period_start: datetime.date
    amount: Decimal


@dataclass(frozen=True)
class VoteChange:
    body: str
    decision: str
    nation: str
    position: str


@dataclass(frozen=True)
class ParticipationChange:
    nation: str
    #: 'add' (joins on ``on``) or 'end' (leaves on ``on``).
    change: str
    on: datetime.date
    role: str = "partner"


@dataclass(frozen=True)
class NewAgreement:
    name: str
    kind: str
    nations: tuple[str, ...]
    signed_on: datetime.date


Move = RoleMove | ContributionChange | VoteChange | ParticipationChange | NewAgreement


def move_records(programme: str, moves: list[Move]) -> dict[str, list[dict]]:
    """The draft records of the moves, by SPEC §4 key."""
    records: dict[str, list[dict]] = defaultdict(list)
    for move in moves:
        if isinstance(move, RoleMove):
            records["leadership_roles"].append(
                {
                    "programme": programme,
                    "title": move.title,
                    "nation": move.nation,
                    "organisation": move.organisation,
                }
            )
        elif isinstance(move, ContributionChange):
            records["contributions"].append(
                {
                    "programme": programme,
                    "nation": move.nation,
                    "period_start": move.period_start,
                    "amount": str(move.amount),
                }
            )
        elif isinstance(move, VoteChange):
            records["decisions"].append(
                {
                    "programme": programme,
                    "body": move.body,
                    "title": move.decision,
                    "votes": [{"nation": move.nation, "position": move.position}],
                }
            )
        elif isinstance(move, ParticipationChange):
            record: dict[str, Any] = {"programme": programme, "nation": move.nation}
            if move.change == "add":
                record |= {"role": move.role, "joined_on": move.on, "left_on": None}
            else:
                record["left_on"] = move.on
            records["participations"].append(record)
        elif isinstance(move, NewAgreement):
            records["agreements"].append(
                {
                    "name": move.name,
                    "kind": move.kind,
                    "nations": list(move.nations),
                    "signed_on": move.signed_on,
                }
            )
    return dict(records)


def draft_document(pasted: str, records: dict[str, list[dict]]) -> str:
    """The pasted draft with the moves' records appended, as YAML; the pasted text as it is
    when there are no moves or it is no mapping (the loader then says what is wrong)."""
    if not records:
        return pasted
    data: dict = {"format": FORMAT}
    if pasted.strip():
        try:
            parsed = yaml.safe_load(pasted)
        except (yaml.YAMLError, ValueError):
            return pasted
        if not isinstance(parsed, dict):
            return pasted
        data = parsed
    for key, items in records.items():
        stated = data.get(key)
        data[key] = [*(stated if isinstance(stated, list) else []), *items]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
