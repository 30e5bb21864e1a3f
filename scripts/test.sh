#!/usr/bin/env bash
# `make test`: start the services, lint, type-check, then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/test-services.sh)"
export LANSHOU_TEST_DATABASE_URL="${LANSHOU_TEST_DATABASE_URL:-}"
echo "== ruff"; .venv/bin/ruff format --check src tests scripts $([ -d bench ] && echo bench)
.venv/bin/ruff check src tests scripts $([ -d bench ] && echo bench)
echo "== mypy"; .venv/bin/mypy
echo "== import layers"; .venv/bin/lint-imports --no-cache
echo "== pytest"
.venv/bin/python -m pytest -n 2 --dist loadfile -q "$@"
