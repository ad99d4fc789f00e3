"""`make stack` end to end: deploy/stack.sh creates and migrates a database, collects the static
files, honcho runs web (gunicorn), worker and scheduler from deploy/Procfile; data posted
through the API raises its flag, which the API then serves; a signed-in dashboard page and every
stylesheet and script it links come from the web process under hashed names. Runs against a
throw-away database on the local PostgreSQL and Redis, on a spare loopback port, with the
production settings."""

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

from tests.faults.services import AdminBrowser

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


@pytest.fixture(scope="module")
def stack_env(tmp_path_factory):
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
        "STATIC_ROOT": str(tmp_path_factory.mktemp("static")),
        "VENV": str(Path(sys.executable).parent.parent.relative_to(BASE_DIR))
        if Path(sys.executable).is_relative_to(BASE_DIR)
        else ".venv",
    }
    yield name, port, env
    drop_database(name)


@dataclass
class Stack:
    process: subprocess.Popen
    log: Path
    port: int
    env: dict

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_for(self, what: str, predicate, timeout: float):
        return wait_for(what, predicate, timeout, self.log, self.process)


@pytest.fixture(scope="module")
def stack(stack_env, tmp_path_factory):
    _name, port, env = stack_env
    log = tmp_path_factory.mktemp("stack") / "stack.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["bash", "deploy/stack.sh"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Stack(process, log, port, env)
    try:
        anonymous = Api(running.base)
        running.wait_for(
            "the web process",
            lambda: anonymous.call("GET", "/api/v1/flags/")[0] == 401,
            START_SECONDS,
        )
        yield running
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the web process outlived the stack"


@pytest.fixture(scope="module")
def analyst_key(stack) -> str:
    shell = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", MAKE_ANALYST],
        cwd=BASE_DIR,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return shell.stdout.strip().splitlines()[-1]


def test_the_stack_raises_a_flag_for_data_posted_through_the_api(stack, analyst_key):
    text = stack.log.read_text()
    assert "created database" in text
    assert "Applying programs.0001_initial" in text
    api = Api(stack.base, analyst_key)
    for code, nation in (("AAA", "Avalon"), ("BBB", "Borduria")):
        api.post("/api/v1/nations/", {"code": code, "name": nation})
    api.post("/api/v1/organisations/", {"name": "Avalon Aero", "kind": "prime", "nation": "AAA"})
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

    [flag] = stack.wait_for("the leadership-deficit flag", deficit_flag, FLAG_SECONDS)
    assert flag["status"] == "open"
    assert "Borduria" in flag["explanation"]

    text = stack.log.read_text()
    assert "celery@" in text and "ready." in text, "the worker did not start"
    assert "beat: Starting" in text, "the scheduler did not start"
    assert "scan_programme" in text, "the scan did not run in the worker"


#: collectstatic's hashed names: ``dashboards.20e90f16ebbb.css``.
HASHED = re.compile(r"^/static/.+\.[0-9a-f]{12}\.(css|js)$")
YEAR = 365 * 24 * 3600


def test_a_dashboard_page_and_every_file_it_links_are_served_under_hashed_names(stack, analyst_key):
    browser = AdminBrowser(stack.base)
    browser.sign_in("smoke", SMOKE_PASSWORD)
    page = browser.request("GET", "/")
    assert page.status == 200, page.body[:2000]
    assert "Portfolio" in page.body
    linked = re.findall(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"', page.body)
    assert {path.rsplit(".", 2)[-1] for path in linked} == {"css", "js"}, linked
    assert any("plotly" in path for path in linked), linked
    for path in linked:
        assert HASHED.match(path), f"{path} is not a hashed name"
        served = browser.request("GET", path)
        assert served.status == 200, (path, served.status)
        cache = served.headers["Cache-Control"]
        assert "immutable" in cache and int(re.search(r"max-age=(\d+)", cache)[1]) >= YEAR
    compressed = urllib.request.Request(
        stack.base + linked[0], headers={"Accept-Encoding": "gzip", "X-Forwarded-Proto": "https"}
    )
    with urllib.request.urlopen(compressed, timeout=10) as response:
        assert response.headers["Content-Encoding"] == "gzip"
    plain = browser.request("GET", re.sub(r"\.[0-9a-f]{12}\.", ".", linked[0]))
    assert plain.status == 200
    assert "immutable" not in plain.headers["Cache-Control"]


SMOKE_PASSWORD = secrets.token_urlsafe(16)
MAKE_ANALYST = f"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from programs.api.tokens import issue_token
user = get_user_model().objects.create_user("smoke", password={SMOKE_PASSWORD!r}, is_staff=True)
user.groups.add(Group.objects.get(name="analyst"))
print(issue_token(user, "smoke test")[1])
"""
