"""The balance report gives each pair's tie index (SPEC §2) with its parts."""

import datetime

import pytest

from tests.balance.test_tie_index import agreement, shared_programme
from tests.worlds import AS_OF, World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db) -> World:
    """GCAP alone, without the API tests' record of every resource (tests/api/conftest.py):
    their UK–Japan agreement would tie Japan to the UK."""
    return World()


def test_the_balance_report_gives_each_pair_its_tie_index_and_parts(viewer_api, world):
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


def test_the_balance_report_compares_each_nation_with_each_bloc_next_to_the_threshold(
    viewer_api,
    world,
):
    shared_programme(world, "TORNADO", 10, "GBR", "ITA")
    agreement(world, "MoU", "GBR", "ITA", signed_on=datetime.date(2019, 9, 10))
    shared_programme(world, "UKJ", 4, "GBR", "JPN")
    world.override("bloc_sidelining", "tie_ratio", 4)

    response = viewer_api.get(f"/api/v1/programmes/GCAP/balance/?as_of={AS_OF.isoformat()}")

    assert response.status_code == 200
    japan = next(tie for tie in response.json()["bloc_ties"] if tie["nation"] == "JPN")
    # 15 against 4 with the UK and 0 with Italy: 3.75, short of the programme's 4 and of its
    # recovery threshold 3.98, so the rule reads nothing there.
    assert japan == {
        "nation": "JPN",
        "a": "GBR",
        "b": "ITA",
        "bloc_index": "15.00",
        "index_with_a": "4.00",
        "index_with_b": "0.00",
        "ratio": "3.75",
        "tie_ratio": "4.0000",
        "tie_ratio_recovery": "3.9800",
        "strong_tie": "5",
        "state": None,
    }

    csv = viewer_api.get(
        f"/api/v1/programmes/GCAP/balance/?as_of={AS_OF.isoformat()}&format=csv&section=bloc_ties"
    )
    assert csv.status_code == 200
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("nation,a,b,bloc_index,index_with_a,index_with_b,ratio,tie_ratio")
    assert "JPN,GBR,ITA,15.00,4.00,0.00,3.75,4.0000,3.9800,5," in lines[1:]
