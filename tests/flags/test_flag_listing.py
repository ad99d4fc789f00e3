"""The API, the flags page and the ``flags`` command list the same flags, in the same JSON
shape, for the same user and filters, each in a number of queries that does not grow with the
flags."""

import datetime
import io
import json
import re
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from programs.api.tokens import issue_token
from programs.flags.selectors import visible_flags
from programs.models import Flag, FlagEvent, Nation
from programs.webhooks import event_payload
from tests import factories

NOW = datetime.datetime(2026, 6, 30, 12, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


def flag(programme, nation, *, counterparts=(), minutes_ago=0, **fields) -> Flag:
    seen = NOW - datetime.timedelta(minutes=minutes_ago)
    raised = factories.FlagFactory(
        programme=programme, nation=nation, first_seen_at=seen, last_seen_at=seen, **fields
    )
    raised.counterparts.set(counterparts)
    return raised


@pytest.fixture
def world(db):
    """GCAP (pounds) with the UK, Italy and Japan, which Japan sees in full; FCAS (euros) with
    France and Germany, hidden from Japan; flags of every status, and a cross-programme flag
    in each currency, seen a minute apart."""
    nations = {
        code: factories.NationFactory(code=code, name=name)
        for code, name in [
            ("GBR", "United Kingdom"),
            ("ITA", "Italy"),
            ("JPN", "Japan"),
            ("FRA", "France"),
            ("DEU", "Germany"),
        ]
    }
    gcap = factories.ProgrammeFactory(code="GCAP", currency="GBP")
    fcas = factories.ProgrammeFactory(code="FCAS", currency="EUR")
    for code in ("GBR", "ITA", "JPN"):
        factories.ParticipationFactory(programme=gcap, nation=nations[code])
    for code in ("FRA", "DEU"):
        factories.ParticipationFactory(programme=fcas, nation=nations[code])
    analyst = factories.UserFactory(username="ana", groups=["analyst"])
    japanese = factories.UserFactory(username="jun", groups=["analyst"])
    factories.ClearanceFactory(user=japanese, nation=nations["JPN"])
    flags = {
        "sidelined": flag(
            gcap,
            nations["JPN"],
            rule="bloc_sidelining",
            severity="critical",
            counterparts=[nations["ITA"], nations["GBR"]],
            minutes_ago=1,
        ),
        "acknowledged": flag(
            gcap,
            nations["ITA"],
            status="acknowledged",
            acknowledged_by=analyst,
            acknowledged_at=NOW,
            note="Known: the offset deal lands next year.",
            minutes_ago=2,
        ),
        "resolved": flag(
            gcap,
            nations["GBR"],
            rule="leadership_deficit",
            status="resolved",
            resolved_at=NOW,
            minutes_ago=3,
        ),
        "fcas": flag(fcas, nations["FRA"], minutes_ago=4),
        "pounds": flag(
            None, nations["GBR"], rule="global_balance", evidence={"currency": "GBP"}, minutes_ago=5
        ),
        "euros": flag(
            None, nations["DEU"], rule="global_balance", evidence={"currency": "EUR"}, minutes_ago=6
        ),
    }
    return {"users": {"analyst": analyst, "japanese": japanese}, "flags": flags, "gcap": gcap}


def api_client(user) -> APIClient:
    _, key = issue_token(user, "listing")
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_list(client: APIClient, filters: dict) -> list[dict]:
    response = client.get(f"/api/v1/flags/?{urlencode({**filters, 'page_size': 1000})}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def page_list(client: Client, filters: dict) -> list[int]:
    """The ids of the flag cards on the flags page, in their order (any status unless the
    filters name one: the page's own default is live flags)."""
    response = client.get(f"/flags/?{urlencode({'status': '', **filters})}")
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'data-flag-id="(\d+)"', response.content.decode())]


