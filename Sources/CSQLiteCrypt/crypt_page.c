/*
 * Sealing and opening of one page with AES-256-GCM, and the CTR keystream of temp files.
 *
 * Sealed page of P bytes (R = WHOOT_CRYPT_RESERVE = 32):
 *   [0, P-R)        ciphertext (page 1 of the db: bytes 16..23 stay clear, see below)
 *   [P-32, P-20)    nonce, 12 random bytes, fresh for every write
 *   [P-20, P-4)     GCM tag
 *   [P-4, P)        key id: first 4 bytes of HMAC-SHA256(key, "whoot-crypt key id v1")
 * Associated data binds kind, page size, page number, file offset, WAL salts, key id and
 * the clear header bytes, so a page cannot be moved to another place undetected.
 */
#include <string.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include "crypt_internal.h"

#define WC_AAD_BYTES 44
#define WC_CLEAR_FROM 16
#define WC_CLEAR_TO 24

static void wc_build_aad(const wc_place *pl, const unsigned char *key_id,
                         unsigned char aad[WC_AAD_BYTES]) {
    memset(aad, 0, WC_AAD_BYTES);
    memcpy(aad, "WHC1", 4);
    aad[4] = (unsigned char)pl->kind;
    wc_put32(aad + 8, pl->page_size);
    wc_put32(aad + 12, pl->pgno);
    wc_put32(aad + 16, (uint32_t)(pl->offset >> 32));
    wc_put32(aad + 20, (uint32_t)pl->offset);
    memcpy(aad + 24, pl->salt, 8);
    memcpy(aad + 32, key_id, WC_KEYID_BYTES);
    memcpy(aad + 36, pl->clear, 8);
}

/// Page 1 of the main database keeps header bytes 16..23 (page size, file format versions,
/// reserved-byte count, payload fractions) in clear: the VFS must read the page size before
/// it can find and open page 1. Everything else on the page is sealed.
static int wc_has_clear_header(const wc_place *pl) {
    return pl->kind == WC_KIND_MAIN && pl->pgno == 1;
}

int wc_is_zero(const unsigned char *p, size_t n) {
    unsigned char acc = 0;
    for (size_t i = 0; i < n; i++) acc |= p[i];
    return acc == 0;
}

/// Runs GCM over the sealed ranges of a page, from `in` to `out` (may be the same buffer).
static int wc_gcm_body(EVP_CIPHER_CTX *ctx, int enc, const wc_place *pl,
                       const unsigned char *in, unsigned char *out) {
    size_t body = pl->page_size - WHOOT_CRYPT_RESERVE;
    int n = 0;
    int (*update)(EVP_CIPHER_CTX *, unsigned char *, int *, const unsigned char *, int) =
        enc ? EVP_EncryptUpdate : EVP_DecryptUpdate;

    if (wc_has_clear_header(pl)) {
        if (!update(ctx, out, &n, in, WC_CLEAR_FROM)) return 0;
        if (in != out) memcpy(out + WC_CLEAR_FROM, in + WC_CLEAR_FROM, 8);
        return update(ctx, out + WC_CLEAR_TO, &n, in + WC_CLEAR_TO,
                      (int)(body - WC_CLEAR_TO));
    }
    return update(ctx, out, &n, in, (int)body);
}

int wc_seal_page(wc_file *f, const wc_place *place, const unsigned char *plain,
                 unsigned char *out) {
    wc_place pl = *place;
    unsigned char aad[WC_AAD_BYTES];
    unsigned char *tail = out + pl.page_size - WHOOT_CRYPT_RESERVE;
    int n = 0;

    if (wc_has_clear_header(&pl)) memcpy(pl.clear, plain + WC_CLEAR_FROM, 8);
    wc_build_aad(&pl, f->vfs->key_id, aad);
    if (RAND_bytes(tail, WC_NONCE_BYTES) != 1) return SQLITE_IOERR_WRITE;

    if (!EVP_EncryptInit_ex(f->ctx, EVP_aes_256_gcm(), NULL, NULL, NULL)
        || !EVP_CIPHER_CTX_ctrl(f->ctx, EVP_CTRL_GCM_SET_IVLEN, WC_NONCE_BYTES, NULL)
        || !EVP_EncryptInit_ex(f->ctx, NULL, NULL, f->vfs->key, tail)
        || !EVP_EncryptUpdate(f->ctx, NULL, &n, aad, WC_AAD_BYTES)
        || !wc_gcm_body(f->ctx, 1, &pl, plain, out)
        || !EVP_EncryptFinal_ex(f->ctx, out, &n)
        || !EVP_CIPHER_CTX_ctrl(f->ctx, EVP_CTRL_GCM_GET_TAG, WC_TAG_BYTES,
                                tail + WC_NONCE_BYTES)) {
        return SQLITE_IOERR_WRITE;
    }
    memcpy(tail + WC_NONCE_BYTES + WC_TAG_BYTES, f->vfs->key_id, WC_KEYID_BYTES);
    return SQLITE_OK;
}

