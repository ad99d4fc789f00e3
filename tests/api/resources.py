"""A small, consistent GCAP data set for the API tests, and one entry per API resource."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from programs import models
from tests import factories


@dataclass
class World:
    nations: dict[str, models.Nation]
    programme: models.Programme
    orgs: dict[str, models.Organisation]
    records: dict[str, Any] = field(default_factory=dict)


def build_world() -> World:
    """Three GCAP nations (and France, outside it), their firms, a joint venture, one record of
    every resource, and an open flag."""
    nations = {
        code: factories.NationFactory(code=code, name=name)
        for code, name in [
            ("GBR", "United Kingdom"),
            ("JPN", "Japan"),
            ("ITA", "Italy"),
            ("FRA", "France"),
        ]
    }
    gcap = factories.ProgrammeFactory(
        code="GCAP", name="Global Combat Air Programme", currency="GBP"
    )
    for code in ("GBR", "JPN", "ITA"):
        factories.ParticipationFactory(
            programme=gcap, nation=nations[code], agreed_share=Decimal("33")
        )
    orgs = {
        "BAE": factories.OrganisationFactory(name="BAE Systems", nation=nations["GBR"]),
        "MHI": factories.OrganisationFactory(
            name="Mitsubishi Heavy Industries", nation=nations["JPN"]
        ),
        "LDO": factories.OrganisationFactory(name="Leonardo", nation=nations["ITA"]),
        "EDG": factories.JointVentureFactory(name="Edgewing"),
    }
    for owner, percent in (("BAE", "33.34"), ("MHI", "33.33"), ("LDO", "33.33")):
        factories.OwnershipStakeFactory(
            venture=orgs["EDG"], owner=orgs[owner], percent=Decimal(percent)
        )
    package = factories.WorkPackageFactory(
        programme=gcap, code="AIR", name="Airframe", lead_organisation=orgs["EDG"]
    )
    body = factories.DecisionBodyFactory(programme=gcap, name="GIGO board")
    for code in ("GBR", "JPN", "ITA"):
        factories.SeatFactory(body=body, nation=nations[code], chair=code == "GBR")
    decision = factories.DecisionFactory(body=body, title="Design freeze", proposer=nations["GBR"])
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
    agreement = factories.AgreementFactory(
        name="UK–Japan reciprocal access", nations=[nations["GBR"], nations["JPN"]]
    )
    records = {
        "nation": nations["ITA"],
        "organisation": orgs["EDG"],
        "programme": gcap,
        "participation": models.Participation.objects.get(programme=gcap, nation=nations["ITA"]),
        "contribution": factories.ContributionFactory(
            programme=gcap, nation=nations["GBR"], period_start=datetime.date(2024, 1, 1)
        ),
        "work-package": package,
        "workshare": factories.WorkshareAllocationFactory(
            work_package=package, organisation=orgs["EDG"], period_start=datetime.date(2024, 1, 1)
        ),
        "decision-body": body,
        "leadership-role": factories.LeadershipRoleFactory(
            programme=gcap, title="Chief engineer", nation=nations["GBR"], organisation=orgs["BAE"]
        ),
        "decision": decision,
        "tech-transfer": factories.TechTransferMilestoneFactory(
            programme=gcap, title="Radar apertures", provider=orgs["LDO"], recipient=orgs["MHI"]
        ),
        "agreement": agreement,
        "flag": flag,
    }
    return World(nations=nations, programme=gcap, orgs=orgs, records=records)


@dataclass(frozen=True)
class Resource:
    basename: str
    path: str
    model: type
    create: dict
    invalid: dict
    invalid_field: str
    lookup: str = "pk"


RESOURCES = [
    Resource(
        "nation",
        "nations",
        models.Nation,
        {"code": "DEU", "name": "Germany", "source": "ISO 3166", "confidence": "reported"},
        {"code": "de", "name": "Germany"},
        "code",
        lookup="code",
    ),
    Resource(
        "organisation",
        "organisations",
        models.Organisation,
        {
            "name": "Tempest JV",
            "kind": "joint_venture",
            "stakes": [
                {"owner": "BAE Systems", "percent": "60.00"},
                {"owner": "Leonardo", "percent": "40.00"},
            ],
        },
        {"name": "Bad JV", "kind": "joint_venture", "nation": "GBR"},
        "nation",
    ),
    Resource(
        "programme",
        "programmes",
        models.Programme,
        {
            "code": "TEMPEST",
            "name": "Tempest",
            "status": "merged",
            "currency": "GBP",
            "started_on": "2018-07-16",
            "ended_on": "2022-12-09",
        },
        {
            "code": "F-X",
            "name": "F-X",
            "status": "merged",
            "currency": "JPY",
            "started_on": "2020-01-01",
            "ended_on": "2019-01-01",
        },
        "ended_on",
        lookup="code",
    ),
    Resource(
        "participation",
        "participations",
        models.Participation,
        {"programme": "GCAP", "nation": "FRA", "role": "observer"},
        {"programme": "GCAP", "nation": "FRA", "role": "observer", "agreed_share": "50"},
        "agreed_share",
    ),
    Resource(
        "contribution",
        "contributions",
        models.Contribution,
        {
            "programme": "GCAP",
            "nation": "JPN",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "amount": "250.00",
        },
        {"programme": "GCAP", "nation": "FRA", "period_start": "2025-01-01", "amount": "1.00"},
        "nation",
    ),
    Resource(
        "work-package",
        "work-packages",
        models.WorkPackage,
        {
            "programme": "GCAP",
            "code": "SEN",
            "name": "Sensors",
            "domain": "sensors",
            "lead_organisation": "Leonardo",
        },
        {"programme": "GCAP", "code": "SPC", "name": "Space", "domain": "space"},
        "domain",
    ),
    Resource(
        "workshare",
        "workshare",
        models.WorkshareAllocation,
        {
            "programme": "GCAP",
            "work_package": "AIR",
            "organisation": "Leonardo",
            "amount": "10.00",
            "period_start": "2025-01-01",
        },
        {
            "programme": "GCAP",
            "work_package": "AIR",
            "organisation": "Leonardo",
            "amount": "10.00",
            "period_start": "2025-01-01",
            "period_end": "2024-01-01",
        },
        "period_end",
    ),
    Resource(
        "decision-body",
        "decision-bodies",
        models.DecisionBody,
        {
            "programme": "GCAP",
            "name": "Edgewing board",
            "level": "industrial",
            "voting_rule": "majority",
            "seats": [{"nation": "ITA"}, {"nation": "JPN", "chair": True}, {"nation": "GBR"}],
        },
        {
            "programme": "GCAP",
            "name": "Edgewing board",
            "level": "industrial",
            "voting_rule": "majority",
            "seats": [{"nation": "GBR"}, {"nation": "FRA"}],
        },
        "seats",
    ),
    Resource(
        "leadership-role",
        "leadership-roles",
        models.LeadershipRole,
        {
            "programme": "GCAP",
            "title": "Sensors design authority",
            "domain": "sensors",
            "weight": 4,
            "nation": "ITA",
            "organisation": "Leonardo",
        },
        {
            "programme": "GCAP",
            "title": "Sensors design authority",
            "domain": "sensors",
            "weight": 9,
            "nation": "ITA",
        },
        "weight",
    ),
    Resource(
        "decision",
        "decisions",
        models.Decision,
        {
            "programme": "GCAP",
            "body": "GIGO board",
            "title": "Approve budget",
            "decided_on": "2025-03-01",
            "outcome": "approved",
            "proposer": "JPN",
            "votes": [
                {"nation": "ITA", "position": "against"},
                {"nation": "JPN", "position": "for"},
                {"nation": "GBR", "position": "for"},
            ],
        },
        {
            "programme": "GCAP",
            "body": "GIGO board",
            "title": "Approve budget",
            "decided_on": "2025-03-01",
            "outcome": "approved",
            "votes": [{"nation": "GBR", "position": "for"}, {"nation": "FRA", "position": "for"}],
        },
        "votes",
    ),
    Resource(
        "tech-transfer",
        "tech-transfers",
        models.TechTransferMilestone,
        {
            "programme": "GCAP",
            "title": "Engine core",
            "technology_area": "propulsion",
            "provider": "BAE Systems",
            "recipient": "Mitsubishi Heavy Industries",
            "planned_on": "2026-01-01",
            "status": "planned",
            "access_level": "licensed",
            "export_control": "ITAR",
            "weight": 3,
        },
        {
            "programme": "GCAP",
            "title": "Engine core",
            "technology_area": "propulsion",
            "provider": "BAE Systems",
            "recipient": "Mitsubishi Heavy Industries",
            "planned_on": "2026-01-01",
            "status": "achieved",
            "access_level": "licensed",
        },
        "achieved_on",
    ),
    Resource(
        "agreement",
        "agreements",
        models.Agreement,
        {
            "name": "Italy–UK defence accord",
            "kind": "treaty",
            "nations": ["ITA", "GBR"],
            "signed_on": "2023-12-14",
        },
        {"name": "Lonely accord", "kind": "treaty", "nations": ["GBR"], "signed_on": "2023-12-14"},
        "nations",
    ),
]

RESOURCES_BY_BASENAME = {resource.basename: resource for resource in RESOURCES}


def lookup_of(resource: Resource, obj) -> str:
    return str(getattr(obj, resource.lookup))


def own_records(user) -> dict:
    """The user's own subscription and a webhook on it (written directly: the URL's checks
    are tests/test_webhooks.py's)."""
    from programs.models import Subscription, Webhook

    subscription, _ = Subscription.objects.get_or_create(
        user=user, name="Everything", defaults={"everything": True}
    )
    webhook, _ = Webhook.objects.get_or_create(
        subscription=subscription, url="https://hooks.example.org/gcaptrack"
    )
    return {"subscription": subscription, "webhook": webhook}