def command_list(filters: dict) -> list[dict]:
    out = io.StringIO()
    options = [f"--{name}={value}" for name, value in filters.items()]
    call_command("flags", *options, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def ids(rows: list[dict]) -> list[int]:
    return [row["id"] for row in rows]


def named(world, names: list[str]) -> list[int]:
    return [world["flags"][name].pk for name in names]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["sidelined", "acknowledged", "resolved", "fcas", "pounds", "euros"]),
        ({"status": "open"}, ["sidelined", "fcas", "pounds", "euros"]),
        ({"programme": "GCAP", "status": "acknowledged"}, ["acknowledged"]),
        ({"programme": "FCAS"}, ["fcas"]),
    ],
    ids=["all", "open", "gcap-acknowledged", "fcas"],
)
def test_the_command_the_api_and_the_page_list_the_same_flags_latest_first(
    world, filters, expected
):
    analyst = world["users"]["analyst"]

    by_command = command_list(filters)
    by_api = api_list(api_client(analyst), filters)

    assert ids(by_command) == named(world, expected)
    assert page_list(signed_in(analyst), filters) == named(world, expected)
    assert by_api == by_command


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["sidelined", "acknowledged", "resolved", "pounds"]),
        ({"status": "open"}, ["sidelined", "pounds"]),
        ({"programme": "-"}, ["pounds"]),
        ({"programme": "FCAS"}, []),
        ({"counterpart": "GBR"}, ["sidelined"]),
    ],
    ids=["all", "open", "cross-programme", "hidden-programme", "counterpart"],
)
def test_a_restricted_user_gets_only_flags_of_programmes_seen_in_full_from_every_list(
    world, filters, expected
):
    japanese = world["users"]["japanese"]

    assert ids(api_list(api_client(japanese), filters)) == named(world, expected)
    assert page_list(signed_in(japanese), filters) == named(world, expected)
    # What the command lists, for this user (the command itself lists every flag).
    assert [found.pk for found in visible_flags(japanese, filters)] == named(world, expected)


def test_a_flag_reads_the_same_in_the_command_the_api_and_the_balance_report(world):
    client = api_client(world["users"]["analyst"])

    [by_command] = command_list({"programme": "GCAP", "status": "acknowledged"})
    [by_api] = api_list(client, {"programme": "GCAP", "status": "acknowledged"})
    report = client.get("/api/v1/programmes/GCAP/balance/")

    assert by_api == by_command
    assert {
        name: by_api[name] for name in ("programme", "nation", "acknowledged_by", "value", "note")
    } == {
        "programme": "GCAP",
        "nation": "ITA",
        "acknowledged_by": "ana",
        "value": "0.800000",
        "note": "Known: the offset deal lands next year.",
    }
    assert report.status_code == 200
    assert by_api in report.json()["open_flags"]


def test_counterparts_are_listed_by_code_in_the_command_the_api_and_webhooks(world):
    sidelined = world["flags"]["sidelined"]
    analyst = world["users"]["analyst"]
    event = FlagEvent.objects.create(flag=sidelined, kind=FlagEvent.Kind.RAISED, at=NOW)

    [by_command] = command_list({"programme": "GCAP", "status": "open"})
    [by_api] = api_list(api_client(analyst), {"programme": "GCAP", "status": "open"})
    payload = event_payload(event, visible_flags(analyst).get(pk=sidelined.pk))

    assert by_command["counterparts"] == by_api["counterparts"] == ["GBR", "ITA"]
    assert payload["flag"] | {"url": None} == {
        "id": sidelined.pk,
        "rule": "bloc_sidelining",
        "programme": "GCAP",
        "nation": "JPN",
        "counterparts": ["GBR", "ITA"],
        "severity": "critical",
        "status": "open",
        "explanation": sidelined.explanation,
        "url": None,
    }


def test_a_bad_filter_value_is_refused_naming_the_filter(world):
    with pytest.raises(ValidationError) as refused:
        visible_flags(None, {"severity": "apocalyptic"})

    assert list(refused.value.message_dict) == ["severity"]


def add_live_flags(world, count: int) -> None:
    """``count`` more live GCAP flags on Japan with Italy as counterpart, every other one
    acknowledged."""
    japan, italy = Nation.objects.get(code="JPN"), Nation.objects.get(code="ITA")
    analyst = world["users"]["analyst"]
    for n in range(count):
        acknowledged = n % 2 == 1
        flag(
            world["gcap"],
            japan,
            counterparts=[italy],
            status="acknowledged" if acknowledged else "open",
            acknowledged_by=analyst if acknowledged else None,
            acknowledged_at=NOW if acknowledged else None,
            minutes_ago=10 + n,
        )


def queries(list_flags: Callable[[], object]) -> int:
    list_flags()  # warm: the token's first use, the viewer's programmes seen in full
    with CaptureQueriesContext(connection) as captured:
        list_flags()
    return len(captured)


@pytest.mark.parametrize("username", ["analyst", "japanese"])
def test_every_list_costs_the_same_queries_with_ten_times_the_flags(world, username):
    user = world["users"][username]
    api, page = api_client(user), signed_in(user)
    live = {"status": "live"}
    lists = {
        "api": lambda: api_list(api, live),
        "page": lambda: page_list(page, live),
        "selector": lambda: list(visible_flags(user, live)),
    }
    if username == "analyst":  # the command lists every flag, for operators
        lists["command"] = lambda: command_list({"programme": "GCAP"})

    few = {name: queries(list_flags) for name, list_flags in lists.items()}
    shown = len(page_list(page, live))
    add_live_flags(world, 20)
    many = {name: queries(list_flags) for name, list_flags in lists.items()}

    assert many == few
    assert len(page_list(page, live)) == shown + 20
