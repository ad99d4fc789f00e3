"""The periodic scan: installed by `migrate`, shown and editable in django-celery-beat's admin."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from gcaptrack.celery import app as celery_app
from programs.models import BalanceSnapshot, Flag
from programs.schedules import install_default_schedules, parse_cron
from programs.tasks import scan_all_task
from tests import factories
from tests.admin_helpers import admin_url, https_client
from tests.scan_data import leadership_case

NAME = "Scan all programmes"


@pytest.mark.django_db
def test_migrate_installs_an_hourly_scan_of_all_programmes():
    task = PeriodicTask.objects.get(name=NAME)
    assert task.task == "programs.scan_all"
    assert task.enabled
    cron = task.crontab
    assert (cron.minute, cron.hour, cron.day_of_month, cron.month_of_year, cron.day_of_week) == (
        "0",
        "*",
        "*",
        "*",
        "*",
    )
    assert str(cron.timezone) == "UTC"


@pytest.mark.django_db(transaction=True)  # beat closes the database connection as it starts
def test_an_analysts_edit_survives_migrate_and_a_beat_restart():
    task = PeriodicTask.objects.get(name=NAME)
    task.crontab = CrontabSchedule.objects.create(minute="30", hour="*/6", timezone="UTC")
    task.enabled = False
    task.save()

    call_command("migrate", verbosity=0)
    DatabaseScheduler(app=celery_app)  # what `celery beat` does as it starts

    task.refresh_from_db()
    assert (task.crontab.minute, task.crontab.hour, task.enabled) == ("30", "*/6", False)
    assert PeriodicTask.objects.filter(task="programs.scan_all").count() == 1


@pytest.mark.django_db
def test_scan_all_cron_sets_the_installed_schedule_and_a_bad_one_is_refused(settings):
    PeriodicTask.objects.filter(name=NAME).delete()
    settings.SCAN_ALL_CRON = "*/15 6-18 * * 1-5"
    (task,) = install_default_schedules()
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == (
        "*/15",
        "6-18",
        "1-5",
    )
    assert install_default_schedules() == []

    with pytest.raises(ImproperlyConfigured, match="five cron fields"):
        parse_cron("hourly")


@pytest.mark.django_db
def test_a_superuser_edits_the_periodic_scan_in_the_admin():
    admin = factories.UserFactory(username="root", is_superuser=True)
    client = https_client(admin)
    task = PeriodicTask.objects.get(name=NAME)
    url = admin_url(PeriodicTask, "change", task.pk)

    page = client.get(url)
    assert page.status_code == 200
    assert "programs.scan_all" in page.content.decode()

    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in (
            (field.html_name, field.value()) for field in form if field.value() is not None
        )
        if not isinstance(value, list | tuple)
    }
    data.pop("enabled")  # an unticked box is not posted
    data["description"] = "Paused while the seeds are reloaded."
    response = client.post(url, data)
    assert response.status_code == 302, page.content.decode()[:500]
    task.refresh_from_db()
    assert not task.enabled
    assert task.description == "Paused while the seeds are reloaded."


@pytest.mark.django_db
def test_the_periodic_task_scans_every_programme(eager_celery, django_capture_on_commit_callbacks):
    case = leadership_case("ONE")
    factories.ProgrammeFactory(code="EMPTY")

    with django_capture_on_commit_callbacks(execute=True):
        summaries = scan_all_task.delay().get()

    assert [s["programme"] for s in summaries] == ["EMPTY", "ONE", None]
    assert Flag.objects.get().nation == case.jpn
    assert BalanceSnapshot.objects.filter(programme=case.programme).count() == 3
