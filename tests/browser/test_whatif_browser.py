"""The What if page in headless Chromium: fill the form, see the flag changes and both charts;
save the draft, find it listed and reopen it."""

import pytest

from programs.models import WhatIfDraft
from tests.browser.conftest import PASSWORD, log_in
from tests.factories import UserFactory
from tests.whatif.helpers import SEED_DAY, seeded_and_scanned

pytestmark = pytest.mark.django_db(transaction=True)

READ_CHART = """(id) => {
    const element = document.getElementById(id);
    if (!element || !element.data) { return null; }
    return element.data.map((trace) => ({name: trace.name, x: Array.from(trace.x), y: Array.from(trace.y)}));
}"""


def chart(page, chart_id: str) -> dict:
    page.wait_for_selector(f"#{chart_id}[data-rendered='true']", timeout=15000)
    return {
        trace["name"]: dict(zip(trace["x"], trace["y"], strict=True))
        for trace in page.evaluate(READ_CHART, chart_id)
    }


def test_a_viewer_tries_japan_taking_the_propulsion_lead_saves_it_and_reopens_it(
    page, site, artifacts
):
    seeded_and_scanned()
    UserFactory(username="vic", groups=["viewer"], password=PASSWORD)
    log_in(page, site, "vic")

    page.goto(f"{site}/programmes/GCAP/")
    page.click("#what-if-link")
    page.select_option("#id_role", "Propulsion system lead")
    page.select_option("#id_role_nation", "JPN")
    page.select_option("#id_role_organisation", "IHI")
    page.fill("#id_as_of", SEED_DAY.isoformat())
    page.get_by_role("button", name="See what follows").click()
    page.wait_for_load_state("networkidle")

    resolved = page.locator('[data-change="resolved"][data-rule="leadership_deficit"]')
    assert resolved.is_visible()
    assert "Japan" in resolved.inner_text() and "warning → none" in resolved.inner_text()
    changed = page.locator('[data-change="changed"][data-rule="bloc_sidelining"]')
    assert "critical → warning" in changed.inner_text()
    now = chart(page, "chart-shares-now")["Leadership share"]
    draft = chart(page, "chart-shares-draft")["Leadership share"]
    assert draft["Japan"] > now["Japan"] and draft["United Kingdom"] < now["United Kingdom"]
    chart(page, "chart-returns-draft")
    page.screenshot(path=str(artifacts / "whatif-result.png"), full_page=True)

    page.fill("#save-name", "Japan takes propulsion")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state("networkidle")
    draft_row = page.locator("#drafts-table tr", has_text="Japan takes propulsion")
    assert draft_row.count() == 1
    assert WhatIfDraft.objects.get().author.username == "vic"

    page.goto(f"{site}/programmes/GCAP/what-if/")
    assert not page.locator("#whatif-result").count()
    page.get_by_role("link", name="Japan takes propulsion").click()
    page.wait_for_load_state("networkidle")
    assert "Japan takes propulsion" in page.locator("#result-title").inner_text()
    assert "Propulsion system lead" in page.locator("#id_document").input_value()
    chart(page, "chart-shares-draft")
    assert page.js_errors == []
