# The front door: `make run` starts the app with demo data, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Needed to build psycopg2 (libpq-dev) and to render PDFs (pango, fonts); chromium for browser tests.
RUN_PACKAGES := libpq-dev gcc libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fontconfig fonts-dejavu-core
TEST_PACKAGES := $(RUN_PACKAGES) chromium poppler-utils

.PHONY: run test check venv system-packages test-system-packages worker clean

$(VENV)/.installed: requirements.txt
	@python=$$(scripts/find-python) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		rm -rf $(VENV); echo "Creating $(VENV) with $$python"; "$$python" -m venv $(VENV) || exit 1; \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

venv: system-packages $(VENV)/.installed

system-packages:
	@scripts/ensure-system-packages $(RUN_PACKAGES)

test-system-packages:
	@scripts/ensure-system-packages $(TEST_PACKAGES)

run: venv
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_partnership_project --demo
	@echo
	@echo "  Serving on http://$(HOST):$(PORT)/"
	@echo "  Demo logins (demo only): admin, lead, researcher — password: partnership-demo"
	@echo
	$(PY) manage.py runserver $(HOST):$(PORT)

test: test-system-packages venv
	$(PY) -m pytest $(PYTEST_ARGS)

check: venv
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

worker: venv
	TASKS_BACKEND=django_tasks_db.DatabaseBackend $(PY) manage.py db_worker

clean:
	rm -rf $(VENV) var .pytest_cache
