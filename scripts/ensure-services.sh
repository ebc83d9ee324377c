#!/usr/bin/env bash
# Makes sure what the tests need answers: Redis on loopback, Debian's Chromium, and PostgreSQL on
# 127.0.0.1:5432 when this machine has one (without it, the tests start the embedded server).
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
apt_install() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 || {
    as_root apt-get update -qq >/dev/null 2>&1 &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; }
}

pg=ok
if ! pg_up && [ -z "${AMPARO_TEST_PG_ADMIN:-}" ] && [ -d /etc/postgresql ]; then
  echo "PostgreSQL is down; starting it"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if [ -n "${AMPARO_TEST_PG_ADMIN:-}" ]; then
  pg="as AMPARO_TEST_PG_ADMIN says, else embedded"
elif ! pg_up; then
  pg="embedded (nothing answers on 127.0.0.1:5432)"
fi

if ! redis_up; then
  echo "Redis is down; starting it"
  command -v redis-server >/dev/null || apt_install redis-server || true
  mkdir -p /tmp/amparo-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp/amparo-redis --logfile /tmp/amparo-redis/redis.log || true
  for _ in $(seq 1 30); do redis_up && break; sleep 0.5; done
  redis_up || { echo "Redis does not answer on 127.0.0.1:6379; start it and retry." >&2; exit 1; }
fi

# WeasyPrint subsets fonts with HarfBuzz; without it, it warns (an error in our tests).
if ! ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset; then
  echo "Installing HarfBuzz's subsetter for WeasyPrint"
  apt_install libharfbuzz-subset0 || echo "Could not install libharfbuzz-subset0" >&2
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests"
  apt_install chromium fonts-dejavu-core || {
    echo "Could not install chromium (apt-get install chromium); browser tests need it." >&2; exit 1; }
fi
echo "services: PostgreSQL $pg, Redis ok, Chromium ok"
