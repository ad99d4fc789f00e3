"""`make stack` end to end: deploy/stack.sh creates and migrates a database, honcho runs web
(gunicorn), worker and scheduler from deploy/Procfile; data posted through the API raises its
flag, which the API then serves. Runs against a throw-away database on the local PostgreSQL
and Redis, on a spare loopback port, with the production settings."""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

pytestmark = pytest.mark.worker

BASE_DIR = Path(__file__).resolve().parent.parent
START_SECONDS = 180
FLAG_SECONDS = 120


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_params() -> dict:
    db = settings.DATABASES["default"]
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"] or None,
        "password": db["PASSWORD"] or None,
    }


def drop_database(name: str) -> None:
    with psycopg.connect(dbname="postgres", autocommit=True, **server_params()) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )


class Api:
    def __init__(self, base: str, key: str | None = None) -> None:
        self.base = base
        self.key = key

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        headers = {
            "X-Forwarded-Proto": "https",
            "Accept": "application/json",
            "X-Change-Reason": "stack smoke test",
        }
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            self.base + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")
        except (urllib.error.URLError, ConnectionError) as error:
            return 0, str(error)  # not listening yet

    def post(self, path: str, body: dict) -> object:
        status, payload = self.call("POST", path, body)
        assert status == 201, (path, status, payload)
        return payload


def wait_for(what: str, predicate, timeout: float, log: Path, stack: subprocess.Popen):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack.poll() is not None:
            pytest.fail(f"the stack exited ({stack.returncode}) before {what}:\n{log.read_text()}")
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"gave up after {timeout:.0f}s waiting for {what}:\n{log.read_text()[-6000:]}")


@pytest.fixture
def stack_env(tmp_path):
    if not settings.REDIS_URL:
        pytest.skip("the stack needs REDIS_URL (a local Redis)")
    name = f"gcaptrack_stack_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    params = server_params()
    port = spare_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": (
            f"postgres://{params['user'] or ''}:{params['password'] or ''}@"
            f"{params['host']}:{params['port']}/{name}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": f"gcaptrack-stack-{uuid.uuid4().hex[:8]}",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "CELERY_CONCURRENCY": "1",
        "SCAN_COALESCE_SECONDS": "1",
        "DB_CONN_MAX_AGE": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PYTHONUNBUFFERED": "1",
        "VENV": str(Path(sys.executable).parent.parent.relative_to(BASE_DIR))
        if Path(sys.executable).is_relative_to(BASE_DIR)
        else ".venv",
    }
    yield name, port, env
    drop_database(name)


def test_the_stack_raises_a_flag_for_data_posted_through_the_api(stack_env, tmp_path):
    _name, port, env = stack_env
    log = tmp_path / "stack.log"
    with log.open("w") as out:
        stack = subprocess.Popen(
            ["bash", "deploy/stack.sh"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        anonymous = Api(f"http://127.0.0.1:{port}")
        wait_for(
            "the web process",
            lambda: anonymous.call("GET", "/api/v1/flags/")[0] == 401,
            START_SECONDS,
            log,
            stack,
        )
        text = log.read_text()
        assert "created database" in text
        assert "Applying programs.0001_initial" in text

        shell = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", MAKE_ANALYST],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        key = shell.stdout.strip().splitlines()[-1]
        api = Api(anonymous.base, key)
        for code, nation in (("AAA", "Avalon"), ("BBB", "Borduria")):
            api.post("/api/v1/nations/", {"code": code, "name": nation})
        api.post(
            "/api/v1/organisations/", {"name": "Avalon Aero", "kind": "prime", "nation": "AAA"}
        )
        api.post(
            "/api/v1/programmes/",
            {
                "code": "SMOKE",
                "name": "Smoke test",
                "status": "development",
                "currency": "EUR",
                "started_on": "2020-01-01",
            },
        )
        for nation, role in (("AAA", "lead"), ("BBB", "partner")):
            api.post(
                "/api/v1/participations/",
                {
                    "programme": "SMOKE",
                    "nation": nation,
                    "role": role,
                    "agreed_share": "50",
                    "joined_on": "2020-01-01",
                },
            )
            api.post(
                "/api/v1/contributions/",
                {
                    "programme": "SMOKE",
                    "nation": nation,
                    "period_start": "2020-01-01",
                    "period_end": "2020-12-31",
                    "amount": "100.00",
                },
            )
        # Avalon holds every leadership role although both pay half: Borduria's deficit.
        api.post(
            "/api/v1/leadership-roles/",
            {
                "programme": "SMOKE",
                "title": "Chief engineer",
                "domain": "airframe",
                "weight": 3,
                "nation": "AAA",
                "organisation": "Avalon Aero",
            },
        )

        def deficit_flag():
            status, page = api.call("GET", "/api/v1/flags/?programme=SMOKE")
            assert status == 200, page
            return [
                flag
                for flag in page["results"]
                if flag["rule"] == "leadership_deficit" and flag["nation"] == "BBB"
            ]

        [flag] = wait_for("the leadership-deficit flag", deficit_flag, FLAG_SECONDS, log, stack)
        assert flag["status"] == "open"
        assert "Borduria" in flag["explanation"]

        text = log.read_text()
        assert "celery@" in text and "ready." in text, "the worker did not start"
        assert "beat: Starting" in text, "the scheduler did not start"
        assert "scan_programme" in text, "the scan did not run in the worker"
    finally:
        if stack.poll() is None:
            os.killpg(stack.pid, signal.SIGTERM)
            try:
                stack.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(stack.pid, signal.SIGKILL)
                stack.wait(timeout=10)
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the web process outlived the stack"


MAKE_ANALYST = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from programs.api.tokens import issue_token
user = get_user_model().objects.create_user("smoke", is_staff=True)
user.groups.add(Group.objects.get(name="analyst"))
print(issue_token(user, "smoke test")[1])
"""
