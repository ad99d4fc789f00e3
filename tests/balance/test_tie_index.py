"""The tie index of SPEC §2 on worked examples checked by hand, and the relative
``bloc_sidelining`` rule of SPEC §3 that reads it."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs.balance.programme_balance import programme_balance
from programs.balance.rules.registry import REGISTRY
from programs.balance.scan import programme_thresholds, scan_programme
from programs.balance.tie_index import TiePart
from programs.balance.ties import bloc_ties
from programs.models import Flag, ThresholdOverride
from programs.scenarios.results import ScenarioError
from tests import factories
from tests.admin_helpers import admin_url, https_client
from tests.scenario_helpers import load
from tests.worlds import AS_OF, World

pytestmark = pytest.mark.django_db

D = Decimal
START = datetime.date(2000, 1, 1)


def shared_programme(world: World, code: str, years, *nations: str, start=START):
    """Another programme the nations took part in together for ``years`` (to two places:
    round(years × 365.25) days, which is ``years`` again once divided and rounded)."""
    end = start + datetime.timedelta(days=round(D(str(years)) * D("365.25")))
    programme = factories.ProgrammeFactory(
        code=code, name=code.title(), started_on=start, ended_on=end, status="in_service"
    )
    for nation in nations:
        factories.ParticipationFactory(
            programme=programme, nation=world.nations[nation], joined_on=None
        )
    return programme


def agreement(world: World, name: str, *nations: str, signed_on=START, ended_on=None):
    return factories.AgreementFactory(
        name=name,
        nations=[world.nations[n] for n in nations],
        signed_on=signed_on,
        ended_on=ended_on,
    )


def test_tie_index_adds_overlap_years_of_shared_programmes_and_five_per_agreement_in_force(world):
    gbr, ita = world.nations["GBR"], world.nations["ITA"]
    # Overlapping participations: Q runs 1990–2010; the UK is in from 1995 to 2005, Italy from
    # 2001 (left_on empty: to Q's end). Overlap 2001-01-01 -> 2005-01-01 = 4 × 365 + 1 leap
    # day (2004) = 1461 days = 4.00 years.
    q = factories.ProgrammeFactory(
        code="Q", name="Q", started_on=datetime.date(1990, 1, 1), ended_on=datetime.date(2010, 1, 1)
    )
    factories.ParticipationFactory(
        programme=q,
        nation=gbr,
        joined_on=datetime.date(1995, 1, 1),
        left_on=datetime.date(2005, 1, 1),
    )
    factories.ParticipationFactory(programme=q, nation=ita, joined_on=datetime.date(2001, 1, 1))
    # Disjoint participations: the UK 1980–1985, Italy 1986–1990: nothing shared.
    r = factories.ProgrammeFactory(code="R", name="R", started_on=datetime.date(1980, 1, 1))
    factories.ParticipationFactory(
        programme=r,
        nation=gbr,
        joined_on=datetime.date(1980, 1, 1),
        left_on=datetime.date(1985, 1, 1),
    )
    factories.ParticipationFactory(
        programme=r,
        nation=ita,
        joined_on=datetime.date(1986, 1, 1),
        left_on=datetime.date(1990, 1, 1),
    )
    # A predecessor of the programme counts: 2018-01-01 -> 2020-01-01 = 730 days = 2.00 years.
    predecessor = shared_programme(world, "PRED", 2, "GBR", "ITA", start=datetime.date(2018, 1, 1))
    world.programme.predecessors.add(predecessor)
    # The programme itself does not: both are in GCAP since 2022, and that is not prior history.
    agreement(world, "In force", "GBR", "ITA", signed_on=datetime.date(1999, 6, 1))
    agreement(world, "Ended before", "GBR", "ITA", ended_on=datetime.date(2020, 1, 1))
    agreement(world, "Ended on the day", "GBR", "ITA", ended_on=AS_OF)
    agreement(world, "Signed after", "GBR", "ITA", signed_on=AS_OF + datetime.timedelta(days=1))
    agreement(world, "UK–Japan", "GBR", "JPN", signed_on=datetime.date(2023, 1, 1))

    balance = programme_balance(world.programme, AS_OF)
    pair = balance.pair("GBR", "ITA")

    # 4.00 (Q) + 2.00 (PRED) + 5 (the one agreement in force) = 11.
    assert pair.tie_index == D("11.00")
    assert pair.tie_overlap_years == D("6.00")
    assert pair.tie_strong
    assert pair.tie_since == datetime.date(1999, 6, 1)
    assert pair.tie_parts == [
        TiePart("agreement", "", "In force", datetime.date(1999, 6, 1), D("5.00")),
        TiePart("programme", "Q", "Q", datetime.date(2001, 1, 1), D("4.00")),
        TiePart("programme", "PRED", "Pred", datetime.date(2018, 1, 1), D("2.00")),
    ]
    assert pair.tie_programmes == ["Q", "PRED"]
    assert pair.tie_agreements == ["In force"]
    assert balance.pair("GBR", "JPN").tie_index == D("5.00")
    assert balance.pair("ITA", "JPN").tie_index == 0
    assert balance.pair("ITA", "JPN").tie_since is None

    # As of 2003-01-01: Q's overlap runs 2001-01-01 -> 2003-01-01 = 730 days = 2.00; the
    # predecessor and the agreement signed after are later; the two ended ones were in force.
    earlier = programme_balance(world.programme, datetime.date(2003, 1, 1)).pair("GBR", "ITA")
    assert earlier.tie_index == D("17.00")
    assert [part.name for part in earlier.tie_parts] == [
        "In force",
        "Ended before",
        "Ended on the day",
        "Q",
    ]


def bloc_world(code: str = "GCAP") -> World:
    """Japan pays half and holds 1 of 7 leadership weight; the UK and Italy hold the rest
    ((roles) holds). The ties are added by each test."""
    world = World(code=code)
    for nation, amount in (("GBR", 25), ("ITA", 25), ("JPN", 50)):
        world.contribute(nation, amount)
    world.role("GBR", 3)
    world.role("ITA", 3)
    world.role("JPN", 1)
    return world


def bloc_verdict(world: World) -> str | None:
    balance = programme_balance(world.programme, AS_OF)
    thresholds = programme_thresholds(world.programme)["bloc_sidelining"]
    found = [
        c
        for c in REGISTRY["bloc_sidelining"].check(balance, thresholds)
        if c.nation == "JPN" and c.counterparts == ("GBR", "ITA")
    ]
    assert len(found) <= 1
    if not found:
        return None
    return found[0].severity or "hold"


@pytest.mark.parametrize(
    ("bloc_years", "expected"),
    [
        (9, "warning"),  # 9 = 3 × 3: at tie_ratio
        ("9.01", "warning"),  # just above
        ("8.99", "hold"),  # just below: ratio 2.997, above the 2.98 recovery: raises nothing
        ("8.9", None),  # ratio 2.967: below the recovery threshold too
    ],
)
def test_bloc_sidelining_at_just_below_and_just_above_the_tie_ratio(bloc_years, expected):
    world = bloc_world()
    shared_programme(world, "BLOC", bloc_years, "GBR", "ITA")
    shared_programme(world, "UKJ", 3, "GBR", "JPN")
    assert bloc_verdict(world) == expected


def test_a_pair_tied_by_an_agreement_and_three_years_is_no_bloc_against_three_years_of_tie():
    world = bloc_world()
    shared_programme(world, "BLOC", 3, "GBR", "ITA")
    agreement(world, "UK–Italy MoU", "GBR", "ITA")
    shared_programme(world, "UKJ", 3, "GBR", "JPN")

    balance = programme_balance(world.programme, AS_OF)
    assert balance.pair("GBR", "ITA").tie_index == D("8.00")
    assert balance.pair("GBR", "JPN").tie_index == D("3.00")
    # 8 < 3 × 3 = 9, and 8 / 3 = 2.67 is below the recovery threshold too.
    assert bloc_verdict(world) is None


def test_a_nation_with_no_ties_at_all_is_flagged_as_before_and_the_explanation_says_so():
    world = bloc_world()
    shared_programme(world, "BLOC", 3, "GBR", "ITA")
    agreement(world, "UK–Italy MoU", "GBR", "ITA")

    scan_programme(world.programme, AS_OF)

    flag = Flag.objects.get(rule="bloc_sidelining", nation__code="JPN", status="open")
    assert flag.severity == "warning"
    assert (
        "the United Kingdom and Italy (tie index 8 since 2000: Bloc, 1 agreement), against no "
        "prior tie of Japan with either, hold 85.7 % of the leadership weight"
    ) in flag.explanation
    assert flag.evidence["tie_index"] == "8.00"
    assert flag.evidence["tie_ratio"] is None
    assert flag.evidence["nation_ties"]["GBR"] == {
        "tie_index": "0.00",
        "tie_since": None,
        "parts": [],
    }


def test_the_explanation_and_evidence_give_the_three_indices_and_their_parts():
    world = bloc_world()
    shared_programme(world, "BLOC", 20, "GBR", "ITA", start=datetime.date(1969, 3, 26))
    agreement(world, "UK–Italy MoU", "GBR", "ITA", signed_on=datetime.date(2019, 9, 10))
    shared_programme(world, "UKJ", 2, "GBR", "JPN")
    agreement(world, "UK–Japan treaty", "GBR", "JPN", signed_on=datetime.date(2017, 1, 26))
    agreement(world, "Italy–Japan treaty", "ITA", "JPN", signed_on=datetime.date(2024, 11, 25))

    scan_programme(world.programme, AS_OF)

    flag = Flag.objects.get(rule="bloc_sidelining", nation__code="JPN", status="open")
    # 25 >= 3 × 7 and >= 3 × 5.
    assert (
        "; the United Kingdom and Italy (tie index 25 since 1969: Bloc, 1 agreement), against "
        "Japan's 7 with the United Kingdom and 5 with Italy, hold 85.7 %"
    ) in flag.explanation
    assert flag.evidence["tie_index"] == "25.00"
    assert flag.evidence["tie_ratio"] == "3.57"
    assert flag.evidence["tie_ratio_threshold"] == "3"
    assert [part["name"] for part in flag.evidence["tie_parts"]] == ["Bloc", "UK–Italy MoU"]
    assert flag.evidence["nation_ties"]["GBR"]["tie_index"] == "7.00"
    assert [p["points"] for p in flag.evidence["nation_ties"]["GBR"]["parts"]] == ["2.00", "5.00"]
    assert flag.evidence["nation_ties"]["ITA"]["tie_index"] == "5.00"


def test_a_bloc_needs_a_strong_tie_and_strong_tie_is_overridable():
    world = bloc_world()
    shared_programme(world, "BLOC", 4, "GBR", "ITA")
    assert bloc_verdict(world) is None  # 4 < 5: not strong, though Japan has no tie at all
    world.override("bloc_sidelining", "strong_tie", 4)
    assert bloc_verdict(world) == "warning"


def test_a_per_programme_tie_ratio_changes_the_outcome():
    world = bloc_world()
    shared_programme(world, "BLOC", 3, "GBR", "ITA")
    agreement(world, "UK–Italy MoU", "GBR", "ITA")
    shared_programme(world, "UKJ", 3, "GBR", "JPN")
    world.override("bloc_sidelining", "tie_ratio", "2.5")  # 8 >= 2.5 × 3
    assert bloc_verdict(world) == "warning"


def test_a_scenario_file_sets_tie_ratio_and_strong_tie_for_its_programme():
    world = bloc_world()
    shared_programme(world, "BLOC", 3, "GBR", "ITA")
    agreement(world, "UK–Italy MoU", "GBR", "ITA")
    shared_programme(world, "UKJ", 3, "GBR", "JPN")
    assert bloc_verdict(world) is None  # 8 < 3 × 3

    load(
        """
