"""E-mail to the analysts when a scan raises a critical flag, once per flag."""

from decimal import Decimal

import pytest
from django.core import mail

from programs import notifications
from programs.models import Flag
from programs.tasks import scan_programme_task
from tests import factories
from tests.celery_fixtures import wait_for
from tests.scan_data import leadership_case


@pytest.fixture
def analysts(db):
    """Who is mailed: active analysts with an address; not viewers, the inactive or address-less."""
    factories.UserFactory(username="ana", email="ana@example.org", groups=["analyst"])
    factories.UserFactory(username="bob", email="bob@example.org", groups=["analyst"])
    factories.UserFactory(username="noaddress", email="", groups=["analyst"])
    factories.UserFactory(
        username="gone", email="gone@example.org", groups=["analyst"], is_active=False
    )
    factories.UserFactory(username="vic", email="vic@example.org", groups=["viewer"])
    return ["ana@example.org", "bob@example.org"]


@pytest.mark.django_db
def test_a_scan_raising_a_critical_flag_mails_the_analysts_once(
    analysts, eager_celery, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    case = leadership_case()

    with django_capture_on_commit_callbacks(execute=True):
        scan_programme_task.delay(case.programme.code)

    flag = Flag.objects.get()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == analysts
    assert message.subject == ("Critical imbalance: Japan in Programme LEAD (leadership deficit)")
    assert flag.explanation in message.body
    assert f"/admin/programs/flag/{flag.pk}/change/" in message.body

    with django_capture_on_commit_callbacks(execute=True):
        scan_programme_task.delay(case.programme.code)
    assert notifications.notify_critical_flags([flag.pk]) == 0
    assert len(mail.outbox) == 1, "a flag is mailed once"


@pytest.mark.django_db
def test_warnings_are_not_mailed_but_an_escalation_to_critical_is(
    analysts, eager_celery, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    case = leadership_case()
    # Japan holds a small role: a warning (it holds a role), not critical.
    role = factories.LeadershipRoleFactory(programme=case.programme, nation=case.jpn, weight=1)
    with django_capture_on_commit_callbacks(execute=True):
        scan_programme_task.delay(case.programme.code)
    assert Flag.objects.get().severity == Flag.Severity.WARNING
    assert mail.outbox == []

    role.delete()
    with django_capture_on_commit_callbacks(execute=True):
        scan_programme_task.delay(case.programme.code)
    assert Flag.objects.get().severity == Flag.Severity.CRITICAL
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failed_send_is_retried_and_then_mailed(analysts, settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    case = leadership_case()
    from programs.balance.scan import scan_programme

    flag = scan_programme(case.programme).raised[0]
    real_send = notifications.EmailMessage.send

    def broken_send(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr(notifications.EmailMessage, "send", broken_send)
    with pytest.raises(ConnectionRefusedError):
        notifications.notify_critical_flags([flag.pk])
    monkeypatch.setattr(notifications.EmailMessage, "send", real_send)
    assert notifications.notify_critical_flags([flag.pk]) == 1
    assert len(mail.outbox) == 1


@pytest.mark.worker
def test_the_worker_mails_one_message_when_a_change_raises_a_critical_flag(
    start_worker, groups, on_change_scans, settings, mail_dir
):
    settings.SCAN_COALESCE_SECONDS = 1
    factories.UserFactory(username="ana", email="ana@example.org", groups=["analyst"])
    start_worker()
    case = leadership_case()
    factories.ContributionFactory(programme=case.programme, nation=case.ita, amount=Decimal("1"))

    def mailed():
        """the notification to be written, in full, to the mail directory"""
        files = list(mail_dir.iterdir())
        # The file backend creates the file, then writes each message and a closing rule.
        finished = files and all(f.read_text().rstrip().endswith("-" * 79) for f in files)
        return files if finished else None

    files = wait_for(mailed, timeout=60)
    assert len(files) == 1
    text = files[0].read_text()
    assert text.count("Subject: Critical imbalance:") == 1
    assert "To: ana@example.org" in text
    assert "Subject: Critical imbalance: Japan in Programme LEAD (leadership deficit)" in text
