#!/usr/bin/env bash
# `make lock [UPGRADE=1|UPGRADE=package]`: pin every dependency with its hashes.
#   requirements/lock-dev.txt  runtime + dev extras: what `make run`, `make test` and CI install
#   requirements/lock.txt      runtime alone, the same versions: what CI's installed-package check uses
#   requirements/uv.txt        uv itself (requirements/uv.in), which installs and writes the locks
# Pins already in the files are kept unless UPGRADE asks otherwise, so adding one dependency to
# pyproject.toml moves nothing else. The lock is universal (every platform's markers and wheel
# hashes) for the Python versions pyproject.toml allows, starting at 3.11.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
upgrade=()
case "${1:-}" in
  "") ;;
  1|all) upgrade=(--upgrade) ;;
  *) upgrade=(--upgrade-package "$1") ;;
esac
common=(--universal --python-version 3.11 --generate-hashes --custom-compile-command "make lock")
mkdir -p requirements
"$UV" pip compile --quiet pyproject.toml --extra dev "${common[@]}" "${upgrade[@]}" \
  -o requirements/lock-dev.txt
# The runtime lock is constrained by the dev lock, so both install the same versions.
"$UV" pip compile --quiet pyproject.toml "${common[@]}" -c requirements/lock-dev.txt \
  -o requirements/lock.txt
"$UV" pip compile --quiet requirements/uv.in "${common[@]}" "${upgrade[@]}" -o requirements/uv.txt
echo "requirements/lock-dev.txt: $(grep -c '^[a-z]' requirements/lock-dev.txt) packages," \
  "requirements/lock.txt: $(grep -c '^[a-z]' requirements/lock.txt)"
