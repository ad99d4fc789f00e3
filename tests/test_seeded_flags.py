"""Loading seeds/ and scanning flags Japan's sidelining in GCAP, as the seeded facts support."""

import datetime
from pathlib import Path

import pytest
import yaml

from programs.balance.programme_balance import programme_balance
from programs.balance.rules.wording import points
from programs.balance.scan import scan_all
from programs.models import Flag, Participation, Programme, ThresholdOverride
from programs.scenarios.loading import load_scenario_files

pytestmark = pytest.mark.django_db

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.yaml"))


@pytest.fixture
def as_of() -> datetime.date:
    """The day the GCAP seed says its facts were current."""
    gcap = yaml.safe_load((SEEDS[0].parent / "gcap.yaml").read_text())
    day = gcap["as_of"]
    return day if isinstance(day, datetime.date) else datetime.date.fromisoformat(day)


def test_with_the_whole_seeded_record_gcap_flags_japan_for_leadership_and_the_uk_italy_bloc(
    as_of,
):
    load_scenario_files(SEEDS)
    scan_all(as_of)

    japan = Flag.objects.filter(programme__code="GCAP", nation__code="JPN", status="open")
    deficit = japan.get(rule="leadership_deficit")
    bloc = japan.get(rule="bloc_sidelining")
    assert sorted(n.code for n in bloc.counterparts.all()) == ["GBR", "ITA"]

    balance = programme_balance(Programme.objects.get(code="GCAP"), as_of)
    jpn = balance.nation("JPN")
    tie, with_uk, with_italy = (
        balance.pair("GBR", "ITA"),
        balance.pair("GBR", "JPN"),
        balance.pair("ITA", "JPN"),
    )
    # Japan's own record is strong too (four UK–Japan agreements, the engine demonstrator; two
    # Italy–Japan agreements), but the UK–Italy index is more than three times either.
    assert with_uk.tie_strong and with_italy.tie_strong
    assert tie.tie_index >= 3 * with_uk.tie_index and tie.tie_index >= 3 * with_italy.tie_index
    assert jpn.leadership_share < jpn.contribution_share / 2
    assert deficit.evidence["leadership_share"] == str(jpn.leadership_share)
    assert deficit.explanation.startswith(
        f"Japan holds {jpn.leadership_weight} of {balance.total_leadership_weight} leadership weight"
    )

    text = bloc.explanation
    assert f"the United Kingdom and Italy (tie index {points(tie.tie_index)} since 1969: " in text
    assert (
        f"against Japan's {points(with_uk.tie_index)} with the United Kingdom and "
        f"{points(with_italy.tie_index)} with Italy,"
    ) in text
    for name in tie.tie_programme_names:
        assert name in text
    assert any("Tornado" in name for name in tie.tie_programme_names)
    assert any("Eurofighter" in name for name in tie.tie_programme_names)
    assert any("Tempest" in name for name in tie.tie_programme_names)
    assert bloc.evidence["tie_since"] == tie.tie_since.isoformat()
    assert bloc.evidence["tie_index"] == str(tie.tie_index)
    assert bloc.evidence["nation_ties"]["GBR"]["tie_index"] == str(with_uk.tie_index)
    assert bloc.evidence["nation_ties"]["ITA"]["tie_index"] == str(with_italy.tie_index)
    assert "UK–Japan engine demonstrator" in [
        part["name"] for part in bloc.evidence["nation_ties"]["GBR"]["parts"]
    ]


def open_bloc_flags():
    return Flag.objects.filter(
        programme__code="GCAP", nation__code="JPN", rule="bloc_sidelining", status="open"
    )


def test_without_the_uk_italy_history_the_seeded_bloc_flag_resolves(as_of):
    load_scenario_files(SEEDS)
    scan_all(as_of)
    assert open_bloc_flags().exists()

    Participation.objects.filter(programme__code__in=["TORNADO", "EUROFIGHTER"]).delete()
    scan_all(as_of)

    # Tempest and two agreements (about 13) are less than three times Japan's 21 with the UK.
    assert not open_bloc_flags().exists()
    assert Flag.objects.get(
        programme__code="GCAP", nation__code="JPN", rule="bloc_sidelining"
    ).resolved_at


def test_a_gcap_tie_ratio_of_six_keeps_the_seeded_bloc_flag_down(as_of):
    load_scenario_files(SEEDS)
    gcap = Programme.objects.get(code="GCAP")
    # The UK–Italy index is about 5.2 times Japan's with the UK: past 3, short of 6.
    ThresholdOverride.objects.create(
        programme=gcap, rule="bloc_sidelining", parameter="tie_ratio", value=6
    )
    scan_all(as_of)
    assert not open_bloc_flags().exists()
