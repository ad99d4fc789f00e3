"""Property-based tests (hypothesis) of the two ways bulk data comes in: scenario files and
spreadsheet imports. Whatever the input, the only failure is the loader's own clear error, and
a failed load writes nothing."""

import csv
import datetime
import io

import pytest
import tablib
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from programs.imports.resources import ContributionResource
from programs.models import Contribution
from programs.scenarios.loading import load_scenario_texts
from programs.scenarios.results import ScenarioError
from tests.admin_helpers import admin_url, https_client, programme_with_partners
from tests.factories import UserFactory
from tests.scenario_helpers import SPEC_EXAMPLE, census

pytestmark = pytest.mark.django_db

BOUNDED = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

SCENARIO = yaml.safe_load(SPEC_EXAMPLE)
RECORD_KEYS = sorted(key for key, value in SCENARIO.items() if isinstance(value, list))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.dates(min_value=datetime.date(1, 1, 1)),
    st.text(max_size=30),
    st.sampled_from(["AAA", "BBB", "DEMO", "AB Jet", "Avalon Aero", "", "2021-02-30", "lead"]),
)
yaml_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=12), children, max_size=4),
    ),
    max_leaves=12,
)


def load_or_refuse(text: str | bytes) -> None:
    """Load one file; a refusal must be a ScenarioError with messages and change nothing."""
    before = census()
    try:
        load_scenario_texts([("scenarios/fuzz.yaml", text)])
    except ScenarioError as error:
        assert error.errors and all(message.strip() for message in error.errors)
        assert census() == before, "a refused scenario changed the database"


@BOUNDED
@given(text=st.one_of(st.text(max_size=300), st.binary(max_size=300)))
@example(text="")
@example(text=b"\xff\xfe not UTF-8")
@example(text="format: gcaptrack-scenario/1\nprogrammes: [")
def test_arbitrary_text_is_refused_with_a_scenario_error(text):
    """Text that is not a scenario (no ``format: gcaptrack-scenario/1`` mapping with its
    records) is refused with the loader's messages, and nothing is written."""
    before = census()
    with pytest.raises(ScenarioError) as refused:
        load_scenario_texts([("scenarios/fuzz.yaml", text)])
    assert refused.value.errors and all(message.strip() for message in refused.value.errors)
    assert census() == before, "a refused scenario changed the database"


@BOUNDED
@given(document=st.dictionaries(st.sampled_from([*SCENARIO, "extra"]), yaml_values, max_size=6))
def test_arbitrary_yaml_documents_load_or_are_refused_cleanly(document):
    document.setdefault("format", "gcaptrack-scenario/1")
    load_or_refuse(yaml.safe_dump(document, allow_unicode=True))


@st.composite
def mutated_scenarios(draw) -> str:
    """The SPEC example with a few fields of its records changed, dropped or added."""
    document = yaml.safe_load(SPEC_EXAMPLE)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        key = draw(st.sampled_from(RECORD_KEYS))
        records = document[key]
        if not records:
            continue
        record = records[draw(st.integers(min_value=0, max_value=len(records) - 1))]
        action = draw(st.sampled_from(["set", "drop", "add", "duplicate"]))
        field = draw(st.sampled_from(sorted(record)))
        if action == "set":
            record[field] = draw(yaml_values)
        elif action == "drop":
            del record[field]
        elif action == "add":
            record[draw(st.text(min_size=1, max_size=10))] = draw(scalars)
        else:
            records.append(dict(record))
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


@BOUNDED
@given(text=mutated_scenarios())
def test_mutated_valid_scenarios_load_or_are_refused_cleanly(text):
    load_or_refuse(text)


@BOUNDED
@given(
    text=st.text(max_size=40).flatmap(
        lambda junk: st.integers(min_value=0, max_value=len(SPEC_EXAMPLE)).map(
            lambda at: SPEC_EXAMPLE[:at] + junk + SPEC_EXAMPLE[at + len(junk) :]
        )
    )
)
def test_scenario_text_with_a_span_overwritten_loads_or_is_refused_cleanly(text):
    load_or_refuse(text)


# Spreadsheet imports -------------------------------------------------------------------------

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
