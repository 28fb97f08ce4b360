/*
 * Bounded work on hostile input: readers refuse what is over their
 * documented limits before reading or allocating it (docs/formats.md,
 * docs/ingest.md, docs/encoder.md).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "core/alloc.h"
#include "gdfo/gdfo.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* The probe's file: 191 bytes, a valid CRC, claims d_model 1024 and 43 layers. */
START_TEST(weights_file_too_small_for_its_configuration_is_refused_at_once)
{
	unsigned char buf[191];
	uint32_t config[25] = {GDFO_NN_FEATURES, 1024, 43, 4, 13, 256, 3, 1, 1, 0, 0, 0, 0, 0, 0, 0,
			       1, 1, 0, 0, 0, 0, 0, 0, 0};
	char path[] = "/tmp/gdfo-test-limits-XXXXXX";
	gdfo_nn_encoder *enc = (gdfo_nn_encoder *)1;
	unsigned long allocs;
	double t0;
	FILE *f;
	int fd, i, rc;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, "GDFO-NN", 8);
	put_u32(buf + 8, 1);
	put_u32(buf + 12, 128);
	for (i = 0; i < 25; i++)
		put_u32(buf + 16 + 4 * i, config[i]);
	put_u32(buf + 116, 1); /* seed */
	put_u32(buf + 124, 0); /* no tensors */
	put_u32(buf + 187, (uint32_t)crc32(0L, buf, 187));
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "wb");
	ck_assert_uint_eq(fwrite(buf, 1, sizeof(buf), f), sizeof(buf));
	fclose(f);

	t0 = now_s();
	gdfo__alloc_test_arm(0);
	rc = gdfo_nn_load(&enc, path);
	allocs = gdfo__alloc_test_disarm();
	unlink(path);
	ck_assert_int_eq(rc, GDFO_EFORMAT);
	ck_assert_ptr_null(enc);
	ck_assert_msg(strstr(gdfo_last_error(), "191 bytes, too small for the configuration it claims (d_model 1024, 43 layers") != NULL,
		      "message: %s", gdfo_last_error());
	/* only the file itself was read: nothing sized by the claimed configuration */
	ck_assert_uint_le(allocs, 2);
	ck_assert_double_lt(now_s() - t0, 0.5);
}
END_TEST

/* The size check must not refuse real files: every architecture round-trips. */
START_TEST(weights_files_of_every_shape_still_load)
{
	static const uint32_t shapes[][6] = {
		/* F, d_model, layers, heads, stage heads, pipeline heads */
		{64, 64, 2, 4, 1, 1}, {1, 1, 0, 1, 0, 0}, {7, 24, 3, 6, 3, 0}, {3, 8, 1, 2, 0, 2},
	};
	const uint32_t *s = shapes[_i];
	char path[] = "/tmp/gdfo-test-limits-XXXXXX";
	gdfo_nn_encoder *a, *b;
	gdfo_nn_options o;
	uint32_t k;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	o.n_features = s[0];
	o.d_model = s[1];
	o.n_layers = s[2];
	o.n_heads = s[3];
	o.n_stage_heads = s[4];
	o.n_pipeline_heads = s[5];
	for (k = 0; k < s[4]; k++)
		o.stage_head_widths[k] = k + 1;
	for (k = 0; k < s[5]; k++)
		o.pipeline_head_widths[k] = 2 * k + 1;
	ck_assert_int_eq(gdfo_nn_create(&a, &o), 0);
	ck_assert_int_eq(gdfo_nn_save(a, path), 0);
	ck_assert_msg(gdfo_nn_load(&b, path) == 0, "%s", gdfo_last_error());
	ck_assert_uint_eq(gdfo_nn_param_count(a), gdfo_nn_param_count(b));
	gdfo_nn_free(a);
	gdfo_nn_free(b);
	unlink(path);
}
END_TEST

/* ---- JSON readers: over-limit input is refused before it is read ---- */

typedef int (*load_fn)(const char *path);

static int load_graph(const char *path)
{
	gdfo_graph *g = NULL;
	int rc = gdfo_graph_load(&g, path);
	ck_assert_ptr_null(g);
	return rc;
}

static int load_telemetry(const char *path)
{
	gdfo_telemetry *t = NULL;
	int rc = gdfo_telemetry_load(&t, path);
	ck_assert_ptr_null(t);
	return rc;
}

static int load_plan(const char *path)
{
	gdfo_plan *p = NULL;
	int rc = gdfo_plan_load(&p, path);
	ck_assert_ptr_null(p);
	return rc;
}

static int load_profile(const char *path)
{
	gdfo_profile *p = NULL;
	int rc = gdfo_profile_load(&p, path);
	ck_assert_ptr_null(p);
	return rc;
}

static int load_cluster(const char *path)
{
	gdfo_sim_cluster c;
	return gdfo_sim_cluster_load(&c, path);
}

static int load_weights(const char *path)
{
	gdfo_nn_encoder *e = NULL;
	int rc = gdfo_nn_load(&e, path);
	ck_assert_ptr_null(e);
	return rc;
}

static const load_fn loaders[] = {load_graph, load_telemetry, load_plan, load_profile, load_cluster};

