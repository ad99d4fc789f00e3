"""The admin's exports make a formula inert also after leading spaces or line breaks, which
spreadsheets skip before evaluating (issue 18, defect 7)."""

import csv
import io

import openpyxl
import pytest

from programs.models import TechTransferMilestone
from tests import factories
from tests.admin.test_imports import CSV_FORMAT, XLSX_FORMAT, export
from tests.admin_helpers import https_client, programme_with_partners

pytestmark = pytest.mark.django_db

PREFIXED = [" =1+1", '\n=HYPERLINK("http://evil.example")', "  \n @SUM(1+1)", "\t =1"]


@pytest.fixture
def milestones():
    programme, orgs = programme_with_partners("DEMO", ("AAA", "BBB"))
    for title in PREFIXED:
        factories.TechTransferMilestoneFactory(
            programme=programme, provider=orgs["AAA"], recipient=orgs["BBB"], title=title
        )
    factories.TechTransferMilestoneFactory(
        programme=programme, provider=orgs["AAA"], recipient=orgs["BBB"], title=" plain text"
    )
    return programme


def test_csv_export_escapes_formulae_after_leading_blanks(viewer, milestones):
    response = export(https_client(viewer), TechTransferMilestone, "", CSV_FORMAT)

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    titles = sorted(row["title"] for row in rows)
    assert titles == sorted(["'" + title for title in PREFIXED] + [" plain text"])


def test_xlsx_export_escapes_formulae_after_leading_blanks(viewer, milestones):
    response = export(https_client(viewer), TechTransferMilestone, "", XLSX_FORMAT)

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    titles = sorted(row[header.index("title")] for row in rows)
    assert titles == sorted(["'" + title for title in PREFIXED] + [" plain text"])
