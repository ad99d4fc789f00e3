"""Fuzzing the input bounds on every endpoint that takes them (issue 18, Deliver 5).

The operations come from the live OpenAPI schema: every operation with a JSON body gets nested
documents of any depth, every date or date-time query parameter and body field gets days from
year 1 to 9999, and threshold overrides get any number through the admin. Each test prints how
many cases it tried. Nothing may answer 500; what is out of range is a 400 naming the field.
"""

import datetime
import json
import re
from decimal import Decimal

import pytest
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from programs.balance.scan import scan_programme
from programs.balance.thresholds import RULE_DEFAULTS
from programs.models import ThresholdOverride
from tests import factories
from tests.admin_helpers import admin_url, https_client
from tests.api.resources import own_records

pytestmark = pytest.mark.django_db

DAY_OUT_OF_RANGE = "Enter a date between 1900-01-01 and 2200-12-31."
#: Every request over HTTPS, and every write with a change reason (required for balance records).
HTTPS = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_CHANGE_REASON": "input fuzz"}
#: Generated cases per operation, parameter or field (every one of them is fuzzed).
FUZZ = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SCHEMA = SchemaGenerator().get_schema(request=None, public=True)


def _component(operation: dict) -> dict:
    """The body's schema: a component it refers to, or the schema written inline (a what-if
    draft is a free-form document)."""
    content = operation["requestBody"]["content"]
    schema = next(iter(content.values()))["schema"]
    if "$ref" not in schema:
        return schema
    return SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]


def _date_format(prop: dict) -> str | None:
    return prop.get("format") if prop.get("format") in ("date", "date-time") else None


OPERATIONS = [
    (method.upper(), path, operation)
    for path, methods in SCHEMA["paths"].items()
    for method, operation in methods.items()
]
#: (method, path) of every operation with a JSON body.
BODY_OPERATIONS = [(m, p) for m, p, op in OPERATIONS if "requestBody" in op]
#: (path, parameter, format) of every date or date-time query parameter.
DATE_PARAMETERS = [
    (m, p, parameter["name"], _date_format(parameter["schema"]))
    for m, p, op in OPERATIONS
    for parameter in op.get("parameters", [])
    if parameter["in"] == "query" and _date_format(parameter.get("schema", {}))
]
#: (method, path, field, format) of every writable date or date-time body field.
DATE_FIELDS = [
    (m, p, name, _date_format(prop))
    for m, p, op in OPERATIONS
    if "requestBody" in op
    for name, prop in _component(op).get("properties", {}).items()
    if _date_format(prop) and not prop.get("readOnly")
]


def test_the_schema_has_what_the_fuzzers_cover():
    assert len(BODY_OPERATIONS) >= 39
    assert {path for _, path, _, _ in DATE_PARAMETERS} >= {
        "/api/v1/programmes/{code}/balance/",
        "/api/v1/flags/",
    }
    assert ("POST", "/api/v1/programmes/{code}/scan/", "as_of", "date") in DATE_FIELDS
    assert ("POST", "/api/v1/tokens/", "expires_at", "date-time") in DATE_FIELDS


@pytest.fixture
def api_client(world, analyst):
    """The analyst, with a record of each resource that is a user's own (a saved what-if
    draft, a subscription and its webhook), so every detail path has a record to fill it."""
    factories.WhatIfDraftFactory(author=analyst)
    own_records(analyst)
    return https_client(analyst)


def concrete(client, path: str) -> str:
    """The path with ``{id}`` or ``{code}`` filled from the first record its list shows."""
    match = re.search(r"\{(\w+)\}", path)
    if not match:
        return path
    listing = client.get(path[: match.start()], **HTTPS).json()
    first = (listing["results"] if isinstance(listing, dict) else listing)[0]
    return path.replace(match.group(0), str(first[match.group(1)]), 1)


def send(client, method: str, path: str, body: str):
    return client.generic(method, path, body, content_type="application/json", **HTTPS)


def nested(depth: int, shape: str) -> str:
    if shape == "arrays":
        return "[" * depth + "]" * depth
    return '{"source": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


SHAPES = ["arrays", "field"]
days = st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31))
EDGES = [datetime.date(1899, 12, 31), datetime.date(1900, 1, 1), datetime.date(2201, 1, 1)]


def in_range(day: datetime.date) -> bool:
    return datetime.date(1900, 1, 1) <= day <= datetime.date(2200, 12, 31)


def as_text(day: datetime.date, fmt: str) -> str:
    return day.isoformat() if fmt == "date" else f"{day.isoformat()}T12:00:00Z"


def json_cases(client, tried: list, method: str, path: str):
    url = concrete(client, path)

    @FUZZ
    @given(depth=st.integers(min_value=1, max_value=5000), shape=st.sampled_from(SHAPES))
    @example(depth=32, shape="arrays")
    @example(depth=33, shape="field")
    def case(depth, shape):
        response = send(client, method, url, nested(depth, shape))
        tried.append((method, path))
        assert response.status_code < 500, (method, path, depth, response.content[:300])
        if depth > 32:
            assert response.status_code == 400
            assert "nested too deeply" in response.json()["detail"]

    return case


