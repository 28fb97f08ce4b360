/*
 * Pipeline and telemetry JSON: exact round trips and errors naming the path.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gdfo/gdfo.h"
#include "testutil.h"

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;
	char *s;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

static const char *const examples[] = {
	"examples/pipelines/retail_etl.json",
	"examples/pipelines/iot_telemetry.json",
	"examples/pipelines/tpch_q5.json",
};

START_TEST(examples_round_trip_exactly)
{
	gdfo_graph *a, *b;
	char *j1, *j2;
	uint64_t fa, fb;

	ck_assert_msg(gdfo_graph_load(&a, examples[_i]) == 0, "%s: %s", examples[_i], gdfo_last_error());
	ck_assert_int_eq(gdfo_graph_to_json(&j1, a), 0);
	ck_assert_int_eq(gdfo_graph_from_json(&b, j1, strlen(j1)), 0);
	ck_assert_int_eq(gdfo_graph_to_json(&j2, b), 0);
	ck_assert_str_eq(j1, j2);
	ck_assert_int_eq(gdfo_graph_fingerprint(&fa, a), 0);
	ck_assert_int_eq(gdfo_graph_fingerprint(&fb, b), 0);
	ck_assert(fa == fb);
	gdfo_free(j1);
	gdfo_free(j2);
	gdfo_graph_free(a);
	gdfo_graph_free(b);
}
END_TEST

START_TEST(awkward_numbers_round_trip)
{
	gdfo_graph *g, *h;
	gdfo_stage s = {.version = GDFO_STAGE_VERSION};
	gdfo_stage_stats s_st;
	gdfo_stage_knobs s_kn;
	const char *cols[] = {"a\"quoted\"", "b\\slash", "ünï"};
	char *j;

	ck_assert_int_eq(gdfo_graph_create(&g, "num\nbers"), 0);
	tu_init(&s, &s_st, &s_kn);
	s.id = 9007199254740991LL;
	s.name = "x";
	s_st.rows_in = 0.1 + 0.2;
	s_st.bytes_in = 1.7976931348623157e308;
	s_st.selectivity = 5e-324;
	s_st.cpu_ns_per_row = 1.0 / 3.0;
	s.columns_written = cols;
	s.n_columns_written = 3;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	ck_assert_int_eq(gdfo_graph_to_json(&j, g), 0);
	ck_assert_int_eq(gdfo_graph_from_json(&h, j, strlen(j)), 0);
	gdfo_graph_stage_at(&s, h, 0); tu_own(&s, &s_st, &s_kn);
	ck_assert(s.id == 9007199254740991LL);
	ck_assert(s_st.rows_in == 0.1 + 0.2);
	ck_assert(s_st.bytes_in == 1.7976931348623157e308);
	ck_assert(s_st.selectivity == 5e-324);
	ck_assert(s_st.cpu_ns_per_row == 1.0 / 3.0);
	ck_assert_str_eq(s.columns_written[2], "ünï");
	ck_assert_str_eq(gdfo_graph_name(h), "num\nbers");
	gdfo_free(j);
	gdfo_graph_free(g);
	gdfo_graph_free(h);
}
END_TEST

static void expect_error(const char *json, int status, const char *fragment)
{
	gdfo_graph *g = (gdfo_graph *)1;
	int rc = gdfo_graph_from_json(&g, json, strlen(json));
	ck_assert_msg(rc == status, "status %s, expected %s for %s (%s)", gdfo_status_name(rc),
		      gdfo_status_name(status), json, gdfo_last_error());
	ck_assert_ptr_null(g);
	ck_assert_msg(strstr(gdfo_last_error(), fragment) != NULL, "message '%s' lacks '%s'",
		      gdfo_last_error(), fragment);
	ck_assert_ptr_null(strchr(gdfo_last_error(), '\n'));
}

#define HDR "{\"format\":\"gdfo-pipeline/1\",\"stages\":["
#define SRC "{\"id\":1,\"name\":\"src\",\"op\":\"source\"}"

START_TEST(errors_name_the_path)
{
	expect_error("", GDFO_EFORMAT, "empty");
	expect_error("{\"format\":\"gdfo-pipeline/1\",", GDFO_EFORMAT, "line 1");
	expect_error("[1,2]", GDFO_EFORMAT, "not a JSON object");
	expect_error("{\"stages\":[]}", GDFO_EFORMAT, "\"format\" is missing");
	expect_error("{\"format\":\"gdfo-telemetry/1\"}", GDFO_EFORMAT, "expected \"gdfo-pipeline/1\"");
	expect_error("{\"format\":\"gdfo-pipeline/7\",\"stages\":[]}", GDFO_EVERSION, "not supported");
	expect_error("{\"format\":\"gdfo-pipeline/1\"}", GDFO_EFORMAT, "stages: required field is missing");
	expect_error(HDR "]}", GDFO_EINVAL, "has no stages");
	expect_error(HDR SRC "," "{\"id\":2,\"name\":\"f\",\"op\":\"filter\",\"parents\":[1,12]}]}",
		     GDFO_EFORMAT, "stages[1].parents[1]: stage 2 'f' lists parent 12, which does not exist");
	expect_error(HDR SRC "," "{\"id\":1,\"name\":\"f\",\"op\":\"filter\",\"parents\":[1]}]}",
		     GDFO_EEXISTS, "stages[1]");
	expect_error(HDR "{\"id\":1,\"name\":\"a\",\"op\":\"filter\",\"parents\":[2]},"
		     "{\"id\":2,\"name\":\"b\",\"op\":\"filter\",\"parents\":[1]}]}",
		     GDFO_ECYCLE, "cycle");
	expect_error(HDR "{\"id\":1,\"name\":\"a\",\"op\":\"source\",\"stats\":{\"rows_in\":\"many\"}}]}",
		     GDFO_EFORMAT, "stages[0].stats.rows_in: expected a number, found a string");
	expect_error(HDR "{\"id\":1,\"name\":\"a\",\"op\":\"source\",\"stats\":{\"rows_in\":1e999}}]}",
		     GDFO_EFORMAT, "stages[0].stats.rows_in");
	expect_error(HDR "{\"id\":1,\"name\":\"a\",\"op\":\"source\",\"stats\":{\"rows_in\":NaN}}]}",
		     GDFO_EFORMAT, "not valid JSON");
	expect_error(HDR "{\"id\":1,\"name\":\"a\",\"op\":\"source\",\"stats\":{\"rows_in\":-1}}]}",
		     GDFO_EFORMAT, "stages[0].stats.rows_in: -1 is outside");
	expect_error(HDR "{\"id\":1,\"name\":\"a\",\"op\":\"source\",\"stats\":{\"row_in\":5}}]}",
		     GDFO_EFORMAT, "stages[0].stats: unknown key \"row_in\"");
	expect_error(HDR "{\"id\":1,\"name\":\"a\",\"name\":\"b\",\"op\":\"source\"}]}",
		     GDFO_EFORMAT, "stages[0]: key \"name\" appears twice");
	expect_error(HDR "{\"id\":1.5,\"name\":\"a\",\"op\":\"source\"}]}", GDFO_EFORMAT,
		     "stages[0].id: expected an integer");
	expect_error(HDR "{\"id\":1,\"name\":\"a\",\"op\":\"scan\"}]}", GDFO_EFORMAT,
		     "stages[0].op: \"scan\" is not one of: source, filter");
	expect_error(HDR "{\"id\":1,\"name\":\"a\",\"op\":\"source\",\"knobs\":{\"partitions\":-4}}]}",
		     GDFO_EFORMAT, "stages[0].knobs.partitions");
	expect_error(HDR SRC "]} trailing", GDFO_EFORMAT, "unexpected text");
	expect_error(HDR SRC "," "{\"id\":2,\"name\":\"j\",\"op\":\"join\",\"parents\":[1]}]}",
		     GDFO_EINVAL, "a join needs at least 2");
}
END_TEST

START_TEST(deep_nesting_and_garbage)
{
	size_t n = 200000, i;
	char *s = malloc(n + 1);
	gdfo_graph *g;

	for (i = 0; i < n; i++)
		s[i] = '[';
	s[n] = '\0';
	ck_assert_int_eq(gdfo_graph_from_json(&g, s, n), GDFO_EFORMAT);
	for (i = 0; i < n; i++)
		s[i] = (char)(i * 7919 % 251);
	ck_assert_int_eq(gdfo_graph_from_json(&g, s, n), GDFO_EFORMAT);
	free(s);
	ck_assert_int_eq(gdfo_graph_from_json(&g, NULL, 3), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_graph_load(&g, "/nonexistent/p.json"), GDFO_EIO);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "/nonexistent/p.json"));
}
END_TEST

START_TEST(telemetry_round_trip)
{
	const char *doc =
		"{\"format\":\"gdfo-telemetry/1\",\"run\":{\"success\":false,\"latency_ms\":1234.5,"
		"\"cost\":0.25},\"stages\":[{\"stage_id\":3,\"duration_ms\":800,\"tasks\":12,"
		"\"spill_bytes\":0},{\"stage_id\":4,\"cpu_ms\":99.5}]}";
	gdfo_telemetry *t, *u;
	gdfo_run_telemetry run = {.version = GDFO_RUN_TELEMETRY_VERSION};
	gdfo_stage_telemetry st = {.version = GDFO_STAGE_TELEMETRY_VERSION};
	char *j1, *j2;

	ck_assert_msg(gdfo_telemetry_from_json(&t, doc, strlen(doc)) == 0, "%s", gdfo_last_error());
	gdfo_telemetry_get_run(&run, t);
	ck_assert_int_eq(run.success, 0);
	ck_assert_double_eq(run.latency_ms, 1234.5);
	ck_assert_double_eq(run.records, GDFO_UNKNOWN);
	ck_assert_int_eq(gdfo_telemetry_find(&st, t, 3), 0);
	ck_assert_double_eq(st.tasks, 12);
	ck_assert_double_eq(st.spill_bytes, 0);
	ck_assert_double_eq(st.cpu_ms, GDFO_UNKNOWN);
	ck_assert_int_eq(gdfo_telemetry_to_json(&j1, t), 0);
	ck_assert_int_eq(gdfo_telemetry_from_json(&u, j1, strlen(j1)), 0);
	ck_assert_int_eq(gdfo_telemetry_to_json(&j2, u), 0);
	ck_assert_str_eq(j1, j2);
	gdfo_free(j1);
	gdfo_free(j2);
	gdfo_telemetry_free(t);
	gdfo_telemetry_free(u);

	doc = "{\"format\":\"gdfo-telemetry/1\",\"stages\":[{\"stage_id\":3},{\"stage_id\":3}]}";
	ck_assert_int_eq(gdfo_telemetry_from_json(&t, doc, strlen(doc)), GDFO_EFORMAT);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "stages[1]: stage 3 has a second record"));
	doc = "{\"format\":\"gdfo-telemetry/1\",\"stages\":[{\"stage_id\":3,\"duration_ms\":-2}]}";
	ck_assert_int_eq(gdfo_telemetry_from_json(&t, doc, strlen(doc)), GDFO_EFORMAT);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "stages[0].duration_ms"));
}
END_TEST

START_TEST(save_is_atomic_and_loadable)
{
	gdfo_graph *a, *b;
	char path[] = "/tmp/gdfo-json-XXXXXX";
	char file[64];
	char *j1, *j2;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(path);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(file, sizeof(file), "%s/p.json", path);
	ck_assert_int_eq(gdfo_graph_load(&a, examples[0]), 0);
	ck_assert_int_eq(gdfo_graph_save(a, file), 0);
	ck_assert_int_eq(gdfo_graph_load(&b, file), 0);
	gdfo_graph_to_json(&j1, a);
	j2 = read_all(file);
	ck_assert_str_eq(j1, j2);
	/* a failed save leaves the old file in place */
	ck_assert_int_ne(gdfo_graph_save(a, "/nonexistent-dir/p.json"), 0);
	gdfo_free(j1);
	free(j2);
	unlink(file);
	rmdir(path);
	gdfo_graph_free(a);
	gdfo_graph_free(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("codec");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, examples_round_trip_exactly, 0, (int)(sizeof(examples) / sizeof(examples[0])));
	tcase_add_test(tc, awkward_numbers_round_trip);
	tcase_add_test(tc, errors_name_the_path);
	tcase_add_test(tc, deep_nesting_and_garbage);
	tcase_add_test(tc, telemetry_round_trip);
	tcase_add_test(tc, save_is_atomic_and_loadable);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
