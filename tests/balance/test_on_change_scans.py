"""On-change scans: a change to a programme's data queues one scan of it when it commits.

In process (no broker, as in the demo) the scan runs at commit; with Redis, saves made within
``SCAN_COALESCE_SECONDS`` share one queued scan. The worker side is in tests/gcaptrack/test_celery_worker.py.
"""

from decimal import Decimal

import pytest
from django.db import transaction

from programs import data_version, tasks
from programs.balance.scan import scan_programme
from programs.models import BalanceSnapshot, Flag
from programs.services import scan_queue
from tests import factories
from tests.scan_data import leadership_case

pytestmark = pytest.mark.usefixtures("on_change_scans")


@pytest.fixture
def queued(monkeypatch) -> list[str]:
    """The programme codes handed to the queue, in order (the scan itself is not run)."""
    codes: list[str] = []
    monkeypatch.setattr(scan_queue, "queue_coalesced_scan", codes.append)
    return codes


@pytest.fixture
def scans_run(monkeypatch) -> list[str]:
    """The programme codes scanned, in order (the real scan runs)."""
    codes: list[str] = []

    def counting_scan(programme, as_of=None):
        codes.append(programme)
        return scan_programme(programme, as_of)

    monkeypatch.setattr(tasks, "scan_programme", counting_scan)
    return codes


