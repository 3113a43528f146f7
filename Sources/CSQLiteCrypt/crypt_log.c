/*
 * The WAL and the rollback journal. Their headers, frame headers, page numbers and
 * checksums stay in clear (SQLite needs them to recover, and they hold no row data); each
 * page image they carry is sealed like a database page, bound to its page number and to
 * its offset in the log (and, in the WAL, to the frame's salts).
 *
 * WAL layout: 32-byte header (page size at bytes 8..11), then frames of a 24-byte header
 * (page number at 0..3, salts at 8..15) followed by one page.
 * Journal layout: a header of one sector (page size at bytes 24..27), then records of a
 * 4-byte page number, one page, a 4-byte checksum. Record pages therefore always start at an
 * offset that is 4 modulo 8, while headers start at sector boundaries.
 */
#include <string.h>
#include "crypt_internal.h"

#define WC_WAL_HDR 32
#define WC_FRAME_HDR 24
#define WC_JOURNAL_PGSZ_AT 24

static int wc_passthrough_read(wc_file *f, unsigned char *buf, int amt, int64_t off) {
    return f->real->pMethods->xRead(f->real, buf, amt, off);
}

static int wc_passthrough_write(wc_file *f, const unsigned char *buf, int amt, int64_t off) {
    return f->real->pMethods->xWrite(f->real, buf, amt, off);
}

static int wc_unsupported(wc_file *f, const char *what, int amt, int64_t off, int rc) {
    wc_set_error("whoot-crypt: refused a %s of %d bytes at offset %lld of %s '%s': not a "
                 "page image the VFS can place", what, amt, (long long)off,
                 wc_kind_name(f->kind), f->path);
    return rc;
}

/// Learns the page size a log was written with from its header on disk.
static int wc_log_page_size(wc_file *f, int64_t at) {
    unsigned char word[4];
    int rc;

    if (f->page_size != 0) return SQLITE_OK;
    rc = wc_real_read(f, word, 4, at);
    if (rc != SQLITE_OK) return rc;
    if (!wc_valid_page_size(wc_get32(word))) return SQLITE_IOERR_READ;
    f->page_size = (int)wc_get32(word);
    return SQLITE_OK;
}

static void wc_wal_place(wc_place *pl, const unsigned char *hdr, int size, int64_t frame) {
    memset(pl, 0, sizeof *pl);
    pl->kind = WC_KIND_WAL;
    pl->page_size = (uint32_t)size;
    pl->pgno = wc_get32(hdr);
    pl->offset = (uint64_t)frame;
    memcpy(pl->salt, hdr + 8, 8);
}

/// Seals one page image to `out` after checking SQLite left its reserve alone.
static int wc_seal_image(wc_file *f, const wc_place *pl, const unsigned char *page,
                         unsigned char *out) {
    int rc = wc_check_plain_page(f, page, (int)pl->page_size, pl->pgno);

    if (rc != SQLITE_OK) return rc;
    rc = wc_seal_page(f, pl, page, out);
    return rc == SQLITE_OK ? rc : wc_page_error(f, rc, pl->pgno);
}

int wc_wal_write(wc_file *f, const unsigned char *buf, int amt, int64_t off) {
    if (off < WC_WAL_HDR) {
        if (off + amt > WC_WAL_HDR) return wc_unsupported(f, "write", amt, off,
                                                          SQLITE_IOERR_WRITE);
        if (off == 0 && amt == WC_WAL_HDR && wc_valid_page_size(wc_get32(buf + 8))) {
            f->page_size = (int)wc_get32(buf + 8);
        }
        return wc_passthrough_write(f, buf, amt, off);
    }
    if (wc_log_page_size(f, 8) != SQLITE_OK) {
        return wc_unsupported(f, "write", amt, off, SQLITE_IOERR_WRITE);
    }

    int size = f->page_size;
    int64_t within = (off - WC_WAL_HDR) % (size + WC_FRAME_HDR);
    int64_t frame = off - within;
    wc_place pl;
    int rc;
    if (within + amt <= WC_FRAME_HDR) return wc_passthrough_write(f, buf, amt, off);
    if (within == WC_FRAME_HDR && amt == size) {
        unsigned char hdr[WC_FRAME_HDR];
        rc = wc_real_read(f, hdr, WC_FRAME_HDR, frame);
        if (rc != SQLITE_OK) return wc_unsupported(f, "write", amt, off, SQLITE_IOERR_WRITE);
        wc_wal_place(&pl, hdr, size, frame);
        rc = wc_seal_image(f, &pl, buf, f->scratch);
        return rc != SQLITE_OK ? rc : wc_passthrough_write(f, f->scratch, amt, off);
    }
    if (within == 0 && amt == size + WC_FRAME_HDR) {
        wc_wal_place(&pl, buf, size, frame);
        memcpy(f->scratch, buf, WC_FRAME_HDR);
        rc = wc_seal_image(f, &pl, buf + WC_FRAME_HDR, f->scratch + WC_FRAME_HDR);
        return rc != SQLITE_OK ? rc : wc_passthrough_write(f, f->scratch, amt, off);
    }
    return wc_unsupported(f, "write", amt, off, SQLITE_IOERR_WRITE);
}

