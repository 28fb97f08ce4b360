/*
 * libFuzzer target: the loop's state directory at open (the journal's
 * framing and replay, docs/loop.md "Journal"). The input becomes
 * STATE/journal in a temporary directory and gdfo_optimizer_open (no
 * model) must open it or refuse it with a status gdfo_optimizer_open
 * documents and a one-line message; an opened state is closed. Two forms:
 *
 *   raw      the input is the journal as it is (seeds: journals that
 *            `gdfo loop --state` wrote, torn ones)
 *   framed   'F' then records separated by the byte 0x1e (ASCII record
 *            separator; JSON text holds none): each is framed with a good
 *            magic, length and CRC, so the fuzzer reaches the replay of
 *            the records' JSON (seeds: the payloads of such journals)
 *
 * STATE/policy.json is not fuzzed: the policy reader has its own target.
 */
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fuzz.h"

static char dir[4096], journal[4200], audit[4200], lock[4200];

static void cleanup(void)
{
	unlink(journal);
	unlink(audit);
	unlink(lock);
	rmdir(dir);
}

static void setup(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	if (dir[0])
		return;
	snprintf(dir, sizeof(dir), "%s/gdfo-fuzz-journal-XXXXXX", base);
	FUZZ_REQUIRE(mkdtemp(dir) != NULL, "mkdtemp in %s", base);
	snprintf(journal, sizeof(journal), "%s/journal", dir);
	snprintf(audit, sizeof(audit), "%s/audit.jsonl", dir);
	snprintf(lock, sizeof(lock), "%s/lock", dir);
	atexit(cleanup);
}

static void put_u32(FILE *f, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 24)};
	fwrite(b, 1, 4, f);
}

static void write_journal(const unsigned char *data, size_t size)
{
	FILE *f = fopen(journal, "wb");
	FUZZ_REQUIRE(f != NULL, "%s", journal);
	if (size && data[0] == 'F') {
		const unsigned char *p = data + 1, *end = data + size;
		while (p < end) {
			const unsigned char *nl = memchr(p, 0x1e, (size_t)(end - p));
			size_t n = (size_t)((nl ? nl : end) - p);
			if (n) {
				put_u32(f, 0x314a4447u); /* "GDJ1" */
				put_u32(f, (uint32_t)n);
				put_u32(f, (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n));
				fwrite(p, 1, n, f);
			}
			p += n + 1;
		}
	} else {
		fwrite(data, 1, size, f);
	}
	FUZZ_REQUIRE(fclose(f) == 0, "writing %s", journal);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	gdfo_optimizer_options oo;
	gdfo_optimizer *opt = (gdfo_optimizer *)1;
	int rc;

	setup();
	write_journal(data, size);
	unlink(audit); /* each open appends to it */
	gdfo_optimizer_options_init(&oo, GDFO_OPTIMIZER_OPTIONS_VERSION);
	oo.model_path = "";
	rc = gdfo_optimizer_open(&opt, dir, &oo);
	if (rc) {
		static unsigned seen; /* the first refusal of each status, for the log */
		fuzz_rejected(rc, opt);
		FUZZ_REQUIRE(rc == GDFO_EFORMAT || rc == GDFO_ECHECKSUM || rc == GDFO_EIO || rc == GDFO_ENOMEM ||
				     rc == GDFO_EVERSION || rc == GDFO_EINVAL,
			     "gdfo_optimizer_open gave %s, which it does not document: %s", gdfo_status_name(rc),
			     gdfo_last_error());
		if (-rc < 32 && !(seen & 1u << -rc)) {
			seen |= 1u << -rc;
			fprintf(stderr, "fuzz_journal: first %s: %s\n", gdfo_status_name(rc), gdfo_last_error());
		}
		return 0;
	}
	{
		gdfo_loop_stats st = {.version = GDFO_LOOP_STATS_VERSION};
		FUZZ_REQUIRE(gdfo_loop_stats_get(&st, opt) == 0, "%s", gdfo_last_error());
		FUZZ_REQUIRE(st.torn == 0 || st.torn == 1, "torn %d", st.torn);
		FUZZ_REQUIRE(st.feedback <= st.plans, "%lld feedback records for %lld plans", (long long)st.feedback,
			     (long long)st.plans);
	}
	gdfo_optimizer_close(opt);
	return 0;
}
