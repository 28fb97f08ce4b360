/*
 * Concurrency stress: threads plan (rules), simulate, extract features,
 * run the encoder forward, read event logs, apply points of a shared
 * decision space (and find them again) and plan with one shared learned
 * optimizer handle (the shipped model) on shared read-only inputs
 * at the same time; every thread's result must equal the single-threaded
 * one. Run under ThreadSanitizer by `make tsan`.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdfo/gdfo.h"
#include "testutil.h"

#define THREADS 4
#define ROUNDS 6

static gdfo_graph *graph;      /* shared, read only */
static gdfo_nn_encoder *enc;   /* shared, read only during forwards */
static gdfo_space *space;     /* shared, read only */
static int32_t *space_point;
static gdfo_optimizer *optimizer; /* shared: plan calls may run concurrently */
static char *want_plan, *want_sim, *want_log, *want_space, *want_learned;
static float *want_feat, *want_emb;
static size_t n_stages;
static char log_path[4096];

static char *plan_text(void)
{
	gdfo_plan *p;
	char *s;
	if (gdfo_optimize_rules(&p, graph, NULL, NULL))
		return NULL;
	if (gdfo_plan_to_json(&s, p))
		s = NULL;
	gdfo_plan_free(p);
	return s;
}

static char *sim_text(void)
{
	gdfo_sim *sim;
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_sim_options o;
	char *s = NULL;

	if (gdfo_sim_create(&sim, NULL))
		return NULL;
	gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
	o.runs = 2;
	o.noise_sigma = 0.1;
	if (!gdfo_sim_run_graph(&r, sim, graph, &o))
		gdfo_sim_result_to_json(&s, sim);
	gdfo_sim_free(sim);
	return s;
}

/* A sampled point of the shared space applied, and found again by point_of. */
static char *space_text(void)
{
	size_t dim = gdfo_space_dim(space);
	int32_t *q = calloc(dim + 1, sizeof(*q));
	gdfo_plan *p;
	char *s = NULL;

	if (!q || gdfo_space_apply(&p, space, space_point, dim, "threads")) {
		free(q);
		return NULL;
	}
	if (gdfo_space_point_of(q, dim, space, gdfo_plan_graph(p)) || gdfo_plan_to_json(&s, p))
		s = NULL;
	if (s && memcmp(q, space_point, dim * sizeof(*q)) != 0)
		s[0] = '!'; /* point_of found another point: differs from want */
	gdfo_plan_free(p);
	free(q);
	return s;
}

static char *learned_text(void)
{
	gdfo_plan *p;
	char *s;
	if (gdfo_optimizer_plan(&p, optimizer, graph, NULL, NULL))
		return NULL;
	if (gdfo_plan_to_json(&s, p))
		s = NULL;
	gdfo_plan_free(p);
	return s;
}

static char *log_text(void)
{
	gdfo_eventlog *log;
	char *s = NULL;
	if (gdfo_eventlog_read(&log, log_path, NULL))
		return NULL;
	gdfo_eventlog_summary_json(&s, log);
	gdfo_eventlog_free(log);
	return s;
}

static int features(float *out)
{
	gdfo_objective objective;

	gdfo_objective_init(&objective, GDFO_OBJECTIVE_VERSION);
	return gdfo_nn_features(out, n_stages, graph, NULL, &objective);
}

static int forward(float *emb, const float *feat)
{
	const gdfo_graph *gs[1] = {graph};
	gdfo_nn_batch *b;
	gdfo_nn_workspace *ws;
	gdfo_nn_outputs out = {GDFO_NN_OUTPUTS_VERSION, emb, NULL, NULL, NULL};
	int rc;

	if ((rc = gdfo_nn_batch_from_graphs(&b, enc, gs, 1)))
		return rc;
	if ((rc = gdfo_nn_workspace_create(&ws, enc, b, 0)) == 0) {
		rc = gdfo_nn_forward(ws, b, feat, &out);
		gdfo_nn_workspace_free(ws);
	}
	gdfo_nn_batch_free(b);
	return rc;
}

