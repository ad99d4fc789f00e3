"""/healthz and /readyz as a load balancer or orchestrator reads them: plain HTTP, any host
name, no sign-in; JSON with each check's name and state, nothing else. (Stopping PostgreSQL,
Redis or the worker for real: tests/faults/test_readiness.py.)"""

import datetime
import json
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tests.factories import BalanceSnapshotFactory, ProgrammeFactory

BASE_DIR = Path(settings.BASE_DIR)
CHECKS = {"database", "redis", "migrations", "worker", "scheduler", "last_scan"}
STATES = {"ok", "fail", "stale", "off"}


def probe(path: str):
    """A probe as an orchestrator sends it: plain HTTP to the container's address."""
    return Client().get(path, HTTP_HOST="10.1.2.3:8000")


def readyz() -> tuple[int, dict[str, str]]:
    response = probe("/readyz")
    body = response.json()
    assert set(body) == {"status", "checks"}
    assert body["status"] == ("ok" if response.status_code == 200 else "fail")
    return response.status_code, body["checks"]


def scheduler_ran(seconds_ago: int) -> None:
    every_minute, _ = IntervalSchedule.objects.get_or_create(
        every=60, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.update(last_run_at=None)
    PeriodicTask.objects.update_or_create(
        name="health test task",
        defaults={
            "task": "programs.requeue_missed_scans",
            "interval": every_minute,
            "last_run_at": timezone.now() - datetime.timedelta(seconds=seconds_ago),
        },
    )


@pytest.mark.django_db
def test_healthz_answers_over_plain_http_from_any_host_without_signing_in():
    response = probe("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"process": "ok"}}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_gives_only_each_checks_name_and_state():
    status, checks = readyz()
    assert set(checks) == CHECKS
    assert set(checks.values()) <= STATES
    assert checks["database"] == "ok"
    assert checks["redis"] == "ok"
    assert checks["migrations"] == "ok"
    # No worker runs beside these tests: the ping goes unanswered, and readiness fails.
    assert checks["worker"] == "fail"
    assert status == 503


@pytest.mark.django_db
def test_readyz_without_a_broker_turns_the_broker_checks_off():
    scheduler_ran(seconds_ago=5)
    with override_settings(REDIS_URL=""):
        status, checks = readyz()
    assert checks == {
        "database": "ok",
        "redis": "off",
        "migrations": "ok",
        "worker": "off",
        "scheduler": "off",
        "last_scan": "ok",  # no programme yet: nothing to scan
    }
    assert status == 200


@pytest.mark.django_db
@override_settings(HEALTH_SCHEDULER_MAX_AGE_SECONDS=600)
def test_readyz_calls_the_scheduler_stale_when_its_last_run_is_too_old():
    scheduler_ran(seconds_ago=30)
    assert readyz()[1]["scheduler"] == "ok"
    scheduler_ran(seconds_ago=3600)
    assert readyz()[1]["scheduler"] == "stale"
    PeriodicTask.objects.update(last_run_at=None)
    assert readyz()[1]["scheduler"] == "stale"  # beat never ran


@pytest.mark.django_db
@override_settings(HEALTH_SCAN_MAX_AGE_SECONDS=7200)
def test_readyz_calls_the_last_scan_stale_when_no_recent_scan_covered_the_programmes():
    programme = ProgrammeFactory()
    assert readyz()[1]["last_scan"] == "stale"  # a programme never scanned
    BalanceSnapshotFactory(
        programme=programme, taken_at=timezone.now() - datetime.timedelta(hours=3)
    )
    assert readyz()[1]["last_scan"] == "stale"
    BalanceSnapshotFactory(programme=programme, taken_at=timezone.now())
    assert readyz()[1]["last_scan"] == "ok"


@pytest.mark.django_db
def test_readyz_tells_nothing_but_names_and_states():
    ProgrammeFactory(code="SECRETPROG")
    response = probe("/readyz")
    text = response.content.decode()
    for leak in ("SECRETPROG", "127.0.0.1", "postgres", "redis://", "Traceback", "seconds"):
        assert leak not in text


@pytest.mark.django_db
def test_the_readiness_command_exits_non_zero_naming_what_is_not_ready(capsys):
    call_command("readiness", "database", "migrations")
    assert json.loads(capsys.readouterr().out) == {"database": "ok", "migrations": "ok"}
    ProgrammeFactory()
    with pytest.raises(CommandError, match=r"^not ready: last_scan$") as raised:
        call_command("readiness", "database", "last_scan")
    assert raised.value.returncode == 1
    with pytest.raises(CommandError, match=r"^unknown check 'bogus' \(one of: database, "):
        call_command("readiness", "bogus")


def test_compose_services_report_health_and_wait_for_the_one_shot_migrate():
    compose = yaml.safe_load((BASE_DIR / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert services["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "scheduler"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert services[name]["restart"] == "on-failure"
    for name in ("db", "redis", "web", "worker", "scheduler"):
        assert services[name]["healthcheck"]["test"], name


def test_systemd_units_restart_on_failure():
    units = sorted((BASE_DIR / "deploy" / "systemd").glob("*.service"))
    assert [unit.name for unit in units] == [
        "gcaptrack-scheduler.service",
        "gcaptrack-web.service",
        "gcaptrack-worker.service",
    ]
    for unit in units:
        assert "\nRestart=on-failure\n" in unit.read_text(), unit.name
