"""The probe of issue #18, kept: what a Japan-cleared analyst could learn of records released to
the UK and Italy only, through refusals rather than reads.

Each test reproduces one of the probe's findings and checks it is closed for every resource.
"""

import logging

import pytest
from django.utils import timezone

from gcaptrack.celery import app as celery_app
from programs import models
from programs.access import SCAN_FLAG_LISTS
from programs.api.serializers import PAST_SCAN_REFUSED
from programs.models.base import TAKEN_KEY_MESSAGE
from programs.tasks import scan_programme_task
from tests import factories
from tests.api.resources import RESOURCES, lookup_of
from tests.api.test_access_api import cleared_client

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


# -- finding 3: scans ---------------------------------------------------------------------------


def test_a_restricted_analyst_may_not_scan_and_live_flags_stay_as_they_were(world, jpn_api):
    """Probe finding 3: a Japan-cleared analyst's back-dated scan resolved everyone's flags."""
    flag = world.records["flag"]
    for as_of in (None, "2020-01-01", timezone.localdate().isoformat()):
        body = {} if as_of is None else {"as_of": as_of}
        response = jpn_api.post("/api/v1/programmes/GCAP/scan/", body, format="json")
        assert response.status_code == 403, (as_of, response.content)
    flag.refresh_from_db()
    assert flag.status == models.Flag.Status.OPEN
    assert flag.resolved_at is None


def test_the_scan_permission_is_the_unrestricted_analysts_own(world):
    analyst = factories.UserFactory(username="uk-lead", groups=["analyst"])
    viewer = factories.UserFactory(username="uk-reader", groups=["viewer"])
    restricted = factories.UserFactory(username="jp-lead", groups=["analyst"])
    factories.ClearanceFactory(user=restricted, nation=world.nations["JPN"])
    assert analyst.has_perm("programs.run_scan")
    assert not viewer.has_perm("programs.run_scan")
    assert restricted.has_perm("programs.acknowledge_flag")
    assert not restricted.has_perm("programs.run_scan")
    assert "programs.run_scan" not in restricted.get_all_permissions()


