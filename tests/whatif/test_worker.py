"""A what-if evaluated while a real scan runs on a real worker: neither changes the other."""

import uuid

import pytest

from gcaptrack.broker import redis_client
from gcaptrack.celery import app as celery_app
from programs.models import Flag, LeadershipRole
from programs.scenarios.loading import load_scenario_files
from programs.whatif.evaluate import evaluate_draft
from tests.whatif.helpers import JAPAN_TAKES_TWO_LEADS, SEEDS

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_what_if_while_a_real_scan_runs_on_a_worker_changes_neither(start_worker):
    load_scenario_files(SEEDS)
    start_worker()
    alone = evaluate_draft(JAPAN_TAKES_TWO_LEADS).as_json()
    client = redis_client()
    started_key, gate_key = (f"whatif-test:{uuid.uuid4().hex}:{part}" for part in "sg")
    # The real scan task, held inside its transaction once it has written flags and snapshots.
    scan = celery_app.send_task("tests.gated_scan_programme", args=["GCAP", started_key, gate_key])
    try:
        _key, written = client.blpop([started_key], timeout=60)
        assert int(written) > 0

        during = evaluate_draft(JAPAN_TAKES_TWO_LEADS).as_json()
    finally:
        client.set(gate_key, "open", ex=120)
    summary = scan.get(timeout=60)

    assert during == alone
    assert evaluate_draft(JAPAN_TAKES_TWO_LEADS).as_json() == alone
    # The scan judged the stored data, not the draft: its flags are the what-if's "now".
    gcap = next(p for p in alone["programmes"] if p["code"] == "GCAP")
    expected = {(f["rule"], f["nation"], f["now"]) for f in gcap["flags"] if f["now"]}
    flags = Flag.objects.filter(programme__code="GCAP", status="open")
    assert {(f.rule, f.nation.code, f.severity) for f in flags} == expected
    assert len(summary["raised"]) == len(expected)
    assert ("leadership_deficit", "JPN", "warning") in expected
    roles = LeadershipRole.objects.filter(
        title__in=["Propulsion system lead", "Mission systems lead"]
    )
    assert {role.nation.code for role in roles} == {"GBR"}
