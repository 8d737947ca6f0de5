#!/usr/bin/env bash
# with-postgres.sh CMD [ARGS...]
#
# Runs CMD with a throwaway PostgreSQL server: a fresh cluster in a temp dir,
# listening on 127.0.0.1 only (free port) and on a unix socket inside the
# temp dir, with an empty database "cairn_test". CMD sees
#   CAIRN_TEST_POSTGRES_URL=postgresql://cairn@127.0.0.1:PORT/cairn_test
# The server is stopped and the temp dir removed on exit, whatever happens.
# Exits with CMD's status; exits 0 with "skipped: ..." when the PostgreSQL
# server binaries are not installed.
#
#   scripts/with-postgres.sh build-store/store_test
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

find_bindir() {
  if command -v pg_config >/dev/null 2>&1; then
    local d
    d="$(pg_config --bindir 2>/dev/null || true)"
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then echo "$d"; return; fi
  fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then echo "$d"; return; fi
  done
}

BINDIR="$(find_bindir)"
if [[ -z "$BINDIR" ]]; then
  echo "skipped: PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql"
  exit 0
fi

# PostgreSQL refuses to run as root: run the server as the `postgres` user
# (or, when that user is missing, as whoever we are if that is not root).
RUN_AS=()
if [[ "$(id -u)" -eq 0 ]]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "with-postgres: running as root and there is no 'postgres' user to run the server" >&2
    exit 1
  fi
  RUN_AS=(runuser -u postgres --)
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/cairn-pg.XXXXXX")"
PGDATA="$TMP/data"
SOCKDIR="$TMP/sock"
mkdir -p "$SOCKDIR"
if [[ ${#RUN_AS[@]} -gt 0 ]]; then chown -R postgres: "$TMP"; fi
chmod 700 "$TMP"

cleanup() {
  local rc=$?
  if [[ -f "$PGDATA/postmaster.pid" ]]; then
    "${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

"${RUN_AS[@]}" "$BINDIR/initdb" -D "$PGDATA" -U cairn --auth=trust --encoding=UTF8 \
  --locale=C.UTF-8 --no-sync >"$TMP/initdb.log" 2>&1 || {
  echo "with-postgres: initdb failed:" >&2
  cat "$TMP/initdb.log" >&2
  exit 1
}

# A free port can be taken between our check and the server's bind: retry.
started=0
for _ in 1 2 3 4 5; do
  PORT="$(free_port)"
  # fsync stays on: the tests must see PostgreSQL's real commit behaviour.
  if "${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$PGDATA" -w -t 60 -l "$TMP/server.log" \
       -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$SOCKDIR -c max_connections=50" \
       start >/dev/null 2>&1; then
    started=1
    break
  fi
done
if [[ $started -ne 1 ]]; then
  echo "with-postgres: the server did not start:" >&2
  cat "$TMP/server.log" >&2 || true
  exit 1
fi

"${RUN_AS[@]}" "$BINDIR/createdb" -h "$SOCKDIR" -p "$PORT" -U cairn cairn_test

export CAIRN_TEST_POSTGRES_URL="postgresql://cairn@127.0.0.1:$PORT/cairn_test"
echo "with-postgres: PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') at $CAIRN_TEST_POSTGRES_URL" >&2

set +e
"$@"
rc=$?
set -e
exit "$rc"
