import json

from django.core.management.base import BaseCommand, CommandError

from programs.flags.selectors import visible_flags
from programs.flags.serializers import FlagSerializer
from programs.models import Flag, Programme


class Command(BaseCommand):
    help = "List flags (SPEC §5), as a table or as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--programme", metavar="CODE", help="Only this programme's flags.")
        parser.add_argument(
            "--status",
            choices=[choice for choice, _ in Flag.Status.choices],
            help="Only flags in this status.",
        )
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, programme=None, status=None, format="table", **options):
        if programme and not Programme.objects.filter(code=programme).exists():
            raise CommandError(f"No programme with code {programme!r}.")
        flags = visible_flags(None, {"programme": programme, "status": status})
        if format == "json":
            self.stdout.write(json.dumps(FlagSerializer(flags, many=True).data, indent=2))
            return
        rows = [
            (
                str(flag.pk),
                flag.programme.code if flag.programme_id else "-",
                flag.nation.code,
                ",".join(n.code for n in flag.counterparts.all()) or "-",
                flag.rule,
                flag.severity,
                flag.status,
                f"{flag.last_seen_at:%Y-%m-%d %H:%M}",
            )
            for flag in flags
        ]
        header = ("id", "programme", "nation", "with", "rule", "severity", "status", "last seen")
        widths = [
            max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)
        ]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
        if not rows:
            self.stdout.write("No flags.")
