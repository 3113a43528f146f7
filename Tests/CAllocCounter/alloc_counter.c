#define _GNU_SOURCE
#include "alloc_counter.h"
#include <stddef.h>
#include <errno.h>

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

#define COUNT() \
    do { \
        if (armed) counted++; \
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
