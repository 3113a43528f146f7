/*
 * The sqlite3_io_methods of a whoot-crypt file: reads and writes are routed by file kind,
 * everything else goes to the wrapped unix file unchanged. The methods are version 2: no
 * xFetch, so SQLite never memory-maps a sealed file and always reads through us.
 */
#include <string.h>
#include <stdlib.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "crypt_internal.h"

static wc_file *wc(sqlite3_file *p) { return (wc_file *)p; }

int wc_real_read(wc_file *f, void *buf, int amt, int64_t off) {
    return f->real->pMethods->xRead(f->real, buf, amt, off);
}

int wc_page_error(wc_file *f, int rc, uint32_t pgno) {
    const char *kind = wc_kind_name(f->kind);

    if (rc == SQLITE_NOTADB) {
        wc_set_error("whoot-crypt: wrong key for %s '%s': page %u was sealed under a "
                     "different key", kind, f->path, pgno);
    } else if (rc == SQLITE_IOERR_DATA) {
        wc_set_error("whoot-crypt: %s '%s': page %u failed authentication (corrupted or "
                     "altered on disk)", kind, f->path, pgno);
    } else if (rc == SQLITE_IOERR_SHORT_READ) {
        wc_set_error("whoot-crypt: %s '%s': page %u is cut short (file truncated)", kind,
                     f->path, pgno);
        rc = SQLITE_IOERR_DATA;
    } else {
        wc_set_error("whoot-crypt: %s '%s': the cipher failed on page %u", kind, f->path,
                     pgno);
    }
    return rc;
}

/* Temp files: AES-256-CTR under a key made at open that never leaves memory. */

static int wc_temp_write(wc_file *f, const unsigned char *buf, int amt, int64_t off) {
    while (amt > 0) {
        int chunk = amt > WC_SCRATCH_BYTES ? WC_SCRATCH_BYTES : amt;
        memcpy(f->scratch, buf, (size_t)chunk);
        if (!wc_ctr_apply(f, f->scratch, (size_t)chunk, off)) return wc_page_error(f, 0, 0);

        int rc = f->real->pMethods->xWrite(f->real, f->scratch, chunk, off);
        if (rc != SQLITE_OK) return rc;
        buf += chunk;
        off += chunk;
        amt -= chunk;
    }
    return SQLITE_OK;
}

static int wc_temp_read(wc_file *f, unsigned char *buf, int amt, int64_t off) {
    int rc = wc_real_read(f, buf, amt, off);
    sqlite3_int64 size = 0;
    int64_t have = amt;

    if (rc == SQLITE_IOERR_SHORT_READ) {
        if (f->real->pMethods->xFileSize(f->real, &size) != SQLITE_OK) return SQLITE_IOERR_READ;
        have = size > off ? size - off : 0;
        if (have > amt) have = amt;
    } else if (rc != SQLITE_OK) {
        return rc;
    }
    if (have > 0 && !wc_ctr_apply(f, buf, (size_t)have, off)) return wc_page_error(f, 0, 0);
    return rc;
}

static int wc_read(sqlite3_file *p, void *buf, int amt, sqlite3_int64 off) {
    wc_file *f = wc(p);

    switch (f->kind) {
    case WC_KIND_MAIN: return wc_main_read(f, buf, amt, off);
    case WC_KIND_WAL: return wc_wal_read(f, buf, amt, off);
    case WC_KIND_JOURNAL: return wc_journal_read(f, buf, amt, off);
    case WC_KIND_TEMP: return wc_temp_read(f, buf, amt, off);
    case WC_KIND_PLAIN: break;
    }
    return wc_real_read(f, buf, amt, off);
}

static int wc_write(sqlite3_file *p, const void *buf, int amt, sqlite3_int64 off) {
    wc_file *f = wc(p);

    switch (f->kind) {
    case WC_KIND_MAIN: return wc_main_write(f, buf, amt, off);
    case WC_KIND_WAL: return wc_wal_write(f, buf, amt, off);
    case WC_KIND_JOURNAL: return wc_journal_write(f, buf, amt, off);
    case WC_KIND_TEMP: return wc_temp_write(f, buf, amt, off);
    case WC_KIND_PLAIN: break;
    }
    return f->real->pMethods->xWrite(f->real, buf, amt, off);
}

