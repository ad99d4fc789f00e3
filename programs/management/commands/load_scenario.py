"""``python manage.py load_scenario FILE...``: load SPEC §4 scenario files atomically."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from programs.scenarios.loading import load_scenario_files
from programs.scenarios.results import FileResult, ScenarioError


def format_result(result: FileResult) -> list[str]:
    """The lines that report one file's load: a heading, then created/updated/unchanged per key."""
    as_of = f" (as of {result.as_of})" if result.as_of else ""
    lines = [f"{result.name}{as_of}"]
    width = max([len(key) for key in result.counts] + [5])
    rows = [*result.counts.items(), ("total", result.total)]
    for key, counts in rows:
        lines.append(
            f"  {key:<{width}}  created {counts.created:>4}  updated {counts.updated:>4}"
            f"  unchanged {counts.unchanged:>4}"
        )
    if not result.changed:
        lines.append("  nothing changed")
    return lines


def one_line(error: ScenarioError) -> str:
    """Every error of a failed load on one line, so scripts see a single reason."""
    if len(error.errors) == 1:
        return error.errors[0]
    return f"{len(error.errors)} errors, nothing loaded: " + " | ".join(error.errors)


class Command(BaseCommand):
    help = (
        "Load scenario files (SPEC §4) in one transaction: upsert by natural key, change "
        "nothing if any record is invalid."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument(
            "--user", help="Username recorded as the author of the history rows and the load."
        )

    def handle(self, *args, files: list[str], user: str | None = None, **options) -> None:
        author = None
        if user:
            try:
                author = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"--user: no user named {user!r}.") from exc
        try:
            results = load_scenario_files(files, user=author)
        except ScenarioError as exc:
            raise CommandError(one_line(exc)) from exc
        for result in results:
            for line in format_result(result):
                self.stdout.write(line)
