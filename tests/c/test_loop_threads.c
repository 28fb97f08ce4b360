/*
 * The closed loop under concurrency (issue 12): 8 threads plan three
 * pipelines on one stateful optimizer handle and simulate each plan; one
 * thread takes the plans' telemetry from a queue, approves what needs
 * approval and reports the feedback. For GDFO_LOOP_STRESS_S seconds (3;
 * `make tsan` runs 60 under ThreadSanitizer). No record may be lost: the
 * handle's counts, and a reopened state's, equal the plans made and the
 * feedback acknowledged, and every acknowledged feedback is refused a
 * second time.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gdfo/gdfo.h"
#include "testutil.h"

#define PLANNERS 8
#define PIPES 3
#define QUEUE 32

static const char *const pipe_files[PIPES] = {"examples/pipelines/retail_etl.json",
					      "examples/pipelines/tpch_q5.json",
					      "examples/pipelines/iot_telemetry.json"};

typedef struct item {
	char id[GDFO_PLAN_ID_MAX + 1];
	int needs_approval;
	gdfo_telemetry *tel;
} item;

/* The queue from the planners to the feeder. A planner that finds it
 * full drops its run: the plan stays without feedback, as a host's plan
 * whose run never happened, and the planners keep planning at full speed. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t not_empty;
	item q[QUEUE];
	size_t head, n;
	int planners_left;
} Q = {.mu = PTHREAD_MUTEX_INITIALIZER, .not_empty = PTHREAD_COND_INITIALIZER};

static gdfo_optimizer *opt;
static gdfo_graph *graphs[PIPES];
static double deadline;

/* What the threads did (each thread its own slot; read after join). */
static long plans_made[PLANNERS], plan_errors[PLANNERS];
static long fed, approved, feed_errors;
static char (*fed_ids)[GDFO_PLAN_ID_MAX + 1];
static size_t fed_cap;
static char first_error[512];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void note_error(const char *what)
{
	pthread_mutex_lock(&Q.mu);
	if (!first_error[0])
		snprintf(first_error, sizeof(first_error), "%s: %s", what, gdfo_last_error());
	pthread_mutex_unlock(&Q.mu);
}

static void *planner(void *arg)
{
	size_t t = (size_t)(uintptr_t)arg;
	uint64_t k;

	for (k = 0; now_s() < deadline; k++) {
		gdfo_plan *plan;
		gdfo_plan_loop info = {.version = GDFO_PLAN_LOOP_VERSION};
		gdfo_sim *sim = NULL;
		gdfo_sim_options so;
		gdfo_sim_result res = {.version = GDFO_SIM_RESULT_VERSION};
		item it;
		int rc;

		rc = gdfo_optimizer_plan(&plan, opt, graphs[(t + k) % PIPES], NULL, NULL);
		if (rc == GDFO_EANOMALY)
			continue;
		if (rc) {
			note_error("plan");
			plan_errors[t]++;
			continue;
		}
		plans_made[t]++;
		gdfo_plan_loop_info(&info, plan);
		snprintf(it.id, sizeof(it.id), "%s", gdfo_plan_id(plan));
		it.needs_approval = info.needs_approval;
		it.tel = NULL;
		gdfo_sim_options_init(&so, GDFO_SIM_OPTIONS_VERSION);
		so.noise_sigma = 0.1;
		so.seed = t * 1000003u + k;
		if (gdfo_sim_create(&sim, NULL) || gdfo_sim_run_graph(&res, sim, gdfo_plan_graph(plan), &so) ||
		    gdfo_sim_telemetry(&it.tel, sim, gdfo_plan_graph(plan))) {
			note_error("simulate");
			plan_errors[t]++;
		}
		gdfo_sim_free(sim);
		gdfo_plan_free(plan);
		if (!it.tel)
			continue;
		pthread_mutex_lock(&Q.mu);
		if (Q.n < QUEUE) {
			Q.q[(Q.head + Q.n) % QUEUE] = it;
			Q.n++;
			it.tel = NULL;
			pthread_cond_signal(&Q.not_empty);
		}
		pthread_mutex_unlock(&Q.mu);
		gdfo_telemetry_free(it.tel);
	}
	pthread_mutex_lock(&Q.mu);
	Q.planners_left--;
	pthread_cond_signal(&Q.not_empty);
	pthread_mutex_unlock(&Q.mu);
	return NULL;
}

static void *feeder(void *arg)
{
	long k;
	(void)arg;
	for (k = 0;; k++) {
		item it;
		gdfo_feedback fb = {.version = GDFO_FEEDBACK_VERSION};

		pthread_mutex_lock(&Q.mu);
		while (Q.n == 0 && Q.planners_left > 0)
			pthread_cond_wait(&Q.not_empty, &Q.mu);
		if (Q.n == 0) {
			pthread_mutex_unlock(&Q.mu);
			return NULL;
		}
		it = Q.q[Q.head];
		Q.head = (Q.head + 1) % QUEUE;
		Q.n--;
		pthread_mutex_unlock(&Q.mu);

		if (it.needs_approval && k % 2 == 0) {
			if (gdfo_optimizer_approve(opt, it.id, "test_loop_threads", NULL) == 0)
				approved++;
			else {
				note_error("approve");
				feed_errors++;
			}
		}
		if (gdfo_optimizer_feedback(&fb, opt, it.id, it.tel) == 0) {
			if ((size_t)fed == fed_cap) {
				fed_cap = fed_cap ? 2 * fed_cap : 1024;
				fed_ids = realloc(fed_ids, fed_cap * sizeof(*fed_ids));
			}
			snprintf(fed_ids[fed], sizeof(fed_ids[fed]), "%s", it.id);
			fed++;
		} else {
			note_error("feedback");
			feed_errors++;
		}
		gdfo_telemetry_free(it.tel);
		if (k % 64 == 0) {
			gdfo_loop_stats st = {.version = GDFO_LOOP_STATS_VERSION};
			if (gdfo_loop_stats_get(&st, opt) || gdfo_optimizer_sync(opt)) {
				note_error("stats or sync");
				feed_errors++;
			}
		}
	}
}

