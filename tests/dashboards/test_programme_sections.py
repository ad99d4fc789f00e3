"""The programme page's sections one by one: what each table and chart shows beyond what the
page tests read off the HTML (the matrices' cells, the colours past a threshold, the order of
the flags, the gaps in the trend table, the provenance totals)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from programs.balance.programme_balance import programme_balance
from programs.balance.thresholds import RULE_DEFAULTS
from programs.dashboards.programme import (
    agreement_chart,
    agreement_matrix,
    data_provenance,
    nation_rows,
    open_flags,
    outvoted_chart,
    programme_page,
    return_chart,
    return_trends,
    transfer_chart,
    transfer_matrix,
)
from programs.dashboards.shared import palette
from programs.models import Confidence, Flag
from tests import factories

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 6, 30)
NAMES = {"GBR": "United Kingdom", "ITA": "Italy", "JPN": "Japan"}
RED, ORANGE, GREY = "#b2182b", "#ef8a62", "#7b8794"


class Gcap:
    """GCAP with the United Kingdom, Italy and Japan: a firm and a board seat each."""

    def __init__(self):
        self.programme = factories.ProgrammeFactory(
            code="GCAP", started_on=datetime.date(2022, 12, 9)
        )
        self.nations = {
            code: factories.NationFactory(code=code, name=n) for code, n in NAMES.items()
        }
        self.firms = {
            code: factories.OrganisationFactory(name=f"{n.name} Aero", nation=n)
            for code, n in self.nations.items()
        }
        self.body = factories.DecisionBodyFactory(programme=self.programme, name="Board")
        for nation in self.nations.values():
            factories.ParticipationFactory(
                programme=self.programme, nation=nation, joined_on=datetime.date(2022, 12, 9)
            )
            factories.SeatFactory(body=self.body, nation=nation)

    def decide(self, outcome: str, **positions: str) -> None:
        decision = factories.DecisionFactory(body=self.body, outcome=outcome)
        for code, position in positions.items():
            factories.VoteFactory(decision=decision, nation=self.nations[code], position=position)

    def transfer(self, provider: str, recipient: str, weight: int, **kwargs) -> None:
        factories.TechTransferMilestoneFactory(
            programme=self.programme,
            provider=self.firms[provider],
            recipient=self.firms[recipient],
            weight=weight,
            **kwargs,
        )

    def balance(self):
        return programme_balance(self.programme, AS_OF)

    def flag(self, code: str, severity: str, status: str = Flag.Status.OPEN) -> Flag:
        return factories.FlagFactory(
            programme=self.programme,
            nation=self.nations[code],
            severity=severity,
            status=status,
            resolved_at=timezone.now() if status == Flag.Status.RESOLVED else None,
        )


@pytest.fixture
def gcap() -> Gcap:
    return Gcap()


def cells_by_pair(matrix) -> dict[tuple[str, str], object]:
    codes = [row.code for row, _ in matrix]
    return {(row.code, codes[i]): cell for row, line in matrix for i, cell in enumerate(line)}


def test_agreement_matrix_gives_each_pairs_rate_with_its_count_and_a_dash_against_itself(gcap):
    gcap.decide("approved", GBR="for", ITA="for", JPN="against")
    gcap.decide("rejected", GBR="against", ITA="for", JPN="against")
    balance = gcap.balance()

    matrix = agreement_matrix(balance, nation_rows(balance, RULE_DEFAULTS["workshare_return"], {}))
    cells = cells_by_pair(matrix)

    assert (cells[("GBR", "GBR")].text, cells[("GBR", "GBR")].detail) == ("—", "")
    assert (cells[("GBR", "ITA")].text, cells[("GBR", "ITA")].detail) == ("50 %", "1 of 2")
    assert (cells[("GBR", "JPN")].text, cells[("GBR", "JPN")].detail) == ("50 %", "1 of 2")
    assert (cells[("ITA", "JPN")].text, cells[("ITA", "JPN")].detail) == ("0 %", "0 of 2")
    assert cells[("JPN", "ITA")].text == cells[("ITA", "JPN")].text
    chart = agreement_chart(balance, matrix)
    assert chart is not None
    gbr = [row.code for row, _ in matrix].index("GBR")
    assert chart.data[0]["z"][gbr][gbr] is None


def test_agreement_heat_map_waits_for_a_decision_both_of_a_pair_voted_on(gcap):
    balance = gcap.balance()
    matrix = agreement_matrix(balance, nation_rows(balance, RULE_DEFAULTS["workshare_return"], {}))

    assert agreement_chart(balance, matrix) is None
    assert {cell.text for _, line in matrix for cell in line} == {"—"}
    assert "agreement" not in programme_page(gcap.programme, AS_OF)["charts"]


def test_transfer_heat_map_reads_from_provider_rows_to_recipient_columns(gcap):
    gcap.transfer("GBR", "JPN", 3, status="achieved", achieved_on=datetime.date(2025, 1, 1))
    gcap.transfer("GBR", "JPN", 2, planned_on=datetime.date(2024, 1, 1))  # long overdue
    gcap.transfer("JPN", "ITA", 4, status="blocked", planned_on=datetime.date(2030, 1, 1))
    balance = gcap.balance()
    transfers = transfer_matrix(balance)

    chart = transfer_chart(balance, transfers)

    assert chart is not None
    codes = [n.code for n in balance.nations]
    text = {
        (provider, recipient): chart.data[0]["text"][i][j]
        for i, provider in enumerate(codes)
        for j, recipient in enumerate(codes)
    }
    assert text[("GBR", "JPN")] == "3 delivered<br>1 overdue"
    assert text[("JPN", "ITA")] == "0 delivered<br>1 blocked"
    assert text[("JPN", "GBR")] == "" and text[("GBR", "GBR")] == ""
    assert chart.data[0]["z"][codes.index("GBR")][codes.index("JPN")] == 3


def test_no_transfer_heat_map_without_milestones(gcap):
    balance = gcap.balance()

    assert transfer_matrix(balance) == []
    assert transfer_chart(balance, []) is None


def test_outvoted_bars_turn_orange_at_the_warning_and_red_at_the_critical_threshold(gcap):
    # Over four counted decisions Japan is outvoted on every one, Italy on two, the UK on none.
    gcap.decide("approved", GBR="for", ITA="for", JPN="against")
    gcap.decide("approved", GBR="for", ITA="for", JPN="against")
    gcap.decide("approved", GBR="for", ITA="against", JPN="against")
    gcap.decide("rejected", GBR="against", ITA="for", JPN="for")
    balance = gcap.balance()
    thresholds = {"warning": Decimal("0.30"), "critical": Decimal("0.75")}

    chart = outvoted_chart(balance, thresholds)

    assert chart is not None
    colours = dict(zip(chart.data[0]["x"], chart.data[0]["marker"]["color"], strict=True))
    assert colours == {"United Kingdom": GREY, "Italy": ORANGE, "Japan": RED}
    assert chart.layout["shapes"][0]["y0"] == 30.0


def test_return_bars_take_the_colour_of_each_nations_band(gcap):
    for code, paid, placed in (("GBR", 100, 130), ("ITA", 100, 100), ("JPN", 100, 70)):
        factories.ContributionFactory(
            programme=gcap.programme, nation=gcap.nations[code], amount=paid
        )
        factories.WorkshareAllocationFactory(
            work_package=factories.WorkPackageFactory(programme=gcap.programme),
            organisation=gcap.firms[code],
            amount=placed,
        )
    balance = gcap.balance()
    rows = nation_rows(balance, RULE_DEFAULTS["workshare_return"], palette())

    chart = return_chart(rows)

    assert chart is not None
    bands = {row.code: row.band for row in rows}
    assert bands == {"GBR": "above", "ITA": "fair", "JPN": "critical"}
    colours = dict(zip(chart.data[0]["x"], chart.data[0]["marker"]["color"], strict=True))
    assert colours == {"United Kingdom": "#2166ac", "Italy": GREY, "Japan": RED}


def test_no_balance_charts_while_no_nation_takes_part():
    programme = factories.ProgrammeFactory(code="EMPTY")

    page = programme_page(programme, AS_OF)

    assert page["nations"] == []
    # Only the programme's own record is there to draw: where the data comes from.
    assert set(page["charts"]) == {"provenance"}


def test_open_flags_list_open_before_acknowledged_severest_first_and_no_resolved_flag(gcap):
    info = gcap.flag("GBR", Flag.Severity.INFO)
    acknowledged = gcap.flag("JPN", Flag.Severity.CRITICAL, Flag.Status.ACKNOWLEDGED)
    critical = gcap.flag("ITA", Flag.Severity.CRITICAL)
    warning = gcap.flag("JPN", Flag.Severity.WARNING)
    gcap.flag("GBR", Flag.Severity.CRITICAL, Flag.Status.RESOLVED)

    assert open_flags(gcap.programme) == [critical, warning, info, acknowledged]


def test_trend_table_shows_a_gap_where_a_nation_was_not_scanned(gcap):
    first, second = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)
    for nation, day in (("GBR", first), ("GBR", second), ("JPN", second)):
        factories.BalanceSnapshotFactory(
            programme=gcap.programme, nation=gcap.nations[nation], taken_on=day
        )

    trends = return_trends(gcap.programme, palette())

    assert trends.nations == [("GBR", "United Kingdom"), ("JPN", "Japan")]
    assert [day for day, _ in trends.table] == [first, second]
    gbr_then, jpn_then = trends.table[0][1]
    assert gbr_then is not None and gbr_then["return_coefficient"] == Decimal("0.8")
    assert jpn_then is None
    assert trends.chart is not None
    assert [line["name"] for line in trends.chart.data] == ["United Kingdom", "Japan"]
    assert trends.chart.data[1]["x"] == [second.isoformat()]


def test_a_single_scan_is_drawn_with_a_fortnight_either_side(gcap):
    day = datetime.date(2026, 3, 1)
    factories.BalanceSnapshotFactory(
        programme=gcap.programme, nation=gcap.nations["ITA"], taken_on=day
    )

    chart = return_trends(gcap.programme, palette()).chart

    assert chart is not None
    assert chart.layout["xaxis"]["range"] == ["2026-02-14", "2026-03-16"]


def test_no_trends_before_the_first_scan(gcap):
    trends = return_trends(gcap.programme, palette())

    assert (trends.nations, trends.table, trends.chart) == ([], [], None)


def test_provenance_leaves_out_kinds_with_no_records_and_totals_each_confidence(gcap):
    for confidence in (Confidence.REPORTED, Confidence.ESTIMATED, Confidence.ESTIMATED):
        factories.ContributionFactory(
            programme=gcap.programme, nation=gcap.nations["GBR"], confidence=confidence
        )

    provenance = data_provenance(gcap.programme)

    labels = [row.label for row in provenance.rows]
    assert "Contributions" in labels
    assert "Votes" not in labels and "Technology transfers" not in labels
    contributions = provenance.rows[labels.index("Contributions")]
    assert contributions.values == [1, 2, 0]
    totals = dict(provenance.totals)
    assert list(totals) == ["reported", "estimated", "illustrative"]
    assert totals["estimated"] == 2
    assert provenance.total == sum(totals.values()) == sum(row.total for row in provenance.rows)
    assert provenance.chart is not None
    assert provenance.chart.data[0]["y"] == labels


def test_the_page_is_as_of_today_unless_a_day_is_given(gcap):
    assert programme_page(gcap.programme)["as_of"] == timezone.localdate()
    assert programme_page(gcap.programme, AS_OF)["as_of"] == AS_OF
