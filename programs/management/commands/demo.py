"""``python manage.py demo``: a ready-to-explore GCAPtrack on this machine.

Migrates, loads every ``seeds/*.yaml`` in one transaction, scans, (re)creates the demo users
``analyst``, ``viewer`` and ``analyst-jpn`` (restricted to Japan) with fresh random passwords, then serves on 127.0.0.1:8000 unless
``--no-serve``. Safe to run again: the seeds load idempotently and the passwords are renewed.
"""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from programs.management.commands.load_scenario import format_result, one_line
from programs.models import Clearance, Nation
from programs.permissions import ANALYST, VIEWER
from programs.scenarios.loading import load_scenario_files
from programs.scenarios.results import ScenarioError

SEEDS_DIR = Path(settings.BASE_DIR) / "seeds"
#: Demo users: name → (group, nation the user is restricted to, or None for unrestricted).
#: ``analyst-jpn`` shows national caveats: mark a record releasable to GBR and ITA only as
#: ``analyst`` and it is gone for ``analyst-jpn``.
DEMO_USERS = {
    ANALYST: (ANALYST, None),
    VIEWER: (VIEWER, None),
    "analyst-jpn": (ANALYST, "JPN"),
}


def seed_files(seeds_dir: Path = SEEDS_DIR) -> list[Path]:
    return sorted(seeds_dir.glob("*.yaml"))


def refresh_demo_users() -> dict[str, str]:
    """Create or reset the demo users, each staff, in its group and with its clearance; return
    their passwords."""
    User = get_user_model()
    passwords = {}
    with transaction.atomic():
        for name, (group, _) in DEMO_USERS.items():
            user, _ = User.objects.get_or_create(username=name)
            user.is_staff = True
            user.is_active = True
            user.is_superuser = False
            user.email = f"{name}@demo.invalid"
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=group)])
            passwords[name] = password
    return passwords


def clear_demo_users() -> None:
    """Give each demo user its clearance (after the seeds, which bring the nations)."""
    users = get_user_model().objects.in_bulk(list(DEMO_USERS), field_name="username")
    for name, (_, nation_code) in DEMO_USERS.items():
        nation = Nation.objects.get(code=nation_code) if nation_code else None
        Clearance.objects.update_or_create(user=users[name], defaults={"nation": nation})


def run_scan() -> str:
    """Scan every programme once so the demo opens with its flags; a one-line summary."""
    from programs.balance.scan import scan_all

    results = scan_all()
    live = sum(result.live for result in results)
    programmes = sum(1 for result in results if result.programme)
    return f"Scan: {live} live flags across {programmes} programmes and the global rules."


class Command(BaseCommand):
    help = (
        "Set up the demo: migrate, load seeds/*.yaml, scan, create users analyst, viewer and "
        "analyst-jpn (restricted to Japan) with printed passwords, and serve on 127.0.0.1:8000."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-serve", action="store_true", help="Set everything up but do not start the server."
        )
        parser.add_argument(
            "--addrport", default="127.0.0.1:8000", help="Where to serve (default 127.0.0.1:8000)."
        )

    def handle(self, *args, no_serve: bool = False, addrport: str = "127.0.0.1:8000", **options):
        verbosity = options.get("verbosity", 1)
        self.stdout.write("Migrating the database…")
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        # Users first, so that the critical flags the first scan raises are mailed to the demo
        # analyst (on the console backend the message shows in this output).
        passwords = refresh_demo_users()

        files = seed_files()
        if not files:
            raise CommandError(f"No scenario files in {SEEDS_DIR}.")
        self.stdout.write(f"Loading {len(files)} scenario file(s) from {SEEDS_DIR}…")
        try:
            results = load_scenario_files(files)
        except ScenarioError as exc:
            raise CommandError(one_line(exc)) from exc
        for result in results:
            total = result.total
            self.stdout.write(
                f"  {result.name}: {total.created} created, {total.updated} updated, "
                f"{total.unchanged} unchanged"
            )
            if verbosity > 1:
                for line in format_result(result)[1:]:
                    self.stdout.write(line)
        clear_demo_users()

        self.stdout.write(run_scan())

        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo users (new passwords on every run):"))
        for name, password in passwords.items():
            self.stdout.write(f"  {name:<11} password: {password}")
        self.stdout.write(
            f"Sign in at http://{addrport}/ (dashboards) or http://{addrport}/admin/ (data)"
        )

        if no_serve:
            return
        # No autoreloader: it would run this command again in a child process and reset the
        # passwords just printed.
        call_command("runserver", addrport, use_reloader=False)
