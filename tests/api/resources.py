"""One entry per API resource: what to create, what is invalid and why, how it is looked up."""

from dataclasses import dataclass

from programs import models


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
