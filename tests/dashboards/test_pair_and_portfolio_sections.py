"""The pair and portfolio pages' parts one by one: which programmes, roles and flags a pair page
lists, and how the portfolio counts flags and pairs nations (beyond what the page tests read)."""

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.utils import timezone

from programs.dashboards.pair import pair_page
from programs.dashboards.portfolio import live_flag_counts, nation_pairs
from programs.models import Flag
from tests import factories

TODAY = datetime.date(2024, 1, 1)


@pytest.fixture
def nations(db):
    return {
        code: factories.NationFactory(code=code, name=name)
        for code, name in (("GBR", "United Kingdom"), ("ITA", "Italy"), ("JPN", "Japan"))
    }


def take_part(programme, nation, joined_on=datetime.date(2020, 1, 1), **kwargs):
    return factories.ParticipationFactory(
        programme=programme, nation=nation, joined_on=joined_on, **kwargs
    )


def flag(nation, *, programme=None, severity=Flag.Severity.WARNING, status="open", counterparts=()):
    item = factories.FlagFactory(
        programme=programme,
        nation=nation,
        severity=severity,
        status=status,
        resolved_at=timezone.now() if status == Flag.Status.RESOLVED else None,
    )
    item.counterparts.set(counterparts)
    return item


def test_pair_page_lists_only_programmes_both_take_part_in_with_the_years_they_overlap(nations):
    gcap = factories.ProgrammeFactory(code="GCAP", started_on=datetime.date(2019, 1, 1))
    take_part(gcap, nations["JPN"], joined_on=datetime.date(2020, 1, 1))
    take_part(gcap, nations["GBR"], joined_on=datetime.date(2022, 1, 1))
    tempest = factories.ProgrammeFactory(code="TEMPEST")
    take_part(tempest, nations["GBR"])
    take_part(tempest, nations["ITA"])

    programmes = pair_page(nations["JPN"], nations["GBR"], TODAY)["programmes"]

    assert [p.code for p in programmes] == ["GCAP"]
    assert programmes[0].overlap_from == datetime.date(2022, 1, 1)
    assert programmes[0].overlap_years == Decimal("2.0")


def test_pair_page_lists_the_lead_roles_the_two_hold_today_in_the_programmes_they_share(
    nations,
):
    gcap = factories.ProgrammeFactory(code="GCAP")
    for nation in nations.values():
        take_part(gcap, nation)
    tempest = factories.ProgrammeFactory(code="TEMPEST")
    take_part(tempest, nations["GBR"])
    held = factories.LeadershipRoleFactory(programme=gcap, nation=nations["GBR"], title="Chief")
    factories.LeadershipRoleFactory(
        programme=gcap,
        nation=nations["JPN"],
        started_on=datetime.date(2020, 1, 1),
        ended_on=datetime.date(2021, 1, 1),
    )
    factories.LeadershipRoleFactory(programme=gcap, nation=nations["ITA"])
    factories.LeadershipRoleFactory(programme=tempest, nation=nations["GBR"])

    page = pair_page(nations["JPN"], nations["GBR"], TODAY)

    assert page["roles_held"] == [held]
    assert page["totals"].b_lead_weight == held.weight
    assert page["totals"].total_lead_weight == 2 * held.weight  # the UK's and Italy's


def test_pair_page_lists_the_live_flags_on_either_nation_naming_the_other(nations):
    gcap = factories.ProgrammeFactory(code="GCAP")
    jpn, gbr, ita = nations["JPN"], nations["GBR"], nations["ITA"]
    on_japan = flag(jpn, programme=gcap, counterparts=[gbr])
    on_the_uk = flag(gbr, programme=gcap, counterparts=[jpn, ita], status="acknowledged")
    flag(jpn, programme=gcap, counterparts=[ita])
    flag(jpn, programme=gcap, counterparts=[gbr], status="resolved")
    flag(ita, programme=gcap, counterparts=[jpn, gbr])

    flags = pair_page(jpn, gbr, TODAY)["flags"]

    assert flags == [on_the_uk, on_japan]  # by nation code


def test_live_flag_counts_put_acknowledged_flags_apart_and_leave_resolved_ones_out(nations):
    gcap = factories.ProgrammeFactory(code="GCAP")
    jpn, gbr = nations["JPN"], nations["GBR"]
    flag(jpn, programme=gcap, severity=Flag.Severity.WARNING)
    flag(jpn, programme=gcap, severity=Flag.Severity.WARNING)
    flag(jpn, programme=gcap, severity=Flag.Severity.CRITICAL, status="acknowledged")
    flag(jpn, programme=gcap, severity=Flag.Severity.CRITICAL, status="resolved")
    flag(gbr, severity=Flag.Severity.INFO)  # across programmes

    counts = live_flag_counts()

    assert counts == {
        (gcap.pk, "JPN"): Counter(warning=2, acknowledged=1),
        (None, "GBR"): Counter(info=1),
    }


def test_nation_pairs_are_listed_once_in_code_order_however_many_programmes_they_share():
    def row(programme_id: int, code: str) -> dict:
        return {"programme_id": programme_id, "nation__code": code, "nation__name": code.title()}

    participations = [row(1, "JPN"), row(1, "GBR"), row(2, "GBR"), row(2, "JPN"), row(2, "ITA")]

    assert nation_pairs(participations) == [
        ("GBR", "Gbr", "ITA", "Ita"),
        ("GBR", "Gbr", "JPN", "Jpn"),
        ("ITA", "Ita", "JPN", "Jpn"),
    ]
