"""``python manage.py generate_portfolio``: a large synthetic portfolio for demos and benchmarks."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from programs.synthetic.portfolio import PortfolioSize, generate_portfolio, source_for


class ProgressBar:
    """A one-line progress bar per stage on stderr (a line per stage when not a terminal)."""

    WIDTH = 30

    def __init__(self, stream) -> None:
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.label: str | None = None
        self.last = -1
        self.started = time.perf_counter()

    def __call__(self, label: str, done: int, total: int) -> None:
        if label != self.label:
            self.label = label
            self.started = time.perf_counter()
            self.last = -1
        if done == self.last:
            return
        self.last = done
        filled = self.WIDTH * done // total if total else self.WIDTH
        line = (
            f"{label:<15} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{done:>9,}/{total:,} {time.perf_counter() - self.started:6.1f}s"
        )
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
            self.stream.flush()
        elif done >= total:
            self.stream.write(line + "\n")


class Command(BaseCommand):
    help = (
        "Generate a synthetic portfolio (generated demo data, deterministic for a seed): "
        "programmes with skewed shares, joint ventures with stakes, blocs of nations sharing "
        "earlier programmes and voting together, overdue milestones. Rows are written in bulk "
        "(PostgreSQL COPY, large batches elsewhere), so they deliberately bypass per-row history "
        "and on-change scans; they are marked confidence=illustrative and "
        "source='synthetic (generate_portfolio seed S)'. Run `manage.py scan` afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("--programmes", type=int, default=10)
        parser.add_argument("--nations", type=int, default=12)
        parser.add_argument("--workshare", type=int, default=10_000, help="Workshare rows.")
        parser.add_argument("--milestones", type=int, default=2_000)
        parser.add_argument("--decisions", type=int, default=200)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        size = PortfolioSize(
            programmes=options["programmes"],
            nations=options["nations"],
            workshare=options["workshare"],
            milestones=options["milestones"],
            decisions=options["decisions"],
        )
        started = time.perf_counter()
        progress = ProgressBar(getattr(self.stderr, "_out", sys.stderr))
        try:
            counts = generate_portfolio(size, options["seed"], progress)
        except ValueError as error:
            raise CommandError(str(error)) from error
        for label, count in counts.rows.items():
            self.stdout.write(f"{label:<34}{count:>10,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated in {time.perf_counter() - started:.1f}s, "
                f"source {source_for(options['seed'])!r}. Run `manage.py scan` to raise flags."
            )
        )
