"""The dashboards' Jinja2 environment reads figures and dates exactly as Django's templates
did (programs/dashboards/jinja2.py)."""

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template, engines
from django.urls import set_script_prefix
from django.utils import timezone


def jinja(source: str, **context) -> str:
    return engines["jinja2"].from_string(source).render(context)


def django(source: str, **context) -> str:
    return Template(source).render(Context(context))


@pytest.mark.parametrize(
    "value",
    [
        Decimal("0.345"),
        Decimal("0.125"),
        Decimal("0.135"),
        0.5,
        0.005,
        1,
        0,
        Decimal("1.2"),
        None,
        "",
        "not a number",
    ],
)
def test_whole_percent_reads_as_django_widthratio(value):
    assert jinja("{{ v|whole_percent }}", v=value) == django("{% widthratio v 1 100 %}", v=value)


@pytest.mark.parametrize("fmt", ["j M Y H:i", "c", "Y", "Y-m-d"])
def test_dates_are_shown_in_the_current_time_zone_as_in_django_templates(fmt):
    moment = datetime.datetime(2026, 1, 31, 20, 30, tzinfo=datetime.UTC)
    with timezone.override("Asia/Tokyo"):
        shown = jinja("{{ d|date(f) }}", d=moment, f=fmt)
        assert shown == django("{{ d|date:f }}", d=moment, f=fmt)
    if fmt == "Y-m-d":
        assert shown == "2026-02-01"  # already the next day in Tokyo


def test_a_plain_date_and_no_date_read_as_in_django_templates():
    day = datetime.date(2024, 3, 5)
    assert jinja('{{ d|date("j M Y") }}', d=day) == django('{{ d|date:"j M Y" }}', d=day)
    assert jinja('{{ d|date("Y") or "—" }}', d=None) == "—"


@pytest.mark.parametrize("arg", ["0g", 2, 0, 3])
@pytest.mark.parametrize("value", [Decimal("1234567.891"), 0.5, None, Decimal("0")])
def test_numbers_read_as_django_floatformat(value, arg):
    assert jinja("{{ v|floatformat(a) }}", v=value, a=arg) == django(
        "{{ v|floatformat:a }}", v=value, a=arg
    )


def test_a_missing_value_prints_nothing_even_read_through():
    page = {"charts": {}, "row": None}
    assert jinja("[{{ page.charts.agreement }}]", page=page) == "[]"
    assert jinja("[{{ page.missing.deeper.still }}]", page=page) == "[]"
    assert jinja("{{ page.row.milestones or 0 }}", page=page) == "0"


def test_text_is_escaped():
    assert jinja("{{ t }}", t="<b>A & B</b>") == "&lt;b&gt;A &amp; B&lt;/b&gt;"


def test_url_links_as_django_url_under_any_script_prefix():
    source = "{{ url('dashboards:programme', code) }} {{ url('dashboards:acknowledge', 7) }}"
    expected = django(
        "{% url 'dashboards:programme' code %} {% url 'dashboards:acknowledge' 7 %}", code="GCAP"
    )
    assert jinja(source, code="GCAP") == expected == "/programmes/GCAP/ /flags/7/acknowledge/"
    try:
        set_script_prefix("/gcaptrack/")  # served under a sub-path
        assert (
            jinja(source, code="GCAP")
            == "/gcaptrack/programmes/GCAP/ /gcaptrack/flags/7/acknowledge/"
        )
        assert jinja(source, code="F-X") == django(
            "{% url 'dashboards:programme' code %} {% url 'dashboards:acknowledge' 7 %}",
            code="F-X",
        )
    finally:
        set_script_prefix("/")
    assert jinja(source, code="GCAP") == expected
