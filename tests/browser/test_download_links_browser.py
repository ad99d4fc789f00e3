"""A *Download* link clicked in headless Chromium: the browser saves the file the link names,
with the rows the table shows."""

import csv
import io
from pathlib import Path

import pytest

from tests.browser.conftest import PASSWORD, log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def analyst_user(world_with_secrets):
    return UserFactory(username="ana", groups=["analyst"], password=PASSWORD)


def test_clicking_the_pair_pages_csv_link_saves_the_votes_table(browser, site, analyst_user):
    context = browser.new_context(accept_downloads=True, locale="en-GB")
    page = context.new_page()
    log_in(page, site, "ana")
    page.goto(f"{site}/nations/GBR/ITA/")
    shown = page.locator("#votes-table tbody tr th").all_inner_texts()

    link = page.locator("#votes-table + p.downloads a", has_text="CSV")
    with page.expect_download() as started:
        link.click()
    download = started.value
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    context.close()

    assert download.suggested_filename == "pair-GBR-ITA-votes.csv"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert shown and [row["programme"] for row in rows] == shown