@pytest.mark.django_db
def test_many_saves_in_one_transaction_run_one_scan_at_commit_in_process(
    eager_celery, scans_run, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        case = leadership_case()
        for _ in range(5):
            factories.ContributionFactory(programme=case.programme, nation=case.jpn)
        assert not Flag.objects.exists(), "the scan waits for the commit"

    assert scans_run == ["LEAD"]
    assert BalanceSnapshot.objects.filter(programme=case.programme).count() == 3
    flag = Flag.objects.get()
    assert (flag.rule, flag.nation, flag.severity) == ("leadership_deficit", case.jpn, "critical")


@pytest.mark.django_db
def test_a_change_that_is_rolled_back_queues_no_scan(
    queued, setup, django_capture_on_commit_callbacks
):
    with setup():
        programme = factories.ProgrammeFactory(code="ROLL")
    queued.clear()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        factories.ContributionFactory(programme=programme)
        raise RuntimeError("the analyst's import fails half-way")
    assert queued == []
    with django_capture_on_commit_callbacks(execute=True):
        factories.ContributionFactory(programme=programme)
    assert queued == ["ROLL"], "the same change, committed, queues the scan"


@pytest.mark.django_db
def test_no_scan_is_queued_while_on_change_scans_are_off(
    queued, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_ON_CHANGE_SCANS = False
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        factories.ContributionFactory(programme=factories.ProgrammeFactory(code="OFF"))
    assert callbacks == [data_version.DATA.move]  # the cached reports' data version, not a scan
    assert queued == []


def _queued_after(change, django_capture_on_commit_callbacks, queued) -> set[str]:
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change()
    assert len(queued) == len(set(queued)), "one scan per programme"
    return set(queued)


@pytest.fixture
def setup(django_capture_on_commit_callbacks):
    """Set-up data, committed as far as on-change scans can tell (its scans run first)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.mark.django_db
def test_each_kind_of_record_queues_a_scan_of_its_own_programme(
    queued, setup, django_capture_on_commit_callbacks
):
    with setup():
        programme = factories.ProgrammeFactory(code="OWN")
        other = factories.ProgrammeFactory(code="OTHER")
        nation = factories.NationFactory(code="AAA")
        factories.ParticipationFactory(programme=other, nation=factories.NationFactory(code="BBB"))
        body = factories.DecisionBodyFactory(programme=programme)
        decision = factories.DecisionFactory(body=body)
        package = factories.WorkPackageFactory(programme=programme)
    changes = {
        "contribution": lambda: factories.ContributionFactory(programme=programme, nation=nation),
        "work package": lambda: factories.WorkPackageFactory(programme=programme),
        "workshare": lambda: factories.WorkshareAllocationFactory(work_package=package),
        "leadership role": lambda: factories.LeadershipRoleFactory(
            programme=programme, nation=nation
        ),
        "threshold override": lambda: programme.threshold_overrides.create(
            rule="outvoted", parameter="warning", value=Decimal("0.4")
        ),
        "decision body": lambda: factories.DecisionBodyFactory(programme=programme),
        "seat": lambda: factories.SeatFactory(body=body, nation=nation),
        "decision": lambda: factories.DecisionFactory(body=body),
        "vote": lambda: factories.VoteFactory(decision=decision, nation=nation),
        "tech transfer": lambda: factories.TechTransferMilestoneFactory(programme=programme),
        "vote deleted": lambda: decision.votes.first().delete(),
        "decision deleted with its votes": lambda: decision.delete(),
    }
    for what, change in changes.items():
        assert _queued_after(change, django_capture_on_commit_callbacks, queued) == {"OWN"}, what


@pytest.mark.django_db
def test_a_participation_also_rescans_the_other_programmes_of_its_nation(
    queued, setup, django_capture_on_commit_callbacks
):
    with setup():
        nation = factories.NationFactory(code="GBR")
        for code in ("TORNADO", "TYPHOON"):
            programme = factories.ProgrammeFactory(code=code)
            factories.ParticipationFactory(programme=programme, nation=nation)
        factories.ParticipationFactory(programme=factories.ProgrammeFactory(code="ELSEWHERE"))
        gcap = factories.ProgrammeFactory(code="GCAP")

    queued_codes = _queued_after(
        lambda: factories.ParticipationFactory(programme=gcap, nation=nation),
        django_capture_on_commit_callbacks,
        queued,
    )
    assert queued_codes == {"GCAP", "TORNADO", "TYPHOON"}


@pytest.mark.django_db
def test_an_ownership_stake_rescans_programmes_with_work_at_the_venture_or_a_venture_it_owns(
    queued, setup, django_capture_on_commit_callbacks
):
    def work_at(code, organisation=None):
        package = factories.WorkPackageFactory(programme=factories.ProgrammeFactory(code=code))
        extra = {"organisation": organisation} if organisation else {}
        factories.WorkshareAllocationFactory(work_package=package, **extra)

    with setup():
        edgewing = factories.JointVentureFactory(name="Edgewing")
        holding = factories.JointVentureFactory(name="Holding JV")
        factories.OwnershipStakeFactory(venture=holding, owner=edgewing, percent=Decimal("100"))
        work_at("GCAP", edgewing)
        work_at("SUB", holding)
        work_at("NONE")
        bae = factories.OrganisationFactory(name="BAE Systems")

    queued_codes = _queued_after(
        lambda: factories.OwnershipStakeFactory(
            venture=edgewing, owner=bae, percent=Decimal("33.3")
        ),
        django_capture_on_commit_callbacks,
        queued,
    )
    assert queued_codes == {"GCAP", "SUB"}


@pytest.mark.django_db
def test_an_agreement_rescans_the_programmes_of_the_nations_it_binds(
    queued, setup, django_capture_on_commit_callbacks
):
    with setup():
        gbr, ita = factories.NationFactory(code="GBR"), factories.NationFactory(code="ITA")
        gcap, m346 = (
            factories.ProgrammeFactory(code="GCAP"),
            factories.ProgrammeFactory(code="M346"),
        )
        factories.ParticipationFactory(programme=gcap, nation=gbr)
        factories.ParticipationFactory(programme=m346, nation=ita)
        factories.ParticipationFactory(programme=factories.ProgrammeFactory(code="NONE"))
        agreement = factories.AgreementFactory(name="UK-Italy MoU")

    queued_codes = _queued_after(
        lambda: agreement.nations.add(gbr, ita), django_capture_on_commit_callbacks, queued
    )
    assert queued_codes == {"GCAP", "M346"}
    assert _queued_after(agreement.delete, django_capture_on_commit_callbacks, queued) == {
        "GCAP",
        "M346",
    }


@pytest.mark.django_db
def test_renaming_a_nation_or_writing_scan_output_queues_nothing(
    queued, setup, django_capture_on_commit_callbacks
):
    with setup():
        case = leadership_case()

    def rename_and_scan():
        case.jpn.name = "Nippon"
        case.jpn.save()
        scan_programme(case.programme)

    assert _queued_after(rename_and_scan, django_capture_on_commit_callbacks, queued) == set()
    assert Flag.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_saves_in_separate_transactions_share_one_queued_scan_in_redis(celery_queue, settings):
    from gcaptrack.broker import redis_client
    from programs.services.scan_queue import pending_key

    settings.SCAN_COALESCE_SECONDS = 30
    client = redis_client()
    client.delete(celery_queue, pending_key("COAL"))
    programme = factories.ProgrammeFactory(code="COAL")
    for _ in range(10):
        factories.ContributionFactory(programme=programme)

    assert client.llen(celery_queue) == 1
    assert 0 < client.ttl(pending_key("COAL")) <= 30 + 60

    scan_queue.clear_pending("COAL")  # what the scan task does as it starts
    factories.ContributionFactory(programme=programme)
    assert client.llen(celery_queue) == 2, "a change after the scan started queues the next one"
    client.delete(celery_queue, pending_key("COAL"))
