# lanshou — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench setup clean-db

# (Re)install when pyproject.toml changes; the stamp keeps repeated runs instant.
$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

setup: $(VENV)/.installed

## Start lanshou with its embedded default: SQLite under var/, demo data, http://$(HOST):$(PORT)
run: $(VENV)/.installed
	LANSHOU_ENV=dev $(BIN)/lanshou db upgrade
	LANSHOU_ENV=dev $(BIN)/lanshou demo seed --if-empty
	LANSHOU_ENV=dev $(BIN)/lanshou serve --host $(HOST) --port $(PORT)

## Set up and run every test: lint, types, unit, integration (SQLite + PostgreSQL), end-to-end
test: $(VENV)/.installed
	@bash scripts/test.sh

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/mypy

## Run every benchmark under bench/ and rewrite docs/benchmarks.md
bench: $(VENV)/.installed
	$(BIN)/python bench/run_all.py

clean-db:
	rm -f var/lanshou.db var/lanshou.db-wal var/lanshou.db-shm
