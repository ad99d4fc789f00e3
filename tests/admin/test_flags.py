import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils.html import escape

from programs.balance.scan import scan_programme
from programs.models import Flag, FlagEvent
from tests.admin_helpers import https_client, management_data
from tests.worlds import AS_OF, build_sidelined_world

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:programs_flag_changelist")


def change_url(flag: Flag) -> str:
    return reverse("admin:programs_flag_change", args=[flag.pk])


@pytest.fixture
def analyst_client(analyst):
    return https_client(analyst)


@pytest.fixture
def viewer_client(viewer):
    return https_client(viewer)


def post_change_form(client, flag: Flag, data: dict):
    """Post the flag's change form as the browser would, inline management data included."""
    page = client.get(change_url(flag))
    return client.post(change_url(flag), {**management_data(page), **data})


@pytest.fixture
def flags(sidelined_world) -> list[Flag]:
    return scan_programme(sidelined_world.programme, AS_OF).raised


def test_analyst_acknowledges_a_flag_with_a_note_on_its_page(analyst_client, analyst, flags):
    flag = flags[0]
    page = analyst_client.get(change_url(flag))
    assert page.status_code == 200
    assert b'name="note"' in page.content
    assert escape(flag.explanation) in page.content.decode()

    response = post_change_form(analyst_client, flag, {"note": "Raised with the JPO in May."})

    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == "acknowledged"
    assert flag.acknowledged_by == analyst
    assert flag.note == "Raised with the JPO in May."
    event = flag.events.get(kind="acknowledged")
    assert event.by == analyst and event.note == "Raised with the JPO in May."


def test_analyst_cannot_change_anything_but_the_note(analyst_client, flags):
    flag = flags[0]
    post_change_form(
        analyst_client, flag, {"note": "ok", "severity": "info", "explanation": "edited"}
    )
    flag.refresh_from_db()
    assert flag.severity != "info"
    assert flag.explanation != "edited"


def test_viewer_sees_flags_but_gets_403_acknowledging(viewer_client, flags):
    flag = flags[0]
    page = viewer_client.get(change_url(flag))
    assert page.status_code == 200
    assert b'name="note"' not in page.content
    assert post_change_form(viewer_client, flag, {"note": "sneaky"}).status_code == 403
    flag.refresh_from_db()
    assert flag.status == "open"
    changelist = viewer_client.get(CHANGELIST)
    assert changelist.status_code == 200
    assert b"acknowledge_selected" not in changelist.content


def test_bulk_acknowledge_asks_for_a_note_then_acknowledges_every_selected_flag(
    analyst_client, analyst, flags
):
    selected = [str(flag.pk) for flag in flags[:3]]
    form = analyst_client.post(
        CHANGELIST, {"action": "acknowledge_selected", ACTION_CHECKBOX_NAME: selected}
    )
    assert form.status_code == 200
    assert b'name="note"' in form.content
    assert not FlagEvent.objects.filter(kind="acknowledged").exists()

    done = analyst_client.post(
        CHANGELIST,
        {
            "action": "acknowledge_selected",
            ACTION_CHECKBOX_NAME: selected,
            "apply": "1",
            "note": "Reviewed at the quarterly board.",
        },
    )

    assert done.status_code == 302
    acknowledged = Flag.objects.filter(status="acknowledged")
    assert sorted(str(pk) for pk in acknowledged.values_list("pk", flat=True)) == sorted(selected)
    assert set(acknowledged.values_list("note", flat=True)) == {"Reviewed at the quarterly board."}
    assert set(acknowledged.values_list("acknowledged_by", flat=True)) == {analyst.pk}


def test_resolved_flags_are_read_only_even_for_analysts(analyst_client, flags):
    flag = flags[0]
    Flag.objects.filter(pk=flag.pk).update(status="resolved", resolved_at=flag.last_seen_at)
    assert post_change_form(analyst_client, flag, {"note": "late"}).status_code == 403


def test_nobody_adds_or_deletes_flags(analyst_client, flags):
    assert analyst_client.get(reverse("admin:programs_flag_add")).status_code == 403
    delete = reverse("admin:programs_flag_delete", args=[flags[0].pk])
    assert analyst_client.post(delete, {"post": "yes"}).status_code == 403


def test_changelist_filters_and_search(analyst_client, flags):
    by_rule = analyst_client.get(CHANGELIST, {"rule": "bloc_sidelining"})
    assert by_rule.context["cl"].result_count == 1
    by_nation = analyst_client.get(CHANGELIST, {"nation__id__exact": flags[0].nation_id})
    assert by_nation.context["cl"].result_count == len(flags)
    found = analyst_client.get(CHANGELIST, {"q": "tie index 16.97 since 1970"})
    assert found.context["cl"].result_count == 1
    for params in ({"severity": "critical"}, {"status": "open"}, {"programme__id__exact": "1"}):
        assert analyst_client.get(CHANGELIST, params).status_code == 200


def test_changelist_query_count_is_constant(analyst_client, django_assert_max_num_queries):
    small = build_sidelined_world(code="SMALL")
    scan_programme(small.programme, AS_OF)
    with django_assert_max_num_queries(100) as few:
        analyst_client.get(CHANGELIST)
    for index in range(5):
        world = build_sidelined_world(code=f"MORE{index}")
        scan_programme(world.programme, AS_OF)
    assert Flag.objects.count() >= 30
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = analyst_client.get(CHANGELIST)
    assert response.context["cl"].result_count == Flag.objects.count()


def test_snapshots_are_viewable_and_read_only(analyst_client, viewer_client, world):
    world.balanced_money()
    scan_programme(world.programme, AS_OF)
    url = reverse("admin:programs_balancesnapshot_changelist")
    assert viewer_client.get(url).status_code == 200
    assert analyst_client.get(url).context["cl"].result_count == 3
    assert analyst_client.get(reverse("admin:programs_balancesnapshot_add")).status_code == 403
