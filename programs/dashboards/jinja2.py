"""The Jinja2 environment of the dashboard pages (the templates under `programs/jinja2/`).

The dashboards are rendered by Jinja2, as Zulip renders its pages, because a programme page
prints about a thousand figures: Django's template language spent nearly as long on them as the
database spent on the page's queries, Jinja2's compiled templates about half of that. The admin
keeps Django's templates.

The filters are Django's own, or (`date`, `json_script`) faster versions that
tests/test_dashboard_templates.py checks against Django's, so a figure or a date reads exactly
as it did; `default` is not here because Jinja2's `or` says the same (`{{ x or "—" }}`).
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.dateformat import re_escaped, re_formatchars
from django.utils.dates import MONTHS_3
from django.utils.formats import FORMAT_SETTINGS
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
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
    hand it a datetime (they convert it before the filter; Jinja2 does not).

    Formats made only of the common specifiers are written out here: Django parses the
    format and builds a formatter on every call (18 µs for "j M Y H:i"), and a programme
    page prints a hundred dates on its flag cards. Any other format, a format setting's name
    (``"DATE_FORMAT"``) or a value that is not a date goes to Django's filter.
    """
    value = template_localtime(value)
    if isinstance(value, datetime.date) and isinstance(arg, str) and arg:
        pieces = _date_pieces(arg, isinstance(value, datetime.datetime))
        if pieces is not None:
            return "".join(piece if type(piece) is str else piece(value) for piece in pieces)
    return defaultfilters.date(value, arg)


#: The specifiers `date` writes out, each as Django's DateFormat writes it.
_DATE_SPECIFIERS: dict[str, Callable[[datetime.date], str]] = {
    "c": lambda d: d.isoformat(),
    "d": lambda d: f"{d.day:02d}",
    "j": lambda d: str(d.day),
    "m": lambda d: f"{d.month:02d}",
    "n": lambda d: str(d.month),
    "M": lambda d: MONTHS_3[d.month].title(),  # translated when called
    "Y": lambda d: f"{d.year:04d}",
    "H": lambda d: f"{d.hour:02d}",  # type: ignore[attr-defined]
    "i": lambda d: f"{d.minute:02d}",  # type: ignore[attr-defined]
}
_TIME_SPECIFIERS = {"H", "i"}


@functools.lru_cache(maxsize=256)
def _date_pieces(
    format_string: str, has_time: bool
) -> tuple[str | Callable[[datetime.date], str], ...] | None:
    """The format as literal text and specifier functions, or None where Django must do it
    (a format setting's name, another specifier, a time specifier on a plain date)."""
    if format_string in FORMAT_SETTINGS:
        return None
    pieces: list[str | Callable[[datetime.date], str]] = []
    for i, piece in enumerate(re_formatchars.split(format_string)):
        if i % 2:
            if piece not in _DATE_SPECIFIERS or (piece in _TIME_SPECIFIERS and not has_time):
                return None
            pieces.append(_DATE_SPECIFIERS[piece])
        elif piece:
            pieces.append(re_escaped.sub(r"\1", piece))
    return tuple(pieces)


#: What Django's `json_script` escapes, so the JSON cannot close its script element.
_JSON_SCRIPT_ESCAPES = (("&", "\\u0026"), ("<", "\\u003C"), (">", "\\u003E"))


def json_script(value: object, element_id: str | None = None) -> SafeString:
    """Django's `json_script`, escaping with ``str.replace``: Django's ``str.translate``
    leaves its fast path at the first ``<`` (every chart's hover text has a ``<br>``) and
    took 35–90 µs a chart."""
    text = json.dumps(value, cls=DjangoJSONEncoder)
    for char, escaped in _JSON_SCRIPT_ESCAPES:
        text = text.replace(char, escaped)
    script_id = f' id="{escape(element_id)}"' if element_id else ""
    # Safe by construction, as in Django's: the id is escaped, and JSON without a raw <, >
    # or & can neither close the element nor open another.
    return mark_safe(f'<script{script_id} type="application/json">{text}</script>')  # nosec B308 B703


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
            "json_script": json_script,
            "pluralize": defaultfilters.pluralize,
            "whole_percent": whole_percent,
        }
    )
    return env
