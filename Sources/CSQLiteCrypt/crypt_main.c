/*
 * The main database file: every read and write is a whole page except SQLite's early reads
 * of the 100-byte header (and of 16 bytes at offset 24), which are served from page 1.
 */
#include <string.h>
#include "crypt_internal.h"

/// Tries to open a page this many times before failing: SQLite reads the header once
/// without a lock, so a read that races a checkpoint's write of page 1 may be torn.
#define WC_READ_ATTEMPTS 3

static const char wc_plain_magic[16] = "SQLite format 3";

/// Checks the clear part of page 1 as stored on disk and caches the page size.
static int wc_check_raw_header(wc_file *f, const unsigned char *h) {
    int size = (h[16] << 8) | h[17];

    if (size == 1) size = WC_MAX_PAGE;
    if (memcmp(h, wc_plain_magic, 16) == 0) {
        wc_set_error("whoot-crypt: '%s' is a plaintext SQLite database, not one sealed by "
                     "whoot-crypt", f->path);
        return SQLITE_NOTADB;
    }
    if (!wc_valid_page_size(size)) {
        wc_set_error("whoot-crypt: '%s' is not a whoot-crypt database (no valid page size "
                     "in the clear header)", f->path);
        return SQLITE_NOTADB;
    }
    if (h[20] < WHOOT_CRYPT_RESERVE) {
        wc_set_error("whoot-crypt: '%s' reserves %d bytes per page, whoot-crypt needs %d",
                     f->path, h[20], WHOOT_CRYPT_RESERVE);
        return SQLITE_NOTADB;
    }
    f->page_size = size;
    return SQLITE_OK;
}

int wc_check_plain_page(wc_file *f, const unsigned char *page, int size, uint32_t pgno) {
    int header_size = (page[16] << 8) | page[17];

    if (!wc_is_zero(page + size - WHOOT_CRYPT_RESERVE, WHOOT_CRYPT_RESERVE)) {
        wc_set_error("whoot-crypt: refused to write page %u of %s '%s': SQLite uses the "
                     "page's last %d bytes (was whoot_crypt_prepare called before the first "
                     "write?)", pgno, wc_kind_name(f->kind), f->path, WHOOT_CRYPT_RESERVE);
        return SQLITE_IOERR_WRITE;
    }
    if (pgno != 1) return SQLITE_OK;
    if (header_size == 1) header_size = WC_MAX_PAGE;
    if (header_size != size || page[20] < WHOOT_CRYPT_RESERVE) {
        wc_set_error("whoot-crypt: refused to write page 1 of %s '%s': it reserves %d "
                     "bytes per page, %d are needed (call whoot_crypt_prepare first)",
                     wc_kind_name(f->kind), f->path, page[20], WHOOT_CRYPT_RESERVE);
        return SQLITE_IOERR_WRITE;
    }
    return SQLITE_OK;
}

static int wc_learn_page_size(wc_file *f) {
    unsigned char h[24];
    int rc = wc_real_read(f, h, (int)sizeof h, 0);

    if (rc != SQLITE_OK) return rc;
    return wc_check_raw_header(f, h);
}

int wc_main_read(wc_file *f, unsigned char *buf, int amt, int64_t off) {
    int rc = SQLITE_OK;

    if (f->page_size == 0 || amt != f->page_size || off % amt != 0) {
        rc = wc_learn_page_size(f);
        if (rc == SQLITE_IOERR_SHORT_READ) {
            memset(buf, 0, (size_t)amt);
            return rc;
        }
        if (rc != SQLITE_OK) return rc;
    }

    int size = f->page_size;
    int64_t index = off / size;
    if ((off + amt - 1) / size != index) {
        wc_set_error("whoot-crypt: read of %d bytes at offset %lld of '%s' spans two pages",
                     amt, (long long)off, f->path);
        return SQLITE_IOERR_READ;
    }

    uint32_t pgno = (uint32_t)index + 1;
    wc_place pl = { .kind = WC_KIND_MAIN, .page_size = (uint32_t)size, .pgno = pgno };
    unsigned char *page = amt == size ? buf : f->scratch;
    int header_failed = 0;
    for (int attempt = 0; attempt < WC_READ_ATTEMPTS; attempt++) {
        rc = wc_real_read(f, page, size, index * size);
        if (rc == SQLITE_IOERR_SHORT_READ) {
            if (!wc_is_zero(page, (size_t)size)) return wc_page_error(f, rc, pgno);
            memset(buf, 0, (size_t)amt);
            return rc;
        }
        if (rc != SQLITE_OK) return rc;
        header_failed = pgno == 1 && (rc = wc_check_raw_header(f, page)) != SQLITE_OK;
        if (header_failed) continue;
        rc = wc_open_page(f, &pl, page);
        if (rc == SQLITE_OK) break;
    }
    if (rc != SQLITE_OK) return header_failed ? rc : wc_page_error(f, rc, pgno);
    if (page != buf) memcpy(buf, page + off % size, (size_t)amt);
    return SQLITE_OK;
}

int wc_main_write(wc_file *f, const unsigned char *buf, int amt, int64_t off) {
    if (!wc_valid_page_size(amt) || off % amt != 0) {
        wc_set_error("whoot-crypt: refused a write of %d bytes at offset %lld to '%s': only "
                     "whole pages can be sealed", amt, (long long)off, f->path);
        return SQLITE_IOERR_WRITE;
    }

    uint32_t pgno = (uint32_t)(off / amt) + 1;
    int rc = wc_check_plain_page(f, buf, amt, pgno);
    if (rc != SQLITE_OK) return rc;
    if (pgno == 1) f->page_size = amt;

    wc_place pl = { .kind = WC_KIND_MAIN, .page_size = (uint32_t)amt, .pgno = pgno };
    rc = wc_seal_page(f, &pl, buf, f->scratch);
    if (rc != SQLITE_OK) return wc_page_error(f, rc, pgno);
    return f->real->pMethods->xWrite(f->real, f->scratch, amt, off);
}
