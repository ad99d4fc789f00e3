"""Serves the Plotly.js bundle that ships inside the ``plotly`` Python package as a static file.

Analysts' networks are closed, so the dashboards never load a script from a CDN. The finder
makes ``dashboards/vendor/plotly.min.js`` a static file like any other: ``runserver`` and the
test live server serve it through the staticfiles finders, and ``collectstatic`` copies it
into STATIC_ROOT for the web server in production. Upgrading the ``plotly`` package upgrades
the chart library; nothing is vendored into the repository.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage
from django.utils.functional import cached_property

PLOTLY_PREFIX = "dashboards/vendor"
PLOTLY_FILE = "plotly.min.js"
#: The static path templates use: ``{% static PLOTLY_STATIC_PATH %}``.
PLOTLY_STATIC_PATH = f"{PLOTLY_PREFIX}/{PLOTLY_FILE}"


def plotly_package_data() -> Path | None:
    """The directory holding plotly.min.js in the installed ``plotly`` package, if any."""
    try:
        import plotly
    except ImportError:
        return None
    directory = Path(plotly.__file__).resolve().parent / "package_data"
    return directory if (directory / PLOTLY_FILE).is_file() else None


class PlotlyFinder(BaseFinder):
    """A staticfiles finder for the one file ``dashboards/vendor/plotly.min.js``."""

    @cached_property
    def storage(self) -> FileSystemStorage | None:
        directory = plotly_package_data()
        if directory is None:
            return None
        storage = FileSystemStorage(location=str(directory))
        # collectstatic puts a listed file at storage.prefix / path.
        storage.prefix = PLOTLY_PREFIX
        return storage

    def check(self, **kwargs) -> list[Error]:
        if self.storage is None:
            return [
                Error(
                    "The plotly package (which ships plotly.min.js) is not installed.",
                    hint="Install the project's dependencies: pip install -e .",
                    id="dashboards.E001",
                )
            ]
        return []

    def find(self, path: str, find_all: bool = False, **kwargs) -> str | list[str]:
        # Django 5.2 still passes the deprecated ``all`` keyword from some callers.
        find_all = find_all or kwargs.get("all", False)
        if path != PLOTLY_STATIC_PATH or self.storage is None:
            return [] if find_all else ""
        found = self.storage.path(PLOTLY_FILE)
        return [found] if find_all else found

    def list(self, ignore_patterns):
        if self.storage is not None:
            yield PLOTLY_FILE, self.storage