/* Runs load on path: must fail with want, in under a second, allocating at most 70 KiB. */
static void refused_fast(load_fn load, const char *path, int want)
{
	double t0 = now_s();
	int rc;

	gdfo__alloc_test_arm(0);
	rc = load(path);
	ck_assert_uint_le(gdfo__alloc_test_disarm(), 40);
	ck_assert_msg(rc == want, "%s: %s (%s), want %s", path, gdfo_status_name(rc), gdfo_last_error(),
		      gdfo_status_name(want));
	ck_assert_msg(now_s() - t0 < 1.0, "%s took %.2f s to refuse", path, now_s() - t0);
	ck_assert_ptr_null(strchr(gdfo_last_error(), '\n'));
}

START_TEST(json_readers_refuse_endless_devices_at_once)
{
	refused_fast(loaders[_i], "/dev/zero", GDFO_EFORMAT);
	refused_fast(loaders[_i], "/dev/urandom", GDFO_EFORMAT);
}
END_TEST

START_TEST(readers_refuse_a_huge_sparse_file_from_its_size)
{
	char path[] = "/tmp/gdfo-test-limits-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)5 << 30), 0); /* 5 GiB, no blocks */
	close(fd);
	if (_i < 5)
		refused_fast(loaders[_i], path, GDFO_ERANGE);
	else
		refused_fast(load_weights, path, GDFO_ERANGE);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "limit"));
	unlink(path);
}
END_TEST

/* ---- the event-log reader ends on endless input ---- */

START_TEST(eventlog_reader_ends_on_endless_devices)
{
	static const char *const devs[] = {"/dev/zero", "/dev/urandom"};
	gdfo_eventlog *log = (gdfo_eventlog *)1;
	double t0 = now_s();
	int rc = gdfo_eventlog_read(&log, devs[_i], NULL);

	ck_assert_int_eq(rc, GDFO_EFORMAT);
	ck_assert_ptr_null(log);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "no Spark event in the first 64 MiB"));
	ck_assert_msg(now_s() - t0 < 30.0, "took %.2f s", now_s() - t0); /* 0.4 s; sanitizers are slower */
}
END_TEST

START_TEST(eventlog_reader_ends_on_a_line_without_newline)
{
	static const char start[] = "{\"Event\":\"SparkListenerLogStart\",\"Spark Version\":\"3.1.1\"}\n";
	size_t n = sizeof(start) - 1 + 5000;
	char *buf = malloc(n);
	gdfo_ingest_options o;
	gdfo_eventlog *log = NULL;
	int rc;

	memcpy(buf, start, sizeof(start) - 1);
	memset(buf + sizeof(start) - 1, 'x', 5000);
	gdfo_ingest_options_init(&o, GDFO_INGEST_OPTIONS_VERSION);
	o.max_line_bytes = 1024;
	rc = gdfo_eventlog_read_memory(&log, buf, n, &o);
	ck_assert_int_eq(rc, GDFO_EFORMAT);
	ck_assert_ptr_null(log);
	ck_assert_str_eq(gdfo_last_error(),
			 "event log in memory: a line is longer than 2048 bytes (twice the line limit); not an event log");
	/* a long line under twice the limit is still skipped as malformed */
	rc = gdfo_eventlog_read_memory(&log, buf, sizeof(start) - 1 + 1500, &o);
	ck_assert_int_eq(rc, 0);
	gdfo_eventlog_free(log);
	free(buf);
}
END_TEST

/* The CLI quotes a short prefix of a huge argument, not all of it. */
START_TEST(cli_messages_quote_a_prefix_of_a_huge_argument)
{
	const char *cli = getenv("GDFO_CLI");
	static const char *const cmds[] = {"simulate --pipeline p.json --executors ", "optimize --", "",
					   "generate --"};
	size_t n = 100000, k;
	char *cmd, out[4096];
	FILE *p;

	if (!cli)
		cli = "build/gdfo";
	cmd = malloc(n + 200);
	k = (size_t)snprintf(cmd, 200, "%s %s", cli, cmds[_i]);
	memset(cmd + k, '9', n);
	strcpy(cmd + k + n, " 2>&1");
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	k = fread(out, 1, sizeof(out) - 1, p);
	out[k] = 0;
	ck_assert_int_ne(pclose(p), 0);
	ck_assert_msg(k < 300 && strstr(out, "9999...") != NULL, "%zu bytes: %.300s", k, out);
	free(cmd);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("weights");

	tcase_add_test(tc, weights_file_too_small_for_its_configuration_is_refused_at_once);
	tcase_add_loop_test(tc, weights_files_of_every_shape_still_load, 0, 4);
	suite_add_tcase(s, tc);
	tc = tcase_create("readers");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, json_readers_refuse_endless_devices_at_once, 0, 5);
	tcase_add_loop_test(tc, readers_refuse_a_huge_sparse_file_from_its_size, 0, 6);
	tcase_add_loop_test(tc, eventlog_reader_ends_on_endless_devices, 0, 2);
	tcase_add_test(tc, eventlog_reader_ends_on_a_line_without_newline);
	tcase_add_loop_test(tc, cli_messages_quote_a_prefix_of_a_huge_argument, 0, 4);
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
