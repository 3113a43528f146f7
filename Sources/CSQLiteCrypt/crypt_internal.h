/* Internal declarations shared by the whoot-crypt C files. Not part of the public API. */
#ifndef WHOOT_CRYPT_INTERNAL_H
#define WHOOT_CRYPT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <openssl/evp.h>
#include "whoot_crypt.h"

#define WC_NONCE_BYTES 12
#define WC_TAG_BYTES 16
#define WC_KEYID_BYTES 4
#define WC_MIN_PAGE 512
#define WC_MAX_PAGE 65536
#define WC_SCRATCH_BYTES (WC_MAX_PAGE + 64)

/// What a file opened through the VFS holds; decides how its bytes are sealed.
typedef enum {
    WC_KIND_MAIN = 'D',      ///< main database: every page sealed with GCM
    WC_KIND_JOURNAL = 'J',   ///< rollback journal: page images sealed, headers clear
    WC_KIND_WAL = 'W',       ///< write-ahead log: frame page images sealed, headers clear
    WC_KIND_TEMP = 'T',      ///< temp db / journals / sub-journal: CTR, ephemeral key
    WC_KIND_PLAIN = 'P',     ///< super-journal: holds only file names, passed through
} wc_kind;

/// One registered VFS. `base` must stay first: SQLite hands us `sqlite3_vfs *`.
typedef struct wc_vfs {
    sqlite3_vfs base;
    sqlite3_vfs *root;
    unsigned char key[WHOOT_CRYPT_KEY_BYTES];
    unsigned char key_id[WC_KEYID_BYTES];
    int open_files;          ///< guarded by the registry mutex
    char name[64];
} wc_vfs;

/// One open file. `base` must stay first; the wrapped unix file follows the struct.
typedef struct wc_file {
    sqlite3_file base;
    sqlite3_file *real;
    wc_vfs *vfs;
    wc_kind kind;
    const char *path;          ///< owned by SQLite, valid while the file is open
    int page_size;             ///< cached: main from page 1, WAL/journal from their header
    EVP_CIPHER_CTX *ctx;
    unsigned char *scratch;    ///< WC_SCRATCH_BYTES, allocated at open
    unsigned char temp_key[32];  ///< temp files only: random, never leaves memory
} wc_file;

/// Where a sealed page sits; everything here is bound into the GCM associated data.
typedef struct wc_place {
    wc_kind kind;
    uint32_t page_size;
    uint32_t pgno;
    uint64_t offset;           ///< file offset for WAL and journal images, 0 for the db
    unsigned char salt[8];     ///< WAL frame salts, zero elsewhere
    unsigned char clear[8];    ///< page 1 of the db: header bytes 16..23, zero elsewhere
} wc_place;

/* crypt_page.c */
int wc_seal_page(wc_file *f, const wc_place *pl, const unsigned char *plain, unsigned char *out);
int wc_open_page(wc_file *f, const wc_place *pl, unsigned char *page);
int wc_is_zero(const unsigned char *p, size_t n);
int wc_ctr_apply(wc_file *f, unsigned char *buf, size_t n, int64_t offset);
void wc_key_id(const unsigned char key[32], unsigned char out[WC_KEYID_BYTES]);

/* crypt_file.c */
extern const sqlite3_io_methods wc_io_methods;
int wc_real_read(wc_file *f, void *buf, int amt, int64_t off);
int wc_page_error(wc_file *f, int rc, uint32_t pgno);

/* crypt_main.c */
int wc_main_read(wc_file *f, unsigned char *buf, int amt, int64_t off);
int wc_main_write(wc_file *f, const unsigned char *buf, int amt, int64_t off);
int wc_check_plain_page(wc_file *f, const unsigned char *page, int size, uint32_t pgno);

/* crypt_log.c */
int wc_wal_read(wc_file *f, unsigned char *buf, int amt, int64_t off);
int wc_wal_write(wc_file *f, const unsigned char *buf, int amt, int64_t off);
int wc_journal_read(wc_file *f, unsigned char *buf, int amt, int64_t off);
int wc_journal_write(wc_file *f, const unsigned char *buf, int amt, int64_t off);

/* crypt_vfs.c */
int wc_vfs_is_ours(const sqlite3_vfs *vfs);
void wc_vfs_file_closed(wc_vfs *vfs);

/* crypt_error.c */
void wc_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wc_count_rejected_frame(void);
const char *wc_kind_name(wc_kind k);

/* helpers */
static inline uint32_t wc_get32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void wc_put32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}
static inline int wc_valid_page_size(int64_t n) {
    return n >= WC_MIN_PAGE && n <= WC_MAX_PAGE && (n & (n - 1)) == 0;
}

#endif
