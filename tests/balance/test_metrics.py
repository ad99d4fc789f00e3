import datetime
from decimal import Decimal

import pytest

from programs.balance.global_returns import global_returns
from programs.balance.programme_balance import programme_balance
from tests import factories
from tests.worlds import AS_OF, World, shared_history

pytestmark = pytest.mark.django_db

D = Decimal


def test_joint_venture_work_is_looked_through_recursively_dividing_by_the_actual_stake_total(world):
    edgewing = factories.JointVentureFactory(name="Edgewing")
    for code in ("GBR", "ITA", "JPN"):
        factories.OwnershipStakeFactory(venture=edgewing, owner=world.orgs[code], percent=D("33.3"))
    sensors = factories.JointVentureFactory(name="Sensors JV")
    factories.OwnershipStakeFactory(venture=sensors, owner=edgewing, percent=D("60"))
    factories.OwnershipStakeFactory(venture=sensors, owner=world.orgs["GBR"], percent=D("40"))
    agency = factories.OrganisationFactory(name="Agency", kind="agency", nation=None)
    world.work(edgewing, 900)
    world.work(sensors, 500)
    world.work("JPN", 100)
    world.work(agency, 100)

    balance = programme_balance(world.programme, AS_OF)

    # Edgewing 900: stakes total 99.9, each 33.3/99.9 = 1/3 -> 300 to each nation.
    # Sensors JV 500: 40 % -> 200 to GBR; 60 % -> 300 to Edgewing -> 100 to each nation.
    # JPN direct 100; the agency's 100 goes to no nation but counts in all work (1600).
    # GBR 300 + 200 + 100 = 600; ITA 300 + 100 = 400; JPN 300 + 100 + 100 = 500.
    assert balance.total_work == D("1600.00")
    assert balance.unattributed_work == D("100.00")
    assert balance.nation("GBR").work == D("600.00")
    assert balance.nation("ITA").work == D("400.00")
    assert balance.nation("JPN").work == D("500.00")
    # 600 / 1600 = 0.375; 400 / 1600 = 0.25; 500 / 1600 = 0.3125
    assert balance.nation("GBR").workshare_share == D("0.375000")
    assert balance.nation("ITA").workshare_share == D("0.250000")
    assert balance.nation("JPN").workshare_share == D("0.312500")


def test_prior_ties_sum_overlap_years_in_other_programmes_and_agreements_in_force(world):
    shared_history(world)

    pair = programme_balance(world.programme, AS_OF).pair("GBR", "ITA")

    # Tornado: both from the programme start 1970-01-01 to its end 1980-01-01:
    #   10 × 365 + 2 leap days (1972, 1976) = 3652 days = 9.9986 years: 10.00.
    # Tempest (a predecessor): UK from 2018-07-16, Italy from 2020-12-21, to its end 2022-12-09:
    #   2020-12-21 -> 2021-12-21 = 365, -> 2022-12-09 = 353; 718 days = 1.9658 years: 1.97.
    # 10.00 + 1.97 = 11.97 years; the UK–Italy MoU (2019, in force) adds 5: 16.97.
    assert pair.tie_overlap_years == D("11.97")
    assert pair.tie_agreements == ["UK–Italy defence MoU"]
    assert pair.tie_programmes == ["TORNADO", "TEMPEST"]
    assert pair.tie_programme_names == ["Tornado", "Tempest"]
    assert [part.points for part in pair.tie_parts] == [D("10.00"), D("5.00"), D("1.97")]
    assert pair.tie_index == D("16.97")
    assert pair.tie_strong
    assert pair.tie_since == datetime.date(1970, 1, 1)

    japan = programme_balance(world.programme, AS_OF).pair("GBR", "JPN")
    # The UK–Japan accord ended in 2020, so it is not in force on 2026-06-30; no shared programme.
    assert japan.tie_index == 0
    assert not japan.tie_strong
    assert japan.tie_since is None
    assert japan.tie_parts == []


