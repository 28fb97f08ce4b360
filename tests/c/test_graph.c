/*
 * Pipeline graph: construction, validation, order and fingerprint.
 */
#include <check.h>
#include <math.h>
#include <string.h>

#include "gdfo/gdfo.h"
#include "testutil.h"

static void stage(gdfo_stage *s, int64_t id, const char *name, int op)
{
	gdfo_stage_init(s, GDFO_STAGE_VERSION);
	s->id = id;
	s->name = name;
	s->op = op;
}

/* source 1 -> filter 2 -> join 4 <- source 3; join 4 -> sink 5 */
static gdfo_graph *small_graph(void)
{
	gdfo_graph *g;
	gdfo_stage s = {.version = GDFO_STAGE_VERSION};

	ck_assert_int_eq(gdfo_graph_create(&g, "small"), 0);
	stage(&s, 1, "orders", GDFO_OP_SOURCE);
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	stage(&s, 2, "recent", GDFO_OP_FILTER);
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	stage(&s, 3, "customers", GDFO_OP_SOURCE);
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	stage(&s, 4, "join", GDFO_OP_JOIN);
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	stage(&s, 5, "write", GDFO_OP_SINK);
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	ck_assert_int_eq(gdfo_graph_add_edge(g, 1, 2), 0);
	ck_assert_int_eq(gdfo_graph_add_edge(g, 2, 4), 0);
	ck_assert_int_eq(gdfo_graph_add_edge(g, 3, 4), 0);
	ck_assert_int_eq(gdfo_graph_add_edge(g, 4, 5), 0);
	return g;
}

START_TEST(build_and_validate)
{
	gdfo_graph *g = small_graph();
	size_t order[5], idx, i;
	size_t pos[6];

	ck_assert_int_eq(gdfo_graph_validate(g), 0);
	ck_assert_uint_eq(gdfo_graph_stage_count(g), 5);
	ck_assert_int_eq(gdfo_graph_topo_order(order, 5, g), 0);
	for (i = 0; i < 5; i++) {
		gdfo_stage s = {.version = GDFO_STAGE_VERSION};
		gdfo_stage_init(&s, GDFO_STAGE_VERSION);
		gdfo_graph_stage_at(&s, g, order[i]);
		pos[s.id] = i;
	}
	ck_assert(pos[1] < pos[2] && pos[2] < pos[4] && pos[3] < pos[4] && pos[4] < pos[5]);
	ck_assert_int_eq(gdfo_graph_find(&idx, g, 4), 0);
	ck_assert_uint_eq(idx, 3);
	ck_assert_int_eq(gdfo_graph_find(&idx, g, 99), GDFO_ENOTFOUND);
	gdfo_graph_free(g);
}
END_TEST

START_TEST(rejects_bad_edges)
{
	gdfo_graph *g = small_graph();

	ck_assert_int_eq(gdfo_graph_add_edge(g, 5, 1), GDFO_ECYCLE);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "cycle"));
	ck_assert_int_eq(gdfo_graph_add_edge(g, 12, 4), GDFO_ENOTFOUND);
	ck_assert_str_eq(gdfo_last_error(), "stage 4 'join' lists parent 12, which does not exist");
	ck_assert_int_eq(gdfo_graph_add_edge(g, 2, 4), GDFO_EEXISTS);
	ck_assert_int_eq(gdfo_graph_add_edge(g, 2, 2), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_graph_validate(g), 0);
	gdfo_graph_free(g);
}
END_TEST

