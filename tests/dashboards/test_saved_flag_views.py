"""Saved views of the flags page: a name and the filters, kept per user, shared by a link that
shows each reader the flags they may see."""

import pytest
from django.test import Client

from programs.models import SavedFlagView
from tests import factories
from tests.dashboards.test_pages import gcap, make_flag  # noqa: F401 - the fixture is used

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


def signed_in(username: str, nation=None) -> Client:
    user = factories.UserFactory(username=username, groups=["analyst"])
    if nation is not None:
        factories.ClearanceFactory(user=user, nation=nation)
    client = Client()
    client.force_login(user)
    return client


def test_a_saved_view_keeps_the_filters_and_its_link_shows_them_to_another_user(gcap):  # noqa: F811
    programme, nations = gcap
    critical = make_flag(programme, nations["JPN"], severity="critical")
    make_flag(programme, nations["ITA"])
    ana = signed_in("ana")
    page = ana.get("/flags/?nation=JPN&severity=critical&page=2&junk=1")
    assert 'name="query" value="nation=JPN&amp;severity=critical"' in page.text

    saved = ana.post(
        "/flags/views/", {"name": "Japan critical", "query": "nation=JPN&severity=critical&x=1"}
    )

    assert saved.status_code == 302
    view = SavedFlagView.objects.get()
    assert (view.name, view.query) == ("Japan critical", "nation=JPN&severity=critical")
    listed = ana.get("/flags/")
    link = f"/flags/views/{view.token}/"
    assert f'href="{link}"' in listed.text and "Japan critical" in listed.text
    shared = signed_in("bob").get(link, follow=True)
    assert shared.redirect_chain[-1][0] == "/flags/?nation=JPN&severity=critical"
    assert [flag.pk for flag in shared.context["flags"]] == [critical.pk]
    assert "Japan critical" not in shared.text, "bob's own views are listed, not ana's"


def test_a_shared_view_shows_a_restricted_reader_only_what_they_may_see(gcap):  # noqa: F811
    programme, nations = gcap
    make_flag(programme, nations["JPN"], severity="critical")
    outsider = factories.NationFactory(code="FRA", name="France")
    view = SavedFlagView.objects.create(
        user=factories.UserFactory(username="ana"), name="Japan", query="nation=JPN"
    )

    shown = signed_in("pierre", nation=outsider).get(f"/flags/views/{view.token}/", follow=True)

    assert list(shown.context["flags"]) == []


def test_a_view_needs_a_name_of_its_own_and_only_its_owner_deletes_it(gcap):  # noqa: F811
    ana = signed_in("ana")
    ana.post("/flags/views/", {"name": "Mine", "query": "rule=outvoted"})

    ana.post("/flags/views/", {"name": "Mine", "query": "rule=bloc_sidelining"})
    nameless = ana.post("/flags/views/", {"name": " ", "query": ""}, follow=True)

    assert "give it a name" in nameless.text
    assert list(SavedFlagView.objects.values_list("name", "query")) == [("Mine", "rule=outvoted")]
    view = SavedFlagView.objects.get()
    assert signed_in("bob").post(f"/flags/views/{view.pk}/delete/").status_code == 404
    assert ana.post(f"/flags/views/{view.pk}/delete/").status_code == 302
    assert not SavedFlagView.objects.exists()
    assert signed_in("carl").get(f"/flags/views/{view.token}/").status_code == 404
