"""The dashboards in a real browser, on the seeded GCAP scenario scanned on three days."""

from datetime import date

import pytest

from programs.balance.programme_balance import programme_balance
from programs.dashboards.formatting import as_percent
from programs.dashboards.pair import pair_tie
from programs.models import Flag, Nation, Programme
from tests.browser.conftest import PASSWORD, log_in
from tests.dashboards.data import SCAN_OFFSETS, load_seeds_and_scan
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

READ_CHART = """(id) => {
    const element = document.getElementById(id);
    if (!element || !element.data) { return null; }
    return element.data.map((trace) => ({
        type: trace.type, name: trace.name || null,
        x: Array.from(trace.x || []), y: Array.from(trace.y || []),
        z: trace.z ? trace.z.map((row) => Array.from(row)) : null,
    }));
}"""


@pytest.fixture
def seeded():
    return load_seeds_and_scan()


@pytest.fixture
def analyst_user(seeded):
    return UserFactory(username="ana", groups=["analyst"], password=PASSWORD)


@pytest.fixture
def viewer_user(seeded):
    return UserFactory(username="vic", groups=["viewer"], password=PASSWORD)


def chart(page, chart_id: str) -> list[dict]:
    page.wait_for_selector(f"#{chart_id}[data-rendered='true']", timeout=15000)
    data = page.evaluate(READ_CHART, chart_id)
    assert data, f"chart {chart_id} has no data"
    return data


def open_page(page, url: str, artifacts, name: str) -> None:
    response = page.goto(url)
    assert response.status == 200, (url, response.status)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / f"dashboards-{name}.png"), full_page=True)


def test_analyst_logs_in_and_every_chart_shows_the_seeded_figures(
    page, site, analyst_user, artifacts
):
    page.goto(f"{site}/")
    assert "/login/" in page.url, "pages require a signed-in user"
    page.screenshot(path=str(artifacts / "dashboards-login.png"))
    log_in(page, site, "ana")
    assert page.url.rstrip("/") == site, page.url
    assert page.locator(".role-badge").inner_text() == "analyst"

    gcap = Programme.objects.get(code="GCAP")
    balance = programme_balance(gcap)
    names = [n.name for n in balance.nations]
    assert {"United Kingdom", "Japan", "Italy"} <= set(names)

    # Portfolio: programmes × nations heat map.
    open_page(page, f"{site}/", artifacts, "portfolio")
    (heat,) = chart(page, "chart-portfolio")
    programme_codes = list(Programme.objects.order_by("code").values_list("code", flat=True))
    assert heat["y"] == programme_codes
    assert set(names) <= set(heat["x"])
    row = heat["z"][programme_codes.index("GCAP")]
    japan = balance.nation("JPN")
    assert row[heat["x"].index("Japan")] == pytest.approx(float(japan.return_coefficient), abs=0.01)
    assert page.locator("#portfolio-table tbody tr").count() == len(programme_codes)

    # Programme: shares side by side, returns, decisions, transfers, trends, provenance.
    open_page(page, f"{site}/programmes/GCAP/", artifacts, "programme")
    shares = chart(page, "chart-shares")
    assert [t["name"] for t in shares] == [
        "Contribution share",
        "Workshare share",
        "Leadership share",
        "Vote share",
    ]
    for trace in shares:
        assert trace["x"] == names
    assert shares[0]["y"] == [as_percent(n.contribution_share) for n in balance.nations]
    assert shares[2]["y"] == [as_percent(n.leadership_share) for n in balance.nations]

    (returns,) = chart(page, "chart-returns")
    assert returns["x"] == names
    assert returns["y"] == [
        pytest.approx(float(n.return_coefficient), abs=0.001) for n in balance.nations
    ]

    (agreement,) = chart(page, "chart-agreement")
    assert agreement["x"] == names and agreement["y"] == names
    pair = balance.pair("GBR", "ITA")
    uk, italy = names.index("United Kingdom"), names.index("Italy")
    assert agreement["z"][uk][italy] == as_percent(pair.agreement_rate)
    assert agreement["z"][uk][uk] is None

    (transfers,) = chart(page, "chart-transfers")
    assert transfers["x"] == names
    japan_row, uk_column = names.index("Japan"), names.index("United Kingdom")
    assert transfers["z"][japan_row][uk_column] == next(
        p.tt_weight_a_to_b if p.a == "JPN" else p.tt_weight_b_to_a
        for p in balance.pairs
        if {p.a, p.b} == {"GBR", "JPN"}
    )

    trend = chart(page, "chart-trend")
    assert sorted(t["name"] for t in trend) == sorted(names)
    assert all(len(t["x"]) == len(SCAN_OFFSETS) for t in trend)

    provenance = chart(page, "chart-provenance")
    assert [t["name"] for t in provenance] == ["reported", "estimated", "illustrative"]
    assert chart(page, "chart-outvoted")[0]["x"] == names
    assert page.locator("#ties-table").get_by_text("Tornado", exact=False).count() >= 1
    japan_against = page.locator("#bloc-ties-table tbody tr").filter(
        has=page.locator("th", has_text="Japan")
    )
    assert "United Kingdom + Italy" in japan_against.inner_text()
    assert "far more tied" in japan_against.inner_text()

    # Nation pair: the ledger and its verdict.
    open_page(page, f"{site}/nations/JPN/GBR/", artifacts, "pair")
    ledger = chart(page, "chart-ledger")
    assert [t["name"] for t in ledger] == ["Japan", "United Kingdom"]
    assert all(len(t["x"]) == 3 for t in ledger)
    verdict = page.locator("#verdict").inner_text()
    assert "Japan" in verdict and "United Kingdom" in verdict and "GCAP" in verdict
    # The pair's tie index year by year since 2013, the last point today.
    tie = pair_tie(Nation.objects.get(code="JPN"), Nation.objects.get(code="GBR"), date.today())
    (line,) = chart(page, "chart-tie")
    assert line["x"][0] == "2013-12-31" and line["y"][-1] == float(tie.index)
    assert page.locator("#tie-table tbody tr").count() == len(line["x"]) == len(tie.years)

    # Flags.
    open_page(page, f"{site}/flags/", artifacts, "flags")
    live = Flag.objects.filter(status__in=["open", "acknowledged"]).count()
    assert page.locator(".flag").count() == live
    page.get_by_label("Rule").select_option("bloc_sidelining")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert (
        page.locator(".flag").count()
        == Flag.objects.filter(rule="bloc_sidelining", status__in=["open", "acknowledged"]).count()
    )
    assert page.js_errors == []


