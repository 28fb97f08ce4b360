/*
 * Internal helpers shared by every part of libgdfo. Not installed.
 * Non-static internal functions are named gdfo__<module>_<name> so that
 * they cannot clash with a host's symbols when libgdfo.a is linked in.
 */
#ifndef GDFO_INTERNAL_H
#define GDFO_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "gdfo/common.h"

#if defined(__GNUC__)
#define GDFO__PRINTF(a, b) __attribute__((format(printf, a, b)))
#define GDFO__UNUSED __attribute__((unused))
#else
#define GDFO__PRINTF(a, b)
#define GDFO__UNUSED
#endif

#define GDFO__ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Records a one-line message for gdfo_last_error() on this thread and
 * returns status, so call sites read `return gdfo__error(GDFO_EINVAL, ...)`.
 * Newlines in the formatted text are replaced by spaces.
 */
int gdfo__error(int status, const char *fmt, ...) GDFO__PRINTF(2, 3);
int gdfo__verror(int status, const char *fmt, va_list ap);

/* Prepends "prefix: " to the current message (keeps the status). */
int gdfo__error_prefix(int status, const char *fmt, ...) GDFO__PRINTF(2, 3);

/* Allocation that records GDFO_ENOMEM on failure. */
void *gdfo__malloc(size_t n);
void *gdfo__calloc(size_t count, size_t size);
void *gdfo__realloc(void *p, size_t n);
char *gdfo__strdup(const char *s);
char *gdfo__strndup(const char *s, size_t n);

/* Grows *items (element size elem) so that it holds at least need; doubles. */
int gdfo__grow(void **items, size_t *cap, size_t need, size_t elem);

/* A growable byte buffer, always NUL-terminated when len > 0. */
typedef struct gdfo__buf {
	char *data;
	size_t len;
	size_t cap;
} gdfo__buf;

int gdfo__buf_put(gdfo__buf *b, const char *s, size_t n);
int gdfo__buf_puts(gdfo__buf *b, const char *s);
int gdfo__buf_printf(gdfo__buf *b, const char *fmt, ...) GDFO__PRINTF(2, 3);
void gdfo__buf_free(gdfo__buf *b);
/* Hands the buffer's memory to the caller (freed by gdfo_free); never NULL on 0. */
int gdfo__buf_detach(gdfo__buf *b, char **out);

/*
 * Reads a whole file. Refuses files larger than max_bytes with GDFO_ERANGE.
 * The result is NUL-terminated (not counted in *len).
 */
int gdfo__file_read(char **out, size_t *len, const char *path, size_t max_bytes);

/*
 * gdfo__file_read for JSON text (lib/core/textread.c): a regular file over
 * max_bytes is refused from its size before any byte is read, other files
 * by counting; a NUL byte ends the read with GDFO_EFORMAT (binary data).
 */
int gdfo__file_read_text(char **out, size_t *len, const char *path, size_t max_bytes);

/*
 * Writes data to path atomically (lib/core/atomic.c): a temporary file
 * "<path>.gdfo-tmp.<pid>.<n>" in the same directory, fsync, rename over
 * path, fsync of the directory. Keeps an existing file's permission bits
 * (a new file gets 0666 & ~umask), writes through a symlink to its target,
 * and removes temporary files of path left by dead processes. On failure
 * path is untouched and the temporary file is removed.
 */
int gdfo__file_write_atomic(const char *path, const void *data, size_t len);
/* gdfo__file_write_atomic of a NUL-terminated text, which it then frees. */
int gdfo__file_write_text(const char *path, char *text);

/*
 * The length of the one well-formed UTF-8 sequence at p (p < end, *p >=
 * 0x80), or 0 when it is not one: overlong forms, surrogates and code
 * points above U+10FFFF are refused. Inline for the event-log scanner's
 * string loop.
 */
static inline size_t gdfo__utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0], lo = 0x80, hi = 0xbf;
	size_t n = (size_t)(end - p);

	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
		return n >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
		return n >= 4 && p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

/* 1 when s[0..n) is well-formed UTF-8 (gdfo__utf8_seq for every non-ASCII sequence). */
int gdfo__utf8_valid(const char *s, size_t n);

/* 1 when x is a finite double (not NaN, not +-inf). */
int gdfo__finite(double x);

#endif
