"""The programme page's prior-ties section: each pair's tie index and its parts, and each
nation's ties against each bloc's, next to the threshold the rule reads."""

import datetime
import json

import pytest

from tests import factories


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


def test_ties_table_lists_shared_programmes_and_agreements_with_their_years(viewer_client):
    gcap = factories.ProgrammeFactory(code="GCAP", name="Global Combat Air Programme")
    tornado = factories.ProgrammeFactory(
        code="TOR",
        name="Tornado <MRCA>",
        started_on=datetime.date(2010, 1, 1),
        ended_on=datetime.date(2015, 1, 1),
    )
    gbr = factories.NationFactory(code="GBR", name="United Kingdom")
    ita = factories.NationFactory(code="ITA", name="Italy")
    for programme in (gcap, tornado):
        for nation in (gbr, ita):
            factories.ParticipationFactory(programme=programme, nation=nation, joined_on=None)
    factories.AgreementFactory(
        name="UK–Italy accord", nations=[gbr, ita], signed_on=datetime.date(2012, 5, 1)
    )

    html = viewer_client.get("/programmes/GCAP/").content.decode()

    ties = html[html.index('id="ties-table"') :]
    # 2010-01-01 -> 2015-01-01 = 1826 days = 5.00 years, + 5 for the accord: 10.
    assert '<td class="num">10.0 <span class="pill pill--warning">strong</span>' in ties
    assert "Tornado &lt;MRCA&gt; (TOR, from 2010, 5.00 yrs)" in ties
    assert "UK–Italy accord (2012)" in ties


def test_each_nation_is_compared_with_each_strong_bloc_next_to_the_tie_ratio(viewer_client):
    gcap = factories.ProgrammeFactory(code="GCAP", name="Global Combat Air Programme")
    gbr = factories.NationFactory(code="GBR", name="United Kingdom")
    ita = factories.NationFactory(code="ITA", name="Italy")
    jpn = factories.NationFactory(code="JPN", name="Japan")
    for nation in (gbr, ita, jpn):
        factories.ParticipationFactory(programme=gcap, nation=nation, joined_on=None)
    factories.AgreementFactory(
        name="UK–Italy accord", nations=[gbr, ita], signed_on=datetime.date(2012, 5, 1)
    )
    factories.AgreementFactory(
        name="UK–Italy treaty", nations=[gbr, ita], signed_on=datetime.date(2014, 5, 1)
    )
    factories.AgreementFactory(
        name="UK–Japan accord", nations=[gbr, jpn], signed_on=datetime.date(2013, 7, 1)
    )
    factories.ThresholdOverrideFactory(
        programme=gcap, rule="bloc_sidelining", parameter="tie_ratio", value=2
    )

    html = viewer_client.get("/programmes/GCAP/").content.decode()

    table = html[html.index('id="bloc-ties-table"') :]
    table = table[: table.index("</table>")]
    rows = table.split("<tr>")[2:]
    # Japan against the UK and Italy: 10 against 5 and 0, ratio 2, at the programme's 2.
    # Italy against the UK and Japan (5, strong): 5 against Italy's 10 with the UK, ratio 0.5.
    # Italy and Japan (0) are no bloc, so the UK has no row.
    japan = next(row for row in rows if '<th scope="row">Japan</th>' in row)
    assert "United Kingdom + Italy" in japan
    assert "5.0 with GBR, 0.0 with ITA" in japan
    assert '<td class="num">2.00</td>' in japan
    assert "≥ 2.00 (1.98)" in japan
    assert "far more tied" in japan
    italy = next(row for row in rows if '<th scope="row">Italy</th>' in row)
    assert "United Kingdom + Japan" in italy and '<td class="num">0.50</td>' in italy
    assert "not far more tied" in italy
    assert len(rows) == 2


def test_the_pair_page_charts_the_tie_index_year_by_year_since_it_began(viewer_client):
    tornado = factories.ProgrammeFactory(
        code="TOR",
        name="Tornado",
        started_on=datetime.date(2010, 1, 1),
        ended_on=datetime.date(2015, 1, 1),
    )
    gbr = factories.NationFactory(code="GBR", name="United Kingdom")
    ita = factories.NationFactory(code="ITA", name="Italy")
    for nation in (gbr, ita):
        factories.ParticipationFactory(programme=tornado, nation=nation, joined_on=None)
    factories.AgreementFactory(
        name="UK–Italy accord", nations=[gbr, ita], signed_on=datetime.date(2022, 5, 1)
    )
    today = datetime.date.today()

    html = viewer_client.get("/nations/GBR/ITA/").content.decode()

    assert "Tie index 10.0 since 2010: Tornado 5.00, UK–Italy accord 5.00." in html
    table = html[html.index('id="tie-table"') :]
    table = table[: table.index("</table>")]
    rows = table.split("<tr>")[2:]
    # One row per year-end from 2010, the last on the day itself.
    assert len(rows) == today.year - 2010 + 1
    # 2010-01-01 -> 2010-12-31 = 364 days = 1.00; -> 2012-12-31 = 1095 days = 3.00 (2.998);
    # from 2015 Tornado's five years (1826 days = 5.00); from 2022 the accord adds 5.
    assert rows[0].startswith('<th scope="row">31 Dec 2010</th><td class="num">1.00</td>')
    assert '<th scope="row">31 Dec 2012</th><td class="num">3.00</td>' in rows[2]
    assert '<td class="num">5.00</td>' in rows[2021 - 2010]
    assert '<td class="num">10.00</td>' in rows[2022 - 2010]
    assert '<td class="num">10.00</td>' in rows[-1]
    assert '<div class="chart" id="chart-tie" data-chart="chart-tie-spec"' in html
    spec = json.loads(
        html.split('<script id="chart-tie-spec" type="application/json">')[1].split("</script>")[0]
    )
    [line] = spec["data"]
    assert line["x"][0] == "2010-12-31" and line["x"][-1] == today.isoformat()
    assert line["y"][0] == 1.0 and line["y"][-1] == 10.0


def test_a_pair_with_no_shared_history_has_no_tie_chart(viewer_client):
    factories.NationFactory(code="GBR", name="United Kingdom")
    factories.NationFactory(code="JPN", name="Japan")

    html = viewer_client.get("/nations/GBR/JPN/").content.decode()

    assert "No shared programme or agreement recorded: no prior tie." in html
    assert "chart-tie" not in html
