#!/usr/bin/env bash
# `make run`: start the embedded PostgreSQL (unless AMPARO_DATABASE_URL names a server), migrate
# it, seed the demo, start web + worker + cron; stop the embedded server when this stops.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export FLASK_APP=wsgi
export PORT="${PORT:-5000}"
export BIND="${BIND:-127.0.0.1}"
export AMPARO_BASE_URL="${AMPARO_BASE_URL:-http://127.0.0.1:$PORT}"
mkdir -p instance

if [ -n "${AMPARO_REDIS_URL:-${REDIS_URL:-}}" ]; then
  export AMPARO_REDIS_URL="${AMPARO_REDIS_URL:-$REDIS_URL}"
else
  # A private Redis for this checkout, so `make run` needs nothing set up beforehand.
  if ! command -v redis-server >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "Installing Debian's redis-server…"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
    else
      echo "Amparo needs Redis. Install it (Debian/Ubuntu: sudo apt-get install redis-server)" >&2
      echo "or point AMPARO_REDIS_URL at a running one, then run 'make run' again." >&2
      exit 1
    fi
  fi
  REDIS_PORT="${AMPARO_RUN_REDIS_PORT:-6390}"
  REDIS_DIR="${AMPARO_RUN_REDIS_DIR:-$PWD/instance}"  # holds redis.pid and redis.log
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    mkdir -p "$REDIS_DIR"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
      --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log"
    for _ in $(seq 1 30); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.2; done
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 ||
      { echo "redis-server did not start on port $REDIS_PORT; see $REDIS_DIR/redis.log" >&2; exit 1; }
  fi
  export AMPARO_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
fi

if [ -z "${AMPARO_DATABASE_URL:-}" ]; then
  # The same engine as production, from a pip wheel: data kept between runs, Unix socket only.
  PG_DIR="${AMPARO_RUN_PG_DIR:-$PWD/instance/postgres}"
  AMPARO_DATABASE_URL="$($BIN/python -m tenants.local_postgres start "$PG_DIR")" ||
    { echo "The embedded PostgreSQL did not start; see $PG_DIR/log" >&2; exit 1; }
  export AMPARO_DATABASE_URL
  trap '$BIN/python -m tenants.local_postgres stop "$PG_DIR"' EXIT
fi

$BIN/flask db upgrade
# The seed's output is long; keep the law firm's TOTP line, which the lawyer needs to sign in.
$BIN/flask demo seed >instance/demo-seed.txt
TOTP_LINES=$(grep "TOTP secret" instance/demo-seed.txt | sed 's/^ *//' || true)
cat <<MSG

  Amparo is starting at $AMPARO_BASE_URL

  Demo logins (password: ${AMPARO_DEMO_PASSWORD:-amparo-demo})
    landlord@demo.amparo.test   landlord workspace
    business@demo.amparo.test   business workspace
    lawyer@demo.amparo.test     law firm workspace (two-factor sign-in: TOTP)
    levante@demo.amparo.test    a second law firm (enrols two-factor at its first sign-in)

  Two-factor for the demo lawyer: add this secret to an authenticator app, or run
  '.venv/bin/flask demo totp' for the code of the moment:
    $TOTP_LINES

  Emails go to the development mailbox: $AMPARO_BASE_URL/dev/mailbox/
  Stop with Ctrl-C.

MSG
# Not exec: the embedded PostgreSQL must stop after honcho has stopped web, worker and cron. So
# Ctrl-C or SIGTERM is handed to honcho, we wait for it, and the EXIT trap stops PostgreSQL.
$BIN/honcho start -f Procfile web worker cron &
honcho_pid=$!
trap 'kill -TERM "$honcho_pid" 2>/dev/null || true' INT TERM
status=0
wait "$honcho_pid" || status=$?
while kill -0 "$honcho_pid" 2>/dev/null; do wait "$honcho_pid" || status=$?; done
exit "$status"
