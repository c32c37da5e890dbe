# Polku — one-command run and test. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
# Production settings for `check --deploy` (it never connects to the database; production
# refuses to start on SQLite, so the URL names a PostgreSQL server that need not exist).
PROD_ENV := DJANGO_ENV=production SECRET_KEY=check-deploy-only-$(shell date +%s)-not-a-real-secret-key-0123456789 ALLOWED_HOSTS=polku.example.fi DATABASE_URL=postgres://polku@polku-db.invalid:5432/polku

.PHONY: install system-deps run test lint check-deploy pytest smoke bench messages clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

# Debian packages the test suite needs: chromium (browser tests), gettext (translations),
# poppler-utils (PDF pages to PNG). Installed only when missing.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "WARNING: please install$$missing (browser tests will be skipped)"; fi; \
	fi

messages: install
	@if [ -d locale ] && command -v msgfmt >/dev/null; then \
	  $(PY) manage.py compilemessages -v0 --ignore=.venv --ignore=var; fi

run: install messages
	@mkdir -p var
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py seed_demo $(if $(DEMO_COUNT),--count $(DEMO_COUNT))
	$(PY) manage.py backfill_snapshots
	$(PY) manage.py seed_demo_targets
	$(PY) manage.py seed_api_demo
	$(PY) manage.py collectstatic --noinput -v0
	@$(PY) manage.py demo_logins --url http://$(HOST):$(PORT)/
	PATH="$(CURDIR)/$(BIN):$$PATH" HOST=$(HOST) $(BIN)/honcho start -f Procfile -p $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(PY) manage.py makemigrations --check --dry-run -v1

# Production refuses a cache the web workers cannot share (the API's rate limits live there).
PROD_ENV += CACHE_URL=redis://127.0.0.1:6379/1

check-deploy: install
	$(PROD_ENV) $(PY) manage.py check --deploy --fail-level WARNING

pytest: install system-deps messages
	@export DATABASE_URL="$$($(PY) scripts/test_database.py)"; \
	$(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

test: lint check-deploy pytest
	@echo "make test: all checks passed"

bench: install
	$(PY) bench/run.py

clean:
	rm -rf var/celery var/static test-artifacts
