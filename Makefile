# Hotline developer commands. `make run` and `make test` work from a clean checkout: they create
# .venv, install the project, and (for run) migrate and load demo data first.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
# Touched after a successful install: pip runs again only when pyproject.toml is newer.
INSTALLED := $(VENV)/.installed

# Extra pytest arguments, e.g. `make test ARGS="-x tests/cases"`.
ARGS ?=

# Production-like environment for `make check-deploy`. Nothing connects to this database: the
# URL is there so the checks see the PostgreSQL configuration production uses.
DEPLOY_ENV := DEBUG=0 \
	SECRET_KEY=check-deploy-only-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	ALLOWED_HOSTS=hotline.example.org \
	DATABASE_URL=postgres://hotline@127.0.0.1:5432/hotline \
	CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \
	HOTLINE_ENCRYPTION_KEYS=$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
	HOTLINE_HASH_KEY=check-deploy-only-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(48))')

.PHONY: help run test lint migrations-check check-deploy stack stack-stop stack-check bench clean

help:
	@echo "make run               set up, migrate, load demo data, serve http://127.0.0.1:8000"
	@echo "make test              set up, run the test suite (DATABASE_URL=postgres://... for PostgreSQL)"
	@echo "make lint              ruff check and ruff format --check"
	@echo "make migrations-check  fail when a model change has no migration"
	@echo "make check-deploy      Django's deployment checks under production-like settings"
	@echo "make stack             run the production topology locally on :8001 (make stack-stop)"
	@echo "make stack-check       start the stack, verify /healthz, stop it"
	@echo "make bench             time seed_demo on PostgreSQL against bulk_create; writes docs/benchmarks.md"
	@echo "make bench-rollup      time the statistics rollups on PostgreSQL (1M calls); writes docs/benchmarks.md"
	@echo "make bench-match       time cross-case matching on PostgreSQL (1M identifiers); writes docs/benchmarks.md"
	@echo "make clean             remove .venv, caches and collected static files (keeps var/ data)"

# Python 3.11 only (pyproject requires it). pyenv shims may offer just one of the two names, and a
# shim can exist without working, so each candidate is asked for its version.
$(PY):
	@for p in python3.11 python3; do \
	  if $$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then \
	    echo "Creating $(VENV) with $$(command -v $$p)"; exec $$p -m venv $(VENV); \
	  fi; \
	done; \
	echo "Python 3.11 is required: neither python3.11 nor python3 is 3.11." >&2; exit 1

$(INSTALLED): pyproject.toml | $(PY)
	@echo "Installing Hotline and its dev tools into $(VENV) (the first time takes a minute)"
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

# The SQLite database and collected static files live here; it is not in git.
var:
	@mkdir -p var

# DEBUG=1 unless set otherwise: no SECRET_KEY is needed to try Hotline out.
run: export DEBUG ?= 1
run: $(INSTALLED) | var
	$(PY) manage.py migrate
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py runserver 127.0.0.1:8000

# pytest-django builds its own test database (with migrations), so nothing is migrated here.
# DATABASE_URL, TEST_REDIS_URL and the rest come from the environment.
test: $(INSTALLED) | var
	$(VENV)/bin/pytest $(ARGS)

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

migrations-check: export DEBUG ?= 1
migrations-check: $(INSTALLED) | var
	$(PY) manage.py makemigrations --check --dry-run

# Any warning fails: the production settings must pass Django's deployment checklist whole
# (HTTPS redirect, HSTS, secure cookies, ...; docs/security.md).
check-deploy: $(INSTALLED)
	$(DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING

stack: $(INSTALLED) | var
	scripts/stack start

stack-stop:
	scripts/stack stop

stack-check: $(INSTALLED) | var
	scripts/stack check

clean:
	scripts/stack stop
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache var/static var/stack
	find . -name __pycache__ -type d -not -path './.git/*' -prune -exec rm -rf {} +

# Times seed_demo (100,000 calls, 10,000 cases) against Django's bulk_create floor in a fresh
# PostgreSQL database (BENCH_DATABASE_URL, default hotline_bench on 127.0.0.1) and writes the
# "seed_demo" section of docs/benchmarks.md. A measurement, not a test.
bench: $(INSTALLED)
	$(PY) scripts/bench_seed

# Times the statistics rollups on PostgreSQL with 1,000,000 calls and 100,000 cases (a fresh
# database, BENCH_ROLLUP_DATABASE_URL, default hotline_bench_rollup on 127.0.0.1): full rebuild
# against a plain GROUP BY, incremental runs, dashboard and API times; writes the "rollups"
# section of docs/benchmarks.md. A measurement, not a test.
.PHONY: bench-rollup
bench-rollup: $(INSTALLED)
	$(PY) scripts/bench_rollup

# Cross-case matching on PostgreSQL: one new identifier against 1,000,000 stored ones, beside
# the single indexed lookup it is built on, and a re-match of 100,000 (a fresh database,
# BENCH_MATCH_DATABASE_URL, default hotline_bench_match on 127.0.0.1); writes the "matching"
# section of docs/benchmarks.md. A measurement, not a test.
.PHONY: bench-match
bench-match: $(INSTALLED)
	$(PY) scripts/bench_match

# The API on PostgreSQL with the demo data (100,000 calls, 10,000 cases): gunicorn on loopback,
# a POST, the case list and a case beside bare INSERT/SELECT endpoints, then a 60-second soak
# of idempotent retries; writes the "API" section of docs/benchmarks.md. A measurement, not a
# test (BENCH_DATABASE_URL, default hotline_bench_api on 127.0.0.1).
.PHONY: bench-api api-schema
bench-api: $(INSTALLED)
	$(PY) scripts/bench_api

# The OpenAPI document, checked as CI checks it: no warning, valid (docs/api.md).
api-schema: export DEBUG ?= 1
api-schema: $(INSTALLED) | var
	$(PY) manage.py spectacular --fail-on-warn --validate --file var/openapi.yaml
