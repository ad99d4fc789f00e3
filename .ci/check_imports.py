"""Every package the code imports is declared in pyproject.toml and pinned in the lock files.

A package that only arrives through another one (redis through celery[redis], tablib through
django-import-export) disappears the day that other package stops requiring it. This check
reads every ``import`` of the application (gcaptrack/, programs/, deploy/, manage.py) and of the
tests, maps each top-level module to the installed distribution that provides it, and fails
when that distribution is not a direct dependency in ``pyproject.toml`` (the application's in
``[project] dependencies``; the tests may also use the ``test`` extra) or not pinned in the lock.
An import made only for the type checker (under ``if TYPE_CHECKING:``) may also come from the
``types`` extra, which ``make typecheck`` installs: it never runs.

    python .ci/check_imports.py [--root DIR] [--lock requirements/dev.txt]

Prints one line per problem and exits 1, or prints a one-line summary and exits 0.
"""

from __future__ import annotations

import argparse
import ast
import importlib.metadata
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

#: Where the application's code lives, and which extras besides the main dependencies it may use.
CODE_AREAS = {
    "gcaptrack": (),
    "programs": (),
    "deploy": ("prod",),
    "manage.py": (),
    "tests": ("test", "prod", "stack"),
    ".ci": ("test",),
}
#: Top-level modules of this repository itself.
FIRST_PARTY = {"gcaptrack", "programs", "tests"}
SKIPPED_DIRS = {".venv", "migrations", "__pycache__", "node_modules"}


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them (``Django`` = ``django``, ``a_b`` = ``a-b``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


#: The extra that type-checking-only imports may come from.
TYPES_EXTRA = "types"


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str
    #: Made under ``if TYPE_CHECKING:``: read by the type checker, never run.
    typing_only: bool = False


def python_files(area: Path) -> Iterator[Path]:
    if area.is_file():
        yield area
        return
    for path in sorted(area.rglob("*.py")):
        if not SKIPPED_DIRS.intersection(path.parts):
            yield path


def imports_of(path: Path) -> Iterator[Import]:
    """The absolute imports of one file, by their top-level module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _is_type_checking(node.test)
        for statement in node.body
        for inner in ast.walk(statement)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(
                    path, node.lineno, alias.name.partition(".")[0], id(node) in typing_only
                )
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield Import(path, node.lineno, node.module.partition(".")[0], id(node) in typing_only)


def _is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def declared(pyproject: dict, extras: tuple[str, ...]) -> set[str]:
    """Distributions named in ``[project] dependencies`` and the given extras."""
    project = pyproject["project"]
    requirements = list(project.get("dependencies", []))
    for extra in extras:
        requirements += project.get("optional-dependencies", {}).get(extra, [])
    return {normalise(Requirement(text).name) for text in requirements}


def locked(lock: Path) -> set[str]:
    """Distributions pinned (``name==version``) in a pip-style lock file."""
    pins = set()
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==", line)
        if match:
            pins.add(normalise(match.group(1)))
    return pins


def problems(root: Path, lock: Path) -> tuple[list[str], int]:
    """Every undeclared or unpinned import under ``root``, and how many imports were checked."""
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    pinned = locked(lock)
    providers = importlib.metadata.packages_distributions()
    found: list[str] = []
    checked = 0
    for area, extras in CODE_AREAS.items():
        allowed_at_run_time = declared(pyproject, extras)
        allowed_for_types = declared(pyproject, (*extras, TYPES_EXTRA))
        for path in python_files(root / area):
            for imported in imports_of(path):
                allowed = allowed_for_types if imported.typing_only else allowed_at_run_time
                module = imported.module
                if module in sys.stdlib_module_names or module in FIRST_PARTY:
                    continue
                checked += 1
                where = f"{imported.path.relative_to(root)}:{imported.line}"
                distributions = {normalise(name) for name in providers.get(module, [])}
                if not distributions:
                    found.append(
                        f"{where}: imports {module!r}, which no installed package provides"
                    )
                elif not distributions & allowed:
                    names = ", ".join(sorted(distributions))
                    named = (*extras, TYPES_EXTRA) if imported.typing_only else extras
                    section = "[project] dependencies" + "".join(f" or [{e}]" for e in named)
                    found.append(
                        f"{where}: imports {module!r} ({names}), not declared in pyproject.toml "
                        f"{section}"
                    )
                elif not distributions & allowed & pinned:
                    found.append(
                        f"{where}: imports {module!r}, declared but not pinned in {lock.name}"
                    )
    return found, checked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--lock", type=Path, default=None, help="default: requirements/dev.txt")
    options = parser.parse_args(argv)
    root = options.root.resolve()
    lock = options.lock or root / "requirements" / "dev.txt"
    found, checked = problems(root, lock)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} import(s) of packages not declared and locked", file=sys.stderr)
        return 1
    print(f"imports: {checked} imports of third-party packages, all declared and locked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
