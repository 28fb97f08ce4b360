/*
 * Job profiles (gdfo-job-profile/1): builder, accessors, JSON round trip
 * and the error messages of the reader.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gdfo/gdfo.h"
#include "testutil.h"
#include "io/profile_internal.h"

static const char example[] =
	"{\n"
	"  \"format\": \"gdfo-job-profile/1\",\n"
	"  \"name\": \"nds-q72\",\n"
	"  \"time_unit\": \"ms\",\n"
	"  \"executors\": 8, \"cores_per_executor\": 16,\n"
	"  \"stages\": [\n"
	"    {\"id\": 0, \"parents\": [], \"num_tasks\": 580,\n"
	"     \"task_ms\": [812, 790, 1203],\n"
	"     \"task_ms_by_executors\": {\"10\": [980, 1010], \"2\": [2400, 2310]},\n"
	"     \"input_bytes\": 0, \"shuffle_read_bytes\": 0, \"shuffle_write_bytes\": 0,\n"
	"     \"spill_bytes\": 0, \"some_future_field\": {\"x\": [1, 2]}},\n"
	"    {\"id\": 7, \"parents\": [0], \"num_tasks\": 2, \"task_ms\": [1.5, 0.1],\n"
	"     \"shuffle_read_bytes\": 123456789012}\n"
	"  ],\n"
	"  \"unknown_top\": true\n"
	"}\n";

START_TEST(parses_design_example)
{
	gdfo_profile *p;
	gdfo_profile_stage s = {.version = GDFO_PROFILE_STAGE_VERSION};
	size_t idx;

	ck_assert_int_eq(gdfo_profile_from_json(&p, example, strlen(example)), 0);
	ck_assert_str_eq(gdfo_profile_name(p), "nds-q72");
	ck_assert_str_eq(gdfo_profile_time_unit(p), "ms");
	ck_assert_int_eq(gdfo_profile_executors(p), 8);
	ck_assert_int_eq(gdfo_profile_cores_per_executor(p), 16);
	ck_assert_uint_eq(gdfo_profile_stage_count(p), 2);

	ck_assert_int_eq(gdfo_profile_stage_at(&s, p, 0), 0);
	ck_assert_int_eq(s.id, 0);
	ck_assert_uint_eq(s.n_parents, 0);
	ck_assert_int_eq(s.num_tasks, 580);
	ck_assert_uint_eq(s.n_task_ms, 3);
	ck_assert(s.task_ms[2] == 1203);
	ck_assert_uint_eq(s.n_by_executors, 2);
	/* sorted by executors although the file lists 10 first */
	ck_assert_int_eq(s.by_executors[0].executors, 2);
	ck_assert_uint_eq(s.by_executors[0].n_task_ms, 2);
	ck_assert(s.by_executors[0].task_ms[1] == 2310);
	ck_assert_int_eq(s.by_executors[1].executors, 10);
	ck_assert_uint_eq(s.has_bytes, GDFO_PROFILE_INPUT_BYTES | GDFO_PROFILE_SHUFFLE_READ_BYTES |
						GDFO_PROFILE_SHUFFLE_WRITE_BYTES | GDFO_PROFILE_SPILL_BYTES);

	ck_assert_int_eq(gdfo_profile_stage_at(&s, p, 1), 0);
	ck_assert_int_eq(s.id, 7);
	ck_assert_uint_eq(s.n_parents, 1);
	ck_assert_int_eq(s.parents[0], 0);
	ck_assert(s.task_ms[0] == 1.5 && s.task_ms[1] == 0.1);
	ck_assert_uint_eq(s.n_by_executors, 0);
	ck_assert_uint_eq(s.has_bytes, GDFO_PROFILE_SHUFFLE_READ_BYTES);
	ck_assert_int_eq(s.shuffle_read_bytes, 123456789012LL);

	ck_assert_int_eq(gdfo_profile_find(&idx, p, 7), 0);
	ck_assert_uint_eq(idx, 1);
	ck_assert_int_eq(gdfo_profile_find(&idx, p, 3), GDFO_ENOTFOUND);
	ck_assert_int_eq(gdfo_profile_stage_at(&s, p, 2), GDFO_ERANGE);
	/* the internal view the simulator reads */
	ck_assert_uint_eq(p->stages[1].parent_idx[0], 0);
	gdfo_profile_free(p);
}
END_TEST

