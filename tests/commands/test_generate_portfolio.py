"""``manage.py generate_portfolio`` on a tiny size: deterministic, the counts asked for, valid."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Sum

from programs.balance.scan import scan_all
from programs.models import (
    BalanceSnapshot,
    Confidence,
    Decision,
    Nation,
    OwnershipStake,
    Participation,
    Programme,
    Seat,
    TechTransferMilestone,
    Vote,
    WorkshareAllocation,
)
from programs.synthetic.portfolio import ANCHOR

SIZE = {"programmes": 4, "nations": 5, "workshare": 300, "milestones": 60, "decisions": 25}
pytestmark = pytest.mark.django_db


def generate(seed: int, **size) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("generate_portfolio", **{**SIZE, **size}, seed=seed, stdout=out, stderr=err)
    return err.getvalue()


class Rollback(Exception):
    pass


def rows_of(seed: int) -> dict[str, list[tuple]]:
    """Every generated row by natural keys (no ids), generated then rolled back."""
    captured: dict[str, list[tuple]] = {}
    try:
        with transaction.atomic():
            generate(seed)
            captured["programmes"] = sorted(
                Programme.objects.values_list(
                    "code", "status", "currency", "started_on", "ended_on"
                )
            )
            captured["shares"] = sorted(
                Participation.objects.values_list(
                    "programme__code", "nation__code", "role", "agreed_share"
                )
            )
            captured["workshare"] = sorted(
                WorkshareAllocation.objects.values_list(
                    "work_package__programme__code",
                    "work_package__code",
                    "organisation__name",
                    "period_start",
                    "amount",
                )
            )
            captured["milestones"] = sorted(
                TechTransferMilestone.objects.values_list(
                    "programme__code", "title", "provider__name", "recipient__name", "status"
                )
            )
            captured["votes"] = sorted(
                Vote.objects.values_list(
                    "decision__body__programme__code", "decision__title", "nation__code", "position"
                )
            )
            raise Rollback
    except Rollback:
        pass
    return captured


def test_same_seed_gives_the_same_rows_and_another_seed_other_rows():
    first, again, other = rows_of(11), rows_of(11), rows_of(12)
    assert first == again
    assert first["workshare"] and first["votes"]
    assert first["workshare"] != other["workshare"]
    assert first["shares"] != other["shares"]


def test_generates_the_counts_asked_for_marked_as_synthetic():
    progress = generate(5)
    assert Programme.objects.count() == SIZE["programmes"]
    assert Nation.objects.count() == SIZE["nations"]
    assert WorkshareAllocation.objects.count() == SIZE["workshare"]
    assert TechTransferMilestone.objects.count() == SIZE["milestones"]
    assert Decision.objects.count() == SIZE["decisions"]
    for model in (Programme, WorkshareAllocation, Vote, OwnershipStake):
        assert set(model.objects.values_list("source", "confidence")) == {
            ("synthetic (generate_portfolio seed 5)", Confidence.ILLUSTRATIVE)
        }
    assert "workshare" in progress and "300/300" in progress
    # Bulk writes bypass history on purpose.
    assert not WorkshareAllocation.history.exists()


def test_generated_data_is_valid_and_has_the_shapes_asked_for():
    generate(6, programmes=6, nations=6, milestones=200, decisions=60)
    # Agreed shares of each programme add up to 100; stakes of each venture too.
    assert set(
        Participation.objects.values("programme")
        .annotate(t=Sum("agreed_share"))
        .values_list("t", flat=True)
    ) == {Decimal("100.00")}
    assert set(
        OwnershipStake.objects.values("venture")
        .annotate(t=Sum("percent"))
        .values_list("t", flat=True)
    ) <= {Decimal("100.00"), Decimal("100.0")}
    # Every vote is cast by a nation with a seat on the body.
    seated = set(Seat.objects.values_list("body_id", "nation_id"))
    assert all(
        (body, nation) in seated
        for body, nation in Vote.objects.values_list("decision__body_id", "nation_id")
    )
    # Transfers go between two nations; some are overdue.
    assert not TechTransferMilestone.objects.filter(
        provider__nation=F("recipient__nation")
    ).exists()
    assert (
        TechTransferMilestone.objects.exclude(status__in=["achieved", "cancelled"])
        .filter(planned_on__lt=ANCHOR.replace(year=ANCHOR.year - 1))
        .exists()
    )
    # Shares are skewed: the biggest share of a programme is well above an equal split.
    sizes = dict(
        Participation.objects.values("programme")
        .annotate(n=Count("id"))
        .values_list("programme", "n")
    )
    assert any(
        share > Decimal(100) / sizes[programme] + 5
        for programme, share in Participation.objects.filter(role="lead").values_list(
            "programme", "agreed_share"
        )
    )


def test_a_scan_runs_on_the_generated_portfolio():
    generate(8)
    results = scan_all(ANCHOR)
    assert len(results) == SIZE["programmes"] + 1
    assert BalanceSnapshot.objects.filter(programme__code__startswith="syn8-").exists()
    assert sum(result.live for result in results) > 0


def test_refuses_bad_sizes_and_a_seed_already_generated_changing_nothing():
    with pytest.raises(CommandError, match="--nations must be at least 2"):
        generate(9, nations=1)
    assert not Programme.objects.exists()
    generate(9)
    with pytest.raises(CommandError, match="already in this database"):
        generate(9)
    assert Programme.objects.count() == SIZE["programmes"]
