#!/usr/bin/env bash
# `make run`: write the development settings it serves with into .env, so that every command of
# the README run in this directory (`.venv/bin/lanshou report`, `explain`, `audit verify`, ...)
# sees the same database and needs no secret key (in dev the key is generated and kept in var/).
# Keys already in .env stay as the user set them; only missing ones are added.
set -euo pipefail
cd "$(dirname "$0")/.."
ENV_FILE=.env

has_key() { grep -Eiq "^[[:space:]]*(export[[:space:]]+)?$1[[:space:]]*=" "$ENV_FILE" 2>/dev/null; }
add() {
  has_key "$1" && return 0
  if [ ! -e "$ENV_FILE" ]; then
    echo "# Written by make run: development settings for the lanshou commands run here." >"$ENV_FILE"
  elif [ -s "$ENV_FILE" ] && [ "$(tail -c1 "$ENV_FILE")" != "" ]; then
    echo >>"$ENV_FILE"  # the last line had no newline
  fi
  echo "$1=$2" >>"$ENV_FILE"
  echo "[make run] $ENV_FILE: $1=$2"
}
add LANSHOU_ENV dev
add LANSHOU_DATABASE_URL sqlite:///var/lanshou.db
