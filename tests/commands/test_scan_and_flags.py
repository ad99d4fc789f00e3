import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs.balance.scan import scan_programme
from programs.models import Flag
from tests.worlds import AS_OF, World, build_sidelined_world

pytestmark = pytest.mark.django_db

FLAG_KEYS = {
    "id",
    "rule",
    "programme",
    "nation",
    "counterparts",
    "severity",
    "status",
    "metric",
    "value",
    "threshold",
    "explanation",
    "evidence",
    "first_seen_at",
    "last_seen_at",
    "resolved_at",
    "acknowledged_by",
    "acknowledged_at",
    "note",
}


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.usefixtures("sidelined_world")
def test_scan_command_prints_a_summary_and_the_new_flags():
    output = run("scan", "--programme", "GCAP", "--as-of", AS_OF.isoformat())
    assert output.startswith("GCAP as of 2026-06-30: ")
    assert (
        "CRITICAL bloc_sidelining: Japan holds 1 of 7 leadership weight (14.3 %) with a 33.3 % contribution share in GCAP; the United Kingdom and Italy (tie index 16.97 since 1970"
        in output
    )
    assert "scan(s) done" in output


@pytest.mark.usefixtures("sidelined_world")
def test_scan_command_without_options_scans_every_programme_and_the_global_rules():
    output = run("scan")
    for code in ("GCAP", "TEMPEST", "TORNADO", "all programmes (global rules)"):
        assert f"{code} as of {datetime.date.today()}" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--programme", "NOPE"], "No programme with code 'NOPE'."),
        (["--as-of", "30/06/2026"], "--as-of '30/06/2026' is not a date in YYYY-MM-DD form."),
    ],
)
@pytest.mark.usefixtures("sidelined_world")
def test_scan_command_rejects_bad_input_with_one_line_and_changes_nothing(args, message):
    with pytest.raises(CommandError) as caught:
        run("scan", *args)
    assert str(caught.value) == message
    assert not Flag.objects.exists()


def test_flags_command_json_lists_flags_with_codes(sidelined_world):
    scan_programme(sidelined_world.programme, AS_OF)
    flags = json.loads(run("flags", "--programme", "GCAP", "--status", "open", "--format", "json"))
    assert flags
    assert all(set(flag) == FLAG_KEYS for flag in flags)
    bloc = next(flag for flag in flags if flag["rule"] == "bloc_sidelining")
    assert bloc["programme"] == "GCAP"
    assert bloc["nation"] == "JPN"
    assert bloc["counterparts"] == ["GBR", "ITA"]
    assert bloc["severity"] == "critical"
    assert bloc["evidence"]["tie_since"] == "1970-01-01"
    assert bloc["resolved_at"] is None
    datetime.datetime.fromisoformat(bloc["first_seen_at"])


def test_flags_command_json_gives_null_programme_for_cross_programme_flags():
    for code in ("ALPHA", "BETA"):
        world = World(code=code, nations=("GBR", "ITA"), currency="EUR")
        world.contribute("GBR", 100)
        world.contribute("ITA", 100)
        world.work("GBR", 150)
        world.work("ITA", 50)
    run("scan")
    flags = json.loads(run("flags", "--format", "json"))
    [global_flag] = [flag for flag in flags if flag["rule"] == "global_balance"]
    assert global_flag["programme"] is None
    assert global_flag["nation"] == "ITA"
    assert global_flag["evidence"]["currency"] == "EUR"


def test_flags_command_table_and_filters(sidelined_world):
    scan_programme(sidelined_world.programme, AS_OF)
    table = run("flags", "--programme", "GCAP")
    lines = table.splitlines()
    assert lines[0].split() == [
        "id",
        "programme",
        "nation",
        "with",
        "rule",
        "severity",
        "status",
        "last",
        "seen",
    ]
    assert any("bloc_sidelining" in line and "GBR,ITA" in line for line in lines)
    assert (
        run("flags", "--status", "resolved")
        == "id  programme  nation  with  rule  severity  status  last seen\nNo flags.\n"
    )
    with pytest.raises(CommandError, match="No programme with code 'NOPE'"):
        run("flags", "--programme", "NOPE")


def test_scan_query_count_does_not_grow_with_the_data():
    small = build_sidelined_world(scale=1, code="SMALL")
    big = build_sidelined_world(scale=10, code="BIG")
    with CaptureQueriesContext(connection) as small_scan:
        small_result = scan_programme(small.programme, AS_OF)
    with CaptureQueriesContext(connection) as big_scan:
        big_result = scan_programme(big.programme, AS_OF)
    assert len(small_result.raised) == len(big_result.raised) == 6
    assert len(big_scan) == len(small_scan)
    # And a repeated scan, the common case, is cheaper still.
    with CaptureQueriesContext(connection) as again:
        scan_programme(big.programme, AS_OF)
    assert len(again) < len(big_scan)
