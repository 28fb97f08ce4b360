/*
 * Reading a text document (JSON) whole, with its limit enforced before the
 * bytes are read: a regular file's size is checked with fstat, anything
 * else (a pipe, a device) is counted as it is read, and the first NUL
 * byte ends the read, since JSON text never contains one. /dev/zero,
 * /dev/urandom and a 2 GB sparse file are refused without reading them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"

int gdfo__file_read_text(char **out, size_t *len, const char *path, size_t max_bytes)
{
	gdfo__buf b = {0};
	char chunk[65536];
	struct stat st;
	int fd, rc = 0;

	*out = NULL;
	if (len)
		*len = 0;
	if (!path)
		return gdfo__error(GDFO_EINVAL, "file path is NULL");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gdfo__error(GDFO_EIO, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			close(fd);
			return gdfo__error(GDFO_EIO, "cannot read '%s': it is a directory", path);
		}
		if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max_bytes) {
			close(fd);
			return gdfo__error(GDFO_ERANGE, "'%s' is larger than the %zu-byte limit (%lld bytes)",
					   path, max_bytes, (long long)st.st_size);
		}
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		const char *nul;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = gdfo__error(GDFO_EIO, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if ((size_t)n > max_bytes - b.len) {
			rc = gdfo__error(GDFO_ERANGE, "'%s' is larger than the %zu-byte limit", path, max_bytes);
			break;
		}
		if ((nul = memchr(chunk, '\0', (size_t)n))) {
			rc = gdfo__error(GDFO_EFORMAT, "'%s': not JSON (binary data at byte %zu)", path,
					 b.len + (size_t)(nul - chunk));
			break;
		}
		if ((rc = gdfo__buf_put(&b, chunk, (size_t)n)))
			break;
	}
	close(fd);
	if (rc) {
		gdfo__buf_free(&b);
		return rc;
	}
	if (len)
		*len = b.len;
	return gdfo__buf_detach(&b, out);
}
