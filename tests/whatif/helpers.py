"""Shared by the what-if tests: the seeded GCAP data, the headline draft, and a footprint of
everything a what-if must leave as it was."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.conf import settings
from django.core import mail

from gcaptrack.broker import redis_client
from gcaptrack.celery import app as celery_app
from programs import data_version
from programs.balance.scan import scan_all
from programs.scenarios.loading import load_scenario_files
from programs.services.scan_queue import pending_key
from tests.scenario_helpers import census

SEEDS = sorted((Path(settings.BASE_DIR) / "seeds").glob("*.yaml"))
#: The day the GCAP seed says its facts were current.
SEED_DAY = datetime.date(2025, 10, 31)

#: Japan takes the propulsion and the mission systems leads (weights 4 and 3) from the UK.
JAPAN_TAKES_TWO_LEADS = """\
format: gcaptrack-scenario/1
leadership_roles:
  - {programme: GCAP, title: Propulsion system lead, nation: JPN, organisation: IHI}
  - {programme: GCAP, title: Mission systems lead, nation: JPN, organisation: Mitsubishi Electric}
"""
#: Restates a stored role as it is: a draft that changes nothing.
NOTHING_CHANGES = """\
format: gcaptrack-scenario/1
leadership_roles:
  - {programme: GCAP, title: Propulsion system lead, nation: GBR, organisation: Rolls-Royce}
"""
#: A role given to a nation that does not exist.
UNKNOWN_NATION = """\
format: gcaptrack-scenario/1
leadership_roles:
  - {programme: GCAP, title: Propulsion system lead, nation: ZZZ}
"""


def seeded_and_scanned() -> None:
    """The seeds loaded and scanned as of their day: live flags, events and snapshots exist."""
    load_scenario_files(SEEDS)
    scan_all(SEED_DAY)


def footprint() -> dict:
    """Row counts of every table of the app (history, flags, flag events and snapshots
    included), the data version, the Celery queue and scan-pending keys in Redis, the outbox."""
    client = redis_client()
    return {
        "rows": census(),
        "data_version": data_version.current(),
        "queued": client.llen(celery_app.conf.task_default_queue),
        "pending": len(client.keys(pending_key("*"))),
        "mails": len(mail.outbox),
    }
