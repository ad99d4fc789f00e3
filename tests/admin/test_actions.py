"""Bulk actions on tech-transfer milestones change each row through save(), so each change
is in the history with the analyst who made it."""

import datetime

import pytest
from django.utils import timezone

from programs.models import TechTransferMilestone
from tests import factories
from tests.admin_helpers import admin_url, https_client, programme_with_partners

pytestmark = pytest.mark.django_db

Status = TechTransferMilestone.Status


@pytest.fixture
def client(analyst):
    return https_client(analyst)


@pytest.fixture
def milestones():
    programme, orgs = programme_with_partners()

    def make(title, status, achieved_on=None):
        return factories.TechTransferMilestoneFactory(
            programme=programme,
            provider=orgs["AAA"],
            recipient=orgs["BBB"],
            title=title,
            status=status,
            achieved_on=achieved_on,
        )

    return {
        "planned": make("Planned", Status.PLANNED),
        "delayed": make("Delayed", Status.DELAYED),
        "achieved": make("Achieved", Status.ACHIEVED, datetime.date(2023, 1, 2)),
        "untouched": make("Untouched", Status.PLANNED),
    }


def run_action(client, action: str, selected) -> object:
    return client.post(
        admin_url(TechTransferMilestone, "changelist"),
        {
            "action": action,
            "_selected_action": [m.pk for m in selected],
            "index": "0",
            "change_reason": "programme review",
        },
        follow=True,
    )


def test_mark_achieved_today_sets_status_and_date_and_writes_history(client, analyst, milestones):
    selected = [milestones["planned"], milestones["delayed"], milestones["achieved"]]

    response = run_action(client, "mark_achieved_today", selected)

    assert "2 milestone(s) marked achieved today; 1 left as they were." in response.text
    today = timezone.now().date()
    for key in ("planned", "delayed"):
        milestone = TechTransferMilestone.objects.get(pk=milestones[key].pk)
        assert (milestone.status, milestone.achieved_on) == (Status.ACHIEVED, today)
        latest = milestone.history.latest()
        assert latest.history_user == analyst
        assert latest.history_type == "~"
    kept = TechTransferMilestone.objects.get(pk=milestones["achieved"].pk)
    assert kept.achieved_on == datetime.date(2023, 1, 2)
    assert kept.history.count() == 1
    untouched = TechTransferMilestone.objects.get(pk=milestones["untouched"].pk)
    assert untouched.status == Status.PLANNED


def test_mark_blocked_blocks_open_milestones_only(client, analyst, milestones):
    selected = [milestones["planned"], milestones["achieved"]]

    response = run_action(client, "mark_blocked", selected)

    assert "1 milestone(s) marked blocked; 1 left as they were." in response.text
    blocked = TechTransferMilestone.objects.get(pk=milestones["planned"].pk)
    assert blocked.status == Status.BLOCKED
    assert blocked.history.latest().history_user == analyst
    assert blocked.history.latest().diff_against(blocked.history.earliest()).changed_fields == [
        "status"
    ]
    assert TechTransferMilestone.objects.get(pk=milestones["achieved"].pk).status == Status.ACHIEVED


def test_an_action_that_would_leave_an_invalid_milestone_changes_nothing(client, milestones):
    # A record written around clean() (e.g. by a raw import): its provider has no nation.
    venture = factories.JointVentureFactory()
    TechTransferMilestone.objects.filter(pk=milestones["delayed"].pk).update(provider=venture)
    selected = [milestones["planned"], milestones["delayed"]]

    response = run_action(client, "mark_blocked", selected)

    assert "Nothing changed" in response.text
    assert "has no nation" in response.text
    statuses = TechTransferMilestone.objects.filter(pk__in=[m.pk for m in selected])
    assert set(statuses.values_list("status", flat=True)) == {Status.PLANNED, Status.DELAYED}