def test_prior_tie_judged_as_of_a_day_counts_nothing_after_it(world):
    shared_history(world)

    pair = programme_balance(world.programme, datetime.date(1975, 1, 1)).pair("GBR", "ITA")

    # Tornado 1970-01-01 -> 1975-01-01 = 5 × 365 + 1 leap day = 1826 days = 4.9993 years, 5.00
    # to two places: strong, just; the MoU (2019) and Tempest (2018) are after the day.
    assert pair.tie_overlap_years == D("5.00")
    assert pair.tie_index == D("5.00")
    assert pair.tie_strong
    assert pair.tie_agreements == []
    assert [part.code for part in pair.tie_parts] == ["TORNADO"]
    before = programme_balance(world.programme, datetime.date(1974, 12, 30)).pair("GBR", "ITA")
    # 1824 days = 4.9938 years: 4.99, short of strong.
    assert before.tie_index == D("4.99")
    assert not before.tie_strong


def test_contribution_share_falls_back_to_agreed_then_equal_split_of_active_participants(world):
    world.participations["GBR"].agreed_share = D("50")
    world.participations["GBR"].save()
    world.participations["ITA"].agreed_share = D("30")
    world.participations["ITA"].save()
    balance = programme_balance(world.programme, AS_OF)
    assert balance.nation("GBR").contribution_basis == "agreed"
    assert balance.nation("GBR").contribution_share == D("0.5")
    assert balance.nation("JPN").contribution_share == 0

    other = World(code="OTHER", nations=("GBR", "ITA", "JPN", "DEU"))
    other.participations["DEU"].left_on = datetime.date(2024, 1, 1)
    other.participations["DEU"].save()
    balance = programme_balance(other.programme, AS_OF)
    # Germany left in 2024: the equal split is among the three active participants.
    assert balance.nation("GBR").contribution_basis == "equal"
    assert balance.nation("GBR").contribution_share == D("0.333333")
    assert balance.nation("DEU").contribution_share == 0

    other.contribute("DEU", 10)
    balance = programme_balance(other.programme, AS_OF)
    assert balance.nation("DEU").contribution_basis == "recorded"
    assert balance.nation("DEU").contribution_share == 1


def test_return_coefficient_is_workshare_over_contribution_share_and_absent_without_money(world):
    world.contribute("GBR", 400)
    world.contribute("ITA", 300)
    world.contribute("JPN", 300)
    world.work("GBR", 500)
    world.work("ITA", 300)
    world.work("JPN", 200)
    balance = programme_balance(world.programme, AS_OF)
    # JPN: 0.2 / 0.3 = 0.666667; GBR: 0.5 / 0.4 = 1.25
    assert balance.nation("JPN").return_coefficient == D("0.666667")
    assert balance.nation("GBR").return_coefficient == D("1.25")

    empty = World(code="EMPTY", nations=("GBR", "ITA"))
    empty.contribute("GBR", 100)
    balance = programme_balance(empty.programme, AS_OF)
    assert balance.nation("GBR").return_coefficient is None  # no work recorded
    assert balance.nation("ITA").return_coefficient is None  # contribution share 0


def test_leadership_share_counts_only_roles_active_on_the_day(world):
    world.role("GBR", 5)
    world.role("ITA", 4, started_on=datetime.date(2027, 1, 1))  # not started yet
    world.role("JPN", 2, ended_on=AS_OF)  # ended on the day: no longer active
    world.role("JPN", 3, started_on=AS_OF)  # started on the day: active
    balance = programme_balance(world.programme, AS_OF)
    assert balance.total_leadership_weight == 8
    assert balance.nation("GBR").leadership_share == D("0.625")
    assert balance.nation("ITA").leadership_weight == 0
    assert balance.nation("JPN").roles_held == 1


def test_counted_votes_outvoted_rate_and_pair_agreement(world):
    world.decide("approved", GBR="for", ITA="for", JPN="against")  # JPN outvoted
    world.decide("rejected", GBR="against", ITA="against", JPN="for")  # JPN outvoted
    world.decide("approved", GBR="for", ITA="abstain", JPN="for")  # ITA's abstention not counted
    world.decide("deferred", GBR="for", ITA="for", JPN="against")  # deferred: nothing counted
    world.decide("approved", GBR="for", ITA="against", JPN="absent")  # ITA outvoted
    balance = programme_balance(world.programme, AS_OF)

    japan = balance.nation("JPN")
    assert (japan.counted_votes, japan.outvoted_votes, japan.outvoted_rate) == (3, 2, D("0.666667"))
    italy = balance.nation("ITA")
    assert (italy.counted_votes, italy.outvoted_votes) == (3, 1)
    assert balance.nation("GBR").outvoted_rate == 0

    bloc = balance.pair("GBR", "ITA")
    # Both counted on decisions 1, 2 and 5; alike on 1 and 2.
    assert (bloc.shared_decisions, bloc.agreed_decisions) == (3, 2)
    assert bloc.agreement_rate == D("0.666667")
    assert bloc.carried_together_against == {"JPN": 2}


