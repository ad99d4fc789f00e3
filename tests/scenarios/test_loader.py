import datetime
from decimal import Decimal

import pytest

from programs import models
from programs.scenarios.loading import load_scenario_texts
from programs.scenarios.results import ScenarioError
from tests import factories
from tests.scenario_helpers import SPEC_EXAMPLE, census, load, replace_once

pytestmark = pytest.mark.django_db


def test_the_spec_example_loads_completely():
    result = load(SPEC_EXAMPLE)

    created = {key: counts.created for key, counts in result.counts.items()}
    assert created == {
        "nations": 2,
        "organisations": 3,
        "ownership_stakes": 2,
        "programmes": 1,
        "participations": 2,
        "contributions": 1,
        "work_packages": 1,
        "workshare": 1,
        "decision_bodies": 1,
        "seats": 2,
        "leadership_roles": 1,
        "decisions": 1,
        "votes": 2,
        "tech_transfers": 1,
        "agreements": 1,
    }
    assert result.as_of == datetime.date(2026, 6, 30)
    venture = models.Organisation.objects.get(name="AB Jet")
    assert sorted(venture.stakes.values_list("owner__name", "percent")) == [
        ("Avalon Aero", Decimal("50.00")),
        ("Borduria Motors", Decimal("50.00")),
    ]
    board = models.DecisionBody.objects.get(programme__code="DEMO", name="Board")
    assert board.seats.get(nation__code="AAA").chair
    assert board.seats.get(nation__code="BBB").veto
    decision = models.Decision.objects.get(body=board, title="Approve design freeze")
    assert decision.proposer.code == "AAA"
    assert dict(decision.votes.values_list("nation__code", "position")) == {
        "AAA": "for",
        "BBB": "against",
    }
    allocation = models.WorkshareAllocation.objects.get()
    assert (allocation.work_package.code, allocation.organisation.name) == ("AIR", "AB Jet")
    milestone = models.TechTransferMilestone.objects.get()
    assert (milestone.provider.name, milestone.recipient.name) == ("Avalon Aero", "Borduria Motors")
    agreement = models.Agreement.objects.get()
    assert sorted(agreement.nations.values_list("code", flat=True)) == ["AAA", "BBB"]
    load_row = models.ScenarioLoad.objects.get()
    assert (load_row.file_name, load_row.format, load_row.as_of, load_row.created) == (
        "scenarios/demo.yaml",
        "gcaptrack-scenario/1",
        datetime.date(2026, 6, 30),
        22,
    )


def test_a_second_load_of_the_same_file_changes_no_table_and_writes_no_history():
    load(SPEC_EXAMPLE)
    before = census()

    again = load(SPEC_EXAMPLE)

    assert census() == before
    assert not again.changed and not again.recorded
    assert again.total.unchanged == 22


def test_a_reload_with_a_changed_field_updates_in_place_and_writes_one_history_row():
    user = factories.UserFactory(username="loader")
    load(SPEC_EXAMPLE)
    contribution = models.Contribution.objects.get()
    before = census()

    result = load(replace_once(SPEC_EXAMPLE, "amount: 100}", "amount: 120}"), user=user)

    assert result.counts["contributions"].updated == 1
    assert result.total.updated == 1
    contribution.refresh_from_db()
    assert contribution.amount == Decimal("120")
    after = census()
    assert after["programs.Contribution"] == before["programs.Contribution"]
    assert after["programs.HistoricalContribution"] == before["programs.HistoricalContribution"] + 1
    changed = {label for label in after if after[label] != before[label]}
    assert changed == {"programs.HistoricalContribution", "programs.ScenarioLoad"}
    latest = contribution.history.latest()
    assert (latest.history_type, latest.history_user, latest.history_change_reason) == (
        "~",
        user,
        "scenario demo.yaml",
    )


def test_records_the_file_does_not_mention_are_left_alone():
    load(SPEC_EXAMPLE)
    other = factories.NationFactory(code="CCC", name="Cascadia")
    smaller = """
format: gcaptrack-scenario/1
nations: [{code: AAA, name: Avalonia}]
decisions:
  - {programme: DEMO, body: Board, title: Approve design freeze, votes: [{nation: AAA, position: abstain}]}
"""
    result = load(smaller)

    assert result.counts["nations"].updated == 1
    assert models.Nation.objects.get(code="AAA").name == "Avalonia"
    assert models.Nation.objects.filter(pk=other.pk).exists()
    assert models.Nation.objects.get(code="BBB").name == "Borduria"
    decision = models.Decision.objects.get()
    assert decision.outcome == "approved", "fields the record omits keep their stored value"
    assert dict(decision.votes.values_list("nation__code", "position")) == {
        "AAA": "abstain",
        "BBB": "against",
    }, "votes the file does not list are left alone"
    assert models.Contribution.objects.count() == 1


