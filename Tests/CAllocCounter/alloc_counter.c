#define _GNU_SOURCE
#include "alloc_counter.h"
#include <stddef.h>
#include <errno.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define WHOOT_NO_INTERPOSE 1
#endif
#endif

#ifdef WHOOT_NO_INTERPOSE
int whoot_alloc_counter_available(void) { return 0; }
void whoot_alloc_counter_arm(void) {}
unsigned long whoot_alloc_counter_disarm(void) { return 0; }
#else

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static __thread int armed;
static __thread unsigned long counted;

int whoot_alloc_counter_available(void) { return 1; }

void whoot_alloc_counter_arm(void) {
    counted = 0;
    armed = 1;
}

unsigned long whoot_alloc_counter_disarm(void) {
    armed = 0;
    return counted;
}

#include <execinfo.h>
#include <stdlib.h>
static __thread int tracing;
static void trace_if_asked(void) {
    static int asked = -1;
    if (asked < 0) asked = getenv("WHOOT_ALLOC_TRACE") != NULL;
    if (!asked || tracing) return;
    tracing = 1;
    void *frames[12];
    int depth = backtrace(frames, 12);
    backtrace_symbols_fd(frames, depth, 2);
    write(2, "--\n", 3);
    tracing = 0;
}

#define COUNT() \
    do { \
        if (armed) { counted++; trace_if_asked(); } \
    } while (0)

void *malloc(size_t size) {
    COUNT();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    COUNT();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    COUNT();
    return __libc_realloc(pointer, size);
}

void free(void *pointer) { __libc_free(pointer); }

void *memalign(size_t alignment, size_t size) {
    COUNT();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    COUNT();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    COUNT();
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *out = pointer;
    return 0;
}
#endif