format: gcaptrack-scenario/1
programmes:
  - {code: GCAP, name: GCAP, status: development, currency: GBP,
     thresholds: {bloc_sidelining: {tie_ratio: 2.5, strong_tie: 8}}}
"""
    )

    assert bloc_verdict(world) == "warning"  # 8 >= 2.5 × 3, and 8 is strong at 8
    with pytest.raises(ScenarioError) as caught:
        load(
            """
format: gcaptrack-scenario/1
programmes:
  - {code: GCAP, name: GCAP, status: development, currency: GBP,
     thresholds: {bloc_sidelining: {tie_ratio: -1}}}
"""
        )
    assert (
        "thresholds[bloc_sidelining.tie_ratio]: value: A threshold is a number of zero or more."
        in (caught.value.errors[0])
    )
    assert ThresholdOverride.objects.get(parameter="tie_ratio").value == D("2.5")


def test_an_analyst_sets_tie_ratio_in_the_admin_and_the_next_scan_reads_it(analyst):
    world = bloc_world()
    shared_programme(world, "BLOC", 3, "GBR", "ITA")
    agreement(world, "UK–Italy MoU", "GBR", "ITA")
    shared_programme(world, "UKJ", 3, "GBR", "JPN")
    client = https_client(analyst)

    response = client.post(
        admin_url(ThresholdOverride, "add"),
        {
            "programme": world.programme.pk,
            "rule": "bloc_sidelining",
            "parameter": "tie_ratio",
            "value": "2.5",
            "source": "analysts' review",
            "confidence": "estimated",
        },
    )

    assert response.status_code == 302, response.context["errors"]
    scan_programme(world.programme, AS_OF)
    assert Flag.objects.filter(rule="bloc_sidelining", nation__code="JPN", status="open").exists()


def test_the_recovery_threshold_keeps_the_flag_from_flapping_as_the_index_moves():
    world = bloc_world()
    shared_programme(world, "BLOC", 9, "GBR", "ITA")
    ukj = shared_programme(world, "UKJ", 3, "GBR", "JPN")
    scan_programme(world.programme, AS_OF)
    flag = Flag.objects.get(rule="bloc_sidelining", nation__code="JPN")
    assert flag.status == "open"

    def japan_years(years: str) -> None:
        ukj.ended_on = START + datetime.timedelta(days=round(D(years) * D("365.25")))
        ukj.save()
        scan_programme(world.programme, AS_OF)
        flag.refresh_from_db()

    japan_years("3.01")  # 9 / 3.01 = 2.99: short of tie_ratio, above the recovery threshold
    assert flag.status == "open" and flag.resolved_at is None
    assert (
        "against Japan's 3.01 with the United Kingdom and 0 with Italy (2.99 times, short of the "
        "tie ratio 3.00; the flag resolves below 2.98),"
    ) in flag.explanation
    japan_years("3.00")  # back at the ratio: the same flag, still open
    assert flag.status == "open"
    japan_years("3.03")  # 9 / 3.03 = 2.97: below the recovery threshold
    assert flag.status == "resolved"
    japan_years("3.02")  # 2.98: in the band again, but a resolved flag is not reopened by it
    assert not Flag.objects.filter(rule="bloc_sidelining", status="open").exists()


def test_bloc_ties_give_each_nation_the_ratio_the_rule_reads_next_to_the_threshold():
    world = bloc_world()
    shared_programme(world, "BLOC", 9, "GBR", "ITA")
    shared_programme(world, "UKJ", 3, "GBR", "JPN")
    world.override("bloc_sidelining", "tie_ratio", 4)
    balance = programme_balance(world.programme, AS_OF)

    ties = bloc_ties(balance, programme_thresholds(world.programme)["bloc_sidelining"])

    japan = next(tie for tie in ties if tie.nation == "JPN")
    assert (japan.a, japan.b, japan.bloc_index) == ("GBR", "ITA", D("9.00"))
    assert (japan.index_with_a, japan.index_with_b) == (D("3.00"), D("0.00"))
    assert japan.ratio == D("3.00")
    assert japan.tie_ratio == D("4")
    assert japan.state is None
    # The UK against Italy and Japan, who are not tied at all: 0 / 9, and not a strong bloc.
    uk = next(tie for tie in ties if tie.nation == "GBR")
    assert (uk.bloc_index, uk.ratio, uk.state) == (D("0.00"), D("0.00"), None)


def tie_rows(world: World, numbers: range) -> None:
    """A shared programme of one year and an agreement for every pair of the world's nations,
    for each number."""
    codes = sorted(world.nations)
    for n in numbers:
        for i, x in enumerate(codes):
            for y in codes[i + 1 :]:
                shared_programme(world, f"{world.programme.code}{x}{y}{n}", 1, x, y)
                agreement(world, f"{world.programme.code} {x}–{y} {n}", x, y)


def test_the_scan_query_count_stays_constant_as_ties_and_agreements_grow():
    world = bloc_world()
    tie_rows(world, range(1))
    scan_programme(world.programme, AS_OF)
    with CaptureQueriesContext(connection) as once:
        scan_programme(world.programme, AS_OF)
    tie_rows(world, range(1, 11))  # 10 more programmes and agreements for each pair: 11×
    with CaptureQueriesContext(connection) as eleven_times:
        result = scan_programme(world.programme, AS_OF)
    assert not result.raised and not result.resolved  # every pair equally tied: no bloc
    assert programme_balance(world.programme, AS_OF).pair("GBR", "ITA").tie_index == D("66.00")
    assert len(eleven_times) == len(once)
