/*
 * Registration of whoot-crypt VFS instances and the sqlite3_vfs methods. Each instance
 * wraps the "unix" VFS and holds its own copy of a key, so several databases (or tests)
 * can use different keys side by side.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "crypt_internal.h"

/// The wrapped unix file lives right after our struct, 8-byte aligned.
#define WC_FILE_HEAD ((sizeof(wc_file) + 7) & ~(size_t)7)

static pthread_mutex_t wc_registry = PTHREAD_MUTEX_INITIALIZER;

static wc_vfs *wv(sqlite3_vfs *v) { return (wc_vfs *)v; }
static sqlite3_vfs *root(sqlite3_vfs *v) { return wv(v)->root; }

static int wc_kind_for(int flags, wc_kind *out) {
    if (flags & SQLITE_OPEN_MAIN_DB) *out = WC_KIND_MAIN;
    else if (flags & SQLITE_OPEN_MAIN_JOURNAL) *out = WC_KIND_JOURNAL;
    else if (flags & SQLITE_OPEN_WAL) *out = WC_KIND_WAL;
    else if (flags & (SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TEMP_JOURNAL
                      | SQLITE_OPEN_TRANSIENT_DB | SQLITE_OPEN_SUBJOURNAL)) *out = WC_KIND_TEMP;
    else if (flags & SQLITE_OPEN_SUPER_JOURNAL) *out = WC_KIND_PLAIN;
    else return 0;
    return 1;
}

static void wc_release(wc_file *f) {
    EVP_CIPHER_CTX_free(f->ctx);
    sqlite3_free(f->scratch);
    OPENSSL_cleanse(f->temp_key, sizeof f->temp_key);
    f->ctx = NULL;
    f->scratch = NULL;
}

static int wc_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                   int *out_flags) {
    wc_file *f = (wc_file *)file;

    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)((char *)file + WC_FILE_HEAD);
    f->vfs = wv(vfs);
    f->path = name ? name : "(temporary)";
    if (!wc_kind_for(flags, &f->kind)) {
        wc_set_error("whoot-crypt: refused to open '%s': unknown file kind (flags 0x%x)",
                     f->path, flags);
        return SQLITE_CANTOPEN;
    }

    f->ctx = EVP_CIPHER_CTX_new();
    f->scratch = sqlite3_malloc(WC_SCRATCH_BYTES);
    if (!f->ctx || !f->scratch) {
        wc_release(f);
        return SQLITE_NOMEM;
    }
    if (f->kind == WC_KIND_TEMP && RAND_bytes(f->temp_key, sizeof f->temp_key) != 1) {
        wc_release(f);
        return SQLITE_CANTOPEN;
    }

    int rc = root(vfs)->xOpen(root(vfs), name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        wc_release(f);
        return rc;
    }
    __atomic_add_fetch(&f->vfs->open_files, 1, __ATOMIC_SEQ_CST);
    f->base.pMethods = &wc_io_methods;
    return SQLITE_OK;
}

void wc_vfs_file_closed(wc_vfs *vfs) {
    __atomic_sub_fetch(&vfs->open_files, 1, __ATOMIC_SEQ_CST);
}

int wc_vfs_is_ours(const sqlite3_vfs *vfs) { return vfs && vfs->xOpen == wc_open; }

static int wc_delete(sqlite3_vfs *v, const char *name, int sync_dir) {
    return root(v)->xDelete(root(v), name, sync_dir);
}
static int wc_access(sqlite3_vfs *v, const char *name, int flags, int *out) {
    return root(v)->xAccess(root(v), name, flags, out);
}
static int wc_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out) {
    return root(v)->xFullPathname(root(v), name, n, out);
}
static void *wc_dl_open(sqlite3_vfs *v, const char *name) {
    return root(v)->xDlOpen(root(v), name);
}
static void wc_dl_error(sqlite3_vfs *v, int n, char *out) { root(v)->xDlError(root(v), n, out); }
static void (*wc_dl_sym(sqlite3_vfs *v, void *h, const char *sym))(void) {
    return root(v)->xDlSym(root(v), h, sym);
}
static void wc_dl_close(sqlite3_vfs *v, void *h) { root(v)->xDlClose(root(v), h); }
static int wc_randomness(sqlite3_vfs *v, int n, char *out) {
    return root(v)->xRandomness(root(v), n, out);
}
static int wc_sleep(sqlite3_vfs *v, int us) { return root(v)->xSleep(root(v), us); }
static int wc_current_time(sqlite3_vfs *v, double *out) {
    return root(v)->xCurrentTime(root(v), out);
}
static int wc_get_last_error(sqlite3_vfs *v, int n, char *out) {
    return root(v)->xGetLastError(root(v), n, out);
}
static int wc_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out) {
    return root(v)->xCurrentTimeInt64(root(v), out);
}
static int wc_set_system_call(sqlite3_vfs *v, const char *name, sqlite3_syscall_ptr p) {
    return root(v)->xSetSystemCall(root(v), name, p);
}
static sqlite3_syscall_ptr wc_get_system_call(sqlite3_vfs *v, const char *name) {
    return root(v)->xGetSystemCall(root(v), name);
}
static const char *wc_next_system_call(sqlite3_vfs *v, const char *name) {
    return root(v)->xNextSystemCall(root(v), name);
}

int whoot_crypt_vfs_register(const char *vfs_name, const unsigned char key[32]) {
    size_t len = vfs_name ? strlen(vfs_name) : 0;
    sqlite3_vfs *unix_vfs;
    wc_vfs *v;
    int rc;

    if (len == 0 || len >= sizeof v->name || !key) {
        wc_set_error("whoot-crypt: a VFS needs a name of 1 to 63 bytes and a 32-byte key");
        return SQLITE_MISUSE;
    }
    pthread_mutex_lock(&wc_registry);
    unix_vfs = sqlite3_vfs_find("unix");
    if (sqlite3_vfs_find(vfs_name) || !unix_vfs || unix_vfs->iVersion < 3) {
        pthread_mutex_unlock(&wc_registry);
        wc_set_error(unix_vfs ? "whoot-crypt: a VFS named '%s' is already registered"
                              : "whoot-crypt: SQLite has no usable unix VFS for '%s'",
                     vfs_name);
        return unix_vfs ? SQLITE_MISUSE : SQLITE_ERROR;
    }
    v = calloc(1, sizeof *v);
    if (!v) {
        pthread_mutex_unlock(&wc_registry);
        return SQLITE_NOMEM;
    }

    memcpy(v->name, vfs_name, len + 1);
    memcpy(v->key, key, WHOOT_CRYPT_KEY_BYTES);
    wc_key_id(v->key, v->key_id);
    v->root = unix_vfs;
    v->base = (sqlite3_vfs){
        .iVersion = 3,
        .szOsFile = (int)(WC_FILE_HEAD + (size_t)unix_vfs->szOsFile),
        .mxPathname = unix_vfs->mxPathname,
        .zName = v->name,
        .xOpen = wc_open, .xDelete = wc_delete, .xAccess = wc_access,
        .xFullPathname = wc_full_pathname,
        .xDlOpen = wc_dl_open, .xDlError = wc_dl_error, .xDlSym = wc_dl_sym,
        .xDlClose = wc_dl_close,
        .xRandomness = wc_randomness, .xSleep = wc_sleep, .xCurrentTime = wc_current_time,
        .xGetLastError = wc_get_last_error, .xCurrentTimeInt64 = wc_current_time_int64,
        .xSetSystemCall = wc_set_system_call, .xGetSystemCall = wc_get_system_call,
        .xNextSystemCall = wc_next_system_call,
    };
    rc = sqlite3_vfs_register(&v->base, 0);
    if (rc != SQLITE_OK) {
        OPENSSL_cleanse(v, sizeof *v);
        free(v);
    }
    pthread_mutex_unlock(&wc_registry);
    return rc;
}

int whoot_crypt_vfs_unregister(const char *vfs_name) {
    sqlite3_vfs *found;
    wc_vfs *v;

    pthread_mutex_lock(&wc_registry);
    found = vfs_name ? sqlite3_vfs_find(vfs_name) : NULL;
    if (!wc_vfs_is_ours(found)) {
        pthread_mutex_unlock(&wc_registry);
        wc_set_error("whoot-crypt: no whoot-crypt VFS is named '%s'",
                     vfs_name ? vfs_name : "(null)");
        return SQLITE_NOTFOUND;
    }
    v = wv(found);
    if (__atomic_load_n(&v->open_files, __ATOMIC_SEQ_CST) > 0) {
        pthread_mutex_unlock(&wc_registry);
        wc_set_error("whoot-crypt: VFS '%s' still has open files; close its connections "
                     "first", vfs_name);
        return SQLITE_BUSY;
    }
    sqlite3_vfs_unregister(found);
    OPENSSL_cleanse(v, sizeof *v);
    free(v);
    pthread_mutex_unlock(&wc_registry);
    return SQLITE_OK;
}
