"""Access by nation in the admin (issue #7): a user restricted to a nation lists, counts,
filters by, picks and reads the history of only what is releasable to it. An unrestricted
analyst, on the same data, still sees everything."""

import csv
import io
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from programs import models
from tests import factories
from tests.admin_helpers import admin_url, https_client, management_data

pytestmark = pytest.mark.django_db


@dataclass
class Caveats:
    gcap: models.Programme
    fcas: models.Programme
    visible: models.TechTransferMilestone
    hidden: models.TechTransferMilestone
    orgs: dict


@pytest.fixture
def caveats() -> Caveats:
    """GCAP (Britain and Japan) and FCAS (France only, hidden from Britain), a French firm
    released to France only, a milestone, a contribution, a flag and a snapshot in each."""
    gbr, jpn, fra = (factories.NationFactory(code=code) for code in ("GBR", "JPN", "FRA"))
    gcap = factories.ProgrammeFactory(code="GCAP")
    fcas = factories.ProgrammeFactory(code="FCAS")
    for programme, nation in ((gcap, gbr), (gcap, jpn), (fcas, fra)):
        factories.ParticipationFactory(programme=programme, nation=nation)
    orgs = {
        "BAE": factories.OrganisationFactory(name="BAE Systems", nation=gbr),
        "MHI": factories.OrganisationFactory(name="Mitsubishi Heavy", nation=jpn),
        "DAS": factories.OrganisationFactory(name="Dassault Aviation", nation=fra),
        "SAF": factories.OrganisationFactory(name="Safran", nation=fra),
    }
    orgs["DAS"].releasable_to.set([fra])
    visible = factories.TechTransferMilestoneFactory(
        programme=gcap, title="Radar apertures", provider=orgs["BAE"], recipient=orgs["MHI"]
    )
    hidden = factories.TechTransferMilestoneFactory(
        programme=fcas, title="Secret engine core", provider=orgs["DAS"], recipient=orgs["SAF"]
    )
    for programme, nation in ((gcap, gbr), (fcas, fra)):
        factories.ContributionFactory(programme=programme, nation=nation)
        factories.FlagFactory(programme=programme, nation=nation)
        factories.BalanceSnapshotFactory(programme=programme, nation=nation)
    return Caveats(gcap, fcas, visible, hidden, orgs)


@pytest.fixture
def gb(caveats):
    """An analyst restricted to the United Kingdom, logged in."""
    user = factories.UserFactory(username="gb", groups=["analyst"])
    factories.ClearanceFactory(user=user, nation=models.Nation.objects.get(code="GBR"))
    return https_client(user)


@pytest.fixture
def everyone(caveats, analyst):
    """The unrestricted control analyst, logged in."""
    return https_client(analyst)


def milestone_form(milestone, **overrides) -> dict:
    data = {
        "programme": milestone.programme_id,
        "title": milestone.title,
        "technology_area": milestone.technology_area,
        "weight": str(milestone.weight),
        "provider": milestone.provider_id,
        "recipient": milestone.recipient_id,
        "access_level": milestone.access_level,
        "export_control": "",
        "planned_on": milestone.planned_on.isoformat(),
        "status": milestone.status,
        "achieved_on": "",
        "source": "",
        "confidence": "reported",
        "change_reason": "release review",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("model", "shown", "hidden"),
    [
        (models.TechTransferMilestone, "Radar apertures", "Secret engine core"),
        (models.Programme, "GCAP", "FCAS"),
        (models.Organisation, "BAE Systems", "Dassault Aviation"),
    ],
)
def test_changelists_list_and_count_only_visible_rows(gb, everyone, model, shown, hidden):
    restricted = gb.get(admin_url(model, "changelist"))
    assert restricted.status_code == 200
    assert shown in restricted.text
    assert hidden not in restricted.text
    assert restricted.context["cl"].result_count == model.objects.count() - 1

    control = everyone.get(admin_url(model, "changelist"))
    assert hidden in control.text
    assert control.context["cl"].result_count == model.objects.count()


def test_flags_and_snapshots_of_a_hidden_programme_are_not_listed(gb, everyone):
    for model in (models.Flag, models.BalanceSnapshot):
        restricted = gb.get(admin_url(model, "changelist")).context["cl"]
        assert {row.programme.code for row in restricted.result_list} == {"GCAP"}
        control = everyone.get(admin_url(model, "changelist")).context["cl"]
        assert {row.programme.code for row in control.result_list} == {"GCAP", "FCAS"}


