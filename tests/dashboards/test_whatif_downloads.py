"""*Download* links of the What if page: a saved draft's comparison tables and the table of
saved drafts, each the API's file of the rows the page shows; an unsaved draft's result says to
save it first; another nation's draft is missing; a bad section or day is a 400 by field."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from programs.models import Nation, WhatIfDraft
from tests import factories
from tests.admin_helpers import https_client
from tests.dashboards.tables import Block, csv_table, page_blocks, xlsx_sheets
from tests.whatif.helpers import JAPAN_TAKES_TWO_LEADS, SEED_DAY, seeded_and_scanned
from tests.worlds import restricted_user

pytestmark = pytest.mark.django_db

PAGE = "/programmes/GCAP/what-if/"
DRAFTS = "/api/v1/what-if/drafts/"


@pytest.fixture
def vic():
    seeded_and_scanned()
    return https_client(factories.UserFactory(username="vic", groups=["viewer"]))


def saved(client, name: str = "Japan leads", note: str = "Rome") -> WhatIfDraft:
    client.post(
        reverse("dashboards:what-if-save", args=["GCAP"]),
        {"name": name, "note": note, "document": JAPAN_TAKES_TWO_LEADS},
    )
    return WhatIfDraft.objects.get(name=name)


def figure_blocks(html: str) -> list[Block]:
    return [b for b in page_blocks(html) if (b.element_id or "").startswith("whatif-figures")]


def page_rows(block: Block) -> list[tuple[str, str, bool]]:
    """(nation, figure, a difference shown) of each row; the nation cell spans its rows."""
    rows, nation = [], ""
    for cells in block.rows:
        if len(cells) == 5:
            nation, cells = cells[0], cells[1:]
        rows.append((nation, cells[0], cells[3] != ""))
    return rows


def file_rows(rows: list[dict]) -> list[tuple[str, str, bool]]:
    return [(row["nation"], row["figure"], row["difference"] != "") for row in rows]


def test_a_saved_draft_downloads_each_comparison_table_the_page_shows(vic):
    draft = saved(vic)
    html = vic.get(f"{PAGE}?draft={draft.pk}").content.decode()
    blocks = figure_blocks(html)

    assert blocks, "the result shows no comparison table"
    for block in blocks:
        assert set(block.links) == {"CSV", "XLSX"}, block.element_id
        query = parse_qs(urlsplit(block.links["CSV"]).query)
        assert query["section"] == [block.element_id.removeprefix("whatif-")]
        response = vic.get(block.links["CSV"])
        assert response.status_code == 200
        columns, rows = csv_table(response)
        assert columns == ["nation", "figure", "today", "draft", "difference"]
        assert file_rows(rows) == page_rows(block)
        sheets = xlsx_sheets(vic.get(block.links["XLSX"]))
        [(title, sheet)] = sheets.items()
        assert title == query["section"][0]
        assert [tuple(map(str, line[:2])) for line in sheet[1:]] == [
            r[:2] for r in page_rows(block)
        ]
    # Japan takes two leads: its leadership weight moves on the page and in the file.
    own = next(b for b in blocks if b.element_id == "whatif-figures")
    assert ("Japan", "Leadership weight", True) in page_rows(own)


def test_the_figures_are_numbers_with_the_difference_of_draft_and_today(vic):
    draft = saved(vic)
    url = f"{DRAFTS}{draft.pk}/result/?as_of={SEED_DAY}&format=csv&section=figures"
    _, rows = csv_table(vic.get(url))
    row = next(r for r in rows if (r["nation"], r["figure"]) == ("Japan", "Leadership weight"))
    assert int(row["draft"]) - int(row["today"]) == int(row["difference"]) == 7


def test_an_unsaved_draft_says_save_it_to_download(vic):
    response = vic.post(
        PAGE,
        {
            "participation_role": "partner",
            "agreement_kind": "treaty",
            "role": "Propulsion system lead",
            "role_nation": "JPN",
            "as_of": SEED_DAY.isoformat(),
        },
    )
    html = response.content.decode()
    assert figure_blocks(html)
    assert all(not block.links for block in figure_blocks(html))
    assert "Save the draft to download this table" in html


def test_the_saved_drafts_table_downloads_its_rows_with_formulas_escaped(vic):
    saved(vic, "Japan leads", "Rome")
    saved(vic, "Second", "=cmd")
    html = vic.get(PAGE).content.decode()
    [table] = [b for b in page_blocks(html) if b.element_id == "drafts-table"]
    assert set(table.links) == {"CSV", "XLSX"}

    columns, rows = csv_table(vic.get(table.links["CSV"]))
    assert columns == ["draft", "author", "note", "changed"]
    assert [[r["draft"], r["author"]] for r in rows] == [cells[:2] for cells in table.rows]
    assert [r["note"] for r in rows] == ["'=cmd", "Rome"]
    [sheet] = xlsx_sheets(vic.get(table.links["XLSX"])).values()
    assert [line[:3] for line in sheet[1:]] == [
        ("Second", "vic", "'=cmd"),
        ("Japan leads", "vic", "Rome"),
    ]


def test_another_nations_draft_is_missing_and_its_rows_left_out(vic):
    draft = saved(vic)
    jun = https_client(restricted_user(Nation.objects.get(code="JPN"), groups=["viewer"]))
    missing = jun.get(f"{DRAFTS}{draft.pk + 1000}/result/?format=csv&section=figures")
    hidden = jun.get(f"{DRAFTS}{draft.pk}/result/?format=csv&section=figures")

    assert hidden.status_code == missing.status_code == 404
    _, rows = csv_table(jun.get(f"{DRAFTS}?programme__code=GCAP&format=csv"))
    assert rows == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("format=csv", "section"),
        ("format=csv&section=nope", "section"),
        ("format=xlsx&section=figures-NOPE", "section"),
        ("format=csv&section=figures&as_of=x", "as_of"),
        ("format=pdf&section=figures", "format"),
    ],
)
def test_a_bad_section_or_day_is_refused_with_a_field_message(vic, query, field):
    draft = saved(vic)
    response = vic.get(f"{DRAFTS}{draft.pk}/result/?{query}")

    assert response.status_code == 400
    assert field in response.json()


def test_the_downloads_take_a_constant_number_of_queries(vic, django_assert_max_num_queries):
    for n in range(2):  # a second draft adds no query
        draft = saved(vic, f"Draft {n}")
        with django_assert_max_num_queries(8):
            csv_table(vic.get(f"{DRAFTS}?programme__code=GCAP&format=csv"))
        # Evaluating the draft reads the programmes it changes, today and under the draft.
        with django_assert_max_num_queries(80):
            csv_table(vic.get(f"{DRAFTS}{draft.pk}/result/?format=csv&section=figures"))
