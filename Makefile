# The front door: `make run` starts the app with demo data, `make test` runs the whole suite.
# `make run` serves as production does (gunicorn and the task worker, DEBUG off); `make dev` is runserver with DEBUG.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Needed to build psycopg2 (libpq-dev) and to render PDFs (pango, fonts); chromium for browser tests.
RUN_PACKAGES := libpq-dev gcc libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fontconfig fonts-dejavu-core
TEST_PACKAGES := $(RUN_PACKAGES) chromium poppler-utils

# Production settings on the loopback: plain HTTP (no secure cookies or redirects), a key generated once into var/,
# paper builds queued in the database for the worker.
RUN_ENV = DEBUG=false HTTPS=false SECRET_KEY="$$(PYTHON=$(PY) scripts/secret-key)" \
	TASKS_BACKEND=django_tasks_db.DatabaseBackend HOST=$(HOST) PATH="$(CURDIR)/$(VENV)/bin:$$PATH"

.PHONY: run dev test check venv system-packages test-system-packages worker clean

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

define DEMO_BANNER
	@echo
	@echo "  Serving on http://$(HOST):$(PORT)/"
	@echo "  Demo logins (demo only): admin, lead, researcher — password: partnership-demo"
	@echo
endef

# gunicorn and the task worker under honcho (Procfile); Ctrl+C stops both.
run: venv
	@set -e; export $(RUN_ENV); \
	$(PY) manage.py migrate --no-input; \
	$(PY) manage.py load_partnership_project --demo; \
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(DEMO_BANNER)
	@export $(RUN_ENV); exec $(VENV)/bin/honcho start --env /dev/null --port $(PORT)

# Development: runserver with DEBUG (reloads on change, Django's error pages), builds run inside the request.
dev: venv
	DEBUG=true $(PY) manage.py migrate --no-input
	DEBUG=true $(PY) manage.py load_partnership_project --demo
	$(DEMO_BANNER)
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

test: test-system-packages venv
	$(PY) -m pytest $(PYTEST_ARGS)

check: venv
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

# The task worker alone, with make run's settings (for a server started some other way).
worker: venv
	@export $(RUN_ENV); exec $(PY) manage.py worker --no-reload

clean:
	rm -rf $(VENV) var .pytest_cache
