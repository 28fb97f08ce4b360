/*
 * Atomic file replacement (gdfo__file_write_atomic): write a temporary
 * file next to the target, fsync, rename over the target, fsync the
 * directory. A reader sees the old file or the new one, never a torn one.
 *
 * - The new file keeps the permission bits of the file it replaces; a new
 *   file gets 0666 minus the umask (the temporary file is created with
 *   mode 0666, so the kernel applies the umask: no process-wide umask()).
 * - A symlink is written through: the link stays, its target is replaced
 *   (as editors and git do), so a link into a configuration directory
 *   keeps working. A dangling link is refused.
 * - Temporary files are named "<target>.gdfo-tmp.<pid>.<n>". One left by a
 *   process that died (kill -9) is removed by the next save of the same
 *   target when no process with its pid exists any more.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"

#define TMP_TAG ".gdfo-tmp."

static atomic_uint tmp_counter;

/* Splits path into its directory ("." when none) and base name. */
static int split_path(char *dir, size_t cap, const char **base, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		snprintf(dir, cap, ".");
		*base = path;
	} else if (slash == path) {
		snprintf(dir, cap, "/");
		*base = slash + 1;
	} else {
		size_t n = (size_t)(slash - path);
		if (n >= cap)
			return -1;
		memcpy(dir, path, n);
		dir[n] = '\0';
		*base = slash + 1;
	}
	return 0;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return; /* best effort: the rename already happened */
	fsync(fd);
	close(fd);
}

/* Removes base's temporary files whose writer no longer runs. */
static void remove_stale(const char *dir, const char *base)
{
	char prefix[NAME_MAX + 1];
	size_t n;
	struct dirent *e;
	DIR *d;

	if (snprintf(prefix, sizeof(prefix), "%s" TMP_TAG, base) >= (int)sizeof(prefix))
		return;
	n = strlen(prefix);
	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(e->d_name, prefix, n) != 0)
			continue;
		pid = strtol(e->d_name + n, &end, 10);
		if (pid <= 0 || *end != '.' || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue; /* its writer may still be running */
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

int gdfo__file_write_atomic(const char *path, const void *data, size_t len)
{
	char target[PATH_MAX], tmp[PATH_MAX], dir[PATH_MAX];
	const char *p = data, *base;
	struct stat st;
	int fd, have_old = 0, e;

	if (!path || !*path)
		return gdfo__error(GDFO_EINVAL, "output path is empty");
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (!realpath(path, target))
			return gdfo__error(GDFO_EIO, "cannot write '%s': it is a symlink whose target cannot be resolved (%s)",
					   path, strerror(errno));
		path = target;
	}
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return gdfo__error(GDFO_EIO, "cannot write '%s': it is not a regular file", path);
		have_old = 1;
	}
	if (split_path(dir, sizeof(dir), &base, path) ||
	    snprintf(tmp, sizeof(tmp), "%s" TMP_TAG "%ld.%u", path, (long)getpid(),
		     atomic_fetch_add(&tmp_counter, 1)) >= (int)sizeof(tmp))
		return gdfo__error(GDFO_EINVAL, "output path '%.200s' is too long", path);
	remove_stale(dir, base);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0)
		return gdfo__error(GDFO_EIO, "cannot create a temporary file next to '%s': %s", path,
				   strerror(errno));
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			close(fd);
			unlink(tmp);
			return gdfo__error(GDFO_EIO, "cannot write '%s': %s", tmp, strerror(e));
		}
		p += w;
		len -= (size_t)w;
	}
	if ((have_old && fchmod(fd, st.st_mode & 07777) != 0) || fsync(fd) != 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		return gdfo__error(GDFO_EIO, "cannot sync '%s': %s", tmp, strerror(e));
	}
	if (close(fd) != 0) {
		e = errno;
		unlink(tmp);
		return gdfo__error(GDFO_EIO, "cannot close '%s': %s", tmp, strerror(e));
	}
	if (rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		return gdfo__error(GDFO_EIO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(e));
	}
	fsync_dir(dir);
	return 0;
}
