"""Loading seeds/ and scanning flags Japan's sidelining in GCAP, as the seeded facts support."""

import datetime
from pathlib import Path

import pytest
import yaml

from programs.balance.metrics import programme_balance
from programs.balance.scan import scan_all
from programs.models import Flag, Programme
from programs.scenarios.loader import load_scenario_files

pytestmark = pytest.mark.django_db

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.yaml"))


@pytest.fixture
def as_of() -> datetime.date:
    """The day the GCAP seed says its facts were current."""
    gcap = yaml.safe_load((SEEDS[0].parent / "gcap.yaml").read_text())
    day = gcap["as_of"]
    return day if isinstance(day, datetime.date) else datetime.date.fromisoformat(day)


def test_seeded_gcap_flags_japan_for_leadership_and_the_uk_italy_bloc(as_of):
    load_scenario_files(SEEDS)
    scan_all(as_of)

    japan = Flag.objects.filter(programme__code="GCAP", nation__code="JPN", status="open")
    deficit = japan.get(rule="leadership_deficit")
    bloc = japan.get(rule="bloc_sidelining")
    assert sorted(n.code for n in bloc.counterparts.all()) == ["GBR", "ITA"]

    balance = programme_balance(Programme.objects.get(code="GCAP"), as_of)
    jpn = balance.nation("JPN")
    tie = balance.pair("GBR", "ITA")
    assert tie.tie_strong and not balance.pair("GBR", "JPN").tie_strong
    assert jpn.leadership_share < jpn.contribution_share / 2
    assert deficit.evidence["leadership_share"] == str(jpn.leadership_share)
    assert deficit.explanation.startswith(
        f"Japan holds {jpn.leadership_weight} of {balance.total_leadership_weight} leadership weight"
    )

    text = bloc.explanation
    assert "the United Kingdom and Italy, tied since " in text
    assert f"tied since {tie.tie_since.year}" in text
    for name in tie.tie_programme_names:
        assert name in text
    assert any("Tornado" in name for name in tie.tie_programme_names)
    assert any("Eurofighter" in name for name in tie.tie_programme_names)
    assert any("Tempest" in name for name in tie.tie_programme_names)
    assert bloc.evidence["tie_since"] == tie.tie_since.isoformat()
