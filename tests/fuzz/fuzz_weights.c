/*
 * libFuzzer target: gdfo_nn_load on the input as a file (a memfd, so no
 * disk traffic); an accepted file saves, loads and saves to the same bytes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

static int memfd_path(char *path, size_t cap, const unsigned char *data, size_t size)
{
	int fd = memfd_create("gdfo-fuzz", 0);

	FUZZ_REQUIRE(fd >= 0, "memfd_create failed");
	FUZZ_REQUIRE(write(fd, data, size) == (ssize_t)size, "write failed");
	snprintf(path, cap, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	gdfo_nn_encoder *enc = (gdfo_nn_encoder *)1;
	char path[64], out[] = "/tmp/gdfo-fuzz-weights-XXXXXX";
	int fd = memfd_path(path, sizeof(path), data, size), ofd, rc;

	rc = gdfo_nn_load(&enc, path);
	close(fd);
	if (rc) {
		fuzz_rejected(rc, enc);
		return 0;
	}
	ofd = mkstemp(out);
	FUZZ_REQUIRE(ofd >= 0, "mkstemp failed");
	close(ofd);
	{
		/* the writer is canonical: save, load, save gives the same bytes */
		gdfo_nn_encoder *again = NULL;
		unsigned char *first, *second;
		size_t n1, n2;
		FILE *f;

		FUZZ_REQUIRE(gdfo_nn_save(enc, out) == 0, "%s", gdfo_last_error());
		f = fopen(out, "rb");
		first = malloc(size + (1 << 20));
		n1 = fread(first, 1, size + (1 << 20), f);
		fclose(f);
		FUZZ_REQUIRE(gdfo_nn_load(&again, out) == 0, "own output refused: %s", gdfo_last_error());
		FUZZ_REQUIRE(gdfo_nn_save(again, out) == 0, "%s", gdfo_last_error());
		f = fopen(out, "rb");
		second = malloc(n1 + 1);
		n2 = fread(second, 1, n1 + 1, f);
		fclose(f);
		FUZZ_REQUIRE(n1 == n2 && memcmp(first, second, n1) == 0, "weights do not round-trip");
		free(first);
		free(second);
		gdfo_nn_free(again);
	}
	unlink(out);
	gdfo_nn_free(enc);
	return 0;
}
