"""The Jinja2 environment of the dashboard pages (the templates under `programs/jinja2/`).

The dashboards are rendered by Jinja2, as Zulip renders its pages, because a programme page
prints about a thousand figures and Django's template language spent nearly as long on them as
the database spent on the page's queries. The admin keeps Django's templates.

The filters are Django's own, so a figure or a date reads exactly as it does in Django's
templates; `default` is not here because Jinja2's `or` says the same (`{{ x or "—" }}`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in the stubs
from jinja2 import ChainableUndefined, Environment


def url(name: str, *args: object) -> str:
    """Django's `{% url name arg ... %}`."""
    return reverse(name, args=args)


def date(value: object, arg: str | None = None) -> str:
    """Django's `date` filter, on the value in the current time zone: Django's templates
    convert a datetime before the filter sees it, Jinja2 does not."""
    return defaultfilters.date(template_localtime(value), arg)


def whole_percent(value: Decimal | float | int | None) -> str:
    """0.345 -> '34', as Django's `{% widthratio value 1 100 %}`; '' for no value."""
    if value is None:
        return ""
    try:
        return str(round(float(value) * 100))
    except (TypeError, ValueError, OverflowError):
        return ""


def environment(**options: Any) -> Environment:
    # Chainable, in production and in DEBUG alike: a missing key or attribute prints nothing,
    # as in Django's templates, even read through (`p.a_to_b.milestones` with no `a_to_b`).
    options["undefined"] = ChainableUndefined
    # Always escaped, whatever OPTIONS say: the pages print analysts' free text.
    options.pop("autoescape", None)
    env = Environment(autoescape=True, **options)
    env.globals.update({"url": url, "static": static})
    env.filters.update(
        {
            "capfirst": defaultfilters.capfirst,
            "date": date,
            "floatformat": defaultfilters.floatformat,
            "json_script": defaultfilters.json_script,
            "pluralize": defaultfilters.pluralize,
            "whole_percent": whole_percent,
        }
    )
    return env
