"""Data for the dashboard tests: the seeded scenario scanned on three days, and ten times as
many synthetic rows on top (for the query-count tests)."""

from __future__ import annotations

import copy
import datetime
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.utils import timezone

from programs.balance.scan import scan_all
from programs.models import BalanceSnapshot, Flag, Nation, Organisation, Programme
from programs.permissions import sync_groups
from programs.scenarios.loading import load_scenario_files
from tests import factories

SEEDS = sorted((Path(settings.BASE_DIR) / "seeds").glob("*.yaml"))
#: Days the seeded data is scanned on: three points on every trend line.
SCAN_OFFSETS = (60, 30, 0)


def scan_days(today: datetime.date | None = None) -> list[datetime.date]:
    today = today or timezone.localdate()
    return [today - datetime.timedelta(days=offset) for offset in SCAN_OFFSETS]


def load_seeds_and_scan() -> list[datetime.date]:
    """Load every seed file, then scan all programmes on each scan day (oldest first)."""
    # A transactional test's flush drops the groups the data migration made: put them back.
    sync_groups(apps)
    load_scenario_files(SEEDS)
    days = scan_days()
    for day in days:
        scan_all(as_of=day)
    return days


def add_synthetic_rows(factor: int = 10) -> None:
    """Ten times the seeded volume of every kind of row the dashboards read, in GCAP and in
    new programmes shared by the same nations, plus flags and snapshots."""
    gcap = Programme.objects.get(code="GCAP")
    gbr, jpn, ita = (Nation.objects.get(code=c) for c in ("GBR", "JPN", "ITA"))
    bae = Organisation.objects.filter(nation=gbr).first()
    mhi = Organisation.objects.filter(nation=jpn).first()
    leonardo = Organisation.objects.filter(nation=ita).first()
    now = timezone.now()
    for i in range(factor):
        programme = factories.ProgrammeFactory(code=f"SYN{i}", currency="GBP")
        for nation in (gbr, jpn, ita):
            factories.ParticipationFactory(programme=programme, nation=nation)
            factories.ContributionFactory(programme=programme, nation=nation, amount=100 + i)
        for programme_ in (gcap, programme):
            package = factories.WorkPackageFactory(programme=programme_, code=f"SYN-WP{i}")
            for org in (bae, mhi, leonardo):
                factories.WorkshareAllocationFactory(work_package=package, organisation=org)
            body = factories.DecisionBodyFactory(programme=programme_, name=f"Synthetic board {i}")
            for nation in (gbr, jpn, ita):
                factories.SeatFactory(body=body, nation=nation)
            for j in range(3):
                decision = factories.DecisionFactory(body=body, title=f"Synthetic decision {i}-{j}")
                for nation, position in ((gbr, "for"), (ita, "for"), (jpn, "against")):
                    factories.VoteFactory(decision=decision, nation=nation, position=position)
            factories.LeadershipRoleFactory(
                programme=programme_, title=f"Synthetic lead {i}", nation=gbr, weight=2
            )
            for provider, recipient in ((bae, mhi), (mhi, bae), (leonardo, mhi)):
                factories.TechTransferMilestoneFactory(
                    programme=programme_,
                    title=f"Synthetic transfer {i} {provider.pk}-{recipient.pk}",
                    provider=provider,
                    recipient=recipient,
                    confidence="estimated",
                )
            flag = Flag.objects.create(
                rule="outvoted",
                programme=programme_,
                nation=jpn,
                severity=Flag.Severity.WARNING,
                metric="outvoted_rate",
                value=Decimal("0.4"),
                threshold=Decimal("0.3"),
                explanation=f"Synthetic flag {i}.",
                fingerprint=f"synthetic|{programme_.code}|{i}",
                first_seen_at=now,
                last_seen_at=now,
            )
            flag.counterparts.set([gbr, ita])
        factories.AgreementFactory(name=f"Synthetic accord {i}", nations=[gbr, jpn, ita])
    # Ten times the trend points: copies of the first scan's snapshots on earlier days.
    first = scan_days()[0]
    earlier = []
    for snapshot in BalanceSnapshot.objects.filter(taken_on=first):
        for offset in range(1, factor + 1):
            snapshot.pk = None
            snapshot.taken_on = first - datetime.timedelta(days=offset)
            earlier.append(copy.copy(snapshot))
    BalanceSnapshot.objects.bulk_create(earlier)
