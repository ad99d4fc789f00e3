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


def _participant_pair():
    participation = factories.ParticipationFactory()
    return participation.programme, participation.nation


def _bad_records():
    """(label, a function building an invalid unsaved record, the field its error names)."""
    yield "nation code", lambda: models.Nation(code="GB", name="Britain"), "code"
    yield (
        "currency",
        lambda: factories.ProgrammeFactory.build(code="X", currency="pounds"),
        "currency",
    )
    yield (
        "programme dates",
        lambda: factories.ProgrammeFactory.build(
            code="X", started_on=datetime.date(2020, 1, 1), ended_on=datetime.date(2019, 1, 1)
        ),
        "ended_on",
    )
    yield (
        "zero stake",
        lambda: factories.OwnershipStakeFactory.build(
            venture=factories.JointVentureFactory(),
            owner=factories.OrganisationFactory(),
            percent=Decimal("0"),
        ),
        "percent",
    )

    def own_venture():
        venture = factories.JointVentureFactory()
        return models.OwnershipStake(venture=venture, owner=venture, percent=Decimal("10"))

    yield "venture owning itself", own_venture, "owner"

    def participation_dates():
        return factories.ParticipationFactory.build(
            programme=factories.ProgrammeFactory(),
            nation=factories.NationFactory(),
            joined_on=datetime.date(2020, 1, 1),
            left_on=datetime.date(2019, 1, 1),
        )

    yield "participation dates", participation_dates, "left_on"

    def role_dates():
        programme, nation = _participant_pair()
        return factories.LeadershipRoleFactory.build(
            programme=programme,
            nation=nation,
            started_on=datetime.date(2020, 1, 1),
            ended_on=datetime.date(2019, 1, 1),
        )

    yield "lead role dates", role_dates, "ended_on"

    def same_parties():
        organisation = factories.OrganisationFactory()
        return factories.TechTransferMilestoneFactory.build(
            programme=factories.ProgrammeFactory(), provider=organisation, recipient=organisation
        )

    yield "transfer to itself", same_parties, "recipient"

    def heavy_milestone():
        return factories.TechTransferMilestoneFactory.build(
            programme=factories.ProgrammeFactory(),
            provider=factories.OrganisationFactory(),
            recipient=factories.OrganisationFactory(),
            weight=9,
        )

    yield "milestone weight", heavy_milestone, "weight"

    def agreement_dates():
        return models.Agreement(
            name="Accord",
            kind="mou",
            signed_on=datetime.date(2020, 1, 1),
            ended_on=datetime.date(2019, 1, 1),
        )

    yield "agreement dates", agreement_dates, "ended_on"

    def seat_outsider():
        return models.Seat(body=factories.DecisionBodyFactory(), nation=factories.NationFactory())

    yield "seat of an outsider", seat_outsider, "nation"


@pytest.mark.parametrize(
    ("build", "field"),
    [pytest.param(build, field, id=label) for label, build, field in _bad_records()],
)
def test_bad_data_is_rejected_with_a_message_naming_the_field(build, field):
    assert field in field_errors(build())
