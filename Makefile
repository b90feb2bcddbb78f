# Herald: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3.11
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
AIRFLOW := $(VENV)/bin/airflow
HERALD_HOME := $(CURDIR)
BENCH ?=
# The tooling (demo world, fake platforms, runners) is importable only where it runs: never in Airflow's path.
DEV_PY = PYTHONPATH=$(CURDIR)/dev:$(PYTHONPATH) $(PY)

include config/native.env
-include .env
export

.PHONY: help venv lock airflow-init world demo up env lint test test-fast fuzz bench clean

help:
	@echo "make demo   - build everything on embedded defaults and run the pipelines (see README)"
	@echo "make test   - ruff, then every test (needs PostgreSQL and Redis on 127.0.0.1)"
	@echo "make up     - airflow standalone on the demo world and the fake platforms (UI on http://127.0.0.1:8080)"
	@echo "make bench [BENCH=name] - run the benchmarks"
	@echo "make fuzz   - the long fuzz run of the request doors (CLI and HTTP)"
	@echo "make stack  - the production configuration (Celery, 2 schedulers, 2 triggerers, 2 workers) natively; make stack-down stops it"
	@echo "make stack-status / stack-restart NAME=<process> - the stack's health checks / start one process again"
	@echo "make stack-e2e / stack-faults - Herald end to end on the stack (HERALD_E2E_POSTS=1000 full size) / with every fault"
	@echo "make soak MINUTES=N - keep the stack busy and report lateness, duplicates, memory and database growth"
	@echo "make lock   - refresh constraints.txt from the venv"

venv: $(VENV)/.installed

# Herald itself is installed editable: its entry point gives Airflow Herald's connection types (sql/ stays beside
# the source).
$(VENV)/.installed: requirements.txt requirements-test.txt constraints.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade "pip>=24"
	$(VENV)/bin/pip install --quiet -r requirements.txt -r requirements-test.txt -c constraints.txt
	$(VENV)/bin/pip install --quiet --no-deps -e .
	$(VENV)/bin/pip check
	touch $@

lock: venv
	$(VENV)/bin/pip freeze --exclude-editable | grep -v '^pip==' | LC_ALL=C sort > constraints.txt

.env: | venv
	$(DEV_PY) -m herald_dev.local_env .env

airflow-init: venv .env
	mkdir -p $(AIRFLOW_HOME) .demo
	$(AIRFLOW) db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || (tail -50 $(AIRFLOW_HOME)/db-migrate.log; exit 1)
	$(PY) -m herald_airflow.apply_settings

demo: airflow-init
	$(DEV_PY) -m herald_dev.demo

world: airflow-init
	test -f .demo/herald.db || $(DEV_PY) -m herald_dev.world --as-of $$(TZ=Asia/Shanghai date +%F)

up: world
	$(DEV_PY) -m herald_dev.standalone

# The native environment for a shell (config/native.env and .env, with ${HERALD_HOME} filled in, quoted for the
# shell): eval "$$(make -s env)" and the command line finds Herald's database and Airflow as make demo left them.
NATIVE_VARS := $(shell sed -n 's/^\([A-Z_][A-Z0-9_]*\)=.*/\1/p' config/native.env .env 2>/dev/null)
env:
	@$(foreach var,$(NATIVE_VARS),printf "export %s=%q\n" "$(var)" "$$$(var)";)

lint: venv
	$(VENV)/bin/ruff check .

test: venv .env lint
	$(PY) -m pytest

test-fast: venv .env
	$(PY) -m pytest -m "not slow and not dagrun"

# The long fuzz run (the short one is part of make test): thousands of examples a door, the database compared each time.
fuzz: venv .env
	HERALD_FUZZ=long $(PY) -m pytest tests/test_boundary_properties.py tests/test_http_fuzz.py tests/test_bad_request_corpus.py

bench: venv .env
	$(PY) tests/benchmarks/run.py $(BENCH)

clean:
	rm -rf .airflow .demo .bench

# The production configuration (docker-compose.yaml, CeleryExecutor with two schedulers, two triggerers and two
# workers) natively on the local PostgreSQL and Redis, from the same .env (docs/stack.md). WORLD=1 loads the demo world.
.PHONY: stack stack-down stack-status stack-restart
stack: venv .env
	$(DEV_PY) -m herald_dev.stack up $(if $(WORLD),--world)

stack-down: venv
	$(DEV_PY) -m herald_dev.stack down

stack-status: venv
	$(DEV_PY) -m herald_dev.stack status

# Start one process of the running stack again (stopping it first if it runs): make stack-restart NAME=airflow-worker-1
stack-restart: venv
	$(DEV_PY) -m herald_dev.stack restart $(NAME)

# Keep the stack busy for MINUTES (default 10) and report lateness, duplicates, memory per component and database
# growth (dev/herald_dev/soak.py): uses the running `make stack` (WORLD=1), or starts one and stops it at the end.
# STACK_DIR=<folder> soaks a scratch stack there instead (scratch databases, a free port; REDIS_DB its broker).
.PHONY: soak
soak: venv .env
	$(DEV_PY) -m herald_dev.soak --minutes $(or $(MINUTES),10) $(if $(STACK_DIR),--state-dir $(STACK_DIR)) $(if $(REDIS_DB),--redis-db $(REDIS_DB))

# Herald end to end on make stack's stack (tests/test_stack_e2e.py): a release queued and approved through the HTTP door
# and Airflow's Required Actions, dispatched, archived, scanned (digests delivered) and packed, plus a Celery worker
# killed mid-confirmation; stack-faults adds a triggerer killed, the fakes' 5xx and timeouts, PostgreSQL connections
# dropped, the api-server restarted while approvals are answered, Redis restarted. HERALD_E2E_POSTS=1000 is the
# issue's full size (default 40). make test runs a small run and a scheduler killed (tests/test_make_stack.py).
.PHONY: stack-e2e stack-faults
stack-e2e: venv .env
	HERALD_STACK_E2E=1 $(PY) -m pytest tests/test_stack_e2e.py

stack-faults: venv .env
	HERALD_STACK_E2E=1 HERALD_STACK_FAULTS=all $(PY) -m pytest tests/test_stack_e2e.py