def test_analyst_acknowledges_a_flag_with_a_note_from_the_programme_page(
    page, site, analyst_user, artifacts
):
    log_in(page, site, "ana")
    flag = Flag.objects.filter(programme__code="GCAP", status="open").order_by("pk").first()
    assert flag is not None, "the seeds raise open flags on GCAP"
    page.goto(f"{site}/programmes/GCAP/#flag-{flag.pk}")
    card = page.locator(f"#flag-{flag.pk}")
    assert card.locator("[data-flag-status]").inner_text() == "Open"
    card.locator("summary").click()
    card.get_by_label("Note").fill("Raised with the GIGO board; follow-up in March.")
    card.get_by_role("button", name=f"Acknowledge flag {flag.pk}").click()
    page.wait_for_load_state()

    assert "/programmes/GCAP/" in page.url
    card = page.locator(f"#flag-{flag.pk}")
    assert card.locator("[data-flag-status]").inner_text() == "Acknowledged"
    assert "follow-up in March" in card.locator("[data-flag-note]").inner_text()
    assert page.locator(".message--success").count() == 1
    page.screenshot(path=str(artifacts / "dashboards-acknowledged.png"), full_page=False)
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACKNOWLEDGED
    assert flag.acknowledged_by == analyst_user
    assert flag.note == "Raised with the GIGO board; follow-up in March."


def test_viewer_sees_no_acknowledge_control_and_a_direct_post_is_refused(
    page, site, viewer_user, artifacts
):
    log_in(page, site, "vic")
    flag = Flag.objects.filter(status="open").order_by("pk").first()
    for url in ("/programmes/GCAP/", "/flags/", "/nations/JPN/GBR/"):
        page.goto(f"{site}{url}")
        assert page.locator(".flag").count() > 0
        assert page.locator("form.ack-form").count() == 0
        assert page.get_by_text("Acknowledge…").count() == 0
    page.screenshot(path=str(artifacts / "dashboards-viewer-flags.png"), full_page=False)

    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{site}/flags/{flag.pk}/acknowledge/",
        form={"note": "viewer trying", "csrfmiddlewaretoken": token},
        headers={"X-CSRFToken": token, "Referer": f"{site}/flags/"},
        max_redirects=0,
    )
    assert response.status == 403
    flag.refresh_from_db()
    assert flag.status == Flag.Status.OPEN and flag.note == ""


def test_pages_read_without_javascript(browser, site, analyst_user, artifacts):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1200, "height": 900}
    )
    page = context.new_page()
    log_in(page, site, "ana")
    page.goto(f"{site}/programmes/GCAP/")
    assert not page.locator("#chart-shares").is_visible()
    assert page.locator("#balance-table tbody tr").count() == 3
    assert page.locator("#agreement-table tbody tr").count() == 3
    assert page.locator("#trend-table tbody tr").count() == len(SCAN_OFFSETS)
    page.emulate_media(media="print")
    page.screenshot(path=str(artifacts / "dashboards-programme-print.png"), full_page=True)
    context.close()


def test_wrong_password_is_refused_and_logout_returns_to_the_login_page(page, site, analyst_user):
    page.goto(f"{site}/login/")
    page.get_by_label("User name").fill("ana")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").count() == 1
    log_in(page, site, "ana")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    assert "/login/" in page.url
    page.goto(f"{site}/flags/")
    assert "/login/" in page.url