static void assert_same(const gdfo_profile *a, const gdfo_profile *b)
{
	size_t i, k, j;

	ck_assert_str_eq(gdfo_profile_name(a), gdfo_profile_name(b));
	ck_assert_int_eq(gdfo_profile_executors(a), gdfo_profile_executors(b));
	ck_assert_int_eq(gdfo_profile_cores_per_executor(a), gdfo_profile_cores_per_executor(b));
	ck_assert_uint_eq(gdfo_profile_stage_count(a), gdfo_profile_stage_count(b));
	for (i = 0; i < gdfo_profile_stage_count(a); i++) {
		gdfo_profile_stage x = {.version = GDFO_PROFILE_STAGE_VERSION}, y = {.version = GDFO_PROFILE_STAGE_VERSION};
		ck_assert_int_eq(gdfo_profile_stage_at(&x, a, i), 0);
		ck_assert_int_eq(gdfo_profile_stage_at(&y, b, i), 0);
		ck_assert_int_eq(x.id, y.id);
		ck_assert_int_eq(x.num_tasks, y.num_tasks);
		ck_assert_uint_eq(x.n_parents, y.n_parents);
		for (k = 0; k < x.n_parents; k++)
			ck_assert_int_eq(x.parents[k], y.parents[k]);
		ck_assert_uint_eq(x.n_task_ms, y.n_task_ms);
		for (k = 0; k < x.n_task_ms; k++)
			ck_assert(x.task_ms[k] == y.task_ms[k]); /* bit-exact */
		ck_assert_uint_eq(x.n_by_executors, y.n_by_executors);
		for (k = 0; k < x.n_by_executors; k++) {
			ck_assert_int_eq(x.by_executors[k].executors, y.by_executors[k].executors);
			ck_assert_uint_eq(x.by_executors[k].n_task_ms, y.by_executors[k].n_task_ms);
			for (j = 0; j < x.by_executors[k].n_task_ms; j++)
				ck_assert(x.by_executors[k].task_ms[j] == y.by_executors[k].task_ms[j]);
		}
		ck_assert_uint_eq(x.has_bytes, y.has_bytes);
		ck_assert_int_eq(x.input_bytes, y.input_bytes);
		ck_assert_int_eq(x.shuffle_read_bytes, y.shuffle_read_bytes);
		ck_assert_int_eq(x.shuffle_write_bytes, y.shuffle_write_bytes);
		ck_assert_int_eq(x.spill_bytes, y.spill_bytes);
	}
}

START_TEST(builder_and_round_trip)
{
	gdfo_profile *p, *q;
	gdfo_profile_stage s = {.version = GDFO_PROFILE_STAGE_VERSION};
	gdfo_profile_measurement m[2];
	const double t0[] = {1, 2.5, 1e-300, 123456.789, 0.1 + 0.2, 4503599627370497.0};
	const double m10[] = {3, 4}, m3[] = {7};
	const int64_t par1[] = {10}, par2[] = {10, 11};
	char *json, *json2, path[] = "/tmp/gdfo_profile_XXXXXX";
	int fd;

	ck_assert_int_eq(gdfo_profile_create(&p, "round \"trip\"\n", 3, 4), 0);
	gdfo_profile_stage_init(&s, GDFO_PROFILE_STAGE_VERSION);
	s.id = 10;
	s.num_tasks = 6;
	s.task_ms = t0;
	s.n_task_ms = 6;
	ck_assert_int_eq(gdfo_profile_add_stage(p, &s), 0);

	gdfo_profile_stage_init(&s, GDFO_PROFILE_STAGE_VERSION);
	s.id = 11;
	s.parents = par1;
	s.n_parents = 1;
	s.num_tasks = 2;
	m[0].executors = 10; m[0].reserved = 0; m[0].task_ms = m10; m[0].n_task_ms = 2;
	m[1].executors = 3; m[1].reserved = 0; m[1].task_ms = m3; m[1].n_task_ms = 1;
	s.by_executors = m;
	s.n_by_executors = 2;
	s.has_bytes = GDFO_PROFILE_SPILL_BYTES | GDFO_PROFILE_INPUT_BYTES;
	s.spill_bytes = 9007199254740991LL;
	s.input_bytes = 5;
	ck_assert_int_eq(gdfo_profile_add_stage(p, &s), 0);

	gdfo_profile_stage_init(&s, GDFO_PROFILE_STAGE_VERSION);
	s.id = 12;
	s.parents = par2;
	s.n_parents = 2;
	s.task_ms = m3;
	s.n_task_ms = 1;
	s.num_tasks = 1;
	ck_assert_int_eq(gdfo_profile_add_stage(p, &s), 0);

	/* builder refusals leave the profile unchanged */
	ck_assert_int_eq(gdfo_profile_add_stage(p, &s), GDFO_EEXISTS);
	s.id = 13;
	s.parents = (const int64_t[]){99};
	s.n_parents = 1;
	ck_assert_int_eq(gdfo_profile_add_stage(p, &s), GDFO_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "parent 99"));
	s.n_parents = 0;
	s.task_ms = (const double[]){NAN};
	ck_assert_int_eq(gdfo_profile_add_stage(p, &s), GDFO_EINVAL);
	ck_assert_str_eq(gdfo_last_error(), "profile stage 13: task_ms[0] is nan; durations must be finite and >= 0");
	s.task_ms = NULL;
	s.n_task_ms = 0;
	ck_assert_int_eq(gdfo_profile_add_stage(p, &s), GDFO_EINVAL);
	ck_assert_str_eq(gdfo_last_error(), "profile stage 13: has neither task_ms nor task_ms_by_executors");
	ck_assert_uint_eq(gdfo_profile_stage_count(p), 3);

	ck_assert_int_eq(gdfo_profile_to_json(&json, p), 0);
	ck_assert_int_eq(gdfo_profile_from_json(&q, json, strlen(json)), 0);
	assert_same(p, q);
	ck_assert_int_eq(gdfo_profile_to_json(&json2, q), 0);
	ck_assert_str_eq(json, json2);
	gdfo_free(json2);
	gdfo_profile_free(q);

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(gdfo_profile_save(p, path), 0);
	ck_assert_int_eq(gdfo_profile_load(&q, path), 0);
	assert_same(p, q);
	gdfo_profile_free(q);
	unlink(path);
	ck_assert_int_eq(gdfo_profile_load(&q, path), GDFO_EIO);
	ck_assert_ptr_null(q);

	gdfo_free(json);
	gdfo_profile_free(p);
}
END_TEST

