"""CI's type check (`make typecheck`, run by .ci/run): mypy with the project's configuration
(django-stubs, djangorestframework-stubs) passes on the app and fails on a type error."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
MYPY = [sys.executable, "-m", "mypy", "--config-file", str(BASE_DIR / "pyproject.toml")]


def run_mypy(*paths: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*MYPY, "--cache-dir", os.devnull, *paths],
        cwd=BASE_DIR,
        env={**os.environ, "SECRET_KEY": "typecheck-only"},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_type_error_fails_the_type_check(tmp_path):
    module = tmp_path / "wrong.py"
    module.write_text(
        "from programs.models import Programme\n\n\n"
        "def code_of(programme: Programme) -> int:\n"
        "    return programme.code\n"
    )
    done = run_mypy(str(module))
    assert done.returncode == 1, done.stdout + done.stderr
    assert 'wrong.py:5: error: Incompatible return value type (got "str", expected "int")' in (
        done.stdout
    )
