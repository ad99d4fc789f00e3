"""Stateful fuzzing of the API with schemathesis, for at least five minutes (``-m fuzz``).

The live schema gets OpenAPI links from every create to the retrieve, update and delete of the
record it made (by ``id``, or ``code`` for nations and programmes), and from a programme to its
balance report and scan; schemathesis' own dependency analysis adds the links it infers. Its
state machine then chains calls with real ids: create, read, change, delete, read again, with
generated bodies and query strings, as an analyst with a token. No response may be a server
error, and every response must match the schema.

``.ci/run`` runs it; ``make test`` leaves it out (``-m "not fuzz"`` in pyproject.toml).
``FUZZ_SECONDS`` sets the duration (default 300).
"""

import copy
import os
import time

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.wsgi import get_wsgi_application
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, Phase, settings

from programs import data_version
from tests.api.test_schemathesis import CHECKS, analyst_headers, generated_schema

pytestmark = pytest.mark.fuzz

FUZZ_SECONDS = float(os.environ.get("FUZZ_SECONDS", "300"))
LIST_PREFIX = "/api/v1/"


def linked_schema() -> tuple[dict, int]:
    """The served schema with links from each create to the record's own operations."""
    schema = copy.deepcopy(generated_schema())
    paths = schema["paths"]
    links = 0
    for path, operations in paths.items():
        create = operations.get("post")
        if not path.startswith(LIST_PREFIX) or path.count("/") != 4 or create is None:
            continue
        for detail_path, detail_operations in paths.items():
            if not detail_path.startswith(path + "{") or detail_path.count("/") != 5:
                continue
            parameter = detail_path[len(path) + 1 : detail_path.index("}", len(path))]
            created = create["responses"].setdefault("201", {"description": "Created"})
            for method, operation in detail_operations.items():
                name = f"{method}_{operation['operationId']}"
                created.setdefault("links", {})[name] = {
                    "operationId": operation["operationId"],
                    "parameters": {parameter: f"$response.body#/{parameter}"},
                }
                links += 1
    programme = paths["/api/v1/programmes/"]["post"]["responses"]["201"]
    for action in ("balance", "scan"):
        for method, operation in paths[f"/api/v1/programmes/{{code}}/{action}/"].items():
            programme["links"][f"{method}_{operation['operationId']}"] = {
                "operationId": operation["operationId"],
                "parameters": {"code": "$response.body#/code"},
            }
            links += 1
    return schema, links


__all__ = ["analyst_headers"]  # the fixture, shared with the stateless run

SCHEMA, LINKS = linked_schema()
schema = schemathesis.openapi.from_dict(SCHEMA)
schema.app = get_wsgi_application()


def test_the_stateful_schema_links_every_create_to_its_record(analyst_headers):
    assert LINKS >= 40


def test_chained_calls_for_five_minutes_give_no_server_error(analyst_headers):
    calls: dict[str, int] = {}
    statuses: dict[int, int] = {}

    class APIWorkflow(schema.as_state_machine()):
        """Each scenario starts from the same world: its writes are rolled back after it, so
        Hypothesis can replay a failing scenario exactly."""

        def setup(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)
            data_version.bump()  # pages kept under the rolled-back version are gone with it
            super().teardown()

        def get_call_kwargs(self, case):
            return {"headers": analyst_headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            label = f"{case.method} {case.path}"
            calls[label] = calls.get(label, 0) + 1
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            case.validate_response(
                response,
                checks=CHECKS,
                headers=analyst_headers,
                transport_kwargs=kwargs or None,
                recorder=getattr(self, "recorder", None),
            )

    # The throttle's counts live in Redis and outlive each scenario's rollback: past its rate
    # (a few thousand calls in five minutes), replaying a scenario met 429s the first run had
    # not, which Hypothesis reports as a flaky definition. Throttling has tests of its own.
    unthrottled = {
        **django_settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "1000000/minute"},
    }
    began = time.monotonic()
    rounds = 0
    with override_settings(REST_FRAMEWORK=unthrottled):
        while time.monotonic() - began < FUZZ_SECONDS:
            rounds += 1
            APIWorkflow.run(
                settings=settings(
                    max_examples=25,
                    stateful_step_count=12,
                    phases=[Phase.generate],
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                )
            )
    seconds = time.monotonic() - began

    total = sum(calls.values())
    print(
        f"schemathesis stateful: {total} calls in {seconds:.0f} s, {rounds} rounds, "
        f"{len(calls)} operations; statuses {dict(sorted(statuses.items()))}"
    )
    assert seconds >= FUZZ_SECONDS
    assert not [status for status in statuses if status >= 500]
    # Links were followed: records created in a scenario were read, changed or deleted by id.
    assert any(label.endswith("{id}/") or label.endswith("{code}/") for label in calls)
    assert statuses.get(201, 0) > 0 and statuses.get(204, 0) > 0