BAD_FILES = {
    "bad amount": (
        ("amount: 100}", "amount: -5}"),
        "contributions[0] (DEMO/AAA/2020-01-01): amount: Ensure this value is greater than or equal to 0.",
    ),
    "unknown nation reference": (
        (
            "{programme: DEMO, nation: AAA, period_start",
            "{programme: DEMO, nation: ZZZ, period_start",
        ),
        "contributions[0] (DEMO/ZZZ/2020-01-01): nation: unknown nation 'ZZZ'.",
    ),
    "stakes not summing to 100": (
        ("owner: Borduria Motors, percent: 50}", "owner: Borduria Motors, percent: 40}"),
        "ownership_stakes (venture AB Jet): percent: Stakes of AB Jet sum to 90.00%; they must sum to 100%.",
    ),
    "unknown field": (
        (
            "{name: Avalon Aero, nation: AAA, kind: prime}",
            "{name: Avalon Aero, nation: AAA, kind: prime, colour: red}",
        ),
        "organisations[0] (Avalon Aero): colour: unknown field; expected one of: name, short_name, nation, kind, source, confidence, releasable_to.",
    ),
    "unknown top-level key": (
        ("\nagreements:", "\nagreement:"),
        "agreement: unknown key; expected one of: format, as_of,",
    ),
    "bad date": (
        ("decided_on: 2021-03-01", "decided_on: 2021-02-30"),
        "decisions[0] (DEMO/Board/Approve design freeze): decided_on: “2021-02-30” value has the correct format (YYYY-MM-DD) but it is an invalid date.",
    ),
    "missing format": (
        ("format: gcaptrack-scenario/1\n", ""),
        "format: missing; a scenario file starts with 'format: gcaptrack-scenario/1'.",
    ),
    "agreement binding one nation": (
        ("nations: [AAA, BBB], signed_on", "nations: [AAA], signed_on"),
        "agreements[0] (Avalon–Borduria defence accord): nations: An agreement binds two or more nations.",
    ),
    "vote of a nation without a seat": (
        ("{nation: BBB, position: against}", "{nation: CCC, position: against}"),
        "decisions[0] (DEMO/Board/Approve design freeze): votes[1] (CCC): nation: Cascadia holds no seat on Board.",
    ),
    "bad choice": (
        ("level: governmental", "level: galactic"),
        "decision_bodies[0] (DEMO/Board): level: Value 'galactic' is not a valid choice.",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
@pytest.mark.parametrize("preloaded", [False, True], ids=["empty", "preloaded"])
def test_a_file_with_one_bad_record_changes_nothing_and_names_file_record_and_field(
    case, preloaded
):
    (old, new), message = BAD_FILES[case]
    text = replace_once(
        SPEC_EXAMPLE,
        "{code: BBB, name: Borduria}]",
        "{code: BBB, name: Borduria}, {code: CCC, name: Cascadia}]",
    )
    if preloaded:
        load(text, name="scenarios/first.yaml")
    before = census()

    with pytest.raises(ScenarioError) as caught:
        load(replace_once(text, old, new), name="scenarios/bad.yaml")

    assert census() == before
    assert len(caught.value.errors) == 1, caught.value.errors
    assert caught.value.errors[0].startswith("scenarios/bad.yaml: " + message)


def test_every_error_of_a_file_is_reported():
    text = replace_once(SPEC_EXAMPLE, "amount: 100}", "amount: lots}")
    text = replace_once(text, "weight: 3, nation: AAA", "weight: 9, nation: AAA")
    text = replace_once(text, "status: delayed", "status: stuck")

    with pytest.raises(ScenarioError) as caught:
        load(text)

    assert [error.split(": ")[1:3] for error in caught.value.errors] == [
        ["contributions[0] (DEMO/AAA/2020-01-01)", "amount"],
        ["leadership_roles[0] (DEMO/Chief engineer)", "weight"],
        ["tech_transfers[0] (DEMO/Radar apertures)", "status"],
    ]


def test_a_record_referring_to_a_failed_record_is_not_reported_again():
    text = replace_once(
        SPEC_EXAMPLE,
        "{name: Avalon Aero, nation: AAA, kind: prime}",
        "{name: Avalon Aero, kind: prime}",
    )

    with pytest.raises(ScenarioError) as caught:
        load(text)

    assert caught.value.errors == [
        "scenarios/demo.yaml: organisations[0] (Avalon Aero): nation: A prime organisation needs a nation."
    ]


def test_all_files_of_one_call_load_together_or_not_at_all():
    bad = "format: gcaptrack-scenario/1\nnations: [{code: CCC, name: Cascadia, colour: blue}]\n"

    with pytest.raises(ScenarioError) as caught:
        load_scenario_texts([("good.yaml", SPEC_EXAMPLE), ("bad.yaml", bad)])

    assert caught.value.errors == [
        "bad.yaml: nations[0] (CCC): colour: unknown field; expected one of: code, name, source, confidence."
    ]
    assert not models.Nation.objects.exists()
    assert not models.ScenarioLoad.objects.exists()


def test_a_later_file_may_refer_to_records_of_an_earlier_one():
    extra = "format: gcaptrack-scenario/1\ncontributions: [{programme: DEMO, nation: BBB, period_start: 2021-01-01, amount: 50}]\n"

    results = load_scenario_texts([("a.yaml", SPEC_EXAMPLE), ("b.yaml", extra)])

    assert results[1].counts["contributions"].created == 1
    assert models.Contribution.objects.count() == 2


def test_the_same_natural_key_twice_in_a_file_is_an_error():
    text = "format: gcaptrack-scenario/1\nnations: [{code: CCC, name: Cascadia}, {code: CCC, name: Other}]\n"

    with pytest.raises(ScenarioError) as caught:
        load(text)

    assert caught.value.errors == [
        "scenarios/demo.yaml: nations[1] (CCC): the same natural key as nations[0] (CCC); give each record once."
    ]


def test_invalid_yaml_is_reported_with_its_line():
    with pytest.raises(ScenarioError) as caught:
        load("format: gcaptrack-scenario/1\nnations: [{code: AAA\n")

    assert caught.value.errors[0].startswith("scenarios/demo.yaml: not valid YAML:")
    assert "line 3" in caught.value.errors[0]


def test_json_is_a_valid_scenario():
    text = '{"format": "gcaptrack-scenario/1", "nations": [{"code": "CCC", "name": "Cascadia"}]}'

    assert load(text, name="n.json").counts["nations"].created == 1


def test_provenance_defaults_to_reported_with_a_source_and_illustrative_without():
    text = """
format: gcaptrack-scenario/1
nations:
  - {code: AAA, name: Avalon, source: "Avalon Gazette"}
  - {code: BBB, name: Borduria}
  - {code: CCC, name: Cascadia, source: analyst, confidence: estimated}
programmes: [{code: P, name: P, status: concept, currency: EUR}]
participations:
  - {programme: P, nation: AAA, role: partner}
  - {programme: P, nation: BBB, role: partner}
decision_bodies:
  - programme: P
    name: Board
    level: governmental
    voting_rule: majority
    source: minutes
    seats: [{nation: AAA}, {nation: BBB, confidence: illustrative}]
"""
    load(text)

    confidence = dict(models.Nation.objects.values_list("code", "confidence"))
    assert confidence == {"AAA": "reported", "BBB": "illustrative", "CCC": "estimated"}
    seats = {seat.nation.code: (seat.source, seat.confidence) for seat in models.Seat.objects.all()}
    assert seats == {"AAA": ("minutes", "reported"), "BBB": ("", "illustrative")}


def test_thresholds_become_programme_overrides_and_a_bad_one_names_rule_and_parameter():
    text = """
format: gcaptrack-scenario/1
programmes:
  - {code: P, name: P, status: concept, currency: EUR,
     thresholds: {workshare_return: {warning: 0.9, critical: 0.8}}}
"""
    result = load(text)

    assert result.counts["thresholds"].created == 2
    overrides = models.ThresholdOverride.objects.filter(programme__code="P")
    assert dict(overrides.values_list("parameter", "value")) == {
        "warning": Decimal("0.9"),
        "critical": Decimal("0.8"),
    }
    assert load(text).counts["thresholds"].unchanged == 2

    with pytest.raises(ScenarioError) as caught:
        load(text.replace("critical: 0.8", "criticall: 0.8"))
    assert caught.value.errors == [
        "scenarios/demo.yaml: programmes[0] (P): thresholds[workshare_return.criticall]: parameter: "
        "Rule workshare_return has no parameter 'criticall'; it has: warning, critical, recovery, consecutive_scans."
    ]


def test_predecessors_are_set_by_code_and_only_when_they_differ():
    text = """
format: gcaptrack-scenario/1
programmes:
  - {code: NEW, name: New, status: development, currency: EUR, predecessors: [OLD-A, OLD-B]}
  - {code: OLD-A, name: Old A, status: merged, currency: EUR}
  - {code: OLD-B, name: Old B, status: merged, currency: EUR}
"""
    load(text)
    new = models.Programme.objects.get(code="NEW")
    assert sorted(new.predecessors.values_list("code", flat=True)) == ["OLD-A", "OLD-B"]
    history_rows = new.history.count()

    assert load(text).counts["programmes"].unchanged == 3
    assert new.history.count() == history_rows

    result = load(text.replace("[OLD-A, OLD-B]", "[OLD-A]"))
    assert result.counts["programmes"].updated == 1
    assert list(new.predecessors.values_list("code", flat=True)) == ["OLD-A"]


def test_a_scenario_load_is_recorded_once_per_content():
    load(SPEC_EXAMPLE)
    load(SPEC_EXAMPLE)
    assert models.ScenarioLoad.objects.count() == 1

    load(replace_once(SPEC_EXAMPLE, "amount: 100}", "amount: 120}"))
    assert models.ScenarioLoad.objects.count() == 2
    assert models.ScenarioLoad.objects.latest("loaded_at").updated == 1
