# The two set-up commands of the README, `make demo` and `make test`, and the lock files.
SHELL := bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/gcaptrack
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# The lock files: requirements/prod.txt (the app and gunicorn, what the image installs) and
# requirements/dev.txt (every extra, pinned to the same versions). Both are written by uv from
# pyproject.toml for Python 3.11 on any platform.
UV_COMPILE = $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.11

.PHONY: demo test venv lint typecheck stack lock upgrade-lock check-lock

$(VENV)/.installed: pyproject.toml requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# The chart library, from the npm registry (package-lock.json) into the static files.
CHART_LIBRARY := programs/static/dashboards/vendor/plotly.min.js
$(CHART_LIBRARY): package.json package-lock.json
	bash deploy/fetch-assets.sh

venv: $(VENV)/.installed $(CHART_LIBRARY)

demo: venv
	DEBUG=1 $(PY) manage.py demo

# The whole stack on PostgreSQL and Redis: web (gunicorn), worker and scheduler (Celery beat)
# from deploy/Procfile under honcho. DATABASE_URL defaults to a local `gcaptrack` database,
# created and migrated first. Ctrl-C stops all three.
stack: venv
	VENV=$(VENV) bash deploy/stack.sh

# Every test, browser tests included: installs Chromium first where it can (root with apt),
# else stops with a line saying how.
test: venv
	bash deploy/ensure-services.sh
	bash deploy/ensure-browser.sh
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	SECRET_KEY=$${SECRET_KEY:-test-only-secret-key} \
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy with django-stubs and djangorestframework-stubs over gcaptrack/ and programs/
# ([tool.mypy] in pyproject.toml); the settings need a SECRET_KEY to load.
typecheck: venv
	SECRET_KEY=$${SECRET_KEY:-typecheck-only} $(VENV)/bin/mypy

# After editing pyproject.toml's dependencies: pins what they now need, keeping every other pin.
lock: venv
	$(UV_COMPILE) pyproject.toml --extra prod -o requirements/prod.txt
	$(UV_COMPILE) pyproject.toml --all-extras -c requirements/prod.txt -o requirements/dev.txt

# Moves every pin to the newest release pyproject.toml allows; run the tests before committing.
upgrade-lock: venv
	$(UV_COMPILE) --upgrade pyproject.toml --extra prod -o requirements/prod.txt
	$(UV_COMPILE) pyproject.toml --all-extras -c requirements/prod.txt -o requirements/dev.txt

# CI: fails when pyproject.toml was changed without `make lock`.
check-lock: venv
	@tmp=$$(mktemp -d) && cp requirements/prod.txt requirements/dev.txt $$tmp/ \
	&& $(UV_COMPILE) --no-header pyproject.toml --extra prod -o $$tmp/prod.txt \
	&& $(UV_COMPILE) --no-header pyproject.toml --all-extras -c $$tmp/prod.txt -o $$tmp/dev.txt \
	&& for f in prod dev; do \
	    diff -u <(grep -v '^ *#' requirements/$$f.txt) <(grep -v '^ *#' $$tmp/$$f.txt) >/dev/null \
	    || { echo "requirements/$$f.txt is out of date with pyproject.toml: run make lock" >&2; exit 1; }; \
	done; rm -rf $$tmp; echo "lock files match pyproject.toml"
