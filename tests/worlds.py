"""A small programme world for the balance-engine tests, built through the factories.

``World()`` is GCAP-like: the United Kingdom, Italy and Japan, one national company each, one
board with a seat each. Helpers add money, work, roles, votes and transfers in a line each.
"""

import datetime
from decimal import Decimal

from programs import models
from tests import factories

AS_OF = datetime.date(2026, 6, 30)
NAMES = {"GBR": "United Kingdom", "ITA": "Italy", "JPN": "Japan", "DEU": "Germany"}


class World:
    def __init__(
        self,
        code: str = "GCAP",
        nations: tuple[str, ...] = ("GBR", "ITA", "JPN"),
        currency: str = "GBP",
        started_on: datetime.date = datetime.date(2022, 12, 9),
    ):
        self.programme = factories.ProgrammeFactory(
            code=code,
            name=code.title() if code != "GCAP" else "GCAP",
            currency=currency,
            started_on=started_on,
        )
        self.nations = {
            c: factories.NationFactory(code=c, name=NAMES.get(c, f"Nation {c}")) for c in nations
        }
        self.orgs = {
            c: factories.OrganisationFactory(
                name=f"{self.nations[c].name} Aero", nation=self.nations[c]
            )
            for c in nations
        }
        self.participations = {
            c: factories.ParticipationFactory(
                programme=self.programme, nation=self.nations[c], joined_on=started_on
            )
            for c in nations
        }
        self.body = factories.DecisionBodyFactory(programme=self.programme, name=f"{code} board")
        for c in nations:
            factories.SeatFactory(body=self.body, nation=self.nations[c])
        self.package = factories.WorkPackageFactory(programme=self.programme, code="AIR")
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
