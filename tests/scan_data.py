"""Small data sets whose scans raise known flags, for the Celery tests."""

from dataclasses import dataclass
from decimal import Decimal

from programs.models import Nation, Programme
from tests import factories


@dataclass
class LeadershipCase:
    """GBR holds the programme's only lead role; GBR and JPN contribute, ITA does not (yet).

    A scan raises a critical ``leadership_deficit`` flag for JPN (no role, 50 % contribution
    share); ITA, contributing nothing, is not flagged until it contributes.
    """

    programme: Programme
    gbr: Nation
    jpn: Nation
    ita: Nation


def leadership_case(code: str = "LEAD") -> LeadershipCase:
    programme = factories.ProgrammeFactory(code=code, name=f"Programme {code}")
    gbr = factories.NationFactory(code="GBR", name="United Kingdom")
    jpn = factories.NationFactory(code="JPN", name="Japan")
    ita = factories.NationFactory(code="ITA", name="Italy")
    for nation in (gbr, jpn, ita):
        factories.ParticipationFactory(programme=programme, nation=nation)
    factories.LeadershipRoleFactory(programme=programme, nation=gbr, weight=5)
    factories.ContributionFactory(programme=programme, nation=gbr, amount=Decimal("100"))
    factories.ContributionFactory(programme=programme, nation=jpn, amount=Decimal("100"))
    return LeadershipCase(programme=programme, gbr=gbr, jpn=jpn, ita=ita)
