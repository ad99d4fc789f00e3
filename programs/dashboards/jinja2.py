"""The Jinja2 environment of the dashboard pages (the templates under `programs/jinja2/`).

The dashboards are rendered by Jinja2, as Zulip renders its pages, because a programme page
prints about a thousand figures: Django's template language spent nearly as long on them as the
database spent on the page's queries, Jinja2's compiled templates about half of that. The admin
keeps Django's templates.

The filters are Django's own, so a figure or a date reads exactly as it did; `default` is
not here because Jinja2's `or` says the same (`{{ x or "—" }}`).
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.timezone import template_localtime
from jinja2 import ChainableUndefined, Environment


def url(name: str, *args: object) -> str:
    """``reverse(name, args=args)``: a programme page links about fifty times, mostly to the
    same few pages, and each reverse walked the URLconf again."""
    if all(type(arg) in (str, int) for arg in args):  # codes and ids: their text is the key
        urlconf = get_urlconf() or settings.ROOT_URLCONF
        return _reversed(get_script_prefix(), urlconf, name, args)
    return reverse(name, args=args)


@functools.lru_cache(maxsize=4096)
def _reversed(prefix: str, urlconf: str, name: str, args: tuple) -> str:
    """A URL as reversed under this script prefix and URLconf (both read per request by
    ``reverse``, so both are in the key)."""
    return reverse(name, args=args, urlconf=urlconf)


def date(value: object, arg: str | None = None) -> str:
    """Django's `date` filter on the value in the current time zone, as Django's templates
    hand it a datetime (they convert it before the filter; Jinja2 does not)."""
    return defaultfilters.date(template_localtime(value), arg)


def whole_percent(value: Decimal | float | int | None) -> str:
    """0.345 -> '34', as Django's `{% widthratio value 1 100 %}`; '' for no value."""
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
