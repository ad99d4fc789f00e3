"""The worlds the tests are built in, as pytest fixtures (a plugin listed in tests/conftest.py).

One builder, ``World``: a GCAP-like programme with the United Kingdom, Italy and Japan, a firm
each, one board with a seat each and a work package; helpers add money, work, roles, votes and
transfers in a line each. The fixtures:

* ``world``: ``World()``, what the balance tests start from (a test that needs another
  programme, other nations or another currency builds it with ``World(code=..., ...)``);
* ``sidelined_world``: GCAP where Japan is sidelined on money, work, roles, votes and
  transfers, enough to raise a flag of most rules;
* ``world_with_secrets``: GCAP with its prior ties and one row of each kind released to the UK
  and Italy only, for the tests that a restricted user sees the figures of the rows released to
  their nation;
* ``world_with_every_resource``: GCAP as the API tests read it (France outside it, the Edgewing
  joint venture, one record of every API resource in ``world.records``, an open flag); the API
  tests take it as ``world`` (tests/api/conftest.py).

The releasability matrix has a world of its own (tests/access/caveat_world.py): it writes down
who may see each record as it builds it, independently of ``programs.access`` and of this one.
"""

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from programs import models
from programs.access import RELEASE_PATHS, released_to
from tests import factories

AS_OF = datetime.date(2026, 6, 30)
NAMES = {
    "GBR": "United Kingdom",
    "ITA": "Italy",
    "JPN": "Japan",
    "DEU": "Germany",
    "FRA": "France",
}
#: Each nation's firm in the programme; another nation's is "<nation> Aero".
FIRMS = {"GBR": "BAE Systems", "ITA": "Leonardo", "JPN": "Mitsubishi Heavy Industries"}
#: An amount no visible figure adds up to: it must never reach a Japanese analyst.
SECRET_AMOUNT = Decimal("987654321")
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


class World:
    """A programme (GCAP unless ``code`` says otherwise) with ``nations`` taking part since
    ``started_on``, a firm of each, one board with a seat each and the work package AIR; each
    record added with the methods below is dated a day after the last."""

    def __init__(
        self,
        code: str = "GCAP",
        nations: tuple[str, ...] = ("GBR", "ITA", "JPN"),
        currency: str = "GBP",
        started_on: datetime.date = datetime.date(2022, 12, 9),
        name: str | None = None,
        board: str | None = None,
    ):
        self.programme = factories.ProgrammeFactory(
            code=code,
            name=name or (code.title() if code != "GCAP" else "GCAP"),
            currency=currency,
            started_on=started_on,
        )
        self.nations = {
            c: factories.NationFactory(code=c, name=NAMES.get(c, f"Nation {c}")) for c in nations
        }
        self.orgs = {
            c: factories.OrganisationFactory(
                name=FIRMS.get(c, f"{self.nations[c].name} Aero"), nation=self.nations[c]
            )
            for c in nations
        }
        self.participations = {
            c: factories.ParticipationFactory(
                programme=self.programme, nation=self.nations[c], joined_on=started_on
            )
            for c in nations
        }
        self.body = factories.DecisionBodyFactory(
            programme=self.programme, name=board or f"{code} board"
        )
        for c in nations:
            factories.SeatFactory(body=self.body, nation=self.nations[c])
        self.package = factories.WorkPackageFactory(programme=self.programme, code="AIR")
        #: One record of each API resource by its basename (``world_with_every_resource``).
        self.records: dict[str, Any] = {}
        self._n = 0

    def _next_day(self) -> datetime.date:
        self._n += 1
        return datetime.date(2023, 1, 1) + datetime.timedelta(days=self._n)

    def contribute(self, code: str, amount) -> models.Contribution:
        return factories.ContributionFactory(
            programme=self.programme,
            nation=self.nations[code],
            amount=Decimal(str(amount)),
            period_start=self._next_day(),
        )

    def work(self, organisation, amount) -> models.WorkshareAllocation:
        if isinstance(organisation, str):
            organisation = self.orgs[organisation]
        return factories.WorkshareAllocationFactory(
            work_package=self.package,
            organisation=organisation,
            amount=Decimal(str(amount)),
            period_start=self._next_day(),
        )

    def balanced_money(self, amount=100) -> None:
        for code in self.nations:
            self.contribute(code, amount)
            self.work(code, amount)

    def role(self, code: str, weight: int, **kwargs) -> models.LeadershipRole:
        return factories.LeadershipRoleFactory(
            programme=self.programme, nation=self.nations[code], weight=weight, **kwargs
        )

    def decide(self, outcome: str, **positions: str) -> models.Decision:
        decision = factories.DecisionFactory(body=self.body, outcome=outcome)
        for code, position in positions.items():
            factories.VoteFactory(decision=decision, nation=self.nations[code], position=position)
        return decision

    def transfer(self, provider: str, recipient: str, weight: int = 2, **kwargs):
        if kwargs.get("status") == "achieved":
            kwargs.setdefault("achieved_on", datetime.date(2025, 1, 1))
        return factories.TechTransferMilestoneFactory(
            programme=self.programme,
            provider=self.orgs[provider],
            recipient=self.orgs[recipient],
            weight=weight,
            **kwargs,
        )

    def override(self, rule: str, parameter: str, value) -> models.ThresholdOverride:
        return factories.ThresholdOverrideFactory(
            programme=self.programme, rule=rule, parameter=parameter, value=Decimal(str(value))
        )


