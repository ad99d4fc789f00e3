"""The programme page's prior-ties table names each shared programme and agreement in force."""

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
    assert "Tornado &lt;MRCA&gt; (TOR, from 2010, 5.0 yrs)" in ties
    assert "UK–Italy accord (2012)" in ties
