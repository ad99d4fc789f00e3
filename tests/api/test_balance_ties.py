"""The balance report gives each pair's tie index (SPEC §2) with its parts."""

import datetime

import pytest

from tests.balance_world import AS_OF, World
from tests.test_tie_index import agreement, shared_programme

pytestmark = pytest.mark.django_db


def test_the_balance_report_gives_each_pair_its_tie_index_and_parts(viewer_api):
    world = World()
    shared_programme(world, "TORNADO", 10, "GBR", "ITA")
    agreement(world, "MoU", "GBR", "ITA", signed_on=datetime.date(2019, 9, 10))

    response = viewer_api.get(f"/api/v1/programmes/GCAP/balance/?as_of={AS_OF.isoformat()}")

    assert response.status_code == 200
    [pair] = [p for p in response.json()["pairs"] if (p["a"], p["b"]) == ("GBR", "ITA")]
    assert pair["tie_index"] == "15.00"
    assert pair["tie_since"] == "2000-01-01"
    assert pair["tie_parts"] == [
        {
            "kind": "programme",
            "code": "TORNADO",
            "name": "Tornado",
            "since": "2000-01-01",
            "points": "10.00",
        },
        {"kind": "agreement", "code": "", "name": "MoU", "since": "2019-09-10", "points": "5.00"},
    ]
