"""Load run of issue 7 (item 5): wrk against gunicorn on PostgreSQL, two endpoints, no errors.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gcaptrack SECRET_KEY=x \\
        .venv/bin/python tests/benchmarks/load.py --json var/load.json

It creates a throw-away database (``<DATABASE_URL name>_load``, dropped first if it is left
over, dropped at the end unless ``--keep``), migrates it and writes a synthetic portfolio with
``generate_portfolio`` (``--size``, default small). It then starts gunicorn as deployed
(``deploy/gunicorn.conf.py``: 2 gthread workers of 4 threads) with the production settings,
issues an API token to a user of the ``viewer`` group and runs wrk (2 threads) twice,
``--seconds`` (default 60) at ``--connections`` (default 50) each, with
``Authorization: Bearer <token>``; a request slower than ``--timeout`` (default 30 s) is counted
by wrk as a socket timeout, that is an error:

1. the balance report of the programme with the most participants,
   ``/api/v1/programmes/<code>/balance/``;
2. the cursor-paginated workshare list, ``/api/v1/workshare/``.

The API throttles each user (``API_THROTTLE_USER``, 1200/minute by default: 20 requests a
second, which a load run passes within its first second); this script raises it for its own
gunicorn only (``--throttle``, default ``10000000/minute``), never for a deployment.

It prints requests/s, p50 and p99 latency, non-2xx responses and socket errors per endpoint,
writes them as JSON, and exits 1 if any request failed (an error is a failure, a slow figure is
not).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.run import SEED, SIZES, fetch, free_port, memory_gib, wrk  # noqa: E402

BASE_DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gcaptrack_perf"
)


def load_database_url() -> str:
    parts = urlsplit(BASE_DATABASE_URL)
    name = parts.path.lstrip("/") or "gcaptrack_perf"
    return urlunsplit(parts._replace(path=f"/{name}_load"))


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def prepare(url: str, size: str) -> tuple[str, str]:
    """Migrate, generate the portfolio, issue a viewer's token; (programme code, token key)."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "gcaptrack.settings"
    os.environ["CELERY_ON_CHANGE_SCANS"] = "false"
    os.environ.setdefault("SECRET_KEY", "load-run")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db.models import Count

    from programs.api.tokens import issue_token
    from programs.models import Programme

    call_command("migrate", verbosity=0)
    call_command("generate_portfolio", **SIZES[size], seed=SEED, stdout=sys.stderr)
    code = (
        Programme.objects.annotate(taking_part=Count("participations"))
        .order_by("-taking_part", "code")
        .values_list("code", flat=True)
        .first()
    )
    user = get_user_model().objects.create_user("load-viewer", is_staff=True)
    user.groups.add(Group.objects.get(name="viewer"))
    _, key = issue_token(user, name="load run")
    return code, key


def start_gunicorn(url: str, port: int, throttle: str, log: Path):
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "gcaptrack.settings",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "load-run"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "CELERY_ON_CHANGE_SCANS": "false",
        "API_THROTTLE_USER": throttle,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "PYTHONPATH": str(ROOT),
    }
    # As deployed, with REDIS_URL the report cache and the throttle live in Redis (no task is
    # sent: reads only); without it the server runs with the in-process fallbacks.
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return subprocess.Popen(
        [str(gunicorn), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "gcaptrack.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=list(SIZES), default="small")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--throttle", default="10000000/minute", help="API_THROTTLE_USER.")
    parser.add_argument(
        "--timeout",
        type=int,
        default=30,
        help="Seconds before wrk counts a request as a (socket) timeout error.",
    )
    parser.add_argument("--json", type=Path, help="Also write the results to this file.")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    url = load_database_url()
    recreate_database(url)
    server = None
    try:
        started = time.perf_counter()
        code, key = prepare(url, args.size)
        prepared_s = round(time.perf_counter() - started, 1)
        port = free_port()
        log = ROOT / "var" / "load-gunicorn.log"
        log.parent.mkdir(exist_ok=True)
        server = start_gunicorn(url, port, args.throttle, log)
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {key}", "X-Forwarded-Proto": "https"}
        endpoints = {
            "balance_report": f"/api/v1/programmes/{code}/balance/",
            "workshare_cursor_page": "/api/v1/workshare/",
        }
        deadline = time.monotonic() + 60
        while True:
            try:
                sizes = {name: len(fetch(base + path, headers)) for name, path in endpoints.items()}
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        results = {}
        for name, path in endpoints.items():
            print(f"wrk {args.seconds} s, {args.connections} connections: {path}", file=sys.stderr)
            results[name] = {
                "path": path,
                "bytes": sizes[name],
                **wrk(
                    base + path,
                    args.seconds,
                    args.connections,
                    headers,
                    threads=2,
                    timeout=args.timeout,
                ),
            }
    finally:
        if server is not None:
            stop(server)
        if not args.keep:
            drop_database(url)
    report = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "memory_gib": memory_gib()},
        "load_average_after": os.getloadavg(),
        "size": args.size,
        "rows": SIZES[args.size],
        "prepare_s": prepared_s,
        "gunicorn": "deploy/gunicorn.conf.py: 2 gthread workers x 4 threads",
        "seconds": args.seconds,
        "connections": args.connections,
        "wrk_timeout_s": args.timeout,
        "results": results,
    }
    failed = False
    for name, r in results.items():
        errors = r["non_2xx"] + sum(r["socket_errors"].values())
        failed = failed or errors > 0 or r["requests"] == 0
        print(
            f"{name} ({r['bytes']} B): {r['rps']:.1f} req/s, p50 {r['p50_ms']} ms, "
            f"p99 {r['p99_ms']} ms, {r['requests']} requests, non-2xx {r['non_2xx']}, "
            f"socket errors {r['socket_errors']}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
        print(f"written to {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
