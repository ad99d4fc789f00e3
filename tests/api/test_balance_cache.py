"""The balance report is cached under the data version: a repeated report computes nothing, and
a change made any way (API, admin, scenario loader, CSV import, scan, marking, clearance) shows
in the very next report."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs import data_version, models
from programs.balance.scan import scan_programme
from programs.imports.bulk import WorkshareImporter
from programs.scenarios.loading import load_scenario_texts
from tests import factories
from tests.admin_helpers import admin_url, https_client
from tests.api.test_access_api import cleared_client

REPORT = "/api/v1/programmes/GCAP/balance/"
METRIC_TABLES = ("programs_workshareallocation", "programs_contribution", "programs_vote")


@pytest.fixture(autouse=True)
def _report_cache(settings):
    """A cache of this process for the reports, so these tests do not depend on Redis (the
    production cache is Redis, see gcaptrack.settings)."""
    settings.CACHES = {
        **settings.CACHES,
        "reports": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }


def contributed(report: dict, code: str) -> Decimal:
    return Decimal(next(row for row in report["nations"] if row["code"] == code)["contributed"])


def work(report: dict, code: str) -> Decimal:
    return Decimal(next(row for row in report["nations"] if row["code"] == code)["work"])


def test_a_repeated_report_is_served_without_computing_the_metrics(
    world, viewer_api, django_assert_max_num_queries
):
    first = viewer_api.get(REPORT)
    assert first.status_code == 200

    with CaptureQueriesContext(connection) as captured:
        again = viewer_api.get(REPORT)

    assert again.json() == first.json()
    assert not [q["sql"] for q in captured if any(t in q["sql"] for t in METRIC_TABLES)]
    # The token (with its user and clearance), the user's permissions and the programme.
    with django_assert_max_num_queries(4):
        viewer_api.get(REPORT)
    assert viewer_api.get(REPORT, {"as_of": "2024-06-30"}).json() != first.json()


def test_a_change_through_the_api_shows_in_the_very_next_report(world, api):
    contribution = world.records["contribution"]
    before = contributed(api.get(REPORT).json(), "GBR")

    response = api.patch(
        f"/api/v1/contributions/{contribution.pk}/", {"amount": "123.45"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert before != Decimal("123.45")
    assert contributed(api.get(REPORT).json(), "GBR") == Decimal("123.45")


def test_a_deletion_in_the_admin_shows_in_the_very_next_report(world, api, analyst_user):
    contribution = world.records["contribution"]
    assert contributed(api.get(REPORT).json(), "GBR") == contribution.amount

    response = https_client(analyst_user).post(
        admin_url(models.Contribution, "delete", contribution.pk),
        {"post": "yes", "change_reason": "entered twice"},
    )

    assert response.status_code == 302
    assert contributed(api.get(REPORT).json(), "GBR") == 0


def test_a_scenario_load_and_a_csv_import_show_in_the_very_next_report(world, api):
    gbr_before = contributed(api.get(REPORT).json(), "GBR")
    load_scenario_texts(
        [
            (
                "more.yaml",
                "format: gcaptrack-scenario/1\ncontributions: [{programme: GCAP, nation: GBR, "
                "period_start: 2025-01-01, amount: 1000}]\n",
            )
        ]
    )
    after_load = api.get(REPORT).json()
    assert contributed(after_load, "GBR") == gbr_before + 1000

    outcome = WorkshareImporter().run(
        ["programme", "work_package", "organisation", "period_start", "amount"],
        [["GCAP"], ["AIR"], ["Leonardo"], ["2025-01-01"], ["5000"]],
        dry_run=False,
    )

    assert outcome.counts["new"] == 1
    assert work(api.get(REPORT).json(), "ITA") == work(after_load, "ITA") + 5000


def test_scans_and_flag_acknowledgements_show_in_the_very_next_report(world, api):
    flag = world.records["flag"]
    report = api.get(REPORT).json()
    assert [f["status"] for f in report["open_flags"]] == ["open"]

    acknowledged = api.post(
        f"/api/v1/flags/{flag.pk}/acknowledge/", {"note": "Known."}, format="json"
    )
    assert acknowledged.status_code == 200, acknowledged.content
    report = api.get(REPORT).json()
    assert [f["status"] for f in report["open_flags"]] == ["acknowledged"]

    scan_programme("GCAP")
    rescanned = api.get(REPORT).json()
    assert rescanned["last_scan_at"] > report["last_scan_at"]


def test_a_restricted_user_never_gets_the_report_cached_for_another_nation(world, api):
    hidden = factories.ContributionFactory(
        programme=world.programme, nation=world.nations["JPN"], amount=Decimal("777")
    )
    hidden.releasable_to.set([world.nations["JPN"]])
    gbr_api = cleared_client(world.nations["GBR"])
    jpn_api = cleared_client(world.nations["JPN"], username="jp-analyst")

    everything = api.get(REPORT).json()
    for_britain = gbr_api.get(REPORT).json()
    for_japan = jpn_api.get(REPORT).json()

    assert contributed(everything, "JPN") == contributed(for_japan, "JPN")
    assert contributed(for_britain, "JPN") == contributed(everything, "JPN") - 777
    assert gbr_api.get(REPORT).json() == for_britain

    hidden.releasable_to.add(world.nations["GBR"])  # a marking change alone
    assert contributed(gbr_api.get(REPORT).json(), "JPN") == contributed(everything, "JPN")


def test_a_programme_hidden_from_a_nation_stays_unknown_to_it_once_others_have_its_report(
    world, api
):
    fcas = factories.ProgrammeFactory(code="FCAS")
    factories.ParticipationFactory(programme=fcas, nation=world.nations["FRA"])
    path = "/api/v1/programmes/FCAS/balance/"
    fra_api = cleared_client(world.nations["FRA"], username="fr-analyst")
    gbr_api = cleared_client(world.nations["GBR"])

    assert api.get(path).status_code == 200
    assert fra_api.get(path).status_code == 200
    for _ in range(2):
        refused = gbr_api.get(path)
        assert refused.status_code == 404
        assert "FCAS" not in refused.content.decode()

    fcas.releasable_to.set([world.nations["FRA"], world.nations["GBR"]])
    assert gbr_api.get(path).status_code == 200


def test_a_clearance_change_shows_in_the_very_next_report(world, api):
    hidden = factories.ContributionFactory(
        programme=world.programme, nation=world.nations["JPN"], amount=Decimal("777")
    )
    hidden.releasable_to.set([world.nations["JPN"]])
    client = cleared_client(world.nations["GBR"])
    clearance = models.Clearance.objects.get(user__username="gb-analyst")
    for_britain = client.get(REPORT).json()

    clearance.nation = world.nations["JPN"]
    clearance.save()

    assert contributed(client.get(REPORT).json(), "JPN") == contributed(for_britain, "JPN") + 777


@pytest.mark.parametrize(
    "write",
    [
        lambda world: factories.ThresholdOverrideFactory(programme=world.programme),
        lambda world: world.records["flag"].save(),
        lambda world: world.nations["GBR"].save(),
        lambda world: world.records["agreement"].nations.remove(world.nations["JPN"]),
        lambda world: world.programme.releasable_to.add(world.nations["GBR"]),
        lambda world: world.records["workshare"].delete(),
    ],
    ids=["threshold override", "flag", "nation", "agreement nations", "marking", "deletion"],
)
def test_every_write_moves_the_data_version(world, write):
    before = data_version.current()
    write(world)
    assert data_version.current() != before


def test_token_bookkeeping_does_not_move_the_data_version(world, api):
    api.get(REPORT)
    before = data_version.current()
    api.get("/api/v1/nations/")
    assert data_version.current() == before
