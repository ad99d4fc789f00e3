"""A viewer reads everything in the admin and changes nothing."""

import pytest

from programs.models import Contribution, Programme, TechTransferMilestone
from tests import factories
from tests.admin_helpers import admin_url, https_client, programme_with_partners

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(viewer):
    return https_client(viewer)


@pytest.fixture
def milestone():
    programme, orgs = programme_with_partners()
    return factories.TechTransferMilestoneFactory(
        programme=programme, provider=orgs["AAA"], recipient=orgs["BBB"], title="Seeker heads"
    )


def test_viewer_sees_the_changelist_the_record_and_its_history(client, milestone):
    changelist = client.get(admin_url(TechTransferMilestone, "changelist"))
    change = client.get(admin_url(TechTransferMilestone, "change", milestone.pk))
    history = client.get(admin_url(TechTransferMilestone, "history", milestone.pk))

    assert changelist.status_code == 200
    assert "Seeker heads" in changelist.text
    assert change.status_code == 200
    assert not change.context["has_change_permission"]
    assert history.status_code == 200


def test_viewer_cannot_open_the_add_page(client):
    assert client.get(admin_url(TechTransferMilestone, "add")).status_code == 403
    assert client.get(admin_url(Programme, "add")).status_code == 403


def test_viewer_cannot_change_a_record_by_posting_its_form(client, milestone):
    response = client.post(
        admin_url(TechTransferMilestone, "change", milestone.pk),
        {
            "programme": milestone.programme_id,
            "title": "Renamed by a viewer",
            "technology_area": "sensors",
            "weight": "2",
            "provider": milestone.provider_id,
            "recipient": milestone.recipient_id,
            "access_level": "licensed",
            "planned_on": "2024-06-30",
            "status": "planned",
            "confidence": "illustrative",
        },
    )

    assert response.status_code == 403
    milestone.refresh_from_db()
    assert milestone.title == "Seeker heads"
    assert milestone.history.count() == 1


def test_viewer_cannot_delete_or_run_bulk_actions(client, milestone):
    delete = client.post(admin_url(TechTransferMilestone, "delete", milestone.pk), {"post": "yes"})
    action = client.post(
        admin_url(TechTransferMilestone, "changelist"),
        {"action": "mark_blocked", "_selected_action": [milestone.pk], "index": "0"},
    )

    assert delete.status_code == 403
    assert action.status_code in (200, 302)
    milestone.refresh_from_db()
    assert milestone.status == "planned"


def test_viewer_may_export_but_not_import(client):
    assert client.get(admin_url(Contribution, "export")).status_code == 200
    assert client.get(admin_url(Contribution, "import")).status_code == 403
    assert client.post(admin_url(Contribution, "process_import"), {}).status_code == 403
    changelist = client.get(admin_url(Contribution, "changelist"))
    assert admin_url(Contribution, "export") in changelist.text
    assert admin_url(Contribution, "import") not in changelist.text