def test_a_hidden_record_page_answers_like_a_missing_one(caveats, gb):
    hidden = gb.get(admin_url(models.TechTransferMilestone, "change", caveats.hidden.pk))
    missing = gb.get(admin_url(models.TechTransferMilestone, "change", 999999))
    assert hidden.status_code == missing.status_code == 302
    assert hidden.url == missing.url == reverse("admin:index")

    posted = gb.post(
        admin_url(models.TechTransferMilestone, "change", caveats.hidden.pk),
        milestone_form(caveats.hidden, title="Overwritten"),
    )
    assert posted.status_code == 302
    caveats.hidden.refresh_from_db()
    assert caveats.hidden.title == "Secret engine core"


def test_history_of_a_hidden_or_deleted_record_is_404(caveats, gb, everyone):
    milestone = models.TechTransferMilestone
    version = caveats.hidden.history.get().history_id
    hidden_url = admin_url(milestone, "history", caveats.hidden.pk)
    missing_url = admin_url(milestone, "history", 987654321)
    hidden, missing = gb.get(hidden_url), gb.get(missing_url)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content.replace(hidden_url.encode(), b"?") == missing.content.replace(
        missing_url.encode(), b"?"
    )
    version_url = reverse(
        "admin:programs_techtransfermilestone_simple_history", args=[caveats.hidden.pk, version]
    )
    assert gb.get(version_url).status_code == 404
    assert everyone.get(version_url).status_code == 200

    deleted = caveats.hidden.pk
    caveats.hidden.delete()
    assert gb.get(admin_url(milestone, "history", deleted)).status_code == 404
    assert everyone.get(admin_url(milestone, "history", deleted)).status_code == 200
    assert gb.get(admin_url(milestone, "history", caveats.visible.pk)).status_code == 200


def test_history_names_no_record_hidden_from_the_user(caveats, gb, everyone):
    milestone = caveats.visible
    milestone.provider = caveats.orgs["DAS"]
    milestone.save()
    first_hidden = milestone.history.latest("history_date").history_id
    milestone.provider = caveats.orgs["BAE"]
    milestone.save()
    url = admin_url(models.TechTransferMilestone, "history", milestone.pk)

    restricted = gb.get(url)
    assert restricted.status_code == 200
    assert "Dassault" not in restricted.text
    assert "not releasable to you" in restricted.text
    assert "Dassault" in everyone.get(url).text

    version_url = reverse(
        "admin:programs_techtransfermilestone_simple_history",
        args=[milestone.pk, first_hidden],
    )
    assert gb.get(version_url).status_code == 404
    assert everyone.get(version_url).status_code == 200


def test_list_filters_offer_no_hidden_programme_or_organisation(gb, everyone):
    for model in (models.Contribution, models.TechTransferMilestone, models.Flag):
        restricted = gb.get(admin_url(model, "changelist"))
        assert "FCAS" not in restricted.text, model
        assert "GCAP" in restricted.text
        assert "FCAS" in everyone.get(admin_url(model, "changelist")).text


def autocomplete(client, model_name: str, field_name: str) -> set[str]:
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "programs", "model_name": model_name, "field_name": field_name, "term": ""},
    )
    assert response.status_code == 200
    return {row["text"] for row in response.json()["results"]}


def test_autocomplete_offers_only_visible_records(gb, everyone):
    assert autocomplete(gb, "techtransfermilestone", "programme") == {"GCAP"}
    assert autocomplete(everyone, "techtransfermilestone", "programme") == {"GCAP", "FCAS"}
    providers = autocomplete(gb, "techtransfermilestone", "provider")
    assert "Dassault Aviation" not in providers
    assert "BAE Systems" in providers


def test_a_form_refuses_a_hidden_record_as_a_choice(caveats, gb):
    response = gb.post(
        admin_url(models.TechTransferMilestone, "add"),
        milestone_form(caveats.visible, title="Leak", provider=caveats.orgs["DAS"].pk),
    )
    assert response.status_code == 200
    assert "provider" in response.context["adminform"].form.errors
    assert not models.TechTransferMilestone.objects.filter(title="Leak").exists()


def test_releasable_to_is_edited_and_must_keep_the_users_nation(caveats, gb):
    jpn, gbr = (models.Nation.objects.get(code=code) for code in ("JPN", "GBR"))
    url = admin_url(models.TechTransferMilestone, "change", caveats.visible.pk)
    form = gb.get(url)
    assert 'type="checkbox" name="releasable_to"' in form.text

    refused = gb.post(url, milestone_form(caveats.visible, releasable_to=[jpn.pk]))
    assert refused.status_code == 200
    assert "own nation" in str(refused.context["adminform"].form.errors["releasable_to"])
    assert not caveats.visible.releasable_to.exists()

    saved = gb.post(url, milestone_form(caveats.visible, releasable_to=[jpn.pk, gbr.pk]))
    assert saved.status_code == 302
    assert set(caveats.visible.releasable_to.all()) == {jpn, gbr}