def test_a_scan_through_the_api_is_for_today_and_a_past_day_points_to_what_if(world, api):
    flag = world.records["flag"]
    response = api.post("/api/v1/programmes/GCAP/scan/", {"as_of": "2020-01-01"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"as_of": [PAST_SCAN_REFUSED]}
    assert "what-if" in PAST_SCAN_REFUSED and "scan --as-of" in PAST_SCAN_REFUSED
    flag.refresh_from_db()
    assert flag.status == models.Flag.Status.OPEN


@pytest.fixture
def eager_results(eager_celery):
    """Tasks run in process and keep their results in the result backend (Redis).

    Celery copies `task_store_eager_result` onto a task class when the task is first bound,
    so once any earlier test has sent the scan task the setting alone no longer reaches it:
    the task's own attribute is set too.
    """
    saved = celery_app.conf.task_store_eager_result, scan_programme_task.store_eager_result
    celery_app.conf.task_store_eager_result = True
    scan_programme_task.store_eager_result = True
    yield
    celery_app.conf.task_store_eager_result, scan_programme_task.store_eager_result = saved


def test_a_task_result_names_only_the_flags_the_requester_may_see(world, api, eager_results):
    """Probe finding 3: a scan's task result listed the ids of flags hidden from its reader."""
    owner = models.ApiToken.objects.get().user
    queued = api.post("/api/v1/programmes/GCAP/scan/", {}, format="json")
    assert queued.status_code == 202
    url = f"/api/v1/tasks/{queued.json()['task_id']}/"
    full = api.get(url).json()["result"]
    flagged = {pk for key in SCAN_FLAG_LISTS for pk in full[key]}
    assert flagged, "the scan resolved or raised flags for the check to see"
    assert full["snapshots"]

    # The owner is then cleared for Japan, which does not see GCAP in full.
    _uk_and_italy_only(world, world.records["contribution"])
    factories.ClearanceFactory(user=owner, nation=world.nations["JPN"])
    narrowed = api.get(url).json()["result"]

    assert {pk for key in SCAN_FLAG_LISTS for pk in narrowed[key]} == set()
    assert narrowed["snapshots"] is None
    assert narrowed["programme"] == "GCAP"


# -- finding 4: release edits and nations -----------------------------------------------------


def test_a_restricted_analyst_cannot_take_a_record_from_the_nation_it_belongs_to(world, jpn_api):
    """Probe finding 4: a Japan-cleared analyst released the UK's own contribution to Japan
    only; the UK's analysts then got 404 and the UK's balance lost it."""
    contribution = world.records["contribution"]  # the UK's, in GCAP
    url = f"/api/v1/contributions/{contribution.pk}/"
    gbr_api = cleared_client(world.nations["GBR"], username="uk-analyst")

    refused = jpn_api.patch(url, {"releasable_to": ["JPN"]}, format="json")

    assert refused.status_code == 400
    assert refused.json() == {
        "releasable_to": [
            "Keep GBR in the list: the record is theirs (its own nation or a participant of "
            "its programme it names)."
        ]
    }
    assert list(contribution.releasable_to.all()) == []
    assert gbr_api.get(url).status_code == 200
    # Narrowing away a nation the record does not belong to is still theirs to do.
    narrowed = jpn_api.patch(url, {"releasable_to": ["JPN", "GBR"]}, format="json")
    assert narrowed.status_code == 200, narrowed.content
    assert sorted(narrowed.json()["releasable_to"]) == ["GBR", "JPN"]


def test_a_restricted_analyst_cannot_release_beyond_the_programme(world, jpn_api, api):
    contribution = world.records["contribution"]
    url = f"/api/v1/contributions/{contribution.pk}/"

    refused = jpn_api.patch(url, {"releasable_to": ["JPN", "GBR", "FRA"]}, format="json")

    assert refused.status_code == 400
    assert refused.json() == {
        "releasable_to": ["FRA may not be added: the programme is released only to GBR, ITA, JPN."]
    }
    assert list(contribution.releasable_to.all()) == []
    # An unrestricted analyst decides releases beyond the programme.
    assert api.patch(url, {"releasable_to": ["GBR", "FRA"]}, format="json").status_code == 200


def test_a_restricted_analyst_cannot_take_a_programme_from_its_participants(world, jpn_api):
    refused = jpn_api.patch("/api/v1/programmes/GCAP/", {"releasable_to": ["JPN"]}, format="json")
    assert refused.status_code == 400
    assert "Keep GBR, ITA in the list" in refused.json()["releasable_to"][0]
    widened = jpn_api.patch(
        "/api/v1/programmes/GCAP/",
        {"releasable_to": ["JPN", "GBR", "ITA", "FRA"]},
        format="json",
    )
    assert widened.status_code == 400
    assert widened.json()["releasable_to"][0].startswith("FRA may not be added")
    assert list(world.programme.releasable_to.all()) == []


def test_nations_are_edited_by_unrestricted_analysts_only(world, jpn_api, api):
    """Probe finding 4: restricted analysts could edit nations, reference data everyone sees."""
    for method, url, body in [
        ("patch", "/api/v1/nations/GBR/", {"name": "Renamed"}),
        ("post", "/api/v1/nations/", {"code": "DEU", "name": "Germany"}),
        ("delete", "/api/v1/nations/FRA/", None),
    ]:
        response = getattr(jpn_api, method)(url, body, format="json")
        assert response.status_code == 403, (method, url, response.content)
    assert jpn_api.get("/api/v1/nations/GBR/").status_code == 200
    assert models.Nation.objects.get(code="GBR").name == "United Kingdom"
    assert not models.Nation.objects.filter(code="DEU").exists()
    assert models.Nation.objects.filter(code="FRA").exists()
    renamed = api.patch("/api/v1/nations/GBR/", {"name": "UK"}, format="json")
    assert renamed.status_code == 200


# -- finding 5: deletion refusals ---------------------------------------------------------------


def test_deleting_an_organisation_reads_the_same_whether_a_hidden_or_visible_record_names_it(
    world, jpn_api, api
):
    """Probe finding 5: a hidden dependant answered "Records that are not releasable to your
    nation depend on this one", any other "Other records still refer to this one (...)"."""
    gbr = world.nations["GBR"]
    hidden_partner = factories.OrganisationFactory(name="Rolls-Royce", nation=gbr)
    visible_partner = factories.OrganisationFactory(name="MBDA UK", nation=gbr)
    secret = factories.TechTransferMilestoneFactory(
        programme=world.programme,
        title="Secret engine core",
        provider=hidden_partner,
        recipient=world.orgs["ITA"],
    )
    _uk_and_italy_only(world, secret)
    factories.TechTransferMilestoneFactory(
        programme=world.programme,
        title="Missile integration",
        provider=visible_partner,
        recipient=world.orgs["JPN"],
    )

    by_hidden = jpn_api.delete(f"/api/v1/organisations/{hidden_partner.pk}/")
    by_visible = jpn_api.delete(f"/api/v1/organisations/{visible_partner.pk}/")

    assert by_hidden.status_code == by_visible.status_code == 409
    assert by_hidden.json() == by_visible.json()
    assert "tech-transfer" not in by_hidden.json()["detail"]
    assert (
        models.Organisation.objects.filter(pk__in=[hidden_partner.pk, visible_partner.pk]).count()
        == 2
    )
    # The unrestricted analyst, who sees everything, is told what is in the way.
    told = api.delete(f"/api/v1/organisations/{visible_partner.pk}/")
    assert "tech-transfer milestones" in told.json()["detail"]


def test_a_share_total_refusal_gives_no_total_that_would_count_a_hidden_share(world, jpn_api):
    """A refusal computed over sibling rows (agreed shares, stakes) names no total: the total
    would include the share of a participation hidden from the analyst."""
    italy = models.Participation.objects.get(programme=world.programme, nation__code="ITA")
    _uk_and_italy_only(world, italy)
    payload = {"programme": "GCAP", "nation": "FRA", "role": "observer", "agreed_share": "40"}

    hidden = jpn_api.post("/api/v1/participations/", payload, format="json")
    italy.releasable_to.add(world.nations["JPN"])
    visible = jpn_api.post("/api/v1/participations/", payload, format="json")

    assert hidden.status_code == visible.status_code == 400
    assert hidden.json() == visible.json()
    assert hidden.json()["agreed_share"] == ["Agreed shares of GCAP would sum to over 100%."]


def test_a_release_an_unrestricted_analyst_widened_may_stay_in_a_restricted_edit(
    world, jpn_api, api
):
    contribution = world.records["contribution"]
    url = f"/api/v1/contributions/{contribution.pk}/"
    assert (
        api.patch(url, {"releasable_to": ["GBR", "JPN", "FRA"]}, format="json").status_code == 200
    )

    kept = jpn_api.patch(url, {"releasable_to": ["GBR", "JPN", "FRA"]}, format="json")

    assert kept.status_code == 200, kept.content
    assert jpn_api.patch(url, {"releasable_to": ["GBR", "JPN"]}, format="json").status_code == 200
    again = jpn_api.patch(url, {"releasable_to": ["GBR", "JPN", "FRA"]}, format="json")
    assert again.status_code == 400, "once narrowed, FRA is beyond GCAP's release again"
