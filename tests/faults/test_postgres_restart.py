"""PostgreSQL restarted under a running web server: while it is down, requests that need it get
a clean 503 (JSON with Retry-After for the API, a short page for the dashboards), and once it is
back the very next requests succeed, without restarting gunicorn; a restart between two requests
costs no request at all (connections are health-checked). Every API request checks its token in
the database, so a list page cached before the outage is refused too, and served unchanged from
the cache after it."""

import pytest

from tests.faults.conftest import ANALYST
from tests.faults.services import AdminBrowser

pytestmark = pytest.mark.faults

THREADS = 2
PATHS = ("/api/v1/programmes/GCAP/", "/api/v1/contributions/?programme=GCAP")
#: Never asked before the outage: no cached page.
UNSEEN_LIST = "/api/v1/contributions/?programme=GCAP&page_size=7"


def test_requests_get_503_while_postgres_is_down_and_succeed_at_once_after_its_restart(
    gcaptrack, fault_postgres
):
    # Persistent connections (the production default), so every thread holds one the restart
    # breaks.
    gcaptrack.web(threads=THREADS, DB_CONN_MAX_AGE="600")
    api = gcaptrack.api()
    browser = AdminBrowser(gcaptrack.base)
    browser.sign_in(ANALYST, gcaptrack.analyst_password)
    for _ in range(3 * THREADS):
        for path in PATHS:
            assert api.get(path).status == 200
    assert browser.request("GET", "/").status == 200

    cached_list = api.get(PATHS[1]).body
    fault_postgres.server.stop("fast")
    try:
        down = [api.get(path) for path in (*PATHS, UNSEEN_LIST) for _ in range(THREADS)]
        page = browser.request("GET", "/")
        write = api.patch("/api/v1/programmes/GCAP/", {"name": "Global Combat Air Programme"})
    finally:
        fault_postgres.server.start()

    for response in [*down, write]:
        assert response.status == 503, response
        assert response.headers["Content-Type"] == "application/json"
        assert "unavailable" in response.body["detail"]
        assert response.headers["Retry-After"] == "5"
    assert page.status == 503
    assert "Service unavailable" in page.body
    assert "Traceback" not in page.body

    after = [api.get(path) for _ in range(3 * THREADS) for path in PATHS]
    assert [response.status for response in after] == [200] * len(after), after
    assert browser.request("GET", "/").status == 200
    assert api.get(PATHS[1]).body == cached_list
    etag = api.get("/api/v1/programmes/GCAP/").headers["ETag"]
    renamed = api.patch(
        "/api/v1/programmes/GCAP/", {"name": "GCAP (renamed)"}, headers={"If-Match": etag}
    )
    assert renamed.status == 200, renamed.body
    assert api.get("/api/v1/programmes/GCAP/").body["name"] == "GCAP (renamed)"

    # A restart between two requests costs no request at all: each thread's broken connection
    # is noticed (health check) and replaced before the request uses it.
    fault_postgres.server.stop("fast")
    fault_postgres.server.start()
    again = [api.get(path) for _ in range(3 * THREADS) for path in PATHS]
    assert [response.status for response in again] == [200] * len(again), again
