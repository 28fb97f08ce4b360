/*
 * Writing JSON text: the one number formatter (also behind the cJSON
 * documents, lib/io/json_util.c) and a writer for the documents laid out
 * by hand (job profiles, simulation results, cluster files). NaN and
 * infinity are not JSON: they are refused, never written. Not installed.
 */
#ifndef GDFO_CORE_JSON_WRITE_H
#define GDFO_CORE_JSON_WRITE_H

#include <stddef.h>

#include "core/internal.h"

/* Room for any number gdfo__json_format_number writes, with its NUL. */
#define GDFO__JSON_NUMBER_MAX 40

/*
 * Formats v into buf (GDFO__JSON_NUMBER_MAX bytes). digits 0: the shortest
 * form that reads back as the identical double (integers below 2^53
 * without a fraction, -0 as "-0.0"); digits 1 to 17: printf's "%.<digits>g".
 * what names the value in the message. Errors: GDFO_ERANGE for NaN and
 * infinity (buf is then empty).
 */
int gdfo__json_format_number(char *buf, double v, int digits, const char *what);

/*
 * A JSON text being written. The first failure sticks: later calls do
 * nothing and gdfo__jsonw_finish returns it, so a writer reads as one
 * straight sequence of calls. Zero-initialise ({0}) to start.
 */
typedef struct gdfo__jsonw {
	gdfo__buf buf;
	int rc;
} gdfo__jsonw;

/* Text copied as is: punctuation, keys and values known to need no escaping. */
void gdfo__jsonw_raw(gdfo__jsonw *w, const char *fmt, ...) GDFO__PRINTF(2, 3);
/* A quoted string: '"' and '\' escaped, control characters as \u00XX. */
void gdfo__jsonw_string(gdfo__jsonw *w, const char *s);
/* A number as gdfo__json_format_number writes it; NaN/inf fail with GDFO_ERANGE. */
void gdfo__jsonw_number(gdfo__jsonw *w, double v, int digits, const char *what);
/*
 * On success hands the text to *out (freed by gdfo_free); otherwise frees
 * it, sets *out to NULL and returns the first failure.
 */
int gdfo__jsonw_finish(gdfo__jsonw *w, char **out);

#endif
