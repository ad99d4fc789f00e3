"""List pages are cached under the data version: a repeated page reads no rows, and a change
made any way shows on the very next page, for each nation apart."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.api.test_access_api import cleared_client

PAGE = "/api/v1/workshare/?page_size=2"


@pytest.fixture(autouse=True)
def _report_cache(settings):
    """A cache of this process, so these tests do not depend on Redis (production: Redis)."""
    settings.CACHES = {
        **settings.CACHES,
        "reports": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }


def amounts(response) -> list[Decimal]:
    assert response.status_code == 200, response.content
    return sorted(Decimal(row["amount"]) for row in response.json()["results"])


#: What every token request reads: the token with its user and clearance, the user's permissions.
AUTH_TABLES = ("programs_apitoken", "auth_permission")


def test_a_repeated_page_is_served_without_reading_its_rows(world, viewer_api):
    first = viewer_api.get(PAGE)
    with CaptureQueriesContext(connection) as captured:
        again = viewer_api.get(PAGE)
    assert again.json() == first.json()
    assert [q["sql"] for q in captured if not any(t in q["sql"] for t in AUTH_TABLES)] == []
    following = viewer_api.get(first.json()["next"]) if first.json()["next"] else None
    if following is not None:  # the cursor is part of the key: the next page is its own
        assert following.json()["results"] != first.json()["results"]


def test_a_change_through_the_api_shows_on_the_very_next_page(world, api):
    allocation = world.records["workshare"]
    assert Decimal("4321.09") not in amounts(api.get("/api/v1/workshare/"))

    response = api.patch(
        f"/api/v1/workshare/{allocation.pk}/", {"amount": "4321.09"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert Decimal("4321.09") in amounts(api.get("/api/v1/workshare/"))


def test_a_restricted_user_never_gets_the_page_cached_for_another_nation(world, api):
    hidden = factories.WorkshareAllocationFactory(
        work_package=world.records["workshare"].work_package, amount=Decimal("777.77")
    )
    hidden.releasable_to.set([world.nations["JPN"]])
    gbr_api = cleared_client(world.nations["GBR"])
    jpn_api = cleared_client(world.nations["JPN"], username="jp-analyst")

    assert Decimal("777.77") in amounts(api.get("/api/v1/workshare/"))
    assert Decimal("777.77") not in amounts(gbr_api.get("/api/v1/workshare/"))
    assert Decimal("777.77") in amounts(jpn_api.get("/api/v1/workshare/"))
    assert Decimal("777.77") not in amounts(gbr_api.get("/api/v1/workshare/"))

    hidden.releasable_to.add(world.nations["GBR"])  # a marking change alone
    assert Decimal("777.77") in amounts(gbr_api.get("/api/v1/workshare/"))


@pytest.mark.parametrize("path", [PAGE, "/api/v1/programmes/GCAP/balance/"])
def test_a_cached_response_is_the_computed_one_byte_for_byte(world, viewer_api, path):
    computed = viewer_api.get(path)
    cached = viewer_api.get(path)
    assert computed.status_code == cached.status_code == 200
    assert cached.content == computed.content
    assert dict(cached.headers) == dict(computed.headers)
    assert cached.headers["Content-Type"] == "application/json"
    indented = viewer_api.get(path, HTTP_ACCEPT="application/json; indent=2")
    assert indented.json() == computed.json()
    assert indented.content != computed.content
