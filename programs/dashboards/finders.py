"""Where the dashboards' chart library is, and the system check that it was fetched.

Analysts' networks are closed, so the dashboards never load a script from a CDN. Plotly.js's
cartesian bundle (every chart the pages draw: bar, scatter, heat map) comes from the npm
registry at install time (``deploy/fetch-assets.sh``, run by ``make venv`` and the Dockerfile;
version and integrity pinned in ``package-lock.json``) into
``programs/static/dashboards/vendor/plotly.min.js``, a static file like any other: collected,
hashed and served by the app. Nothing is fetched at run time, and nothing is committed.
"""

from __future__ import annotations

from pathlib import Path

from django.core.checks import Error, Tags, register

#: The static path templates use: ``static(PLOTLY_STATIC_PATH)``.
PLOTLY_STATIC_PATH = "dashboards/vendor/plotly.min.js"
PLOTLY_FILE = Path(__file__).resolve().parent.parent / "static" / PLOTLY_STATIC_PATH


@register(Tags.staticfiles)
def check_chart_library(app_configs=None, **kwargs) -> list[Error]:
    if PLOTLY_FILE.is_file():
        return []
    return [
        Error(
            f"The dashboards' chart library is missing ({PLOTLY_FILE}).",
            hint="Fetch it from the npm registry: bash deploy/fetch-assets.sh (make venv does).",
            id="dashboards.E001",
        )
    ]
