import datetime

from django.core.management.base import BaseCommand, CommandError

from programs import bounds
from programs.balance.scan import scan_all, scan_programme_or_record
from programs.models import Programme


def parse_day(value: str) -> datetime.date:
    try:
        return bounds.parse_day(value)
    except ValueError as error:
        raise CommandError(f"--as-of {error}") from error


class Command(BaseCommand):
    help = "Run the imbalance rules now, in process, and print what changed (SPEC §5)."

    def add_arguments(self, parser):
        parser.add_argument("--programme", metavar="CODE", help="Scan only this programme.")
        parser.add_argument(
            "--as-of", metavar="DATE", help="Judge dates as of this day (default today)."
        )

    def handle(self, *args, programme=None, as_of=None, **options):
        day = parse_day(as_of) if as_of else None
        if programme:
            if not Programme.objects.filter(code=programme).exists():
                raise CommandError(f"No programme with code {programme!r}.")
            results = [scan_programme_or_record(programme, day)]
        else:
            results = scan_all(day)
        for result in results:
            self.stdout.write(result.summary())
            for flag in result.opened:
                self.stdout.write(f"  {flag.severity.upper()} {flag.rule}: {flag.explanation}")
        failed = [result.programme or "global rules" for result in results if result.error]
        open_total = sum(result.live for result in results)
        done = f"{len(results) - len(failed)} scan(s) done; {open_total} live flags."
        if failed:
            raise CommandError(
                f"{done} {len(failed)} failed ({', '.join(failed)}); see admin → Scan errors."
            )
        self.stdout.write(self.style.SUCCESS(done))
