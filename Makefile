# Herald: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3.11
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
AIRFLOW := $(VENV)/bin/airflow
HERALD_HOME := $(CURDIR)
BENCH ?=

include config/native.env
-include .env
export

.PHONY: help venv lock airflow-init world demo up test test-fast bench clean

help:
	@echo "make demo   - build everything on embedded defaults and run the pipelines (see README)"
	@echo "make test   - run every test (needs PostgreSQL and Redis on 127.0.0.1)"
	@echo "make up     - airflow standalone on the demo world and the fake platforms (UI on http://127.0.0.1:8080)"
	@echo "make bench [BENCH=name] - run the benchmarks"
	@echo "make lock   - refresh constraints.txt from the venv"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-test.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade "pip>=24"
	$(VENV)/bin/pip install --quiet -r requirements.txt -r requirements-test.txt -c constraints.txt
	$(VENV)/bin/pip check
	touch $@

lock: venv
	$(VENV)/bin/pip freeze --exclude-editable | grep -v '^pip==' | LC_ALL=C sort > constraints.txt

.env: | venv
	$(PY) -m herald_airflow.local_env .env

airflow-init: venv .env
	mkdir -p $(AIRFLOW_HOME) .demo
	$(AIRFLOW) db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || (tail -50 $(AIRFLOW_HOME)/db-migrate.log; exit 1)
	$(PY) -m herald_airflow.apply_settings

demo: airflow-init
	$(PY) -m herald_airflow.demo

world: airflow-init
	test -f .demo/herald.db || $(PY) -m herald.world --as-of $$(TZ=Asia/Shanghai date +%F)

up: world
	$(PY) -m herald_airflow.standalone

test: venv .env
	$(PY) -m pytest

test-fast: venv .env
	$(PY) -m pytest -m "not slow and not dagrun"

bench: venv .env
	$(PY) tests/benchmarks/run.py $(BENCH)

clean:
	rm -rf .airflow .demo .bench
