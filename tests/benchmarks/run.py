"""The benchmark suite of issue 6 on PostgreSQL: prints a table and writes it as JSON.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gcaptrack_perf SECRET_KEY=x \\
        .venv/bin/python tests/benchmarks/run.py --size small --json var/bench.json

It works in its own database per size (``<DATABASE_URL name>_bench_<size>``), generated with
``generate_portfolio`` on first use and reused afterwards (``--fresh`` regenerates). Measures:

a. ``scan_all`` of every programme (steady state: the second scan of unchanged data) against
   a floor: the same aggregates per programme, hand-written in SQL and run through psycopg;
b. the balance report and the cursor-paginated workshare list under load (wrk, loopback,
   bounded in time) against gunicorn with 2 workers, next to a bare Django view of the
   benchmark URLconf returning a pre-serialised body of the same size from the same server;
c. the programme dashboard's render time against the time of its own queries;
d. query counts per page and endpoint (compared across sizes when several are given);
e. CSV import throughput of workshare rows through the admin import (preview and confirm),
   new rows then the same rows updated;
f. a what-if draft of one programme (one lead role moved) against a scan of the same
   programme, and the what-if's query count (compared across sizes when several are given).

Benchmarks are not tests: this script never fails on slow figures (exit 0 unless it breaks).
Needs ``wrk`` (Debian package) and ``gunicorn`` (the ``prod`` extra) for (b); skipped without.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SIZES = {
    "tiny": dict(programmes=3, nations=4, workshare=500, milestones=100, decisions=30),
    "small": dict(programmes=10, nations=12, workshare=20_000, milestones=4_000, decisions=400),
    "medium": dict(
        programmes=100, nations=12, workshare=100_000, milestones=20_000, decisions=2_000
    ),
    "large": dict(
        programmes=100, nations=12, workshare=1_000_000, milestones=200_000, decisions=20_000
    ),
}
SEED = 1
TARGETS = {
    "a_scan_ratio": "<= 1.5",
    "b_throughput_ratio": ">= 0.33",
    "b_p99_over_p50": "<= 4",
    "c_render_ratio": "<= 2",
    "d_query_counts": "equal across sizes",
    "e_import_rows_per_s": ">= 20000",
    "f_whatif_over_scan": "<= 2",
}


#: Read once: setup_django() points DATABASE_URL at the first size's database.
BASE_DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gcaptrack_perf"
)


def database_url(size: str) -> str:
    base = BASE_DATABASE_URL
    parts = urlsplit(base)
    name = parts.path.lstrip("/") or "gcaptrack_perf"
    return urlunsplit(parts._replace(path=f"/{name}_bench_{size}"))


def prepare_database(url: str, fresh: bool) -> bool:
    """Create the size's database if missing (dropped first when fresh); True if created."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            return True
    return False


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.benchmarks.settings"
    os.environ["CELERY_ON_CHANGE_SCANS"] = "false"
    os.environ.setdefault("SECRET_KEY", "benchmark")
    import django

    django.setup()


# --- (a) scan against its SQL floor ---------------------------------------------------------

