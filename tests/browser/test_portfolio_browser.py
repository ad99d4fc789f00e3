"""The sourced portfolio in a real browser: the portfolio's heat map and global-balance panel,
and Eurofighter's programme page as of 1997 against today."""

import pytest

from programs.models import Programme
from tests.browser.conftest import PASSWORD, log_in
from tests.browser.test_dashboards_browser import chart, open_page
from tests.dashboards.data import load_seeds_and_scan
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def analyst_user():
    load_seeds_and_scan()
    return UserFactory(username="ana", groups=["analyst"], password=PASSWORD)


def test_the_portfolio_shows_every_programme_and_each_nation_in_two_eur_programmes(
    page, site, analyst_user, artifacts
):
    log_in(page, site, "ana")
    open_page(page, f"{site}/", artifacts, "portfolio-sourced")

    (heatmap,) = chart(page, "chart-portfolio")
    assert sorted(heatmap["y"]) == sorted(Programme.objects.values_list("code", flat=True))
    eurofighter = heatmap["z"][heatmap["y"].index("EUROFIGHTER")]
    assert sum(value is not None for value in eurofighter) == 4  # UK, Germany, Italy, Spain

    panel = page.locator("section[aria-labelledby='global-title'] tbody tr")
    rows = {
        row.locator("th").inner_text(): row.locator("td").all_inner_texts() for row in panel.all()
    }
    assert sorted(rows) == ["France", "Germany", "Italy", "Spain", "United Kingdom"]
    assert rows["Germany"][:2] == ["EUR", "EUROFIGHTER, FCAS, METEOR"]
    assert rows["Germany"][-1] == "0.97"
    assert page.js_errors == []


def test_eurofighter_as_of_1997_and_today_tell_germanys_two_stories(
    page, site, analyst_user, artifacts
):
    log_in(page, site, "ana")

    def germany_row(url: str, name: str) -> str:
        open_page(page, url, artifacts, name)
        return page.locator("tr", has=page.locator("th", has_text="Germany")).first.inner_text()

    before = germany_row(f"{site}/programmes/EUROFIGHTER/?as_of=1997-06-30", "eurofighter-1997")
    today = germany_row(f"{site}/programmes/EUROFIGHTER/", "eurofighter-today")

    assert "EUR 23" in before and "0.70" in before
    assert "EUR 209" in today and "0.95" in today
