/*
 * The allocator seam: every allocation of libgdfo, and those it makes
 * through cJSON, zlib and zstd, asks gdfo__alloc_fails() first. In normal
 * use that is one relaxed atomic load. Tests arm it to count allocations
 * or to fail the N-th one, so that every failure path can be run
 * (tests/alloc/sweep.py); the hook is internal and never exported.
 *
 * cJSON's allocator is process-global: a constructor points it at
 * functions that call malloc and free (so memory cJSON hands out is still
 * freed with free()) and record a failure on this thread, which is how a
 * parse that ran out of memory is told apart from bad input.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"

static atomic_int armed;
static atomic_ulong counted;
static atomic_ulong fail_at;
static _Thread_local unsigned long failures;

int gdfo__alloc_fails(void)
{
	unsigned long n;

	if (!atomic_load_explicit(&armed, memory_order_relaxed))
		return 0;
	n = atomic_fetch_add(&counted, 1) + 1;
	if (n != atomic_load(&fail_at))
		return 0;
	failures++;
	return 1;
}

void gdfo__alloc_note_failure(void)
{
	failures++;
}

unsigned long gdfo__alloc_failures(void)
{
	return failures;
}

void gdfo__alloc_test_arm(unsigned long n)
{
	atomic_store(&counted, 0);
	atomic_store(&fail_at, n);
	atomic_store(&armed, 1);
}

unsigned long gdfo__alloc_test_disarm(void)
{
	atomic_store(&armed, 0);
	return atomic_load(&counted);
}

void *gdfo__alloc_raw(size_t n)
{
	void *p = gdfo__alloc_fails() ? NULL : malloc(n ? n : 1);
	if (!p)
		failures++;
	return p;
}

void *gdfo__alloc_raw_calloc(size_t count, size_t size)
{
	void *p = gdfo__alloc_fails() ? NULL : calloc(count ? count : 1, size ? size : 1);
	if (!p)
		failures++;
	return p;
}

void *gdfo__alloc_raw_realloc(void *old, size_t n)
{
	void *p = gdfo__alloc_fails() ? NULL : realloc(old, n ? n : 1);
	if (!p)
		failures++;
	return p;
}

static void *cjson_malloc(size_t n)
{
	return gdfo__alloc_raw(n);
}

__attribute__((constructor)) static void install_cjson_hooks(void)
{
	cJSON_Hooks hooks = {cjson_malloc, free};
	cJSON_InitHooks(&hooks);
}

void *gdfo__zalloc(void *opaque, unsigned items, unsigned size)
{
	(void)opaque;
	return gdfo__alloc_raw_calloc(items, size);
}

void gdfo__zfree(void *opaque, void *p)
{
	(void)opaque;
	free(p);
}
