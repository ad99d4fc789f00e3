"""Every table of the programme, pair and portfolio pages has a Download link (CSV and XLSX) to
the API's report with the page's as-of day, and the file holds the rows the table shows, for
the signed-in user, at a constant number of queries."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import caches
from django.db import connection
from django.template.defaultfilters import floatformat
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import dateformat

from programs.models import Nation, Programme
from tests.dashboards.data import add_synthetic_rows, load_seeds_and_scan
from tests.dashboards.tables import (
    Block,
    block_with_links,
    csv_table,
    page_blocks,
    xlsx_sheets,
)
from tests.worlds import restricted_user

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


Match = Callable[[list[str], dict[str, str]], bool]


def _names() -> dict[str, str]:
    return dict(Nation.objects.values_list("code", "name"))


def _transfer(cells: list[str], row: dict[str, str]) -> bool:
    arrow = next(i for i, cell in enumerate(cells) if "→" in cell)
    return cells[arrow : arrow + 2] == [row["direction"], row["milestones"]]


#: How a row of each table, as the page prints it, is recognised in the file's row.
PROGRAMME_MATCHES: dict[str, Match] = {
    "outvoted": lambda cells, row: cells[:2] == [row["nation"], row["counted_votes"]],
    "agreement": lambda cells, row: cells[0] == row["nation"],
    "transfers": lambda cells, row: (
        [cells[0], cells[3]] == [f"{row['provider']} → {row['recipient']}", row["weight_delivered"]]
    ),
    "strong_bloc_ties": lambda cells, row: (
        [cells[0], cells[2]]
        == [_names()[row["nation"]], floatformat(Decimal(row["bloc_index"]), 1)]
    ),
    "trends": lambda cells, row: cells[0] == row["scan_day"],
    "provenance": lambda cells, row: [cells[0], cells[-1]] == [row["records"], row["total"]],
}
PAIR_MATCHES: dict[str, Match] = {
    "ledger": lambda cells, row: cells[0] == row["measure"],
    "money": lambda cells, row: cells[0].split()[0] == row["programme"],
    "technology": lambda cells, row: _transfer(cells, row),
    "milestones": lambda cells, row: row["title"] in cells[0],
    "votes": lambda cells, row: cells[:2] == [row["programme"], row["both_voted"]],
    "lead_roles": lambda cells, row: (
        [cells[0], cells[1], cells[3]] == [row["programme"], row["nation"], row["weight"]]
    ),
    "programmes": lambda cells, row: f"({row['programme']})" in cells[0],
    "agreements": lambda cells, row: cells[0].startswith(row["name"]),
    "tie_index": lambda cells, row: (
        cells
        == [
            dateformat.format(datetime.date.fromisoformat(row["as_of"]), "j M Y"),
            floatformat(Decimal(row["tie_index"]), 2),
        ]
    ),
}
PORTFOLIO_MATCHES: dict[str, Match] = {
    "returns": lambda cells, row: cells[0].split()[0] == row["programme"],
    "pairs": lambda cells, row: cells[0] == f"{row['a_name']} ↔ {row['b_name']}",
    "loads": lambda cells, row: row["file_name"] in cells[0],
}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def check_downloads(
    client: Client, url: str, matches: dict[str, Match], expected_query: dict[str, list[str]]
) -> dict[str, list[dict[str, str]]]:
    """Follow every table's links on the page: same rows in the CSV and the XLSX as the table.
    Returns the CSV rows by section."""
    page = client.get(url)
    assert page.status_code == 200
    blocks = page_blocks(page.text)
    downloaded = {}
    for section, match in matches.items():
        block: Block = block_with_links(blocks, section)
        assert set(block.links) == {"CSV", "XLSX"}, section
        query = parse_qs(urlsplit(block.links["CSV"]).query)
        assert query == {**expected_query, "section": [section], "format": ["csv"]}, section

        response = client.get(block.links["CSV"])
        assert response.status_code == 200, (section, response.content[:300])
        assert response["Content-Type"].startswith("text/csv")
        columns, rows = csv_table(response)
        assert block.rows, f"{section}: the table shows no row, the check could not fail"
        assert len(rows) == len(block.rows), section
        for cells, row in zip(block.rows, rows, strict=True):
            assert match(cells, row), (section, cells, row)
        workbook = client.get(block.links["XLSX"])
        assert workbook["Content-Type"] == XLSX
        sheets = xlsx_sheets(workbook)
        assert list(sheets) == [section]
        header, *cells_rows = sheets[section]
        assert list(header) == columns
        assert len(cells_rows) == len(rows), section
        assert [str(line[0]) for line in cells_rows] == [row[columns[0]] for row in rows], section
        downloaded[section] = rows
    return downloaded


def test_every_programme_page_table_downloads_the_rows_it_shows(analyst_client):
    load_seeds_and_scan()
    check_downloads(
        analyst_client,
        "/programmes/GCAP/?as_of=2030-01-01",
        PROGRAMME_MATCHES,
        {"as_of": ["2030-01-01"]},
    )


def test_the_agreement_matrix_and_trends_download_with_the_pages_columns(analyst_client):
    load_seeds_and_scan()
    page = analyst_client.get("/programmes/GCAP/")
    blocks = page_blocks(page.text)
    matrix = block_with_links(blocks, "agreement")
    columns, _ = csv_table(analyst_client.get(matrix.links["CSV"]))
    assert columns == ["nation", *matrix.header[1:]]
    trends = block_with_links(blocks, "trends")
    columns, _ = csv_table(analyst_client.get(trends.links["CSV"]))
    assert columns[0] == "scan_day"
    assert columns[1::2] == [f"{name} return coefficient" for name in trends.header[1:]]


def test_the_bloc_ties_download_holds_the_strong_blocs_the_page_shows(analyst_client):
    load_seeds_and_scan()
    # A programme where some bloc is not strongly tied: the page leaves it out.
    code, every = next(
        (code, rows)
        for code in Programme.objects.order_by("code").values_list("code", flat=True)
        for rows in [analyst_client.get(f"/api/v1/programmes/{code}/balance/").json()["bloc_ties"]]
        if any(Decimal(row["bloc_index"]) < Decimal(row["strong_tie"]) for row in rows)
        and any(Decimal(row["bloc_index"]) >= Decimal(row["strong_tie"]) for row in rows)
    )
    page = analyst_client.get(f"/programmes/{code}/")
    shown = block_with_links(page_blocks(page.text), "strong_bloc_ties")
    _, strong = csv_table(analyst_client.get(shown.links["CSV"]))

    assert len(strong) == len(shown.rows) < len(every)
    names = _names()
    for cells, row in zip(shown.rows, strong, strict=True):
        assert cells[:2] == [names[row["nation"]], f"{names[row['a']]} + {names[row['b']]}"]
    assert all(Decimal(row["bloc_index"]) >= Decimal(row["strong_tie"]) for row in strong)


def test_every_pair_page_table_downloads_the_rows_it_shows(analyst_client):
    load_seeds_and_scan()
    today = analyst_client.get("/nations/GBR/JPN/").context["page"]["today"].isoformat()
    check_downloads(analyst_client, "/nations/GBR/JPN/", PAIR_MATCHES, {"as_of": [today]})


def test_every_portfolio_table_downloads_the_rows_it_shows(analyst_client):
    load_seeds_and_scan()
    check_downloads(analyst_client, "/", PORTFOLIO_MATCHES, {})


def test_a_restricted_users_downloads_hold_only_what_their_pages_show(
    analyst_client, world_with_secrets
):
    world = world_with_secrets
    japanese = signed_in(restricted_user(world.nations["JPN"], groups=["analyst"]))
    secrets = ("UK–Italy defence MoU", "Secret lead", "TORNADO", "Tornado")

    mine = check_downloads(
        japanese,
        "/nations/GBR/ITA/",
        {k: PAIR_MATCHES[k] for k in ("money", "programmes", "lead_roles", "tie_index")},
        {"as_of": [japanese.get("/nations/GBR/ITA/").context["page"]["today"].isoformat()]},
    )
    portfolio = check_downloads(japanese, "/", {"returns": PORTFOLIO_MATCHES["returns"]}, {})
    text = repr(mine) + repr(portfolio)
    for secret in secrets:
        assert secret not in text, secret

    # The unrestricted analyst's files do hold them: the check above can fail.
    full = check_downloads(
        analyst_client,
        "/nations/GBR/ITA/",
        {k: PAIR_MATCHES[k] for k in ("programmes", "lead_roles")},
        {"as_of": [analyst_client.get("/nations/GBR/ITA/").context["page"]["today"].isoformat()]},
    )
    everything = repr(full) + repr(analyst_client.get("/api/v1/pairs/GBR/ITA/").json())
    assert "TORNADO" in everything and "Secret lead" in everything
    assert "UK–Italy defence MoU" in everything


EXPORTS = [
    *[f"/api/v1/programmes/GCAP/balance/?format=csv&section={s}" for s in PROGRAMME_MATCHES],
    "/api/v1/programmes/GCAP/balance/?format=xlsx&section=trends",
    *[f"/api/v1/pairs/JPN/GBR/?format=csv&section={s}" for s in PAIR_MATCHES],
    "/api/v1/pairs/JPN/GBR/?format=xlsx",
    *[f"/api/v1/portfolio/?format=csv&section={s}" for s in PORTFOLIO_MATCHES],
    "/api/v1/portfolio/?format=xlsx",
]


def _queries(client: Client, url: str) -> int:
    caches["reports"].clear()
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:
            b"".join(response.streaming_content)
    return len(context.captured_queries)


def test_each_export_makes_the_same_number_of_queries_whatever_the_data_size(
    analyst_client, django_assert_max_num_queries
):
    load_seeds_and_scan()
    seeded = {url: _queries(analyst_client, url) for url in EXPORTS}
    add_synthetic_rows(10)
    for url in EXPORTS:
        with django_assert_max_num_queries(seeded[url]):
            response = analyst_client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
