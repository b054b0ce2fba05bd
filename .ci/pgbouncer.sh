#!/usr/bin/env bash
# The PostgreSQL pass again, through a real PgBouncer in transaction mode (Debian's 1.18):
# the race tests and the reliability load test, with DATABASE_PREPARED_STATEMENTS=False (the
# one setting a transaction pooler needs, docs/SCALING.md). Then the same load test once with
# prepared statements left on, to show what that setting is for; that run is reported, never
# failed on. Needs PostgreSQL on 127.0.0.1:5432 and REDIS_URL; PGBOUNCER_PORT picks the port.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PGBOUNCER_PORT:-6432}"
PG_HOST=127.0.0.1
PG_PORT=5432
DB="${PGBOUNCER_DB:-referral_pgb_$$}"
: "${REDIS_URL:?REDIS_URL must point at a Redis}"
mkdir -p artifacts

bash .ci/apt-install.sh pgbouncer:pgbouncer
PGBOUNCER=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)

# Its own config, auth file and log in a temp dir; pgbouncer refuses to run as root.
RUN_AS=()
[ "$(id -u)" = 0 ] && RUN_AS=(runuser -u postgres --)
DIR=$(mktemp -d /tmp/pgbouncer-ci.XXXXXX)
drop_databases() {  # on PostgreSQL itself: FORCE ends the pooler's idle server connections
  for name in "$1" "test_$1" "${1}_live"; do
    psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -q \
      -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
}
cleanup() {
  if [ -f "$DIR/pgbouncer.pid" ]; then kill "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null || true; fi
  drop_databases "$DB"
  drop_databases "${DB}_prepared"
  rm -rf "$DIR"
}
trap cleanup EXIT

cat >"$DIR/pgbouncer.ini" <<INI
[databases]
* = host=$PG_HOST port=$PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = trust
auth_file = $DIR/userlist.txt
pool_mode = transaction
max_client_conn = 400
default_pool_size = 20
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
INI
echo '"postgres" ""' >"$DIR/userlist.txt"
[ "$(id -u)" = 0 ] && chown -R postgres "$DIR"
"${RUN_AS[@]}" "$PGBOUNCER" -d "$DIR/pgbouncer.ini"
for _ in $(seq 50); do pg_isready -h 127.0.0.1 -p "$PORT" -q && break; sleep 0.1; done
pg_isready -h 127.0.0.1 -p "$PORT"

export CACHE_KEY_PREFIX="pgb$$"
export RELIABILITY_LOAD_SECONDS="${RELIABILITY_LOAD_SECONDS:-20}"
TESTS=(users/tests/test_concurrency.py referrals/tests/test_races.py users/tests/test_tokens.py
  reliability/tests/test_load.py)

# --reuse-db: pytest-django keeps the test database instead of dropping it through the pooler
# (PgBouncer keeps idle server connections to it, and a plain DROP DATABASE would wait for
# them); each pass has a database of its own, dropped on PostgreSQL itself.
run_pass() {
  local db=$1 log=$2
  shift 2
  set +e
  env DATABASE_URL="postgres://postgres@127.0.0.1:${PORT}/${db}" "$@" \
    .venv/bin/python -m pytest -p no:cacheprovider --reuse-db \
    "${TESTS[@]}" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  return "$rc"
}

echo "---- through pgbouncer (transaction mode), DATABASE_PREPARED_STATEMENTS=False"
run_pass "$DB" artifacts/test-pgbouncer.log DATABASE_PREPARED_STATEMENTS=False

drop_databases "$DB"

echo "---- the same with prepared statements on (expected to break; reported, not failed on)"
TESTS=(users/tests/test_concurrency.py reliability/tests/test_load.py)
run_pass "${DB}_prepared" artifacts/test-pgbouncer-prepared.log DATABASE_PREPARED_STATEMENTS=True || true
grep -hoE '(prepared statement "[^"]+" (does not exist|already exists))' \
  artifacts/test-pgbouncer-prepared.log "$DIR"/pgbouncer.log 2>/dev/null | sort | uniq -c || true

printf '%-28s %s\n' "pgbouncer:" "$(grep -E '^=+ .*(passed|failed).* in ' artifacts/test-pgbouncer.log | tail -1)"
printf '%-28s %s\n' "pgbouncer, prepared on:" \
  "$(grep -E '^=+ .*(passed|failed).* in ' artifacts/test-pgbouncer-prepared.log | tail -1)"
