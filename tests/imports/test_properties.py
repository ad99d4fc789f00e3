"""Property-based tests (hypothesis) of spreadsheet imports: whatever the file, an import
applies entirely or writes nothing, and the admin answers a malformed file with a clear error.
(Scenario files: tests/scenarios/test_properties.py.)"""

import csv
import io

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from programs.imports.resources import ContributionResource
from programs.models import Contribution
from tests.admin_helpers import admin_url, https_client, programme_with_partners
from tests.factories import UserFactory
from tests.scenario_helpers import census

pytestmark = pytest.mark.django_db

BOUNDED = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

HEADER = ["programme", "nation", "period_start", "period_end", "amount", "source", "confidence"]
cells = st.one_of(
    st.sampled_from(["DEMO", "AAA", "BBB", "CCC", "2024-01-01", "2023-12-31", "100", "-5"]),
    st.sampled_from(["reported", "estimated", "illustrative", "", "=1+1", "1e400", "NaN"]),
    st.text(max_size=15),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.dates().map(str),
)
csv_rows = st.lists(st.lists(cells, min_size=0, max_size=9), min_size=0, max_size=6)


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


BLANK_FIRST_LINE = b"\nDEMO,AAA,2024-01-01,,1,,\n"

headers = st.one_of(
    st.just(HEADER),
    st.permutations(HEADER).map(list),
    st.lists(st.sampled_from([*HEADER, "extra", ""]), max_size=9),
)


@pytest.fixture
def demo(db):
    return programme_with_partners("DEMO", ("AAA", "BBB"))


@BOUNDED
@given(header=headers, rows=csv_rows)
def test_a_csv_import_applies_entirely_or_writes_nothing(demo, header, rows):
    before = census()
    try:
        dataset = tablib.Dataset().load(csv_text(header, rows), format="csv")
    except Exception:  # tablib refused the file: the admin reports it as a form error
        return
    result = ContributionResource().import_data(
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
    )
    if result.has_errors() or result.has_validation_errors():
        assert census() == before, "a refused import changed the database"
    else:
        written = result.totals["new"] + result.totals["update"]
        assert Contribution.objects.count() >= written


@BOUNDED
@given(
    body=st.one_of(
        st.binary(max_size=400),
        st.builds(csv_text, headers, csv_rows).map(str.encode),
        st.builds(csv_text, headers, csv_rows).map(lambda text: text.encode("utf-16")),
    )
)
# Found by this test: a blank first line left tablib without headers and the admin answered 500.
@example(body=BLANK_FIRST_LINE)
def test_a_malformed_csv_in_the_admin_gets_a_clear_error_and_writes_nothing(demo, body):
    analyst = UserFactory(username="ana", groups=["analyst"])
    client = https_client(analyst)
    before = census()

    response = client.post(
        admin_url(Contribution, "import"),
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("rows.csv", body, "text/csv"),
        },
    )

    assert response.status_code == 200
    assert census() == before, "the preview wrote to the database"
    result = response.context.get("result")
    form = response.context.get("form")
    if result is not None and not (result.has_errors() or result.has_validation_errors()):
        return  # a valid file: the preview offers to apply it
    # Otherwise the page says what is wrong and offers nothing to apply.
    assert response.context.get("confirm_form") is None
    has_form_error = form is not None and bool(form.errors)
    has_row_error = result is not None and (result.has_errors() or result.has_validation_errors())
    assert has_form_error or has_row_error
    page = response.text
    assert "errorlist" in page or "Errors" in page or "failed to validate" in page
    if body == BLANK_FIRST_LINE:
        assert "The first line of the file must be the column headers" in page
