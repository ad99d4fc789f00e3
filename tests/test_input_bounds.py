"""Absurd input is refused where it comes in, naming the field, and changes nothing (issue 18,
defect 6): nested JSON, days out of range, threshold values, deep YAML, out-of-range options.

Each of these answered 500 (or printed a traceback) before: ``RecursionError`` in the JSON
parser and YAML composer, ``OverflowError`` in day arithmetic.
"""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from programs.models import Contribution, Programme, ScenarioLoad, ThresholdOverride
from tests import factories
from tests.admin_helpers import admin_url, https_client, programme_with_partners

pytestmark = pytest.mark.django_db

#: Over HTTPS, and every write with a change reason (balance records require one).
HTTPS = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_CHANGE_REASON": "input bounds"}
DAY_OUT_OF_RANGE = "Enter a date between 1900-01-01 and 2200-12-31."
DEEP_JSON = "[" * 1000 + "]" * 1000


@pytest.fixture
def api_client(analyst):
    return https_client(analyst)


def post_json(client, path: str, body: str):
    return client.post(path, body, content_type="application/json", **HTTPS)


def test_a_body_of_a_thousand_nested_arrays_is_400_not_500(api_client):
    response = post_json(api_client, "/api/v1/contributions/", DEEP_JSON)

    assert response.status_code == 400, response.content[:300]
    assert "nested too deeply" in response.json()["detail"]


def test_a_record_nested_past_the_limit_is_400_and_writes_nothing(api_client, settings):
    settings.INPUT_MAX_NESTING = 4
    programme, _ = programme_with_partners()
    body = {"programme": programme.code, "nation": "AAA", "period_start": "2024-01-01"}
    body["source"] = [[[[["too deep"]]]]]

    response = post_json(api_client, "/api/v1/contributions/", json.dumps(body))

    assert response.status_code == 400
    assert "more than 4 levels" in response.json()["detail"]
    assert not Contribution.objects.exists()


def test_a_record_dated_year_one_is_refused_naming_the_field(api_client):
    programme, _ = programme_with_partners()
    body = {
        "programme": programme.code,
        "nation": "AAA",
        "period_start": "0001-01-01",
        "amount": "1000",
    }

    response = post_json(api_client, "/api/v1/contributions/", json.dumps(body))

    assert response.status_code == 400
    assert response.json() == {"period_start": [DAY_OUT_OF_RANGE]}
    assert not Contribution.objects.exists()


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01"])
def test_the_balance_report_as_of_a_day_out_of_range_is_400_naming_as_of(api_client, as_of):
    programme, _ = programme_with_partners()

    response = api_client.get(
        f"/api/v1/programmes/{programme.code}/balance/?as_of={as_of}", **HTTPS
    )

    assert response.status_code == 400
    assert response.json() == {"as_of": [DAY_OUT_OF_RANGE]}


def test_the_balance_report_on_the_first_and_last_days_in_range_is_200(api_client):
    programme, _ = programme_with_partners()
    for as_of in ("1900-01-01", "2200-12-31"):
        response = api_client.get(
            f"/api/v1/programmes/{programme.code}/balance/?as_of={as_of}", **HTTPS
        )
        assert response.status_code == 200, (as_of, response.content[:300])
        assert response.json()["as_of"] == as_of


def test_a_scan_as_of_a_day_out_of_range_is_400_naming_as_of(api_client):
    programme, _ = programme_with_partners()

    response = post_json(
        api_client, f"/api/v1/programmes/{programme.code}/scan/", '{"as_of": "0001-01-01"}'
    )

    assert response.status_code == 400
    assert response.json() == {"as_of": [DAY_OUT_OF_RANGE]}


@pytest.mark.parametrize(
    "query",
    ["period_start_after=0001-01-01", "period_start_before=9999-12-31"],
)
def test_a_date_filter_out_of_range_is_400_naming_the_filter(api_client, query):
    response = api_client.get(f"/api/v1/contributions/?{query}", **HTTPS)

    assert response.status_code == 400
    assert response.json() == {query.split("=")[0]: [DAY_OUT_OF_RANGE]}


def test_a_flag_time_filter_out_of_range_is_400_naming_the_filter(api_client):
    response = api_client.get("/api/v1/flags/?last_seen_after=0001-01-01T00:00:00Z", **HTTPS)

    assert response.status_code == 400
    assert response.json() == {"last_seen_after": [DAY_OUT_OF_RANGE]}


def test_a_flag_time_with_an_offset_no_place_keeps_is_400_naming_the_filter(api_client):
    """Schemathesis found it: Python reads a -19:14 offset, PostgreSQL refuses it (a 500)."""
    response = api_client.get(
        "/api/v1/flags/", {"last_seen_after": "2026-02-13T19:35:40-19:14"}, **HTTPS
    )

    assert response.status_code == 400
    assert response.json() == {
        "last_seen_after": ["Enter a time with a UTC offset between -14:00 and +14:00."]
    }
    kiribati = api_client.get(
        "/api/v1/flags/", {"last_seen_after": "2026-02-13T19:35:40+14:00"}, **HTTPS
    )
    assert kiribati.status_code == 200


