"""The programme page's prior-ties section: each pair's tie index and its parts, and each
nation's ties against each bloc's, next to the threshold the rule reads."""

import datetime

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
    japan = next(row for row in rows if "<th scope=\"row\">Japan</th>" in row)
    assert "United Kingdom + Italy" in japan
    assert "5.0 with GBR, 0.0 with ITA" in japan
    assert '<td class="num">2.00</td>' in japan
    assert "≥ 2.00 (1.98)" in japan
    assert "far more tied" in japan
    italy = next(row for row in rows if "<th scope=\"row\">Italy</th>" in row)
    assert "United Kingdom + Japan" in italy and '<td class="num">0.50</td>' in italy
    assert "not far more tied" in italy
    assert len(rows) == 2
