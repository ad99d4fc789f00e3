"""The seed files as files: each loads on the shared reference alone, twice, without change;
records defined in several files are defined identically; every record is sourced or says it
is not `reported`; the demo's flags are the documented list; Eurofighter tells 1997 apart from
today; the global-balance panel and API show every nation in two or more EUR programmes."""

import datetime
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from programs.access import programmes_seen_in_full, released_to
from programs.balance.scan import scan_all
from programs.management.commands.demo import seed_files
from programs.models import Flag, Nation, Programme
from programs.scenarios.loading import load_scenario_files
from tests.factories import ClearanceFactory
from tests.scenario_helpers import census

pytestmark = pytest.mark.django_db

SEEDS_DIR = Path(settings.BASE_DIR) / "seeds"
REFERENCE = SEEDS_DIR / "_reference.yaml"
SEEDS = seed_files(SEEDS_DIR)
#: The natural key of each kind of record (SPEC §4).
NATURAL_KEYS = {
    "nations": ("code",),
    "organisations": ("name",),
    "ownership_stakes": ("venture", "owner"),
    "programmes": ("code",),
    "participations": ("programme", "nation"),
    "contributions": ("programme", "nation", "period_start"),
    "work_packages": ("programme", "code"),
    "workshare": ("programme", "work_package", "organisation", "period_start"),
    "decision_bodies": ("programme", "name"),
    "leadership_roles": ("programme", "title"),
    "decisions": ("programme", "body", "title"),
    "tech_transfers": ("programme", "title"),
    "agreements": ("name",),
}
NESTED = {"decision_bodies": "seats", "decisions": "votes"}
#: A day in 1997, before the settled division of Eurofighter's production work (1998).
BEFORE_SETTLEMENT = datetime.date(1997, 6, 30)


def read(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def records(document: dict):
    """(key, record) for every record of a scenario document, nested seats and votes included
    (with the provenance they inherit when they state none, as the loader gives them)."""
    for key in NATURAL_KEYS:
        for record in document.get(key) or []:
            yield key, record
            nested = NESTED.get(key)
            for child in record.get(nested) or [] if nested else []:
                if "source" in child or "confidence" in child:
                    yield f"{key}.{nested}", child
                else:
                    inherited = {k: record[k] for k in ("source", "confidence") if k in record}
                    yield f"{key}.{nested}", child | inherited


def test_the_reference_file_loads_first():
    assert SEEDS[0] == REFERENCE
    assert {path.name for path in SEEDS} >= {
        "a400m.yaml",
        "boxer.yaml",
        "eurofighter.yaml",
        "f35.yaml",
        "fcas.yaml",
        "gcap.yaml",
        "history.yaml",
        "meteor.yaml",
        "nh90.yaml",
    }


@pytest.mark.parametrize("seed", SEEDS, ids=[path.name for path in SEEDS])
def test_each_seed_file_loads_alone_on_the_reference_and_a_second_load_changes_nothing(seed):
    files = [REFERENCE] if seed == REFERENCE else [REFERENCE, seed]
    first = load_scenario_files(files)
    assert first[-1].total.created > 0
    before = census()

    again = load_scenario_files(files)

    assert not any(result.changed for result in again), [r.counts for r in again]
    assert census() == before


def test_a_record_defined_in_several_files_is_defined_identically():
    definitions: dict[tuple, tuple[str, dict]] = {}
    for path in SEEDS:
        for key, record in records(read(path)):
            if key not in NATURAL_KEYS:
                continue
            natural = (key, *(str(record.get(field)) for field in NATURAL_KEYS[key]))
            if natural in definitions:
                first_file, first = definitions[natural]
                assert record == first, f"{natural} differs between {first_file} and {path.name}"
            else:
                definitions[natural] = (path.name, record)
    shared = [natural for natural in definitions if natural[0] == "nations"]
    assert len(shared) == 16


@pytest.mark.parametrize("seed", SEEDS, ids=[path.name for path in SEEDS])
def test_every_record_has_a_source_or_says_it_is_not_reported(seed):
    for key, record in records(read(seed)):
        source = str(record.get("source") or "").strip()
        confidence = record.get("confidence") or ("reported" if source else "illustrative")
        assert confidence in {"reported", "estimated", "illustrative"}, (key, record)
        if confidence in {"reported", "estimated"}:
            assert source, f"{seed.name} {key} {record}: {confidence} without a source or reason"


def demo_flags() -> dict[str, list[dict]]:
    """The open flags after ``demo --no-serve`` (every seed loaded, every programme scanned
    today), by programme code (``global`` for the cross-programme rule)."""
    call_command("demo", "--no-serve", stdout=StringIO())
    found: dict[str, list[dict]] = {}
    for flag in Flag.objects.filter(status=Flag.Status.OPEN).prefetch_related("counterparts"):
        entry = {"rule": flag.rule, "nation": flag.nation.code, "severity": flag.severity}
        counterparts = sorted(n.code for n in flag.counterparts.all())
        if counterparts:
            entry["counterparts"] = counterparts
        found.setdefault(flag.programme.code if flag.programme else "global", []).append(entry)
    return found


def as_set(entries: list[dict]) -> set[tuple]:
    return {
        tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in e.items()))
        for e in entries
    }


