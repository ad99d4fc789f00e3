"""The What if page of a programme, driven with the test client: the form of common moves,
the result next to today's, saved drafts; nothing written, a constant number of queries."""

import pytest
from django.urls import reverse

from programs.models import WhatIfDraft
from tests import factories
from tests.admin_helpers import https_client
from tests.whatif.helpers import JAPAN_TAKES_TWO_LEADS, SEED_DAY, footprint, seeded_and_scanned

pytestmark = pytest.mark.django_db

PAGE = "/programmes/GCAP/what-if/"
#: The form's fields as a browser posts them untouched (selects on their first option).
UNTOUCHED = {"participation_role": "partner", "agreement_kind": "treaty"}


@pytest.fixture
def vic():
    seeded_and_scanned()
    return https_client(factories.UserFactory(username="vic", groups=["viewer"]))


def test_moving_a_lead_role_with_the_form_shows_the_flag_changes_first_and_writes_nothing(
    vic, django_capture_on_commit_callbacks
):
    before = footprint()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = vic.post(
            PAGE,
            {
                **UNTOUCHED,
                "role": "Propulsion system lead",
                "role_nation": "JPN",
                "role_organisation": "IHI",
                "as_of": SEED_DAY.isoformat(),
            },
        )

    assert response.status_code == 200
    assert footprint() == before
    assert callbacks == []
    html = response.content.decode()
    result = html[html.index('id="whatif-result"') :]
    assert result.index('data-change="resolved" data-rule="leadership_deficit"') < result.index(
        'data-change="unchanged"'
    )
    assert 'data-change="changed" data-rule="bloc_sidelining"' in result
    for chart in ("chart-shares-now", "chart-shares-draft", "chart-returns-now"):
        assert f'id="{chart}"' in result
    # The draft the form built is kept in the paste box, ready to save or edit.
    assert "title: Propulsion system lead" in response.context["document"]


def test_a_form_error_and_a_refused_draft_are_shown_on_the_page(vic):
    missing = vic.post(PAGE, {**UNTOUCHED, "role": "Propulsion system lead"})
    assert missing.status_code == 200
    assert missing.context["form"].errors["role_nation"] == ["Needed for this move."]

    refused = vic.post(
        PAGE,
        {
            **UNTOUCHED,
            "document": "format: gcaptrack-scenario/1\n"
            "leadership_roles:\n  - {programme: GCAP, title: X, nation: ZZZ}\n",
        },
    )
    assert "leadership_roles[0] (GCAP/X): nation: unknown nation" in refused.content.decode()


def test_a_draft_is_saved_listed_reopened_copied_and_deleted_on_the_page(vic):
    saved = vic.post(
        reverse("dashboards:what-if-save", args=["GCAP"]),
        {"name": "Japan leads", "note": "Rome", "document": JAPAN_TAKES_TWO_LEADS},
    )
    draft = WhatIfDraft.objects.get()
    assert saved["Location"] == f"{PAGE}?draft={draft.pk}"

    listed = vic.get(PAGE).content.decode()
    assert f'<a href="{PAGE}?draft={draft.pk}">Japan leads</a>' in listed
    reopened = vic.get(f"{PAGE}?draft={draft.pk}")
    assert reopened.context["page"]["own"] is not None
    assert reopened.context["document"] == JAPAN_TAKES_TWO_LEADS

    vic.post(reverse("dashboards:what-if-copy", args=["GCAP", draft.pk]))
    assert WhatIfDraft.objects.filter(name="Copy of Japan leads").exists()
    vic.post(reverse("dashboards:what-if-delete", args=["GCAP", draft.pk]))
    assert list(WhatIfDraft.objects.values_list("name", flat=True)) == ["Copy of Japan leads"]


def test_someone_elses_draft_cannot_be_deleted_from_the_page(vic):
    ana = factories.UserFactory(username="ana", groups=["analyst"])
    draft = WhatIfDraft.objects.create(name="Ana's", author=ana, document=JAPAN_TAKES_TWO_LEADS)
    response = vic.post(reverse("dashboards:what-if-delete", args=["GCAP", draft.pk]))
    assert response.status_code == 403
    assert WhatIfDraft.objects.filter(pk=draft.pk).exists()


def test_the_programme_page_and_each_flag_link_to_the_what_if_page(vic):
    html = vic.get("/programmes/GCAP/").content.decode()
    assert f'href="{PAGE}" id="what-if-link"' in html
    assert f'href="{PAGE}?nation=JPN">What would clear this?' in html
    prefilled = vic.get(f"{PAGE}?nation=JPN")
    assert prefilled.context["form"]["role_nation"].value() == "JPN"


def test_the_page_takes_a_constant_number_of_queries(vic, django_assert_max_num_queries):
    for _ in range(2):  # a second saved draft adds no query
        WhatIfDraft.objects.create(name="d", document=JAPAN_TAKES_TWO_LEADS)
        with django_assert_max_num_queries(30):
            assert vic.get(PAGE).status_code == 200


def test_a_reopened_draft_is_changed_by_saving_it_after_a_new_move(vic):
    vic.post(
        reverse("dashboards:what-if-save", args=["GCAP"]),
        {"name": "Japan leads", "note": "", "document": JAPAN_TAKES_TWO_LEADS},
    )
    draft = WhatIfDraft.objects.get()
    page = vic.post(
        PAGE,
        {
            **UNTOUCHED,
            "draft": draft.pk,
            "document": JAPAN_TAKES_TWO_LEADS,
            "role": "Airframe chief engineer",
            "role_nation": "JPN",
        },
    )
    save_form = page.context["save_form"]
    assert save_form.initial["draft"] == draft.pk
    assert "Save the changes to this draft" in page.content.decode()

    vic.post(
        reverse("dashboards:what-if-save", args=["GCAP"]),
        {
            "name": "Japan leads",
            "note": "airframe too",
            **{"document": page.context["document"]},
            "draft": draft.pk,
        },
    )
    draft.refresh_from_db()
    assert WhatIfDraft.objects.count() == 1
    assert "Airframe chief engineer" in draft.document and draft.note == "airframe too"
    assert draft.history.count() == 2
