"""A worker SIGKILLed in the middle of a scan: the database keeps no half-written scan, and the
scan runs again, whole, on the next worker (messages are acknowledged only when a task ends)."""

import time
import uuid

import pytest
from celery import Celery

pytestmark = pytest.mark.faults

#: Seconds before Redis hands an unacknowledged message out again (production: an hour).
VISIBILITY = 3
SCAN_OUTPUT = ("programs_flag", "programs_flagevent", "programs_balancesnapshot")


def celery_client(redis_url: str) -> Celery:
    """A Celery client of the test's own on the throw-away Redis (the worker's default queue)."""
    app = Celery("fault-tests", broker=redis_url, backend=redis_url)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        result_accept_content=["json"],
        task_default_queue="gcaptrack",
    )
    return app


def test_a_worker_killed_mid_scan_leaves_nothing_and_the_redelivered_scan_completes(gcaptrack, sql):
    first = gcaptrack.worker(CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY))
    client = gcaptrack.redis.client()
    started_key, gate_key = (f"fault-test:{uuid.uuid4().hex}:{part}" for part in "sg")
    app = celery_client(gcaptrack.redis.url)
    # The real scan task, held inside the scan's transaction once it has written its flags,
    # events and snapshots (tests/worker_support.py).
    result = app.send_task("tests.gated_scan_programme", args=["GCAP", started_key, gate_key])

    _key, written = client.blpop([started_key], timeout=60)
    delivered_by = time.monotonic()
    assert int(written) > 0, "the scan had written flags when the worker died"
    first.kill()

    for table in SCAN_OUTPUT:
        assert sql(f"select count(*) from {table}") == [(0,)], table

    client.set(gate_key, "open", ex=120)
    time.sleep(max(0, delivered_by + VISIBILITY + 0.5 - time.monotonic()))
    second = gcaptrack.worker(CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY))

    summary = result.get(timeout=60)
    assert len(summary["raised"]) == int(written)
    assert second.log().count("Task tests.gated_scan_programme[") >= 1, second.log()
    flags = sql("select id, rule, nation_id from programs_flag order by id")
    assert [flag_id for flag_id, *_ in flags] == sorted(summary["raised"])
    assert len({(rule, nation) for _id, rule, nation in flags}) == len(flags), "no flag twice"
    assert sql("select kind, count(*) from programs_flagevent group by kind") == [
        ("raised", len(flags))
    ]
    assert sql("select count(*) from programs_balancesnapshot") == [(3,)]  # GBR, ITA, JPN
    app.close()
