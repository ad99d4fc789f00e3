"""The programme page printed as a brief in headless Chromium (``page.pdf()``): A4 portrait,
its charts drawn on the paper (pdftoppm renders the PDF), the as-of day, the provenance counts
and the page's address on it (pdftotext reads it)."""

import shutil
import subprocess

import pytest
from django.utils import timezone

from programs.dashboards.shared import palette
from tests.browser.conftest import PASSWORD, log_in
from tests.dashboards.data import load_seeds_and_scan
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

A4_POINTS = "595.92 x 842.88"


@pytest.fixture
def analyst_user():
    load_seeds_and_scan()
    return UserFactory(username="ana", groups=["analyst"], password=PASSWORD)


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not found (apt-get install poppler-utils)")
    return path


def rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))


def coloured_pixels(pdf_path, colours: list[tuple[int, int, int]], tmp_path) -> int:
    """Pixels of the rendered pages (pdftoppm, 50 dpi) within a few levels of ``colours``."""
    prefix = tmp_path / f"{pdf_path.stem}-page"
    subprocess.run([poppler("pdftoppm"), "-r", "50", str(pdf_path), str(prefix)], check=True)
    count = 0
    for image in sorted(tmp_path.glob(f"{prefix.name}*.ppm")):
        data = image.read_bytes()
        magic, width, height, _, pixels = data.split(maxsplit=4)
        assert magic == b"P6"
        for offset in range(0, int(width) * int(height) * 3, 3):
            pixel = pixels[offset : offset + 3]
            if any(all(abs(pixel[i] - c[i]) <= 8 for i in range(3)) for c in colours):
                count += 1
    return count


def printed(browser, site, path: str, tmp_path, *, javascript: bool):
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": 1400, "height": 900}, locale="en-GB"
    )
    page = context.new_page()
    log_in(page, site, "ana")
    page.goto(f"{site}{path}")
    if javascript:
        count = page.locator(".chart").count()
        page.wait_for_function(
            f"document.querySelectorAll(\".chart[data-rendered='true']\").length == {count}"
        )
    pdf_path = tmp_path / ("brief.pdf" if javascript else "brief-no-charts.pdf")
    page.pdf(path=str(pdf_path), format="A4", print_background=True)
    context.close()
    return pdf_path


def test_the_printed_brief_holds_the_charts_on_a4_with_its_day_counts_and_address(
    browser, site, analyst_user, tmp_path, artifacts
):
    day = timezone.localdate().isoformat()
    path = f"/programmes/GCAP/?as_of={day}"

    brief = printed(browser, site, path, tmp_path, javascript=True)
    shutil.copy(brief, artifacts / "programme-brief.pdf")

    info = subprocess.run([poppler("pdfinfo"), str(brief)], capture_output=True, text=True)
    assert f"Page size:       {A4_POINTS} pts" in info.stdout or "(A4)" in info.stdout, info.stdout
    text = subprocess.run(
        [poppler("pdftotext"), "-layout", str(brief), "-"], capture_output=True, text=True
    ).stdout
    assert "programme brief" in text
    assert "figures as of" in text and timezone.localdate().strftime("%-d %b %Y") in text
    assert "records," in text and "reported" in text and "illustrative" in text
    assert f"{site}{path}" in text
    nations = [rgb(colour) for colour in palette().values()]
    with_charts = coloured_pixels(brief, nations, tmp_path)
    without = coloured_pixels(
        printed(browser, site, path, tmp_path, javascript=False), nations, tmp_path
    )
    assert with_charts > 2000, "the charts' bars and lines are on the paper"
    assert with_charts > 5 * max(without, 1), (with_charts, without)