def test_the_demo_raises_exactly_the_flags_listed_beside_the_readme():
    expected = read(SEEDS_DIR / "expected" / "flags.yaml")["flags"]

    found = demo_flags()

    assert set(found) - set(expected) == set(), "flags for a programme not in the list"
    for programme, entries in expected.items():
        assert as_set(found.get(programme, [])) == as_set(entries), programme


def test_eurofighter_as_of_1997_flags_germanys_return_and_today_does_not():
    load_scenario_files(SEEDS)

    call_command("scan", "--programme", "EUROFIGHTER", "--as-of", BEFORE_SETTLEMENT.isoformat())

    flag = Flag.objects.get(programme__code="EUROFIGHTER", rule="workshare_return")
    assert (flag.nation.code, flag.severity, flag.status) == ("DEU", "critical", "open")
    # 23/100 of the work for 33/100 of the money.
    assert flag.evidence["return_coefficient"] == "0.696970"
    assert "Germany receives 23 %" in flag.explanation

    call_command("scan", "--programme", "EUROFIGHTER")

    flag.refresh_from_db()
    # 209/720 of the work for 219/720 of the money: above the raise threshold 0.95, short of
    # the recovery threshold 0.97, so the flag of 1997 stays open, as a warning.
    assert flag.evidence["return_coefficient"] == "0.954338"
    assert (flag.severity, flag.status) == ("warning", "open")


def test_eurofighter_scanned_today_alone_raises_nothing_for_germany():
    load_scenario_files(SEEDS)

    call_command("scan", "--programme", "EUROFIGHTER")

    assert not Flag.objects.filter(programme__code="EUROFIGHTER").exists()


#: Every nation taking part in two or more EUR programmes with contributions and work
#: recorded (seeds/README.md, "Global return").
EUR_GLOBAL = {
    "DEU": ["EUROFIGHTER", "FCAS", "METEOR"],
    "ESP": ["EUROFIGHTER", "FCAS", "METEOR"],
    "FRA": ["FCAS", "METEOR"],
    "GBR": ["EUROFIGHTER", "METEOR"],
    "ITA": ["EUROFIGHTER", "METEOR"],
}