int wc_open_page(wc_file *f, const wc_place *place, unsigned char *page) {
    wc_place pl = *place;
    unsigned char aad[WC_AAD_BYTES];
    unsigned char nonce[WC_NONCE_BYTES];
    unsigned char tag[WC_TAG_BYTES];
    unsigned char *tail = page + pl.page_size - WHOOT_CRYPT_RESERVE;
    int n = 0;

    /* A page that is zero throughout (a hole, or space the file was extended by) was never
       sealed; SQLite reads such space as zeros and so do we. */
    if (wc_is_zero(page, pl.page_size)) return SQLITE_OK;
    if (CRYPTO_memcmp(tail + WC_NONCE_BYTES + WC_TAG_BYTES, f->vfs->key_id,
                      WC_KEYID_BYTES) != 0) {
        return SQLITE_NOTADB;
    }
    memcpy(nonce, tail, WC_NONCE_BYTES);
    memcpy(tag, tail + WC_NONCE_BYTES, WC_TAG_BYTES);
    if (wc_has_clear_header(&pl)) memcpy(pl.clear, page + WC_CLEAR_FROM, 8);
    wc_build_aad(&pl, f->vfs->key_id, aad);

    if (!EVP_DecryptInit_ex(f->ctx, EVP_aes_256_gcm(), NULL, NULL, NULL)
        || !EVP_CIPHER_CTX_ctrl(f->ctx, EVP_CTRL_GCM_SET_IVLEN, WC_NONCE_BYTES, NULL)
        || !EVP_DecryptInit_ex(f->ctx, NULL, NULL, f->vfs->key, nonce)
        || !EVP_DecryptUpdate(f->ctx, NULL, &n, aad, WC_AAD_BYTES)
        || !wc_gcm_body(f->ctx, 0, &pl, page, page)
        || !EVP_CIPHER_CTX_ctrl(f->ctx, EVP_CTRL_GCM_SET_TAG, WC_TAG_BYTES, tag)) {
        return SQLITE_IOERR_READ;
    }
    if (EVP_DecryptFinal_ex(f->ctx, tail, &n) != 1) {
        OPENSSL_cleanse(page, pl.page_size);
        return SQLITE_IOERR_DATA;
    }
    /* SQLite must see the reserved bytes as zeros on every read: it leaves them as it found
       them, and the WAL checksum covers them. */
    memset(tail, 0, WHOOT_CRYPT_RESERVE);
    return SQLITE_OK;
}

int wc_ctr_apply(wc_file *f, unsigned char *buf, size_t n, int64_t offset) {
    unsigned char iv[16] = {0};
    unsigned char skip[16] = {0};
    uint64_t block = (uint64_t)offset / 16;
    int out = 0;

    wc_put32(iv + 8, (uint32_t)(block >> 32));
    wc_put32(iv + 12, (uint32_t)block);
    if (!EVP_EncryptInit_ex(f->ctx, EVP_aes_256_ctr(), NULL, f->temp_key, iv)) return 0;
    if (offset % 16 != 0
        && !EVP_EncryptUpdate(f->ctx, skip, &out, skip, (int)(offset % 16))) {
        return 0;
    }
    while (n > 0) {
        int chunk = n > (1 << 30) ? (1 << 30) : (int)n;
        if (!EVP_EncryptUpdate(f->ctx, buf, &out, buf, chunk)) return 0;
        buf += chunk;
        n -= (size_t)chunk;
    }
    return 1;
}

void wc_key_id(const unsigned char key[32], unsigned char out[WC_KEYID_BYTES]) {
    static const char label[] = "whoot-crypt key id v1";
    unsigned char mac[32];
    unsigned int len = sizeof mac;

    HMAC(EVP_sha256(), key, 32, (const unsigned char *)label, sizeof label - 1, mac, &len);
    memcpy(out, mac, WC_KEYID_BYTES);
    OPENSSL_cleanse(mac, sizeof mac);
}
