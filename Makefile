# Enlace: the one entry point. `make run` and `make test` set up everything they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install install-dev system-deps node-deps messages migrate data run test test-future test-fast lint format migrations-check ci clean

help:
	@echo "make run      set up the quickstart (SQLite) and serve on http://$(HOST):$(PORT)"
	@echo "make test     install what the tests need and run the whole suite"
	@echo "make test-future  the suite with the clock moved ahead (FAKETIME_SHIFT, default +365d)"
	@echo "make lint     ruff;  make migrations-check: no model change without a migration"

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# A stamp per requirements file: reinstall only when the pins change.
$(VENV)/.installed-runtime: requirements.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed-runtime

install: $(VENV)/.installed-runtime
install-dev: $(VENV)/.installed-dev

# Debian packages the suite needs: gettext (compilemessages) and Chromium (browser tests).
# Installed only when missing and when running as root; otherwise say what to install.
system-deps:
	@missing=""; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	if [ "$(NEED_CHROMIUM)" != "0" ]; then command -v chromium >/dev/null || missing="$$missing chromium"; fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages:$$missing — install them with: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi

# axe-core, from the npm registry, which the browser tests inject into every page to check it
# against WCAG 2.2 AA (tests/browser/test_accessibility.py). Node.js and npm come from
# Debian when missing and running as root; the lock file pins the exact release.
AXE := tests/browser/node_modules/.installed
node-deps: $(AXE)
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian packages: nodejs npm"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else \
	    echo "Missing Debian packages: nodejs npm — install them with: sudo apt-get install nodejs npm"; exit 1; \
	  fi; \
	fi
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

messages: $(VENV)/.installed-runtime
	@command -v msgfmt >/dev/null || $(MAKE) --no-print-directory system-deps NEED_CHROMIUM=0
	@DJANGO_DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv -v 0

migrate: install messages
	DJANGO_DEBUG=1 $(PY) manage.py migrate --no-input -v 1

data: migrate
	DJANGO_DEBUG=1 $(PY) manage.py load_reference_data --border
	@# The demo's flag notifications would only scroll past: no e-mail while seeding.
	DJANGO_DEBUG=1 DJANGO_EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend $(PY) manage.py seed_demo

run: data
	@echo "Enlace on http://$(HOST):$(PORT)/  (API docs: /api/v1/docs/, admin: /admin/, demo password: enlace-demo-2026)"
	@echo "The background worker (flag e-mail, webhooks) runs beside the server and stops with it."
	@DJANGO_DEBUG=1 $(PY) manage.py db_worker --no-reload -v 0 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

# Two workers (one per core); tests marked `serial` (they stop shared services such as
# PostgreSQL) run alone afterwards. pytest's exit 5 means "no test selected".
PYTEST_WORKERS ?= 2
test: install-dev system-deps messages node-deps
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not serial" --durations=10 $(PYTEST_ARGS)
	$(VENV)/bin/pytest -m serial $(PYTEST_ARGS) || [ $$? -eq 5 ]

# The suite with the system clock moved ahead by FAKETIME_SHIFT (Debian's faketime, which
# the tests' own process and its children see): no test may depend on the day it runs. On
# SQLite: a PostgreSQL server keeps its own clock (now(), defaults), which faketime cannot move.
# Browser tests (Chromium) and serial ones (they stop PostgreSQL) are left out.
FAKETIME_SHIFT ?= +365d
test-future: install-dev messages
	@command -v faketime >/dev/null || { \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian packages: faketime"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null; \
	  else \
	    echo "Missing Debian packages: faketime — install them with: sudo apt-get install faketime"; exit 1; \
	  fi; \
	}
	@faketime -f '$(FAKETIME_SHIFT)' date +"Running the suite as if it were %Y-%m-%d %H:%M (shift $(FAKETIME_SHIFT))"
	DATABASE_URL= faketime -f '$(FAKETIME_SHIFT)' $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadfile \
	  -m "not serial and not browser" $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: install
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles tests/browser/node_modules

# Performance bench (bench/README.md), on PostgreSQL (BENCH_DATABASE_SERVER, default the local
# server): scales 0.1 and 1, writes bench/results.md. bench-smoke: scale 0.01 in a minute, for CI.
.PHONY: bench bench-smoke bench-deps
bench-deps:
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing wrk (Debian package) for the load tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
	      || echo "wrk could not be installed: the bench falls back to its Python load generator"; \
	  else \
	    echo "wrk is missing (sudo apt-get install wrk): the bench falls back to its Python load generator"; \
	  fi; \
	}

bench: install bench-deps
	$(PY) bench/run.py $(BENCH_ARGS)
	@# The catalog lists beside a stock DRF scaffold, built and measured in the same run (issue 20).
	$(PY) bench/scaffold.py

bench-smoke: install
	$(PY) bench/run.py --smoke --drop $(BENCH_ARGS)
