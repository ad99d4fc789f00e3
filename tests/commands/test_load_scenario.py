import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from programs import models
from tests.factories import UserFactory
from tests.scenario_helpers import SCENARIOS, census

pytestmark = pytest.mark.django_db

EXAMPLE = SCENARIOS / "spec_example.yaml"


def test_the_command_prints_counts_per_file_and_key():
    out = StringIO()

    call_command("load_scenario", str(EXAMPLE), stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == f"{EXAMPLE} (as of 2026-06-30)"
    assert "  nations           created    2  updated    0  unchanged    0" in lines
    assert lines[-1] == "  total             created   22  updated    0  unchanged    0"


def test_a_second_run_reports_nothing_changed():
    call_command("load_scenario", str(EXAMPLE), stdout=StringIO())
    out = StringIO()

    call_command("load_scenario", str(EXAMPLE), stdout=out)

    assert out.getvalue().splitlines()[-1] == "  nothing changed"


def test_the_user_option_signs_the_history():
    author = UserFactory(username="cartographer")
    call_command("load_scenario", str(EXAMPLE), "--user", "cartographer", stdout=StringIO())

    assert models.Nation.objects.get(code="AAA").history.get().history_user == author
    assert models.ScenarioLoad.objects.get().loaded_by == author


def test_a_bad_file_fails_with_one_line_and_writes_nothing(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        EXAMPLE.read_text()
        .replace("amount: 100}", "amount: -1}")
        .replace("weight: 3, nation", "weight: 0, nation")
    )
    before = census()

    with pytest.raises(CommandError) as caught:
        call_command("load_scenario", str(EXAMPLE), str(bad), stdout=StringIO())

    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        f"2 errors, nothing loaded: {bad}: contributions[0] (DEMO/AAA/2020-01-01): amount:"
    )
    assert f" | {bad}: leadership_roles[0] (DEMO/Chief engineer): weight:" in message
    assert census() == before


def test_a_missing_file_is_a_one_line_error(tmp_path: Path):
    with pytest.raises(
        CommandError, match=r"^.*missing\.yaml: cannot read the file: No such file or directory\.$"
    ):
        call_command("load_scenario", str(tmp_path / "missing.yaml"))


def test_manage_py_exits_non_zero_with_the_reason_on_one_line(tmp_path: Path):
    """The real process: exit status and stderr as a shell script sees them.

    It runs against the environment's database, so the file fails before any query."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: gcaptrack-scenario/2\nnations: [{code: AAA, name: Avalon}]\n")

    done = subprocess.run(
        [sys.executable, "manage.py", "load_scenario", str(bad)],
        cwd=settings.BASE_DIR,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"CommandError: {bad}: format: unsupported format 'gcaptrack-scenario/2'; "
        "expected 'gcaptrack-scenario/1'."
    ]