static int open_state(gdfo_optimizer **out, const char *dir)
{
	gdfo_optimizer_options oo;
	gdfo_optimizer_options_init(&oo, GDFO_OPTIMIZER_OPTIONS_VERSION);
	oo.model_path = access("models/default.gdfonn", R_OK) == 0 ? "models/default.gdfonn" : "";
	return gdfo_optimizer_open(out, dir, &oo);
}

static void check_counts(gdfo_optimizer *o, long plans, long feedback, const char *when)
{
	gdfo_loop_stats st = {.version = GDFO_LOOP_STATS_VERSION};
	ck_assert_int_eq(gdfo_loop_stats_get(&st, o), 0);
	ck_assert_msg(st.plans == plans, "%s: the state holds %lld plans, %ld were made", when, (long long)st.plans,
		      plans);
	ck_assert_msg(st.feedback == feedback, "%s: the state holds %lld feedback records, %ld were acknowledged",
		      when, (long long)st.feedback, feedback);
	ck_assert_int_eq(st.torn, 0);
	ck_assert_int_eq(st.pipelines, PIPES);
}

START_TEST(planners_and_a_feeder_lose_no_record)
{
	pthread_t pt[PLANNERS], ft;
	const char *env = getenv("GDFO_LOOP_STRESS_S");
	double seconds = env ? atof(env) : 3, t0;
	char dir[4096];
	long plans = 0, errors = 0;
	gdfo_telemetry *tel;
	gdfo_run_telemetry run;
	size_t i;

	snprintf(dir, sizeof(dir), "%s/gdfo-loop-threads-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (i = 0; i < PIPES; i++)
		ck_assert_int_eq(gdfo_graph_load(&graphs[i], pipe_files[i]), 0);
	ck_assert_msg(open_state(&opt, dir) == 0, "%s", gdfo_last_error());
	t0 = now_s();
	deadline = t0 + seconds;
	Q.planners_left = PLANNERS;
	for (i = 0; i < PLANNERS; i++)
		ck_assert_int_eq(pthread_create(&pt[i], NULL, planner, (void *)(uintptr_t)i), 0);
	ck_assert_int_eq(pthread_create(&ft, NULL, feeder, NULL), 0);
	for (i = 0; i < PLANNERS; i++) {
		ck_assert_int_eq(pthread_join(pt[i], NULL), 0);
		plans += plans_made[i];
		errors += plan_errors[i];
	}
	ck_assert_int_eq(pthread_join(ft, NULL), 0);
	fprintf(stderr, "test_loop_threads: %d planners, 1 feeder, %.1f s: %ld plans, %ld feedback, %ld approvals\n",
		PLANNERS, now_s() - t0, plans, fed, approved);
	ck_assert_msg(errors + feed_errors == 0, "%ld failed calls; the first: %s", errors + feed_errors,
		      first_error);
	ck_assert_int_gt(fed, 0);
	check_counts(opt, plans, fed, "open");
	gdfo_optimizer_close(opt);

	ck_assert_msg(open_state(&opt, dir) == 0, "reopen: %s", gdfo_last_error());
	check_counts(opt, plans, fed, "reopened");
	ck_assert_int_eq(gdfo_telemetry_create(&tel), 0);
	gdfo_run_telemetry_init(&run, GDFO_RUN_TELEMETRY_VERSION);
	run.latency_ms = 1000;
	ck_assert_int_eq(gdfo_telemetry_set_run(tel, &run), 0);
	for (i = 0; i < (size_t)fed; i++)
		ck_assert_msg(gdfo_optimizer_feedback(NULL, opt, fed_ids[i], tel) == GDFO_EEXISTS,
			      "feedback of %s lost on reopen", fed_ids[i]);
	gdfo_telemetry_free(tel);
	gdfo_optimizer_close(opt);
	{
		static const char *const files[] = {"journal", "audit.jsonl", "policy.json", "lock"};
		char p[4200];
		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
			unlink(p);
		}
		rmdir(dir);
	}
	for (i = 0; i < PIPES; i++)
		gdfo_graph_free(graphs[i]);
	free(fed_ids);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("loop_threads");
	TCase *tc = tcase_create("stress");
	const char *env = getenv("GDFO_LOOP_STRESS_S");

	tcase_set_timeout(tc, 300 + (env ? atof(env) : 0));
	tcase_add_test(tc, planners_and_a_feeder_lose_no_record);
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
