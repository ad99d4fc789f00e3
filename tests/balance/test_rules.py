"""Each SPEC §3 rule at, just below and just above its thresholds.

A rule's answer per nation is: no condition (fair, or past the recovery threshold), a condition
without severity (between raise and recovery: keeps an open flag, raises none), or a warning
or critical condition.
"""

import datetime
from decimal import Decimal

import pytest

from programs.balance.global_returns import global_returns
from programs.balance.programme_balance import programme_balance
from programs.balance.rules.registry import REGISTRY
from programs.balance.scan import programme_thresholds, scan_all, scan_programme
from programs.balance.thresholds import RULE_DEFAULTS, thresholds_for
from programs.models import Flag
from tests.worlds import AS_OF, World, shared_history

pytestmark = pytest.mark.django_db

D = Decimal
HOLD = "hold"  # a condition in the hysteresis band (severity None)


def verdict(world: World, rule: str, nation: str, counterparts: tuple[str, ...] = ()):
    balance = programme_balance(world.programme, AS_OF)
    found = [
        c
        for c in REGISTRY[rule].check(balance, programme_thresholds(world.programme)[rule])
        if c.nation == nation and (not counterparts or c.counterparts == counterparts)
    ]
    assert len(found) <= 1
    if not found:
        return None
    return found[0].severity or HOLD


def return_world(jpn_work: str) -> World:
    """UK and Japan pay 50 each; Japan's return coefficient is jpn_work / 50."""
    world = World(nations=("GBR", "JPN"))
    world.contribute("GBR", 50)
    world.contribute("JPN", 50)
    world.work("JPN", D(jpn_work))
    world.work("GBR", 100 - D(jpn_work))
    return world


@pytest.mark.parametrize(
    ("jpn_work", "expected"),
    [
        ("48.50", None),  # 0.97: at recovery, fair enough
        ("48.49", HOLD),  # 0.9698: below recovery, above warning
        ("47.50", HOLD),  # 0.95: at the warning threshold, not below it
        ("47.49", "warning"),  # 0.9498
        ("42.50", "warning"),  # 0.85: at critical, not below it
        ("42.49", "critical"),  # 0.8498
    ],
)
def test_workshare_return_thresholds(jpn_work, expected):
    assert verdict(return_world(jpn_work), "workshare_return", "JPN") == expected


def leadership_world(jpn_money: str, roles: dict[str, int]) -> World:
    world = World(nations=("GBR", "JPN"))
    world.contribute("JPN", D(jpn_money))
    world.contribute("GBR", 100 - D(jpn_money))
    for code, weight in roles.items():
        world.role(code, weight)
    return world


@pytest.mark.parametrize(
    ("jpn_money", "expected"),
    [
        # Japan holds 1 of 4 leadership weight (0.25); ratio = 0.25 / contribution share.
        ("48.00", None),  # 0.25 / 0.48 = 0.5208: past recovery (0.52)
        ("49.00", HOLD),  # 0.5102
        ("50.00", HOLD),  # 0.5: at the threshold, not below
        ("50.01", "warning"),  # 0.4999
    ],
)
def test_leadership_deficit_thresholds(jpn_money, expected):
    world = leadership_world(jpn_money, {"GBR": 3, "JPN": 1})
    assert verdict(world, "leadership_deficit", "JPN") == expected


@pytest.mark.parametrize(("jpn_money", "expected"), [("20.00", "critical"), ("19.99", "warning")])
def test_leadership_deficit_is_critical_without_any_role_from_twenty_percent(jpn_money, expected):
    world = leadership_world(jpn_money, {"GBR": 3})
    assert verdict(world, "leadership_deficit", "JPN") == expected


def test_leadership_deficit_needs_lead_roles_in_the_programme():
    world = leadership_world("50", {})
    assert verdict(world, "leadership_deficit", "JPN") is None


def outvoted_world(outvoted: int, counted: int) -> World:
    world = World()
    for index in range(counted):
        if index < outvoted:
            world.decide("approved", GBR="for", ITA="for", JPN="against")
        else:
            world.decide("approved", GBR="for", ITA="for", JPN="for")
    return world


@pytest.mark.parametrize(
    ("outvoted", "counted", "expected"),
    [
        (4, 4, None),  # 100 % but fewer than 5 counted votes
        (2, 5, "warning"),  # 40 % with exactly 5 counted votes
        (2, 7, HOLD),  # 28.6 %: between recovery (28 %) and warning (30 %)
        (3, 10, "warning"),  # 30 %: at the warning threshold
        (4, 13, "warning"),  # 30.8 %
        (7, 15, "warning"),  # 46.7 %, below critical
        (5, 10, "critical"),  # 50 %: at critical
        (7, 25, None),  # 28 %: at recovery
    ],
)
def test_outvoted_thresholds(outvoted, counted, expected):
    assert verdict(outvoted_world(outvoted, counted), "outvoted", "JPN") == expected


