"""Pytest plugin: a skipped browser test is never silent, and in CI it is a failure.

The browser tests (everything under tests/browser/, marked ``browser``) skip where Chromium is
missing. ``make test`` installs Chromium first when it can and otherwise stops, so a skip means
someone ran pytest on a machine without it: the run's summary says so in capitals, with the
reason. With ``CI`` set (``.ci/run``), each such skip is reported as a failure instead.

Registered in tests/conftest.py.
"""

import os

import pytest

BROWSER = "browser"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{BROWSER}: drives the dashboards in headless Chromium")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.skipped and item.get_closest_marker(BROWSER) is not None:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        item.config.stash.setdefault(_skipped, []).append((item.nodeid, reason))
        if in_ci():
            report.outcome = "failed"
            report.longrepr = f"browser test skipped in CI (CI must run every test): {reason}"
    return report


_skipped = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    skipped = config.stash.get(_skipped, [])
    if not skipped or in_ci():
        return
    reasons = sorted({reason for _, reason in skipped})
    terminalreporter.write_sep("!", f"{len(skipped)} BROWSER TESTS SKIPPED", red=True, bold=True)
    for reason in reasons:
        terminalreporter.write_line(f"  {reason}", red=True)
    terminalreporter.write_line("  make test installs Chromium (as root with apt) and runs them.")
