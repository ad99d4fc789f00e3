"""The content security policy in a real browser: every dashboard page draws its charts, and
the admin and the API docs work, without one violation of the policy."""

import pytest

from tests.browser.conftest import PASSWORD, log_in
from tests.dashboards.data import load_seeds_and_scan
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

RECORD_VIOLATIONS = """() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
        window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
    });
}"""


@pytest.fixture
def csp_page(page):
    """A page whose documents record every CSP violation, and whose console's are kept."""
    page.add_init_script(f"({RECORD_VIOLATIONS})()")
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.csp_console = console
    return page


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []") + page.csp_console


def test_dashboards_admin_and_api_docs_run_without_csp_violations(csp_page, site):
    load_seeds_and_scan()
    UserFactory(username="root", is_superuser=True, password=PASSWORD)
    page = csp_page
    log_in(page, site, "root")

    for path in ("/", "/programmes/GCAP/", "/nations/GBR/JPN/", "/flags/"):
        response = page.goto(site + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        charts = page.locator("[data-chart]")
        for index in range(charts.count()):
            chart_id = charts.nth(index).get_attribute("id")
            page.wait_for_selector(f"#{chart_id}[data-rendered='true']", timeout=15000)
        assert violations(page) == [], path
        assert page.js_errors == [], path

    for path in ("/admin/", "/admin/programs/programme/", "/admin/programs/contribution/add/"):
        assert page.goto(site + path).status == 200, path
        page.wait_for_load_state("networkidle")
        assert violations(page) == [], path

    assert page.goto(site + "/api/v1/docs/").status == 200
    page.wait_for_selector(".swagger-ui .opblock", timeout=20000)
    assert violations(page) == []
    assert page.js_errors == []
