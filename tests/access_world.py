"""A balance world with rows hidden from Japan, and a way to delete them: for the tests that a
restricted user's figures are those of the same data without the rows they may not see."""

from __future__ import annotations

from decimal import Decimal

from programs import models
from programs.access import RELEASE_PATHS, released_to
from tests import factories
from tests.worlds import World, shared_history

#: Leaf records first, so that no deletion is refused by a protected reference.
DELETION_ORDER = [
    models.Vote,
    models.Decision,
    models.Seat,
    models.DecisionBody,
    models.TechTransferMilestone,
    models.LeadershipRole,
    models.WorkshareAllocation,
    models.WorkPackage,
    models.ThresholdOverride,
    models.Contribution,
    models.Participation,
    models.Programme,
    models.OwnershipStake,
    models.Agreement,
    models.Organisation,
]
#: An amount no visible figure adds up to: it must never reach a Japanese analyst.
SECRET_AMOUNT = Decimal("987654321")


def world_with_secrets() -> World:
    """GCAP-like: money, work through a joint venture, roles, votes, transfers and prior ties,
    plus one row of each kind released to the UK and Italy only (and Tornado, Tempest and the
    UK–Italy MoU, which Japan takes no part in)."""
    world = World()
    shared_history(world)
    gbr, ita = world.nations["GBR"], world.nations["ITA"]
    world.balanced_money(100)
    venture = factories.JointVentureFactory(name="UK–Italy venture")
    factories.OwnershipStakeFactory(venture=venture, owner=world.orgs["GBR"], percent=50)
    hidden_stake = factories.OwnershipStakeFactory(
        venture=venture, owner=world.orgs["ITA"], percent=50
    )
    world.work(venture, 300)
    world.role("GBR", 5)
    world.role("ITA", 3)
    world.role("JPN", 2)
    world.decide("approved", GBR="for", ITA="for", JPN="against")
    hidden_vote_decision = world.decide("rejected", GBR="for", ITA="against", JPN="against")
    world.transfer("GBR", "JPN", weight=3, status="achieved")
    world.transfer("JPN", "ITA", weight=2, status="achieved")

    secrets = [
        world.contribute("GBR", SECRET_AMOUNT),
        world.work("ITA", 777),
        world.role("ITA", 4, title="Secret lead"),
        world.decide("approved", GBR="for", ITA="for", JPN="against"),
        hidden_vote_decision.votes.get(nation=ita),
        world.transfer("GBR", "ITA", weight=5, status="achieved"),
        hidden_stake,
        models.Agreement.objects.get(name="UK–Italy defence MoU"),
    ]
    body = factories.DecisionBodyFactory(programme=world.programme, name="Secret committee")
    factories.SeatFactory(body=body, nation=gbr, votes=4)
    secrets.append(body)
    for record in secrets:
        record.releasable_to.set([gbr, ita])
    return world


def delete_hidden_from(nation: models.Nation) -> None:
    """Delete every record the nation may not see (what it sees stays exactly as it was)."""
    hidden = {
        model: list(
            model.objects.exclude(
                pk__in=released_to(model.objects.all(), nation.pk).values("pk")
            ).values_list("pk", flat=True)
        )
        for model in RELEASE_PATHS
    }
    assert set(DELETION_ORDER) == set(RELEASE_PATHS)
    for model in DELETION_ORDER:
        model.objects.filter(pk__in=hidden[model]).delete()


def restricted_user(nation: models.Nation, username: str = "jun", **kwargs):
    user = factories.UserFactory(username=username, **kwargs)
    factories.ClearanceFactory(user=user, nation=nation)
    return user
