#!/bin/sh
# CI stand-in for the official postgres image's entrypoint, on Debian's PostgreSQL: the first
# start of an empty data directory runs initdb with POSTGRES_USER / POSTGRES_PASSWORD and
# creates POSTGRES_DB; then `postgres ARGS...` runs as the postgres user, listening on
# every address and asking for a password over TCP, as the official image does.
set -eu
BIN=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA
if [ "${1:-}" = postgres ]; then shift; fi
mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  user=${POSTGRES_USER:-postgres}
  : "${POSTGRES_PASSWORD:?the stand-in, like the official image, needs POSTGRES_PASSWORD}"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  chown postgres "$pwfile"
  runuser -u postgres -- "$BIN/initdb" -U "$user" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  db=${POSTGRES_DB:-$user}
  if [ "$db" != postgres ]; then
    runuser -u postgres -- "$BIN/postgres" --single -D "$PGDATA" postgres \
      <<SQL >/dev/null
CREATE DATABASE "$db" OWNER "$user";
SQL
  fi
  echo "stand-in postgres: initialised $PGDATA with database $db"
fi
exec runuser -u postgres -- "$BIN/postgres" -c listen_addresses='*' "$@"