static int same(char *got, const char *want)
{
	int ok = got && want && !strcmp(got, want);
	gdfo_free(got);
	return ok;
}

static void *worker(void *arg)
{
	size_t d = 64, k = (size_t)(uintptr_t)arg;
	float *feat = malloc(n_stages * GDFO_NN_FEATURES * sizeof(float));
	float *emb = malloc(n_stages * d * sizeof(float));
	int r, bad = 0;

	for (r = 0; r < ROUNDS; r++) {
		switch ((k + (size_t)r) % 6) {
		case 5: bad += !same(learned_text(), want_learned); break;
		case 0: bad += !same(plan_text(), want_plan); break;
		case 1: bad += !same(sim_text(), want_sim); break;
		case 2:
			bad += features(feat) != 0 ||
			       memcmp(feat, want_feat, n_stages * GDFO_NN_FEATURES * sizeof(float)) != 0;
			bad += forward(emb, want_feat) != 0 || memcmp(emb, want_emb, n_stages * d * sizeof(float)) != 0;
			break;
		case 3: bad += log_path[0] && !same(log_text(), want_log); break;
		case 4: bad += !same(space_text(), want_space); break;
		}
	}
	free(feat);
	free(emb);
	return (void *)(uintptr_t)bad;
}

START_TEST(concurrent_readers_of_shared_inputs_agree)
{
	pthread_t t[THREADS];
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};
	size_t i;
	void *bad;

	ck_assert_int_eq(gdfo_graph_load(&graph, "examples/pipelines/tpch_q5.json"), 0);
	n_stages = gdfo_graph_stage_count(graph);
	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	ck_assert_int_eq(gdfo_nn_create(&enc, &o), 0);
	snprintf(log_path, sizeof(log_path), "%s/spark-events/dr-elephant/event_log_1", tu_shared_data());
	ck_assert_int_eq(gdfo_space_create(&space, graph, NULL), 0);
	space_point = calloc(gdfo_space_dim(space) + 1, sizeof(*space_point));
	{
		uint64_t rng = 42;
		ck_assert_int_eq(gdfo_space_sample(space_point, gdfo_space_dim(space), space, &rng), 0);
	}
	want_space = space_text();
	ck_assert_ptr_nonnull(want_space);
	{
		gdfo_optimizer_options oo;
		gdfo_optimizer_options_init(&oo, GDFO_OPTIMIZER_OPTIONS_VERSION);
		oo.model_path = "models/default.gdfonn";
		ck_assert_msg(gdfo_optimizer_open(&optimizer, NULL, &oo) == 0, "%s", gdfo_last_error());
	}
	want_learned = learned_text();
	ck_assert_ptr_nonnull(want_learned);
	want_plan = plan_text();
	want_sim = sim_text();
	ck_assert_ptr_nonnull(want_plan);
	ck_assert_ptr_nonnull(want_sim);
	want_log = log_text();
	if (!want_log)
		log_path[0] = '\0';
	want_feat = malloc(n_stages * GDFO_NN_FEATURES * sizeof(float));
	want_emb = malloc(n_stages * 64 * sizeof(float));
	ck_assert_int_eq(features(want_feat), 0);
	ck_assert_int_eq(forward(want_emb, want_feat), 0);

	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i), 0);
	for (i = 0; i < THREADS; i++) {
		ck_assert_int_eq(pthread_join(t[i], &bad), 0);
		ck_assert_msg(bad == NULL, "thread %zu: %zu results differ from the single-threaded ones", i,
			      (size_t)(uintptr_t)bad);
	}
	gdfo_free(want_plan);
	gdfo_free(want_learned);
	gdfo_optimizer_close(optimizer);
	gdfo_free(want_sim);
	gdfo_free(want_log);
	gdfo_free(want_space);
	free(space_point);
	gdfo_space_free(space);
	free(want_feat);
	free(want_emb);
	gdfo_nn_free(enc);
	gdfo_graph_free(graph);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("threads");
	TCase *tc = tcase_create("stress");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, concurrent_readers_of_shared_inputs_agree);
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
