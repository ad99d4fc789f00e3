"""The set-based spreadsheet import (programs.imports.bulk) behind the admin's workshare and
contribution imports: the same validation as the model, upsert by natural key, per-row history,
all or nothing, a constant number of queries, and natural keys resolved only among the records
the importing user may see."""

import datetime
import html
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs import access
from programs.imports.bulk import ContributionImporter, ImportRefused, WorkshareImporter
from programs.imports.resources import PREVIEW_ROWS
from programs.models import Contribution, WorkshareAllocation
from programs.services.scan_queue import ScanOnCommit
from tests import factories
from tests.admin.test_imports import confirm, csv_file, dry_run
from tests.admin_helpers import https_client, programme_with_partners

pytestmark = pytest.mark.django_db

HEADER = "programme,work_package,organisation,period_start,period_end,amount,source,confidence\n"
START = datetime.date(2024, 1, 1)


@pytest.fixture
def demo():
    programme, orgs = programme_with_partners("DEMO", ("AAA", "BBB"))
    package = factories.WorkPackageFactory(programme=programme, code="AIR")
    return programme, package, orgs


def workshare_rows(count: int, amount: str = "10.50", source: str = "MoD") -> str:
    lines = []
    for k in range(count):
        day = START + datetime.timedelta(days=k // 2)
        org = ("AAA Aero", "BBB Aero")[k % 2]
        lines.append(f"DEMO,AIR,{org},{day},,{amount},{source},\n")
    return HEADER + "".join(lines)


def run(importer_class, text: str, user=None, *, dry_run: bool = False):
    lines = [line.split(",") for line in text.strip("\n").split("\n")]
    header, rows = lines[0], lines[1:]
    columns = [[row[i] for row in rows] for i in range(len(header))]
    return importer_class(user, file_name="rows.csv").run(header, columns, dry_run=dry_run)


def test_a_long_file_previews_its_counts_and_first_rows_then_imports_with_history_per_row(
    demo, analyst
):
    client = https_client(analyst)
    text = workshare_rows(PREVIEW_ROWS + 200)

    preview = dry_run(client, WorkshareAllocation, csv_file(text))

    assert not WorkshareAllocation.objects.exists()
    assert len(preview.context["result"].valid_rows()) == PREVIEW_ROWS
    assert f"{PREVIEW_ROWS + 200:,} rows: {PREVIEW_ROWS + 200:,} new, 0 updated, 0 unchanged" in (
        html.unescape(preview.text)
    )
    applied = confirm(client, WorkshareAllocation, preview)

    assert f"Import finished: {PREVIEW_ROWS + 200} new" in applied.text
    assert WorkshareAllocation.objects.count() == PREVIEW_ROWS + 200
    history = WorkshareAllocation.history.all()
    assert history.count() == PREVIEW_ROWS + 200
    assert {(h.history_type, h.history_user, h.history_change_reason) for h in history} == {
        ("+", analyst, "spreadsheet import rows.csv")
    }
    first = WorkshareAllocation.objects.get(organisation__name="AAA Aero", period_start=START)
    assert (first.amount, first.source, first.confidence) == (Decimal("10.50"), "MoD", "reported")
    assert first.history.get().amount == Decimal("10.50")


def test_a_row_whose_key_exists_updates_its_record_and_unchanged_rows_are_skipped(demo, analyst):
    _, package, orgs = demo
    nation = orgs["AAA"].nation
    kept = factories.WorkshareAllocationFactory(
        work_package=package, organisation=orgs["AAA"], period_start=START, amount=Decimal("5")
    )
    kept.releasable_to.set([nation])
    factories.WorkshareAllocationFactory(
        work_package=package,
        organisation=orgs["BBB"],
        period_start=START,
        amount=Decimal("10.50"),
        source="MoD",
        confidence="reported",
    )
    before = WorkshareAllocation.history.count()

    outcome = run(WorkshareImporter, workshare_rows(3), analyst)

    assert outcome.counts == {"new": 1, "update": 1, "skip": 1, "invalid": 0}
    kept.refresh_from_db()
    assert (kept.amount, kept.source) == (Decimal("10.50"), "MoD")
    assert WorkshareAllocation.objects.count() == 3
    changed = kept.history.order_by("-history_id").first()
    assert (changed.history_type, changed.history_user, changed.amount) == (
        "~",
        analyst,
        Decimal("10.50"),
    )
    # The historical row keeps the record's releasability marking, as save() would.
    assert list(changed.releasable_to.values_list("nation", flat=True)) == [nation.pk]
    assert changed.prev_record.amount == Decimal("5")
    assert WorkshareAllocation.history.count() == before + 2  # the new row and the update


def model_errors(**values) -> dict[str, list[str]]:
    try:
        WorkshareAllocation(**values).full_clean()
    except ValidationError as error:
        return error.message_dict
    return {}


@pytest.mark.parametrize(
    ("period_start", "period_end", "amount", "confidence"),
    [
        ("2024-01-01", "", "-5", "reported"),
        ("2024-01-01", "", "abc", "estimated"),
        ("2024-01-01", "", "1e400", "illustrative"),
        ("2024-01-01", "", "NaN", "illustrative"),
        ("2024-01-01", "", "1.234", "illustrative"),
        ("2024-01-01", "", "10", "guessed"),
        ("2024-01-01", "2023-12-31", "10", "reported"),
        ("2024-02-30", "", "10", "reported"),
        ("", "", "", "reported"),
    ],
)
def test_a_bad_row_gets_the_messages_full_clean_gives(
    demo, period_start, period_end, amount, confidence
):
    _, package, orgs = demo
    text = HEADER + f"DEMO,AIR,AAA Aero,{period_start},{period_end},{amount},,{confidence}\n"

    [row] = run(WorkshareImporter, text).invalid

    expected = model_errors(
        work_package=package,
        organisation=orgs["AAA"],
        period_start=period_start or None,
        period_end=period_end or None,
        amount=amount or None,
        confidence=confidence,
    )
    assert row.errors == expected
    assert not WorkshareAllocation.objects.exists()


def test_one_bad_row_writes_nothing_and_each_error_names_its_row_and_field(demo):
    text = (
        workshare_rows(4)
        + "DEMO,AIR,Nobody Ltd,2024-01-01,,10,,\n"
        + "DEMO,ENG,AAA Aero,2024-01-01,,10,,\n"
        + "NOPE,AIR,AAA Aero,2024-01-01,,10,,\n"
        + "DEMO,AIR,AAA Aero,2024-01-01,,7,,\n"
        + "DEMO,AIR,AAA Aero,2024-05-01,,1,a\x00b,\n"
    )

    outcome = run(WorkshareImporter, text)

    assert {row.number: row.errors for row in outcome.invalid} == {
        5: {"organisation": ["No organisation with name 'Nobody Ltd'."]},
        6: {"work_package": ["No work package 'ENG' in programme 'DEMO'."]},
        7: {"work_package": ["No programme with code 'NOPE'."]},
        8: {"__all__": ["Row 1 has the same programme, work_package, organisation, period_start."]},
        9: {"source": ["Null characters are not allowed."]},
    }
    assert not outcome.written
    assert not WorkshareAllocation.objects.exists()
    assert WorkshareAllocation.history.count() == 0


def test_a_nul_character_in_a_natural_key_refuses_the_file_naming_row_and_column(demo):
    """Found by test_properties: the key reached PostgreSQL's look-up, which refused it."""
    text = workshare_rows(2) + "DE\x00MO,AIR,AAA Aero,2024-05-01,,1,,\n"

    with pytest.raises(ImportRefused) as refused:
        run(WorkshareImporter, text)

    assert str(refused.value).startswith("Row 3, column 'programme': the cell holds a NUL")
    assert not WorkshareAllocation.objects.exists()


def test_an_xlsx_amount_is_read_as_written_not_as_its_binary_float(demo):
    columns = [["DEMO"], ["AIR"], ["AAA Aero"], [datetime.datetime(2024, 1, 1)], [10.1]]
    header = ["programme", "work_package", "organisation", "period_start", "amount"]

    outcome = WorkshareImporter().run(header, columns, dry_run=False)

    assert outcome.counts["new"] == 1
    assert WorkshareAllocation.objects.get().amount == Decimal("10.10")


def test_a_file_without_a_key_column_is_refused_in_the_admin_as_a_whole(demo, analyst):
    upload = csv_file("programme,work_package,period_start,amount\nDEMO,AIR,2024-01-01,1\n")

    response = dry_run(https_client(analyst), WorkshareAllocation, upload)

    assert "The file has no column &#x27;organisation&#x27;" in response.text
    assert response.context.get("confirm_form") is None


def test_contributions_import_in_bulk_and_check_participation_per_file(demo, analyst):
    factories.NationFactory(code="CCC")
    text = (
        "programme,nation,period_start,period_end,amount,source,confidence\n"
        "DEMO,AAA,2024-01-01,,100,,\n"
        "DEMO,BBB,2024-01-01,,80,Budget,\n"
    )

    outcome = run(ContributionImporter, text, analyst)

    assert outcome.counts["new"] == 2
    assert Contribution.objects.get(nation__code="BBB").confidence == "reported"
    assert Contribution.history.filter(history_user=analyst).count() == 2
    refused = run(ContributionImporter, text.replace("DEMO,BBB", "DEMO,CCC"), analyst)
    assert [row.errors for row in refused.invalid] == [
        {"nation": ["This nation does not take part in the programme."]}
    ]


def test_the_query_count_does_not_grow_with_the_file(demo, analyst):
    access.viewer_nation(analyst)  # looked up once per user, then cached on it
    counts = []
    for rows, start in ((4, "2024"), (300, "2028")):  # leap years both
        text = workshare_rows(rows).replace("2024-", f"{start}-")
        with CaptureQueriesContext(connection) as queries:
            outcome = run(WorkshareImporter, text, analyst)
        assert outcome.counts["new"] == rows
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_import_asks_for_one_scan_of_each_programme_it_touches(
    demo, analyst, settings, django_capture_on_commit_callbacks
):
    programme, _, _ = demo
    settings.CELERY_ON_CHANGE_SCANS = True
    with django_capture_on_commit_callbacks() as callbacks:
        run(WorkshareImporter, workshare_rows(50), analyst)

    scans = [c for c in callbacks if isinstance(c, ScanOnCommit)]
    assert [scan.programme_id for scan in scans] == [programme.pk]


# Releasability -------------------------------------------------------------------------------


@pytest.fixture
def restricted(demo):
    """An analyst cleared for AAA, and records of the programme hidden from AAA."""
    programme, package, orgs = demo
    user = factories.UserFactory(username="aaa-analyst", groups=["analyst"])
    factories.ClearanceFactory(user=user, nation=orgs["AAA"].nation)
    ccc = factories.NationFactory(code="CCC")
    hidden_org = factories.OrganisationFactory(name="Secret Works", nation=orgs["BBB"].nation)
    hidden_org.releasable_to.set([ccc])
    secret = factories.WorkPackageFactory(programme=programme, code="SEC")
    secret.releasable_to.set([orgs["BBB"].nation])
    hidden_line = factories.WorkshareAllocationFactory(
        work_package=package, organisation=orgs["BBB"], period_start=datetime.date(2030, 1, 1)
    )
    hidden_line.releasable_to.set([orgs["BBB"].nation])
    return user


def test_a_restricted_user_cannot_attach_rows_to_records_hidden_from_them(demo, restricted):
    text = (
        HEADER
        + "DEMO,AIR,AAA Aero,2024-01-01,,10,,\n"
        + "DEMO,AIR,Secret Works,2024-01-01,,10,,\n"
        + "DEMO,SEC,AAA Aero,2024-01-01,,10,,\n"
        + "DEMO,AIR,BBB Aero,2030-01-01,,10,,\n"
    )
    count = WorkshareAllocation.objects.count()

    outcome = run(WorkshareImporter, text, restricted)

    assert {row.number: row.errors for row in outcome.invalid} == {
        # Reported exactly as records that do not exist.
        2: {"organisation": ["No organisation with name 'Secret Works'."]},
        3: {"work_package": ["No work package 'SEC' in programme 'DEMO'."]},
        # The key of a line they cannot see: what the model's own validation says of it.
        4: {
            "__all__": [
                "Another record already has this work package, organisation and period "
                "start; it may be one that is not releasable to you. Choose another work "
                "package, organisation and period start."
            ]
        },
    }
    assert WorkshareAllocation.objects.count() == count


def test_an_unrestricted_user_imports_against_every_record(demo, restricted, analyst):
    text = HEADER + "DEMO,SEC,Secret Works,2024-01-01,,10,,\n"

    outcome = run(WorkshareImporter, text, analyst)

    assert outcome.counts["new"] == 1 and outcome.written


def test_a_restricted_user_in_the_admin_gets_the_error_and_nothing_is_written(demo, restricted):
    upload = csv_file(HEADER + "DEMO,AIR,Secret Works,2024-01-01,,10,,\n")

    response = dry_run(https_client(restricted), WorkshareAllocation, upload)

    assert "No organisation with name &#x27;Secret Works&#x27;." in response.text
    assert response.context.get("confirm_form") is None


def test_rows_with_the_same_dates_out_of_order_each_get_the_model_error(demo):
    text = (
        HEADER
        + "DEMO,AIR,AAA Aero,2024-03-01,2024-02-01,10,,\n"
        + "DEMO,AIR,BBB Aero,2024-03-01,2024-02-01,10,,\n"
        + "DEMO,AIR,AAA Aero,2024-04-01,2024-05-01,10,,\n"
    )

    outcome = run(WorkshareImporter, text)

    message = "period_end must not be before period_start."
    assert {row.number: row.errors for row in outcome.invalid} == {
        1: {"period_end": [message]},
        2: {"period_end": [message]},
    }
    assert not WorkshareAllocation.objects.exists()


def test_new_rows_get_their_history_also_when_another_session_took_ids_in_between(
    demo, analyst, monkeypatch
):
    _, package, orgs = demo
    drawn = WorkshareImporter.next_ids

    def every_other_id(model, column, count):
        ids = list(drawn(model, column, 2 * count))
        # A record saved meanwhile with one of the ids in between, as by another session.
        factories.WorkshareAllocationFactory(
            pk=ids[1], work_package=package, organisation=orgs["AAA"], period_start=START
        )
        return ids[::2]

    monkeypatch.setattr(WorkshareImporter, "next_ids", staticmethod(every_other_id))
    text = workshare_rows(8).replace(f"DEMO,AIR,AAA Aero,{START},", "DEMO,AIR,AAA Aero,2023-12-31,")

    outcome = run(WorkshareImporter, text, analyst)

    assert outcome.written
    imported = sorted(WorkshareAllocation.objects.filter(source="MoD").values_list("pk", flat=True))
    assert imported[-1] - imported[0] == 14  # eight ids, each two apart
    history = WorkshareAllocation.history.filter(
        history_change_reason="spreadsheet import rows.csv"
    )
    assert sorted(h.id for h in history) == imported
    assert {(h.history_type, h.history_user, h.amount) for h in history} == {
        ("+", analyst, Decimal("10.50"))
    }
