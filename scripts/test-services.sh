#!/usr/bin/env bash
# Start what the test suite needs and print the environment it should run with.
#   PostgreSQL: LANSHOU_TEST_DATABASE_URL if given, else a throw-away cluster under var/pg-test.
#   Chromium:   /usr/bin/chromium, installed from Debian's packages when missing and we are root.
# Without them the tests that need them skip loudly; with CI=true they fail instead.
set -u
cd "$(dirname "$0")/.."
PG_PORT="${LANSHOU_TEST_PG_PORT:-55432}"
PG_DIR="$PWD/var/pg-test"

log() { printf '[test-services] %s\n' "$*" >&2; }

pg_bin() {
  local v
  for v in $(ls /usr/lib/postgresql 2>/dev/null | sort -rn); do
    [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ] && { echo "/usr/lib/postgresql/$v/bin"; return 0; }
  done
  return 1
}

ensure_packages() {
  [ "$(id -u)" = 0 ] || return 0
  command -v apt-get >/dev/null || return 0
  local missing=()
  pg_bin >/dev/null || missing+=(postgresql)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  fc-list 2>/dev/null | grep -qi "cjk" || missing+=(fonts-noto-cjk)
  command -v pdftotext >/dev/null || missing+=(poppler-utils)  # the dossier PDF's tests
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} from Debian's packages"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 \
    || log "could not install ${missing[*]}"
}

start_postgres() {
  if [ -n "${LANSHOU_TEST_DATABASE_URL:-}" ]; then echo "$LANSHOU_TEST_DATABASE_URL"; return 0; fi
  local bin; bin=$(pg_bin) || { log "PostgreSQL not found"; return 1; }
  local as=()
  if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
  if [ ! -f "$PG_DIR/PG_VERSION" ]; then
    mkdir -p "$PG_DIR"; [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
    "${as[@]}" "$bin/initdb" -D "$PG_DIR" -U lanshou --auth=trust -E UTF8 >/dev/null 2>&1 \
      || { log "initdb failed"; return 1; }
  fi
  if "${as[@]}" "$bin/pg_ctl" -D "$PG_DIR" status >/dev/null 2>&1; then
    PG_PORT=$(sed -n 4p "$PG_DIR/postmaster.pid")
  else
    local port started=""
    # The usual port may belong to another server (a second checkout): take the next free one.
    for port in $(seq "$PG_PORT" $((PG_PORT + 20))); do
      "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" >/dev/null 2>&1 && continue
      if "${as[@]}" "$bin/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/server.log" -w \
        -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null 2>&1; then
        PG_PORT=$port; started=1; break
      fi
    done
    [ -n "$started" ] || { log "PostgreSQL did not start; see $PG_DIR/server.log"; return 1; }
  fi
  "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U lanshou -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='lanshou_test'" | grep -q 1 \
    || "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U lanshou lanshou_test
  echo "postgresql+psycopg://lanshou@127.0.0.1:$PG_PORT/lanshou_test"
}

ensure_packages
if url=$(start_postgres); then
  echo "export LANSHOU_TEST_DATABASE_URL='$url'"
else
  log "!!! PostgreSQL is unavailable: PostgreSQL tests will skip (fail under CI=true)"
fi
[ -x /usr/bin/chromium ] || log "!!! /usr/bin/chromium is missing: browser tests will skip (fail under CI=true)"
