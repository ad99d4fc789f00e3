"""The Celery application of GCAPtrack.

Configuration comes from Django's settings (the ``CELERY_`` names in gcaptrack/settings.py);
tasks are found in every installed app's ``tasks`` module. Start a worker with
``celery -A gcaptrack worker`` and the scheduler with ``celery -A gcaptrack beat``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gcaptrack.settings")

app = Celery("gcaptrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
