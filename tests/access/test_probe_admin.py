"""The probe of issue #18 in the admin: what a Japan-cleared analyst could learn of records
released to the UK and Italy only through history pages, form refusals, nations, deletions and
the scenario loads' journal. Each test reproduces one finding, with an unrestricted control
where a page must still show what the restricted analyst may not see."""

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile

from programs import models
from programs.admin.base import HIDDEN
from programs.models.base import TAKEN_KEY_MESSAGE
from tests import factories
from tests.admin_helpers import admin_url, https_client
from tests.worlds import restricted_user

pytestmark = pytest.mark.django_db

SECRET_AMOUNT = Decimal("987654321.00")


@dataclass
class Probe:
    nations: dict
    gcap: models.Programme
    fcas: models.Programme
    secret_works: models.Organisation
    workshare: models.WorkshareAllocation
    moved: models.Contribution
    hidden_contribution: models.Contribution


@pytest.fixture
def probe() -> Probe:
    """GCAP (UK, Japan, Italy) and FCAS (France only); an organisation released to the UK and
    Italy only, once given GCAP workshare that has since moved to a Japanese firm; a
    contribution moved from FCAS into GCAP; a UK contribution released to the UK and Italy."""
    nations = {
        code: factories.NationFactory(code=code, name=name)
        for code, name in [
            ("GBR", "United Kingdom"),
            ("JPN", "Japan"),
            ("ITA", "Italy"),
            ("FRA", "France"),
        ]
    }
    gcap = factories.ProgrammeFactory(code="GCAP", currency="GBP")
    for code in ("GBR", "JPN", "ITA"):
        factories.ParticipationFactory(programme=gcap, nation=nations[code])
    fcas = factories.ProgrammeFactory(code="QXFCASQX", currency="EUR")
    factories.ParticipationFactory(programme=fcas, nation=nations["FRA"])
    secret_works = factories.OrganisationFactory(name="QX Secret Works QX", nation=nations["GBR"])
    secret_works.releasable_to.set([nations["GBR"], nations["ITA"]])
    mhi = factories.OrganisationFactory(name="Mitsubishi Heavy", nation=nations["JPN"])
    package = factories.WorkPackageFactory(programme=gcap, code="AIR")
    workshare = factories.WorkshareAllocationFactory(
        work_package=package, organisation=secret_works, amount=SECRET_AMOUNT
    )
    workshare.organisation = mhi
    workshare.amount = Decimal("100.00")
    workshare.save()
    moved = factories.ContributionFactory(
        programme=fcas, nation=nations["FRA"], period_start=datetime.date(2030, 1, 1)
    )
    moved.programme = gcap
    moved.save()
    hidden = factories.ContributionFactory(
        programme=gcap, nation=nations["GBR"], period_start=datetime.date(2024, 1, 1)
    )
    hidden.releasable_to.set([nations["GBR"], nations["ITA"]])
    return Probe(nations, gcap, fcas, secret_works, workshare, moved, hidden)


@pytest.fixture
def jpn(probe):
    user = restricted_user(probe.nations["JPN"], username="jp-analyst", groups=["analyst"])
    return https_client(user)


@pytest.fixture
def control(probe):
    return https_client(factories.UserFactory(username="lead", groups=["analyst"]))


# -- finding 2: history pages ------------------------------------------------------------------


def test_history_names_no_organisation_a_past_version_placed_work_with(probe, jpn, control):
    url = admin_url(models.WorkshareAllocation, "history", probe.workshare.pk)

    seen = control.get(url).content.decode()
    page = jpn.get(url)

    assert "QX Secret Works QX" in seen and "987654321" in seen, "the control sees the past"
    text = page.content.decode()
    assert page.status_code == 200
    assert "QX Secret Works QX" not in text
    assert "987654321" not in text
    assert HIDDEN in text
    assert "Mitsubishi Heavy" in text, "the version the analyst may see is still named"


def test_history_names_no_hidden_programme_a_contribution_moved_from(probe, jpn, control):
    url = admin_url(models.Contribution, "history", probe.moved.pk)

    assert "QXFCASQX" in control.get(url).content.decode()
    page = jpn.get(url)

    assert page.status_code == 200
    assert "QXFCASQX" not in page.content.decode()