def shared_history(world: World) -> None:
    """Tornado (UK, Italy, 1970–1980), Tempest (UK 2018, Italy 2020, merged into GCAP 2022)
    and a UK–Italy MoU in force: the UK and Italy are strongly tied, Japan to neither."""
    gbr, ita, jpn = (world.nations[c] for c in ("GBR", "ITA", "JPN"))
    existing = models.Programme.objects.filter(code="TEMPEST").first()
    if existing is not None:  # a second world in the same test shares the same history
        world.programme.predecessors.add(existing)
        return
    tornado = factories.ProgrammeFactory(
        code="TORNADO",
        name="Tornado",
        started_on=datetime.date(1970, 1, 1),
        ended_on=datetime.date(1980, 1, 1),
        status="in_service",
    )
    for nation in (gbr, ita):
        factories.ParticipationFactory(programme=tornado, nation=nation, joined_on=None)
    tempest = factories.ProgrammeFactory(
        code="TEMPEST",
        name="Tempest",
        started_on=datetime.date(2018, 7, 16),
        ended_on=datetime.date(2022, 12, 9),
        status="merged",
    )
    factories.ParticipationFactory(
        programme=tempest, nation=gbr, joined_on=datetime.date(2018, 7, 16)
    )
    factories.ParticipationFactory(
        programme=tempest, nation=ita, joined_on=datetime.date(2020, 12, 21)
    )
    world.programme.predecessors.add(tempest)
    factories.AgreementFactory(
        name="UK–Italy defence MoU", nations=[gbr, ita], signed_on=datetime.date(2019, 9, 10)
    )
    factories.AgreementFactory(
        name="UK–Japan lapsed accord",
        nations=[gbr, jpn],
        signed_on=datetime.date(2017, 1, 1),
        ended_on=datetime.date(2020, 1, 1),
    )


def build_world_with_secrets() -> World:
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


