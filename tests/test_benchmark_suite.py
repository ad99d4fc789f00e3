"""The benchmark suite (tests/benchmarks/run.py) still runs: at the tiny size, every item,
through the README's command. Its figures are not checked against targets here (benchmarks
never fail CI on a slow machine), only that each item measured something."""

import datetime
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
RUN_PY = ROOT / "tests" / "benchmarks" / "run.py"


def load_runner():
    spec = importlib.util.spec_from_file_location("benchmark_runner", RUN_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


WRK_OUTPUT = """Running 1s test @ http://127.0.0.1:8000/bench/bare/100/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   702.00us  120.00us   2.10ms   90.00%
  Latency Distribution
     50%  702.00us
     75%  750.00us
     90%  800.00us
     99%    1.53ms
  5109 requests in 1.00s, 1.20MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   5109.12
Transfer/sec:      1.20MB
"""


def test_wrk_figures_are_read_in_milliseconds_to_the_microsecond():
    figures = load_runner().parse_wrk(WRK_OUTPUT)
    assert figures["p50_ms"] == 0.702  # not 0.7020000000000001
    assert figures["p99_ms"] == 1.53
    assert figures["rps"] == 5109.12
    assert figures["requests"] == 5109
    assert figures["non_2xx"] == 3
    assert figures["socket_errors"] == {"connect": 0, "read": 0, "write": 0, "timeout": 0}


def test_rounds_report_the_median_ratio_and_the_worst_tail():
    def run(rps: float, p50: float, p99: float, non_2xx: int = 0) -> dict:
        return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "non_2xx": non_2xx}

    pairs = [
        {"real": run(1000, 1.0, 2.0), "bare": run(2000, 0.5, 1.0)},  # 0.5
        {"real": run(900, 1.0, 3.5, non_2xx=2), "bare": run(1000, 0.5, 1.0)},  # 0.9, worst tail
        {"real": run(1200, 1.0, 2.0), "bare": run(2000, 0.5, 1.0)},  # 0.6, the median
    ]
    compared = load_runner().compare_rounds(pairs)
    assert compared["round_ratios"] == [0.5, 0.9, 0.6]
    assert compared["throughput_ratio"] == 0.6
    assert compared["real"]["rps"] == 1200 and compared["bare"]["rps"] == 2000
    assert compared["p99_over_p50"] == 3.5
    assert compared["non_2xx"] == 2  # from a round other than the median's
    assert compared["rounds"] == pairs
    assert load_runner().compare_rounds(pairs[:2])["throughput_ratio"] == 0.5  # the lower


@pytest.mark.parametrize("organisations", [1, 3, 7, 40])
def test_the_import_item_s_rows_fall_within_the_days_an_import_accepts(organisations):
    from programs.bounds import EARLIEST_DAY, LATEST_DAY

    rows = 50_000
    first = load_runner().first_import_day(rows, organisations)
    last = first + datetime.timedelta(days=(rows - 1) // organisations)
    assert first >= EARLIEST_DAY and last <= LATEST_DAY


@pytest.fixture
def bench_database_base():
    """A base URL whose tiny-size database (``<name>_bench_tiny``) is the test's own, dropped
    afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("the benchmarks run on PostgreSQL (DATABASE_URL)")
    parts = urlsplit(url)
    base = urlunsplit(parts._replace(path=f"/{parts.path.lstrip('/')}_suite_check"))
    yield base
    admin = urlunsplit(parts._replace(path="/postgres"))
    name = f"{parts.path.lstrip('/')}_suite_check_bench_tiny"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def bench_redis_url():
    """A Redis database of the suite's own, emptied before and after: its load item makes
    thousands of requests as a user whose id other tests' users share, and the throttle's
    counts (and cached reports) would otherwise carry over to them."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("the benchmarks' load item needs REDIS_URL (a local Redis)")
    parts = urlsplit(url)
    tests_db = int(parts.path.lstrip("/") or 0)
    own = urlunsplit(parts._replace(path=f"/{14 if tests_db != 14 else 13}"))
    client = redis.Redis.from_url(own)
    client.flushdb()
    yield own
    client.flushdb()
    client.close()


def test_every_benchmark_item_measures_at_the_tiny_size(
    bench_database_base, bench_redis_url, tmp_path
):
    report_path = tmp_path / "bench.json"
    env = {**os.environ, "DATABASE_URL": bench_database_base, "REDIS_URL": bench_redis_url}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [
            sys.executable,
            str(RUN_PY),
            "--size",
            "tiny",
            "--fresh",
            "--seconds",
            "1",
            "--import-rows",
            "200",
            "--json",
            str(report_path),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"written to {report_path}" in done.stdout
    report = json.loads(report_path.read_text())
    assert report["machine"]["cores"] == os.cpu_count()
    (result,) = report["results"]
    assert "error" not in result, result.get("error")

    scan = result["a_scan"]
    assert scan["programmes"] == 3
    assert scan["scan_s"] > 0 and scan["floor_s"] > 0 and scan["ratio"] > 0

    load = result["b_load"]
    if shutil.which("wrk"):
        for endpoint in ("balance_report", "workshare_cursor_page"):
            assert len(load[endpoint]["rounds"]) == len(load[endpoint]["round_ratios"]) == 3
            for number, figures in enumerate(load[endpoint]["rounds"]):
                for side in ("real", "bare"):
                    assert figures[side]["requests"] > 0, (endpoint, number, side)
                    assert figures[side]["non_2xx"] == 0, (endpoint, number, side)
            assert load[endpoint]["throughput_ratio"] > 0
    else:
        assert "wrk is not installed" in load["skipped"]

    page = result["c_dashboard"]
    assert page["status"] == 200 and page["queries"] > 0 and page["ratio"] > 0
    low, high = page["ratio_quartiles"]
    assert 0 < low <= high

    counts = result["d_queries"]
    assert len(counts) >= 12
    assert all(isinstance(n, int) and n > 0 for n in counts.values()), counts

    imported = result["e_import"]
    assert imported["error"] is None
    assert imported["imported"] == imported["history_rows"] == imported["updated"] == 200
    assert imported["rows_per_s_apply"] > 0 and imported["floor_rows_per_s"] > 0

    whatif = result["f_whatif"]
    assert whatif["scan_s"] > 0 and whatif["whatif_s"] > 0 and whatif["whatif_queries"] > 0
    assert result["programme"] in whatif["programmes"]