def bloc_world(contributions=(25, 25, 50), roles=None, tie=True, code="GCAP") -> World:
    world = World(code=code)
    if tie:
        shared_history(world)
    for code, amount in zip(("GBR", "ITA", "JPN"), contributions, strict=True):
        world.contribute(code, amount)
    for code, weights in (roles or {}).items():
        for weight in weights if isinstance(weights, list) else [weights]:
            world.role(code, weight)
    return world


def carry_against_japan(world: World, times: int) -> None:
    for _ in range(times):
        world.decide("approved", GBR="for", ITA="for", JPN="against")


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ({"GBR": 2, "ITA": 2, "JPN": 1}, "warning"),  # bloc 4/5 = 80 %: at the threshold
        ({"GBR": [5, 3], "ITA": [5, 2], "JPN": 4}, HOLD),  # 15/19 = 78.9 %, recovery 78 %
        ({"GBR": 4, "ITA": 3, "JPN": 2}, None),  # 7/9 = 77.8 %
    ],
)
def test_bloc_sidelining_by_roles(roles, expected):
    # Japan contributes 50 % and holds at most 4/19 = 21 % < 0.5 × 50 %: a deficit.
    world = bloc_world(roles=roles)
    assert verdict(world, "bloc_sidelining", "JPN", ("GBR", "ITA")) == expected


def test_bloc_sidelining_by_roles_needs_twenty_percent_contribution_and_a_deficit():
    world = bloc_world(contributions=(40.01, 40, 19.99), roles={"GBR": 2, "ITA": 2, "JPN": 1})
    assert verdict(world, "bloc_sidelining", "JPN", ("GBR", "ITA")) is None
    no_deficit = bloc_world(
        contributions=(30, 30, 40), roles={"GBR": 2, "ITA": 2, "JPN": 1}, code="OTHER"
    )
    # 1/5 = 20 % leadership = 0.5 × 40 %: not below, so no deficit.
    assert verdict(no_deficit, "bloc_sidelining", "JPN", ("GBR", "ITA")) is None


@pytest.mark.parametrize(
    ("carried", "alike_with_japan", "split", "expected"),
    [
        (3, 0, 0, "warning"),  # 3 of 3 alike, 3 carried against Japan
        (2, 1, 0, None),  # only 2 carried against Japan
        (3, 1, 1, "warning"),  # 4 of 5 alike = 80 %: at the threshold
        (3, 0, 1, None),  # 3 of 4 alike = 75 %: below the 78 % recovery threshold too
    ],
)
def test_bloc_sidelining_by_votes(carried, alike_with_japan, split, expected):
    world = bloc_world(contributions=(34, 33, 33))
    carry_against_japan(world, carried)
    for _ in range(alike_with_japan):
        world.decide("approved", GBR="for", ITA="for", JPN="for")
    for _ in range(split):
        world.decide("approved", GBR="for", ITA="against", JPN="for")
    assert verdict(world, "bloc_sidelining", "JPN", ("GBR", "ITA")) == expected


def test_bloc_sidelining_is_critical_when_votes_and_roles_both_hold_and_names_the_history():
    world = bloc_world(roles={"GBR": 3, "ITA": 3, "JPN": 1})
    carry_against_japan(world, 3)
    balance = programme_balance(world.programme, AS_OF)
    [condition] = [
        c
        for c in REGISTRY["bloc_sidelining"].check(balance, thresholds_for("bloc_sidelining"))
        if c.nation == "JPN"
    ]
    assert condition.severity == "critical"
    assert condition.counterparts == ("GBR", "ITA")
    assert condition.explanation.startswith(
        "Japan holds 1 of 7 leadership weight (14.3 %) with a 50 % contribution share"
    )
    assert (
        "the United Kingdom and Italy (tie index 16.97 since 1970: Tornado, Tempest, 1 agreement), "
        "against no prior tie of Japan with either, hold 85.7 %"
    ) in condition.explanation
    assert "hold 85.7 % of the leadership weight" in condition.explanation
    assert condition.evidence["by_votes"] and condition.evidence["by_roles"]
    assert condition.evidence["tie_since"] == "1970-01-01"


