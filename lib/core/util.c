/*
 * Allocation, growable buffers and file helpers used across libgdfo.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/internal.h"

void *gdfo__malloc(size_t n)
{
	void *p = gdfo__alloc_raw(n);
	if (!p)
		gdfo__error(GDFO_ENOMEM, "out of memory allocating %zu bytes", n);
	return p;
}

void *gdfo__calloc(size_t count, size_t size)
{
	void *p = gdfo__alloc_raw_calloc(count, size);
	if (!p)
		gdfo__error(GDFO_ENOMEM, "out of memory allocating %zu x %zu bytes", count, size);
	return p;
}

void *gdfo__realloc(void *p, size_t n)
{
	void *q = gdfo__alloc_raw_realloc(p, n);
	if (!q)
		gdfo__error(GDFO_ENOMEM, "out of memory growing to %zu bytes", n);
	return q;
}

char *gdfo__strndup(const char *s, size_t n)
{
	char *d = gdfo__malloc(n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *gdfo__strdup(const char *s)
{
	return gdfo__strndup(s, strlen(s));
}

int gdfo__grow(void **items, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / elem)
			return gdfo__error(GDFO_ENOMEM, "array of %zu elements is too large", need);
		ncap *= 2;
	}
	p = gdfo__realloc(*items, ncap * elem);
	if (!p)
		return GDFO_ENOMEM;
	*items = p;
	*cap = ncap;
	return 0;
}

int gdfo__buf_put(gdfo__buf *b, const char *s, size_t n)
{
	void *data = b->data;
	if (gdfo__grow(&data, &b->cap, b->len + n + 1, 1))
		return GDFO_ENOMEM;
	b->data = data;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int gdfo__buf_puts(gdfo__buf *b, const char *s)
{
	return gdfo__buf_put(b, s, strlen(s));
}

int gdfo__buf_printf(gdfo__buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	void *data;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return gdfo__error(GDFO_EINTERNAL, "bad format string");
	data = b->data;
	if (gdfo__grow(&data, &b->cap, b->len + (size_t)n + 1, 1))
		return GDFO_ENOMEM;
	b->data = data;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void gdfo__buf_free(gdfo__buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int gdfo__buf_detach(gdfo__buf *b, char **out)
{
	if (!b->data && gdfo__buf_put(b, "", 0))
		return GDFO_ENOMEM;
	*out = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return 0;
}

int gdfo__file_read(char **out, size_t *len, const char *path, size_t max_bytes)
{
	FILE *f;
	gdfo__buf b = {0};
	char chunk[65536];
	size_t n;

	*out = NULL;
	if (len)
		*len = 0;
	if (!path)
		return gdfo__error(GDFO_EINVAL, "file path is NULL");
	f = fopen(path, "rb");
	if (!f)
		return gdfo__error(GDFO_EIO, "cannot open '%s': %s", path, strerror(errno));
	{
		struct stat st; /* refuse from the size, before reading */
		if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > max_bytes) {
			fclose(f);
			return gdfo__error(GDFO_ERANGE, "'%s' is larger than the %zu-byte limit (%lld bytes)",
					   path, max_bytes, (long long)st.st_size);
		}
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > max_bytes) {
			fclose(f);
			gdfo__buf_free(&b);
			return gdfo__error(GDFO_ERANGE, "'%s' is larger than the %zu-byte limit",
					   path, max_bytes);
		}
		if (gdfo__buf_put(&b, chunk, n)) {
			fclose(f);
			gdfo__buf_free(&b);
			return GDFO_ENOMEM;
		}
	}
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		gdfo__buf_free(&b);
		return gdfo__error(GDFO_EIO, "cannot read '%s': %s", path, strerror(e));
	}
	fclose(f);
	if (len)
		*len = b.len;
	return gdfo__buf_detach(&b, out);
}

int gdfo__file_write_text(const char *path, char *text)
{
	int rc = gdfo__file_write_atomic(path, text, strlen(text));

	free(text);
	return rc;
}

int gdfo__finite(double x)
{
	return isfinite(x);
}

int gdfo__utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		size_t len = 1;
		if (*p >= 0x80 && !(len = gdfo__utf8_seq(p, end)))
			return 0;
		p += len;
	}
	return 1;
}
