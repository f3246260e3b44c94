# Two commands on a fresh machine: `make run` and `make test`. Each sets up .venv itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 4

# Servers already running on this machine (and CI's) are used when nothing else is set;
# otherwise the tests start their own (testcontainers if Docker answers, else wheels).
LOCAL_PG := postgresql://postgres@127.0.0.1:5432/postgres
LOCAL_NATS := nats://127.0.0.1:4222

.PHONY: install browser run test bench bench-pages bench-load bench-healthz lint format translations clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The browser tests drive Debian's Chromium through Playwright (never `playwright install`:
# nothing is downloaded but Debian packages); CJK fonts so Chinese pages render, not boxes.
# Installed once with apt-get when missing; when both are there this is two quick checks.
browser:
	@set -e; missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	dpkg -s fonts-noto-cjk 2>/dev/null | grep -q '^Status: install ok installed' \
	  || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing with apt-get for the browser tests"; \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

run: $(STAMP)
	$(VENV)/bin/warden up

test: $(STAMP) browser
	@set -e; \
	if [ -z "$$WARDEN_TEST_POSTGRES_URL" ] && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then \
	  export WARDEN_TEST_POSTGRES_URL=$(LOCAL_PG); fi; \
	if [ -z "$$WARDEN_TEST_NATS_URL" ] && (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then \
	  export WARDEN_TEST_NATS_URL=$(LOCAL_NATS); fi; \
	echo "PostgreSQL: $${WARDEN_TEST_POSTGRES_URL:-started by the tests}"; \
	echo "NATS:       $${WARDEN_TEST_NATS_URL:-started by the tests}"; \
	$(VENV)/bin/ruff check shared services tests bench; \
	$(VENV)/bin/lint-imports; \
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) bench/eventstore.py

# The console's pages with 10,000 seeded cases; PostgreSQL too when BENCH_POSTGRES_URL is set.
bench-pages: $(STAMP)
	$(PY) bench/pages.py $${BENCH_POSTGRES_URL:+--postgres $$BENCH_POSTGRES_URL}

# Open-loop load on the whole system as `make run` starts it, beside a minimal Flask stack;
# PostgreSQL too when BENCH_POSTGRES_URL is set. BENCH_LOAD_ARGS e.g. "--rates 25,50,100 --seconds 5".
bench-load: $(STAMP)
	$(PY) bench/load.py $(BENCH_LOAD_ARGS) $${BENCH_POSTGRES_URL:+--postgres $$BENCH_POSTGRES_URL}

# GET /healthz of one web process beside bare Flask on the same gunicorn settings (closed loop).
bench-healthz: $(STAMP)
	$(PY) bench/healthz.py $(BENCH_HEALTHZ_ARGS)

# lint-imports checks the import contracts in pyproject.toml (docs/architecture.md).
lint: $(STAMP)
	$(VENV)/bin/ruff check shared services tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff format --check shared services tests bench

format: $(STAMP)
	$(VENV)/bin/ruff format shared services tests bench
	$(VENV)/bin/ruff check --fix shared services tests bench

# Page catalogs: extract every marked string, merge it into zh_Hans_CN, compile. The .po and .mo
# files are committed, so running never needs this; tests/unit/test_translations.py checks
# that nothing marked is left untranslated and the .mo files match the .po files.
CATALOGS := shared/web/pages services/cases
translations: $(STAMP)
	@set -e; for dir in $(CATALOGS); do \
	  $(VENV)/bin/pybabel extract -F $$dir/babel.cfg -k _l -k N_ -o $$dir/translations/messages.pot $$dir; \
	  if [ -f $$dir/translations/zh_Hans_CN/LC_MESSAGES/messages.po ]; then \
	    $(VENV)/bin/pybabel update -N -i $$dir/translations/messages.pot -d $$dir/translations -l zh_Hans_CN; \
	  else \
	    $(VENV)/bin/pybabel init -i $$dir/translations/messages.pot -d $$dir/translations -l zh_Hans_CN; \
	  fi; \
	  $(VENV)/bin/pybabel compile -d $$dir/translations; \
	done

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .import_linter_cache
