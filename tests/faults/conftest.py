"""Fixtures of the fault tests: throw-away PostgreSQL and Redis, and GCAPtrack processes on them.

* ``fault_postgres`` (session): a PostgreSQL server of its own, with a template database
  migrated once, holding the seeded GCAP scenario (not scanned yet) and an analyst with a
  password and an API token;
* ``fault_db``: a fresh copy of that template for one test;
* ``fault_redis``: a Redis server of its own for one test;
* ``gcaptrack``: starts the web (gunicorn), worker and beat processes against both.

Everything is stopped and removed when the test (or the session) ends, whatever happened.
"""

import secrets
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.celery_fixtures import TEST_WORKER_OPTIONS
from tests.faults.services import (
    PG_BIN,
    Http,
    Postgres,
    Process,
    Redis,
    app_environment,
    manage,
    spare_port,
    stop_all,
    wait_until,
)

TEMPLATE = "gcaptrack_template"
ANALYST = "fault-analyst"
#: The periodic scan of all programmes never fires during a test (1 January, midnight), so
#: scans seen in a test come from the changes the test makes.
NEVER = "0 0 1 1 *"
CELERY = [sys.executable, "-m", "celery", "-A", "gcaptrack"]

SET_UP_TEMPLATE = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from programs.api.tokens import issue_token
call_command("migrate", interactive=False, verbosity=0)
call_command("load_scenario", "seeds/gcap.yaml", verbosity=0)
user = get_user_model().objects.create_user({name!r}, password={password!r}, is_staff=True)
user.groups.add(Group.objects.get(name="analyst"))
print(issue_token(user, "fault tests")[1])
"""


@dataclass
class FaultPostgres:
    server: Postgres
    analyst_key: str
    analyst_password: str
    #: The collected static files the web processes serve (their pages link hashed names).
    static_root: Path


@pytest.fixture(scope="session")
def fault_postgres() -> Iterator[FaultPostgres]:
    if not PG_BIN or not shutil.which("redis-server"):
        pytest.skip("fault tests need PostgreSQL's server binaries and redis-server")
    server = Postgres()
    try:
        server.init()
        server.start()
        server.create_database(TEMPLATE)
        env = app_environment(
            server.url(TEMPLATE),
            "",
            CELERY_ON_CHANGE_SCANS="0",
            SCAN_ALL_CRON=NEVER,
            MISSED_SCAN_RETRY_SECONDS="1",
        )
        password = secrets.token_urlsafe(16)
        output = manage(env, "shell", "-c", SET_UP_TEMPLATE.format(name=ANALYST, password=password))
        key = output.strip().splitlines()[-1]
        static_root = server.root / "static"
        manage({**env, "STATIC_ROOT": str(static_root)}, "collectstatic", "--noinput", "-v", "0")
        yield FaultPostgres(
            server=server, analyst_key=key, analyst_password=password, static_root=static_root
        )
    finally:
        server.close()


@pytest.fixture
def fault_db(fault_postgres) -> Iterator[str]:
    """A database of this test's own, copied from the migrated template; its URL."""
    server = fault_postgres.server
    name = server.create_database(f"gcaptrack_fault_{uuid.uuid4().hex[:8]}", template=TEMPLATE)
    yield server.url(name)
    if server.process is None or server.process.poll() is not None:
        server.start()  # a test that stopped the server and failed before starting it again
    server.drop_database(name)


@pytest.fixture
def fault_redis(fault_postgres) -> Iterator[Redis]:
    server = Redis(fault_postgres.server.root)
    server.start()
    yield server
    server.stop()


@dataclass
class GCAPtrack:
    """The processes of one test, all against the same throw-away database and Redis."""

    database_url: str
    redis: Redis
    analyst_key: str
    analyst_password: str
    log_dir: Path
    static_root: Path
    processes: list[Process] = field(default_factory=list)
    base: str = ""

    def env(self, **extra: str) -> dict[str, str]:
        return app_environment(
            self.database_url, self.redis.url, STATIC_ROOT=str(self.static_root), **extra
        )

    def _start(self, name: str, command: list[str], **extra: str) -> Process:
        index = len(self.processes) + 1
        process = Process(
            name, command, self.env(**extra), self.log_dir / f"{index}-{name}.log"
        ).start()
        self.processes.append(process)
        return process

    def web(self, threads: int = 4, **extra: str) -> Process:
        """gunicorn with the production configuration, one worker process with ``threads``."""
        port = spare_port()
        self.base = f"http://127.0.0.1:{port}"
        web = self._start(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "deploy/gunicorn.conf.py",
                "gcaptrack.wsgi",
            ],
            GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_WORKERS="1",
            GUNICORN_THREADS=str(threads),
            **extra,
        )
        anonymous = Http(self.base)

        def listening() -> bool:
            web.check_running()
            return anonymous.get("/api/v1/flags/").status == 401

        wait_until("gunicorn to answer", listening, 60)
        return web

    def worker(self, *, wait: bool = True, **extra: str) -> Process:
        name = f"fault-{uuid.uuid4().hex[:6]}@%h"
        worker = self._start(
            "worker",
            [
                *CELERY,
                "worker",
                "--pool=solo",
                "--hostname",
                name,
                *TEST_WORKER_OPTIONS,
            ],
            **extra,
        )

        if wait:
            self.wait_ready(worker)
        return worker

    def wait_ready(self, worker: Process) -> None:
        def ready() -> bool:
            worker.check_running()
            return " ready." in worker.log()

        wait_until("the worker to be ready", ready, 60)

    def beat(self, **extra: str) -> Process:
        beat = self._start(
            "beat",
            [
                *CELERY,
                "beat",
                "--loglevel",
                "INFO",
                "--scheduler",
                "django_celery_beat.schedulers:DatabaseScheduler",
                "--schedule",
                str(self.log_dir / "beat-schedule"),
            ],
            **extra,
        )
        return beat

    def api(self) -> Http:
        return Http(self.base, self.analyst_key)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.log()[-4000:]}" for p in self.processes)


@pytest.fixture
def gcaptrack(fault_postgres, fault_db, fault_redis, tmp_path) -> Iterator[GCAPtrack]:
    stack = GCAPtrack(
        database_url=fault_db,
        redis=fault_redis,
        analyst_key=fault_postgres.analyst_key,
        analyst_password=fault_postgres.analyst_password,
        log_dir=tmp_path,
        static_root=fault_postgres.static_root,
    )
    yield stack
    stop_all(stack.processes)


@pytest.fixture
def sql(fault_db) -> Callable:
    """Run a query on the test's database; return every row."""
    import psycopg

    def run(query: str, *params) -> list[tuple]:
        with psycopg.connect(fault_db, autocommit=True, connect_timeout=5) as conn:
            return conn.execute(query, params).fetchall()

    return run
