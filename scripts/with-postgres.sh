#!/usr/bin/env bash
# Run a command against a private, throwaway PostgreSQL server (started here, always torn down).
# Exports MOSTRADOR_TEST_DATABASE_URL for the test suite. Works as root (initdb runs as `postgres`)
# or as an ordinary user. Needs PostgreSQL's server binaries (Debian: apt-get install postgresql).
set -euo pipefail

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "with-postgres: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 3
fi

# Under /tmp, not $TMPDIR: the `postgres` user must be able to reach it (a private TMPDIR is 0700).
ROOT=$(mktemp -d "${MOSTRADOR_PG_TMP_BASE:-/tmp}/mostrador-pg.XXXXXX")
DATA=$ROOT/data
PASSWORD=mostrador-test
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$ROOT"; chmod 700 "$ROOT"
  as_pg() { (cd "$ROOT" && runuser -u postgres -- "$@"); }
else
  as_pg() { (cd "$ROOT" && "$@"); }
fi
down() {
  as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w -t 20 stop >/dev/null 2>&1 \
    || as_pg "$PGBIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$ROOT"
}
trap down EXIT
unset PGHOST PGPORT PGDATA PGUSER PGDATABASE PGPASSWORD PGSERVICE

printf '%s\n' "$PASSWORD" > "$ROOT/pwfile"
[ "$(id -u)" = 0 ] && chown postgres "$ROOT/pwfile"
as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --pwfile="$ROOT/pwfile" --auth-local=trust \
  --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync >"$ROOT/initdb.log" 2>&1 \
  || { cat "$ROOT/initdb.log"; exit 1; }
rm -f "$ROOT/pwfile"

for try in 1 2 3 4 5; do
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$ROOT/server.log" -w -t 30 -o \
      "-c listen_addresses=127.0.0.1 -p $PORT -k $ROOT -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null; then break; fi
  tail -n 5 "$ROOT/server.log" >&2; [ "$try" = 5 ] && exit 1
done

PGPASSWORD=$PASSWORD "$PGBIN/psql" -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
  -c "CREATE DATABASE mostrador_test"
export MOSTRADOR_TEST_DATABASE_URL="postgresql://postgres:$PASSWORD@127.0.0.1:$PORT/mostrador_test"
echo "with-postgres: PostgreSQL on 127.0.0.1:$PORT" >&2
"$@"
