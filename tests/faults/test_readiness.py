"""/readyz as an orchestrator sees it while PostgreSQL, Redis or the worker is stopped for real
(the throw-away servers of tests/faults/): the failing dependency is named, the answer is 503,
and everything reads ``ok`` again once it is back, without restarting the web process."""

import pytest

from tests.faults.services import Http, manage, wait_until

pytestmark = pytest.mark.faults

CHECKS = ("database", "redis", "migrations", "worker", "scheduler", "last_scan")
ALL_OK = dict.fromkeys(CHECKS, "ok")


def readiness(base: str) -> tuple[int, dict[str, str]]:
    response = Http(base).get("/readyz")
    checks = response.body["checks"] if isinstance(response.body, dict) else {}
    return response.status, checks


def wait_for_checks(base: str, expected: dict[str, str], timeout: float = 60):
    def reported():
        status, checks = readiness(base)
        return (status, checks) if all(checks.get(k) == v for k, v in expected.items()) else None

    return wait_until(f"/readyz to report {expected}", reported, timeout, interval=0.5)


def test_readyz_names_each_stopped_dependency_and_recovers(gcaptrack, fault_postgres):
    gcaptrack.beat()
    worker = gcaptrack.worker()
    gcaptrack.web(HEALTH_WORKER_PING_SECONDS="1")
    base = gcaptrack.base
    assert gcaptrack.api().post("/api/v1/programmes/GCAP/scan/", {}).status == 202
    assert wait_for_checks(base, ALL_OK) == (200, ALL_OK), gcaptrack.logs()

    worker.stop()
    assert wait_for_checks(base, {"worker": "fail"}) == (503, {**ALL_OK, "worker": "fail"})
    gcaptrack.worker()
    assert wait_for_checks(base, ALL_OK) == (200, ALL_OK), gcaptrack.logs()

    gcaptrack.redis.stop()
    assert wait_for_checks(base, {"redis": "fail"}) == (
        503,
        {**ALL_OK, "redis": "fail", "worker": "fail"},
    )
    gcaptrack.redis.start()  # the worker reconnects by itself
    assert wait_for_checks(base, ALL_OK) == (200, ALL_OK), gcaptrack.logs()

    fault_postgres.server.stop("fast")
    try:
        down = readiness(base)
    finally:
        fault_postgres.server.start()
    assert down == (
        503,
        {
            **ALL_OK,
            "database": "fail",
            "migrations": "fail",
            "scheduler": "fail",
            "last_scan": "fail",
        },
    )
    assert wait_for_checks(base, ALL_OK) == (200, ALL_OK), gcaptrack.logs()


def test_readyz_reports_unapplied_migrations_until_migrate_runs(gcaptrack):
    manage(gcaptrack.env(), "migrate", "sessions", "zero", "--noinput")
    gcaptrack.web()
    status, checks = readiness(gcaptrack.base)
    assert (status, checks["migrations"], checks["database"]) == (503, "fail", "ok")

    manage(gcaptrack.env(), "migrate", "--noinput")
    status, checks = readiness(gcaptrack.base)
    assert checks["migrations"] == "ok"
