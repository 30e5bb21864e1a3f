# lanshou — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
UV := $(BIN)/uv

.PHONY: run test lint bench setup lock clean-db

# uv (pinned, hash-checked) installs the locks: the same versions pip would, in seconds instead
# of minutes.
$(UV): requirements/uv.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes -r requirements/uv.txt
	@touch $@

# (Re)install when pyproject.toml or the lock changes; the stamp keeps repeated runs instant.
# Exactly the locked versions (hash-checked), then lanshou itself on top without resolving again;
# the check stops a lock that no longer covers pyproject.toml's dependencies (run `make lock`).
# Bytecode is compiled at install, as pip does (uv does not by default): every `lanshou` process
# would otherwise compile ~2,600 modules first wherever PYTHONDONTWRITEBYTECODE is set, about a
# second of CPU per command. src/ is compiled too; an edited module is recompiled when loaded.
$(VENV)/.installed: pyproject.toml requirements/lock-dev.txt $(UV)
	$(UV) pip install -q --python $(BIN)/python --require-hashes --compile-bytecode \
	  -r requirements/lock-dev.txt
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q -j 0 src
	@$(UV) pip check -q --python $(BIN)/python || { $(UV) pip check --python $(BIN)/python; \
	  echo "requirements/lock-dev.txt does not cover pyproject.toml: run make lock"; exit 1; }
	@touch $@

setup: $(VENV)/.installed

## Start lanshou with its embedded default: SQLite under var/, demo data, http://$(HOST):$(PORT)
run: $(VENV)/.installed
	@bash scripts/dev-env.sh
	LANSHOU_ENV=dev $(BIN)/lanshou db upgrade
	LANSHOU_ENV=dev $(BIN)/lanshou demo seed --if-empty
	LANSHOU_ENV=dev $(BIN)/lanshou serve --host $(HOST) --port $(PORT)

## Set up and run every test: lint, types, unit, integration (SQLite + PostgreSQL), end-to-end
test: $(VENV)/.installed
	@bash scripts/test.sh

lint: $(VENV)/.installed
	$(BIN)/ruff format --check src tests scripts $(wildcard bench)
	$(BIN)/ruff check src tests scripts $(wildcard bench)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

## Re-pin requirements/lock*.txt after a change to pyproject.toml; keeps every other pin.
## `make lock UPGRADE=1` moves everything to the newest allowed versions,
## `make lock UPGRADE=fastapi` just that package. Then `make setup` installs the new lock.
lock: $(UV)
	UV=$(UV) bash scripts/lock.sh $(UPGRADE)

## Run every benchmark under bench/ and rewrite docs/benchmarks.md
bench: $(VENV)/.installed
	$(BIN)/python bench/run_all.py

clean-db:
	rm -f var/lanshou.db var/lanshou.db-wal var/lanshou.db-shm
