/*
 * The allocation seam of libgdfo (lib/core/alloc.c). Not installed.
 * gdfo__malloc and friends (core/internal.h) allocate through it; so do
 * cJSON (through its global hooks), zlib and zstd when libgdfo drives them.
 */
#ifndef GDFO_ALLOC_H
#define GDFO_ALLOC_H

#include <stddef.h>

/* malloc/calloc/realloc that count as allocation points; no error message. */
void *gdfo__alloc_raw(size_t n);
void *gdfo__alloc_raw_calloc(size_t count, size_t size);
void *gdfo__alloc_raw_realloc(void *p, size_t n);

/* 1 when the test hook says this allocation must fail (counts it). */
int gdfo__alloc_fails(void);

/*
 * Allocation failures seen on this thread so far (through this seam, or
 * noted by gdfo__alloc_note_failure for a dependency that failed to
 * allocate). Compare before and after a call to tell out of memory from
 * bad input.
 */
unsigned long gdfo__alloc_failures(void);
void gdfo__alloc_note_failure(void);

/* zlib's zalloc/zfree over the seam. */
void *gdfo__zalloc(void *opaque, unsigned items, unsigned size);
void gdfo__zfree(void *opaque, void *p);

/*
 * Test hook, for tests only (process-wide, not for concurrent use):
 * counts allocations from now on and fails the n-th one (n >= 1; 0 only
 * counts). Disarming returns how many were counted.
 */
void gdfo__alloc_test_arm(unsigned long n);
unsigned long gdfo__alloc_test_disarm(void);

#endif
