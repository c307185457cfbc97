# Cooperation Registry. `make run` serves a local site; `make test` checks what CI checks.

PYTHON ?= python3
PORT ?= 8000
PYTEST_ARGS ?=

VENV := .venv
BIN := $(VENV)/bin
# Touched after each install, so a changed requirements.lock triggers a new one.
STAMP := $(VENV)/.installed-from-lock
# The same for the test tools from npm (axe-core, the Nu Html Checker's vnu.jar).
NODE_STAMP := node_modules/.installed-from-lock
MANAGE := $(BIN)/python manage.py
WITH_POSTGRES := bash tests/with_postgres.sh

.DEFAULT_GOAL := help
# The steps of `make test` stay in order even under `make -j`.
.NOTPARALLEL:
.PHONY: help .venv node_modules install run lint check test test-sqlite test-postgres clean
.PHONY: backup restore messages i18n-coverage cluster

help:
	@echo "make run            set up a local site (SQLite, the fixtures, admin user) on 127.0.0.1:$(PORT)"
	@echo "make test           lint, Django checks, then the tests (HTML checker and browser"
	@echo "                    tests included) on SQLite and on PostgreSQL"
	@echo "make lint           ruff format --check and ruff check"
	@echo "make check          manage.py check and a check for missing migrations"
	@echo "make test-sqlite    the tests on SQLite only (PYTEST_ARGS=... passes arguments to pytest)"
	@echo "make test-postgres  the tests on a throw-away PostgreSQL cluster only"
	@echo "make bench          build 1k and 1M-visit PostgreSQL databases, time every page, load-test"
	@echo "make cluster        nginx, two gunicorn, Redis, a PostgreSQL primary and replica on this"
	@echo "                    machine's loopback (deploy/cluster.py), until Ctrl-C"
	@echo "make backup         back up the database into backups/<UTC time>/ (BACKUP_DIR=... elsewhere)"
	@echo "make restore        restore BACKUP=backups/<time> into an empty database"
	@echo "make install        create .venv from requirements.lock, node_modules from package-lock.json,"
	@echo "                    and compile the translations"
	@echo "make messages       compile the translations (locale/*/LC_MESSAGES/django.po) into .mo files"
	@echo "make i18n-coverage  how many of the interface's messages each language translates"
	@echo "make clean          remove .venv, node_modules, collected static files, compiled translations,"
	@echo "                    screenshots and caches"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --require-hashes -r requirements.lock
	@touch $@

# --ignore-scripts: vnu-jar's install script would download a JDK; the tests use the
# system's `java` (Debian: default-jre-headless) instead.
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is missing (Debian: apt-get install npm)" >&2; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

.venv: $(STAMP)
node_modules: $(NODE_STAMP)
install: $(STAMP) $(NODE_STAMP) messages

# The interface's translations: the .po files are kept in git, their compiled .mo files are
# built here (compilemessages skips a catalogue whose .mo is up to date). msgfmt comes with
# GNU gettext. After changing a marked string: `$(MANAGE) makemessages -l az -l ru --no-obsolete
# --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=bench`, then translate.
messages: .venv
	@command -v msgfmt >/dev/null 2>&1 || { echo "msgfmt is missing (Debian: apt-get install gettext)" >&2; exit 1; }
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=bench

i18n-coverage:
	@command -v msgfmt >/dev/null 2>&1 || { echo "msgfmt is missing (Debian: apt-get install gettext)" >&2; exit 1; }
	@for po in locale/*/LC_MESSAGES/django.po locale/libraries/*/LC_MESSAGES/django.po; do \
		printf '%s: ' "$$po"; msgfmt --statistics -o /dev/null "$$po" 2>&1; \
	done

# The Baku visit and the fact-note visits beside it, loaded in one transaction.
FIXTURES := baku_2023 cis_council_dushanbe_2025 georgia_bulgaria_2017 uganda_dpp_baku_2025 \
	gcc_assistant_attorneys_general_2024 chinese_prosecutors_study_trip_2018 \
	uzbek_prosecutors_azerbaijan_2022

run: .venv messages
	$(MANAGE) migrate --noinput
	$(MANAGE) loaddata $(FIXTURES)
	@if [ "$$($(MANAGE) shell --verbosity 0 -c 'from django.conf import settings; print(settings.DEBUG)')" = True ]; then \
		echo "$(MANAGE) create_local_superuser"; \
		$(MANAGE) create_local_superuser; \
	else \
		echo "DJANGO_DEBUG is false: no local superuser is created (use manage.py createsuperuser)."; \
	fi
	$(MANAGE) runserver 127.0.0.1:$(PORT)

lint: .venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

# The deployment checks, as a production site runs them: DJANGO_DEBUG=false and only the
# three values production must set (a throw-away key; SQLite in memory, never written).
check: .venv
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	env -i PATH="$$PATH" DJANGO_DEBUG=false DJANGO_ALLOWED_HOSTS=registry.example \
		DATABASE_URL=sqlite:///:memory: \
		DJANGO_SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		$(MANAGE) check --deploy --fail-level WARNING

# The SQLite and PostgreSQL runs go side by side (tests/both_databases.sh): each is mostly
# one busy process, and the machine has two cores.
test: install lint check
	@MAKE="$(MAKE)" bash tests/both_databases.sh

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
	echo "DATABASE_STATEMENT_TIMEOUT=120 $(WITH_POSTGRES) $(BIN)/pytest $(PYTEST_ARGS)"; \
	DATABASE_STATEMENT_TIMEOUT=120 $(WITH_POSTGRES) $(BIN)/pytest $(PYTEST_ARGS)

# The benchmark's PostgreSQL cluster is kept in bench/.pgdata between runs (building a
# million visits takes minutes); it is tuned for loading and reading, not durability.
BENCH_PG_CONF := shared_buffers = 2GB
BENCH_PG_CONF += \nwork_mem = 32MB\nmaintenance_work_mem = 1GB\neffective_cache_size = 8GB
BENCH_PG_CONF += \nmax_wal_size = 8GB\nrandom_page_cost = 1.1\njit = off

bench: install
	WITH_POSTGRES_KEEP=bench/.pgdata WITH_POSTGRES_CONF="$$(printf '$(BENCH_PG_CONF)')" \
		$(WITH_POSTGRES) $(BIN)/python bench/run.py

# The production layout on this machine, from Debian's packages (nginx, redis-server,
# postgresql): every part on a free loopback port, all stopped on Ctrl-C. BENCH_ONLY=cluster
# make bench measures it.
cluster: .venv messages
	$(BIN)/python deploy/cluster.py

# The database is the one DATABASE_URL names, as for every other target.
backup: .venv
	$(MANAGE) backup $(if $(BACKUP_DIR),"$(BACKUP_DIR)")

restore: .venv
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=backups/<time>" >&2; exit 2; }
	$(MANAGE) restore "$(BACKUP)"

clean:
	rm -rf $(VENV) node_modules staticfiles tests/browser/screenshots .pytest_cache .ruff_cache
	find locale -name '*.mo' -delete
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
