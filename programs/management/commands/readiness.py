import json

from django.core.management.base import BaseCommand, CommandError

from gcaptrack.health import CHECKS, readiness, ready


class Command(BaseCommand):
    help = (
        "Print /readyz's checks (all, or those named) as JSON; exit 1 unless each is ok or off. "
        "For container and service health checks, e.g. `readiness scheduler`."
    )

    def add_arguments(self, parser):
        parser.add_argument("checks", nargs="*", metavar="CHECK", help=", ".join(CHECKS))

    def handle(self, *args, checks=(), **options):
        unknown = [name for name in checks if name not in CHECKS]
        if unknown:
            raise CommandError(f"unknown check {unknown[0]!r} (one of: {', '.join(CHECKS)})")
        states = readiness(list(checks) or None)
        self.stdout.write(json.dumps(states))
        if not ready(states):
            failing = ", ".join(
                name for name, state in states.items() if state not in ("ok", "off")
            )
            raise CommandError(f"not ready: {failing}", returncode=1)
