"""The probe of issue #18, kept: what a Japan-cleared analyst could learn of records released to
the UK and Italy only, through refusals rather than reads.

Each test reproduces one of the probe's findings and checks it is closed for every resource.
"""

import logging

import pytest

from programs import models
from programs.models.base import TAKEN_KEY_MESSAGE
from tests import factories
from tests.api.test_access_api import cleared_client
from tests.api.world import RESOURCES, lookup_of

pytestmark = pytest.mark.django_db

MARKED_RESOURCES = [resource for resource in RESOURCES if resource.basename != "nation"]


@pytest.fixture
def jpn_api(world):
    return cleared_client(world.nations["JPN"], username="jp-analyst")


@pytest.fixture
def audit_log(caplog):
    caplog.set_level(logging.WARNING, logger="programs.audit")
    return caplog


def taken_key_refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "programs.audit"]


def _uk_and_italy_only(world, record) -> None:
    record.releasable_to.set([world.nations["GBR"], world.nations["ITA"]])


@pytest.mark.parametrize("resource", MARKED_RESOURCES, ids=lambda r: r.basename)
def test_a_taken_key_is_refused_alike_whether_its_holder_is_hidden_or_visible(
    world, api, jpn_api, audit_log, resource
):
    """Probe finding 1: a hidden record's key answered with its model's own "already exists"
    message. Now the refusal reads the same for a visible holder, and is audited."""
    url = f"/api/v1/{resource.path}/"
    created = api.post(url, resource.create, format="json")
    assert created.status_code == 201, created.content
    key = created.json()["code" if resource.lookup == "code" else "id"]
    holder = resource.model.objects.get(**{resource.lookup: key})
    _uk_and_italy_only(world, holder)
    detail = f"{url}{lookup_of(resource, holder)}/"
    assert jpn_api.get(detail).status_code == 404, "the holder is hidden from Japan"
    payload = {**resource.create, "releasable_to": ["JPN", "GBR", "ITA"]}
    count = resource.model.objects.count()

    hidden = jpn_api.post(url, payload, format="json")

    holder.releasable_to.set([world.nations["JPN"], world.nations["GBR"], world.nations["ITA"]])
    assert jpn_api.get(detail).status_code == 200, "the holder is visible to Japan now"
    visible = jpn_api.post(url, payload, format="json")

    assert hidden.status_code == visible.status_code == 400
    assert hidden.json() == visible.json()
    messages = [m for ms in hidden.json().values() for m in ms]
    assert any(m.startswith("Another record already has this ") for m in messages), messages
    assert resource.model.objects.count() == count
    assert len(taken_key_refusals(audit_log)) == 2
    assert "user=jp-analyst" in taken_key_refusals(audit_log)[0]


def test_moving_a_visible_contribution_onto_a_hidden_key_reads_as_any_taken_key(
    world, jpn_api, audit_log
):
    hidden = world.records["contribution"]
    _uk_and_italy_only(world, hidden)
    mine = factories.ContributionFactory(
        programme=world.programme,
        nation=world.nations["GBR"],
        period_start=hidden.period_start.replace(year=2030),
    )

    response = jpn_api.patch(
        f"/api/v1/contributions/{mine.pk}/",
        {"period_start": hidden.period_start.isoformat()},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [TAKEN_KEY_MESSAGE.format(key="programme, nation and period start")]
    }
    mine.refresh_from_db()
    assert mine.period_start.year == 2030
    assert len(taken_key_refusals(audit_log)) == 1


def test_a_nested_vote_of_a_nation_whose_vote_is_hidden_reads_as_any_taken_key(
    world, jpn_api, audit_log
):
    decision = world.records["decision"]
    italy_vote = decision.votes.get(nation=world.nations["ITA"])
    _uk_and_italy_only(world, italy_vote)
    votes = list(decision.votes.order_by("pk").values_list("nation__code", "position"))

    response = jpn_api.patch(
        f"/api/v1/decisions/{decision.pk}/",
        {"votes": [{"nation": "ITA", "position": "for"}]},
        format="json",
    )

    assert response.status_code == 400
    errors = [e for row in response.json()["votes"] for e in row.get("non_field_errors", [])]
    assert errors == [TAKEN_KEY_MESSAGE.format(key="decision and nation")]
    assert list(decision.votes.order_by("pk").values_list("nation__code", "position")) == votes
    assert len(taken_key_refusals(audit_log)) == 1


def test_the_unrestricted_analyst_gets_the_same_taken_key_message(world, api):
    """The one message is everybody's: nothing to compare between users either."""
    contribution = world.records["contribution"]
    response = api.post(
        "/api/v1/contributions/",
        {
            "programme": "GCAP",
            "nation": "GBR",
            "period_start": contribution.period_start.isoformat(),
            "amount": "1.00",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [TAKEN_KEY_MESSAGE.format(key="programme, nation and period start")]
    }
    assert models.Contribution.objects.count() == 1