FLOOR_SQL = {
    "participations": """
        SELECT nation_id, role, agreed_share, joined_on, left_on
        FROM programs_participation WHERE programme_id = %(p)s""",
    "contributions": """
        SELECT nation_id, SUM(amount) FROM programs_contribution
        WHERE programme_id = %(p)s AND period_start <= %(d)s GROUP BY nation_id""",
    "work_total": """
        SELECT SUM(wa.amount) FROM programs_workshareallocation wa
        JOIN programs_workpackage wp ON wp.id = wa.work_package_id
        WHERE wp.programme_id = %(p)s AND wa.period_start <= %(d)s""",
    "work_by_nation": """
        WITH RECURSIVE
        stake_total AS (SELECT venture_id, SUM(percent) AS total
                        FROM programs_ownershipstake GROUP BY venture_id),
        placed(org_id, amount, depth) AS (
            SELECT wa.organisation_id, SUM(wa.amount), 0
            FROM programs_workshareallocation wa
            JOIN programs_workpackage wp ON wp.id = wa.work_package_id
            WHERE wp.programme_id = %(p)s AND wa.period_start <= %(d)s
            GROUP BY wa.organisation_id
            UNION ALL
            SELECT s.owner_id, placed.amount * s.percent / t.total, placed.depth + 1
            FROM placed JOIN programs_ownershipstake s ON s.venture_id = placed.org_id
            JOIN stake_total t ON t.venture_id = s.venture_id
            WHERE placed.depth < 8 AND t.total > 0)
        SELECT o.nation_id, SUM(placed.amount) FROM placed
        JOIN programs_organisation o ON o.id = placed.org_id
        WHERE o.nation_id IS NOT NULL GROUP BY o.nation_id""",
    "roles": """
        SELECT nation_id, SUM(weight), COUNT(*) FROM programs_leadershiprole
        WHERE programme_id = %(p)s AND (started_on IS NULL OR started_on <= %(d)s)
          AND (ended_on IS NULL OR ended_on > %(d)s) GROUP BY nation_id""",
    "seats": """
        SELECT s.nation_id, SUM(s.votes), COUNT(*) FILTER (WHERE s.veto),
               COUNT(*) FILTER (WHERE s.chair)
        FROM programs_seat s JOIN programs_decisionbody b ON b.id = s.body_id
        WHERE b.programme_id = %(p)s GROUP BY s.nation_id""",
    "ballots": """
        SELECT v.nation_id, COUNT(*),
               COUNT(*) FILTER (WHERE (v.position = 'for' AND d.outcome = 'rejected')
                                   OR (v.position = 'against' AND d.outcome = 'approved'))
        FROM programs_vote v JOIN programs_decision d ON d.id = v.decision_id
        JOIN programs_decisionbody b ON b.id = d.body_id
        WHERE b.programme_id = %(p)s AND d.outcome IN ('approved', 'rejected')
          AND v.position IN ('for', 'against') GROUP BY v.nation_id""",
    "transfers": """
        SELECT p.nation_id, r.nation_id,
               SUM(t.weight) FILTER (WHERE t.status = 'achieved' AND t.achieved_on <= %(d)s),
               COUNT(*) FILTER (WHERE t.status <> 'cancelled'),
               COUNT(*) FILTER (WHERE NOT (t.status = 'achieved' AND t.achieved_on <= %(d)s)
                                  AND t.status <> 'cancelled' AND t.planned_on < %(overdue)s),
               COUNT(*) FILTER (WHERE t.status = 'blocked')
        FROM programs_techtransfermilestone t
        JOIN programs_organisation p ON p.id = t.provider_id
        JOIN programs_organisation r ON r.id = t.recipient_id
        WHERE t.programme_id = %(p)s AND p.nation_id IS NOT NULL AND r.nation_id IS NOT NULL
        GROUP BY p.nation_id, r.nation_id""",
    "pair_votes": """
        SELECT x.nation_id, y.nation_id, COUNT(*), COUNT(*) FILTER (WHERE x.position = y.position)
        FROM programs_vote x
        JOIN programs_vote y ON y.decision_id = x.decision_id AND x.nation_id < y.nation_id
        JOIN programs_decision d ON d.id = x.decision_id
        JOIN programs_decisionbody b ON b.id = d.body_id
        WHERE b.programme_id = %(p)s AND d.outcome IN ('approved', 'rejected')
          AND x.position IN ('for', 'against') AND y.position IN ('for', 'against')
        GROUP BY x.nation_id, y.nation_id""",
    "carried_against": """
        SELECT x.nation_id, y.nation_id, z.nation_id, COUNT(*)
        FROM programs_vote x
        JOIN programs_vote y ON y.decision_id = x.decision_id AND x.nation_id < y.nation_id
                             AND y.position = x.position
        JOIN programs_vote z ON z.decision_id = x.decision_id
                             AND z.nation_id <> x.nation_id AND z.nation_id <> y.nation_id
        JOIN programs_decision d ON d.id = x.decision_id
        JOIN programs_decisionbody b ON b.id = d.body_id
        WHERE b.programme_id = %(p)s
          AND ((x.position = 'for' AND d.outcome = 'approved' AND z.position = 'against')
            OR (x.position = 'against' AND d.outcome = 'rejected' AND z.position = 'for'))
        GROUP BY x.nation_id, y.nation_id, z.nation_id""",
    "tie_index": """
        WITH nations AS (SELECT nation_id FROM programs_participation WHERE programme_id = %(p)s),
        span AS (
            SELECT p.nation_id, p.programme_id, COALESCE(p.joined_on, q.started_on) AS s,
                   LEAST(COALESCE(p.left_on, q.ended_on, %(d)s), %(d)s) AS e
            FROM programs_participation p JOIN programs_programme q ON q.id = p.programme_id
            WHERE p.programme_id <> %(p)s AND p.nation_id IN (SELECT nation_id FROM nations)),
        part AS (
            SELECT x.nation_id AS a, y.nation_id AS b, q.code, q.name,
                   GREATEST(x.s, y.s) AS since,
                   ROUND((LEAST(x.e, y.e) - GREATEST(x.s, y.s)) / 365.25, 2) AS points
            FROM span x
            JOIN span y ON x.programme_id = y.programme_id AND x.nation_id < y.nation_id
            JOIN programs_programme q ON q.id = x.programme_id
            WHERE x.s IS NOT NULL AND y.s IS NOT NULL AND LEAST(x.e, y.e) > GREATEST(x.s, y.s)
            UNION ALL
            SELECT x.nation_id, y.nation_id, '', ag.name, ag.signed_on, 5
            FROM programs_agreement_nations x
            JOIN programs_agreement_nations y
              ON x.agreement_id = y.agreement_id AND x.nation_id < y.nation_id
            JOIN programs_agreement ag ON ag.id = x.agreement_id
            WHERE x.nation_id IN (SELECT nation_id FROM nations)
              AND y.nation_id IN (SELECT nation_id FROM nations)
              AND ag.signed_on <= %(d)s AND (ag.ended_on IS NULL OR ag.ended_on > %(d)s))
        SELECT a, b, code, name, since, points, SUM(points) OVER w, MIN(since) OVER w
        FROM part WINDOW w AS (PARTITION BY a, b)""",
}
#: Global returns, once per scan (not per programme): the same aggregates over all programmes.
FLOOR_GLOBAL_SQL = {
    "work_totals": """
        SELECT wp.programme_id, SUM(wa.amount) FROM programs_workshareallocation wa
        JOIN programs_workpackage wp ON wp.id = wa.work_package_id
        WHERE wa.period_start <= %(d)s GROUP BY wp.programme_id""",
    "contribution_totals": """
        SELECT programme_id, nation_id, SUM(amount) FROM programs_contribution
        WHERE period_start <= %(d)s GROUP BY programme_id, nation_id""",
    "work_by_programme_nation": """
        WITH RECURSIVE
        stake_total AS (SELECT venture_id, SUM(percent) AS total
                        FROM programs_ownershipstake GROUP BY venture_id),
        placed(programme_id, org_id, amount, depth) AS (
            SELECT wp.programme_id, wa.organisation_id, SUM(wa.amount), 0
            FROM programs_workshareallocation wa
            JOIN programs_workpackage wp ON wp.id = wa.work_package_id
            WHERE wa.period_start <= %(d)s
            GROUP BY wp.programme_id, wa.organisation_id
            UNION ALL
            SELECT placed.programme_id, s.owner_id, placed.amount * s.percent / t.total,
                   placed.depth + 1
            FROM placed JOIN programs_ownershipstake s ON s.venture_id = placed.org_id
            JOIN stake_total t ON t.venture_id = s.venture_id
            WHERE placed.depth < 8 AND t.total > 0)
        SELECT placed.programme_id, o.nation_id, SUM(placed.amount) FROM placed
        JOIN programs_organisation o ON o.id = placed.org_id
        WHERE o.nation_id IS NOT NULL GROUP BY placed.programme_id, o.nation_id""",
    "taking_part": """
        SELECT p.programme_id, p.nation_id, n.code, n.name FROM programs_participation p
        JOIN programs_nation n ON n.id = p.nation_id
        WHERE p.joined_on IS NULL OR p.joined_on <= %(d)s""",
}


