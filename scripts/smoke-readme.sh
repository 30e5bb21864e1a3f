#!/usr/bin/env bash
# CI stage "README": `make run` in a fresh clone, the demo merchant's at-risk board in Chromium,
# README commands in the clone's directory (see scripts/smoke_readme.py). Options pass through:
#   --keep (keep the clone), --timeout SECONDS, --screenshot FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory -s setup  # this checkout's virtualenv brings Playwright
exec .venv/bin/python scripts/smoke_readme.py "$@"
