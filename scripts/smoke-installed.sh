#!/usr/bin/env bash
# CI stage "installed package": lanshou as a user gets it from `pip install`, not the checkout.
#
# A clean virtualenv gets the runtime lock (requirements/lock.txt, no dev extras) and then the
# project itself, built as a wheel and installed non-editable. Every command then runs from an
# empty directory (no src/, no .env), so a module, template, rule file or migration that is missing
# from the wheel, or a runtime dependency that only the dev extras bring in, fails here.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d -t lanshou-installed.XXXXXX)
SERVER_PID="" WORKER_PID=""
CHECKS=0

say() { printf '[smoke-installed +%ss] %s\n' "$SECONDS" "$*"; }
fail() { say "FAILED: $*"; exit 1; }
passed() { CHECKS=$((CHECKS + 1)); say "ok: $*"; }

stop() {  # stop a process group started below, and wait until none of it is left
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 -- "-$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL -- "-$pid" 2>/dev/null || true
}
cleanup() { stop "$SERVER_PID"; stop "$WORKER_PID"; rm -rf "$WORK"; }
trap cleanup EXIT

make --no-print-directory -s .venv/bin/uv  # this checkout's uv installs the lock quickly
say "virtualenv in $WORK/venv"
"$PYTHON" -m venv "$WORK/venv"
say "installing the runtime lock (requirements/lock.txt) into it"
.venv/bin/uv pip install --quiet --python "$WORK/venv/bin/python" --require-hashes --compile-bytecode -r requirements/lock.txt
say "pip install of lanshou, built as a wheel from the committed files (not editable, no extras)"
git -C "$REPO" archive --format=tar HEAD | (mkdir "$WORK/src" && tar -x -C "$WORK/src")
"$WORK/venv/bin/python" -m pip install --quiet --no-deps "$WORK/src" 2>"$WORK/pip.err" \
  || { grep -v "neither a file nor a directory" "$WORK/pip.err"; fail "pip install"; }
"$WORK/venv/bin/python" -m pip check 2>/dev/null \
  || fail "pip check: requirements/lock.txt does not cover pyproject.toml's dependencies (make lock)"
passed "installed from the lock; pip check clean"

RUN="$WORK/run"
mkdir "$RUN"
cd "$RUN"
# A production-like environment: the secret key set, a private SQLite database and var/.
for name in $(env | sed -n 's/^\(LANSHOU_[A-Z_]*\)=.*/\1/p'); do unset "$name"; done
export LANSHOU_ENV=prod LANSHOU_SECRET_KEY=smoke-installed-secret-key-0123456789
export LANSHOU_DATABASE_URL="sqlite:///$RUN/lanshou.db" LANSHOU_VAR_DIR="$RUN/var"
export PATH="$WORK/venv/bin:$PATH"
[ "$(command -v lanshou)" = "$WORK/venv/bin/lanshou" ] || fail "lanshou is not the installed one"

location=$(python -c 'import lanshou, os; print(os.path.dirname(lanshou.__file__))')
case "$location" in
  "$WORK/venv/"*) passed "lanshou imported from $location" ;;
  *) fail "lanshou imported from $location, not from the virtualenv" ;;
esac

run() {  # run a lanshou command, show its output, fail on a non-zero exit
  local rc=0
  say "\$ lanshou $*"
  lanshou "$@" >"$RUN/out.txt" 2>"$RUN/err.txt" || rc=$?
  sed 's/^/    /' "$RUN/out.txt" "$RUN/err.txt"
  [ "$rc" = 0 ] || fail "lanshou $* exited $rc"
}
get() {  # get URL OUTPUT-FILE: fail unless the answer is 200 (a bare machine has no curl)
  python - "$@" <<'EOF'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as answer:
    open(sys.argv[2], "wb").write(answer.read())
EOF
}
expect() {  # expect OUTPUT-FILE PATTERN WHAT
  grep -q -- "$2" "$1" || { cat "$1"; fail "$3: '$2' not in the output"; }
  passed "$3"
}

run db upgrade
expect "$RUN/out.txt" "database schema at head" "lanshou db upgrade"