/// Whether committed transactions of the current log follow the frame at `frame` whose
/// salts are `salt`. A torn write after a crash (power lost before the commit's fsync)
/// leaves behind it at most the rest of that last, unacknowledged transaction: frames
/// ending in one commit frame, the last of the log. Two commit frames, or anything of the
/// log after an authentic commit frame, mean the log is damaged (a bit flip, a WAL from
/// another database), and dropping it from `frame` on would lose acknowledged commits.
/// Sets `*at` to the commit frame found.
static int wc_wal_commits_follow(wc_file *f, int size, int64_t frame,
                                 const unsigned char *salt, int64_t *at) {
    int64_t step = (int64_t)size + WC_FRAME_HDR;
    int commits = 0, authentic = 0;
    wc_place pl;

    if (step > WC_SCRATCH_BYTES) return 0;
    for (int64_t next = frame + step;; next += step) {
        if (wc_passthrough_read(f, f->scratch, (int)step, next) != SQLITE_OK) return 0;
        if (memcmp(f->scratch + 8, salt, 8) != 0) continue;
        if (authentic) return 1;
        if (wc_get32(f->scratch + 4) == 0) continue;
        *at = next;
        if (++commits >= 2) return 1;
        wc_wal_place(&pl, f->scratch, size, next);
        authentic = wc_open_page(f, &pl, f->scratch + WC_FRAME_HDR) == SQLITE_OK;
    }
}

/// A whole frame read at once is SQLite scanning the log during recovery. A frame that
/// fails authentication there is what a torn write after a crash looks like, so it must end
/// the log rather than fail the open: its salts are returned inverted, which SQLite reads
/// as "not part of the current log", and it is counted. If committed transactions follow
/// it, though, ending the log there would drop them without a word: the open fails instead.
static int wc_wal_recovery_frame(wc_file *f, unsigned char *buf, int size, int64_t frame) {
    wc_place pl;
    int64_t commit = 0;
    int rc = wc_passthrough_read(f, buf, size + WC_FRAME_HDR, frame);

    if (rc != SQLITE_OK) return rc;
    wc_wal_place(&pl, buf, size, frame);
    rc = wc_open_page(f, &pl, buf + WC_FRAME_HDR);
    if (rc == SQLITE_OK || rc == SQLITE_IOERR_READ) return rc;

    if (wc_wal_commits_follow(f, size, frame, pl.salt, &commit)) {
        wc_count_rejected_frame();
        wc_set_error("whoot-crypt: WAL '%s' is damaged: the frame at offset %lld (page %u) "
                     "fails authentication, yet committed transactions follow (a commit "
                     "frame at offset %lld); refusing to drop them. Restore the database "
                     "and its WAL from a backup", f->path, (long long)frame, pl.pgno,
                     (long long)commit);
        return SQLITE_IOERR_DATA;
    }

    wc_count_rejected_frame();
    wc_set_error("whoot-crypt: WAL '%s': frame at offset %lld (page %u) failed "
                 "authentication during recovery; the log ends before it", f->path,
                 (long long)frame, pl.pgno);
    for (int i = 8; i < 16; i++) buf[i] ^= 0xff;
    memset(buf + WC_FRAME_HDR, 0, (size_t)size);
    return SQLITE_OK;
}