static void expect_error(const char *stages, int status, const char *msg)
{
	char doc[2048];
	gdfo_profile *p = (gdfo_profile *)1;

	snprintf(doc, sizeof(doc),
		 "{\"format\": \"gdfo-job-profile/1\", \"name\": \"t\", \"executors\": 2, "
		 "\"cores_per_executor\": 2, \"stages\": [%s]}", stages);
	ck_assert_int_eq(gdfo_profile_from_json(&p, doc, strlen(doc)), status);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(gdfo_last_error(), msg);
}

START_TEST(reader_errors_name_the_path)
{
	gdfo_profile *p;
	const char *d;

	expect_error("{\"id\": 0, \"task_ms\": [1]}, {\"id\": 1, \"parents\": [0, 12], \"task_ms\": [1]}",
		     GDFO_EFORMAT, "profile: stages[1].parents[1]: stage 12 is not in the profile");
	expect_error("{\"id\": 0, \"task_ms\": [1]}, {\"id\": 0, \"task_ms\": [1]}",
		     GDFO_EFORMAT, "profile: stages[1].id 0 is already used by stages[0]");
	expect_error("{\"id\": 0, \"parents\": [1], \"task_ms\": [1]}, {\"id\": 1, \"parents\": [0], \"task_ms\": [1]}",
		     GDFO_ECYCLE, "profile: stages[0] (id 0) is on a cycle of parents");
	expect_error("{\"id\": 0, \"task_ms\": [1, -2]}",
		     GDFO_EFORMAT, "profile: stages[0].task_ms[1] is -2; durations must be finite and >= 0");
	expect_error("{\"id\": 0, \"task_ms\": [1, 1e999]}",
		     GDFO_EFORMAT, "profile: stages[0].task_ms[1] is inf; durations must be finite and >= 0");
	expect_error("{\"id\": 0, \"task_ms\": [1, \"x\"]}",
		     GDFO_EFORMAT, "profile: stages[0].task_ms[1] must be a number");
	expect_error("{\"id\": 0}",
		     GDFO_EFORMAT, "profile: stages[0] has neither task_ms nor task_ms_by_executors");
	expect_error("{\"id\": 0, \"task_ms\": []}",
		     GDFO_EFORMAT, "profile: stages[0].task_ms is empty; give at least one task duration");
	expect_error("{\"id\": 1.5, \"task_ms\": [1]}",
		     GDFO_EFORMAT, "profile: stages[0].id is 1.5; it must be an integer");
	expect_error("{\"id\": -1, \"task_ms\": [1]}",
		     GDFO_EFORMAT, "profile: stages[0].id is -1; allowed 0 to 9007199254740991");
	expect_error("{\"task_ms\": [1]}", GDFO_EFORMAT, "profile: stages[0].id is missing");
	expect_error("{\"id\": 0, \"task_ms\": [1], \"spill_bytes\": -5}",
		     GDFO_EFORMAT, "profile: stages[0].spill_bytes is -5; allowed 0 to 9007199254740991");
	expect_error("{\"id\": 0, \"task_ms_by_executors\": {\"0\": [1]}}",
		     GDFO_EFORMAT, "profile: stages[0].task_ms_by_executors.\"0\": the key must be an executor count from 1 to 100000");
	expect_error("{\"id\": 0, \"task_ms_by_executors\": {\"4\": [1], \"4\": [2]}}",
		     GDFO_EFORMAT, "profile: stages[0].task_ms_by_executors.\"4\" repeats executor count 4");
	expect_error("{\"id\": 0, \"task_ms_by_executors\": {\"4\": [1, -1]}}",
		     GDFO_EFORMAT, "profile: stages[0].task_ms_by_executors.\"4\"[1] is -1; durations must be finite and >= 0");
	expect_error("{\"id\": 0, \"parents\": [0], \"task_ms\": [1]}",
		     GDFO_ECYCLE, "profile: stages[0].parents[0] names the stage itself (0)");
	expect_error("{\"id\": 0, \"task_ms\": [1]}, {\"id\": 1, \"parents\": [0, 0], \"task_ms\": [1]}",
		     GDFO_EFORMAT, "profile: stages[1].parents[1] repeats parent 0");
	expect_error("3", GDFO_EFORMAT, "profile: stages[0] must be an object");
	expect_error("{\"id\": 0, \"task_ms\": [1], \"id\": 1}",
		     GDFO_EFORMAT, "profile: stages[0]: key \"id\" appears twice");

	d = "{\"format\": \"gdfo-job-profile/2\", \"executors\": 1, \"cores_per_executor\": 1, \"stages\": []}";
	ck_assert_int_eq(gdfo_profile_from_json(&p, d, strlen(d)), GDFO_EVERSION);
	d = "{\"format\": \"gdfo-job-profile/1\", \"executors\": 0, \"cores_per_executor\": 1, \"stages\": []}";
	ck_assert_int_eq(gdfo_profile_from_json(&p, d, strlen(d)), GDFO_EFORMAT);
	ck_assert_str_eq(gdfo_last_error(), "profile: executors is 0; allowed 1 to 100000");
	d = "{\"format\": \"gdfo-job-profile/1\", \"time_unit\": \"s\", \"executors\": 1, \"cores_per_executor\": 1, \"stages\": []}";
	ck_assert_int_eq(gdfo_profile_from_json(&p, d, strlen(d)), GDFO_EFORMAT);
	ck_assert_str_eq(gdfo_last_error(), "profile: time_unit \"s\" is not supported; use \"ms\"");
	d = "{\"executors\": 1, \"cores_per_executor\": 1, \"stages\": []}";
	ck_assert_int_eq(gdfo_profile_from_json(&p, d, strlen(d)), GDFO_EFORMAT);
	d = "{\"format\": \"gdfo-job-profile/1\", \"executors\": 1, \"cores_per_executor\": 1, \"stages\": [";
	ck_assert_int_eq(gdfo_profile_from_json(&p, d, strlen(d)), GDFO_EFORMAT);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "not valid JSON"));
	/* defaults: no name -> "job", no num_tasks -> largest list */
	d = "{\"format\": \"gdfo-job-profile/1\", \"executors\": 1, \"cores_per_executor\": 1, "
	    "\"stages\": [{\"id\": 3, \"task_ms\": [1], \"task_ms_by_executors\": {\"5\": [1, 2, 3]}}]}";
	ck_assert_int_eq(gdfo_profile_from_json(&p, d, strlen(d)), 0);
	ck_assert_str_eq(gdfo_profile_name(p), "job");
	{
		gdfo_profile_stage s = {.version = GDFO_PROFILE_STAGE_VERSION};
		gdfo_profile_stage_at(&s, p, 0);
		ck_assert_int_eq(s.num_tasks, 3);
		ck_assert_uint_eq(s.has_bytes, 0);
	}
	gdfo_profile_free(p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("profile");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parses_design_example);
	tcase_add_test(tc, builder_and_round_trip);
	tcase_add_test(tc, reader_errors_name_the_path);
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
