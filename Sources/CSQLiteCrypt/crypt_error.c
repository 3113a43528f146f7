/* Per-thread last error and the process-wide count of rejected WAL frames. */
#include <stdarg.h>
#include <stdio.h>
#include "crypt_internal.h"

static _Thread_local char wc_error[384];
static unsigned long long wc_rejected_frames;

void wc_set_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(wc_error, sizeof wc_error, fmt, ap);
    va_end(ap);
}

const char *whoot_crypt_last_error(void) { return wc_error; }

void whoot_crypt_clear_error(void) { wc_error[0] = 0; }

void wc_count_rejected_frame(void) {
    __atomic_add_fetch(&wc_rejected_frames, 1, __ATOMIC_RELAXED);
}

unsigned long long whoot_crypt_wal_frames_rejected(void) {
    return __atomic_load_n(&wc_rejected_frames, __ATOMIC_RELAXED);
}

const char *wc_kind_name(wc_kind k) {
    switch (k) {
    case WC_KIND_MAIN: return "database";
    case WC_KIND_JOURNAL: return "rollback journal";
    case WC_KIND_WAL: return "WAL";
    case WC_KIND_TEMP: return "temporary file";
    case WC_KIND_PLAIN: return "super-journal";
    }
    return "file";
}
