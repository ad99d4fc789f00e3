#!/usr/bin/env bash
# Run the whole stack locally (web, worker, scheduler from deploy/Procfile under honcho) on
# PostgreSQL and Redis: `make stack`. Creates the database if it does not exist, migrates it and
# collects the static files first. Everything comes from the environment; the defaults are a
# local `gcaptrack` database, Redis database 0 and the web on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
export PATH="$PWD/$VENV/bin:$PATH"
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gcaptrack}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export GUNICORN_BIND=${GUNICORN_BIND:-127.0.0.1:8000}
# Local runs are plain HTTP on the loopback: DEBUG keeps the login cookie usable without TLS.
# Set DEBUG=0 and SECRET_KEY to run with the production settings (behind nginx).
export DEBUG=${DEBUG:-1}
if [ -z "${SECRET_KEY:-}" ] && [ "$DEBUG" != 1 ]; then
    echo "SECRET_KEY must be set when DEBUG is off" >&2
    exit 1
fi

case "$DATABASE_URL" in
    postgres://127.0.0.1* | postgres://localhost* | postgres://*@127.0.0.1* | postgres://*@localhost*)
        bash deploy/ensure-services.sh ;;
esac

python - <<'PY'
"""Create the database named in DATABASE_URL when it does not exist."""
import os

import dj_database_url
import psycopg
from psycopg import sql

db = dj_database_url.parse(os.environ["DATABASE_URL"])
params = {
    "host": db["HOST"] or "127.0.0.1",
    "port": db["PORT"] or 5432,
    "user": db["USER"] or None,
    "password": db["PASSWORD"] or None,
}
with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
    exists = conn.execute("select 1 from pg_database where datname = %s", [db["NAME"]]).fetchone()
    if not exists:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(db["NAME"])))
        print(f"created database {db['NAME']}")
PY

python manage.py migrate --noinput
# The web process serves the static files itself (WhiteNoise), under hashed names.
python manage.py collectstatic --noinput --verbosity 0
exec honcho --procfile deploy/Procfile --app-root . start
