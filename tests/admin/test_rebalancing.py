"""Totals checked over a whole inline (stakes, agreed shares) let an analyst move a share from
one row to another in one save, and still refuse a total over 100 %."""

from decimal import Decimal

import pytest

from programs.models import Organisation, Participation, Programme
from tests import factories
from tests.admin_helpers import admin_url, change_page_data, https_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(analyst):
    return https_client(analyst)


def test_stakes_move_from_one_owner_to_another_in_one_save(client):
    venture = factories.JointVentureFactory(name="AB Jet")
    first = factories.OwnershipStakeFactory(venture=venture, percent=Decimal("50"))
    second = factories.OwnershipStakeFactory(venture=venture, percent=Decimal("50"))
    url = admin_url(Organisation, "change", venture.pk)

    data = change_page_data(client, url, {"stakes": {"0-percent": "60", "1-percent": "40"}})
    response = client.post(url, data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    first.refresh_from_db()
    second.refresh_from_db()
    assert sorted([first.percent, second.percent]) == [Decimal("40"), Decimal("60")]


def test_stakes_raised_over_one_hundred_in_one_save_are_still_refused(client):
    venture = factories.JointVentureFactory(name="AB Jet")
    factories.OwnershipStakeFactory(venture=venture, percent=Decimal("50"))
    factories.OwnershipStakeFactory(venture=venture, percent=Decimal("50"))
    url = admin_url(Organisation, "change", venture.pk)

    data = change_page_data(client, url, {"stakes": {"0-percent": "60"}})
    response = client.post(url, data)

    assert response.status_code == 200
    assert "Stakes of AB Jet sum to 110" in response.text
    assert sorted(venture.stakes.values_list("percent", flat=True)) == [50, 50]


def test_agreed_shares_move_between_nations_in_one_save(client):
    programme = factories.ProgrammeFactory(code="DEMO")
    factories.ParticipationFactory(programme=programme, agreed_share=Decimal("50"))
    factories.ParticipationFactory(programme=programme, agreed_share=Decimal("50"))
    url = admin_url(Programme, "change", programme.pk)

    data = change_page_data(
        client,
        url,
        {"participations": {"0-agreed_share": "70", "1-agreed_share": "30"}},
    )
    response = client.post(url, {**data, "change_reason": "revised MoU shares"})

    assert response.status_code == 302, response.context["errors"]
    shares = Participation.objects.filter(programme=programme).values_list(
        "agreed_share", flat=True
    )
    assert sorted(shares) == [Decimal("30"), Decimal("70")]
