"""Every list (JSON and CSV) issues the same number of queries for 3 rows as for 30."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from programs import models
from programs.api import urls as api_urls
from programs.api.tokens import issue_token
from tests import factories


def _flag(programme, nation, counterpart, n):
    now = timezone.now()
    flag = models.Flag.objects.create(
        rule="bloc_sidelining",
        programme=programme,
        nation=nation,
        severity="warning",
        metric="agreement_rate",
        explanation="…",
        fingerprint=f"f{n}",
        first_seen_at=now,
        last_seen_at=now,
    )
    flag.counterparts.set([counterpart])


def make_rows(basename: str, count: int, user) -> None:
    """``count`` rows of the resource, each with its related records and nested children."""
    programme = factories.ProgrammeFactory(code="P")
    a, b = factories.NationFactory(code="AAA"), factories.NationFactory(code="BBB")
    org_a = factories.OrganisationFactory(name="A corp", nation=a)
    org_b = factories.OrganisationFactory(name="B corp", nation=b)
    package = factories.WorkPackageFactory(programme=programme, lead_organisation=org_a)
    body = factories.DecisionBodyFactory(programme=programme)
    for n in range(count):
        day = datetime.date(2000, 1, 1) + datetime.timedelta(days=n)
        match basename:
            case "nation":
                factories.NationFactory()
            case "organisation":
                venture = factories.JointVentureFactory()
                factories.OwnershipStakeFactory(venture=venture, owner=org_a)
                factories.OwnershipStakeFactory(venture=venture, owner=org_b)
            case "programme":
                factories.ProgrammeFactory().predecessors.set([programme])
            case "participation":
                factories.ParticipationFactory(programme=programme)
            case "contribution":
                factories.ContributionFactory(programme=programme, nation=a)
            case "work-package":
                factories.WorkPackageFactory(programme=programme, lead_organisation=org_b)
            case "workshare":
                factories.WorkshareAllocationFactory(work_package=package, organisation=org_b)
            case "decision-body":
                other = factories.DecisionBodyFactory(programme=programme)
                factories.SeatFactory(body=other, nation=a)
                factories.SeatFactory(body=other, nation=b)
            case "leadership-role":
                factories.LeadershipRoleFactory(programme=programme, nation=a, organisation=org_a)
            case "decision":
                decision = factories.DecisionFactory(body=body, proposer=a, decided_on=day)
                factories.VoteFactory(decision=decision, nation=a)
                factories.VoteFactory(decision=decision, nation=b)
            case "tech-transfer":
                factories.TechTransferMilestoneFactory(
                    programme=programme, provider=org_a, recipient=org_b
                )
            case "agreement":
                factories.AgreementFactory(nations=[a, b], signed_on=day)
            case "flag":
                _flag(programme, a, b, n)
            case "token":
                issue_token(user, f"token {n}")
            case "whatif-draft":
                factories.WhatIfDraftFactory(author=user, programme=programme)
            case "subscription":
                models.Subscription.objects.create(user=user, everything=True, name=f"s{n}")
            case "webhook":
                subscription = models.Subscription.objects.create(user=user, everything=True)
                models.Webhook.objects.create(
                    subscription=subscription, url=f"https://hooks.example.org/{n}"
                )
            case _:
                raise AssertionError(f"no rows maker for {basename}")


LISTS = [
    pytest.param(pattern.callback.initkwargs["basename"], id=pattern.name)
    for pattern in api_urls.router.urls
    if pattern.name.endswith("-list")
]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200
        b"".join(response.streaming_content) if response.streaming else response.content
    return len(captured)


@pytest.mark.parametrize("fmt", ["json", "csv"])
@pytest.mark.parametrize("basename", LISTS)
def test_list_query_count_does_not_grow_with_rows(basename, fmt, api, analyst_user, db):
    path = next(p for p in api_urls.router.urls if p.name == f"{basename}-list").pattern
    url = f"/api/v1/{path}?format={fmt}&page_size=100".replace("^", "").replace("$", "")
    api.get("/api/v1/tokens/")  # records the token's first use, which the lists must not count
    counts = []
    for count in (3, 30):
        models.ApiToken.objects.exclude(name="tests").delete()
        for model in (models.Flag, models.Vote, models.Seat, models.OwnershipStake):
            model.objects.all().delete()
        make_rows(basename, count, analyst_user)
        counts.append(_queries(api, url))
    assert counts[0] == counts[1], counts
