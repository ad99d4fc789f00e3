"""One meaning of every flag filter on the flags page and in the API, and *Download* links that
hand the page's filters to the API's export: the file holds the rows the page shows."""

import csv
import io
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook

from programs.models import Flag
from tests import factories
from tests.dashboards.test_pages import gcap, make_flag  # noqa: F401 - the fixture is used

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def flags(gcap):  # noqa: F811 - the fixture imported above
    programme, nations = gcap
    bloc = make_flag(
        programme,
        nations["JPN"],
        counterparts=[nations["GBR"], nations["ITA"]],
        rule="bloc_sidelining",
        severity="critical",
    )
    ita = make_flag(programme, nations["ITA"])
    gbr = make_flag(programme, nations["GBR"], rule="workshare_return")
    resolved = make_flag(programme, nations["JPN"], rule="leadership_deficit", status="resolved")
    return {"bloc": bloc, "ita": ita, "gbr": gbr, "resolved": resolved}


def download_urls(page_text: str) -> dict[str, str]:
    """The page's Download links by label."""
    links = {}
    for chunk in page_text.split('<p class="downloads">')[1:]:
        paragraph = chunk.split("</p>")[0]
        for part in paragraph.split('<a href="')[1:]:
            href, rest = part.split('"', 1)
            label = rest.split(">", 1)[1].split("<", 1)[0]
            links.setdefault(label, unescape(href))
    return links


def csv_rows(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    "query",
    ["nation=JPN", "counterpart=GBR", "nation=JPN&counterpart=ITA", "severity=critical", ""],
)
def test_the_flags_page_and_the_api_list_give_the_same_flags(analyst_client, flags, query):
    page = analyst_client.get(f"/flags/?{query}&status=")
    api = analyst_client.get(f"/api/v1/flags/?{query}")

    assert page.status_code == api.status_code == 200
    assert {flag.pk for flag in page.context["flags"]} == {
        row["id"] for row in api.json()["results"]
    }


def test_the_flags_page_downloads_its_filtered_rows_as_csv_and_xlsx(analyst_client, flags):
    page = analyst_client.get("/flags/?counterpart=GBR")
    shown = {flag.pk for flag in page.context["flags"]}
    links = download_urls(page.text)

    assert set(links) == {"CSV", "XLSX"}
    query = parse_qs(urlsplit(links["CSV"]).query)
    assert query == {"counterpart": ["GBR"], "status": ["live"], "format": ["csv"]}
    downloaded = analyst_client.get(links["CSV"])
    assert downloaded.status_code == 200
    assert {int(row["id"]) for row in csv_rows(downloaded)} == shown == {flags["bloc"].pk}
    workbook = analyst_client.get(links["XLSX"])
    assert workbook["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(b"".join(workbook.streaming_content))).active
    header, *rows = list(sheet.values)
    assert {row[header.index("id")] for row in rows} == shown


def test_the_programme_page_downloads_its_balance_and_open_flags(analyst_client, flags, gcap):  # noqa: F811
    programme, nations = gcap
    factories.ContributionFactory(programme=programme, nation=nations["GBR"], amount=10)
    page = analyst_client.get("/programmes/GCAP/?as_of=2030-01-01")
    links = [
        (label, url)
        for chunk in page.text.split('<p class="downloads">')[1:]
        for label, url in download_urls('<p class="downloads">' + chunk).items()
    ]

    balance_csv = next(url for label, url in links if "balance" in url and label == "CSV")
    flags_csv = next(url for label, url in links if "flags" in url and label == "CSV")
    assert parse_qs(urlsplit(balance_csv).query)["as_of"] == ["2030-01-01"]
    nations_rows = csv_rows(analyst_client.get(balance_csv))
    assert {row["code"] for row in nations_rows} == {"GBR", "JPN", "ITA"}
    live = {flag.pk for flag in page.context["page"]["flags"]}
    assert {int(row["id"]) for row in csv_rows(analyst_client.get(flags_csv))} == live
    assert flags["resolved"].pk not in live
    assert Flag.objects.count() == 4


def test_the_change_log_page_downloads_its_filtered_changes(analyst_client, gcap):  # noqa: F811
    programme, nations = gcap
    factories.ContributionFactory(programme=programme, nation=nations["GBR"], amount=10)
    factories.ContributionFactory(programme=programme, nation=nations["JPN"], amount=20)
    page = analyst_client.get("/changes/?nation=GBR&page=1")
    shown = {(c.model_name, c.history_id) for c in page.context["changes"]}
    links = download_urls(page.text)

    assert set(links) == {"CSV", "XLSX"}
    assert parse_qs(urlsplit(links["CSV"]).query) == {"nation": ["GBR"], "format": ["csv"]}
    downloaded = analyst_client.get(links["CSV"])
    assert downloaded.status_code == 200
    rows = csv_rows(downloaded)
    assert shown and {(row["model"], int(row["history_id"])) for row in rows} == shown
    workbook = analyst_client.get(links["XLSX"])
    assert workbook["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(b"".join(workbook.streaming_content))).active
    header, *cells = list(sheet.values)
    got = {(row[header.index("model")], row[header.index("history_id")]) for row in cells}
    assert got == shown


def test_the_programme_page_downloads_its_prior_ties(analyst_client, gcap):  # noqa: F811
    page = analyst_client.get("/programmes/GCAP/?as_of=2030-01-01")
    shown = {(tie.pair.a, tie.pair.b, tie.pair.tie_index) for tie in page.context["page"]["ties"]}
    chunk = page.text.split('id="ties-table"')[1].split("</section>")[0]
    links = download_urls(chunk)

    assert set(links) == {"CSV", "XLSX"}
    query = parse_qs(urlsplit(links["CSV"]).query)
    assert query == {"as_of": ["2030-01-01"], "section": ["pairs"], "format": ["csv"]}
    rows = csv_rows(analyst_client.get(links["CSV"]))
    assert shown
    assert {(row["a"], row["b"], Decimal(row["tie_index"])) for row in rows} == shown
    workbook = analyst_client.get(links["XLSX"])
    sheet = load_workbook(io.BytesIO(b"".join(workbook.streaming_content)))["pairs"]
    header, *cells = list(sheet.values)
    got = {row[header.index("a")] + row[header.index("b")] for row in cells}
    assert got == {a + b for a, b, _ in shown}


def test_the_portfolio_downloads_its_global_returns(analyst_client):
    from tests.test_seed_files import SEEDS, load_scenario_files

    load_scenario_files(SEEDS)
    page = analyst_client.get("/")
    shown = {
        (item["name"], item["currency"], item["programmes"])
        for item in page.context["page"].global_returns
    }
    chunk = page.text.split('id="global-title"')[1].split("</section>")[0]
    links = download_urls(chunk)

    assert shown and set(links) == {"CSV", "XLSX"}
    rows = csv_rows(analyst_client.get(links["CSV"]))
    assert {
        (row["name"], row["currency"], row["programmes"].replace(";", ", ")) for row in rows
    } == shown
    workbook = analyst_client.get(links["XLSX"])
    assert workbook["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    header, *cells = list(sheet.values)
    assert {row[header.index("name")] for row in cells} == {name for name, _, _ in shown}
