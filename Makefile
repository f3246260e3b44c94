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

.PHONY: install run test bench lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/warden up

test: $(STAMP)
	@set -e; \
	if [ -z "$$WARDEN_TEST_POSTGRES_URL" ] && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then \
	  export WARDEN_TEST_POSTGRES_URL=$(LOCAL_PG); fi; \
	if [ -z "$$WARDEN_TEST_NATS_URL" ] && (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then \
	  export WARDEN_TEST_NATS_URL=$(LOCAL_NATS); fi; \
	echo "PostgreSQL: $${WARDEN_TEST_POSTGRES_URL:-started by the tests}"; \
	echo "NATS:       $${WARDEN_TEST_NATS_URL:-started by the tests}"; \
	$(VENV)/bin/ruff check shared services tests bench; \
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) bench/eventstore.py

lint: $(STAMP)
	$(VENV)/bin/ruff check shared services tests bench
	$(VENV)/bin/ruff format --check shared services tests bench

format: $(STAMP)
	$(VENV)/bin/ruff format shared services tests bench
	$(VENV)/bin/ruff check --fix shared services tests bench

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
