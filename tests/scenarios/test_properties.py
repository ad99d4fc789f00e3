"""Property-based tests (hypothesis) of scenario files: whatever the input, the only failure is
the loader's own clear error, and a failed load writes nothing. (Spreadsheet imports:
tests/imports/test_properties.py.)"""

import datetime

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from programs.scenarios.loading import load_scenario_texts
from programs.scenarios.results import ScenarioError
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
    """Text or bytes that are not a scenario file are refused, never loaded: every message
    names the file and says what is wrong, and nothing is written.

    Up to 300 random characters never make the ``format: gcaptrack-scenario/1`` mapping a
    scenario starts with, so each drawn text must be refused; a text that loads fails the
    test. The examples are the near misses: an empty file, bytes that are not UTF-8, and the
    format line followed by broken YAML."""
    before = census()
    with pytest.raises(ScenarioError) as refused:
        load_scenario_texts([("scenarios/fuzz.yaml", text)])
    messages = refused.value.errors
    assert messages
    for message in messages:
        assert message.startswith("scenarios/fuzz.yaml: "), message
        assert message.removeprefix("scenarios/fuzz.yaml: ").strip(), "a message says nothing"
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
