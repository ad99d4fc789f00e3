"""A skipped browser test is never silent: the run's summary names it, and in CI it fails the
run (tests/skip_guard.py), as `.ci/run` sets CI=true."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SUITE = """
import pytest


@pytest.mark.browser
def test_a_page_in_chromium():
    pytest.skip("Chromium not found at /usr/bin/chromium (apt-get install chromium)")


def test_something_else():
    pytest.skip("not a browser test")
"""

PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "tests.skip_guard", "-p", "no:django"]
PYTEST += ["-p", "no:cacheprovider"]


def run_suite(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_suite.py").write_text(SUITE)
    environment = {k: v for k, v in os.environ.items() if k != "CI"}
    environment.update(PYTHONPATH=str(BASE_DIR), **env)
    return subprocess.run(
        [*PYTEST, "test_suite.py"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_skipped_browser_test_fails_the_run_in_ci(tmp_path):
    done = run_suite(tmp_path, CI="true")
    assert done.returncode == 1, done.stdout
    assert "FAILED test_suite.py::test_a_page_in_chromium" in done.stdout
    assert "browser test skipped in CI" in done.stdout
    assert "1 failed, 1 skipped" in done.stdout


def test_a_skipped_browser_test_is_named_in_capitals_outside_ci(tmp_path):
    done = run_suite(tmp_path)
    assert done.returncode == 0, done.stdout
    assert "1 BROWSER TESTS SKIPPED" in done.stdout
    assert "Chromium not found at /usr/bin/chromium (apt-get install chromium)" in done.stdout
    assert "2 skipped" in done.stdout


def test_make_test_stops_with_one_line_saying_how_where_it_cannot_install_chromium(tmp_path):
    script = BASE_DIR / "deploy" / "ensure-browser.sh"
    command = ["bash", str(script)]
    if os.geteuid() == 0:  # as an ordinary user, who cannot apt-get install
        command = ["runuser", "-u", "nobody", "--", *command]
    done = subprocess.run(
        command,
        env={"PATH": os.environ["PATH"], "CHROMIUM_PATH": str(tmp_path / "no-chromium")},
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"make test: the browser tests need Chromium at {tmp_path / 'no-chromium'} and "
        "poppler-utils (pdftoppm): run 'sudo apt-get install chromium poppler-utils' "
        "(or set CHROMIUM_PATH) and try again"
    ]


def test_make_test_goes_on_where_chromium_is_installed(tmp_path):
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    done = subprocess.run(
        ["bash", str(BASE_DIR / "deploy" / "ensure-browser.sh")],
        env={"PATH": os.environ["PATH"], "CHROMIUM_PATH": str(chromium)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