# -- finding 1 in the admin: a taken key ------------------------------------------------------


def test_the_admin_refuses_a_hidden_key_with_the_neutral_message_and_audits_it(probe, jpn, caplog):
    caplog.set_level(logging.WARNING, logger="programs.audit")
    count = models.Contribution.objects.count()
    response = jpn.post(
        admin_url(models.Contribution, "add"),
        {
            "programme": probe.gcap.pk,
            "nation": probe.nations["GBR"].pk,
            "period_start": "2024-01-01",
            "amount": "5.00",
            "confidence": "reported",
            "releasable_to": [probe.nations["JPN"].pk],
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert list(errors) == [TAKEN_KEY_MESSAGE.format(key="programme, nation and period start")]
    assert models.Contribution.objects.count() == count
    audited = [r.getMessage() for r in caplog.records if r.name == "programs.audit"]
    assert len(audited) == 1
    assert "user=jp-analyst" in audited[0]
    assert "programs.Contribution" in audited[0]


# -- finding 4 in the admin: release edits and nations -----------------------------------------


def test_the_admin_refuses_taking_the_uks_contribution_from_the_uk(probe, jpn):
    uk = factories.ContributionFactory(
        programme=probe.gcap, nation=probe.nations["GBR"], period_start=datetime.date(2026, 1, 1)
    )
    response = jpn.post(
        admin_url(models.Contribution, "change", uk.pk),
        {
            "programme": probe.gcap.pk,
            "nation": probe.nations["GBR"].pk,
            "period_start": "2026-01-01",
            "amount": str(uk.amount),
            "confidence": uk.confidence,
            "releasable_to": [probe.nations["JPN"].pk],
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["releasable_to"]
    assert errors == [
        "Keep GBR in the list: the record is theirs (its own nation or a participant of its "
        "programme it names)."
    ]
    assert list(uk.releasable_to.all()) == []


def test_nations_are_read_only_in_the_admin_for_a_restricted_analyst(probe, jpn, control):
    gbr = probe.nations["GBR"]
    url = admin_url(models.Nation, "change", gbr.pk)
    posted = jpn.post(url, {"code": "GBR", "name": "Renamed", "confidence": "reported"})
    assert posted.status_code == 403
    assert jpn.get(admin_url(models.Nation, "add")).status_code == 403
    assert jpn.get(url).status_code == 200, "they still read it"
    gbr.refresh_from_db()
    assert gbr.name == "United Kingdom"
    assert control.get(admin_url(models.Nation, "add")).status_code == 200


# -- finding 5 in the admin: deletion refusals and the scenario loads' journal ----------------


def test_the_admin_refuses_deleting_an_organisation_alike_for_hidden_and_visible_dependants(
    probe, jpn
):
    gbr, ita = probe.nations["GBR"], probe.nations["ITA"]
    italian = factories.OrganisationFactory(name="Leonardo", nation=ita)
    hidden_partner = factories.OrganisationFactory(name="Rolls-Royce", nation=gbr)
    visible_partner = factories.OrganisationFactory(name="MBDA UK", nation=gbr)
    secret = factories.TechTransferMilestoneFactory(
        programme=probe.gcap, title="QX engine core QX", provider=hidden_partner, recipient=italian
    )
    secret.releasable_to.set([gbr, ita])
    factories.TechTransferMilestoneFactory(
        programme=probe.gcap,
        title="Missile integration",
        provider=visible_partner,
        recipient=italian,
    )

    pages = [
        jpn.get(admin_url(models.Organisation, "delete", partner.pk))
        for partner in (hidden_partner, visible_partner)
    ]

    protected = [list(page.context["protected"]) for page in pages]
    assert (
        protected[0]
        == protected[1]
        == [
            "Other records depend on this one, so it cannot be deleted: delete or re-point those "
            "you can see first, or ask an analyst cleared for every nation."
        ]
    )
    assert "Missile integration" not in pages[1].content.decode()
    assert "QX engine core QX" not in pages[0].content.decode()
    for partner in (hidden_partner, visible_partner):
        jpn.post(admin_url(models.Organisation, "delete", partner.pk), {"post": "yes"})
    assert (
        models.Organisation.objects.filter(pk__in=[hidden_partner.pk, visible_partner.pk]).count()
        == 2
    )


def test_a_restricted_analyst_sees_only_their_own_scenario_loads_and_loaders(probe, jpn, control):
    lead = models.ScenarioLoad._meta.get_field("loaded_by").related_model.objects.get(
        username="lead"
    )
    factories.UserFactory(username="never-loaded")
    jp_user = models.Clearance.objects.get(nation=probe.nations["JPN"]).user
    factories.ScenarioLoadFactory(loaded_by=lead, file_name="qx-uk-italy-only.yaml", created=9)
    mine = factories.ScenarioLoadFactory(loaded_by=jp_user, file_name="japan.yaml", created=2)
    url = admin_url(models.ScenarioLoad, "changelist")

    page = jpn.get(url)
    everything = control.get(url)

    assert [load.pk for load in page.context["cl"].result_list] == [mine.pk]
    assert "qx-uk-italy-only" not in page.content.decode()
    loaders = [spec for spec in page.context["cl"].filter_specs if spec.field_path == "loaded_by"]
    assert [name for _, name in loaders[0].lookup_choices] == ["jp-analyst"]
    assert "never-loaded" not in page.content.decode()
    assert everything.context["cl"].result_count == 2
    everyone = [s for s in everything.context["cl"].filter_specs if s.field_path == "loaded_by"]
    assert sorted(name for _, name in everyone[0].lookup_choices) == ["jp-analyst", "lead"]
    assert jpn.get(admin_url(models.ScenarioLoad, "change", mine.pk)).status_code == 200


def test_the_admin_import_refuses_a_hidden_key_with_the_neutral_message_and_audits_it(
    probe, jpn, caplog
):
    """Probe finding 1 through the admin's CSV import: the row whose key a hidden record holds
    reads like any taken key, and the attempt is audited."""
    caplog.set_level(logging.WARNING, logger="programs.audit")
    text = (
        "programme,nation,period_start,period_end,amount,source,confidence\n"
        "GCAP,GBR,2024-01-01,,5.00,,\n"
    )
    upload = SimpleUploadedFile("rows.csv", text.encode(), content_type="text/csv")
    count = models.Contribution.objects.count()

    preview = jpn.post(
        admin_url(models.Contribution, "import"),
        {"resource": "0", "format": "0", "import_file": upload},
    )

    assert preview.status_code == 200
    assert preview.context.get("confirm_form") is None, "nothing to confirm"
    page = preview.content.decode()
    assert TAKEN_KEY_MESSAGE.format(key="programme, nation and period start") in page
    assert models.Contribution.objects.count() == count
    audited = [r.getMessage() for r in caplog.records if r.name == "programs.audit"]
    assert len(audited) == 1 and "user=jp-analyst" in audited[0]


# -- the admin log ----------------------------------------------------------------------------


def test_recent_actions_leave_out_entries_of_records_since_hidden(probe, jpn):
    """The admin index lists the user's own recent actions by the record's text as it was; once
    the record is hidden from them, its entry is left out."""
    jp_user = models.Clearance.objects.get(nation=probe.nations["JPN"]).user
    record = factories.ContributionFactory(
        programme=probe.gcap, nation=probe.nations["GBR"], period_start=datetime.date(2027, 1, 1)
    )
    LogEntry.objects.create(
        user=jp_user,
        content_type=ContentType.objects.get_for_model(models.Contribution),
        object_id=str(record.pk),
        object_repr="QX figure as it was QX",
        action_flag=CHANGE,
    )
    assert "QX figure as it was QX" in jpn.get("/admin/").content.decode()

    record.releasable_to.set([probe.nations["GBR"], probe.nations["ITA"]])

    page = jpn.get("/admin/")
    assert page.status_code == 200
    assert "QX figure as it was QX" not in page.content.decode()
