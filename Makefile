# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/gcaptrack
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: demo test venv lint stack

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,stack]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	DEBUG=1 $(PY) manage.py demo

# The whole stack on PostgreSQL and Redis: web (gunicorn), worker and scheduler (Celery beat)
# from deploy/Procfile under honcho. DATABASE_URL defaults to a local `gcaptrack` database,
# created and migrated first. Ctrl-C stops all three.
stack: venv
	$(PY) -m pip install --quiet -e '.[stack]'
	VENV=$(VENV) bash deploy/stack.sh

test: venv
	bash deploy/ensure-services.sh
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	SECRET_KEY=$${SECRET_KEY:-test-only-secret-key} \
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