def test_json_of_any_depth_on_every_body_operation_is_never_a_server_error(api_client):
    tried = []
    for method, path in BODY_OPERATIONS:
        json_cases(api_client, tried, method, path)()
    print(f"JSON depth: {len(tried)} cases over {len(set(tried))} body operations")
    assert set(tried) == set(BODY_OPERATIONS)


#: The body sent with a day in the query string of an operation that is not a GET: a draft
#: that changes nothing (the what-if evaluation and a saved draft's run read no other body).
EMPTY_DRAFT = json.dumps({"format": "gcaptrack-scenario/1"})


def query_day_cases(client, tried: list, method: str, path: str, name: str, fmt: str):
    url = concrete(client, path)

    @FUZZ
    @given(day=days)
    @example(day=EDGES[0])
    @example(day=EDGES[1])
    @example(day=EDGES[2])
    def case(day):
        query = f"{url}?{name}={as_text(day, fmt)}"
        if method == "GET":
            response = client.get(query, **HTTPS)
        else:
            response = send(client, method, query, EMPTY_DRAFT)
        tried.append((method, path, name))
        if in_range(day):
            assert response.status_code == 200, (path, name, day, response.content[:300])
        else:
            assert response.status_code == 400, (path, name, day)
            assert response.json() == {name: [DAY_OUT_OF_RANGE]}

    return case


def test_any_day_in_every_date_query_parameter_is_200_or_a_400_naming_it(api_client):
    tried = []
    for method, path, name, fmt in DATE_PARAMETERS:
        query_day_cases(api_client, tried, method, path, name, fmt)()
    print(f"date parameters: {len(tried)} cases over {len(set(tried))} query parameters")
    assert len(set(tried)) == len(DATE_PARAMETERS)


def body_day_cases(client, tried: list, method: str, path: str, name: str, fmt: str):
    url = concrete(client, path)

    @FUZZ
    @given(day=days)
    @example(day=EDGES[0])
    @example(day=EDGES[2])
    def case(day):
        response = send(client, method, url, json.dumps({name: as_text(day, fmt)}))
        tried.append((method, path, name))
        assert response.status_code < 500, (method, path, name, day, response.content[:300])
        errors = response.json() if response.status_code == 400 else {}
        if in_range(day):
            assert DAY_OUT_OF_RANGE not in errors.get(name, []), (method, path, name, day)
        else:
            assert errors.get(name) == [DAY_OUT_OF_RANGE], (method, path, name, day, errors)

    return case


def test_any_day_in_every_date_body_field_is_refused_on_that_field_when_out_of_range(
    api_client,
):
    tried = []
    for method, path, name, fmt in DATE_FIELDS:
        body_day_cases(api_client, tried, method, path, name, fmt)()
    print(f"date body fields: {len(tried)} cases over {len(set(tried))} fields")
    assert len(set(tried)) == len(DATE_FIELDS)


PARAMETERS = [(rule, name) for rule, names in RULE_DEFAULTS.items() for name in names]
threshold_values = st.one_of(
    st.integers(min_value=-(10**8), max_value=10**8),
    st.decimals(min_value=-1000, max_value=10**8, places=4, allow_nan=False),
    st.sampled_from(["1e400", "NaN", "-0", "36525", "36526", "99999999", "0.5", "1.0001"]),
)


def test_any_threshold_value_is_refused_on_the_field_or_works_on_page_and_scan(world, analyst):
    """Either the admin refuses the value on ``value``, or the programme page and a scan
    work with it: an accepted threshold never breaks what uses it."""
    client = https_client(analyst)
    programme = world.programme
    outcomes = {"refused": 0, "saved": 0}

    @settings(
        max_examples=80,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(parameter=st.sampled_from(PARAMETERS), value=threshold_values)
    @example(parameter=("tech_transfer_overdue", "overdue_days"), value="99999999")
    @example(parameter=("outvoted", "consecutive_scans"), value="0")
    def case(parameter, value):
        rule, name = parameter
        form = {
            "programme": programme.pk,
            "rule": rule,
            "parameter": name,
            "value": str(value),
            "source": "",
            "confidence": "illustrative",
        }
        response = client.post(admin_url(ThresholdOverride, "add"), form)
        if response.status_code == 200:
            errors = response.context["adminform"].form.errors
            assert set(errors) == {"value"}, (parameter, value, errors)
            outcomes["refused"] += 1
            return
        assert response.status_code == 302, (parameter, value)
        outcomes["saved"] += 1
        assert Decimal(str(value)) >= 0
        page = client.get(f"/programmes/{programme.code}/", **HTTPS)
        assert page.status_code == 200, (parameter, value)
        scan_programme(programme.code)
        ThresholdOverride.objects.all().delete()

    case()
    print(f"thresholds: {sum(outcomes.values())} cases, {outcomes}")
    assert outcomes["refused"] and outcomes["saved"]
