"""The domain model of SPEC §1, one module per concern."""

from programs.models.access import Clearance
from programs.models.base import Confidence, Provenance, Tracked
from programs.models.decisions import Decision, DecisionBody, Seat, Vote
from programs.models.flags import BalanceSnapshot, Flag, FlagEvent, PendingCondition
from programs.models.nations import Agreement, Nation, Organisation, OwnershipStake
from programs.models.programmes import (
    Contribution,
    Domain,
    LeadershipRole,
    Participation,
    Programme,
    ThresholdOverride,
    WorkPackage,
    WorkshareAllocation,
)
from programs.models.scan_errors import ScanError
from programs.models.scans import MissedScan
from programs.models.scenarios import ScenarioLoad
from programs.models.techtransfer import TechTransferMilestone
from programs.models.tokens import ApiToken
from programs.models.whatif import WhatIfDraft

__all__ = [
    "Agreement",
    "ApiToken",
    "BalanceSnapshot",
    "Clearance",
    "Confidence",
    "Contribution",
    "Decision",
    "DecisionBody",
    "Domain",
    "Flag",
    "FlagEvent",
    "LeadershipRole",
    "MissedScan",
    "Nation",
    "Organisation",
    "OwnershipStake",
    "Participation",
    "PendingCondition",
    "Programme",
    "Provenance",
    "ScanError",
    "ScenarioLoad",
    "Seat",
    "TechTransferMilestone",
    "ThresholdOverride",
    "Tracked",
    "Vote",
    "WhatIfDraft",
    "WorkPackage",
    "WorkshareAllocation",
]
