/*
 * whoot_crypt_prepare: makes a fresh connection safe to use with a whoot-crypt VFS.
 */
#include <stdio.h>
#include "crypt_internal.h"

/// SQLITE_FCNTL_RESERVE_BYTES appeared in SQLite 3.34.0.
#define WC_MIN_SQLITE 3034000

/// Reports a failed step, keeping the VFS's own message when it left one (it says more).
static int wc_step_failed(sqlite3 *db, const char *step, int rc) {
    if (whoot_crypt_last_error()[0] == 0) {
        wc_set_error("whoot-crypt: prepare failed at %s: %s (%s)", step, sqlite3_errmsg(db),
                     sqlite3_errstr(rc));
    }
    return rc;
}

static int wc_exec(sqlite3 *db, const char *sql) {
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? rc : wc_step_failed(db, sql, rc);
}

/// Runs a statement that yields one integer.
static int wc_query_int(sqlite3 *db, const char *sql, sqlite3_int64 *out) {
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(stmt, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_OK ? rc : wc_step_failed(db, sql, rc);
}

/// Writes page 1 of an empty database inside one IMMEDIATE transaction. Setting
/// user_version to its own value changes nothing a reader can see but makes SQLite write
/// page 1, which fixes the reserve on disk before anything else is written.
static int wc_materialize(sqlite3 *db) {
    sqlite3_int64 version = 0;
    char sql[64];
    int rc = wc_exec(db, "BEGIN IMMEDIATE");

    if (rc != SQLITE_OK) return rc;
    rc = wc_query_int(db, "PRAGMA user_version", &version);
    if (rc == SQLITE_OK) {
        snprintf(sql, sizeof sql, "PRAGMA user_version = %lld", (long long)version);
        rc = wc_exec(db, sql);
    }
    if (rc == SQLITE_OK) return wc_exec(db, "COMMIT");
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int whoot_crypt_prepare(sqlite3 *db) {
    sqlite3_vfs *vfs = NULL;
    sqlite3_int64 pages = 0;
    int reserve = WHOOT_CRYPT_RESERVE;
    int rc;

    whoot_crypt_clear_error();
    if (!db) {
        wc_set_error("whoot-crypt: prepare needs an open connection");
        return SQLITE_MISUSE;
    }
    if (sqlite3_libversion_number() < WC_MIN_SQLITE) {
        wc_set_error("whoot-crypt: SQLite %s is too old, 3.34.0 or later is needed",
                     sqlite3_libversion());
        return SQLITE_ERROR;
    }
    rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &vfs);
    if (rc != SQLITE_OK || !wc_vfs_is_ours(vfs)) {
        wc_set_error("whoot-crypt: the connection was not opened through a whoot-crypt VFS");
        return SQLITE_MISUSE;
    }

    rc = wc_exec(db, "PRAGMA temp_store = MEMORY");
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
    if (rc != SQLITE_OK) return wc_step_failed(db, "SQLITE_FCNTL_RESERVE_BYTES", rc);
    rc = wc_query_int(db, "PRAGMA page_count", &pages);
    if (rc != SQLITE_OK) return rc;
    return pages == 0 ? wc_materialize(db) : SQLITE_OK;
}
