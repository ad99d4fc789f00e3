"""Scans on a real ``celery worker`` process, the local Redis and the test database.

A worker killed mid-scan is tested on throw-away servers: tests/faults/test_worker_killed.py.
"""

import time
from decimal import Decimal

import pytest

from gcaptrack.broker import redis_client
from programs.balance.scan import scan_programme
from programs.models import BalanceSnapshot, Contribution, Flag
from programs.services.scan_queue import pending_key
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
            "change_reason": "worker test",
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
