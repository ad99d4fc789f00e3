"""The dashboards' Jinja2 environment reads figures and dates exactly as Django's templates
did (programs/dashboards/jinja2.py)."""

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template, engines
from django.urls import set_script_prefix
from django.utils import timezone, translation


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


#: Every format the dashboards print, and others (a format setting's name, escaped letters,
#: other specifiers).
DATE_FORMATS = [
    "j M Y H:i",
    "j M Y, H:i",
    "j M Y",
    "M Y",
    "Y",
    "Y-m-d",
    "c",
    "d/m/Y n j",
    r"\Y\e\a\r Y",
    "D j F Y P",
    "DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "",
]
MOMENTS = [
    datetime.datetime(2026, 1, 31, 20, 30, tzinfo=datetime.UTC),
    datetime.datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=datetime.UTC),  # London's DST
    datetime.datetime(999, 12, 1, 9, 5, tzinfo=datetime.UTC),  # a year of three digits
    datetime.datetime(2026, 5, 3, 7, 4),  # naive
    datetime.date(2024, 3, 5),
]


@pytest.mark.parametrize("language", ["en-gb", "fr", "de"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "Asia/Tokyo"])
@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_every_date_format_reads_as_django_in_any_language_and_time_zone(moment, zone, language):
    with timezone.override(zone), translation.override(language):
        for fmt in DATE_FORMATS:
            try:
                expected = django("{{ d|date:f }}", d=moment, f=fmt)
            except TypeError:  # a time of day asked of a plain date
                with pytest.raises(TypeError, match="time-related format specifiers"):
                    jinja("{{ d|date(f) }}", d=moment, f=fmt)
            else:
                assert jinja("{{ d|date(f) }}", d=moment, f=fmt) == expected, fmt


def test_a_month_is_named_in_the_language_of_the_request():
    moment = datetime.datetime(2026, 2, 3, 10, 0, tzinfo=datetime.UTC)
    with translation.override("fr"):
        assert jinja('{{ d|date("j M Y") }}', d=moment) == "3 Fév 2026"
    with translation.override("en-gb"):
        assert jinja('{{ d|date("j M Y") }}', d=moment) == "3 Feb 2026"


def test_a_time_of_day_on_a_plain_date_fails_as_in_django():
    day = datetime.date(2024, 3, 5)
    with pytest.raises(TypeError, match="time-related format specifiers"):
        django('{{ d|date:"j M Y H:i" }}', d=day)
    with pytest.raises(TypeError, match="time-related format specifiers"):
        jinja('{{ d|date("j M Y H:i") }}', d=day)


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


@pytest.mark.parametrize(
    "value",
    [
        {"hovertemplate": "%{y}<br>%{x}<extra></extra>", "title": "A & B </script>"},
        {"text": ["Fran\u00e7a \u2014 \u65e5\u672c", "<>&"], "z": [[1, None, 2.5]]},
        [Decimal("1.10"), datetime.date(2026, 1, 2)],
        "plain",
    ],
)
@pytest.mark.parametrize("element_id", ["chart-shares-spec", None])
def test_chart_json_is_written_as_django_json_script_writes_it(value, element_id):
    source = "{{ v|json_script(i) }}" if element_id else "{{ v|json_script }}"
    expected = django(
        "{{ v|json_script:i }}" if element_id else "{{ v|json_script }}", v=value, i=element_id
    )
    shown = jinja(source, v=value, i=element_id)
    assert shown == expected
    assert "</script>" not in shown[: -len("</script>")]