def transfer_world(delivered: list[int], received: list[int], pending: int = 0) -> World:
    world = World(nations=("GBR", "JPN"))
    for weight in delivered:
        world.transfer("JPN", "GBR", weight, status="achieved")
    for weight in received:
        world.transfer("GBR", "JPN", weight, status="achieved")
    for _ in range(pending):
        world.transfer("GBR", "JPN", 1, status="in_progress", planned_on=datetime.date(2030, 1, 1))
    return world


@pytest.mark.parametrize(
    ("delivered", "received", "pending", "expected"),
    [
        ([5, 5], [5], 0, HOLD),  # 5/10 = 50 %: at the threshold
        ([5, 5], [4], 0, "warning"),  # 40 %
        ([5, 5, 5, 5, 5], [5, 5, 3], 0, None),  # 13/25 = 52 %: at recovery
        ([5, 5, 5, 5, 5], [5, 5, 2], 0, "warning"),  # 48 %
        ([5], [1], 0, None),  # 2 milestones only
        ([5], [1], 1, "warning"),  # 3 milestones (one still in progress)
    ],
)
def test_tech_transfer_asymmetry_thresholds(delivered, received, pending, expected):
    world = transfer_world(delivered, received, pending)
    assert verdict(world, "tech_transfer_asymmetry", "JPN", ("GBR",)) == expected
    assert verdict(world, "tech_transfer_asymmetry", "GBR", ("JPN",)) is None


@pytest.mark.parametrize(
    ("days_late", "status", "expected"),
    [
        (90, "delayed", None),
        (91, "delayed", "warning"),
        (91, "cancelled", None),
        (10, "blocked", "critical"),
    ],
)
def test_tech_transfer_overdue_thresholds(days_late, status, expected):
    world = World(nations=("GBR", "JPN"))
    world.transfer("GBR", "JPN", status=status, planned_on=AS_OF - datetime.timedelta(days_late))
    assert verdict(world, "tech_transfer_overdue", "JPN") == expected


def global_world(ita_work: str) -> None:
    """Two EUR programmes, each paid 100 + 100; Italy's global return = ita_work / 50."""
    for code in ("ALPHA", "BETA"):
        world = World(code=code, nations=("GBR", "ITA"), currency="EUR")
        world.contribute("GBR", 100)
        world.contribute("ITA", 100)
        world.work("ITA", 2 * D(ita_work))
        world.work("GBR", 200 - 2 * D(ita_work))


@pytest.mark.parametrize(
    ("ita_work", "expected"),
    [("48.50", None), ("48.49", HOLD), ("47.50", HOLD), ("47.49", "warning")],
)
def test_global_balance_thresholds(ita_work, expected):
    global_world(ita_work)
    found = [
        c
        for c in REGISTRY["global_balance"].check(
            global_returns(AS_OF), thresholds_for("global_balance")
        )
        if c.nation == "ITA"
    ]
    assert (found[0].severity or HOLD if found else None) == expected


def balanced_world(code: str = "GCAP", currency: str = "GBP") -> World:
    world = World(code=code, currency=currency)
    world.balanced_money()
    for nation in ("GBR", "ITA", "JPN"):
        world.role(nation, 3)
    for _ in range(6):
        world.decide("approved", GBR="for", ITA="for", JPN="for")
    for provider, recipient in (("GBR", "JPN"), ("JPN", "GBR"), ("ITA", "JPN"), ("JPN", "ITA")):
        world.transfer(provider, recipient, 3, status="achieved")
    return world


def test_a_balanced_programme_raises_no_flag_at_all():
    world = balanced_world()
    shared_history(world)  # a strong UK–Italy tie alone is not sidelining
    balanced_world(code="SECOND", currency="GBP")

    results = scan_all(AS_OF)

    assert len(results) == 5  # GCAP, SECOND, TEMPEST, TORNADO and the global rules
    assert [r.opened for r in results] == [[]] * 5
    assert not Flag.objects.exists()


def test_a_programme_override_changes_the_outcome():
    world = return_world("45.00")  # 0.90: a warning by default
    assert scan_programme(world.programme, AS_OF).raised
    lenient = World(code="LENIENT", nations=("GBR", "JPN"))
    lenient.contribute("GBR", 50)
    lenient.contribute("JPN", 50)
    lenient.work("JPN", 45)
    lenient.work("GBR", 55)
    lenient.override("workshare_return", "warning", "0.85")
    lenient.override("workshare_return", "critical", "0.80")
    lenient.override("workshare_return", "recovery", "0.87")

    assert not scan_programme(lenient.programme, AS_OF).raised


def test_every_registered_rule_has_defaults_and_every_default_a_rule():
    assert set(REGISTRY) == set(RULE_DEFAULTS)