def test_the_programme_page_as_of_year_one_shows_today_with_a_message(analyst):
    programme, _ = programme_with_partners()
    client = https_client(analyst)

    response = client.get(
        reverse("dashboards:programme", args=[programme.code]) + "?as_of=0001-01-01"
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "as_of: &#39;0001-01-01&#39; is out of range." in page or (
        "as_of: &#x27;0001-01-01&#x27; is out of range." in page
    )
    assert datetime.date.today().isoformat() in page


def test_a_token_expiring_in_the_past_is_refused_on_the_field_without_the_constraint_name(
    api_client,
):
    past = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)).isoformat()

    response = post_json(
        api_client, "/api/v1/tokens/", json.dumps({"name": "late", "expires_at": past})
    )

    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["expires_at"]
    assert "in the future" in body["expires_at"][0]
    assert "api_token_expires_after_creation" not in response.content.decode()


def threshold_form(programme: Programme, parameter: str, value: str, rule: str) -> dict:
    return {
        "programme": programme.pk,
        "rule": rule,
        "parameter": parameter,
        "value": value,
        "source": "",
        "confidence": "illustrative",
    }


@pytest.mark.parametrize(
    ("rule", "parameter", "value", "message"),
    [
        (
            "tech_transfer_overdue",
            "overdue_days",
            "99999999",
            "A number of days (up to 100 years) is a whole number from 0 to 36525.",
        ),
        ("tech_transfer_overdue", "overdue_days", "1.5", "is a whole number"),
        ("outvoted", "warning", "1.5", "A share or rate is a number from 0 to 1."),
        ("workshare_return", "consecutive_scans", "0", "A number of scans is a whole number"),
        ("outvoted", "min_counted_votes", "2.5", "A count is a whole number from 0 to 10000."),
    ],
)
def test_a_threshold_out_of_its_parameter_range_is_refused_in_the_admin(
    analyst, rule, parameter, value, message
):
    programme, _ = programme_with_partners()
    client = https_client(analyst)

    response = client.post(
        admin_url(ThresholdOverride, "add"), threshold_form(programme, parameter, value, rule)
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors["value"]), errors
    assert not ThresholdOverride.objects.exists()


def test_a_threshold_within_its_range_is_saved_and_used_by_the_programme_page(analyst):
    programme, _ = programme_with_partners()
    client = https_client(analyst)

    response = client.post(
        admin_url(ThresholdOverride, "add"),
        threshold_form(programme, "overdue_days", "36525", "tech_transfer_overdue"),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    page = client.get(reverse("dashboards:programme", args=[programme.code]))
    assert page.status_code == 200


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_load_scenario_refuses_a_20000_deep_yaml_list_in_one_line(tmp_path):
    path = write(tmp_path, "deep.yaml", "format: gcaptrack-scenario/1\nnations: " + "[" * 20000)

    with pytest.raises(CommandError) as refused:
        call_command("load_scenario", path, stdout=io.StringIO(), stderr=io.StringIO())

    message = str(refused.value)
    assert "nested too deeply" in message
    assert "Traceback" not in message and "RecursionError" not in message
    assert not ScenarioLoad.objects.exists()


def test_load_scenario_refuses_a_document_nested_past_the_limit(tmp_path, settings):
    settings.INPUT_MAX_NESTING = 5
    path = write(
        tmp_path,
        "nested.yaml",
        "format: gcaptrack-scenario/1\nnations:\n"
        "  - {code: AAA, name: Avalon, source: [[[[[deep]]]]]}\n",
    )

    with pytest.raises(CommandError) as refused:
        call_command("load_scenario", path, stdout=io.StringIO(), stderr=io.StringIO())

    assert "nested too deeply (more than 5 levels)" in str(refused.value)


def test_load_scenario_refuses_a_self_referencing_alias(tmp_path):
    path = write(tmp_path, "loop.yaml", "format: gcaptrack-scenario/1\nnations: &loop [*loop]\n")

    with pytest.raises(CommandError) as refused:
        call_command("load_scenario", path, stdout=io.StringIO(), stderr=io.StringIO())

    assert "nested too deeply" in str(refused.value)


def test_load_scenario_refuses_a_record_dated_year_one_naming_the_field(tmp_path):
    factories.NationFactory(code="AAA")
    path = write(
        tmp_path,
        "old.yaml",
        "format: gcaptrack-scenario/1\n"
        "programmes:\n  - {code: OLD, name: Old, currency: GBP, started_on: 0001-01-01}\n",
    )

    with pytest.raises(CommandError) as refused:
        call_command("load_scenario", path, stdout=io.StringIO(), stderr=io.StringIO())

    assert f"started_on: {DAY_OUT_OF_RANGE}" in str(refused.value)
    assert not Programme.objects.filter(code="OLD").exists()


def test_scan_as_of_year_one_exits_with_a_one_line_reason():
    with pytest.raises(CommandError) as refused:
        call_command("scan", "--as-of", "0001-01-01", stdout=io.StringIO())

    assert str(refused.value) == f"--as-of '0001-01-01' is out of range. {DAY_OUT_OF_RANGE}"


def test_every_default_threshold_has_bounds_of_its_own_and_lies_within_them():
    from programs.balance.threshold_bounds import FALLBACK, bounds_of
    from programs.balance.thresholds import RULE_DEFAULTS

    for rule, parameters in RULE_DEFAULTS.items():
        for parameter, default in parameters.items():
            bounds = bounds_of(rule, parameter)
            assert bounds is not FALLBACK, f"{rule}.{parameter} has no bounds of its own"
            assert bounds.error(default) is None, f"{rule}.{parameter} default {default}"
