"""Scans on a real ``celery worker`` process, the local Redis and the test database."""

import time
import uuid
from decimal import Decimal

import pytest

from gcaptrack.celery import app as celery_app
from programs.balance.scan import scan_programme
from programs.balance.triggers import pending_key, redis_client
from programs.models import BalanceSnapshot, Contribution, Flag, FlagEvent
from tests import factories
from tests.admin_helpers import admin_url, https_client
from tests.celery_fixtures import wait_for
from tests.scan_data import leadership_case

pytestmark = pytest.mark.worker


def test_a_contribution_added_in_the_admin_raises_its_flag_through_the_worker(
    start_worker, groups, on_change_scans, settings
):
    settings.CELERY_ON_CHANGE_SCANS = False
    case = leadership_case()
    scan_programme(case.programme)
    assert list(Flag.objects.values_list("nation__code", flat=True)) == ["JPN"]
    settings.CELERY_ON_CHANGE_SCANS = True
    settings.SCAN_COALESCE_SECONDS = 1
    start_worker()
    analyst = factories.UserFactory(username="ana", groups=["analyst"])

    response = https_client(analyst).post(
        admin_url(Contribution, "add"),
        {
            "programme": case.programme.pk,
            "nation": case.ita.pk,
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "amount": "100",
            "source": "MoD annual report 2025",
            "confidence": "reported",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    def italy_flagged():
        """Italy's leadership_deficit flag"""
        return Flag.objects.filter(nation=case.ita, rule="leadership_deficit").first()

    flag = wait_for(italy_flagged, timeout=60)
    assert flag.severity == Flag.Severity.CRITICAL
    assert "Italy" in flag.explanation
    assert flag.evidence["contribution_share"] == "0.333333"
    assert Flag.objects.count() == 2


def test_ten_saves_within_a_second_run_exactly_one_scan(start_worker, on_change_scans, settings):
    settings.SCAN_COALESCE_SECONDS = 1
    redis_client().delete(pending_key("BURST"))
    worker = start_worker()
    programme = factories.ProgrammeFactory(code="BURST")
    nation = factories.NationFactory(code="GBR", name="United Kingdom")
    factories.ParticipationFactory(programme=programme, nation=nation)

    began = time.monotonic()
    for _ in range(10):
        factories.ContributionFactory(programme=programme, nation=nation, amount=Decimal("10"))
    assert time.monotonic() - began < 1

    def snapshot_written():
        """the coalesced scan to write the day's snapshot"""
        return BalanceSnapshot.objects.filter(programme=programme, contributed=100).exists()

    wait_for(snapshot_written, timeout=60)
    # Any second scan would have been sent with the same countdown: give it that long to show.
    time.sleep(settings.SCAN_COALESCE_SECONDS + 1)
    assert worker.tasks("programs.scan_programme", "received") == 1, worker.log()
    assert worker.tasks("programs.scan_programme", "succeeded") == 1
    assert not redis_client().exists(pending_key("BURST")), "the scan cleared its key"


def test_a_worker_killed_mid_scan_leaves_nothing_and_the_redelivered_scan_completes(
    start_worker, celery_queue
):
    case = leadership_case()
    queue = f"{celery_queue}-kill"
    started_key, gate_key = (f"gcaptrack-test:{uuid.uuid4().hex}:{part}" for part in "sg")
    visibility = 3
    first = start_worker(queue=queue, CELERY_VISIBILITY_TIMEOUT=str(visibility))
    result = celery_app.send_task(
        "tests.gated_scan_programme", args=[case.programme.code, started_key, gate_key], queue=queue
    )

    _key, raised = redis_client().blpop([started_key], timeout=60)
    delivered_by = time.monotonic()
    assert int(raised) == 1, "the scan had written its flag when the worker died"
    first.kill()

    assert not Flag.objects.exists()
    assert not FlagEvent.objects.exists()
    assert not BalanceSnapshot.objects.exists()

    redis_client().set(gate_key, "open", ex=120)
    # The broker hands the unacknowledged scan out again once its visibility timeout is over.
    time.sleep(max(0, delivered_by + visibility + 0.5 - time.monotonic()))
    second = start_worker(queue=queue, CELERY_VISIBILITY_TIMEOUT=str(visibility))

    summary = result.get(timeout=60)
    assert len(summary["raised"]) == 1
    assert second.tasks("tests.gated_scan_programme", "received") == 1, "redelivered to the second"
    flag = Flag.objects.get()
    assert (flag.nation, flag.rule, flag.severity) == (case.jpn, "leadership_deficit", "critical")
    assert list(FlagEvent.objects.values_list("kind", flat=True)) == ["raised"]
    assert BalanceSnapshot.objects.count() == 3
    redis_client().delete(started_key, gate_key, queue)
