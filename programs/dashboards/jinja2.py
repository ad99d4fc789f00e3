"""The Jinja2 environment of the dashboard pages (the templates under `programs/jinja2/`).

The dashboards are rendered by Jinja2, as Zulip renders its pages, because a programme page
prints about a thousand figures: Django's template language spent nearly as long on them as the
database spent on the page's queries, Jinja2's compiled templates about half of that. The admin
keeps Django's templates.

The filters are Django's own, or (`date`, `floatformat`, `json_script`) faster versions that
tests/test_dashboard_templates.py checks against Django's, so a figure or a date reads exactly
as it did; `default` is not here because Jinja2's `or` says the same (`{{ x or "—" }}`).

A page is rendered in a :class:`RenderScope`: the language, time zone, script prefix and
URLconf of the request, read once when the render starts. Django keeps each in an asgiref
``Local``, 3 µs a read, and the filters read them some two hundred times a programme page;
nothing a template does changes them while it renders. The backend that sets the scope is
:class:`Jinja2` (settings ``TEMPLATES``); rendered outside it (a bare ``Environment``), the
filters read Django's state on every call as before.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, getcontext
from decimal import Context as DecimalContext
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template import defaultfilters
from django.template.backends import jinja2 as django_jinja2
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.dateformat import re_escaped, re_formatchars
from django.utils.dates import MONTHS_3
from django.utils.formats import FORMAT_SETTINGS, get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from jinja2 import ChainableUndefined, Environment


@dataclass(frozen=True)
class RenderScope:
    """What Django's per-request state says while one page renders (see the module's doc)."""

    language: str | None
    time_zone: datetime.tzinfo
    script_prefix: str
    urlconf: str

    @classmethod
    def now(cls) -> RenderScope:
        return cls(
            get_language(),
            timezone.get_current_timezone(),
            get_script_prefix(),
            get_urlconf() or settings.ROOT_URLCONF,
        )


_scope: ContextVar[RenderScope | None] = ContextVar("gcaptrack_render_scope", default=None)


def current_scope() -> RenderScope:
    """The scope of the page being rendered, or Django's state read now outside a render."""
    return _scope.get() or RenderScope.now()


class Template(django_jinja2.Template):
    """Django's Jinja2 template, rendered in a :class:`RenderScope`."""

    def render(self, context=None, request=None) -> str:
        token = _scope.set(RenderScope.now())
        try:
            return super().render(context, request)
        finally:
            _scope.reset(token)


class Jinja2(django_jinja2.Jinja2):
    """Django's Jinja2 backend, whose templates render in a :class:`RenderScope`."""

    def from_string(self, template_code: str) -> Template:
        return Template(super().from_string(template_code).template, self)

    def get_template(self, template_name: str) -> Template:
        return Template(super().get_template(template_name).template, self)


def url(name: str, *args: object) -> str:
    """``reverse(name, args=args)``: a programme page links about fifty times, mostly to the
    same few pages, and each reverse walked the URLconf again."""
    if all(type(arg) in (str, int) for arg in args):  # codes and ids: their text is the key
        scope = current_scope()
        return _reversed(scope.script_prefix, scope.urlconf, name, args)
    return reverse(name, args=args)


@functools.lru_cache(maxsize=4096)
def _reversed(prefix: str, urlconf: str, name: str, args: tuple) -> str:
    """A URL as reversed under this script prefix and URLconf (both read per request by
    ``reverse``, so both are in the key)."""
    return reverse(name, args=args, urlconf=urlconf)


def date(value: Any, arg: str | None = None) -> str:
    """Django's `date` filter on the value in the current time zone, as Django's templates
    hand it a datetime (they convert it before the filter; Jinja2 does not).

    Formats made only of the common specifiers are written out here: Django parses the
    format and builds a formatter on every call (18 µs for "j M Y H:i"), and a programme
    page prints a hundred dates on its flag cards. Any other format, a format setting's name
    (``"DATE_FORMAT"``) or a value that is not a date goes to Django's filter.
    """
    value = _local_time(value)
    if isinstance(value, datetime.date) and isinstance(arg, str) and arg:
        pieces = _date_pieces(arg, isinstance(value, datetime.datetime))
        if pieces is not None:
            return "".join(piece if isinstance(piece, str) else piece(value) for piece in pieces)
    return defaultfilters.date(value, arg)


