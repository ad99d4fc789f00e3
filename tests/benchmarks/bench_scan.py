"""Scan benchmark: time of scan_all over the seeded programmes and queries per programme scan.

Not collected by pytest (its name does not match test_*.py). Run it against a database server:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gcaptrack SECRET_KEY=x \\
        .venv/bin/python tests/benchmarks/bench_scan.py

It works in a throw-away database (``bench_<name>``, created and dropped like pytest-django
does), never in the database named by DATABASE_URL itself. It loads ``seeds/*.yaml`` with the
scenario loader, then a synthetic programme at 1×, 10× and 100× the rows, and prints a table.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gcaptrack.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# Measure scans alone: loading the data must not trigger on-change scans of its own.
settings.CELERY_ON_CHANGE_SCANS = False

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from programs.balance.scan import scan_all, scan_programme  # noqa: E402
from programs.models import Programme  # noqa: E402


def load_seeds() -> None:
    from programs.scenarios.loading import load_scenario_files

    load_scenario_files(sorted((ROOT / "seeds").glob("*.yaml")))


def synthetic(code: str, scale: int) -> None:
    """A three-nation programme with ``scale`` × (money, work, roles, votes, transfers)."""
    from tests.worlds import World

    world = World(code=code)
    for _ in range(scale):
        for nation, money, work in (("GBR", 100, 150), ("ITA", 100, 130), ("JPN", 100, 70)):
            world.contribute(nation, money)
            world.work(nation, work)
        world.role("GBR", 3)
        world.role("ITA", 3)
        world.role("JPN", 1)
        for _ in range(4):
            world.decide("approved", GBR="for", ITA="for", JPN="against")
        world.transfer("JPN", "GBR", 4, status="achieved")
        world.transfer("GBR", "JPN", 1, status="achieved")


def row_count(code: str) -> int:
    programme = Programme.objects.get(code=code)
    return (
        programme.contributions.count()
        + sum(wp.allocations.count() for wp in programme.work_packages.all())
        + programme.leadership_roles.count()
        + sum(body.decisions.count() for body in programme.decision_bodies.all())
        + programme.tech_transfers.count()
    )


def measure(code: str) -> tuple[int, float, int, float, int]:
    with CaptureQueriesContext(connection) as first:
        started = time.perf_counter()
        scan_programme(code)
        first_seconds = time.perf_counter() - started
    with CaptureQueriesContext(connection) as again:
        started = time.perf_counter()
        scan_programme(code)
        again_seconds = time.perf_counter() - started
    return row_count(code), first_seconds, len(first), again_seconds, len(again)


def main() -> None:
    old_name = connection.settings_dict["NAME"]
    if connection.vendor != "sqlite":
        # Not test_<name>: a pytest run on the same DATABASE_URL may be using that one.
        connection.settings_dict["TEST"]["NAME"] = f"bench_{Path(old_name).name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        seeded = (ROOT / "seeds").is_dir() and any((ROOT / "seeds").glob("*.yaml"))
        if seeded:
            load_seeds()
            started = time.perf_counter()
            results = scan_all()
            elapsed = time.perf_counter() - started
            print(
                f"scan_all over the seeds ({len(results) - 1} programmes + global rules): "
                f"{elapsed * 1000:.0f} ms (first scan, flags raised)"
            )
            started = time.perf_counter()
            scan_all()
            print(
                f"scan_all again (nothing changed): {(time.perf_counter() - started) * 1000:.0f} ms"
            )
        for scale in (1, 10, 100):
            synthetic(f"BENCH{scale}", scale)
        codes = list(Programme.objects.order_by("code").values_list("code", flat=True))
        print()
        print(
            f"{'programme':<14}{'rows':>7}{'1st scan ms':>13}{'queries':>9}{'rescan ms':>11}{'queries':>9}"
        )
        for code in codes:
            rows, first_s, first_q, again_s, again_q = measure(code)
            print(
                f"{code:<14}{rows:>7}{first_s * 1000:>13.1f}{first_q:>9}{again_s * 1000:>11.1f}{again_q:>9}"
            )
        print(f"\ndatabase: {connection.vendor}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
