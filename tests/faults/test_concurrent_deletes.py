"""A tech transfer and its programme deleted at the same moment, through a real gunicorn.

Each DELETE locks the row it deletes before checking If-Match. The tech transfer's default
ordering joins its programme, and a plain ``SELECT … FOR UPDATE`` locked the programme's row
too, in the opposite order to the programme's own delete (its row, then its transfers):
PostgreSQL found a deadlock in about a third of the rounds and one request got a 500. Now only
the record's own row is locked, and a write aborted by a deadlock is retried and at worst
answered 503 with Retry-After.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.faults.services import Response, manage

pytestmark = pytest.mark.faults

ROUNDS = 20

#: Programmes R00…R19, each with the UK and Italy taking part and one transfer between them.
SET_UP = f"""
from programs.models import Nation, Organisation, Participation, Programme, TechTransferMilestone
gbr, ita = Nation.objects.get(code="GBR"), Nation.objects.get(code="ITA")
bae, leonardo = Organisation.objects.get(name="BAE Systems"), Organisation.objects.get(name="Leonardo")
for i in range({ROUNDS}):
    programme = Programme.objects.create(code=f"R{{i:02}}", name=f"Round {{i}}", currency="GBP")
    for nation in (gbr, ita):
        Participation.objects.create(programme=programme, nation=nation, role="partner")
    milestone = TechTransferMilestone.objects.create(
        programme=programme, provider=bae, recipient=leonardo, title="Radar data",
        planned_on="2026-01-01",
    )
    print("ROUND", programme.code, milestone.pk)
"""


def delete_both(api, transfer_path: str, programme_path: str) -> list[Response]:
    start = threading.Barrier(2)

    def delete(path: str) -> Response:
        start.wait()
        return api.call("DELETE", path)

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(delete, [transfer_path, programme_path]))


def test_deleting_a_tech_transfer_and_its_programme_at_once_never_answers_500(gcaptrack, sql):
    output = manage(gcaptrack.env(), "shell", "-c", SET_UP)
    rounds = [line.split()[1:] for line in output.splitlines() if line.startswith("ROUND ")]
    gcaptrack.web(threads=4)
    api = gcaptrack.api()

    statuses = []
    for code, transfer_id in rounds:
        transfer, programme = delete_both(
            api, f"/api/v1/tech-transfers/{transfer_id}/", f"/api/v1/programmes/{code}/"
        )
        statuses.append((transfer.status, programme.status))
        for response in (transfer, programme):
            if response.status == 503:
                assert response.headers.get("Retry-After"), response

    print(f"{ROUNDS} rounds of concurrent deletes: {statuses}")
    assert len(statuses) == ROUNDS
    assert not [pair for pair in statuses if 500 in pair], (statuses, gcaptrack.logs())
    # Both deletes are the client's to make: each is done (204) or finds the other did it (404).
    assert all(transfer in (204, 404) and programme == 204 for transfer, programme in statuses), (
        statuses
    )
    assert sql("select count(*) from programs_programme where code like 'R__'") == [(0,)]
    assert sql(
        "select count(*) from programs_techtransfermilestone where programme_id not in "
        "(select id from programs_programme)"
    ) == [(0,)]
