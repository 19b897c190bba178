# The two commands a newcomer needs: `make run` (the site with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
# gunicorn worker processes for `make run`: WEB_CONCURRENCY when set, else 2 x CPUs + 1, at most 9.
WEB_CONCURRENCY ?= $(shell $(PYTHON) -c 'import os; print(min(2 * (os.cpu_count() or 1) + 1, 9))')
export FLASK_APP := webapp

.PHONY: run dev test install install-dev db-upgrade demo worker bench bench-load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

db-upgrade: install
	$(BIN)/flask db upgrade

demo: db-upgrade
	$(BIN)/flask demo load --if-empty

## Install, create or upgrade the database, load the demo data when it is empty, serve on 127.0.0.1:$(PORT)
## with gunicorn (the production server: $(WEB_CONCURRENCY) worker processes, SQLite in WAL mode shared by them).
run: demo
	$(BIN)/gunicorn 'webapp:create_app()' --config python:webapp.gunicorn_conf --bind 127.0.0.1:$(PORT) --workers $(WEB_CONCURRENCY) --worker-class sync --preload --access-logfile -

## The same steps, then Flask's development server: reloads on code changes, debugger on errors.
dev: demo
	$(BIN)/flask run --debug --host 127.0.0.1 --port $(PORT)

## Install the development dependencies, lint (ruff, configured in pyproject.toml) and run the whole test suite.
test: install-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## An RQ worker for the fetch queue (needs REDIS_URL).
worker: install
	$(BIN)/rq worker --url "$${REDIS_URL:?set REDIS_URL}" --with-scheduler fetch

## Benchmarks: page time and query counts, then fetch requests and quota.
bench: install-dev
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/fetch.py

## Load benchmark: the site under gunicorn next to a Flask "hello" floor (BENCH_ARGS="--quick" for a smoke run).
bench-load: install-dev
	$(BIN)/python bench/load.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance/*.sqlite3 .pytest_cache
