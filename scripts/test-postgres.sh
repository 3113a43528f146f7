#!/usr/bin/env bash
# The control plane's tests once more, on PostgreSQL: starts a throwaway cluster
# (scripts/pg-cluster.sh), runs the ControlTests suites against it with row-level
# security in force, and tears the cluster down whatever happens.
# Skipped: tests that read the SQLite file itself (WAL, bytes at rest, raw trigger drops).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
SWIFT=${SWIFT:-swift}
SQLITE_ONLY='AuditTamperTests|EncryptionAtRestTests|databaseIsInWALModeWithForeignKeys'
SQLITE_ONLY+='|onlyTheTokensHashIsStoredAndAudited|passwordIsStoredAsArgon2id'
SQLITE_ONLY+='|theSecretIsSealedAtRestAndBoundToItsMember'

dir=$(mktemp -u /tmp/whoot-pg.XXXXXX)
trap 'scripts/pg-cluster.sh stop "$dir"' EXIT
base=$(scripts/pg-cluster.sh start "$dir")
echo "test-postgres: cluster at $dir"

WHOOT_TEST_POSTGRES="$base" "$SWIFT" test --filter 'ControlTests' \
    --skip "$SQLITE_ONLY" "$@"
