"""Test-only code loaded into the Celery worker subprocesses with ``-I tests.worker_support``.

Nothing here is imported by production code.
"""

import os
import time

from celery import shared_task
from django.core.mail.backends.filebased import EmailBackend
from django.db import transaction

from programs.balance.triggers import redis_client
from programs.tasks import scan_programme_task


class MailDirBackend(EmailBackend):
    """The file-based e-mail backend, writing to the directory the test gives the worker."""

    def __init__(self, *args, **kwargs):
        kwargs["file_path"] = os.environ["GCAPTRACK_TEST_MAIL_DIR"]
        super().__init__(*args, **kwargs)


@shared_task(name="tests.gated_scan_programme", bind=True)
def gated_scan_programme(self, programme_code: str, started_key: str, gate_key: str) -> dict:
    """The real scan task, held open inside its transaction until the test opens the gate.

    After the scan has written its flags and snapshots, but before it commits, the task pushes
    how many flags it raised onto ``started_key`` and waits for ``gate_key`` to exist, so the
    test can kill the worker in the middle of a scan.
    """
    client = redis_client()
    with transaction.atomic():
        summary = scan_programme_task.run(programme_code)
        client.rpush(started_key, len(summary["raised"]))
        deadline = time.monotonic() + 120
        while not client.exists(gate_key):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{gate_key} never opened")
            time.sleep(0.05)
    return summary
