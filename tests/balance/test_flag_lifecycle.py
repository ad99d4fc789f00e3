import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict

from programs.balance.flags import FlagStateError, acknowledge_flag
from programs.balance.scan import scan_programme
from programs.models import BalanceSnapshot, Flag, FlagEvent, PendingCondition
from tests.worlds import AS_OF, World

pytestmark = pytest.mark.django_db

D = Decimal


class ReturnWorld(World):
    """UK and Japan pay 50 each; ``set_return(c)`` moves work so Japan's coefficient is c."""

    def __init__(self):
        super().__init__(nations=("GBR", "JPN"))
        self.contribute("GBR", 50)
        self.contribute("JPN", 50)
        self.jpn = self.work("JPN", 50)
        self.gbr = self.work("GBR", 50)

    def set_return(self, coefficient: str) -> None:
        # Japan's share of 100 of work is coefficient × 0.5.
        self.jpn.amount = D(coefficient) * 50
        self.jpn.save()
        self.gbr.amount = 100 - self.jpn.amount
        self.gbr.save()

    def scan(self):
        return scan_programme(self.programme, AS_OF)


@pytest.fixture
def world(db) -> ReturnWorld:
    return ReturnWorld()


def events(flag: Flag) -> list[str]:
    return list(flag.events.values_list("kind", flat=True))


def test_raise_update_acknowledge_resolve_and_reopen(analyst, world):
    world.set_return("0.90")
    result = world.scan()
    [flag] = result.raised
    assert (flag.rule, flag.nation.code, flag.severity, flag.status) == (
        "workshare_return",
        "JPN",
        "warning",
        "open",
    )
    assert flag.value == D("0.9") and flag.threshold == D("0.95")
    assert events(flag) == ["raised"]

    world.set_return("0.80")
    result = world.scan()
    assert result.updated == [flag]
    flag.refresh_from_db()
    assert flag.severity == "critical"
    assert flag.threshold == D("0.85")
    update = flag.events.get(kind="updated")
    assert update.data["severity"] == {"from": "warning", "to": "critical"}
    assert update.by is None

    acknowledge_flag(flag, analyst, "Known: Japan's share rises in phase 2.")
    world.set_return("0.84")
    world.scan()
    flag.refresh_from_db()
    assert flag.status == "acknowledged"  # stays acknowledged while the condition holds
    assert flag.acknowledged_by == analyst and flag.note.startswith("Known")
    assert flag.value == D("0.84")

    world.set_return("0.97")
    result = world.scan()
    assert result.resolved == [flag]
    flag.refresh_from_db()
    assert flag.status == "resolved" and flag.resolved_at is not None
    with pytest.raises(FlagStateError, match="resolved"):
        acknowledge_flag(flag, analyst, "too late")

    world.set_return("0.90")
    result = world.scan()
    [again] = result.reopened
    assert again.pk != flag.pk
    assert again.reopens == flag
    assert again.status == "open"
    reopened = again.events.get()
    assert reopened.kind == "reopened" and reopened.data["reopens"] == flag.pk
    assert events(flag) == ["raised", "updated", "acknowledged", "updated", "resolved"]
    acknowledged = flag.events.get(kind="acknowledged")
    assert acknowledged.by == analyst and acknowledged.note.startswith("Known")


def test_no_flapping_while_the_metric_oscillates_between_raise_and_recovery(world):
    world.set_return("0.94")
    [flag] = world.scan().raised
    for coefficient in ("0.96", "0.94", "0.965", "0.95", "0.94", "0.969"):
        world.set_return(coefficient)
        result = world.scan()
        assert not result.resolved and not result.raised and not result.reopened
    flag.refresh_from_db()
    assert flag.status == "open"
    assert Flag.objects.count() == 1
    assert "resolved" not in events(flag)

    world.set_return("0.97")
    assert world.scan().resolved == [flag]
    for coefficient in ("0.96", "0.95", "0.969"):
        world.set_return(coefficient)
        result = world.scan()
        assert not result.raised and not result.reopened  # in the band: nothing raised
    world.set_return("0.949")
    assert len(world.scan().reopened) == 1


def test_in_the_hysteresis_band_the_flag_stays_open_as_a_warning_and_says_so_truthfully(world):
    world.set_return("0.80")
    [flag] = world.scan().raised
    assert flag.severity == "critical"
    world.set_return("0.96")
    world.scan()
    flag.refresh_from_db()
    assert flag.status == "open"
    assert flag.severity == "warning"
    assert flag.value == D("0.96")
    assert flag.threshold == D("0.97")
    assert "a return coefficient of 0.96, short of the recovery threshold 0.97" in flag.explanation
    assert "raised below 0.95" in flag.explanation
    assert "0.96, below" not in flag.explanation


def test_a_second_scan_changes_nothing_but_last_seen_at(world):
    world.set_return("0.80")
    world.role("GBR", 5)
    world.decide("approved", GBR="for", JPN="against")
    world.scan()

    def state():
        flags = [
            {**model_to_dict(f, exclude=["last_seen_at"]), "counterparts": None}
            for f in Flag.objects.order_by("pk")
        ]
        last_seen = list(Flag.objects.order_by("pk").values_list("last_seen_at", flat=True))
        snapshots = list(BalanceSnapshot.objects.order_by("pk").values())
        return flags, last_seen, snapshots, list(FlagEvent.objects.order_by("pk").values())

    flags, last_seen, snapshots, flag_events = state()
    assert len(flags) >= 2
    result = world.scan()
    assert not (result.raised or result.updated or result.resolved or result.reopened)
    assert len(result.unchanged) == len(flags)
    flags_after, last_seen_after, snapshots_after, events_after = state()
    assert flags_after == flags
    assert snapshots_after == snapshots
    assert events_after == flag_events
    assert all(after > before for after, before in zip(last_seen_after, last_seen, strict=True))


def test_consecutive_scans_before_raising(world):
    world.override("workshare_return", "consecutive_scans", 3)
    world.set_return("0.90")
    first, second = world.scan(), world.scan()
    assert not first.raised and not second.raised
    assert PendingCondition.objects.get().scans == 2

    world.set_return("1.0")  # the streak breaks
    world.scan()
    assert not PendingCondition.objects.exists()

    world.set_return("0.90")
    assert not world.scan().raised
    assert not world.scan().raised
    [flag] = world.scan().raised
    assert flag.rule == "workshare_return"
    assert not PendingCondition.objects.exists()


def test_scan_writes_one_snapshot_per_nation_and_day(world):
    world.set_return("0.90")
    world.scan()
    world.set_return("0.80")
    world.scan()
    scan_programme(world.programme, AS_OF + datetime.timedelta(days=1))
    assert BalanceSnapshot.objects.count() == 4
    today = BalanceSnapshot.objects.get(nation__code="JPN", taken_on=AS_OF)
    assert today.return_coefficient == D("0.8")
    assert today.contribution_basis == "recorded"
    assert today.workshare_share == D("0.4")


def test_only_analysts_acknowledge(viewer, world):
    world.set_return("0.90")
    [flag] = world.scan().raised
    with pytest.raises(PermissionDenied):
        acknowledge_flag(flag, viewer, "no")
    flag.refresh_from_db()
    assert flag.status == "open"
    assert events(flag) == ["raised"]
