"""A scan of every programme survives one bad programme (issue 18, defect 6 / Deliver 3).

The bad programme carries an ``overdue_days`` override of 99,999,999 days, saved before
thresholds were bounded (written here with ``update()``, as an old database would hold it): its
day arithmetic overflows. The others are still scanned, and the failure is logged, kept as a
``ScanError`` for the admin and mailed to the operators.
"""

import io
import logging

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from programs.models import BalanceSnapshot, ScanError, ThresholdOverride
from programs.tasks import scan_all_task
from tests import factories
from tests.admin_helpers import admin_url, https_client, programme_with_partners

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_bad_programme(settings):
    """Programmes AAA (bad) and ZZZ (good), so the bad one is scanned first."""
    settings.ADMINS = [("ops", "ops@example.org")]
    bad, _ = programme_with_partners("AAA", nations=("GBR", "ITA"))
    good = factories.ProgrammeFactory(code="ZZZ")
    for nation in bad.participations.values_list("nation", flat=True):
        factories.ParticipationFactory(programme=good, nation_id=nation)
    override = ThresholdOverride.objects.create(
        programme=bad, rule="tech_transfer_overdue", parameter="overdue_days", value=90
    )
    ThresholdOverride.objects.filter(pk=override.pk).update(value=99_999_999)
    return bad, good


def assert_recorded(bad, good, results) -> ScanError:
    by_programme = {result.programme: result for result in results}
    assert by_programme["ZZZ"].error is None
    assert BalanceSnapshot.objects.filter(programme=good).count() == 2
    assert not BalanceSnapshot.objects.filter(programme=bad).exists()
    assert by_programme[None].error is None  # the cross-programme rules ran too
    [scan_error] = ScanError.objects.all()
    assert scan_error.programme == bad
    assert scan_error.programme_code == "AAA"
    assert scan_error.reason.startswith("OverflowError")
    assert "\n" not in scan_error.reason
    assert "Traceback" in scan_error.details
    assert f"scan error #{scan_error.pk}" in by_programme["AAA"].error
    [message] = mail.outbox
    assert message.to == ["ops@example.org"]
    assert "AAA" in message.subject and scan_error.reason in message.body
    return scan_error


def test_scan_all_scans_the_others_and_records_the_failure(one_bad_programme, caplog):
    from programs.balance.scan import scan_all

    bad, good = one_bad_programme

    with caplog.at_level(logging.ERROR, logger="programs.balance.scan_errors"):
        results = scan_all()

    assert_recorded(bad, good, results)
    assert "Scan of AAA as of" in caplog.text and "OverflowError" in caplog.text


def test_the_periodic_task_scans_the_others_and_records_the_failure(one_bad_programme):
    bad, good = one_bad_programme

    summaries = scan_all_task.apply().get()

    by_programme = {summary["programme"]: summary for summary in summaries}
    assert by_programme["ZZZ"]["error"] is None
    assert by_programme["AAA"]["error"].startswith("OverflowError")
    assert BalanceSnapshot.objects.filter(programme=good).count() == 2
    assert ScanError.objects.get().programme == bad


def test_the_scan_command_scans_the_others_then_exits_with_a_one_line_reason(
    one_bad_programme,
):
    _bad, good = one_bad_programme
    out = io.StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("scan", stdout=out)

    assert str(refused.value) == (
        "2 scan(s) done; 0 live flags. 1 failed (AAA); see admin → Scan errors."
    )
    assert "AAA as of" in out.getvalue() and "FAILED, nothing changed: OverflowError" in (
        out.getvalue()
    )
    assert BalanceSnapshot.objects.filter(programme=good).count() == 2


def test_scan_errors_are_listed_for_operators_and_hidden_from_analysts(one_bad_programme, analyst):
    from programs.balance.scan import scan_all

    scan_all()
    operator = factories.UserFactory(username="ops", is_staff=True, is_superuser=True)

    listed = https_client(operator).get(admin_url(ScanError, "changelist"))
    refused = https_client(analyst).get(admin_url(ScanError, "changelist"))

    assert listed.status_code == 200
    assert "AAA" in listed.content.decode() and "OverflowError" in listed.content.decode()
    assert refused.status_code == 403
