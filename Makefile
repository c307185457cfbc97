# Cooperation Registry. `make run` serves a local site; `make test` checks what CI checks.

PYTHON ?= python3
PORT ?= 8000
PYTEST_ARGS ?=

VENV := .venv
BIN := $(VENV)/bin
# Touched after each install, so a changed requirements.lock triggers a new one.
STAMP := $(VENV)/.installed-from-lock
MANAGE := $(BIN)/python manage.py
WITH_POSTGRES := bash tests/with_postgres.sh

.DEFAULT_GOAL := help
# The steps of `make test` stay in order even under `make -j`.
.NOTPARALLEL:
.PHONY: help .venv install run lint check test test-sqlite test-postgres clean

help:
	@echo "make run            set up a local site (SQLite, Baku fixture, admin user) on 127.0.0.1:$(PORT)"
	@echo "make test           lint, Django checks, then the tests on SQLite and on PostgreSQL"
	@echo "make lint           ruff format --check and ruff check"
	@echo "make check          manage.py check and a check for missing migrations"
	@echo "make test-sqlite    the tests on SQLite only (PYTEST_ARGS=... passes arguments to pytest)"
	@echo "make test-postgres  the tests on a throw-away PostgreSQL cluster only"
	@echo "make install        create .venv and install requirements.lock into it"
	@echo "make clean          remove .venv, collected static files and caches"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --require-hashes -r requirements.lock
	@touch $@

.venv install: $(STAMP)

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) loaddata baku_2023
	@if [ "$$($(MANAGE) shell --verbosity 0 -c 'from django.conf import settings; print(settings.DEBUG)')" = True ]; then \
		echo "$(MANAGE) create_local_superuser"; \
		$(MANAGE) create_local_superuser; \
	else \
		echo "DJANGO_DEBUG is false: no local superuser is created (use manage.py createsuperuser)."; \
	fi
	$(MANAGE) runserver 127.0.0.1:$(PORT)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

check: install
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run

test: install lint check test-sqlite test-postgres

# DATABASE_URL unset: the settings' default SQLite; pytest-django makes its own test database.
test-sqlite: install
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

# The cluster is started and stopped by tests/with_postgres.sh. Asking it first whether a
# server is installed keeps "PostgreSQL is missing" apart from a pytest exit status.
test-postgres: install
	@status=0; $(WITH_POSTGRES) --check || status=$$?; \
	if [ $$status -eq 3 ]; then \
		if [ "$$CI" = true ]; then \
			echo "FAILED: CI=true needs the PostgreSQL run, and no PostgreSQL server is installed." >&2; \
			exit 1; \
		fi; \
		echo "SKIPPED the PostgreSQL run: no PostgreSQL server is installed" \
			"(Debian: apt-get install postgresql). Only the SQLite run was made."; \
		exit 0; \
	elif [ $$status -ne 0 ]; then \
		exit $$status; \
	fi; \
	echo "$(WITH_POSTGRES) $(BIN)/pytest $(PYTEST_ARGS)"; \
	$(WITH_POSTGRES) $(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