int wc_wal_read(wc_file *f, unsigned char *buf, int amt, int64_t off) {
    if (off < WC_WAL_HDR) {
        if (off + amt > WC_WAL_HDR) return wc_unsupported(f, "read", amt, off,
                                                          SQLITE_IOERR_READ);
        return wc_passthrough_read(f, buf, amt, off);
    }
    if (wc_log_page_size(f, 8) != SQLITE_OK) {
        return wc_unsupported(f, "read", amt, off, SQLITE_IOERR_READ);
    }

    int size = f->page_size;
    int64_t within = (off - WC_WAL_HDR) % (size + WC_FRAME_HDR);
    int64_t frame = off - within;
    if (within + amt <= WC_FRAME_HDR) return wc_passthrough_read(f, buf, amt, off);
    if (within == 0 && amt == size + WC_FRAME_HDR) {
        return wc_wal_recovery_frame(f, buf, size, frame);
    }
    if (within != WC_FRAME_HDR || amt != size) {
        return wc_unsupported(f, "read", amt, off, SQLITE_IOERR_READ);
    }

    wc_place pl;
    int rc = wc_passthrough_read(f, f->scratch, size + WC_FRAME_HDR, frame);
    if (rc == SQLITE_IOERR_SHORT_READ && wc_is_zero(f->scratch, (size_t)size + WC_FRAME_HDR)) {
        memset(buf, 0, (size_t)amt);
        return rc;
    }
    if (rc != SQLITE_OK) return rc == SQLITE_IOERR_SHORT_READ ? wc_page_error(f, rc, 0) : rc;
    wc_wal_place(&pl, f->scratch, size, frame);
    rc = wc_open_page(f, &pl, f->scratch + WC_FRAME_HDR);
    if (rc != SQLITE_OK) return wc_page_error(f, rc, pl.pgno);
    memcpy(buf, f->scratch + WC_FRAME_HDR, (size_t)size);
    return SQLITE_OK;
}

static int wc_is_journal_image(int amt, int64_t off) {
    return wc_valid_page_size(amt) && off % 8 == 4;
}

int wc_journal_write(wc_file *f, const unsigned char *buf, int amt, int64_t off) {
    if (off == 0 && amt >= WC_JOURNAL_PGSZ_AT + 4) {
        uint32_t size = wc_get32(buf + WC_JOURNAL_PGSZ_AT);
        if (wc_valid_page_size(size)) f->page_size = (int)size;
    }
    if (!wc_is_journal_image(amt, off)) return wc_passthrough_write(f, buf, amt, off);
    if (wc_log_page_size(f, WC_JOURNAL_PGSZ_AT) != SQLITE_OK || amt != f->page_size) {
        return wc_unsupported(f, "write", amt, off, SQLITE_IOERR_WRITE);
    }

    unsigned char word[4];
    int rc = wc_real_read(f, word, 4, off - 4);
    if (rc != SQLITE_OK) return wc_unsupported(f, "write", amt, off, SQLITE_IOERR_WRITE);
    wc_place pl = { .kind = WC_KIND_JOURNAL, .page_size = (uint32_t)amt,
                    .pgno = wc_get32(word), .offset = (uint64_t)off };
    rc = wc_seal_image(f, &pl, buf, f->scratch);
    return rc != SQLITE_OK ? rc : wc_passthrough_write(f, f->scratch, amt, off);
}

int wc_journal_read(wc_file *f, unsigned char *buf, int amt, int64_t off) {
    if (!wc_is_journal_image(amt, off)) return wc_passthrough_read(f, buf, amt, off);
    if (wc_log_page_size(f, WC_JOURNAL_PGSZ_AT) != SQLITE_OK || amt != f->page_size) {
        return wc_unsupported(f, "read", amt, off, SQLITE_IOERR_READ);
    }

    unsigned char *record = f->scratch;
    int rc = wc_passthrough_read(f, record, amt + 4, off - 4);
    if (rc == SQLITE_IOERR_SHORT_READ && wc_is_zero(record + 4, (size_t)amt)) {
        memset(buf, 0, (size_t)amt);
        return rc;
    }
    wc_place pl = { .kind = WC_KIND_JOURNAL, .page_size = (uint32_t)amt,
                    .pgno = wc_get32(record), .offset = (uint64_t)off };
    if (rc != SQLITE_OK) return rc == SQLITE_IOERR_SHORT_READ ? wc_page_error(f, rc, pl.pgno) : rc;
    rc = wc_open_page(f, &pl, record + 4);
    if (rc != SQLITE_OK) return wc_page_error(f, rc, pl.pgno);
    memcpy(buf, record + 4, (size_t)amt);
    return SQLITE_OK;
}