def test_saving_a_programme_keeps_predecessors_hidden_from_the_user(caveats, gb):
    old = factories.ProgrammeFactory(code="OLDGB")
    old.releasable_to.set([models.Nation.objects.get(code="GBR")])
    caveats.gcap.predecessors.set([caveats.fcas, old])
    url = admin_url(models.Programme, "change", caveats.gcap.pk)
    form = gb.get(url)
    assert form.status_code == 200
    assert "FCAS" not in form.text
    assert "OLDGB" in form.text

    gcap = caveats.gcap
    data = {
        "code": gcap.code,
        "name": gcap.name,
        "status": gcap.status,
        "currency": gcap.currency,
        "started_on": "",
        "ended_on": "",
        "predecessors": [],
        "source": "",
        "confidence": "reported",
        **management_data(form),
    }
    for inline in form.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = data[f"{prefix}-INITIAL_FORMS"] = "0"
    saved = gb.post(url, data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    assert set(gcap.predecessors.values_list("code", flat=True)) == {"FCAS"}


def test_users_show_their_clearance(caveats, gb):
    admin_user = factories.UserFactory(username="root", is_superuser=True)
    client = https_client(admin_user)
    User = get_user_model()
    changelist = client.get(reverse("admin:auth_user_changelist"))
    assert changelist.status_code == 200
    row = next(user for user in changelist.context["cl"].result_list if user.username == "gb")
    assert changelist.context["cl"].model_admin.cleared_for(row) == "GBR"
    assert "Restricted to" in changelist.text

    change = client.get(
        reverse("admin:auth_user_change", args=[User.objects.get(username="gb").pk])
    )
    inline_models = {inline.opts.model for inline in change.context["inline_admin_formsets"]}
    assert models.Clearance in inline_models


def test_deleting_a_record_that_hidden_records_depend_on_is_refused(caveats, gb):
    hidden_role = factories.LeadershipRoleFactory(
        programme=caveats.gcap, title="Secret chief", nation=models.Nation.objects.get(code="JPN")
    )
    hidden_role.releasable_to.set([models.Nation.objects.get(code="JPN")])
    url = admin_url(models.Programme, "delete", caveats.gcap.pk)

    confirm = gb.get(url)
    assert confirm.status_code == 200
    assert "Other records depend on this one" in confirm.text
    assert "Secret chief" not in confirm.text
    gb.post(url, {"post": "yes"})
    assert models.Programme.objects.filter(pk=caveats.gcap.pk).exists()


@pytest.mark.parametrize("view", ["change", "delete", "history"])
@pytest.mark.parametrize("model", [models.Flag, models.BalanceSnapshot])
def test_a_hidden_flag_or_snapshot_answers_like_a_missing_one(caveats, gb, model, view):
    if view == "history" and not hasattr(model, "history"):
        return
    hidden_url = admin_url(model, view, model.objects.get(programme=caveats.fcas).pk)
    missing_url = admin_url(model, view, 987654321)
    hidden, missing = gb.get(hidden_url), gb.get(missing_url)
    assert hidden.status_code == missing.status_code
    assert hidden.content.replace(hidden_url.encode(), b"?") == missing.content.replace(
        missing_url.encode(), b"?"
    )


def test_deleting_a_nation_names_no_hidden_record_that_protects_it(caveats, gb):
    """Nations are reference data: a restricted analyst may not delete one at all (#18)."""
    url = admin_url(models.Nation, "delete", models.Nation.objects.get(code="FRA").pk)
    confirm = gb.get(url)
    assert confirm.status_code == 403
    assert "FCAS" not in confirm.text


def exported_csv(client, model) -> str:
    url = admin_url(model, "export")
    form = client.get(url).context["form"]
    data = {"format": "0", "resource": "0"}
    data.update(
        {
            name: "on"
            for name, field in form.fields.items()
            if getattr(field, "is_selectable_field", False)
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    return response.content.decode()


def test_exports_leave_out_hidden_rows_and_links_to_hidden_records(caveats, gb, everyone):
    caveats.gcap.predecessors.set([caveats.fcas])
    restricted = list(csv.DictReader(io.StringIO(exported_csv(gb, models.Programme))))
    assert [(row["code"], row["predecessors"]) for row in restricted] == [("GCAP", "")]
    control = list(csv.DictReader(io.StringIO(exported_csv(everyone, models.Programme))))
    assert {row["code"]: row["predecessors"] for row in control}["GCAP"] != ""
    assert "Secret engine core" not in exported_csv(gb, models.TechTransferMilestone)
