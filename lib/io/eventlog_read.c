/*
 * Streaming line reader for event logs: plain, zstd or gzip (chosen from
 * the first bytes, not the file name). Memory is two fixed chunks plus a
 * line buffer that grows to the longest line up to max_line; longer lines
 * are reported without their bytes and skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createDCtx_advanced: allocate through the seam */
#include <zstd.h>
#include <zstd_errors.h>

#include "core/alloc.h"

#include "io/ingest_internal.h"

#define CHUNK ((size_t)1 << 20)

/*
 * Bounds on hostile input (docs/ingest.md, "Limits"): the reader gives up
 * when the first NO_EVENT_BUDGET bytes hold no event (/dev/urandom), when
 * one line runs past twice the line limit without a newline (/dev/zero
 * after a valid start), and after TOTAL_BUDGET bytes of decompressed text.
 */
#define NO_EVENT_BUDGET ((uint64_t)64 << 20)
#define TOTAL_BUDGET ((uint64_t)256 << 30)

static void *zstd_alloc(void *opaque, size_t n)
{
	(void)opaque;
	return gdfo__alloc_raw(n);
}

static void zstd_free(void *opaque, void *p)
{
	(void)opaque;
	free(p);
}

typedef struct splitter {
	gdfo__line_reader *r;
	gdfo__line_fn fn;
	void *user;
	gdfo__buf line;     /* the start of a line that spans chunks */
	uint64_t pending;   /* bytes of the current line seen so far (overlong lines) */
	int overlong;       /* the current line passed max_line */
	uint64_t fed;       /* decompressed bytes so far */
} splitter;

/* Feeds decompressed bytes; whole lines go to fn. */
static int split_feed(splitter *s, const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	int rc;

	if (s->r->events && *s->r->events == 0 && s->fed >= NO_EVENT_BUDGET)
		return gdfo__error(GDFO_EFORMAT, "%s: no Spark event in the first %llu MiB; not an event log",
				   s->r->what, (unsigned long long)(NO_EVENT_BUDGET >> 20));
	if (len > TOTAL_BUDGET - s->fed)
		return gdfo__error(GDFO_ERANGE, "%s: more than %llu GiB of event-log text; refused",
				   s->r->what, (unsigned long long)(TOTAL_BUDGET >> 30));
	s->fed += len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (s->overlong) {
			s->pending += n;
		} else if (s->pending + n > s->r->max_line) {
			s->overlong = 1;
			s->pending += n;
			s->line.len = 0;
		} else if (nl && s->pending == 0) {
			/* the common case: a whole line inside the chunk, no copy */
			if ((rc = s->fn(s->user, p, n)))
				return rc;
		} else {
			if (gdfo__buf_put(&s->line, p, n))
				return GDFO_ENOMEM;
			s->pending += n;
		}
		if (s->overlong && s->pending - s->r->max_line > s->r->max_line)
			return gdfo__error(GDFO_EFORMAT, "%s: a line is longer than %llu bytes (twice the line limit); not an event log",
					   s->r->what, (unsigned long long)(2 * s->r->max_line));
		if (!nl)
			break;
		if (s->overlong) {
			if ((rc = s->fn(s->user, NULL, (size_t)s->pending)))
				return rc;
		} else if (s->pending) {
			if ((rc = s->fn(s->user, s->line.data, s->line.len)))
				return rc;
		}
		s->line.len = 0;
		s->pending = 0;
		s->overlong = 0;
		p = nl + 1;
	}
	return 0;
}

/* The last line when the stream did not end with a newline. */
static int split_finish(splitter *s)
{
	int rc = 0;
	if (s->overlong)
		rc = s->fn(s->user, NULL, (size_t)s->pending);
	else if (s->pending)
		rc = s->fn(s->user, s->line.data, s->line.len);
	if (s->overlong || s->pending)
		s->r->truncated = 1;
	s->pending = 0;
	s->overlong = 0;
	return rc;
}

