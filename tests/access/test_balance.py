"""A restricted user's balance figures are computed over the rows released to their nation:
they equal the figures of the same data with every hidden row deleted, and no total, share or
tie betrays a hidden row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs import models
from programs.api.reports import balance_report
from programs.balance.global_returns import global_returns
from programs.balance.programme_balance import programme_balance
from programs.balance.scan import scan_programme
from tests import factories
from tests.worlds import (
    AS_OF,
    SECRET_AMOUNT,
    World,
    delete_hidden_from,
    restricted_user,
)

pytestmark = pytest.mark.django_db

#: When the report was made, not what it says.
VOLATILE = ("computed_at", "last_scan_at")


def comparable(report: dict) -> dict:
    report = {key: value for key, value in report.items() if key not in VOLATILE}
    report["open_flags"] = [flag.pk for flag in report["open_flags"]]
    return report


def test_a_restricted_report_is_the_report_of_the_data_without_the_hidden_rows(world_with_secrets):
    jpn = world_with_secrets.nations["JPN"]
    user = restricted_user(jpn)
    everything = balance_report(world_with_secrets.programme, AS_OF)
    restricted = balance_report(world_with_secrets.programme, AS_OF, user=user)

    delete_hidden_from(jpn)
    without_hidden = balance_report(world_with_secrets.programme, AS_OF)

    assert comparable(restricted) == comparable(without_hidden)
    # The hidden rows did count for an unrestricted reader: the comparison is not vacuous.
    assert comparable(everything) != comparable(without_hidden)
    assert everything["total_contributions"] == restricted["total_contributions"] + SECRET_AMOUNT


def test_no_figure_of_a_restricted_report_is_built_from_a_hidden_row(world_with_secrets):
    user = restricted_user(world_with_secrets.nations["JPN"])

    report = balance_report(world_with_secrets.programme, AS_OF, user=user)

    gbr = next(n for n in report["nations"] if n["code"] == "GBR")
    assert gbr["contributed"] == 100
    assert report["total_contributions"] == 300
    # 300 of work in three national shares of 100, plus the venture's 300, all to the UK: the
    # Italian stake is hidden, and so is the 777 placed with Italy.
    assert report["total_work"] == 600
    assert gbr["work"] == 400
    assert report["total_leadership_weight"] == 10
    assert report["total_votes"] == 3
    pair = next(p for p in report["pairs"] if (p["a"], p["b"]) == ("GBR", "ITA"))
    assert pair["shared_decisions"] == 1, "the secret decision and Italy's hidden vote are out"
    assert pair["tie_agreements"] == [] and pair["tie_programmes"] == []
    assert pair["tt_weight_a_to_b"] == 0


def test_an_unrestricted_user_gets_the_report_of_every_row(world_with_secrets):
    unrestricted = factories.UserFactory(username="una")
    factories.ClearanceFactory(user=unrestricted, nation=None)

    assert comparable(
        balance_report(world_with_secrets.programme, AS_OF, user=unrestricted)
    ) == comparable(balance_report(world_with_secrets.programme, AS_OF))


def test_global_returns_for_a_nation_are_those_of_the_data_without_its_hidden_rows(
    world_with_secrets,
):
    other = World(code="OTHER")
    other.balanced_money(50)
    other.contribute("JPN", 25).releasable_to.set([world_with_secrets.nations["JPN"]])
    other.work("GBR", 40).releasable_to.set([world_with_secrets.nations["GBR"]])
    jpn = world_with_secrets.nations["JPN"]
    everything = global_returns(AS_OF)
    restricted = global_returns(AS_OF, nation_id=jpn.pk)

    delete_hidden_from(jpn)

    assert restricted == global_returns(AS_OF)
    assert restricted != everything


def test_scans_still_count_every_row(world_with_secrets):

    scan_programme(world_with_secrets.programme, as_of=AS_OF)

    snapshot = models.BalanceSnapshot.objects.get(
        programme=world_with_secrets.programme, nation=world_with_secrets.nations["GBR"]
    )
    assert snapshot.contributed == 100 + SECRET_AMOUNT
    assert (
        programme_balance(world_with_secrets.programme, AS_OF).total_contributions
        == 300 + SECRET_AMOUNT
    )


def test_a_restricted_balance_costs_no_more_queries_than_an_unrestricted_one(
    django_assert_num_queries,
    world_with_secrets,
):
    jpn = world_with_secrets.nations["JPN"]
    with CaptureQueriesContext(connection) as unrestricted:
        programme_balance(world_with_secrets.programme, AS_OF)
    with django_assert_num_queries(len(unrestricted.captured_queries)):
        balance = programme_balance(world_with_secrets.programme, AS_OF, nation_id=jpn.pk)
    assert balance.total_contributions == 300


def test_without_a_nation_the_balance_sql_reads_the_tables_as_before(world_with_secrets):

    with CaptureQueriesContext(connection) as unrestricted:
        programme_balance(world_with_secrets.programme, AS_OF)
    with CaptureQueriesContext(connection) as restricted:
        programme_balance(
            world_with_secrets.programme, AS_OF, nation_id=world_with_secrets.nations["JPN"].pk
        )

    assert not any("releasable_to" in q["sql"] for q in unrestricted.captured_queries)
    assert not any("visible_" in q["sql"] for q in unrestricted.captured_queries)
    assert any("visible_" in q["sql"] for q in restricted.captured_queries)