def sql_floor(url: str, as_of: datetime.date) -> tuple[float, int]:
    """Seconds to run every programme's aggregates by hand through psycopg, and the queries."""
    import psycopg

    overdue = as_of - datetime.timedelta(days=90)
    queries = 0
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        ids = [row[0] for row in conn.execute("SELECT id FROM programs_programme ORDER BY code")]
        for pid in ids:
            params = {"p": pid, "d": as_of, "overdue": overdue}
            for sql in FLOOR_SQL.values():
                conn.execute(sql, params).fetchall()
                queries += 1
        for sql in FLOOR_GLOBAL_SQL.values():
            conn.execute(sql, {"d": as_of}).fetchall()
            queries += 1
        conn.rollback()
        return time.perf_counter() - started, queries


def bench_scan(url: str, as_of: datetime.date) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from programs.balance.scan import scan_all

    started = time.perf_counter()
    scan_all(as_of)
    first = time.perf_counter() - started
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        results = scan_all(as_of)
        again = time.perf_counter() - started
    floors = [sql_floor(url, as_of) for _ in range(2)]
    floor, floor_queries = min(floors)
    return {
        "programmes": len(results) - 1,
        "first_scan_s": round(first, 3),
        "scan_s": round(again, 3),
        "scan_queries": len(captured),
        "floor_s": round(floor, 3),
        "floor_queries": floor_queries,
        "ratio": round(again / floor, 2) if floor else None,
    }


