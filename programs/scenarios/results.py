"""What a scenario call did, per file and key; or why it changed nothing."""

import datetime
from dataclasses import dataclass, field

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


class ScenarioError(Exception):
    """A scenario call that changed nothing; ``errors`` holds one message per problem found."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


@dataclass
class FileResult:
    """What one file of a call did, per key (nested seats, votes and thresholds have their own)."""

    name: str
    sha256: str
    as_of: datetime.date | None
    counts: dict[str, Counts] = field(default_factory=dict)
    #: Whether a ScenarioLoad row was written for this file.
    recorded: bool = False

    @property
    def total(self) -> Counts:
        total = Counts()
        for counts in self.counts.values():
            total.created += counts.created
            total.updated += counts.updated
            total.unchanged += counts.unchanged
        return total

    @property
    def changed(self) -> bool:
        total = self.total
        return bool(total.created or total.updated)
