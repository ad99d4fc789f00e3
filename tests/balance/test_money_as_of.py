"""SPEC §2's money rule: a contribution or allocation counts as of a day d iff its period starts
on or before d. One world, read through every door: the metrics, the global return, the
balance report (API), the programme and pair pages (``?as_of=``) and ``scan --as-of``."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from programs.balance.global_returns import global_returns
from programs.balance.programme_balance import programme_balance
from programs.models import BalanceSnapshot, Nation
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal
DAY = datetime.date(2024, 3, 15)
NEXT_DAY = DAY + datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def two_programmes():
    """Two EUR programmes of the United Kingdom and Italy. In ALPHA, money starting on DAY:
    GBR contributes 437 and Avalon (GBR) gets 311 of work; money starting the day after: ITA
    contributes 263, Vesuvio (ITA) gets 189. BETA, all from 2020: 100 each, work 100 each."""
    gbr = factories.NationFactory(code="GBR", name="United Kingdom")
    ita = factories.NationFactory(code="ITA", name="Italy")
    avalon = factories.OrganisationFactory(name="Avalon Aero", nation=gbr)
    vesuvio = factories.OrganisationFactory(name="Vesuvio Aero", nation=ita)
    programmes = {}
    for code in ("ALPHA", "BETA"):
        programme = factories.ProgrammeFactory(
            code=code, currency="EUR", started_on=datetime.date(2020, 1, 1)
        )
        for nation in (gbr, ita):
            factories.ParticipationFactory(
                programme=programme, nation=nation, joined_on=datetime.date(2020, 1, 1)
            )
        programmes[code] = programme
    alpha_air = factories.WorkPackageFactory(programme=programmes["ALPHA"], code="AIR")
    factories.ContributionFactory(
        programme=programmes["ALPHA"], nation=gbr, period_start=DAY, amount=D("437")
    )
    factories.ContributionFactory(
        programme=programmes["ALPHA"], nation=ita, period_start=NEXT_DAY, amount=D("263")
    )
    factories.WorkshareAllocationFactory(
        work_package=alpha_air, organisation=avalon, period_start=DAY, amount=D("311")
    )
    factories.WorkshareAllocationFactory(
        work_package=alpha_air, organisation=vesuvio, period_start=NEXT_DAY, amount=D("189")
    )
    beta_air = factories.WorkPackageFactory(programme=programmes["BETA"], code="AIR")
    start = datetime.date(2020, 1, 1)
    for nation, organisation in ((gbr, avalon), (ita, vesuvio)):
        factories.ContributionFactory(
            programme=programmes["BETA"], nation=nation, period_start=start, amount=D("100")
        )
        factories.WorkshareAllocationFactory(
            work_package=beta_air, organisation=organisation, period_start=start, amount=D("100")
        )
    return programmes


def test_metrics_count_money_starting_on_the_day_and_leave_out_money_starting_after_it(
    two_programmes,
):
    on_day = programme_balance(two_programmes["ALPHA"], DAY)
    assert on_day.total_contributions == D("437.00")
    assert on_day.nation("GBR").contributed == D("437.00")
    assert on_day.nation("ITA").contributed == D("0.00")
    assert on_day.total_work == D("311.00")
    assert on_day.nation("ITA").work == D("0.00")
    assert on_day.nation("GBR").contribution_share == D("1.000000")

    next_day = programme_balance(two_programmes["ALPHA"], NEXT_DAY)
    assert next_day.total_contributions == D("700.00")
    assert next_day.nation("ITA").contributed == D("263.00")
    assert next_day.total_work == D("500.00")
    # GBR: 311/500 of work for 437/700 of money = 217 700 / 218 500 = 0.996339.
    assert next_day.nation("GBR").return_coefficient == D("0.996339")


def test_global_return_counts_only_money_started_by_the_day(two_programmes):
    on_day = {row.nation: row for row in global_returns(DAY, "EUR")}
    # GBR: money 437 + 100 of 637; work 311 + 100 of 511.
    assert on_day["GBR"].contributions == D("537.00")
    assert on_day["GBR"].total_contributions == D("637.00")
    assert on_day["GBR"].total_work == D("511.00")
    assert on_day["ITA"].contributions == D("100.00")

    next_day = {row.nation: row for row in global_returns(NEXT_DAY, "EUR")}
    assert next_day["GBR"].total_contributions == D("900.00")
    assert next_day["ITA"].contributions == D("363.00")
    assert next_day["ITA"].work == D("289.00")

    before_any = global_returns(datetime.date(2019, 12, 31), "EUR")
    assert before_any == []


def test_balance_report_as_of_a_day_leaves_out_money_starting_the_day_after(
    two_programmes, analyst
):
    client = APIClient(HTTP_X_FORWARDED_PROTO="https")
    client.force_authenticate(analyst)

    def figures(day):
        response = client.get("/api/v1/programmes/ALPHA/balance/", {"as_of": day.isoformat()})
        assert response.status_code == 200, response.content
        report = response.json()
        return report, {row["code"]: row for row in report["nations"]}

    report, nations = figures(DAY)
    assert D(nations["GBR"]["contributed"]) == D("437")
    assert D(nations["ITA"]["contributed"]) == D("0")
    assert D(nations["ITA"]["work"]) == D("0")
    assert D(report["total_work"]) == D("311")

    report, nations = figures(NEXT_DAY)
    assert D(nations["ITA"]["contributed"]) == D("263")
    assert D(nations["ITA"]["work"]) == D("189")
    assert D(report["total_work"]) == D("500")


def test_programme_page_as_of_a_day_shows_only_money_started_by_then(
    two_programmes, analyst_client
):
    html = analyst_client.get(f"/programmes/ALPHA/?as_of={DAY.isoformat()}").content.decode()
    assert "EUR 437" in html and "EUR 311" in html
    assert "EUR 263" not in html and "EUR 189" not in html

    html = analyst_client.get(f"/programmes/ALPHA/?as_of={NEXT_DAY.isoformat()}").content.decode()
    assert "EUR 263" in html and "EUR 189" in html


def test_pair_page_counts_money_started_by_today(two_programmes, analyst_client):
    """The pair page is as of today: money of both days counts, a period starting tomorrow not."""
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    factories.ContributionFactory(
        programme=two_programmes["ALPHA"],
        nation=Nation.objects.get(code="ITA"),
        period_start=tomorrow,
        amount=D("100000"),
    )
    page = analyst_client.get("/nations/GBR/ITA/").context["page"]
    alpha = next(p for p in page["programmes"] if p.code == "ALPHA")
    # 437 of 700: the 100 000 starting tomorrow is left out.
    assert alpha.a_contribution_share == D("0.624286")
    assert alpha.b_contribution_share == D("0.375714")


def test_scan_as_of_a_day_snapshots_only_money_started_by_then(two_programmes):
    call_command("scan", "--programme", "ALPHA", "--as-of", DAY.isoformat())
    call_command("scan", "--programme", "ALPHA", "--as-of", NEXT_DAY.isoformat())

    def snapshot(day, code):
        return BalanceSnapshot.objects.get(programme__code="ALPHA", nation__code=code, taken_on=day)

    assert snapshot(DAY, "GBR").contributed == D("437.00")
    assert snapshot(DAY, "ITA").contributed == D("0.00")
    assert snapshot(DAY, "ITA").work == D("0.00")
    assert snapshot(NEXT_DAY, "ITA").contributed == D("263.00")
    assert snapshot(NEXT_DAY, "ITA").work == D("189.00")