def test_votes_vetoes_and_chairs_sum_over_the_programmes_bodies(world):
    second = factories.DecisionBodyFactory(programme=world.programme, name="Industrial board")
    factories.SeatFactory(body=second, nation=world.nations["GBR"], votes=2, chair=True, veto=True)
    balance = programme_balance(world.programme, AS_OF)
    gbr = balance.nation("GBR")
    assert (gbr.votes, gbr.vetoes, gbr.chairs) == (3, 1, 1)
    assert balance.total_votes == 5
    assert gbr.vote_share == D("0.6")


def test_tech_transfer_weights_overdue_and_blocked(world):
    world.transfer("GBR", "JPN", 3, status="achieved", achieved_on=datetime.date(2025, 1, 1))
    world.transfer("GBR", "JPN", 2, status="achieved", achieved_on=datetime.date(2026, 12, 1))
    world.transfer(
        "JPN", "GBR", 1, status="delayed", planned_on=AS_OF - datetime.timedelta(days=91)
    )
    world.transfer(
        "JPN", "GBR", 1, status="planned", planned_on=AS_OF - datetime.timedelta(days=90)
    )
    world.transfer("JPN", "GBR", 1, status="cancelled", planned_on=datetime.date(2020, 1, 1))
    world.transfer("ITA", "JPN", 1, status="blocked", planned_on=datetime.date(2030, 1, 1))
    balance = programme_balance(world.programme, AS_OF)

    pair = balance.pair("GBR", "JPN")
    # Achieved after the day does not count yet; the cancelled one is not "between" them.
    assert (pair.tt_weight_a_to_b, pair.tt_weight_b_to_a) == (3, 0)
    assert pair.milestones_between == 4
    # 91 days late is overdue, 90 is not; the cancelled one never is.
    assert balance.nation("GBR").overdue_to_receive == 1
    assert balance.nation("JPN").blocked_to_receive == 1
    # The one achieved after the day (planned 2024-06-30) was still overdue on the day.
    assert balance.nation("JPN").overdue_to_receive == 1


def test_global_return_per_currency_over_nations_in_two_or_more_programmes():
    first = World(code="ALPHA", nations=("GBR", "ITA"), currency="EUR")
    first.contribute("GBR", 100)
    first.contribute("ITA", 100)
    first.work("GBR", 150)
    first.work("ITA", 50)
    second_programme = factories.ProgrammeFactory(code="BETA", currency="EUR")
    for code in ("GBR", "ITA"):
        factories.ParticipationFactory(programme=second_programme, nation=first.nations[code])
    factories.ContributionFactory(
        programme=second_programme, nation=first.nations["ITA"], amount=D("200")
    )
    package = factories.WorkPackageFactory(programme=second_programme)
    factories.WorkshareAllocationFactory(
        work_package=package, organisation=first.orgs["ITA"], amount=D("200")
    )
    other_currency = World(code="GAMMA", nations=("GBR", "ITA"), currency="GBP")
    other_currency.balanced_money()

    returns = {(r.nation, r.currency): r for r in global_returns(AS_OF)}
    # EUR: ALPHA + BETA: work 200 + 200 = 400, money 200 + 200 = 400.
    # GBR: work 150 / 400 = 0.375, money 100 / 400 = 0.25 -> 1.5
    # ITA: work 250 / 400 = 0.625, money 300 / 400 = 0.75 -> 0.833333
    assert returns[("GBR", "EUR")].global_return == D("1.5")
    assert returns[("ITA", "EUR")].global_return == D("0.833333")
    assert returns[("ITA", "EUR")].programmes == ["ALPHA", "BETA"]
    # GAMMA is the only GBP programme: nobody takes part in two.
    assert ("GBR", "GBP") not in returns
