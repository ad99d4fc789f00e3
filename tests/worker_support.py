"""Test-only code loaded into the Celery worker subprocesses with ``-I tests.worker_support``.

Nothing here is imported by production code.
"""

import os
import time
from unittest import mock

from celery import shared_task
from django.core.mail.backends.filebased import EmailBackend
from django.db import transaction

from gcaptrack.broker import redis_client
from programs.balance import scan
from programs.models import Flag
from programs.tasks import scan_programme_task


class MailDirBackend(EmailBackend):
    """The file-based e-mail backend, writing to the directory the test gives the worker."""

    def __init__(self, *args, **kwargs):
        kwargs["file_path"] = os.environ["GCAPTRACK_TEST_MAIL_DIR"]
        super().__init__(*args, **kwargs)


@shared_task(name="tests.gated_scan_programme", bind=True)
def gated_scan_programme(self, programme_code: str, started_key: str, gate_key: str) -> dict:
    """The real scan task, held inside the scan's own transaction until the test opens the gate.

    The scan's last write (its snapshots) is wrapped: after it has written its flags, events
    and snapshots, still inside ``scan_programme``'s transaction and before that commits, the
    task pushes how many flags are written onto ``started_key`` and waits for ``gate_key`` to
    exist, so the test can kill the worker in the middle of a scan. No transaction is added
    here: what the test sees after the kill is the product's own atomicity.
    """
    client = redis_client()
    write_snapshots = scan.write_snapshots

    def write_snapshots_then_wait(*args, **kwargs):
        written = write_snapshots(*args, **kwargs)
        assert transaction.get_connection().in_atomic_block
        client.rpush(started_key, Flag.objects.count())
        deadline = time.monotonic() + 120
        while not client.exists(gate_key):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{gate_key} never opened")
            time.sleep(0.05)
        return written

    with mock.patch.object(scan, "write_snapshots", write_snapshots_then_wait):
        return scan_programme_task.run(programme_code)
