"""``python manage.py what_if FILE [--as-of DATE] [--format table|json]`` (SPEC §7)."""

import json
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from programs.management.commands.load_scenario import one_line
from programs.management.commands.scan import parse_day
from programs.whatif.evaluate import METRICS, DraftRefused, WhatIf, evaluate_draft


def shown(value) -> str:
    return "-" if value is None else str(value)


def difference(now, draft) -> str:
    """'+0.218750' for figures that moved, '' for those that did not or are not numbers."""
    if isinstance(now, bool) or not isinstance(now, int | Decimal):
        return ""
    if not isinstance(draft, int | Decimal) or now == draft:
        return ""
    return f"{draft - now:+}"


def table_lines(result: WhatIf) -> list[str]:
    """Per programme and nation, each metric now and under the draft; then the flag changes."""
    lines = [f"What if, as of {result.as_of}"]
    for programme in result.programmes:
        lines.append("")
        lines.append(f"{programme.code or '(all programmes)'}: {programme.name}")
        for nation in programme.nations:
            lines.append(f"  {nation.nation} {nation.name}")
            for metric in METRICS:
                now = getattr(nation.now, metric) if nation.now else None
                draft = getattr(nation.draft, metric) if nation.draft else None
                marker = "  " if now == draft else "* "
                lines.append(
                    f"    {marker}{metric:<22} {shown(now):>16} -> {shown(draft):<16}"
                    f" {difference(now, draft)}".rstrip()
                )
        lines.append("  flags:")
        if not programme.flags:
            lines.append("    none now, none under the draft")
        for flag in programme.flags:
            counterparts = f" with {','.join(flag.counterparts)}" if flag.counterparts else ""
            lines.append(
                f"    {flag.change:<9} {flag.rule} {flag.nation}{counterparts}: "
                f"{shown(flag.now)} -> {shown(flag.draft)}"
            )
            lines.append(f"              {flag.explanation}")
    return lines


class Command(BaseCommand):
    help = (
        "Evaluate a what-if draft (a SPEC §4 scenario document) over the stored data: every "
        "metric and flag now and under the draft. Writes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", metavar="FILE")
        parser.add_argument(
            "--as-of", metavar="DATE", help="Judge dates as of this day (default today)."
        )
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, file: str, as_of=None, format="table", **options) -> None:
        day = parse_day(as_of) if as_of else None
        try:
            document = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: cannot read the file: {exc.strerror or exc}.") from exc
        try:
            result = evaluate_draft(document, as_of=day, name=file)
        except DraftRefused as exc:
            raise CommandError(one_line(exc)) from exc
        if format == "json":
            self.stdout.write(json.dumps(result.as_json(), indent=2))
            return
        for line in table_lines(result):
            self.stdout.write(line)
