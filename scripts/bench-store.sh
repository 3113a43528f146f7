#!/usr/bin/env bash
# Runs StoreBackendBench (release build) on SQLite and on a throwaway PostgreSQL cluster
# (scripts/pg-cluster.sh), torn down afterwards.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
SWIFT=${SWIFT:-swift}
"$SWIFT" build -c release --product StoreBackendBench

dir=$(mktemp -u /tmp/whoot-pg.XXXXXX)
export WHOOT_PG_FSYNC=on
trap 'scripts/pg-cluster.sh stop "$dir"' EXIT
base=$(scripts/pg-cluster.sh start "$dir")
psql "$base dbname=postgres user=whoot_owner" -X -q -c "CREATE DATABASE whoot_bench"
.build/release/StoreBackendBench "$base dbname=whoot_bench user=whoot_app" \
    "$base dbname=whoot_bench user=whoot_owner"
