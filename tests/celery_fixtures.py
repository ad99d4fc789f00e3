"""Pytest plugin for Celery: on-change scans off by default, eager mode, real worker processes.

Registered in tests/conftest.py with ``pytest_plugins = ["tests.celery_fixtures"]``.

* Every test runs with ``CELERY_ON_CHANGE_SCANS`` off (so factories do not scan after each
  save) unless it asks for the ``on_change_scans`` fixture.
* ``eager_celery`` runs tasks in process, as the demo does without a broker.
* ``start_worker`` starts a real ``celery -A gcaptrack worker`` on the test's Redis and the
  pytest-django test database. Use it with ``transactional_db`` so the worker sees the rows.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from gcaptrack.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parent.parent
WORKER_READY_SECONDS = 30


#: How the tests run a worker: the tests' tasks included, and none of
#: the cluster chatter that slows start-up. Shared by the fault tests.
TEST_WORKER_OPTIONS = [
    "--include",
    "tests.worker_support",
    "--without-gossip",
    "--without-mingle",
    "--without-heartbeat",
    "--loglevel",
    "INFO",
]


def wait_for(predicate: Callable[[], object], timeout: float = 60, interval: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; return that, or fail at timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(
                f"gave up after {timeout:.0f}s waiting for {predicate.__doc__ or predicate}"
            )
        time.sleep(interval)


@pytest.fixture(autouse=True)
def _on_change_scans_off(request, settings) -> None:
    if "on_change_scans" not in request.fixturenames:
        settings.CELERY_ON_CHANGE_SCANS = False


@pytest.fixture
def on_change_scans(settings) -> None:
    """Turn on-change scans back on for this test."""
    settings.CELERY_ON_CHANGE_SCANS = True


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run tasks in process, as the demo does without REDIS_URL."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


def use_queue(name: str) -> None:
    """Send this process's tasks to queue ``name`` (Celery caches its routes: rebuild them)."""
    celery_app.conf.task_default_queue = name
    celery_app.conf.task_default_exchange = name
    celery_app.conf.task_default_routing_key = name
    for cached in ("queues", "default_queue", "default_exchange", "router"):
        celery_app.amqp.__dict__.pop(cached, None)


@pytest.fixture(scope="session")
def celery_queue() -> Iterator[str]:
    """A queue of this test session's own, so no other worker on the same Redis takes its
    tasks and no task left by another session reaches its workers."""
    if not django_settings.REDIS_URL:
        pytest.skip("worker tests need REDIS_URL (a local Redis)")
    name = f"gcaptrack-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    saved = celery_app.conf.task_default_queue
    use_queue(name)
    yield name
    use_queue(saved)
    redis.Redis.from_url(django_settings.REDIS_URL).delete(name)


@dataclass
class Worker:
    process: subprocess.Popen
    log_path: Path
    name: str

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tasks(self, name: str, event: str) -> int:
        """How many times the log says task ``name`` was ``received`` (or ``succeeded``...)."""
        return sum(
            f"Task {name}[" in line and f"] {event}" in line for line in self.log().splitlines()
        )

    def kill(self) -> None:
        """SIGKILL: no clean-up, no acknowledgement, the way a worker dies on OOM."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def worker_environment(queue: str, mail_dir: Path, **extra: str) -> dict[str, str]:
    """The worker's environment: this test database, this Redis, this queue, mails to files."""
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": django_settings.REDIS_URL,
        "SECRET_KEY": django_settings.SECRET_KEY,
        "CELERY_QUEUE": queue,
        "EMAIL_BACKEND": "tests.worker_support.MailDirBackend",
        "GCAPTRACK_TEST_MAIL_DIR": str(mail_dir),
        "DB_CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DEBUG", None)
    env.update(extra)
    return env


@pytest.fixture
def groups(transactional_db) -> None:
    """The analyst and viewer groups. Transactional tests empty every table when they end, and
    with them the groups data migration 0002 made: tests that run after one need them again."""
    from django.apps import apps

    from programs.permissions import sync_groups

    sync_groups(apps)


@pytest.fixture
def mail_dir(tmp_path) -> Path:
    path = tmp_path / "mail"
    path.mkdir()
    return path


@pytest.fixture
def start_worker(transactional_db, celery_queue, mail_dir, tmp_path) -> Iterator[Callable]:
    """Start real worker processes (``start_worker(queue=..., **env)``); all stop at the end."""
    if connection.vendor != "postgresql":
        pytest.skip("worker tests share the test database with another process: PostgreSQL")
    # Tasks a previous test queued but did not wait for are about rows that are gone.
    redis.Redis.from_url(django_settings.REDIS_URL).delete(celery_queue)
    workers: list[Worker] = []

    def start(queue: str | None = None, **extra_env: str) -> Worker:
        queue = queue or celery_queue
        name = f"w{len(workers) + 1}-{uuid.uuid4().hex[:6]}@%h"
        log_path = tmp_path / f"worker-{len(workers) + 1}.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "gcaptrack",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--hostname",
            name,
            *TEST_WORKER_OPTIONS,
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=worker_environment(queue, mail_dir, **extra_env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(process=process, log_path=log_path, name=name)
        workers.append(worker)

        def ready() -> bool:
            """the worker to report ready"""
            if process.poll() is not None:
                pytest.fail(f"worker exited with {process.returncode}:\n{worker.log()}")
            return " ready." in worker.log()

        wait_for(ready, timeout=WORKER_READY_SECONDS)
        return worker

    yield start
    for worker in workers:
        worker.stop()
