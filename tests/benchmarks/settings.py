"""Settings of the benchmark server: the production settings plus the benchmark URLconf.

Used only by ``tests/benchmarks/run.py`` (in process and in its gunicorn); never in production.
"""

from gcaptrack.settings import *  # noqa: F403

ROOT_URLCONF = "tests.benchmarks.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
CELERY_ON_CHANGE_SCANS = False
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"user": "100000000/minute"},
}
# Pages are rendered without a collectstatic first: plain static names.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
