"""Missed on-change scans: recorded when the broker refuses them, queued again once it is back,
covered by the scan of all programmes; and the 503 an outage gives instead of a 500.

The real outages (Redis stopped, PostgreSQL restarted) are in tests/faults/.
"""

import pytest
import redis
from django.db import OperationalError
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from kombu.exceptions import OperationalError as BrokerError

from gcaptrack.errors import server_error
from programs import tasks
from programs.models import MissedScan
from programs.services import scan_queue
from tests import factories
from tests.scan_data import leadership_case


@pytest.fixture
def broker_down(monkeypatch) -> None:
    def refuse(code: str) -> bool:
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(scan_queue, "queue_coalesced_scan", refuse)


@pytest.fixture
def queued(monkeypatch) -> list[str]:
    codes: list[str] = []
    monkeypatch.setattr(scan_queue, "queue_coalesced_scan", codes.append)
    return codes


@pytest.mark.django_db
def test_a_change_whose_scan_the_broker_refuses_is_recorded_once_per_programme(
    on_change_scans, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        programme = factories.ProgrammeFactory(code="MISS")
        factories.ContributionFactory(programme=programme)
    first = MissedScan.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        factories.ContributionFactory(programme=programme)

    again = MissedScan.objects.get()
    assert again.programme_id == programme.pk
    assert again.requested_at > first.requested_at


@pytest.mark.django_db
def test_requeue_sends_each_missed_scan_once_and_forgets_it(queued):
    for code in ("ONE", "TWO"):
        scan_queue.record_missed_scan(factories.ProgrammeFactory(code=code).pk)

    assert tasks.requeue_missed_scans_task() == ["ONE", "TWO"]
    assert queued == ["ONE", "TWO"]
    assert not MissedScan.objects.exists()
    assert tasks.requeue_missed_scans_task() == []


@pytest.mark.django_db
def test_a_missed_scan_stays_recorded_while_the_broker_still_refuses(broker_down):
    scan_queue.record_missed_scan(factories.ProgrammeFactory(code="WAIT").pk)

    assert scan_queue.requeue_missed_scans() == []
    assert MissedScan.objects.filter(programme__code="WAIT").exists()


@pytest.mark.django_db
def test_the_scan_of_all_programmes_covers_the_scans_missed_before_it(eager_celery):
    case = leadership_case()
    scan_queue.record_missed_scan(case.programme.pk)

    tasks.scan_all_task()

    assert not MissedScan.objects.exists()


@pytest.mark.django_db
def test_migrate_installs_the_requeue_of_missed_scans_every_minute():
    task = PeriodicTask.objects.get(name="Queue missed on-change scans")
    assert task.task == "programs.requeue_missed_scans"
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (60, IntervalSchedule.SECONDS)


@pytest.mark.parametrize(
    "outage",
    [
        OperationalError("connection to server at 127.0.0.1 failed"),
        BrokerError("Connection refused"),
        redis.ConnectionError("Connection refused"),
    ],
    ids=["postgresql", "broker", "redis"],
)
def test_an_outage_is_answered_503_with_retry_after(rf, outage):
    for path, kind in (("/api/v1/programmes/", "application/json"), ("/", "text/html")):
        try:
            raise RuntimeError("the result store is unreachable") from outage
        except RuntimeError:
            response = server_error(rf.get(path))
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert response["Content-Type"].startswith(kind)


def test_any_other_error_is_still_a_500(rf):
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(rf.get("/api/v1/programmes/"))
    assert response.status_code == 500
