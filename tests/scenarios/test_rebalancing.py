"""A reload may move shares between records of one set (stakes, agreed shares) whatever their
order in the file; the totals are checked over the whole set once every record is in."""

from decimal import Decimal

import pytest

from programs.models import OwnershipStake, Participation
from programs.scenarios.results import ScenarioError
from tests.scenario_helpers import SPEC_EXAMPLE, census, load, replace_once

pytestmark = pytest.mark.django_db


def test_a_reload_may_raise_one_agreed_share_before_lowering_the_other():
    load(SPEC_EXAMPLE)
    text = replace_once(
        SPEC_EXAMPLE, "role: lead, agreed_share: 50", "role: lead, agreed_share: 60"
    )
    text = replace_once(text, "role: partner, agreed_share: 50", "role: partner, agreed_share: 40")

    load(text)

    shares = dict(Participation.objects.values_list("nation__code", "agreed_share"))
    assert shares == {"AAA": Decimal("60"), "BBB": Decimal("40")}


def test_a_reload_may_move_stake_from_the_second_owner_to_the_first():
    load(SPEC_EXAMPLE)
    text = replace_once(
        SPEC_EXAMPLE, "owner: Avalon Aero, percent: 50", "owner: Avalon Aero, percent: 70"
    )
    text = replace_once(
        text, "owner: Borduria Motors, percent: 50", "owner: Borduria Motors, percent: 30"
    )

    load(text)

    stakes = dict(OwnershipStake.objects.values_list("owner__name", "percent"))
    assert stakes == {"Avalon Aero": Decimal("70"), "Borduria Motors": Decimal("30")}


def test_agreed_shares_over_one_hundred_in_total_are_refused_and_nothing_changes():
    load(SPEC_EXAMPLE)
    before = census()
    text = replace_once(
        SPEC_EXAMPLE, "role: lead, agreed_share: 50", "role: lead, agreed_share: 60"
    )

    with pytest.raises(ScenarioError) as caught:
        load(text)

    assert "participations (programme DEMO): agreed_share" in str(caught.value)
    assert "110" in str(caught.value)
    assert census() == before