# --- (b) load against gunicorn --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def parse_wrk(output: str) -> dict:
    def ms(value: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
        # Rounded to the microsecond wrk prints at most: 702us is 0.702 ms, not 0.70200…01.
        return round(float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit], 3)

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"(\d+) requests in", output)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": ms(p50.group(1)) if p50 else None,
        "p99_ms": ms(p99.group(1)) if p99 else None,
        "requests": int(total.group(1)) if total else 0,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": dict(
            zip(
                ("connect", "read", "write", "timeout"),
                (int(n) for n in sockets.groups()) if sockets else (0, 0, 0, 0),
                strict=True,
            )
        ),
    }


def wrk(
    url: str,
    seconds: int,
    connections: int,
    headers: dict[str, str],
    threads: int = 1,
    timeout: int = 10,
) -> dict:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        f"{timeout}s",
        "--latency",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    return parse_wrk(done.stdout)


def fetch(url: str, headers: dict[str, str]) -> bytes:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read()


def compare_rounds(pairs: list[dict]) -> dict:
    """The real endpoint against the bare view over rounds of one wrk run each: the median
    round's figures, each round's throughput ratio, the worst round's p99/p50, the non-2xx
    answers of all rounds, and every round's figures.

    Machines of this kind change speed from one minute to the next; a single pair of runs
    moved the ratio by a tenth, where the median of interleaved rounds holds still."""

    def ratio(pair: dict) -> float | None:
        bare = pair["bare"]["rps"]
        return round(pair["real"]["rps"] / bare, 3) if bare else None

    def tail(pair: dict) -> float | None:
        real = pair["real"]
        return round(real["p99_ms"] / real["p50_ms"], 2) if real["p50_ms"] else None

    ratios = [ratio(pair) for pair in pairs]
    ranked = sorted(range(len(pairs)), key=lambda i: (ratios[i] is None, ratios[i] or 0))
    median = pairs[ranked[(len(ranked) - 1) // 2]]
    tails = [t for t in map(tail, pairs) if t is not None]
    return {
        "real": median["real"],
        "bare": median["bare"],
        "throughput_ratio": ratio(median),
        "round_ratios": ratios,
        "p99_over_p50": max(tails) if tails else None,
        "non_2xx": sum(pair[side]["non_2xx"] for pair in pairs for side in ("real", "bare")),
        "rounds": pairs,
    }


def bench_load(url: str, code: str, seconds: int, connections: int, rounds: int = 3) -> dict:
    if not shutil.which("wrk"):
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        return {"skipped": "gunicorn is not installed (pip install -e '.[prod]')"}
    from django.contrib.auth import get_user_model

    from programs.api.tokens import issue_token

    user, _ = get_user_model().objects.get_or_create(
        username="bench-viewer", defaults={"is_superuser": True, "is_staff": True}
    )
    _, key = issue_token(user, name=f"bench {time.time_ns()}")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "tests.benchmarks.settings",
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        [
            str(gunicorn),
            "gcaptrack.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {key}", "X-Forwarded-Proto": "https"}
    results = {}
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                fetch(f"{base}/bench/bare/20/", headers)
                break
            except OSError:
                time.sleep(0.3)
        endpoints = {
            "balance_report": f"/api/v1/programmes/{code}/balance/",
            "workshare_cursor_page": "/api/v1/workshare/?page_size=100",
        }
        for name, path in endpoints.items():
            size = len(fetch(base + path, headers))
            urls = {"real": base + path, "bare": f"{base}/bench/bare/{size}/"}
            pairs = []
            for round_number in range(rounds):
                # Every other round the other way round, so that a machine slowing down or
                # speeding up over the rounds weighs on both sides alike.
                order = ("real", "bare") if round_number % 2 == 0 else ("bare", "real")
                pairs.append(
                    {side: wrk(urls[side], seconds, connections, headers) for side in order}
                )
            results[name] = {"bytes": size, **compare_rounds(pairs)}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    return results


# --- (c) dashboard render and (d) query counts ----------------------------------------------


def client_for_viewer():
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="bench-viewer", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.force_login(user)
    return client


def timed_get(client, path: str) -> tuple[int, float, float, int]:
    """Status, seconds, seconds spent in the database and queries of one request.

    Each query is timed around the database call itself (Django's debug log rounds each
    query's time to the millisecond, which lost most of the sub-millisecond ones)."""
    from django.db import connection

    spent = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.append(time.perf_counter() - started)

    with connection.execute_wrapper(timed):
        started = time.perf_counter()
        response = client.get(path)
        total = time.perf_counter() - started
    return response.status_code, total, sum(spent), len(spent)


def bench_dashboard(code: str, repeats: int = 21) -> dict:
    """The programme page's time against its queries' time: the median request's figures, and
    the quartiles of every request's ratio (the spread a noisy machine adds)."""
    client = client_for_viewer()
    path = f"/programmes/{code}/"
    timed_get(client, path)  # warm templates and connections
    runs = [timed_get(client, path) for _ in range(repeats)]
    status, total, query_time, queries = sorted(runs, key=lambda r: r[1])[len(runs) // 2]
    ratios = sorted(run[1] / run[2] for run in runs if run[2])
    return {
        "status": status,
        "render_ms": round(total * 1000, 1),
        "queries_ms": round(query_time * 1000, 1),
        "queries": queries,
        "ratio": round(total / query_time, 2) if query_time else None,
        "ratio_quartiles": [
            round(ratios[len(ratios) // 4], 2),
            round(ratios[3 * len(ratios) // 4], 2),
        ]
        if ratios
        else None,
        "requests": repeats,
    }


def query_counts(code: str, pair: tuple[str, str]) -> dict[str, int]:
    client = client_for_viewer()
    flag = None
    from programs.models import Flag

    flag = Flag.objects.order_by("id").values_list("id", flat=True).first()
    paths = {
        "dashboard portfolio": "/",
        "dashboard programme": f"/programmes/{code}/",
        "dashboard pair": f"/nations/{pair[0]}/{pair[1]}/",
        "dashboard flags": "/flags/",
        "api programmes": "/api/v1/programmes/",
        "api balance report": f"/api/v1/programmes/{code}/balance/",
        "api workshare (cursor)": "/api/v1/workshare/",
        "api tech-transfers (cursor)": "/api/v1/tech-transfers/",
        "api decisions": "/api/v1/decisions/",
        "api flags (cursor)": "/api/v1/flags/",
        "admin workshare changelist": "/admin/programs/workshareallocation/",
        "admin milestone changelist": "/admin/programs/techtransfermilestone/",
    }
    if flag:
        paths["api flag detail"] = f"/api/v1/flags/{flag}/"
    counts = {}
    for name, path in paths.items():
        client.get(path)
        status, _, _, queries = timed_get(client, path)
        counts[name] = queries if status == 200 else f"HTTP {status}"
    return counts


# --- (f) what-if against a scan -------------------------------------------------------------


def one_move_draft(code: str) -> dict:
    """A draft of one programme's own records: its first lead role given to another
    participant, or (no roles) its first contribution doubled."""
    from programs.models import Contribution, LeadershipRole, Participation

    role = LeadershipRole.objects.filter(programme__code=code).order_by("id").first()
    if role is not None:
        other = (
            Participation.objects.filter(programme__code=code)
            .exclude(nation_id=role.nation_id)
            .order_by("nation__code")
            .values_list("nation__code", flat=True)
            .first()
        )
        move = {"programme": code, "title": role.title, "nation": other, "organisation": None}
        return {"format": "gcaptrack-scenario/1", "leadership_roles": [move]}
    money = Contribution.objects.filter(programme__code=code).order_by("id").first()
    change = {
        "programme": code,
        "nation": money.nation.code,
        "period_start": money.period_start.isoformat(),
        "amount": str(money.amount * 2),
    }
    return {"format": "gcaptrack-scenario/1", "contributions": [change]}


def bench_whatif(code: str, as_of: datetime.date, repeats: int = 7) -> dict:
    """A what-if of one programme against a scan of the same programme (the median of
    ``repeats`` runs of each, interleaved), and the what-if's query count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from programs.balance.scan import scan_programme
    from programs.whatif.evaluate import evaluate_draft

    draft = one_move_draft(code)
    scan_programme(code, as_of)  # warm: the scan's later runs change nothing but last_seen_at
    evaluate_draft(draft, as_of=as_of)
    scans, whatifs = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        scan_programme(code, as_of)
        scans.append(time.perf_counter() - started)
        started = time.perf_counter()
        evaluate_draft(draft, as_of=as_of)
        whatifs.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        result = evaluate_draft(draft, as_of=as_of)
    scan_s, whatif_s = sorted(scans)[repeats // 2], sorted(whatifs)[repeats // 2]
    return {
        "draft": next(key for key in draft if key != "format"),
        "programmes": [p.code for p in result.programmes],
        "scan_s": round(scan_s, 3),
        "whatif_s": round(whatif_s, 3),
        "whatif_queries": len(captured),
        "ratio": round(whatif_s / scan_s, 2) if scan_s else None,
        "runs": repeats,
    }


# --- (e) CSV import ---------------------------------------------------------------------------


def first_import_day(rows: int, organisations: int) -> datetime.date:
    """The first period of (e)'s rows, a new day every ``organisations`` rows: as late as the
    last day an import accepts (``programs.bounds.LATEST_DAY``) allows, clear of the generated
    portfolio's days."""
    from programs.bounds import LATEST_DAY

    return LATEST_DAY - datetime.timedelta(days=-(-rows // organisations))


def admin_import(client, body: bytes) -> tuple[float, float, str | None]:
    """Upload a workshare CSV to the admin's import, confirm the preview; the two durations."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from programs.models import WorkshareAllocation
    from tests.admin_helpers import admin_url

    # Resolved before the clock starts: the first reverse() imports the whole URLconf.
    import_url = admin_url(WorkshareAllocation, "import")
    process_url = admin_url(WorkshareAllocation, "process_import")
    upload = SimpleUploadedFile("rows.csv", body, content_type="text/csv")
    started = time.perf_counter()
    preview = client.post(import_url, {"resource": "0", "format": "0", "import_file": upload})
    previewed = time.perf_counter() - started
    html = preview.content.decode()
    action = html.find("process_import/")
    if action < 0:
        refusal = re.search(r'class="errorlist[^"]*"[^>]*>\s*<li>(.*?)</li>', html, re.S)
        said = f": {re.sub(r'<[^>]+>', '', refusal.group(1)).strip()}" if refusal else ""
        return (
            previewed,
            0.0,
            f"the preview offered no confirmation (HTTP {preview.status_code}){said}",
        )
    confirm_form = html[action : html.find("</form>", action)]
    fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', confirm_form))
    started = time.perf_counter()
    client.post(process_url, {**fields, "confirm": "1"})
    return previewed, time.perf_counter() - started, None


def import_floor(url: str, wp_id: int, org_ids: list[int], rows: int, user_id: int) -> float:
    """Seconds for PostgreSQL alone to take the same new rows and their historical rows: one
    COPY into the table, one INSERT … SELECT into the history table, commit (deferred foreign
    key checks included, the historical rows' user's too, as an import names its user); then
    removed again."""
    import psycopg

    source = f"bench floor {time.time_ns()}"
    start = first_import_day(rows, len(org_ids))
    lines = []
    for k in range(rows):
        day = start + datetime.timedelta(days=k // len(org_ids))
        amount = f"{1000 + k % 997}.50"
        lines.append(f"{source}\tillustrative\t{amount}\t{day}\t{day}\t{org_ids[k % len(org_ids)]}")
    body = "".join(f"{line}\t{wp_id}\n" for line in lines)
    columns = (
        "source, confidence, amount, period_start, period_end, organisation_id, work_package_id"
    )
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        with conn.cursor() as cursor:
            with cursor.copy(f"COPY programs_workshareallocation ({columns}) FROM STDIN") as copy:
                copy.write(body)
            cursor.execute(
                f"INSERT INTO programs_historicalworkshareallocation (id, {columns}, "
                "history_date, history_change_reason, history_type, history_user_id) "
                f"SELECT id, {columns}, now(), 'floor', '+', %s "
                "FROM programs_workshareallocation WHERE source = %s",
                [user_id, source],
            )
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DELETE FROM programs_workshareallocation WHERE source = %s", [source])
        conn.execute(
            "DELETE FROM programs_historicalworkshareallocation WHERE source = %s", [source]
        )
    return elapsed


def vacuum_workshare(url: str) -> None:
    """VACUUM the workshare table and its history: the rows (e) deleted, its own from earlier
    runs included, stay in the tables and their indexes, at the very keys it inserts again,
    until vacuumed (and autovacuum may be off, or not have come by yet)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM programs_workshareallocation")
        conn.execute("VACUUM programs_historicalworkshareallocation")


def bench_import(url: str, rows: int) -> dict:
    """(e) A CSV file of new workshare rows through the admin (preview, then confirm), then the
    same file with every amount changed (every row an update); and the database's floor for
    the new rows. Each of the two starts on vacuumed tables."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from programs.models import WorkPackage, WorkshareAllocation

    wp = WorkPackage.objects.select_related("programme").order_by("programme__code", "code").first()
    orgs = list(
        WorkshareAllocation.objects.filter(work_package=wp)
        .order_by()
        .values_list("organisation__name", flat=True)
        .distinct()
    )
    source = f"bench import {time.time_ns()}"
    start = first_import_day(rows, len(orgs))

    def csv_body(cents: int) -> bytes:
        lines = [
            "programme,work_package,organisation,period_start,period_end,amount,source,confidence"
        ]
        for k in range(rows):
            day = start + datetime.timedelta(days=k // len(orgs))
            lines.append(
                f"{wp.programme.code},{wp.code},{orgs[k % len(orgs)]},{day},{day},"
                f"{1000 + k % 997}.{cents},{source},illustrative"
            )
        return ("\n".join(lines) + "\n").encode()

    client = client_for_viewer()
    vacuum_workshare(url)
    previewed, applied, error = admin_import(client, csv_body(50))
    if error:
        return {"error": error}
    imported = WorkshareAllocation.objects.filter(source=source).count()
    history = WorkshareAllocation.history.filter(source=source).count()
    previewed_again, updated, error = admin_import(client, csv_body(75))
    changed = WorkshareAllocation.objects.filter(source=source, amount__endswith=".75").count()
    with connection.cursor() as cursor:  # leave the portfolio as generated
        cursor.execute("DELETE FROM programs_workshareallocation WHERE source = %s", [source])
        cursor.execute(
            "DELETE FROM programs_historicalworkshareallocation WHERE source = %s", [source]
        )
    org_ids = list(
        WorkshareAllocation.objects.filter(work_package=wp)
        .order_by()
        .values_list("organisation_id", flat=True)
        .distinct()
    )
    viewer = get_user_model().objects.get(username="bench-viewer")
    vacuum_workshare(url)
    floor = import_floor(url, wp.pk, org_ids, rows, viewer.pk)
    return {
        "rows": rows,
        "floor_s": round(floor, 2),
        "floor_rows_per_s": round(rows / floor),
        "imported": imported,
        "history_rows": history,
        "preview_s": round(previewed, 2),
        "apply_s": round(applied, 2),
        "rows_per_s_apply": round(imported / applied) if applied else None,
        "rows_per_s_preview_and_apply": round(imported / (previewed + applied)),
        "updated": changed,
        "update_preview_s": round(previewed_again, 2),
        "update_apply_s": round(updated, 2),
        "update_rows_per_s_apply": round(changed / updated) if updated else None,
        "error": error,
    }


# --- driver ---------------------------------------------------------------------------------


def run_size(size: str, args) -> dict:
    url = database_url(size)
    created = prepare_database(url, args.fresh)
    from django.conf import settings

    if not settings.configured:
        setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = urlsplit(url).path.lstrip("/")
    from programs.models import Participation, Programme
    from programs.synthetic.portfolio import ANCHOR

    call_command("migrate", verbosity=0)
    result: dict = {"size": size, "rows": SIZES[size], "database": connection.settings_dict["NAME"]}
    if created or not Programme.objects.filter(code__startswith=f"syn{SEED}-").exists():
        started = time.perf_counter()
        call_command("generate_portfolio", **SIZES[size], seed=SEED, stdout=sys.stderr)
        result["generate_s"] = round(time.perf_counter() - started, 1)
    code = (
        Programme.objects.filter(code__startswith=f"syn{SEED}-")
        .order_by("-work_packages__allocations__amount")
        .values_list("code", flat=True)
        .first()
    )
    biggest = max(
        Programme.objects.filter(code__startswith=f"syn{SEED}-").values_list("code", flat=True),
        key=lambda c: Participation.objects.filter(programme__code=c).count(),
    )
    code = biggest or code
    pair = tuple(
        Participation.objects.filter(programme__code=code)
        .order_by("nation__code")
        .values_list("nation__code", flat=True)[:2]
    )
    steps = args.only or ["a", "b", "c", "d", "e", "f"]
    if "a" in steps:
        print(f"[{size}] a: scan against the SQL floor", file=sys.stderr)
        result["a_scan"] = bench_scan(url, ANCHOR)
    if "b" in steps:
        print(f"[{size}] b: load against gunicorn", file=sys.stderr)
        result["b_load"] = bench_load(url, code, args.seconds, args.connections, args.rounds)
    if "c" in steps:
        print(f"[{size}] c: dashboard render", file=sys.stderr)
        result["c_dashboard"] = bench_dashboard(code)
    if "d" in steps:
        print(f"[{size}] d: query counts", file=sys.stderr)
        result["d_queries"] = query_counts(code, pair)
    if "e" in steps:
        print(f"[{size}] e: CSV import", file=sys.stderr)
        result["e_import"] = bench_import(url, args.import_rows)
    if "f" in steps:
        print(f"[{size}] f: what-if against a scan", file=sys.stderr)
        result["f_whatif"] = bench_whatif(code, ANCHOR)
    result["programme"] = code
    return result


def table(results: list[dict]) -> str:
    lines = []
    for r in results:
        lines.append(f"== size {r['size']}: {r['rows']}")
        if "generate_s" in r:
            lines.append(f"   generate_portfolio: {r['generate_s']} s")
        if a := r.get("a_scan"):
            lines.append(
                f"a  scan_all {a['programmes']} programmes: {a['scan_s']} s ({a['scan_queries']} q), "
                f"first {a['first_scan_s']} s; SQL floor {a['floor_s']} s ({a['floor_queries']} q); "
                f"ratio {a['ratio']}x  [target {TARGETS['a_scan_ratio']}]"
            )
        if b := r.get("b_load"):
            if "skipped" in b:
                lines.append(f"b  skipped: {b['skipped']}")
            for name, item in b.items():
                if name == "skipped":
                    continue
                real, bare = item["real"], item["bare"]
                lines.append(
                    f"b  {name} ({item['bytes']} B): {real['rps']:.0f} req/s p50 {real['p50_ms']} ms "
                    f"p99 {real['p99_ms']} ms (non-2xx in all rounds {item['non_2xx']}); bare {bare['rps']:.0f} "
                    f"req/s p50 {bare['p50_ms']} ms p99 {bare['p99_ms']} ms; throughput ratio "
                    f"{item['throughput_ratio']} (rounds {item['round_ratios']}) "
                    f"[{TARGETS['b_throughput_ratio']}], "
                    f"worst p99/p50 {item['p99_over_p50']} [<= 4]"
                )
        if c := r.get("c_dashboard"):
            lines.append(
                f"c  programme dashboard: {c['render_ms']} ms, its {c['queries']} queries "
                f"{c['queries_ms']} ms; ratio {c['ratio']}x [<= 2] (median of {c['requests']}; "
                f"quartiles of the requests' ratios {c['ratio_quartiles']})"
            )
        if d := r.get("d_queries"):
            lines.append("d  queries: " + ", ".join(f"{k} {v}" for k, v in d.items()))
        if e := r.get("e_import"):
            if "rows" not in e:
                lines.append(f"e  import: {e['error']}")
            else:
                lines.append(
                    f"e  CSV import of {e['imported']} new workshare rows ({e['history_rows']} "
                    f"historical rows): preview {e['preview_s']} s, apply {e['apply_s']} s: "
                    f"{e['rows_per_s_apply']} rows/s applying, "
                    f"{e['rows_per_s_preview_and_apply']} rows/s preview+apply [>= 20000]; "
                    f"the same file with new amounts ({e['updated']} updates): preview "
                    f"{e['update_preview_s']} s, apply {e['update_apply_s']} s: "
                    f"{e['update_rows_per_s_apply']} rows/s applying; database floor for the "
                    f"new rows (COPY, history, commit) {e['floor_s']} s: "
                    f"{e['floor_rows_per_s']} rows/s"
                    + (f" (error: {e['error']})" if e["error"] else "")
                )
        if f := r.get("f_whatif"):
            lines.append(
                f"f  what-if of {r.get('programme')} ({f['draft']}; measures "
                f"{', '.join(str(c) for c in f['programmes'])}): {f['whatif_s']} s, "
                f"{f['whatif_queries']} queries; scan of the same programme {f['scan_s']} s; "
                f"ratio {f['ratio']}x [target {TARGETS['f_whatif_over_scan']}] "
                f"(medians of {f['runs']})"
            )
    counted = [r for r in results if "d_queries" in r]
    if len(counted) > 1:
        names = counted[0]["d_queries"].keys()
        unequal = [n for n in names if len({str(r["d_queries"].get(n)) for r in counted}) > 1]
        lines.append(
            "d  query counts equal across sizes: "
            + ("yes" if not unequal else "NO for " + ", ".join(unequal))
        )
    timed = [r for r in results if "f_whatif" in r]
    if len(timed) > 1:
        queries = {r["f_whatif"]["whatif_queries"] for r in timed}
        lines.append(
            "f  what-if query count equal across sizes: "
            + ("yes" if len(queries) == 1 else f"NO ({sorted(queries)})")
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", nargs="+", choices=list(SIZES), default=["small"])
    parser.add_argument("--json", type=Path, help="Also write the results to this file.")
    parser.add_argument("--fresh", action="store_true", help="Regenerate the size's database.")
    parser.add_argument("--only", nargs="+", choices=list("abcdef"), help="Run only these items.")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per run (b).")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (b).")
    parser.add_argument(
        "--rounds", type=int, default=3, help="Interleaved rounds of real and bare runs (b)."
    )
    parser.add_argument("--import-rows", type=int, default=50_000, help="CSV rows to import (e).")
    args = parser.parse_args()
    args.seconds = max(1, min(args.seconds, 120))
    results = []
    for size in args.size:
        try:
            results.append(run_size(size, args))
        except Exception as error:  # a benchmark reports, it never fails the build
            results.append({"size": size, "rows": SIZES[size], "error": repr(error)})
            print(f"[{size}] failed: {error!r}", file=sys.stderr)
    report = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "memory_gib": memory_gib()},
        "targets": TARGETS,
        "results": results,
    }
    print(table(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=str))
        print(f"written to {args.json}")
    return 0


def memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(meminfo.readline().split()[1])
        return round(kib / 1024 / 1024, 1)
    except OSError:
        return None


if __name__ == "__main__":
    sys.exit(main())
