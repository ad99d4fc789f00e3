"""Property-based fuzzing of every operation of the live OpenAPI schema (schemathesis).

The schema is the one the application serves at /api/v1/schema/ (to signed-in users only),
and the requests go through the application's WSGI handler; each operation gets a bounded number of generated requests, sent as an analyst with a token, and
every response must be no server error and match the schema: status code, content type,
headers and body.
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from programs.api.tokens import issue_token

HTTPS = {"X-Forwarded-Proto": "https"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

#: The host name schemathesis' WSGI client sends.
HOST = "localhost"


def generated_schema() -> dict:
    """The schema exactly as /api/v1/schema/?format=json serves it to a signed-in user.

    Built at import time, where there is no database for a user to sign in with (schemathesis'
    lazy from_fixture loading does not run under pytest 9);
    ``test_the_served_schema_is_the_one_fuzzed`` checks that the endpoint serves this.
    """
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


schema = schemathesis.openapi.from_dict(generated_schema())
schema.app = get_wsgi_application()
schema.location = "/api/v1/schema/?format=json"


def test_the_served_schema_is_the_one_fuzzed(analyst_headers, client):
    response = client.get(
        "/api/v1/schema/?format=json",
        headers={
            "host": HOST,
            "x-forwarded-proto": "https",
            "authorization": analyst_headers["Authorization"],
        },
    )
    assert response.status_code == 200
    assert json.loads(response.content) == generated_schema()


@pytest.fixture
def analyst_headers(world, analyst_user, settings):
    """An analyst's token on a small world; the WSGI requests share the test's transaction."""
    settings.ALLOWED_HOSTS = [HOST]
    _, key = issue_token(analyst_user, "schemathesis")
    # Django's own test client does the same: the handler must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {**HTTPS, "Authorization": f"Bearer {key}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=15,
    # Random generation only: schemathesis' coverage phase (tied to Hypothesis' explicit
    # phase) sends dozens of boundary cases per operation and would take minutes here.
    phases=[Phase.generate],
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, analyst_headers):
    case.call_and_validate(headers=analyst_headers, checks=CHECKS)
