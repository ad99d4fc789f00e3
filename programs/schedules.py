"""Periodic tasks declared in code and installed in django-celery-beat's tables.

Beat runs with the DatabaseScheduler, so what runs when is what the admin shows under
"Periodic tasks", where an analyst may change it. :func:`install_default_schedules` runs after
every ``migrate`` and creates a declared task only if no task of that name exists, so it never
overwrites a later edit. (An analyst who wants no periodic scan disables the task; a deleted
task comes back at the next ``migrate``.)
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

CRON_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


@dataclass(frozen=True)
class DeclaredTask:
    """A periodic task: on a ``cron`` schedule, or every ``every_seconds``."""

    name: str
    task: str
    description: str
    cron: str = ""
    every_seconds: int = 0


def declared_tasks() -> list[DeclaredTask]:
    return [
        DeclaredTask(
            name="Scan all programmes",
            task="programs.scan_all",
            cron=settings.SCAN_ALL_CRON,
            description=(
                "Runs every imbalance rule on every programme and the cross-programme rules. "
                "Installed with the SCAN_ALL_CRON schedule; edits made here are kept."
            ),
        ),
        DeclaredTask(
            name="Daily flag digest",
            task="programs.send_daily_digests",
            cron=settings.DIGEST_CRON,
            description=(
                "Mails each daily-digest subscriber the flag events of the day before. "
                "Installed with the DIGEST_CRON schedule; edits made here are kept."
            ),
        ),
        DeclaredTask(
            name="Queue missed on-change scans",
            task="programs.requeue_missed_scans",
            every_seconds=settings.MISSED_SCAN_RETRY_SECONDS,
            description=(
                "Queues the on-change scans that could not be queued while Redis was "
                "unreachable (the missed scans recorded in the database). Installed with the "
                "MISSED_SCAN_RETRY_SECONDS interval; edits made here are kept."
            ),
        ),
    ]


def parse_cron(expression: str) -> dict[str, str]:
    """Split a five-field cron expression ("0 * * * *") into CrontabSchedule fields."""
    parts = expression.split()
    if len(parts) != len(CRON_FIELDS):
        raise ImproperlyConfigured(
            f"A schedule must be five cron fields (minute hour day month weekday); got {expression!r}"
        )
    return dict(zip(CRON_FIELDS, parts, strict=True))


def install_default_schedules(using: str = DEFAULT_DB_ALIAS) -> list[PeriodicTask]:
    """Create each declared periodic task that does not exist yet; return those created."""
    created = []
    for declared in declared_tasks():
        if PeriodicTask.objects.using(using).filter(name=declared.name).exists():
            continue
        if declared.every_seconds:
            interval, _ = IntervalSchedule.objects.using(using).get_or_create(
                every=declared.every_seconds, period=IntervalSchedule.SECONDS
            )
            schedule = {"interval": interval}
        else:
            crontab, _ = CrontabSchedule.objects.using(using).get_or_create(
                **parse_cron(declared.cron), timezone=settings.CELERY_TIMEZONE
            )
            schedule = {"crontab": crontab}
        created.append(
            PeriodicTask.objects.using(using).create(
                name=declared.name,
                task=declared.task,
                description=declared.description,
                **schedule,
            )
        )
    return created


def install_after_migrate(using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate receiver; does nothing while django-celery-beat's tables are missing."""
    tables = set(connections[using].introspection.table_names())
    needed = {model._meta.db_table for model in (PeriodicTask, CrontabSchedule, IntervalSchedule)}
    if needed <= tables:
        install_default_schedules(using)