def _local_time(value: Any) -> Any:
    """``template_localtime(value)``, in the render's time zone."""
    if (
        isinstance(value, datetime.datetime)
        and settings.USE_TZ
        and not timezone.is_naive(value)
        and getattr(value, "convert_to_local_time", True)
    ):
        return timezone.localtime(value, current_scope().time_zone)
    return value


@functools.lru_cache(maxsize=32)
def _month_abbreviations(language: str | None) -> tuple[str, ...]:
    """The month abbreviations (index 1 to 12) as Django's "M" writes them in the language."""
    with translation.override(language):
        return ("", *(MONTHS_3[month].title() for month in range(1, 13)))


#: The specifiers `date` writes out, each as Django's DateFormat writes it.
_DATE_SPECIFIERS: dict[str, Callable[[datetime.date], str]] = {
    "c": lambda d: d.isoformat(),
    "d": lambda d: f"{d.day:02d}",
    "j": lambda d: str(d.day),
    "m": lambda d: f"{d.month:02d}",
    "n": lambda d: str(d.month),
    "M": lambda d: _month_abbreviations(current_scope().language)[d.month],
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


def floatformat(value: object, arg: int | str = -1) -> str:
    """Django's `floatformat`, written out for a Decimal or an integer with a whole number of
    places (``2``, ``-1``, ``"0g"``) where the language writes numbers as English does.

    Django's rounds by rebuilding the digits by hand and looks up three number formats of the
    active language on every call (10–12 µs); a programme page prints fifty of them. The
    rounding is Django's own (half up, at the same precision); anything else (a float, a
    string, ``"2u"``, another language's separators, a value too long to write) goes to
    Django's filter.
    """
    if type(value) is Decimal or type(value) is int:
        places, grouped = _places(arg)
        if places is not None and _plain_numbers(current_scope().language):
            text = _fixed_point(Decimal(value), places, grouped or settings.USE_THOUSAND_SEPARATOR)
            if text is not None:
                return mark_safe(text)  # nosec B308 B703: digits, a sign, "." and ","
    return defaultfilters.floatformat(value, arg)


@functools.lru_cache(maxsize=64)
def _places(arg: int | str) -> tuple[int | None, bool]:
    """The number of places and whether to group, as Django reads `floatformat`'s argument;
    None for what the fast path leaves to Django (no-localisation ``u``, not a number)."""
    if type(arg) is int:
        return arg, False
    if type(arg) is not str or not arg:
        return None, False
    grouped = arg.endswith("g")
    digits = arg[:-1] if grouped else arg
    if "u" in digits:
        return None, False
    try:
        return (int(digits) if digits else -1), grouped
    except ValueError:
        return None, False


@functools.lru_cache(maxsize=64)
def _plain_numbers(language: str | None) -> bool:
    """Whether the language writes 1,234.5 (thousands in threes after commas, a point)."""
    return (
        get_format("DECIMAL_SEPARATOR", language, use_l10n=True) == "."
        and get_format("THOUSAND_SEPARATOR", language, use_l10n=True) == ","
        and get_format("NUMBER_GROUPING", language, use_l10n=True) == 3
    )


def _fixed_point(number: Decimal, places: int, grouped: bool) -> str | None:
    """The number rounded half up to ``abs(places)`` places as Django's floatformat writes it
    (none for a whole number when ``places`` <= 0), or None where Django must do it."""
    _, digits, exponent = number.as_tuple()
    if not isinstance(exponent, int):  # NaN or infinity
        return None
    if len(digits) + abs(exponent) > 200:  # Django writes these as given
        return None
    whole = number == number.to_integral_value()
    if whole and places <= 0:
        rounded = Decimal(int(number))
    else:
        units = len(digits) + (exponent if whole else -exponent)
        precision = max(getcontext().prec, abs(places) + units + 1)
        rounded = number.quantize(
            Decimal(1).scaleb(-abs(places)), ROUND_HALF_UP, DecimalContext(prec=precision)
        )
        if not rounded:
            rounded = rounded.copy_abs()  # Django writes no sign on a zero
    return format(rounded, ",f" if grouped else "f")


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
            "floatformat": floatformat,
            "json_script": json_script,
            "pluralize": defaultfilters.pluralize,
            "whole_percent": whole_percent,
        }
    )
    return env
