"""Create, read, update and delete of every resource through HTTP, and invalid writes."""

import pytest

from tests.api.resources import RESOURCES, lookup_of

READ_ONLY_FIELDS = {"id", "provider_nation", "recipient_nation"}


def url(resource, key=None) -> str:
    return f"/api/v1/{resource.path}/" + (f"{key}/" if key is not None else "")


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.basename)
def test_create_read_update_delete(resource, world, api):
    created = api.post(url(resource), resource.create, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    for name, value in resource.create.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            assert [
                {k: row[k] for k in given} for row, given in zip(body[name], value, strict=True)
            ] == value
        else:
            assert body[name] == value, name
    key = body["code"] if resource.lookup == "code" else body["id"]
    record = resource.model.objects.get(**{resource.lookup: key})

    read = api.get(url(resource, key))
    assert read.status_code == 200
    assert read.json() == body
    assert read["ETag"] == created["ETag"]

    replaced = {k: v for k, v in body.items() if k not in READ_ONLY_FIELDS}
    replaced["source"] = "https://example.org/put"
    put = api.put(url(resource, key), replaced, format="json", HTTP_IF_MATCH=read["ETag"])
    assert put.status_code == 200, put.json()
    assert put.json() == {**body, "source": "https://example.org/put"}

    patch = api.patch(url(resource, key), {"confidence": "estimated"}, format="json")
    assert patch.status_code == 200, patch.json()
    record.refresh_from_db()
    assert (record.source, record.confidence) == ("https://example.org/put", "estimated")

    deleted = api.delete(url(resource, key), HTTP_IF_MATCH=patch["ETag"])
    assert deleted.status_code == 204
    assert not resource.model.objects.filter(pk=record.pk).exists()
    assert api.get(url(resource, key)).status_code == 404


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.basename)
def test_invalid_create_is_400_with_field_message_and_writes_nothing(resource, world, api):
    before = resource.model.objects.count()
    response = api.post(url(resource), resource.invalid, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert resource.invalid_field in errors, errors
    assert errors[resource.invalid_field]
    assert resource.model.objects.count() == before


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.basename)
def test_invalid_update_is_400_and_leaves_the_record(resource, world, api):
    obj = world.records[resource.basename]
    before = api.get(url(resource, lookup_of(resource, obj))).json()
    response = api.patch(
        url(resource, lookup_of(resource, obj)), {"confidence": "certain"}, format="json"
    )
    assert response.status_code == 400
    assert "confidence" in response.json()
    assert api.get(url(resource, lookup_of(resource, obj))).json() == before