/* Reads up to cap bytes of the source; 0 at the end. */
static int source_read(gdfo__line_reader *r, unsigned char *buf, size_t cap, size_t *got, uint64_t *pos)
{
	if (r->fd < 0) {
		size_t left = r->mem_len - (size_t)*pos;
		size_t n = left < cap ? left : cap;
		memcpy(buf, r->mem + *pos, n);
		*got = n;
		*pos += n;
		return 0;
	}
	for (;;) {
		ssize_t n = read(r->fd, buf, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return gdfo__error(GDFO_EIO, "%s: read failed at byte %llu: %s", r->what,
					   (unsigned long long)*pos, strerror(errno));
		*got = (size_t)n;
		*pos += (uint64_t)n;
		return 0;
	}
}

/* A zstd error: out of memory when the decoder could not allocate, else corrupt data. */
static int zstd_fail(gdfo__line_reader *r, size_t err, uint64_t near)
{
	if (ZSTD_getErrorCode(err) == ZSTD_error_memory_allocation)
		return gdfo__error(GDFO_ENOMEM, "%s: out of memory in the zstd decoder", r->what);
	return gdfo__error(GDFO_EFORMAT, "%s: zstd data is corrupt near byte %llu: %s", r->what,
			   (unsigned long long)near, ZSTD_getErrorName(err));
}

static void report(gdfo__line_reader *r, uint64_t pos, uint64_t *next)
{
	if (r->progress && pos >= *next) {
		r->progress(r->progress_user, pos, r->total_bytes);
		*next = pos + r->progress_every;
	}
}

int gdfo__lines_run(gdfo__line_reader *r, gdfo__line_fn fn, void *user)
{
	splitter s = {r, fn, user, {0}, 0, 0, 0};
	unsigned char *in = NULL, *out = NULL;
	size_t got = 0, in_cap;
	uint64_t pos = 0, next_report;
	ZSTD_DCtx *zd = NULL;
	z_stream zs;
	int zs_live = 0, rc = 0;

	r->codec = GDFO_CODEC_NONE;
	r->truncated = 0;
	next_report = r->progress_every;
	/* a log in memory smaller than a chunk needs no more (fuzzing, tests) */
	in_cap = r->fd < 0 && r->mem_len < CHUNK ? (r->mem_len < 4 ? 4 : r->mem_len) : CHUNK;
	in = gdfo__malloc(in_cap);
	if (!in) {
		rc = GDFO_ENOMEM;
		goto done;
	}
	/* Fill at least 4 bytes (or reach the end) to look at the magic number. */
	while (got < 4) {
		size_t n;
		if ((rc = source_read(r, in + got, in_cap - got, &n, &pos)))
			goto done;
		if (!n)
			break;
		got += n;
	}
	if (got >= 4 && in[0] == 0x28 && in[1] == 0xb5 && in[2] == 0x2f && in[3] == 0xfd)
		r->codec = GDFO_CODEC_ZSTD;
	else if (got >= 2 && in[0] == 0x1f && in[1] == 0x8b)
		r->codec = GDFO_CODEC_GZIP;
	if (r->codec != GDFO_CODEC_NONE && !(out = gdfo__malloc(CHUNK))) {
		rc = GDFO_ENOMEM;
		goto done;
	}

	if (r->codec == GDFO_CODEC_NONE) {
		while (got) {
			if ((rc = split_feed(&s, (const char *)in, got)))
				goto done;
			report(r, pos, &next_report);
			if ((rc = source_read(r, in, in_cap, &got, &pos)))
				goto done;
		}
	} else if (r->codec == GDFO_CODEC_ZSTD) {
		size_t last = 0;
		uint64_t consumed = 0;
		ZSTD_customMem mem = {zstd_alloc, zstd_free, NULL};
		zd = ZSTD_createDCtx_advanced(mem);
		if (!zd) {
			rc = gdfo__error(GDFO_ENOMEM, "%s: out of memory creating a zstd decoder", r->what);
			goto done;
		}
		while (got) {
			ZSTD_inBuffer ib = {in, got, 0};
			while (ib.pos < ib.size) {
				ZSTD_outBuffer ob = {out, CHUNK, 0};
				last = ZSTD_decompressStream(zd, &ob, &ib);
				if (ZSTD_isError(last)) {
					rc = zstd_fail(r, last, consumed + ib.pos);
					goto done;
				}
				if (ob.pos && (rc = split_feed(&s, (const char *)out, ob.pos)))
					goto done;
			}
			/* flush what the decoder still holds for this input */
			for (;;) {
				ZSTD_outBuffer ob = {out, CHUNK, 0};
				ZSTD_inBuffer none = {in, 0, 0};
				if (last == 0)
					break;
				last = ZSTD_decompressStream(zd, &ob, &none);
				if (ZSTD_isError(last)) {
					rc = zstd_fail(r, last, consumed + got);
					goto done;
				}
				if (!ob.pos)
					break;
				if ((rc = split_feed(&s, (const char *)out, ob.pos)))
					goto done;
			}
			consumed += got;
			report(r, pos, &next_report);
			if ((rc = source_read(r, in, in_cap, &got, &pos)))
				goto done;
		}
		if (last != 0)
			r->truncated = 1; /* the last frame was cut short */
	} else {
		int zr = Z_OK;
		memset(&zs, 0, sizeof(zs));
		zs.zalloc = gdfo__zalloc;
		zs.zfree = gdfo__zfree;
		if (inflateInit2(&zs, 15 + 32) != Z_OK) { /* Z_MEM_ERROR: the only failure here */
			rc = gdfo__error(GDFO_ENOMEM, "%s: out of memory creating a gzip decoder", r->what);
			goto done;
		}
		zs_live = 1;
		while (got) {
			zs.next_in = in;
			zs.avail_in = (uInt)got;
			while (zs.avail_in > 0) {
				zs.next_out = out;
				zs.avail_out = (uInt)CHUNK;
				zr = inflate(&zs, Z_NO_FLUSH);
				if (zr == Z_NEED_DICT || zr == Z_DATA_ERROR || zr == Z_MEM_ERROR || zr == Z_STREAM_ERROR) {
					if (zr == Z_MEM_ERROR)
						rc = gdfo__error(GDFO_ENOMEM, "%s: out of memory in the gzip decoder", r->what);
					else
						rc = gdfo__error(GDFO_EFORMAT, "%s: gzip data is corrupt near byte %llu: %s",
								 r->what, (unsigned long long)zs.total_in,
								 zs.msg ? zs.msg : "inflate failed");
					goto done;
				}
				if (CHUNK - zs.avail_out &&
				    (rc = split_feed(&s, (const char *)out, CHUNK - zs.avail_out)))
					goto done;
				if (zr == Z_STREAM_END) {
					/* another gzip member may follow */
					if (zs.avail_in == 0)
						break;
					if (inflateReset(&zs) != Z_OK) {
						rc = gdfo__error(GDFO_EFORMAT, "%s: gzip member could not be reset", r->what);
						goto done;
					}
				} else if (zr == Z_BUF_ERROR && zs.avail_out != 0) {
					break; /* needs more input */
				}
			}
			report(r, pos, &next_report);
			if ((rc = source_read(r, in, in_cap, &got, &pos)))
				goto done;
		}
		if (zr != Z_STREAM_END)
			r->truncated = 1;
	}
	rc = split_finish(&s);
	if (!rc && r->progress)
		r->progress(r->progress_user, pos, r->total_bytes);
done:
	if (zd)
		ZSTD_freeDCtx(zd);
	if (zs_live)
		inflateEnd(&zs);
	gdfo__buf_free(&s.line);
	free(in);
	free(out);
	return rc;
}