START_TEST(rejects_bad_stages)
{
	gdfo_graph *g;
	gdfo_stage s = {.version = GDFO_STAGE_VERSION};
	gdfo_stage_stats st = {.version = GDFO_STAGE_STATS_VERSION};
	gdfo_stage_knobs kn = {.version = GDFO_STAGE_KNOBS_VERSION};

	ck_assert_int_eq(gdfo_graph_create(&g, "bad"), 0);
	stage(&s, 7, "join_orders", GDFO_OP_JOIN);
	gdfo_stage_stats_init(&st, GDFO_STAGE_STATS_VERSION);
	gdfo_stage_knobs_init(&kn, GDFO_STAGE_KNOBS_VERSION);
	s.stats = &st;
	s.knobs = &kn;
	st.rows_in = NAN;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), GDFO_EINVAL);
	ck_assert_str_eq(gdfo_last_error(), "stage 7 'join_orders': stats.rows_in is not a finite number");
	st.rows_in = -3;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), GDFO_EINVAL);
	st.rows_in = 10;
	kn.partitions = -1;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), GDFO_EINVAL);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "knobs.partitions"));
	kn.partitions = 8;
	st.skew = 0.5;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), GDFO_EINVAL);
	st.skew = 2;
	s.op = 42;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), GDFO_EINVAL);
	s.op = GDFO_OP_FILTER;
	kn.join_strategy = GDFO_JOIN_BROADCAST;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), GDFO_EINVAL);
	kn.join_strategy = GDFO_JOIN_AUTO;
	s.version = 99;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), GDFO_EVERSION);
	s.version = GDFO_STAGE_VERSION;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), GDFO_EEXISTS);
	ck_assert_uint_eq(gdfo_graph_stage_count(g), 1);
	/* a filter with no parents is not a valid pipeline */
	ck_assert_int_eq(gdfo_graph_validate(g), GDFO_EINVAL);
	gdfo_graph_free(g);
	ck_assert_int_eq(gdfo_graph_create(&g, ""), GDFO_EINVAL);
	ck_assert_ptr_null(g);
}
END_TEST

START_TEST(fingerprint_ignores_stats_and_ids)
{
	gdfo_graph *a = small_graph(), *b;
	gdfo_stage s = {.version = GDFO_STAGE_VERSION};
	gdfo_stage_stats st = {.version = GDFO_STAGE_STATS_VERSION};
	gdfo_stage_knobs kn = {.version = GDFO_STAGE_KNOBS_VERSION};
	uint64_t fa, fb;

	ck_assert_int_eq(gdfo_graph_fingerprint(&fa, a), 0);
	ck_assert_int_eq(gdfo_graph_clone(&b, a), 0);
	gdfo_stage_init(&s, GDFO_STAGE_VERSION);
	gdfo_graph_stage_at(&s, b, 0);
	st = *s.stats;
	kn = *s.knobs;
	st.rows_in = 1e9;
	kn.partitions = 64;
	s.stats = &st;
	s.knobs = &kn;
	ck_assert_int_eq(gdfo_graph_update_stage(b, &s), 0);
	ck_assert_int_eq(gdfo_graph_fingerprint(&fb, b), 0);
	ck_assert(fa == fb);
	gdfo_graph_free(b);

	/* same shape built with other ids in another order */
	ck_assert_int_eq(gdfo_graph_create(&b, "small"), 0);
	stage(&s, 30, "customers", GDFO_OP_SOURCE); gdfo_graph_add_stage(b, &s);
	stage(&s, 50, "write", GDFO_OP_SINK); gdfo_graph_add_stage(b, &s);
	stage(&s, 40, "join", GDFO_OP_JOIN); gdfo_graph_add_stage(b, &s);
	stage(&s, 10, "orders", GDFO_OP_SOURCE); gdfo_graph_add_stage(b, &s);
	stage(&s, 20, "recent", GDFO_OP_FILTER); gdfo_graph_add_stage(b, &s);
	gdfo_graph_add_edge(b, 10, 20);
	gdfo_graph_add_edge(b, 20, 40);
	gdfo_graph_add_edge(b, 30, 40);
	gdfo_graph_add_edge(b, 40, 50);
	ck_assert_int_eq(gdfo_graph_fingerprint(&fb, b), 0);
	ck_assert(fa == fb);
	/* a different shape changes it */
	stage(&s, 60, "extra", GDFO_OP_FILTER); gdfo_graph_add_stage(b, &s);
	gdfo_graph_add_edge(b, 40, 60);
	ck_assert_int_eq(gdfo_graph_fingerprint(&fb, b), 0);
	ck_assert(fa != fb);
	gdfo_graph_free(a);
	gdfo_graph_free(b);
}
END_TEST

