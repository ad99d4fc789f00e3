"""Twenty analysts save the same record at the same moment through a real gunicorn (20 threads,
20 database connections): no update is lost.

With the same ETag in If-Match, the first writer to lock the row wins and every other gets 412
(the check runs with the row locked, programs/api/conditional.py); without If-Match, the
documented behaviour, every write goes through whole, one after the other, and the history
keeps each of them. The admin's change form carries the record's version the same way: a save
made from a page opened before someone else's change is refused.
"""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.faults.conftest import ANALYST
from tests.faults.services import AdminBrowser, Http, Response

pytestmark = pytest.mark.faults

WRITERS = 20


def all_at_once(api: Http, path: str, if_match: str | None = None) -> list[Response]:
    """PATCH ``path`` from WRITERS threads released together, writer i setting "writer i"."""
    start = threading.Barrier(WRITERS)
    headers = {"If-Match": if_match} if if_match else {}

    def write(i: int) -> Response:
        start.wait()
        return api.patch(path, {"source": f"writer {i}"}, headers=headers)

    with ThreadPoolExecutor(WRITERS) as pool:
        return list(pool.map(write, range(WRITERS)))


@pytest.fixture
def italy_contribution(gcaptrack, sql) -> tuple[int, str, int]:
    """Italy's GCAP contribution: its id, its API path and its last history id."""
    gcaptrack.web(threads=WRITERS)
    [(contribution_id,)] = sql(
        "select c.id from programs_contribution c join programs_nation n on n.id = c.nation_id "
        "where n.code = 'ITA'"
    )
    [(last_history,)] = sql(
        "select max(history_id) from programs_historicalcontribution where id = %s",
        contribution_id,
    )
    return contribution_id, f"/api/v1/contributions/{contribution_id}/", last_history


def test_twenty_writers_with_the_same_etag_one_wins_and_nineteen_get_412(
    gcaptrack, sql, italy_contribution
):
    contribution_id, path, last_history = italy_contribution
    api = gcaptrack.api()
    etag = api.get(path).headers["ETag"]

    responses = all_at_once(api, path, if_match=etag)

    statuses = [response.status for response in responses]
    assert sorted(statuses) == [200] + [412] * (WRITERS - 1), responses
    winner = f"writer {statuses.index(200)}"
    for response in responses:
        if response.status == 412:
            assert "changed since you read it" in response.body["detail"]
    assert api.get(path).body["source"] == winner
    assert sql("select source from programs_contribution where id = %s", contribution_id) == [
        (winner,)
    ]
    assert sql(
        "select source, history_type from programs_historicalcontribution "
        "where id = %s and history_id > %s",
        contribution_id,
        last_history,
    ) == [(winner, "~")]


def test_twenty_writers_without_if_match_all_succeed_and_the_history_keeps_every_change(
    gcaptrack, sql, italy_contribution
):
    contribution_id, path, last_history = italy_contribution
    api = gcaptrack.api()

    responses = all_at_once(api, path)

    assert [response.status for response in responses] == [200] * WRITERS, responses
    history = sql(
        "select source from programs_historicalcontribution "
        "where id = %s and history_id > %s order by history_id",
        contribution_id,
        last_history,
    )
    assert sorted(source for (source,) in history) == sorted(f"writer {i}" for i in range(WRITERS))
    # Last writer wins, and what is stored is the last change the history shows.
    assert sql("select source from programs_contribution where id = %s", contribution_id) == [
        history[-1]
    ]


def hidden_value(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no {name} in the page"
    return match.group(1)


def test_an_admin_save_from_a_page_opened_before_another_change_is_refused(
    gcaptrack, sql, italy_contribution
):
    contribution_id, path, _last_history = italy_contribution
    admin = AdminBrowser(gcaptrack.base)
    admin.sign_in(ANALYST, gcaptrack.analyst_password)
    change_page = f"/admin/programs/contribution/{contribution_id}/change/"
    [row] = sql(
        "select programme_id, nation_id, period_start, period_end, amount, source, confidence "
        "from programs_contribution where id = %s",
        contribution_id,
    )
    names = ("programme", "nation", "period_start", "period_end", "amount", "source")
    fields = dict(zip((*names, "confidence"), map(str, row), strict=True))

    def open_and_edit() -> dict:
        page = admin.request("GET", change_page).body
        return {
            **fields,
            "source": "edited in the admin",
            "record_version": hidden_value(page, "record_version"),
            "csrfmiddlewaretoken": hidden_value(page, "csrfmiddlewaretoken"),
            "_save": "Save",
        }

    stale_form = open_and_edit()
    # Meanwhile another analyst changes the amount through the API.
    assert gcaptrack.api().patch(path, {"amount": "950000000"}).status == 200

    refused = admin.request("POST", change_page, stale_form)
    assert refused.status == 200
    assert "Someone changed this record after you opened this page" in refused.body
    assert sql("select amount, source from programs_contribution where id = %s", contribution_id)[
        0
    ] == (950_000_000, row[5])

    saved = admin.request("POST", change_page, {**open_and_edit(), "amount": "950000000"})
    assert saved.status == 302, saved.body[:3000]
    assert sql("select amount, source from programs_contribution where id = %s", contribution_id)[
        0
    ] == (950_000_000, "edited in the admin")
