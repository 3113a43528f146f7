#ifndef WHOOT_ALLOC_COUNTER_H
#define WHOOT_ALLOC_COUNTER_H

/// Test-only heap allocation counter. The test binary's own malloc, calloc, realloc,
/// posix_memalign, aligned_alloc and memalign count each call made by a thread that armed
/// counting, then forward to glibc's allocator. Not built under ThreadSanitizer, whose
/// runtime owns these symbols; `whoot_alloc_counter_available` then returns 0.
/// With WHOOT_ALLOC_TRACE set, each counted allocation prints a backtrace to stderr.
int whoot_alloc_counter_available(void);
/// Starts counting this thread's allocations from zero.
void whoot_alloc_counter_arm(void);
/// Stops counting and returns how many allocations this thread made since arming.
unsigned long whoot_alloc_counter_disarm(void);
#endif