START_TEST(clone_is_deep)
{
	gdfo_graph *a = small_graph(), *b;
	const char *cols[] = {"order_id", "ts"};
	gdfo_stage s = {.version = GDFO_STAGE_VERSION};
	const size_t *par;
	size_t np;

	gdfo_graph_stage_at(&s, a, 1);
	s.columns_read = cols;
	s.n_columns_read = 2;
	ck_assert_int_eq(gdfo_graph_update_stage(a, &s), 0);
	ck_assert_int_eq(gdfo_graph_clone(&b, a), 0);
	gdfo_graph_free(a);
	gdfo_graph_stage_at(&s, b, 1);
	ck_assert_str_eq(s.name, "recent");
	ck_assert_uint_eq(s.n_columns_read, 2);
	ck_assert_str_eq(s.columns_read[1], "ts");
	ck_assert_int_eq(gdfo_graph_parents(&par, &np, b, 3), 0);
	ck_assert_uint_eq(np, 2);
	ck_assert_int_eq(gdfo_graph_validate(b), 0);
	gdfo_graph_free(b);
}
END_TEST

START_TEST(telemetry_records)
{
	gdfo_telemetry *t;
	gdfo_stage_telemetry st = {.version = GDFO_STAGE_TELEMETRY_VERSION}, got = {.version = GDFO_STAGE_TELEMETRY_VERSION};
	gdfo_run_telemetry run = {.version = GDFO_RUN_TELEMETRY_VERSION};

	ck_assert_int_eq(gdfo_telemetry_create(&t), 0);
	gdfo_stage_telemetry_init(&st, GDFO_STAGE_TELEMETRY_VERSION);
	st.stage_id = 3;
	st.duration_ms = 1200;
	ck_assert_int_eq(gdfo_telemetry_set_stage(t, &st), 0);
	st.duration_ms = 900;
	ck_assert_int_eq(gdfo_telemetry_set_stage(t, &st), 0);
	ck_assert_uint_eq(gdfo_telemetry_stage_count(t), 1);
	ck_assert_int_eq(gdfo_telemetry_find(&got, t, 3), 0);
	ck_assert_double_eq(got.duration_ms, 900);
	ck_assert_double_eq(got.cpu_ms, GDFO_UNKNOWN);
	st.spill_bytes = -5;
	ck_assert_int_eq(gdfo_telemetry_set_stage(t, &st), GDFO_EINVAL);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "spill_bytes"));
	gdfo_run_telemetry_init(&run, GDFO_RUN_TELEMETRY_VERSION);
	run.latency_ms = INFINITY;
	ck_assert_int_eq(gdfo_telemetry_set_run(t, &run), GDFO_EINVAL);
	gdfo_telemetry_free(t);
}
END_TEST

START_TEST(errors_and_version)
{
	int maj, min, pat;
	gdfo_version(&maj, &min, &pat);
	ck_assert_int_eq(maj, GDFO_VERSION_MAJOR);
	ck_assert_int_eq(min, GDFO_VERSION_MINOR);
	ck_assert_str_eq(gdfo_version_string(), GDFO_VERSION_STRING);
	ck_assert_str_eq(gdfo_status_name(GDFO_ECYCLE), "GDFO_ECYCLE");
	ck_assert_str_eq(gdfo_status_name(12345), "GDFO_UNKNOWN");
	ck_assert_ptr_nonnull(gdfo_last_error());
	gdfo_free(NULL);
	gdfo_graph_free(NULL);
	gdfo_telemetry_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("graph");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, build_and_validate);
	tcase_add_test(tc, rejects_bad_edges);
	tcase_add_test(tc, rejects_bad_stages);
	tcase_add_test(tc, fingerprint_ignores_stats_and_ids);
	tcase_add_test(tc, clone_is_deep);
	tcase_add_test(tc, telemetry_records);
	tcase_add_test(tc, errors_and_version);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
