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
from django_celery_beat.models import CrontabSchedule, PeriodicTask

CRON_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


@dataclass(frozen=True)
class DeclaredTask:
    name: str
    task: str
    cron: str
    description: str


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
        crontab, _ = CrontabSchedule.objects.using(using).get_or_create(
            **parse_cron(declared.cron), timezone=settings.CELERY_TIMEZONE
        )
        created.append(
            PeriodicTask.objects.using(using).create(
                name=declared.name,
                task=declared.task,
                crontab=crontab,
                description=declared.description,
            )
        )
    return created


def install_after_migrate(using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate receiver; does nothing while django-celery-beat's tables are missing."""
    tables = connections[using].introspection.table_names()
    if PeriodicTask._meta.db_table in tables and CrontabSchedule._meta.db_table in tables:
        install_default_schedules(using)
