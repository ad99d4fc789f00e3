"""Health for load balancers and orchestrators: ``/healthz`` and ``/readyz``.

``/healthz`` answers as long as the process can serve a request. ``/readyz`` checks what the app
needs to do its work: the database, Redis, every migration applied, a worker that answered a
ping recently, the scheduler's last run and the age of the last scan. Both answer JSON with
each check's name and state only (``ok``, ``fail``, ``stale``, or ``off`` where this
configuration does not use it): no error text, host, version or figure, because they answer
without signing in. ``/readyz`` answers 503 when a check is neither ``ok`` nor ``off``.

They are answered by :class:`HealthCheckMiddleware`, first in the middleware list, so a probe
needs no session, no allowed host name and no HTTPS (an orchestrator probes the container's
address over plain HTTP).
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from kombu.exceptions import KombuError

logger = logging.getLogger(__name__)

OK, FAIL, STALE, OFF = "ok", "fail", "stale", "off"
HEALTHY = {OK, OFF}

#: When a worker of this process's broker last answered a ping (monotonic seconds).
_worker_answered_at: float | None = None
#: Set once every migration was seen applied: new migrations come with new code, a new process.
_migrations_applied = False


def database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("select 1")
    return OK


def redis_server() -> str:
    if not settings.REDIS_URL:
        return OFF
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.HEALTH_TIMEOUT_SECONDS,
        socket_timeout=settings.HEALTH_TIMEOUT_SECONDS,
    )
    try:
        return OK if client.ping() else FAIL
    finally:
        client.close()


def migrations() -> str:
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connection)
        _migrations_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return OK if _migrations_applied else FAIL


def worker() -> str:
    """A worker answered a ping within HEALTH_WORKER_PING_SECONDS (pinged again when older)."""
    global _worker_answered_at
    if not settings.REDIS_URL:
        return OFF  # tasks run in process
    recent = settings.HEALTH_WORKER_PING_SECONDS
    if _worker_answered_at is not None and time.monotonic() - _worker_answered_at < recent:
        return OK
    from gcaptrack.celery import app

    if app.control.ping(timeout=settings.HEALTH_TIMEOUT_SECONDS):
        _worker_answered_at = time.monotonic()
        return OK
    return FAIL


def scheduler() -> str:
    """Beat records each periodic task's last run; the latest must be recent."""
    from django_celery_beat.models import PeriodicTask

    if not settings.REDIS_URL:
        return OFF  # no beat without a broker
    last = PeriodicTask.objects.filter(enabled=True).aggregate(at=Max("last_run_at"))["at"]
    return _fresh(last, settings.HEALTH_SCHEDULER_MAX_AGE_SECONDS)


def last_scan() -> str:
    """The latest scan (snapshot written or flag seen) is recent, once there is a programme."""
    from programs.models import BalanceSnapshot, Flag, Programme

    if not Programme.objects.exists():
        return OK
    times = [
        BalanceSnapshot.objects.aggregate(at=Max("taken_at"))["at"],
        Flag.objects.aggregate(at=Max("last_seen_at"))["at"],
    ]
    latest = max((t for t in times if t), default=None)
    return _fresh(latest, settings.HEALTH_SCAN_MAX_AGE_SECONDS)


def _fresh(moment: datetime.datetime | None, max_age_seconds: int) -> str:
    if moment is None:
        return STALE
    age = timezone.now() - moment
    return OK if age <= datetime.timedelta(seconds=max_age_seconds) else STALE


CHECKS: dict[str, Callable[[], str]] = {
    "database": database,
    "redis": redis_server,
    "migrations": migrations,
    "worker": worker,
    "scheduler": scheduler,
    "last_scan": last_scan,
}


#: A check that cannot pass while another fails: it fails at once instead of waiting again.
NEEDS = {
    "migrations": "database",
    "worker": "redis",
    "scheduler": "database",
    "last_scan": "database",
}


def readiness(names: list[str] | None = None) -> dict[str, str]:
    """Each check's state (all, or those named); a check that raises is ``fail``."""
    states: dict[str, str] = {}
    for name, check in CHECKS.items():
        if names and name not in names:
            continue
        if states.get(NEEDS.get(name, ""), OK) == FAIL:
            states[name] = FAIL
            continue
        try:
            states[name] = check()
        except (DatabaseError, redis.RedisError, KombuError, OSError) as error:
            logger.warning("readiness check %s failed: %s", name, error)
            states[name] = FAIL
    return states


def ready(states: dict[str, str]) -> bool:
    return all(state in HEALTHY for state in states.values())


def _answer(body: dict, status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # Django logs every 5xx as an error; a probe's 503 is an answer, and each failing check
    # was already logged as a warning.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class HealthCheckMiddleware:
    """Answers GET/HEAD ``/healthz`` and ``/readyz`` before any other middleware runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz" and request.method in ("GET", "HEAD"):
            return _answer({"status": OK, "checks": {"process": OK}}, 200)
        if request.path == "/readyz" and request.method in ("GET", "HEAD"):
            states = readiness()
            healthy = ready(states)
            return _answer(
                {"status": OK if healthy else FAIL, "checks": states}, 200 if healthy else 503
            )
        return self.get_response(request)
