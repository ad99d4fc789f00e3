"""The shipped scenario files: they load, reload without change, and say what the facts say."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from programs import models
from programs.balance.scan import scan_programme
from programs.scenarios.loading import load_scenario_files
from tests.scenario_helpers import census

pytestmark = pytest.mark.django_db

SEEDS = sorted((Path(settings.BASE_DIR) / "seeds").glob("*.yaml"))
#: A day after every dated record of the seeds, so the scan sees them all.
SCAN_DAY = datetime.date(2026, 6, 30)


@pytest.fixture
def seeded(db):
    return load_scenario_files(SEEDS)


def test_every_seed_file_loads_and_a_second_load_changes_nothing(seeded):
    assert {Path(result.name).name for result in seeded} >= {"gcap.yaml", "history.yaml"}
    before = census()

    again = load_scenario_files(SEEDS)

    assert census() == before
    assert not any(result.changed for result in again)


@pytest.mark.parametrize("seed", SEEDS, ids=[path.name for path in SEEDS])
def test_each_seed_file_alone_agrees_with_the_others_on_shared_records(seeded, seed):
    before = census()

    (result,) = load_scenario_files([seed])

    assert not result.changed, result.counts
    assert census() == before


def test_the_first_gigo_chief_executive_is_japanese_as_reported(seeded):
    role = models.LeadershipRole.objects.get(programme__code="GCAP", title="GIGO chief executive")
    assert role.nation.code == "JPN"
    assert role.confidence == "reported"
    assert "nippon.com" in role.source
    assert role.organisation.short_name == "GIGO"
    assert role.organisation.kind == "intergovernmental"


def test_the_edgewing_chief_executive_is_italian_as_reported(seeded):
    role = models.LeadershipRole.objects.get(
        programme__code="GCAP", title="Edgewing chief executive"
    )
    assert (role.nation.code, role.confidence) == ("ITA", "reported")


def test_edgewing_is_a_joint_venture_owned_a_third_each(seeded):
    edgewing = models.Organisation.objects.get(name="Edgewing")
    assert edgewing.kind == "joint_venture" and edgewing.nation is None
    stakes = {
        (stake.owner.short_name or stake.owner.name, stake.owner.nation.code): stake.percent
        for stake in edgewing.stakes.select_related("owner__nation")
    }
    assert stakes == {
        ("BAE Systems", "GBR"): Decimal("33.3"),
        ("Leonardo", "ITA"): Decimal("33.3"),
        ("JAIEC", "JPN"): Decimal("33.3"),
    }
    assert set(edgewing.stakes.values_list("confidence", flat=True)) == {"reported"}


def test_gcap_merges_tempest_and_fx(seeded):
    gcap = models.Programme.objects.get(code="GCAP")
    assert sorted(gcap.predecessors.values_list("code", "status")) == [
        ("F-X", "merged"),
        ("TEMPEST", "merged"),
        ("UK-JP-ENGINE", "merged"),
    ]
    assert sorted(gcap.participations.values_list("nation__code", flat=True)) == [
        "GBR",
        "ITA",
        "JPN",
    ]


def test_the_seeds_hold_every_public_tie_of_the_gcap_nations_outside_gcap(seeded):
    def programmes_of(code: str) -> set[str]:
        return set(
            models.Participation.objects.filter(nation__code=code)
            .exclude(programme__code="GCAP")
            .values_list("programme__code", flat=True)
        )

    def agreements_of(a: str, b: str) -> list[tuple[datetime.date, str]]:
        binding = models.Agreement.objects.filter(nations__code=a).filter(nations__code=b)
        return sorted(binding.values_list("signed_on", "confidence"))

    assert programmes_of("GBR") & programmes_of("ITA") == {
        "TORNADO",
        "EUROFIGHTER",
        "TEMPEST",
        "F-35",
        "METEOR",
        "NH90",  # the UK's participation ended in 1987
    }
    assert programmes_of("GBR") & programmes_of("JPN") == {"UK-JP-ENGINE"}
    assert programmes_of("JPN") == {"F-X", "UK-JP-ENGINE"}
    assert models.Programme.objects.get(code="TORNADO").started_on.year == 1969
    assert agreements_of("GBR", "ITA") == [
        (datetime.date(2019, 9, 10), "reported"),
        (datetime.date(2020, 12, 21), "reported"),
    ]
    # The 2013 pair were signed in the first week of July: the day is estimated.
    assert agreements_of("GBR", "JPN") == [
        (datetime.date(2013, 7, 4), "estimated"),
        (datetime.date(2013, 7, 4), "estimated"),
        (datetime.date(2017, 1, 26), "reported"),
        (datetime.date(2023, 1, 11), "reported"),
    ]
    # The 2016 technology-transfer agreement's signing date is not in the sources.
    assert agreements_of("ITA", "JPN") == [
        (datetime.date(2016, 3, 31), "estimated"),
        (datetime.date(2024, 11, 25), "reported"),
    ]
    assert not models.Agreement.objects.filter(name__icontains="GIGO").exists(), (
        "the GIGO Convention is GCAP's own treaty, not a tie outside it"
    )
    assert all(agreement.source for agreement in models.Agreement.objects.all())


def test_cost_shares_are_estimates_and_undisclosed_facts_are_illustrative_without_a_source(seeded):
    contributions = models.Contribution.objects.filter(programme__code="GCAP")
    assert set(contributions.values_list("confidence", flat=True)) == {"estimated"}
    assert {c.nation.code: c.amount for c in contributions} == {
        "GBR": Decimal("1840000000"),
        "JPN": Decimal("1840000000"),
        "ITA": Decimal("920000000"),
    }
    gcap_records = (
        models.Decision.objects.filter(body__programme__code="GCAP"),
        models.Vote.objects.filter(decision__body__programme__code="GCAP"),
        models.TechTransferMilestone.objects.filter(programme__code="GCAP"),
    )
    for queryset in gcap_records:
        assert set(queryset.values_list("confidence", "source")) == {("illustrative", "")}
    panavia = models.OwnershipStake.objects.filter(venture__name="Panavia Aircraft GmbH")
    assert set(panavia.values_list("confidence", flat=True)) == {"estimated"}


def test_the_demo_data_raises_the_articles_concerns_for_japan(seeded):
    scan_programme("GCAP", SCAN_DAY)

    flags = {
        flag.rule: flag
        for flag in models.Flag.objects.filter(programme__code="GCAP", nation__code="JPN")
    }
    assert {"leadership_deficit", "bloc_sidelining", "outvoted"} <= set(flags)
    assert flags["leadership_deficit"].severity == "warning"
    assert flags["outvoted"].severity == "warning"
    assert flags["bloc_sidelining"].severity == "critical", "both (votes) and (roles) hold"
    assert sorted(flags["bloc_sidelining"].counterparts.values_list("code", flat=True)) == [
        "GBR",
        "ITA",
    ]
    assert (
        not models.Flag.objects.filter(
            programme__code="GCAP",
            rule__in=["leadership_deficit", "bloc_sidelining", "outvoted"],
        )
        .exclude(nation__code="JPN")
        .exists()
    )
