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

static Suite *suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("weights");

	tcase_add_test(tc, weights_file_too_small_for_its_configuration_is_refused_at_once);
	tcase_add_loop_test(tc, weights_files_of_every_shape_still_load, 0, 4);
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
