"""The pair and portfolio reports and the programme page's sections of the balance report:
JSON with every table, CSV of one section, XLSX of one or every section, spreadsheet-safe
cells, and HTTP 400 with a field message for a bad section or day."""

import datetime

import pytest

from programs.dashboards.exports import PAIR_SECTIONS, PORTFOLIO_SECTIONS, PROGRAMME_SECTIONS
from programs.models import Nation
from tests import factories
from tests.dashboards.tables import csv_table, xlsx_sheets
from tests.worlds import restricted_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def world(world_with_secrets):
    return world_with_secrets


def test_the_pair_report_gives_every_table_of_the_pair_page_as_json(analyst_client, world):
    response = analyst_client.get("/api/v1/pairs/GBR/ITA/")

    assert response.status_code == 200
    data = response.json()
    assert list(data) == list(PAIR_SECTIONS)
    assert {row["programme"] for row in data["money"]} == {"GCAP", "TEMPEST", "TORNADO"}
    assert "UK–Italy defence MoU" in {row["name"] for row in data["agreements"]}


def test_the_portfolio_report_gives_every_table_of_the_portfolio_as_json(analyst_client, world):
    data = analyst_client.get("/api/v1/portfolio/").json()

    assert list(data) == list(PORTFOLIO_SECTIONS)
    assert {row["programme"] for row in data["returns"]} >= {"GCAP", "TORNADO"}
    assert {(row["a"], row["b"]) for row in data["pairs"]} >= {("GBR", "ITA"), ("GBR", "JPN")}


def test_an_xlsx_without_a_section_has_a_sheet_per_table(analyst_client, world):
    pair = xlsx_sheets(analyst_client.get("/api/v1/pairs/GBR/ITA/?format=xlsx"))
    portfolio = xlsx_sheets(analyst_client.get("/api/v1/portfolio/?format=xlsx"))

    assert list(pair) == list(PAIR_SECTIONS)
    assert list(portfolio) == list(PORTFOLIO_SECTIONS)


def test_the_balance_xlsx_keeps_its_four_sheets_and_gives_one_for_a_section(analyst_client, world):
    url = "/api/v1/programmes/GCAP/balance/?format=xlsx"

    assert list(xlsx_sheets(analyst_client.get(url))) == [
        "nations",
        "pairs",
        "bloc_ties",
        "open_flags",
    ]
    assert list(xlsx_sheets(analyst_client.get(f"{url}&section=pairs"))) == ["pairs"]
    for section in PROGRAMME_SECTIONS:
        assert list(xlsx_sheets(analyst_client.get(f"{url}&section={section}"))) == [section]


def test_a_balance_csv_without_a_section_is_still_the_nations_table(analyst_client, world):
    columns, rows = csv_table(analyst_client.get("/api/v1/programmes/GCAP/balance/?format=csv"))

    assert "code" in columns
    assert {row["code"] for row in rows} == {"GBR", "ITA", "JPN"}


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/pairs/GBR/ITA/?format=csv&section=nope", "section"),
        ("/api/v1/pairs/GBR/ITA/?format=csv", "section"),
        ("/api/v1/pairs/GBR/ITA/?as_of=2021-02-30", "as_of"),
        ("/api/v1/pairs/GBR/ITA/?as_of=1800-01-01&format=xlsx", "as_of"),
        ("/api/v1/pairs/GBR/GBR/", "b"),
        ("/api/v1/portfolio/?format=csv", "section"),
        ("/api/v1/portfolio/?section=grid&format=xlsx", "section"),
        ("/api/v1/programmes/GCAP/balance/?format=csv&section=nope", "section"),
        ("/api/v1/programmes/GCAP/balance/?format=xlsx&section=trend", "section"),
        ("/api/v1/programmes/GCAP/balance/?format=csv&section=trends&as_of=x", "as_of"),
    ],
)
def test_a_bad_section_or_day_is_refused_with_a_field_message(analyst_client, world, url, field):
    response = analyst_client.get(url)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()[field]


def test_an_unknown_nation_is_not_found(analyst_client, world):
    assert analyst_client.get("/api/v1/pairs/GBR/ZZZ/?format=csv&section=money").status_code == 404


def test_the_pair_report_is_as_of_the_day_asked(analyst_client, world):
    before = analyst_client.get("/api/v1/pairs/GBR/ITA/?as_of=2000-01-01").json()
    now = analyst_client.get("/api/v1/pairs/GBR/ITA/").json()

    assert now["tie_index"][-1]["as_of"] == datetime.date.today().isoformat()
    assert all(row["as_of"] <= "2000-01-01" for row in before["tie_index"])
    assert before["tie_index"] != now["tie_index"]


def test_a_hidden_programme_section_answers_like_a_missing_one(world):
    from django.test import Client

    client = Client()
    client.force_login(restricted_user(Nation.objects.get(code="JPN"), groups=["analyst"]))
    hidden = client.get("/api/v1/programmes/TORNADO/balance/?format=csv&section=trends")
    missing = client.get("/api/v1/programmes/NOSUCH/balance/?format=csv&section=trends")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_a_formula_in_a_name_is_escaped_in_csv_and_xlsx(analyst_client, world):
    factories.AgreementFactory(
        name='=HYPERLINK("http://x")',
        nations=[Nation.objects.get(code="GBR"), Nation.objects.get(code="ITA")],
    )
    _, rows = csv_table(analyst_client.get("/api/v1/pairs/GBR/ITA/?format=csv&section=agreements"))
    sheet = xlsx_sheets(analyst_client.get("/api/v1/pairs/GBR/ITA/?format=xlsx&section=agreements"))

    assert '\'=HYPERLINK("http://x")' in {row["name"] for row in rows}
    assert '\'=HYPERLINK("http://x")' in {line[0] for line in sheet["agreements"]}


def test_a_viewer_may_download_and_an_anonymous_user_may_not(viewer_client, client, world):
    url = "/api/v1/portfolio/?format=csv&section=pairs"

    assert viewer_client.get(url).status_code == 200
    assert client.get(url).status_code in (401, 403)
