import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from programs import models
from tests import factories

pytestmark = pytest.mark.django_db


def field_errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


def test_a_joint_venture_with_a_nation_is_rejected_naming_the_nation_field():
    venture = factories.JointVentureFactory.build(nation=factories.NationFactory())
    assert "nation" in field_errors(venture)


def test_the_database_refuses_a_joint_venture_with_a_nation():
    venture = factories.JointVentureFactory()
    venture.nation = factories.NationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        venture.save()


def test_stakes_of_a_venture_cannot_exceed_one_hundred_percent():
    stake = factories.OwnershipStakeFactory(percent=Decimal("60"))
    second = factories.OwnershipStakeFactory.build(
        venture=stake.venture, owner=factories.OrganisationFactory(), percent=Decimal("50")
    )
    assert "over 100%" in field_errors(second)["percent"][0]


def test_agreed_shares_of_a_programme_cannot_exceed_one_hundred_percent():
    first = factories.ParticipationFactory(agreed_share=Decimal("70"))
    second = factories.ParticipationFactory.build(
        programme=first.programme, nation=factories.NationFactory(), agreed_share=Decimal("40")
    )
    assert "agreed_share" in field_errors(second)


def test_a_negative_contribution_is_rejected_by_clean_and_by_the_database():
    participation = factories.ParticipationFactory()
    contribution = factories.ContributionFactory.build(
        programme=participation.programme, nation=participation.nation, amount=Decimal("-1")
    )
    assert "amount" in field_errors(contribution)
    with pytest.raises(IntegrityError), transaction.atomic():
        contribution.save()


def test_a_contribution_period_that_ends_before_it_starts_is_rejected():
    participation = factories.ParticipationFactory()
    contribution = factories.ContributionFactory.build(
        programme=participation.programme,
        nation=participation.nation,
        period_start=datetime.date(2024, 1, 1),
        period_end=datetime.date(2023, 1, 1),
    )
    assert "period_end" in field_errors(contribution)
    with pytest.raises(IntegrityError), transaction.atomic():
        contribution.save()


def test_a_vote_from_a_nation_without_a_seat_is_rejected():
    decision = factories.DecisionFactory()
    outsider = factories.NationFactory()
    factories.ParticipationFactory(programme=decision.body.programme, nation=outsider)
    vote = factories.VoteFactory.build(decision=decision, nation=outsider)
    assert "holds no seat" in field_errors(vote)["nation"][0]


def test_a_leadership_weight_outside_one_to_five_is_rejected():
    participation = factories.ParticipationFactory()
    role = factories.LeadershipRoleFactory.build(
        programme=participation.programme, nation=participation.nation, weight=6
    )
    assert "weight" in field_errors(role)
    with pytest.raises(IntegrityError), transaction.atomic():
        role.save()


def test_an_achieved_milestone_needs_its_achieved_on_date():
    milestone = factories.TechTransferMilestoneFactory.build(
        status=models.TechTransferMilestone.Status.ACHIEVED,
        provider=factories.OrganisationFactory(),
        recipient=factories.OrganisationFactory(),
        programme=factories.ProgrammeFactory(),
    )
    assert "achieved_on" in field_errors(milestone)


def test_a_body_has_at_most_one_chair():
    seat = factories.SeatFactory(chair=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.SeatFactory(body=seat.body, chair=True)


def test_an_unknown_threshold_parameter_is_rejected_naming_the_rule_parameters():
    override = models.ThresholdOverride(
        programme=factories.ProgrammeFactory(),
        rule="workshare_return",
        parameter="nonsense",
        value=Decimal("1"),
    )
    assert "warning" in field_errors(override)["parameter"][0]


def test_every_save_of_a_tracked_record_is_kept_in_its_history():
    nation = factories.NationFactory(code="AAA", name="Avalon")
    nation.name = "Avalon Republic"
    nation.save()
    assert [h.name for h in nation.history.order_by("history_date")] == [
        "Avalon",
        "Avalon Republic",
    ]
