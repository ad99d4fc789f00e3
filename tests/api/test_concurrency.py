"""Optimistic concurrency: a stale If-Match gets 412 and leaves the record as it was."""

import pytest

from tests.api.resources import RESOURCES, lookup_of


def url(resource, obj) -> str:
    return f"/api/v1/{resource.path}/{lookup_of(resource, obj)}/"


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.basename)
def test_stale_if_match_is_412_and_changes_nothing(resource, world, api):
    obj = world.records[resource.basename]
    first = api.get(url(resource, obj))
    stale = first["ETag"]
    # Another analyst saves a change first.
    other = api.patch(
        url(resource, obj), {"source": "analyst B"}, format="json", HTTP_IF_MATCH=stale
    )
    assert other.status_code == 200
    assert other["ETag"] != stale
    after_other = api.get(url(resource, obj)).json()

    for method, body in (("patch", {"source": "analyst A"}), ("put", None), ("delete", None)):
        payload = body if body is not None else {**first.json(), "source": "analyst A"}
        response = getattr(api, method)(
            url(resource, obj), payload, format="json", HTTP_IF_MATCH=stale
        )
        assert response.status_code == 412, (method, response.content)
        assert "changed" in response.json()["detail"]
    assert resource.model.objects.filter(pk=obj.pk).exists()
    assert api.get(url(resource, obj)).json() == after_other


def test_matching_if_match_and_wildcard_are_accepted(world, api):
    nation = "/api/v1/nations/ITA/"
    etag = api.get(nation)["ETag"]
    assert (
        api.patch(nation, {"name": "Italia"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    )
    assert api.patch(nation, {"name": "Italy"}, format="json", HTTP_IF_MATCH="*").status_code == 200


def test_etag_changes_when_a_nested_child_changes(world, api):
    body = world.records["decision-body"]
    before = api.get(f"/api/v1/decision-bodies/{body.pk}/")["ETag"]
    body.seats.filter(nation__code="JPN").update(votes=3)
    assert api.get(f"/api/v1/decision-bodies/{body.pk}/")["ETag"] != before


def test_if_none_match_gives_304(world, api):
    etag = api.get("/api/v1/programmes/GCAP/")["ETag"]
    response = api.get("/api/v1/programmes/GCAP/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["ETag"] == etag


def test_if_match_can_be_required(world, api, settings):
    settings.API_REQUIRE_IF_MATCH = True
    response = api.patch("/api/v1/nations/ITA/", {"name": "Italia"}, format="json")
    assert response.status_code == 428
    assert world.nations["ITA"].__class__.objects.get(code="ITA").name == "Italy"
