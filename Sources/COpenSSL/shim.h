#ifndef WHOOT_COPENSSL_SHIM_H
#define WHOOT_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/kdf.h>
#include <openssl/x509v3.h>
#include <openssl/srtp.h>

#include <openssl/sha.h>

/* The low-level SHA-1 calls that SRTP's HMAC uses: OpenSSL 3.0 marks them deprecated, but
 * every EVP digest or MAC call allocates per use there, and these do not. One place. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static inline int whoot_SHA1_Init(SHA_CTX *c) { return SHA1_Init(c); }
static inline int whoot_SHA1_Update(SHA_CTX *c, const void *d, size_t n) {
    return SHA1_Update(c, d, n);
}
static inline int whoot_SHA1_Final(unsigned char *md, SHA_CTX *c) { return SHA1_Final(md, c); }
#pragma GCC diagnostic pop

/* Macros that Swift cannot import, as functions. */
static inline long whoot_BIO_set_mem_eof_return(BIO *b, long v) {
    return BIO_set_mem_eof_return(b, v);
}
static inline long whoot_BIO_ctrl_pending(BIO *b) { return (long)BIO_ctrl_pending(b); }
static inline long whoot_SSL_CTX_set_options(SSL_CTX *c, unsigned long o) {
    return (long)SSL_CTX_set_options(c, o);
}
static inline int whoot_SSL_CTX_set_min_proto_version(SSL_CTX *c, int v) {
    return (int)SSL_CTX_set_min_proto_version(c, v);
}
static inline int whoot_SSL_CTX_set_max_proto_version(SSL_CTX *c, int v) {
    return (int)SSL_CTX_set_max_proto_version(c, v);
}
static inline long whoot_DTLSv1_get_timeout(SSL *s, struct timeval *tv) {
    return DTLSv1_get_timeout(s, tv);
}
static inline long whoot_DTLSv1_handle_timeout(SSL *s) { return DTLSv1_handle_timeout(s); }
static inline long whoot_SSL_set_mtu(SSL *s, long mtu) { return SSL_set_mtu(s, mtu); }
static inline int whoot_DTLS_VERSION(void) { return DTLS1_2_VERSION; }
static inline int whoot_TLS1_2_VERSION(void) { return TLS1_2_VERSION; }
static inline unsigned long whoot_SSL_OP_NO_QUERY_MTU(void) { return SSL_OP_NO_QUERY_MTU; }
static inline long whoot_BIO_reset(BIO *b) { return BIO_reset(b); }
static inline unsigned long whoot_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }
/* Builds a subjectAltName extension from an OpenSSL config string ("DNS:a,IP:b"). */
static inline X509_EXTENSION *whoot_subject_alt_name(const char *value) {
    return X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, value);
}
#endif