def build_world_with_every_resource() -> World:
    """GCAP's three nations (and France, outside it), their firms, the Edgewing joint venture,
    one record of every API resource in ``world.records``, and an open flag."""
    world = World(
        nations=("GBR", "JPN", "ITA"), name="Global Combat Air Programme", board="GIGO board"
    )
    gcap, nations, orgs = world.programme, world.nations, world.orgs
    nations["FRA"] = factories.NationFactory(code="FRA", name=NAMES["FRA"])
    gcap.participations.update(agreed_share=Decimal("33"))
    orgs["EDG"] = factories.JointVentureFactory(name="Edgewing")
    for owner, percent in (("GBR", "33.34"), ("JPN", "33.33"), ("ITA", "33.33")):
        factories.OwnershipStakeFactory(
            venture=orgs["EDG"], owner=orgs[owner], percent=Decimal(percent)
        )
    package = world.package
    package.name, package.lead_organisation = "Airframe", orgs["EDG"]
    package.save()
    world.body.seats.filter(nation=nations["GBR"]).update(chair=True)
    decision = factories.DecisionFactory(
        body=world.body, title="Design freeze", proposer=nations["GBR"]
    )
    for code in ("GBR", "JPN", "ITA"):
        factories.VoteFactory(decision=decision, nation=nations[code])
    now = timezone.now()
    flag = models.Flag.objects.create(
        rule="workshare_return",
        programme=gcap,
        nation=nations["JPN"],
        severity=models.Flag.Severity.WARNING,
        metric="return_coefficient",
        value=Decimal("0.8"),
        threshold=Decimal("0.95"),
        explanation="Japan gets 80 % of a fair return.",
        evidence={"return_coefficient": "0.8"},
        fingerprint="workshare_return|GCAP|JPN|",
        first_seen_at=now,
        last_seen_at=now,
    )
    world.records = {
        "nation": nations["ITA"],
        "organisation": orgs["EDG"],
        "programme": gcap,
        "participation": world.participations["ITA"],
        "contribution": factories.ContributionFactory(
            programme=gcap, nation=nations["GBR"], period_start=datetime.date(2024, 1, 1)
        ),
        "work-package": package,
        "workshare": factories.WorkshareAllocationFactory(
            work_package=package, organisation=orgs["EDG"], period_start=datetime.date(2024, 1, 1)
        ),
        "decision-body": world.body,
        "leadership-role": factories.LeadershipRoleFactory(
            programme=gcap, title="Chief engineer", nation=nations["GBR"], organisation=orgs["GBR"]
        ),
        "decision": decision,
        "tech-transfer": factories.TechTransferMilestoneFactory(
            programme=gcap, title="Radar apertures", provider=orgs["ITA"], recipient=orgs["JPN"]
        ),
        "agreement": factories.AgreementFactory(
            name="UK–Japan reciprocal access", nations=[nations["GBR"], nations["JPN"]]
        ),
        "flag": flag,
    }
    return world


def build_sidelined_world(scale: int = 1, code: str = "GCAP") -> World:
    """Japan pays a third, gets a fifth of the work and 1 in 7 of the leadership weight; the UK
    and Italy (tied since 1970) outvote it. ``scale`` multiplies every kind of row."""
    world = World(code=code)
    shared_history(world)
    for _ in range(scale):
        for nation, money, work in (("GBR", 100, 150), ("ITA", 100, 130), ("JPN", 100, 70)):
            world.contribute(nation, money)
            world.work(nation, work)
        world.role("GBR", 3)
        world.role("ITA", 3)
        world.role("JPN", 1)
        for _ in range(4):
            world.decide("approved", GBR="for", ITA="for", JPN="against")
        world.decide("approved", GBR="for", ITA="for", JPN="for")
        world.transfer("JPN", "GBR", 4, status="achieved")
        world.transfer("GBR", "JPN", 1, status="achieved")
        world.transfer("GBR", "JPN", 1, status="delayed", planned_on=datetime.date(2025, 1, 1))
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


@pytest.fixture
def world(db) -> World:
    return World()


@pytest.fixture
def sidelined_world(db) -> World:
    return build_sidelined_world()


@pytest.fixture
def world_with_secrets(db) -> World:
    return build_world_with_secrets()


@pytest.fixture
def world_with_every_resource(db) -> World:
    return build_world_with_every_resource()
