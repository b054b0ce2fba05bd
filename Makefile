# The README's commands. Needs only python3 (>= 3.11) and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run install install-run migrate test lint typecheck check lock clean bench bench-ci env

# Running needs requirements.lock only; the tests, linters and type checker add the dev lock.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.lock
	@# setuptools warns on every editable install that a folder named as the package may be
	@# imported instead: here it is the package itself.
	PYTHONWARNINGS="ignore:Editable installation" \
	  $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(RUN_STAMP)

$(DEV_STAMP): requirements-dev.lock $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	touch $(DEV_STAMP)

install-run: $(RUN_STAMP)  ## virtualenv with what running needs (requirements.lock)

install: $(DEV_STAMP)  ## the same plus the test, lint and type-check tools (requirements-dev.lock)

ENV_FILE ?= .env
env:  ## .env from sample.env with fresh random secrets (for docker compose); never overwrites
	$(PYTHON) deploy/make_env.py $(ENV_FILE)

migrate: install-run  ## the database's tables (a missing PostgreSQL database is created first)
	$(BIN)/python deploy/ensure_database.py
	$(BIN)/python manage.py migrate --noinput

run: migrate  ## set everything up and serve http://127.0.0.1:8000 on the embedded defaults
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install  ## the whole test suite, with line coverage
	$(BIN)/python -m pytest --cov --cov-report=term --cov-fail-under=90 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

check: lint typecheck test

bench: install  ## the benchmark at full scale; needs PostgreSQL, Redis and wrk (bench/README.md)
	$(BIN)/python -m bench.run

bench-ci: install  ## the same on small data, a few seconds per scenario; fails on any 5xx
	$(BIN)/python -m bench.run --ci

lock:  ## re-pin requirements*.lock from pyproject.toml (needs uv in the venv or on PATH)
	$(BIN)/uv pip compile pyproject.toml -o requirements.lock --python-version 3.11 -q --no-header
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements-dev.lock --python-version 3.11 -q --no-header

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage staticfiles
