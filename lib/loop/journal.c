/*
 * The state directory's journal (docs/loop.md "Journal"): records
 * appended to one file, each framed as
 *
 *   u32 magic "GDJ1" | u32 payload bytes | u32 CRC-32 of the payload | payload
 *
 * (little-endian). Opening reads every record back in order. A record
 * that fails its frame or checksum and is not followed by any good record
 * was torn by a crash during its write: it is counted and cut off. A bad
 * record followed by good ones is damage, not a crash: the journal is
 * refused (GDFO_ECHECKSUM) and left as it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gdfo/loop.h"
#include "loop/loop_state.h"

#define MAGIC 0x314a4447u /* "GDJ1" */
#define HEADER 12

static void put_u32(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
	b[2] = (unsigned char)(v >> 16);
	b[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint32_t crc_of(const unsigned char *p, size_t n)
{
	uLong c = crc32(0L, Z_NULL, 0);
	while (n) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
		c = crc32(c, p, k);
		p += k;
		n -= k;
	}
	return (uint32_t)c;
}

/* Length of a good record at off in b[0..len), or 0. */
static size_t good_at(const unsigned char *b, size_t len, size_t off)
{
	uint32_t n;
	if (len - off < HEADER || get_u32(b + off) != MAGIC)
		return 0;
	n = get_u32(b + off + 4);
	if (n == 0 || n > GDFO__JOURNAL_RECORD_MAX || len - off - HEADER < n)
		return 0;
	if (crc_of(b + off + HEADER, n) != get_u32(b + off + 8))
		return 0;
	return HEADER + n;
}

static int read_all(unsigned char **out, size_t *len, int fd, const char *path)
{
	struct stat st;
	unsigned char *b;
	size_t got = 0;

	*out = NULL;
	*len = 0;
	if (fstat(fd, &st))
		return gdfo__error(GDFO_EIO, "journal '%s': %s", path, strerror(errno));
	if (st.st_size == 0)
		return 0;
	if ((uint64_t)st.st_size > (uint64_t)GDFO__JOURNAL_MAX)
		return gdfo__error(GDFO_EFORMAT, "journal '%s' is %lld bytes; the most a state holds is %llu",
				   path, (long long)st.st_size, (unsigned long long)GDFO__JOURNAL_MAX);
	if (!(b = gdfo__malloc((size_t)st.st_size)))
		return GDFO_ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t r = pread(fd, b + got, (size_t)st.st_size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : EIO;
			free(b);
			return gdfo__error(GDFO_EIO, "journal '%s': %s", path, strerror(e));
		}
		got += (size_t)r;
	}
	*out = b;
	*len = got;
	return 0;
}

int gdfo__journal_open(gdfo__journal *j, const char *path, gdfo__journal_apply apply, void *ctx, int32_t *torn)
{
	unsigned char *b = NULL;
	size_t len, off = 0;
	int rc;

	memset(j, 0, sizeof(*j));
	j->fd = -1;
	*torn = 0;
	if (!(j->path = gdfo__strdup(path)))
		return GDFO_ENOMEM;
	j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (j->fd < 0) {
		rc = gdfo__error(GDFO_EIO, "journal '%s': %s", path, strerror(errno));
		goto fail;
	}
	if ((rc = read_all(&b, &len, j->fd, path)))
		goto fail;
	while (off < len) {
		size_t n = good_at(b, len, off), k;
		if (!n) {
			/* torn tail, or damage before good records? */
			for (k = off + 1; k + HEADER <= len && !good_at(b, len, k); k++)
				;
			if (k + HEADER <= len) {
				rc = gdfo__error(GDFO_ECHECKSUM,
						 "journal '%s': the record at byte %zu is damaged and good records follow it (at byte %zu): not a crash during a write; the state is left as it is",
						 path, off, k);
				goto fail;
			}
			*torn = 1;
			if (ftruncate(j->fd, (off_t)off) || fsync(j->fd)) {
				rc = gdfo__error(GDFO_EIO, "journal '%s': cutting its torn end: %s", path, strerror(errno));
				goto fail;
			}
			len = off;
			break;
		}
		if ((rc = apply(ctx, (const char *)b + off + HEADER, n - HEADER)))
			goto fail;
		j->records++;
		off += n;
	}
	free(b);
	b = NULL;
	j->end = len;
	return 0;
fail:
	free(b);
	gdfo__journal_close(j);
	return rc;
}

int gdfo__journal_append(gdfo__journal *j, const char *payload, size_t len, int sync)
{
	unsigned char head[HEADER];
	size_t done = 0;
	int rc;

	if (len == 0 || len > GDFO__JOURNAL_RECORD_MAX)
		return gdfo__error(GDFO_EINVAL, "journal record of %zu bytes (the most is %d)", len,
				   GDFO__JOURNAL_RECORD_MAX);
	if (j->end + HEADER + len > GDFO__JOURNAL_MAX)
		return gdfo__error(GDFO_EIO, "journal '%s' is full (%llu bytes)", j->path,
				   (unsigned long long)GDFO__JOURNAL_MAX);
	put_u32(head, MAGIC);
	put_u32(head + 4, (uint32_t)len);
	put_u32(head + 8, crc_of((const unsigned char *)payload, len));
	/* header and payload in two positioned writes at the end we know: a
	 * failure leaves at most a torn tail, which the next open cuts */
	while (done < HEADER + len) {
		const unsigned char *src = done < HEADER ? head + done : (const unsigned char *)payload + (done - HEADER);
		size_t want = done < HEADER ? HEADER - done : HEADER + len - done;
		ssize_t w = pwrite(j->fd, src, want, (off_t)(j->end + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = gdfo__error(GDFO_EIO, "journal '%s': %s", j->path, strerror(w < 0 ? errno : EIO));
			/* forget the partial record: the next append overwrites it */
			return rc;
		}
		done += (size_t)w;
	}
	j->end += HEADER + len;
	j->records++;
	j->unsynced++;
	if (sync && (rc = gdfo__journal_sync(j))) {
		/* not on stable storage: take the record back, so that the caller's
		 * error means nothing was written (a retry must not add a second) */
		uint64_t back = j->end - HEADER - len;
		if (ftruncate(j->fd, (off_t)back) == 0) {
			j->end = back;
			j->records--;
			j->unsynced--;
		}
		return rc;
	}
	return 0;
}

int gdfo__journal_sync(gdfo__journal *j)
{
	if (!j->unsynced)
		return 0;
	if (fdatasync(j->fd))
		return gdfo__error(GDFO_EIO, "journal '%s': fsync: %s", j->path, strerror(errno));
	j->unsynced = 0;
	return 0;
}

void gdfo__journal_close(gdfo__journal *j)
{
	if (j->fd >= 0) {
		if (j->unsynced)
			(void)fdatasync(j->fd);
		close(j->fd);
	}
	free(j->path);
	memset(j, 0, sizeof(*j));
	j->fd = -1;
}
