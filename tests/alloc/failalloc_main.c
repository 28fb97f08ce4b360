/*
 * gdfo-failalloc: the gdfo CLI with the allocation test hook armed from
 * the environment, for tests/alloc/sweep.py.
 *   GDFO_FAIL_ALLOC=N        fail the N-th allocation (0: only count)
 *   GDFO_ALLOC_COUNT=FILE    write the number of allocations counted to FILE
 * The count covers libgdfo and what it allocates through cJSON, zlib and zstd.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"

int gdfo__cli_main(int argc, char **argv);

int main(int argc, char **argv)
{
	const char *n = getenv("GDFO_FAIL_ALLOC"), *out = getenv("GDFO_ALLOC_COUNT");
	unsigned long count;
	int rc;

	if (n)
		gdfo__alloc_test_arm(strtoul(n, NULL, 10));
	rc = gdfo__cli_main(argc, argv);
	count = gdfo__alloc_test_disarm();
	if (out) {
		FILE *f = fopen(out, "w");
		if (!f || fprintf(f, "%lu\n", count) < 0 || fclose(f) != 0)
			return 125;
	}
	return rc;
}