# Two orders paid three days ago, as of an hour later: one still waiting for pickup (its
# deadline has passed by now, so the worker's first sweep has work), one picked up.
paid=$(date -u -d '3 days ago' +%Y-%m-%dT%H:00:00+00:00)
shipped=$(date -u -d "$paid + 20 minutes" +%Y-%m-%dT%H:%M:00+00:00)
picked=$(date -u -d "$paid + 40 minutes" +%Y-%m-%dT%H:%M:00+00:00)
as_of=$(date -u -d "$paid + 1 hour" +%Y-%m-%dT%H:%M:00+00:00)
cat >"$RUN/orders.csv" <<EOF
order_id,shop_id,paid_at,amount,quantity,province,status,shipped_at,carrier,waybill
SMOKE-1,smoke-shop,$paid,128.00,1,浙江,paid,,,
SMOKE-2,smoke-shop,$paid,59.90,2,广东,shipped,$shipped,SF,SF0000000001
EOF
cat >"$RUN/tracking.csv" <<EOF
carrier,waybill,time,status,location,description
SF,SF0000000001,$shipped,created,杭州,已下单
SF,SF0000000001,$picked,picked_up,杭州,顺丰速运 已收取快件
EOF

run check --profile douyin --source generic --orders "$RUN/orders.csv" \
  --tracking "$RUN/tracking.csv" --now "$as_of" --json
python - "$RUN/out.txt" <<'EOF' || fail "lanshou check --json: not the expected summary"
import json, sys
summary = json.load(open(sys.argv[1], encoding="utf-8"))["summary"]
assert summary == {
    "shipments": 2, "evaluated": 2, "violations": {"ship_timeout": 0, "pickup_timeout": 0},
    "open": 1, "compensation_total": "0.00", "fine_total": "0.00", "auto_refund_total": "0.00",
}, summary
EOF
passed "lanshou check --json: 2 shipments evaluated, 1 open, no violation yet"

run import orders "$RUN/orders.csv" --source generic --now "$as_of"
expect "$RUN/out.txt" "^新增：2 单$" "lanshou import orders: 2 inserted (in Chinese, the default language)"
run import tracking "$RUN/tracking.csv"
expect "$RUN/out.txt" "2 行：保存 2 条" "lanshou import tracking: 2 stored (in Chinese, the default language)"

say "\$ lanshou worker (sweeping every second)"
LANSHOU_WORKER_INTERVAL_SECONDS=1 setsid lanshou worker >"$RUN/worker.log" 2>&1 &
WORKER_PID=$!
for _ in $(seq 60); do
  grep -q "sweep:" "$RUN/worker.log" && break
  kill -0 "$WORKER_PID" 2>/dev/null || { cat "$RUN/worker.log"; fail "lanshou worker exited"; }
  sleep 0.5
done
sed 's/^/    /' "$RUN/worker.log"
expect "$RUN/worker.log" "sweep: .* 1 new violations" "lanshou worker swept: SMOKE-1 missed its deadline"
! grep -q -e "sweep failed" -e Traceback "$RUN/worker.log" || fail "lanshou worker logged an error"
stop "$WORKER_PID"; WORKER_PID=""

run report --json
python - "$RUN/out.txt" <<'EOF' || fail "lanshou report --json: not the expected report"
import json, sys
from decimal import Decimal
report = json.load(open(sys.argv[1], encoding="utf-8"))
assert report["shops"] == ["smoke-shop"], report["shops"]
assert report["violations"] == {"ship_timeout": 1}, report["violations"]
money = {key: Decimal(report[key]) for key in ("compensation", "fines", "refunds", "recovered")}
assert Decimal(report["net_loss"]) == (money["compensation"] + money["fines"] + money["refunds"]
                                       - money["recovered"]), report
EOF
passed "lanshou report --json: the worker's violation, a net loss that adds up"
run explain SMOKE-1
expect "$RUN/out.txt" "SMOKE-1" "lanshou explain SMOKE-1"
run audit verify  # exit 0: the chain is intact (its words follow the locale)
passed "lanshou audit verify"

port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
say "\$ lanshou serve --port $port"
setsid lanshou serve --host 127.0.0.1 --port "$port" >"$RUN/serve.log" 2>&1 &
SERVER_PID=$!
base="http://127.0.0.1:$port"
for _ in $(seq 120); do
  get "$base/api/v1/health" "$RUN/health.json" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$RUN/serve.log"; fail "lanshou serve exited"; }
  sleep 0.5
done
[ -s "$RUN/health.json" ] || { cat "$RUN/serve.log"; fail "no answer from $base/api/v1/health"; }
expect "$RUN/health.json" '"status":"ok"' "GET /api/v1/health: $(cat "$RUN/health.json")"
get "$base/login" "$RUN/login.html" || fail "GET /login"
expect "$RUN/login.html" 'name="password"' "GET /login rendered its template"
get "$base/static/css/app.css" /dev/null || fail "GET /static/css/app.css"
passed "GET /static/css/app.css"
stop "$SERVER_PID"; SERVER_PID=""
! grep -q Traceback "$RUN/serve.log" || { cat "$RUN/serve.log"; fail "lanshou serve logged a traceback"; }

say "$CHECKS passed, 0 failed"