static int wc_close(sqlite3_file *p) {
    wc_file *f = wc(p);
    int rc = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;

    EVP_CIPHER_CTX_free(f->ctx);
    if (f->scratch) OPENSSL_cleanse(f->scratch, WC_SCRATCH_BYTES);
    sqlite3_free(f->scratch);
    OPENSSL_cleanse(f->temp_key, sizeof f->temp_key);
    wc_vfs_file_closed(f->vfs);
    f->ctx = NULL;
    f->scratch = NULL;
    return rc;
}

static int wc_truncate(sqlite3_file *p, sqlite3_int64 size) {
    wc_file *f = wc(p);
    int rc = f->real->pMethods->xTruncate(f->real, size);

    /* An emptied temp file starts over under a new key, so its offsets are never sealed
       twice under one key with different contents across reuses. */
    if (rc == SQLITE_OK && size == 0 && f->kind == WC_KIND_TEMP
        && RAND_bytes(f->temp_key, sizeof f->temp_key) != 1) {
        return SQLITE_IOERR_TRUNCATE;
    }
    return rc;
}

static int wc_sync(sqlite3_file *p, int flags) {
    return wc(p)->real->pMethods->xSync(wc(p)->real, flags);
}
static int wc_file_size(sqlite3_file *p, sqlite3_int64 *size) {
    return wc(p)->real->pMethods->xFileSize(wc(p)->real, size);
}
static int wc_lock(sqlite3_file *p, int level) {
    return wc(p)->real->pMethods->xLock(wc(p)->real, level);
}
static int wc_unlock(sqlite3_file *p, int level) {
    return wc(p)->real->pMethods->xUnlock(wc(p)->real, level);
}
static int wc_check_reserved(sqlite3_file *p, int *out) {
    return wc(p)->real->pMethods->xCheckReservedLock(wc(p)->real, out);
}
static int wc_file_control(sqlite3_file *p, int op, void *arg) {
    return wc(p)->real->pMethods->xFileControl(wc(p)->real, op, arg);
}
static int wc_sector_size(sqlite3_file *p) {
    return wc(p)->real->pMethods->xSectorSize(wc(p)->real);
}
static int wc_device_characteristics(sqlite3_file *p) {
    return wc(p)->real->pMethods->xDeviceCharacteristics(wc(p)->real);
}
static int wc_shm_map(sqlite3_file *p, int page, int size, int extend,
                      void volatile **out) {
    return wc(p)->real->pMethods->xShmMap(wc(p)->real, page, size, extend, out);
}
static int wc_shm_lock(sqlite3_file *p, int offset, int n, int flags) {
    return wc(p)->real->pMethods->xShmLock(wc(p)->real, offset, n, flags);
}
static int wc_shm_unmap(sqlite3_file *p, int delete_flag) {
    return wc(p)->real->pMethods->xShmUnmap(wc(p)->real, delete_flag);
}

static void wc_shm_barrier(sqlite3_file *p) {
    wc(p)->real->pMethods->xShmBarrier(wc(p)->real);
}

const sqlite3_io_methods wc_io_methods = {
    .iVersion = 2,
    .xClose = wc_close,
    .xRead = wc_read,
    .xWrite = wc_write,
    .xTruncate = wc_truncate,
    .xSync = wc_sync,
    .xFileSize = wc_file_size,
    .xLock = wc_lock,
    .xUnlock = wc_unlock,
    .xCheckReservedLock = wc_check_reserved,
    .xFileControl = wc_file_control,
    .xSectorSize = wc_sector_size,
    .xDeviceCharacteristics = wc_device_characteristics,
    .xShmMap = wc_shm_map,
    .xShmLock = wc_shm_lock,
    .xShmBarrier = wc_shm_barrier,
    .xShmUnmap = wc_shm_unmap,
};
