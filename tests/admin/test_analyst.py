"""An analyst records facts through the admin: the real add forms, inlines included, their
validation, and the history each change leaves."""

import datetime
import re

import pytest

from programs.models import (
    Agreement,
    Contribution,
    Decision,
    Organisation,
    OwnershipStake,
    Participation,
    Programme,
    TechTransferMilestone,
    Vote,
)
from tests import factories
from tests.admin_helpers import (
    admin_url,
    https_client,
    inline_rows,
    management_data,
    programme_with_partners,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(analyst):
    return https_client(analyst)


def milestone_form(programme, provider, recipient, **overrides) -> dict:
    data = {
        "programme": programme.pk,
        "title": "Radar apertures",
        "technology_area": "sensors",
        "weight": "3",
        "provider": provider.pk,
        "recipient": recipient.pk,
        "access_level": "licensed",
        "export_control": "ITAR",
        "planned_on": "2025-03-31",
        "status": "planned",
        "achieved_on": "",
        "source": "https://example.org/brief",
        "confidence": "reported",
        "change_reason": "programme office brief",
    }
    data.update(overrides)
    return data


def test_analyst_adds_a_milestone_and_finds_it_in_the_list_and_its_history(client, analyst):
    programme, orgs = programme_with_partners()
    url = admin_url(TechTransferMilestone, "add")
    assert client.get(url).status_code == 200

    response = client.post(url, milestone_form(programme, orgs["AAA"], orgs["BBB"]))

    assert response.status_code == 302, response.context["adminform"].form.errors
    milestone = TechTransferMilestone.objects.get(title="Radar apertures")
    changelist = client.get(admin_url(TechTransferMilestone, "changelist"))
    assert "Radar apertures" in changelist.text
    assert "AAA Aero (AAA)" in changelist.text
    history = client.get(admin_url(TechTransferMilestone, "history", milestone.pk))
    assert history.status_code == 200
    assert analyst.username in history.text
    assert milestone.history.get().history_user == analyst


def test_history_page_shows_what_changed_field_by_field(client, analyst):
    programme, orgs = programme_with_partners()
    client.post(
        admin_url(TechTransferMilestone, "add"), milestone_form(programme, orgs["AAA"], orgs["BBB"])
    )
    milestone = TechTransferMilestone.objects.get()

    response = client.post(
        admin_url(TechTransferMilestone, "change", milestone.pk),
        milestone_form(programme, orgs["AAA"], orgs["BBB"], status="delayed", weight="4"),
    )

    assert response.status_code == 302
    history = client.get(admin_url(TechTransferMilestone, "history", milestone.pk)).text
    assert re.search(
        r"<strong>Status:</strong>\s*planned\s*&nbsp;&rarr;&nbsp;&nbsp;delayed", history
    )
    assert re.search(r"<strong>Weight:</strong>\s*3\s*&nbsp;&rarr;&nbsp;&nbsp;4", history)
    assert milestone.history.count() == 2


def test_an_achieved_milestone_without_a_date_is_refused_naming_the_field(client):
    programme, orgs = programme_with_partners()

    response = client.post(
        admin_url(TechTransferMilestone, "add"),
        milestone_form(programme, orgs["AAA"], orgs["BBB"], status="achieved"),
    )

    assert response.status_code == 200
    assert "achieved_on" in response.context["adminform"].form.errors
    assert not TechTransferMilestone.objects.exists()


def programme_add_data(client, **rows) -> dict:
    page = client.get(admin_url(Programme, "add"))
    data = management_data(page)
    data.update(
        {
            "code": "NGF",
            "name": "Next generation fighter",
            "status": "development",
            "currency": "EUR",
            "started_on": "2021-01-01",
            "ended_on": "",
            "source": "",
            "confidence": "illustrative",
            "change_reason": "new programme from the MoU",
        }
    )
    for prefix, prefix_rows in rows.items():
        data.update(inline_rows(prefix, prefix_rows))
    return data


def participation_row(nation, share) -> dict:
    return {
        "nation": nation.pk,
        "role": "partner",
        "agreed_share": share,
        "joined_on": "2021-01-01",
        "confidence": "reported",
        "source": "MoU",
    }


def test_analyst_adds_a_programme_with_its_participations_and_contributions(client, analyst):
    aaa, bbb = factories.NationFactory(code="AAA"), factories.NationFactory(code="BBB")
    data = programme_add_data(
        client,
        participations=[participation_row(aaa, "60"), participation_row(bbb, "40")],
        contributions=[
            {
                "nation": aaa.pk,
                "period_start": "2021-01-01",
                "amount": "120",
                "confidence": "estimated",
            }
        ],
    )

    response = client.post(admin_url(Programme, "add"), data)

    assert response.status_code == 302, response.context["errors"]
    programme = Programme.objects.get(code="NGF")
    assert set(programme.participations.values_list("nation__code", "agreed_share")) == {
        ("AAA", 60),
        ("BBB", 40),
    }
    assert programme.contributions.get().amount == 120
    participation = Participation.objects.get(programme=programme, nation=aaa)
    assert participation.history.get().history_user == analyst


def test_inline_agreed_shares_over_one_hundred_percent_are_refused(client):
    aaa, bbb = factories.NationFactory(code="AAA"), factories.NationFactory(code="BBB")
    data = programme_add_data(
        client, participations=[participation_row(aaa, "60"), participation_row(bbb, "50")]
    )

    response = client.post(admin_url(Programme, "add"), data)

    assert response.status_code == 200
    assert "Agreed shares sum to 110" in response.text
    assert not Programme.objects.exists()


def test_a_contribution_from_a_nation_outside_the_new_programme_is_refused(client):
    aaa, outsider = factories.NationFactory(code="AAA"), factories.NationFactory(code="ZZZ")
    data = programme_add_data(
        client,
        participations=[participation_row(aaa, "100")],
        contributions=[{"nation": outsider.pk, "period_start": "2021-01-01", "amount": "5"}],
    )

    response = client.post(admin_url(Programme, "add"), data)

    assert response.status_code == 200
    assert "This nation does not take part in the programme." in response.text
    assert not Programme.objects.exists()
    assert not Contribution.objects.exists()


def joint_venture_data(client, stakes: list[tuple[Organisation, str]]) -> dict:
    page = client.get(admin_url(Organisation, "add"))
    data = management_data(page)
    data.update(
        {
            "name": "AB Jet",
            "short_name": "ABJ",
            "kind": "joint_venture",
            "nation": "",
            "confidence": "reported",
        }
    )
    data.update(
        inline_rows(
            "stakes",
            [
                {"owner": owner.pk, "percent": percent, "confidence": "reported"}
                for owner, percent in stakes
            ],
        )
    )
    return data


def test_a_joint_venture_whose_stakes_do_not_sum_to_one_hundred_is_refused(client):
    first, second = factories.OrganisationFactory(), factories.OrganisationFactory()

    response = client.post(
        admin_url(Organisation, "add"), joint_venture_data(client, [(first, "50"), (second, "40")])
    )

    assert response.status_code == 200
    assert "Stakes of AB Jet sum to 90" in response.text
    assert "they must sum to 100%" in response.text
    assert not Organisation.objects.filter(name="AB Jet").exists()
    assert not OwnershipStake.objects.exists()


def test_a_joint_venture_with_rounded_thirds_is_accepted(client):
    owners = factories.OrganisationFactory.create_batch(3)

    response = client.post(
        admin_url(Organisation, "add"),
        joint_venture_data(client, [(owner, "33.3") for owner in owners]),
    )

    assert response.status_code == 302
    venture = Organisation.objects.get(name="AB Jet")
    assert venture.stakes.count() == 3


def test_an_agreement_needs_two_nations(client):
    aaa, bbb = factories.NationFactory(code="AAA"), factories.NationFactory(code="BBB")
    data = {
        "name": "Accord",
        "kind": "treaty",
        "signed_on": "2019-07-01",
        "confidence": "reported",
        "change_reason": "treaty text",
    }

    refused = client.post(admin_url(Agreement, "add"), {**data, "nations": [aaa.pk]})
    accepted = client.post(admin_url(Agreement, "add"), {**data, "nations": [aaa.pk, bbb.pk]})

    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["nations"] == [
        "An agreement binds two or more nations."
    ]
    assert accepted.status_code == 302
    assert set(Agreement.objects.get().nations.values_list("code", flat=True)) == {"AAA", "BBB"}


def test_a_vote_from_a_nation_without_a_seat_is_refused_on_a_new_decision(client):
    programme, _ = programme_with_partners()
    body = factories.DecisionBodyFactory(programme=programme)
    seated, unseated = programme.participations.order_by("nation__code")
    factories.SeatFactory(body=body, nation=seated.nation)
    page = client.get(admin_url(Decision, "add"))
    data = management_data(page)
    data.update(
        {
            "body": body.pk,
            "title": "Design freeze",
            "decided_on": datetime.date(2024, 5, 1).isoformat(),
            "outcome": "approved",
            "proposer": seated.nation.pk,
            "confidence": "illustrative",
            "change_reason": "board minutes",
        }
    )
    vote = {"position": "for", "confidence": "illustrative"}

    refused = client.post(
        admin_url(Decision, "add"),
        {**data, **inline_rows("votes", [{**vote, "nation": unseated.nation.pk}])},
    )
    accepted = client.post(
        admin_url(Decision, "add"),
        {**data, **inline_rows("votes", [{**vote, "nation": seated.nation.pk}])},
    )

    assert refused.status_code == 200
    assert "holds no seat on this body" in refused.text
    assert accepted.status_code == 302
    assert Vote.objects.get().nation == seated.nation
