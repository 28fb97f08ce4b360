/*
 * Shared checks of the libFuzzer targets (tests/fuzz/fuzz_*.c). Beyond "no
 * crash" (ASan + UBSan): a rejected input leaves *out NULL and a one-line
 * message with a negative status from the fixed list; an accepted one
 * round-trips through its writer (write, read, write gives the same text).
 * A broken rule aborts, which libFuzzer reports as a finding.
 */
#ifndef GDFO_FUZZ_H
#define GDFO_FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdfo/gdfo.h"

#define FUZZ_REQUIRE(cond, ...)                                                            \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "fuzz: %s:%d: %s: ", __FILE__, __LINE__, #cond);   \
			fprintf(stderr, __VA_ARGS__);                                      \
			fprintf(stderr, "\n");                                             \
			abort();                                                           \
		}                                                                          \
	} while (0)

/* A refusal: status in the list, *out NULL, one line of message. */
static inline void fuzz_rejected(int rc, const void *out)
{
	const char *msg = gdfo_last_error();

	FUZZ_REQUIRE(rc < 0 && strcmp(gdfo_status_name(rc), "GDFO_UNKNOWN") != 0, "status %d", rc);
	FUZZ_REQUIRE(rc != GDFO_EINTERNAL, "internal error: %s", msg);
	FUZZ_REQUIRE(out == NULL, "*out is not NULL after %s", gdfo_status_name(rc));
	FUZZ_REQUIRE(msg && *msg && !strchr(msg, '\n') && !strchr(msg, '\r'), "message '%s'", msg);
}

/* Two writer outputs must be the same text. */
static inline void fuzz_same(const char *a, const char *b, const char *what)
{
	FUZZ_REQUIRE(a && b && strcmp(a, b) == 0, "%s does not round-trip:\n%s\n---\n%s", what,
		     a ? a : "(null)", b ? b : "(null)");
}

#endif
