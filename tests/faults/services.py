"""Throw-away PostgreSQL and Redis servers, and GCAPtrack processes running against them.

Fault tests stop, kill and restart these servers; they never touch the machine's shared
PostgreSQL and Redis. PostgreSQL runs as the ``postgres`` OS user (it refuses to run as root)
from a temporary data directory with trust authentication, on a spare loopback port, its
socket in that directory. Redis keeps nothing on disk.
"""

import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis
from psycopg import sql

BASE_DIR = Path(__file__).resolve().parents[2]
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(what: str, predicate: Callable[[], object], timeout: float, interval=0.1):
    """Poll ``predicate`` until it returns something truthy; return that, or raise at timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def _as_postgres_user() -> dict:
    """Popen arguments running a command as the postgres OS user when we are root."""
    if os.geteuid() != 0:
        return {}
    return {"user": "postgres", "group": pwd.getpwnam("postgres").pw_gid, "extra_groups": []}


class Postgres:
    """One PostgreSQL server in its own temporary data directory."""

    def __init__(self) -> None:
        if not PG_BIN:
            raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
        self.bin = PG_BIN[-1]
        self.root = Path(tempfile.mkdtemp(prefix="gcaptrack-pg-"))
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.data = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self.port = spare_port()
        self.process: subprocess.Popen | None = None

    def init(self) -> None:
        """initdb: a new cluster, trust authentication, user ``postgres``."""
        subprocess.run(
            [
                self.bin / "initdb",
                "-D",
                self.data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
            check=True,
            capture_output=True,
            cwd=self.root,
            **_as_postgres_user(),
        )

    def start(self) -> None:
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.root),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "80",
            "shared_buffers": "32MB",
        }
        command = [self.bin / "postgres", "-D", self.data, "-p", str(self.port)]
        for name, value in settings.items():
            command += ["-c", f"{name}={value}"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, cwd=self.root, **_as_postgres_user()
            )
        wait_until("PostgreSQL to accept connections", self._accepts, 30)

    def _accepts(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"postgres exited:\n{self.log_path.read_text()[-3000:]}")
        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def stop(self, mode: str = "fast") -> None:
        """Shut down: ``fast`` ends sessions cleanly, ``immediate`` drops everything at once."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT if mode == "fast" else signal.SIGQUIT)
        self.process.wait(timeout=30)

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str) -> psycopg.Connection:
        return psycopg.connect(self.url(dbname), autocommit=True)

    def create_database(self, name: str, template: str | None = None) -> str:
        query = sql.SQL("create database {}").format(sql.Identifier(name))
        if template:
            query += sql.SQL(" template {}").format(sql.Identifier(template))
        with self.connect("postgres") as conn:
            conn.execute(query)
        return name

    def drop_database(self, name: str) -> None:
        with self.connect("postgres") as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )

    def close(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class Redis:
    """One Redis server on a spare port, nothing saved to disk: a restart loses every key."""

    def __init__(self, root: Path) -> None:
        self.port = spare_port()
        self.log_path = root / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=2)

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_until("Redis to answer PING", self._answers, 15)

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"redis-server exited:\n{self.log_path.read_text()[-3000:]}")
        try:
            return self.client().ping()
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def app_environment(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """Production settings against the throw-away servers."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SCAN_COALESCE_SECONDS": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PYTHONUNBUFFERED": "1",
        "API_THROTTLE_USER": "100000/minute",
    }
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    """Run ``manage.py`` with ``env``; return its standard output."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Process:
    """A GCAPtrack process (gunicorn, celery worker, beat) with its output in a file."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None

    def start(self) -> "Process":
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check_running(self) -> None:
        if not self.running():
            raise RuntimeError(f"{self.name} exited:\n{self.log()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean-up, the way a process dies on OOM."""
        if self.running():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def terminate(self) -> None:
        if self.running():
            os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self) -> None:
        if self.process is None:
            return
        self.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def stop_all(processes: list[Process]) -> None:
    """SIGTERM every process at once, then wait for each (SIGKILL after 20 s)."""
    for process in processes:
        process.terminate()
    for process in processes:
        process.stop()


@dataclass
class Response:
    status: int
    body: object
    headers: dict = field(default_factory=dict)
    seconds: float = 0.0


class Http:
    """A tiny HTTP client for the API: JSON in and out, behind a pretend TLS proxy."""

    def __init__(self, base: str, key: str | None = None) -> None:
        self.base = base
        self.key = key

    def call(
        self, method: str, path: str, body: dict | None = None, headers: dict | None = None
    ) -> Response:
        sent = {
            "X-Forwarded-Proto": "https",
            "Accept": "application/json",
            "X-Change-Reason": "fault test",
            **(headers or {}),
        }
        if self.key:
            sent["Authorization"] = f"Bearer {self.key}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, headers=sent, method=method)
        began = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw, status, got = response.read(), response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            raw, status, got = error.read(), error.code, dict(error.headers)
        except (urllib.error.URLError, ConnectionError) as error:
            return Response(0, str(error), {}, time.monotonic() - began)
        seconds = time.monotonic() - began
        try:
            payload = json.loads(raw or b"null")
        except ValueError:
            payload = raw.decode(errors="replace")
        return Response(status, payload, got, seconds)

    def get(self, path: str, **kwargs) -> Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: dict, **kwargs) -> Response:
        return self.call("POST", path, body, **kwargs)

    def patch(self, path: str, body: dict, **kwargs) -> Response:
        return self.call("PATCH", path, body, **kwargs)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class AdminBrowser:
    """Signs in to the admin and submits its forms the way a browser behind nginx's TLS does.

    Cookies are kept by hand: the production settings mark them Secure, which a cookie jar
    would refuse to send over the test's plain-HTTP connection.
    """

    def __init__(self, base: str) -> None:
        self.base = base
        self.origin = base.replace("http://", "https://")
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(_NoRedirects)

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        headers = {"X-Forwarded-Proto": "https", "Origin": self.origin}
        headers["Referer"] = self.origin + path
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if form is not None:
            form = {"change_reason": "fault test", **form}
            data = urllib.parse.urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(
            self.base + path, data=data, headers=headers, method=method
        )
        began = time.monotonic()
        try:
            with self.opener.open(request, timeout=30) as response:
                status, raw, got = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, got = error.code, error.read(), error.headers
        for header in got.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return Response(status, raw.decode(errors="replace"), dict(got), time.monotonic() - began)

    def csrf_token(self, path: str) -> str:
        page = self.request("GET", path)
        assert page.status == 200, (path, page.status, page.body[:2000])
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        assert match, page.body[:2000]
        return match.group(1)

    def sign_in(self, username: str, password: str) -> None:
        token = self.csrf_token("/admin/login/")
        signed_in = self.request(
            "POST",
            "/admin/login/?next=/admin/",
            {"username": username, "password": password, "csrfmiddlewaretoken": token},
        )
        assert signed_in.status == 302, signed_in.body[:2000]

    def submit(self, path: str, fields: dict) -> Response:
        """Open the form at ``path`` and post ``fields`` to it with its CSRF token."""
        return self.request("POST", path, {**fields, "csrfmiddlewaretoken": self.csrf_token(path)})
