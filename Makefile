# The two commands a newcomer needs: `make run` (the site with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := webapp

.PHONY: run test install install-dev db-upgrade demo worker bench clean

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

## Install, create or upgrade the database, load the demo data when it is empty, serve on 127.0.0.1:$(PORT).
run: demo
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

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

clean:
	rm -rf $(VENV) instance/*.sqlite3 .pytest_cache
