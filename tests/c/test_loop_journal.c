/*
 * The loop's journal damaged by hand (docs/loop.md "Journal"): a record
 * torn at the end (cut mid-header, mid-payload, garbage appended) is cut
 * and counted at open and every record before it replays; damage followed
 * by good records is refused with GDFO_ECHECKSUM and the journal is left
 * as it is. tests/loop/crash.c tears records with real crashes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gdfo/gdfo.h"
#include "testutil.h"

#define PLANS 4

static char dir[4096], journal[4200];
static char ids[PLANS][GDFO_PLAN_ID_MAX + 1];

static gdfo_telemetry *run_of(double latency_ms)
{
	gdfo_telemetry *t;
	gdfo_run_telemetry run;
	ck_assert_int_eq(gdfo_telemetry_create(&t), 0);
	gdfo_run_telemetry_init(&run, GDFO_RUN_TELEMETRY_VERSION);
	run.latency_ms = latency_ms;
	ck_assert_int_eq(gdfo_telemetry_set_run(t, &run), 0);
	return t;
}

static int open_state(gdfo_optimizer **opt)
{
	gdfo_optimizer_options oo;
	gdfo_optimizer_options_init(&oo, GDFO_OPTIMIZER_OPTIONS_VERSION);
	oo.model_path = "";
	return gdfo_optimizer_open(opt, dir, &oo);
}

static gdfo_loop_stats stats_of(gdfo_optimizer *opt)
{
	gdfo_loop_stats st = {.version = GDFO_LOOP_STATS_VERSION};
	ck_assert_int_eq(gdfo_loop_stats_get(&st, opt), 0);
	return st;
}

/* A state of PLANS plans, each with its feedback: 2 * PLANS records. */
static void setup(void)
{
	gdfo_optimizer *opt;
	gdfo_graph *g;
	gdfo_telemetry *t = run_of(30000);
	int i;

	snprintf(dir, sizeof(dir), "%s/gdfo-journal-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(journal, sizeof(journal), "%s/journal", dir);
	ck_assert_int_eq(gdfo_graph_load(&g, "examples/pipelines/retail_etl.json"), 0);
	ck_assert_msg(open_state(&opt) == 0, "%s", gdfo_last_error());
	for (i = 0; i < PLANS; i++) {
		gdfo_plan *p;
		ck_assert_msg(gdfo_optimizer_plan(&p, opt, g, NULL, NULL) == 0, "%s", gdfo_last_error());
		snprintf(ids[i], sizeof(ids[i]), "%s", gdfo_plan_id(p));
		ck_assert_msg(gdfo_optimizer_feedback(NULL, opt, ids[i], t) == 0, "%s", gdfo_last_error());
		gdfo_plan_free(p);
	}
	gdfo_optimizer_close(opt);
	gdfo_telemetry_free(t);
	gdfo_graph_free(g);
}

static void teardown(void)
{
	static const char *const files[] = {"journal", "audit.jsonl", "policy.json", "lock"};
	char p[4300];
	size_t i;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* The journal's bytes (tu_slurp). */
static unsigned char *slurp(size_t *len)
{
	return (unsigned char *)tu_slurp(journal, len);
}

static void spit(const unsigned char *b, size_t len)
{
	FILE *f = fopen(journal, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(b, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static size_t file_size(void)
{
	struct stat st;
	ck_assert_int_eq(stat(journal, &st), 0);
	return (size_t)st.st_size;
}

/* Start of record i (frames: magic, length, CRC, payload), and the journal's records. */
static size_t record_at(const unsigned char *b, size_t len, int i, int *count)
{
	size_t off = 0, at = 0;
	int n = 0;
	while (off + 12 <= len) {
		uint32_t plen = (uint32_t)b[off + 4] | (uint32_t)b[off + 5] << 8 | (uint32_t)b[off + 6] << 16 |
				(uint32_t)b[off + 7] << 24;
		ck_assert_msg(!memcmp(b + off, "GDJ1", 4), "record %d: no magic", n);
		if (n == i)
			at = off;
		off += 12 + plen;
		n++;
	}
	ck_assert_uint_eq(off, len);
	if (count)
		*count = n;
	return at;
}

/* Opens; the torn count, the feedback count; checks which feedback the state holds. */
static void expect_open(int torn, int fed)
{
	gdfo_optimizer *opt;
	gdfo_loop_stats st;
	gdfo_telemetry *t = run_of(30000);
	int i;

	ck_assert_msg(open_state(&opt) == 0, "%s", gdfo_last_error());
	st = stats_of(opt);
	ck_assert_int_eq(st.torn, torn);
	ck_assert_int_eq(st.feedback, fed);
	ck_assert_int_eq(st.plans, PLANS);
	for (i = 0; i < fed; i++)
		ck_assert_int_eq(gdfo_optimizer_feedback(NULL, opt, ids[i], t), GDFO_EEXISTS);
	gdfo_optimizer_close(opt);
	gdfo_telemetry_free(t);
}

START_TEST(a_record_torn_mid_payload_is_cut_and_counted)
{
	size_t len, last;
	int n;
	unsigned char *b = slurp(&len);

	last = record_at(b, len, 2 * PLANS - 1, &n);
	ck_assert_int_eq(n, 2 * PLANS);
	spit(b, last + 12 + (len - last - 12) / 2); /* the last feedback, half written */
	expect_open(1, PLANS - 1);
	ck_assert_uint_eq(file_size(), last);
	expect_open(0, PLANS - 1); /* cut: the next open finds nothing torn */
	free(b);
}
END_TEST

START_TEST(a_record_torn_mid_header_is_cut_and_counted)
{
	size_t len, last;
	unsigned char *b = slurp(&len);

	last = record_at(b, len, 2 * PLANS - 1, NULL);
	spit(b, last + 5);
	expect_open(1, PLANS - 1);
	ck_assert_uint_eq(file_size(), last);
	free(b);
}
END_TEST

START_TEST(garbage_after_the_last_record_is_cut_and_counted)
{
	size_t len;
	unsigned char *b = slurp(&len), *c = malloc(len + 100);

	memcpy(c, b, len);
	memset(c + len, 'x', 100);
	memcpy(c + len, "GDJ1", 4); /* a header that promises more than there is */
	spit(c, len + 100);
	expect_open(1, PLANS);
	ck_assert_uint_eq(file_size(), len);
	free(b);
	free(c);
}
END_TEST

static void expect_refused(const unsigned char *b, size_t len)
{
	gdfo_optimizer *opt = (gdfo_optimizer *)1;
	size_t got_len;
	unsigned char *got;
	const char *msg;

	ck_assert_int_eq(open_state(&opt), GDFO_ECHECKSUM);
	ck_assert_ptr_null(opt);
	msg = gdfo_last_error();
	ck_assert_msg(strstr(msg, "damaged and good records follow it") && !strchr(msg, '\n'), "%s", msg);
	got = slurp(&got_len); /* left as it is */
	ck_assert_uint_eq(got_len, len);
	ck_assert(!memcmp(got, b, len));
	free(got);
}

START_TEST(a_damaged_payload_before_good_records_is_refused)
{
	size_t len, at;
	unsigned char *b = slurp(&len);

	at = record_at(b, len, 2, NULL);
	b[at + 12 + 20] ^= 0x20; /* one bit of the third record's payload */
	spit(b, len);
	expect_refused(b, len);
	free(b);
}
END_TEST

START_TEST(a_damaged_header_before_good_records_is_refused)
{
	size_t len, at;
	unsigned char *b = slurp(&len);

	at = record_at(b, len, 1, NULL);
	b[at + 4] ^= 0x01; /* the second record's length */
	spit(b, len);
	expect_refused(b, len);
	free(b);
}
END_TEST

START_TEST(a_record_missing_from_the_middle_is_refused_when_its_feedback_remains)
{
	/* a journal cut at a record boundary in the middle is not torn: the
	 * feedback of the cut plan names a plan the state does not hold */
	size_t len, a0, a1;
	unsigned char *b = slurp(&len), *c;
	gdfo_optimizer *opt = (gdfo_optimizer *)1;

	a0 = record_at(b, len, 0, NULL);
	a1 = record_at(b, len, 1, NULL);
	c = malloc(len);
	memcpy(c, b + a1, len - a1); /* drop the first plan record */
	spit(c, len - (a1 - a0));
	ck_assert_int_eq(open_state(&opt), GDFO_EFORMAT);
	ck_assert_ptr_null(opt);
	free(b);
	free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("loop_journal");
	TCase *tc = tcase_create("damage");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_record_torn_mid_payload_is_cut_and_counted);
	tcase_add_test(tc, a_record_torn_mid_header_is_cut_and_counted);
	tcase_add_test(tc, garbage_after_the_last_record_is_cut_and_counted);
	tcase_add_test(tc, a_damaged_payload_before_good_records_is_refused);
	tcase_add_test(tc, a_damaged_header_before_good_records_is_refused);
	tcase_add_test(tc, a_record_missing_from_the_middle_is_refused_when_its_feedback_remains);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
