#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: initdb in a temporary directory, a Unix
# socket only (listen_addresses = ''), two roles, torn down by `stop`.
#
#   scripts/pg-cluster.sh start DIR   creates and starts the cluster in DIR (must not exist)
#                                     and prints the base conninfo, e.g. "host=DIR port=5432"
#   scripts/pg-cluster.sh stop DIR    stops the server and removes DIR
#
# Roles: whoot_owner (owns the schema, runs migrations, may create databases) and
# whoot_app (what whootd connects as: owns nothing, no BYPASSRLS, no superuser).
# fsync is off unless WHOOT_PG_FSYNC=on (the benchmark sets it): test data is thrown away.
# Authentication is `trust` on the socket, which lives in DIR (mode 0700), so only the
# cluster's user and root can reach it. Running as root (CI), the server runs as the
# unprivileged `postgres` user of the Debian package.
set -euo pipefail

PGBIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
[ -x "$PGBIN/initdb" ] || PGBIN=/usr/lib/postgresql/15/bin
PORT=5432

as_server() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
    local dir=$1
    mkdir -m 0700 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    as_server "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
        --no-instructions >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_server "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' -p $PORT" \
        -o "-c fsync=${WHOOT_PG_FSYNC:-off} -c max_connections=300" start \
        || { cat "$dir/server.log" >&2; exit 1; }
    as_server "$PGBIN/psql" -h "$dir" -p $PORT -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE whoot_owner LOGIN CREATEDB" \
        -c "CREATE ROLE whoot_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
    echo "host=$dir port=$PORT"
}

stop() {
    local dir=$1
    [ -d "$dir/data" ] && as_server "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w -s stop \
        || true
    rm -rf "$dir"
}

case "${1:-}" in
    start) start "$2" ;;
    stop) stop "$2" ;;
    *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