def test_the_global_balance_api_shows_every_nation_in_two_or_more_eur_programmes(analyst):
    load_scenario_files(SEEDS)
    client = APIClient(HTTP_X_FORWARDED_PROTO="https")
    client.force_authenticate(analyst)

    response = client.get("/api/v1/global-returns/", {"currency": "EUR"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["as_of"] == timezone.localdate().isoformat()
    assert {row["nation"]: row["programmes"] for row in body["results"]} == EUR_GLOBAL
    germany = next(row for row in body["results"] if row["nation"] == "DEU")
    # Work 23 + 186 + 100 + 16 = 325 of 1120; money 33 + 186 + 100 + 16 = 335 of 1120.
    assert germany["global_return"] == "0.970149"


def test_the_global_balance_api_refuses_a_bad_currency_with_a_field_message(analyst):
    client = APIClient(HTTP_X_FORWARDED_PROTO="https")
    client.force_authenticate(analyst)

    response = client.get("/api/v1/global-returns/", {"currency": "euro", "as_of": "1997-13-01"})

    assert response.status_code == 400
    assert set(response.json()) >= {"currency", "as_of"}


def test_the_global_balance_panel_shows_every_nation_in_two_or_more_eur_programmes(
    analyst_client, settings
):
    settings.SECURE_SSL_REDIRECT = False
    load_scenario_files(SEEDS)

    page = analyst_client.get("/")

    assert page.status_code == 200
    html = page.content.decode()
    rows = {item["name"]: item for item in page.context["page"].global_returns}
    assert set(rows) == {"Germany", "Spain", "France", "United Kingdom", "Italy"}
    assert rows["France"]["programmes"] == "FCAS, METEOR"
    for name, item in rows.items():
        assert f'<th scope="row">{name}</th><td>EUR</td><td>{item["programmes"]}</td>' in html
    assert "No nation takes part in two programmes" not in html


#: Programmes on public record outside GCAP, released to every nation of the seeds
#: (seeds/README.md, "Releasability").
PUBLIC = {"A400M", "BOXER", "EUROFIGHTER", "F-35", "FCAS", "METEOR", "NH90", "TORNADO"}
GCAP_NATIONS = {"GBR", "ITA", "JPN"}


def released_in_gcap_yaml(code: str) -> set[str]:
    """The programmes of gcap.yaml marked releasable to the nation (Tempest, F-X and the
    engine demonstrator, to the six
    nations gcap.yaml defines)."""
    programmes = read(SEEDS_DIR / "gcap.yaml")["programmes"]
    return {p["code"] for p in programmes if code in (p.get("releasable_to") or [])}


def test_each_nation_of_the_seeds_sees_the_programmes_the_readme_says():
    load_scenario_files(SEEDS)

    for nation in Nation.objects.all():
        seen = set(released_to(Programme.objects.all(), nation.pk).values_list("code", flat=True))
        in_full = set(programmes_seen_in_full(nation.pk).values_list("code", flat=True))
        expected = PUBLIC | released_in_gcap_yaml(nation.code)
        if nation.code in GCAP_NATIONS:
            assert seen == in_full == expected | {"GCAP"}, nation.code
            continue
        assert seen == expected, nation.code
        # A programme with the UK, Italy or Japan has a prior tie through GCAP, which this
        # nation may not see: its flags and snapshots are withheld; FCAS has none of them.
        assert in_full == {"FCAS"}, nation.code
    assert (
        released_in_gcap_yaml("DEU")
        == released_in_gcap_yaml("SWE")
        == {
            "TEMPEST",
            "F-X",
            "UK-JP-ENGINE",
        }
    )
    assert released_in_gcap_yaml("FRA") == set()


def test_the_portfolio_pair_and_flags_pages_show_the_seeded_programmes(analyst_client, settings):
    settings.SECURE_SSL_REDIRECT = False
    load_scenario_files(SEEDS)
    scan_all()

    portfolio = analyst_client.get("/").context["page"]
    rows = {row.code: row for row in portfolio.rows}
    assert set(rows) == set(Programme.objects.values_list("code", flat=True))
    with_returns = {
        code
        for code, row in rows.items()
        if any(cell.return_coefficient is not None for cell in row.cells)
    }
    assert with_returns == {"EUROFIGHTER", "FCAS", "METEOR", "GCAP"}

    pair = analyst_client.get("/nations/DEU/FRA/").context["page"]
    assert [p.code for p in pair["programmes"]] == ["A400M", "FCAS", "METEOR", "NH90"]

    flags = analyst_client.get("/flags/", {"programme": "FCAS"})
    html = flags.content.decode()
    assert flags.status_code == 200
    assert "Spain holds 0 of 14 leadership weight" in html
    assert "Germany holds 2 of 14 leadership weight" in html


def global_returns_of(user) -> dict[str, list[str]]:
    client = APIClient(HTTP_X_FORWARDED_PROTO="https")
    client.force_authenticate(user)
    response = client.get("/api/v1/global-returns/", {"currency": "EUR"})
    assert response.status_code == 200, response.content
    return {row["nation"]: row["programmes"] for row in response.json()["results"]}


def test_the_global_balance_api_counts_only_what_a_restricted_user_sees(analyst):
    load_scenario_files(SEEDS)
    meteor = Programme.objects.get(code="METEOR")
    meteor.releasable_to.set(Nation.objects.filter(code__in=["GBR", "ITA"]))
    french = ClearanceFactory(user__groups=["analyst"], nation=Nation.objects.get(code="FRA")).user

    assert global_returns_of(analyst) == EUR_GLOBAL
    # Without Meteor France takes part in one EUR programme it sees (FCAS); the UK and Italy
    # in one (Eurofighter); Germany and Spain in two.
    assert global_returns_of(french) == {
        "DEU": ["EUROFIGHTER", "FCAS"],
        "ESP": ["EUROFIGHTER", "FCAS"],
    }


def test_the_global_balance_api_costs_the_same_queries_for_three_programmes_or_eleven(
    analyst, django_assert_max_num_queries
):
    load_scenario_files([REFERENCE, SEEDS_DIR / "eurofighter.yaml", SEEDS_DIR / "meteor.yaml"])
    with CaptureQueriesContext(connection) as few:
        assert set(global_returns_of(analyst)) == {"DEU", "ESP", "GBR", "ITA"}

    load_scenario_files(SEEDS)
    with django_assert_max_num_queries(len(few)):
        assert global_returns_of(analyst) == EUR_GLOBAL
