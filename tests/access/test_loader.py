"""Scenario files may mark records ``releasable_to`` nations; the shipped seeds release the
historical programmes to every nation, so each GCAP nation sees GCAP in full."""

from pathlib import Path

import pytest
from django.conf import settings

from programs import models
from programs.access import programmes_seen_in_full, released_to
from programs.scenarios.loading import load_scenario_files
from programs.scenarios.results import ScenarioError
from tests import factories
from tests.scenario_helpers import SPEC_EXAMPLE, census, load, replace_once

pytestmark = pytest.mark.django_db

SEEDS = sorted((Path(settings.BASE_DIR) / "seeds").glob("*.yaml"))


def with_cascadia(text: str = SPEC_EXAMPLE) -> str:
    return replace_once(
        text,
        "{code: BBB, name: Borduria}]",
        "{code: BBB, name: Borduria}, {code: CCC, name: Cascadia}]",
    )


def marked(text: str) -> str:
    """The SPEC example with markings on a programme, a contribution and a nested vote."""
    text = replace_once(
        text,
        "currency: EUR, started_on: 2020-01-01}",
        "currency: EUR, started_on: 2020-01-01,\n     releasable_to: [AAA, BBB, CCC]}",
    )
    text = replace_once(text, "amount: 100}", "amount: 100, releasable_to: [AAA]}")
    return replace_once(
        text,
        "{nation: BBB, position: against}",
        "{nation: BBB, position: against, releasable_to: [BBB, AAA]}",
    )


def codes(record) -> list[str]:
    return sorted(record.releasable_to.values_list("code", flat=True))


def test_releasable_to_sets_the_marking_of_any_kind_of_record_nested_ones_included():
    load(marked(with_cascadia()))

    assert codes(models.Programme.objects.get(code="DEMO")) == ["AAA", "BBB", "CCC"]
    assert codes(models.Contribution.objects.get()) == ["AAA"]
    assert codes(models.Vote.objects.get(nation__code="BBB")) == ["AAA", "BBB"]
    assert codes(models.Vote.objects.get(nation__code="AAA")) == []
    # The marking takes effect: Cascadia sees the programme, not Avalon's contribution.
    ccc = models.Nation.objects.get(code="CCC")
    assert released_to(models.Programme.objects.all(), ccc.pk).count() == 1
    assert released_to(models.Contribution.objects.all(), ccc.pk).count() == 0


def test_a_marking_is_set_when_given_left_alone_when_absent_and_cleared_by_an_empty_list():
    text = marked(with_cascadia())
    load(text)
    before = census()

    again = load(text, name="scenarios/again.yaml")
    assert not again.changed, again.counts
    assert census() == before, "no history row, no second load record"

    # Absent: the stored marking stays.
    plain = load(with_cascadia(), name="scenarios/plain.yaml")
    assert not plain.changed, plain.counts
    assert codes(models.Contribution.objects.get()) == ["AAA"]

    # Given: set to exactly those nations; the record counts as updated.
    narrowed = load(
        replace_once(text, "releasable_to: [AAA, BBB, CCC]", "releasable_to: [AAA]"),
        name="scenarios/narrowed.yaml",
    )
    assert narrowed.counts["programmes"].updated == 1
    assert codes(models.Programme.objects.get(code="DEMO")) == ["AAA"]

    load(replace_once(text, "releasable_to: [AAA]}", "releasable_to: []}"), name="s/clear.yaml")
    assert codes(models.Contribution.objects.get()) == []


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "releasable_to: [AAA, BBB, CCC]",
            "releasable_to: [AAA, ZZZ]",
            "programmes[0] (DEMO): releasable_to: unknown nation 'ZZZ'.",
        ),
        (
            "releasable_to: [BBB, AAA]",
            "releasable_to: BBB",
            "decisions[0] (DEMO/Board/Approve design freeze): votes[1] (BBB): releasable_to: "
            "expected a list of nation codes.",
        ),
        (
            "{code: AAA, name: Avalon}",
            "{code: AAA, name: Avalon, releasable_to: [BBB]}",
            "nations[0] (AAA): releasable_to: unknown field",
        ),
    ],
)
def test_a_bad_marking_changes_nothing_and_names_file_record_and_field(old, new, message):
    text = marked(with_cascadia())
    load(text, name="scenarios/first.yaml")
    before = census()

    with pytest.raises(ScenarioError) as caught:
        load(replace_once(text, old, new), name="scenarios/bad.yaml")

    assert census() == before
    assert codes(models.Programme.objects.get(code="DEMO")) == ["AAA", "BBB", "CCC"]
    assert len(caught.value.errors) == 1, caught.value.errors
    assert caught.value.errors[0].startswith("scenarios/bad.yaml: " + message)


def test_a_restricted_user_must_keep_their_own_nation_in_a_marking_they_load():
    text = with_cascadia()
    load(text)
    user = factories.UserFactory(username="bo", groups=["analyst"])
    factories.ClearanceFactory(user=user, nation=models.Nation.objects.get(code="BBB"))

    with pytest.raises(ScenarioError) as caught:
        load(marked(text), name="scenarios/mine.yaml", user=user)

    assert caught.value.errors == [
        # Nor may they release the programme beyond its participants (issue #18).
        "scenarios/mine.yaml: programmes[0] (DEMO): releasable_to: CCC may not be added: the "
        "programme is released only to AAA, BBB.",
        "scenarios/mine.yaml: contributions[0] (DEMO/AAA/2020-01-01): releasable_to: Keep your "
        "own nation in the list: you could no longer see the record.",
    ]
    assert codes(models.Contribution.objects.get()) == []


def test_every_nation_of_gcap_sees_gcap_in_full_after_loading_the_seeds():
    load_scenario_files(SEEDS)

    for code in ("JPN", "GBR", "ITA"):
        nation = models.Nation.objects.get(code=code)
        seen = programmes_seen_in_full(nation.pk).values_list("code", flat=True)
        assert "GCAP" in seen, code
    # The historical programmes are released to all: Japan sees the UK–Italy ties.
    jpn = models.Nation.objects.get(code="JPN")
    visible = set(
        released_to(models.Programme.objects.all(), jpn.pk).values_list("code", flat=True)
    )
    # Every programme of the seeds: each is on public record (released to every nation of the
    # seeds) or, GCAP, Japan's own.
    assert visible == set(models.Programme.objects.values_list("code", flat=True))
    # Sweden takes no part in GCAP: it sees the history, not GCAP.
    swe = models.Nation.objects.get(code="SWE")
    assert not released_to(models.Programme.objects.filter(code="GCAP"), swe.pk).exists()


def test_a_restricted_user_cannot_load_a_marking_that_takes_a_record_from_its_nation():
    """Issue #18 finding 4 through a scenario file: Borduria's analyst may not release
    Arstotzka's own contribution to Borduria only."""
    text = with_cascadia()
    load(text)
    user = factories.UserFactory(username="bo", groups=["analyst"])
    factories.ClearanceFactory(user=user, nation=models.Nation.objects.get(code="BBB"))
    taken = replace_once(text, "amount: 100}", "amount: 100, releasable_to: [BBB]}")

    with pytest.raises(ScenarioError) as caught:
        load(taken, name="scenarios/mine.yaml", user=user)

    assert caught.value.errors == [
        "scenarios/mine.yaml: contributions[0] (DEMO/AAA/2020-01-01): releasable_to: Keep AAA "
        "in the list: the record is theirs (its own nation or a participant of its programme "
        "it names)."
    ]
    assert codes(models.Contribution.objects.get()) == []
