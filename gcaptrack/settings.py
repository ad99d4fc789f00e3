"""GCAPtrack settings.

Everything that differs between the demo, the tests and production is read from the environment
here, and only here (see the README's Configuration table). The defaults are the local demo's:
SQLite in ``var/``, DEBUG off unless asked for, tasks run in process when no broker is set.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from gcaptrack.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("GCAPTRACK_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment unless DEBUG=1")
    SECRET_KEY = "insecure-demo-key-only-for-debug-" + "x" * 32

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "gcaptrack.admin_site.GCAPtrackAdminConfig",  # django.contrib.admin, narrowed log
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "import_export",
    "django_celery_beat",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "programs",
]

MIDDLEWARE = [
    # First: /healthz and /readyz answer probes over plain HTTP, from any host name, signed out.
    "gcaptrack.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files from STATIC_ROOT, before anything that reads a session or the database.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gcaptrack.middleware.RequestSizeLimitMiddleware",
    "gcaptrack.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a lockout signalled during authentication into a 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gcaptrack.urls"

CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
]
# The dashboard pages are Jinja2 templates (programs/jinja2/; see programs/dashboards/jinja2.py
# for why), the admin's and the forms' are Django's.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "programs.dashboards.jinja2.environment",
            "context_processors": CONTEXT_PROCESSORS,
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": CONTEXT_PROCESSORS},
    },
]

WSGI_APPLICATION = "gcaptrack.wsgi.application"

# The demo's zero-set-up default is a SQLite file; production and the tests use PostgreSQL.
DATABASE_URL = env_str("DATABASE_URL", "")
if not DATABASE_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'gcaptrack.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg prepares a hand-written statement (programs.balance.statements) once it has run
    # this many times on a connection, so PostgreSQL plans it once per connection rather than
    # on every scan; 0 turns it off (a transaction-mode connection pooler needs that). The
    # ORM's own queries bind their parameters on the client and are never prepared.
    _prepare_threshold = env_int("DB_PREPARE_THRESHOLD", 5)
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        _prepare_threshold if _prepare_threshold > 0 else None
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes) in front of the ordinary model backend: covers the dashboards'
# /login/ and the admin's login, which both authenticate with the request. AXES_FAILURE_LIMIT
# failures for one user name from one address lock that pair out for AXES_COOLOFF_MINUTES;
# every attempt and lockout is recorded (admin: Axes) and logged by the "axes" logger. The model
# backend is Django's, reading the user's clearance along with the user (gcaptrack.security).
AUTHENTICATION_BACKENDS = [
    "gcaptrack.security.LoginThrottleBackend",
    "gcaptrack.security.ClearedUserBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "gcaptrack.security.client_ip"
# No start-up banner on stderr (management commands print one-line errors); the lockout log line
# names the user name and address it locked out, never the password.
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS: list[str] = []
#: Proxies whose right-most X-Forwarded-For entry is believed (nginx on the same host).
TRUSTED_PROXY_IPS = env_list("TRUSTED_PROXY_IPS", ["127.0.0.1", "::1"])

# The dashboards' own login page; the admin keeps its own.
LOGIN_URL = "dashboards:login"
LOGIN_REDIRECT_URL = "dashboards:portfolio"
LOGOUT_REDIRECT_URL = "dashboards:login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "static-collected")))
# collectstatic writes every file under a name holding a hash of its content, plus a gzip copy,
# and pages link to those names; WhiteNoise serves them from STATIC_ROOT with a year's
# Cache-Control (immutable), so an upgrade's new files arrive under new names at once. Pages
# can only be rendered after collectstatic (DEBUG links to the plain names, served by the
# finders). The tests keep Django's plain storage (tests/conftest.py).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Celery: Redis as broker. Without REDIS_URL (the demo) tasks run in process, so the demo
# still scans and flags without a broker.
REDIS_URL = env_str("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL

# Caches: with Redis, shared by every process (API throttling counts per user across gunicorn
# workers; the balance report under a data version that every write moves, see
# programs.data_version). A read with Redis unreachable is a miss (gcaptrack.cache). Without
# Redis (the demo) throttling counts per process and reports are not cached: a version held by one
# process could not see writes made by another (a management command).
_REDIS_CACHE = {
    "BACKEND": "gcaptrack.cache.TolerantRedisCache",
    "LOCATION": REDIS_URL,
    "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
}
CACHES = (
    {
        "default": {**_REDIS_CACHE, "KEY_PREFIX": "gcaptrack-cache"},
        "reports": {
            **_REDIS_CACHE,
            "KEY_PREFIX": "gcaptrack-reports",
            "TIMEOUT": env_int("BALANCE_REPORT_CACHE_SECONDS", 3600),
        },
    }
    if REDIS_URL
    else {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "reports": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "gcaptrack")
# JSON only: no pickle, so a message on the broker can never run code in the worker.
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
# A task is acknowledged when it finishes, not when it starts, and a worker that dies mid-task
# gives it back: with scans that are one transaction and idempotent, a crash costs a re-run.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
# An unacknowledged message goes back on the queue after this many seconds: longer than the
# hard time limit and any countdown, so a task still running is never handed out twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    "socket_connect_timeout": 2,
}
# With Redis down, a request that queues a task fails within about a second instead of waiting
# through Celery's default 20 reconnection attempts to the result store (and a save records its
# scan as missed, see programs.services.scan_queue).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    }
}
CELERY_RESULT_EXPIRES = env_int("CELERY_RESULT_EXPIRES", 86400)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# The periodic scan of every programme lives in django-celery-beat's tables (editable in the
# admin); programs.schedules installs it after `migrate`. CELERY_BEAT_SCHEDULE stays empty on
# purpose: beat's DatabaseScheduler rewrites the rows it names at every start, which would undo
# an analyst's edit of the schedule.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict = {}
SCAN_ALL_CRON = env_str("SCAN_ALL_CRON", "0 * * * *")
# Changes to a programme's data queue one scan of it on commit; saves within
# SCAN_COALESCE_SECONDS of the first share that scan.
CELERY_ON_CHANGE_SCANS = env_bool("CELERY_ON_CHANGE_SCANS", True)
SCAN_COALESCE_SECONDS = env_int("SCAN_COALESCE_SECONDS", 5)
# How often on-change scans missed while the broker was down are queued again (used when
# `migrate` first creates that periodic task).
MISSED_SCAN_RETRY_SECONDS = env_int("MISSED_SCAN_RETRY_SECONDS", 60)

# /readyz (gcaptrack.health): how long each probe of Redis or the workers may wait, how long a
# worker's answer to a ping is trusted before pinging again, and when the scheduler's last run
# (beat writes it every few minutes) or the last scan count as stale.
HEALTH_TIMEOUT_SECONDS = env_int("HEALTH_TIMEOUT_SECONDS", 1)
HEALTH_WORKER_PING_SECONDS = env_int("HEALTH_WORKER_PING_SECONDS", 30)
HEALTH_SCHEDULER_MAX_AGE_SECONDS = env_int("HEALTH_SCHEDULER_MAX_AGE_SECONDS", 600)
HEALTH_SCAN_MAX_AGE_SECONDS = env_int("HEALTH_SCAN_MAX_AGE_SECONDS", 7200)

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "gcaptrack@localhost")
#: Operators mailed when a scan fails (programs.balance.scan_errors): comma-separated addresses.
ADMINS = [(address, address) for address in env_list("ADMINS", [])]
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# The site's own address, for the links in e-mails and feeds (they are read away from the site).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# Webhooks (programs.webhooks): hosts they may go to (exact names, ".example.org" for a domain
# and its subdomains, "*" for any), whether loopback and private addresses are allowed, and how
# deliveries are retried and when a failing webhook is disabled.
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS", [])
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_RETRIES = env_int("WEBHOOK_RETRIES", 5)
WEBHOOK_RETRY_SECONDS = env_int("WEBHOOK_RETRY_SECONDS", 30)
WEBHOOK_MAX_FAILURES = env_int("WEBHOOK_MAX_FAILURES", 5)
# When the daily flag digest is mailed (used when `migrate` first creates that periodic task).
DIGEST_CRON = env_str("DIGEST_CRON", "0 6 * * *")

SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False
# Change reasons in a text column: the admin and the API bound their length
# (programs.change_reasons.REASON_MAX_LENGTH), not a 100-character database column.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# REST API (programs.api): token or session authentication, model permissions, per-user
# throttling. Rates are "<number>/<second|minute|hour|day>".
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "programs.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["programs.api.permissions.ModelPermissions"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "programs.api.renderers.CSVRenderer",
        "programs.api.renderers.XLSXRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["programs.api.parsers.BoundedJSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "programs.api.filters.StableOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "programs.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["programs.api.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env_str("API_THROTTLE_USER", "1200/minute")},
    "DEFAULT_SCHEMA_CLASS": "programs.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "programs.api.views.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "URL_FORMAT_OVERRIDE": "format",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "programs.api.negotiation.FormatNegotiation",
}
#: Refuse PUT, PATCH and DELETE without If-Match (428) instead of accepting them unconditionally.
API_REQUIRE_IF_MATCH = env_bool("API_REQUIRE_IF_MATCH", False)
#: How many times an API write is tried when PostgreSQL aborts it for a deadlock or a
#: serialisation failure, before it is answered 503 with Retry-After (programs.api.retry).
API_WRITE_ATTEMPTS = max(1, env_int("API_WRITE_ATTEMPTS", 3))

SPECTACULAR_SETTINGS = {
    "TITLE": "GCAPtrack API",
    "DESCRIPTION": (
        "Who gives and who gets in multinational defence programmes. Nations and programmes are "
        "addressed by code, organisations by name, work packages by code within their programme. "
        "Every list also comes as CSV (`?format=csv`) or XLSX (`?format=xlsx`): every row matching "
        "the filters, in the requested order, unpaginated. Retrieve returns an `ETag`; send it back "
        "in `If-Match` on PUT, PATCH and DELETE to get 412 instead of overwriting someone's change."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # One name for the flag severities, used by flags and by subscriptions' minimum severity.
    "ENUM_NAME_OVERRIDES": {"SeverityEnum": "programs.models.flags.Flag.Severity"},
}

IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_IMPORT_IGNORE_BLANK_LINES = True
# The library's own escaping only strips a leading "=" and turns every exported cell into text;
# programs.spreadsheets.escape_formula prefixes = + - @ cells with an apostrophe instead.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False

# Production hardening: on unless DEBUG. `manage.py check --deploy` is clean with these.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)
# Content security policy (django-csp): everything from this origin, no inline or third-party
# script. Inline styles stay allowed: Plotly styles its SVG charts through style attributes,
# and so do the admin and Swagger UI. data: images are Swagger UI's and Plotly's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Request bodies: forms and JSON over DATA_UPLOAD_MAX_MEMORY_SIZE, multipart uploads (admin
# imports) over MAX_UPLOAD_SIZE are refused with 413 (gcaptrack.middleware). nginx's
# client_max_body_size is 10m too.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
MAX_UPLOAD_SIZE = env_int("MAX_UPLOAD_SIZE", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
#: How deeply lists and objects may nest in a JSON body or a scenario file (deeper: refused with
#: a 400 or the loader's error; programs.bounds). Real documents nest five or six levels.
INPUT_MAX_NESTING = env_int("INPUT_MAX_NESTING", 32)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Tasks run in process when there is no broker (the demo): their per-task lines are noise.
    "loggers": {name: {"level": "WARNING"} for name in ("celery.app.trace", "kombu.connection")}
    if not REDIS_URL
    else {},
}
