"""CI's dependency check (.ci/check_imports.py): an import of a package that is not a direct,
locked dependency fails it, naming the file, the line and the package."""

import shutil
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
CHECK = BASE_DIR / ".ci" / "check_imports.py"

PYPROJECT = """
[project]
name = "example"
version = "0"
dependencies = ["Django>=5.2", "celery[redis]>=5.4"]

[project.optional-dependencies]
test = ["pytest>=8"]
types = ["redis>=5"]
"""
LOCK = "django==5.2.19\ncelery==5.7.0\nredis==8.1.0\npytest==9.0.0\n"


def check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, CHECK, "--root", root, "--lock", root / "dev.txt"],
        capture_output=True,
        text=True,
        timeout=60,
    )


def project(tmp_path: Path, code: str, lock: str = LOCK) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "dev.txt").write_text(lock)
    (tmp_path / "programs").mkdir()
    (tmp_path / "programs" / "module.py").write_text(code)
    return tmp_path


def test_the_repository_imports_only_declared_and_locked_packages():
    done = subprocess.run(
        [sys.executable, CHECK], capture_output=True, text=True, timeout=60, cwd=BASE_DIR
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all declared and locked" in done.stdout


def test_a_package_that_only_arrives_through_another_fails_the_check(tmp_path):
    root = project(tmp_path, "import django\n\nfrom redis import Redis\n")
    done = check(root)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "programs/module.py:3: imports 'redis' (redis), not declared in pyproject.toml "
        "[project] dependencies"
    ]


def test_a_declared_package_missing_from_the_lock_fails_the_check(tmp_path):
    root = project(tmp_path, "import celery\n", lock="django==5.2.19\n")
    done = check(root)
    assert done.returncode == 1
    assert "programs/module.py:1: imports 'celery', declared but not pinned in dev.txt" in (
        done.stdout
    )


def test_an_import_nothing_installed_provides_fails_the_check(tmp_path):
    root = project(tmp_path, "import no_such_package_anywhere\n")
    done = check(root)
    assert done.returncode == 1
    assert "imports 'no_such_package_anywhere', which no installed package provides" in (
        done.stdout
    )


def test_the_application_may_not_import_a_test_only_package(tmp_path):
    root = project(tmp_path, "import pytest\n")
    (root / "tests").mkdir()
    shutil.copy(root / "programs" / "module.py", root / "tests" / "test_module.py")
    done = check(root)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "programs/module.py:1: imports 'pytest' (pytest), not declared in pyproject.toml "
        "[project] dependencies"
    ]


def test_standard_library_and_first_party_imports_pass(tmp_path):
    root = project(tmp_path, "import json\nfrom pathlib import Path\nfrom programs import x\n")
    done = check(root)
    assert done.returncode == 0, done.stdout


def test_a_type_checking_import_may_come_from_the_types_extra_and_nowhere_else(tmp_path):
    """Only the type checker reads it, so the ``types`` extra (``make typecheck``) is enough;
    the same import made at run time still fails."""
    typed = "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from redis import Redis\n"
    assert check(project(tmp_path, typed)).returncode == 0

    (tmp_path / "programs" / "module.py").write_text("from redis import Redis\n")
    done = check(tmp_path)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "programs/module.py:1: imports 'redis' (redis), not declared in pyproject.toml "
        "[project] dependencies"
    ]
