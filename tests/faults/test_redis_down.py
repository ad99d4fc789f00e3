"""Redis stopped: saving and reading still work, and the scans the saves asked for are not lost.

Without Redis an on-change scan cannot be queued. The save commits anyway, quickly, and the
programme is written down as a missed scan (``programs.MissedScan``); when Redis is back, the
periodic task ``programs.requeue_missed_scans`` queues it and the worker runs it. The web, the
worker and beat all keep running through the outage, as they would in production.
"""

from decimal import Decimal

import pytest

from tests.faults.conftest import ANALYST
from tests.faults.services import AdminBrowser, wait_until

pytestmark = pytest.mark.faults

#: A save with Redis down must not wait for broker retries.
QUICK_SECONDS = 2.5


def contribution(nation: str, period_start: str, amount: str) -> dict:
    return {
        "programme": "GCAP",
        "nation": nation,
        "period_start": period_start,
        "period_end": period_start[:4] + "-12-31",
        "amount": amount,
        "source": "fault test",
        "confidence": "estimated",
    }


def test_with_redis_stopped_saves_and_reads_succeed_and_the_missed_scan_runs_when_it_is_back(
    gcaptrack, sql
):
    gcaptrack.beat()
    worker = gcaptrack.worker(wait=False)
    gcaptrack.web()
    gcaptrack.wait_ready(worker)
    api = gcaptrack.api()
    admin = AdminBrowser(gcaptrack.base)
    admin.sign_in(ANALYST, gcaptrack.analyst_password)
    assert api.get("/api/v1/programmes/GCAP/").status == 200

    gcaptrack.redis.stop()

    created = api.post("/api/v1/contributions/", contribution("JPN", "2026-01-01", "500000000"))
    assert created.status == 201, created.body
    changed = api.patch(f"/api/v1/contributions/{created.body['id']}/", {"amount": "600000000"})
    assert changed.status == 200, changed.body
    [(programme_id, italy_id)] = sql(
        "select p.id, n.id from programs_programme p, programs_nation n "
        "where p.code = 'GCAP' and n.code = 'ITA'"
    )
    added = admin.submit(
        "/admin/programs/contribution/add/",
        {**contribution("ITA", "2026-02-01", "80000000"), "programme": programme_id}
        | {"nation": italy_id},
    )
    assert added.status == 302, added.body[:3000]
    for response in (created, changed, added):
        assert response.seconds < QUICK_SECONDS, response
    for path in (
        "/api/v1/programmes/GCAP/",
        "/api/v1/programmes/GCAP/balance/",
        "/api/v1/contributions/?programme=GCAP",
        "/api/v1/flags/",
    ):
        read = api.get(path)
        assert read.status == 200, (path, read.body)
        assert read.seconds < QUICK_SECONDS, (path, read.seconds)
    assert admin.request("GET", "/admin/programs/contribution/").status == 200
    # Asking for a scan explicitly cannot be honoured now: a clear 503, not a 500.
    asked = api.post("/api/v1/programmes/GCAP/scan/", {})
    assert asked.status == 503, asked.body
    assert asked.headers["Retry-After"]
    assert asked.seconds < QUICK_SECONDS

    assert sql("select programme_id from programs_missedscan") == [(programme_id,)]
    assert sql("select count(*) from programs_balancesnapshot") == [(0,)]

    gcaptrack.redis.start()  # empty: whatever was queued before is gone

    def scanned() -> list[tuple]:
        """the missed scan to run once Redis is back"""
        if sql("select 1 from programs_missedscan"):
            return []
        return sql(
            "select n.code, s.contributed from programs_balancesnapshot s "
            "join programs_nation n on n.id = s.nation_id where s.programme_id = %s "
            "order by n.code",
            programme_id,
        )

    snapshots = dict(wait_until("the missed scan", scanned, 60))
    assert snapshots == {
        "GBR": Decimal("1840000000"),
        "ITA": Decimal("920000000") + Decimal("80000000"),
        "JPN": Decimal("1840000000") + Decimal("600000000"),
    }, gcaptrack.logs()
    log = worker.log()
    assert "Connection to broker lost" in log, "the worker lived through the outage"
    assert "Task programs.scan_programme[" in log.split("Connection to broker lost")[-1]
    assert sql("select count(*) from programs_flag where programme_id = %s", programme_id)[0][0]


def test_with_redis_stopped_a_revoked_token_is_refused_on_its_next_request(gcaptrack, sql):
    gcaptrack.web(threads=2)
    api = gcaptrack.api()
    for _ in range(4):  # every thread of the web process has served the token
        assert api.get("/api/v1/programmes/GCAP/balance/").status == 200

    gcaptrack.redis.stop()

    assert api.get("/api/v1/programmes/GCAP/balance/").status == 200
    [(token_id,)] = sql("select id from programs_apitoken where revoked_at is null")
    revoked = api.call("DELETE", f"/api/v1/tokens/{token_id}/")
    assert revoked.status == 204, revoked.body
    for _ in range(4):
        refused = api.get("/api/v1/programmes/GCAP/balance/")
        assert refused.status == 401, refused
        assert "revoked" in refused.body["detail"]
    assert sql("select revoked_at is not null from programs_apitoken where id = %s", token_id) == [
        (True,)
    ]
