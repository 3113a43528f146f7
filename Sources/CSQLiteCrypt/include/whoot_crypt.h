/*
 * whoot-crypt: a SQLite VFS shim that encrypts every database page at rest.
 *
 * Each page of the main database, each page image in the WAL and in the rollback journal
 * is sealed with AES-256-GCM under a fresh random 12-byte nonce; nonce, tag and a 4-byte
 * key id live in the last WHOOT_CRYPT_RESERVE bytes of the page, which SQLite is told to
 * leave unused ("reserved bytes per page"). Temporary files are sealed with AES-256-CTR
 * under a per-file key that exists only in memory. See docs/encryption-at-rest.md.
 *
 * Typical use (the order matters):
 *   whoot_crypt_vfs_register("whoot-crypt-main", key);
 *   sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "whoot-crypt-main");
 *   whoot_crypt_prepare(db);            before any other statement on the connection
 *   PRAGMA journal_mode=WAL; ...        then use the connection as usual
 *   sqlite3_close_v2(db);
 *   whoot_crypt_vfs_unregister("whoot-crypt-main");
 *
 * Thread safety: register/unregister may be called from any thread; the VFS itself is as
 * thread safe as SQLite's unix VFS. whoot_crypt_last_error() is per thread.
 */
#ifndef WHOOT_CRYPT_H
#define WHOOT_CRYPT_H

#include <sqlite3.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Bytes reserved at the end of every page: 12 nonce + 16 GCM tag + 4 key id.
#define WHOOT_CRYPT_RESERVE 32

/// Length of the key in bytes (AES-256).
#define WHOOT_CRYPT_KEY_BYTES 32

/// Registers a VFS called `vfs_name` that wraps the default "unix" VFS and seals pages with
/// a private copy of `key` (32 bytes). It is not made the default VFS. Returns SQLITE_OK,
/// SQLITE_MISUSE if the name is empty, too long (> 63 bytes) or already registered,
/// SQLITE_NOMEM, or SQLITE_ERROR if the unix VFS is missing.
int whoot_crypt_vfs_register(const char *vfs_name, const unsigned char key[32]);

/// Unregisters a VFS made by whoot_crypt_vfs_register and wipes its key. Returns SQLITE_OK,
/// SQLITE_NOTFOUND if no whoot-crypt VFS has that name, or SQLITE_BUSY while files opened
/// through it are still open (close every connection first).
int whoot_crypt_vfs_unregister(const char *vfs_name);

/// Makes a fresh connection opened through a whoot-crypt VFS ready for use: checks the
/// SQLite version (>= 3.34), sets `temp_store=MEMORY`, asks for WHOOT_CRYPT_RESERVE reserved
/// bytes per page, reads page 1 (so a wrong key fails here with SQLITE_NOTADB if it did not
/// already fail in sqlite3_open_v2) and, on a brand-new empty database, writes page 1 once
/// so that the reserve is fixed on disk before anything else. Call it before creating tables
/// or switching to WAL. Returns SQLITE_OK or an SQLite error code; the reason is then in
/// whoot_crypt_last_error().
int whoot_crypt_prepare(sqlite3 *db);

/// The last failure the VFS or whoot_crypt_prepare saw on the calling thread, as one line
/// without secrets ("" when none). Valid until the next whoot-crypt call on this thread.
const char *whoot_crypt_last_error(void);

/// Clears the calling thread's last error.
void whoot_crypt_clear_error(void);

/// How many WAL frames, process wide, failed authentication while SQLite was recovering a
/// WAL and were therefore treated as the end of the log (a torn write after a crash, or
/// tampering). A growing count deserves a warning in the logs.
unsigned long long whoot_crypt_wal_frames_rejected(void);

#ifdef __cplusplus
}
#endif

#endif
