/*
 * Calibration of the simulator to telemetry: the fit on hand-made
 * telemetry, what a calibrated prediction says, and the faithfulness
 * criterion on the real event logs in ../shared/data/spark-events (issue 9):
 * the calibrated input predicts the application's measured duration within
 * 15 % and its execution part the replay of its measured tasks within 10 %.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gdfo/gdfo.h"
#include "testutil.h"

/* a -> b -> c: a source, an aggregate, a sink; 8 x 4 cores by default */
static gdfo_graph *chain(void)
{
	static const char json[] =
		"{\"format\": \"gdfo-pipeline/1\", \"name\": \"chain\", \"stages\": ["
		"{\"id\": 1, \"name\": \"a\", \"op\": \"source\", \"stats\": {\"rows_in\": 1e7, \"bytes_in\": 1e9},"
		" \"knobs\": {\"partitions\": 64}},"
		"{\"id\": 2, \"name\": \"b\", \"op\": \"aggregate\", \"parents\": [1], \"stats\": {\"selectivity\": 0.1},"
		" \"knobs\": {\"partitions\": 100}},"
		"{\"id\": 3, \"name\": \"c\", \"op\": \"sink\", \"parents\": [2], \"knobs\": {\"partitions\": 1}}]}";
	gdfo_graph *g;
	ck_assert_msg(gdfo_graph_from_json(&g, json, strlen(json)) == 0, "%s", gdfo_last_error());
	return g;
}

static void add_stage(gdfo_telemetry *t, int64_t id, double tasks, double med, double mx, double dur)
{
	gdfo_stage_telemetry s;
	gdfo_stage_telemetry_init(&s, GDFO_STAGE_TELEMETRY_VERSION);
	s.stage_id = id;
	s.tasks = tasks;
	s.task_ms_median = med;
	s.task_ms_max = mx;
	s.duration_ms = dur;
	ck_assert_int_eq(gdfo_telemetry_set_stage(t, &s), 0);
}

static void set_latency(gdfo_telemetry *t, double ms)
{
	gdfo_run_telemetry r;
	gdfo_run_telemetry_init(&r, GDFO_RUN_TELEMETRY_VERSION);
	r.latency_ms = ms;
	ck_assert_int_eq(gdfo_telemetry_set_run(t, &r), 0);
}

static const gdfo_sim_stage_result *stage_of(gdfo_sim *sim, int64_t id, gdfo_sim_stage_result *buf)
{
	size_t i;
	for (i = 0; i < gdfo_sim_stage_count(sim); i++) {
		buf->version = GDFO_SIM_STAGE_RESULT_VERSION;
		ck_assert_int_eq(gdfo_sim_stage_at(buf, sim, i), 0);
		if (buf->id == id)
			return buf;
	}
	ck_abort_msg("stage %lld not in the result", (long long)id);
	return NULL;
}

/* Uniform measured tasks: the calibrated stages run exactly as measured; the overhead closes the latency. */
START_TEST(fit_reproduces_the_measurement)
{
	gdfo_graph *g = chain();
	gdfo_telemetry *t;
	gdfo_sim *sim;
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION}, u = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_sim_calibration c = {.version = GDFO_SIM_CALIBRATION_VERSION};
	gdfo_sim_stage_result sr;

	ck_assert_int_eq(gdfo_telemetry_create(&t), 0);
	/* 64 tasks of 900 ms on 32 cores: two waves; 100 of 300 ms with one of 600: four waves */
	add_stage(t, 1, 64, 900, 900, 1800);
	add_stage(t, 2, 100, 300, 600, 1500);
	add_stage(t, 3, 1, 250, 250, 250);
	add_stage(t, 99, 5, 10, 10, 10); /* not a stage of the pipeline */
	set_latency(t, 10000);
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	ck_assert_int_eq(gdfo_sim_run_graph(&u, sim, g, NULL), 0);
	ck_assert_double_eq_tol(u.overhead_ms, 3000, 1e-9); /* uncalibrated: the start-up */
	ck_assert_double_eq_tol(u.execution_ms, u.makespan_ms - 3000, 1e-6);
	ck_assert_int_eq(u.stages_calibrated, 0);

	ck_assert_msg(gdfo_sim_calibrate(&c, sim, g, t, NULL) == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(c.active, 1);
	ck_assert_int_eq(c.stages, 3);
	ck_assert_int_eq(c.stages_calibrated, 3);
	ck_assert_int_eq(c.records_unmatched, 1);
	ck_assert_int_eq(c.overhead_fitted, 1);
	ck_assert_double_eq_tol(c.measured_latency_ms, 10000, 1e-9);
	ck_assert_double_eq_tol(c.uncalibrated_execution_ms, u.execution_ms, 1e-6);

	ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g, NULL), 0);
	ck_assert_int_eq(r.stages_calibrated, 3);
	ck_assert_double_eq_tol(r.makespan_ms, 10000, 1e-6);
	/*
	 * 2 x 900 + 4 waves of the bulk task (the 600 ms one runs beside them)
	 * + 250, no stage gaps. The bulk task of stage 2 is the mean of the
	 * lognormal with median 300 whose maximum of 100 is 600: 310.04 ms.
	 */
	ck_assert_double_eq_tol(stage_of(sim, 2, &sr)->task_ms_max, 600, 1e-6);
	ck_assert_double_eq_tol(sr.end_ms - sr.start_ms, 4 * 310.04, 0.5);
	ck_assert_double_eq_tol(r.execution_ms, 1800 + 4 * 310.04 + 250, 0.5);
	ck_assert_double_eq_tol(r.overhead_ms, 10000 - r.execution_ms, 1e-6);
	ck_assert_double_eq_tol(stage_of(sim, 1, &sr)->task_ms_max, 900, 1e-6);
	ck_assert_double_eq_tol(sr.end_ms - sr.start_ms, 1800, 1e-6);
	ck_assert_double_eq_tol(sr.start_ms, r.overhead_ms, 1e-6);
	ck_assert_double_eq_tol(stage_of(sim, 3, &sr)->end_ms - sr.start_ms, 250, 1e-6);

	/* cleared: the uncalibrated model again, byte for byte */
	ck_assert_int_eq(gdfo_sim_calibrate(&c, sim, NULL, NULL, NULL), 0);
	ck_assert_int_eq(c.active, 0);
	ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g, NULL), 0);
	ck_assert(r.makespan_ms == u.makespan_ms && r.cost == u.cost);
	gdfo_sim_free(sim);
	gdfo_telemetry_free(t);
	gdfo_graph_free(g);
}
END_TEST

/* The rate factor scales: twice the partitions keep the stage's work; twice the data doubles it. */
START_TEST(calibrated_rates_scale_with_the_plan)
{
	gdfo_graph *g = chain(), *g2 = chain();
	gdfo_telemetry *t;
	gdfo_sim *sim;
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_stage s = {.version = GDFO_STAGE_VERSION};
	gdfo_stage_stats st;
	gdfo_stage_knobs kn;
	double w1;

	ck_assert_int_eq(gdfo_telemetry_create(&t), 0);
	add_stage(t, 1, 64, 900, 900, 1800);
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	ck_assert_int_eq(gdfo_sim_calibrate(NULL, sim, g, t, NULL), 0);
	ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g, NULL), 0);
	w1 = r.work_ms;
	/* the source's volume doubles: its variable work doubles (launch costs do not) */
	ck_assert_int_eq(gdfo_graph_stage_at(&s, g2, 0), 0);
	tu_own(&s, &st, &kn);
	st.bytes_in *= 2;
	st.rows_in *= 2;
	ck_assert_int_eq(gdfo_graph_update_stage(g2, &s), 0);
	ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g2, NULL), 0);
	ck_assert_int_eq(r.stages_calibrated, 1);
	ck_assert_msg(r.work_ms > w1 + 64 * 900 * 0.9, "work %.1f vs %.1f", r.work_ms, w1);
	/* no latency measured: the overhead is the model's start-up, and says so */
	{
		gdfo_sim_calibration c = {.version = GDFO_SIM_CALIBRATION_VERSION};
		ck_assert_int_eq(gdfo_sim_get_calibration(&c, sim), 0);
		ck_assert_int_eq(c.overhead_fitted, 0);
		ck_assert_double_eq_tol(c.overhead_ms, 3000, 1e-9);
		ck_assert(c.measured_latency_ms == -1);
	}
	gdfo_sim_free(sim);
	gdfo_telemetry_free(t);
	gdfo_graph_free(g);
	gdfo_graph_free(g2);
}
END_TEST

/* The measured work counts, not the model's partition count: 128 measured tasks of 450 ms on 64 partitions. */
START_TEST(measured_work_whatever_the_partitions)
{
	gdfo_graph *g = chain();
	gdfo_telemetry *t;
	gdfo_sim *sim;
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_sim_stage_result sr;

	ck_assert_int_eq(gdfo_telemetry_create(&t), 0);
	add_stage(t, 1, 128, 450, 450, 1800);
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	ck_assert_int_eq(gdfo_sim_calibrate(NULL, sim, g, t, NULL), 0);
	ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g, NULL), 0);
	stage_of(sim, 1, &sr);
	ck_assert_double_eq_tol(sr.work_ms, 128 * 450, 1e-6);
	ck_assert_double_eq_tol(sr.end_ms - sr.start_ms, 1800, 1e-6);
	gdfo_sim_free(sim);
	gdfo_telemetry_free(t);
	gdfo_graph_free(g);
}
END_TEST

START_TEST(nothing_to_calibrate)
{
	gdfo_graph *g = chain();
	gdfo_telemetry *t;
	gdfo_sim *sim;
	gdfo_sim_calibration c = {.version = GDFO_SIM_CALIBRATION_VERSION};

	ck_assert_int_eq(gdfo_telemetry_create(&t), 0);
	add_stage(t, 42, 5, 10, 10, 10);
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	ck_assert_int_eq(gdfo_sim_calibrate(&c, sim, g, t, NULL), GDFO_ENOTFOUND);
	ck_assert_str_eq(gdfo_last_error(), "telemetry: no stage record matches a stage of pipeline 'chain' and the run's latency is unknown: nothing to calibrate");
	ck_assert_int_eq(gdfo_sim_get_calibration(&c, sim), 0);
	ck_assert_int_eq(c.active, 0);
	ck_assert_int_eq(gdfo_sim_calibrate(&c, NULL, g, t, NULL), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_sim_calibrate(&c, sim, NULL, t, NULL), GDFO_EINVAL);
	gdfo_sim_free(sim);
	gdfo_telemetry_free(t);
	gdfo_graph_free(g);
}
END_TEST

/* A plan's prediction carries the execution parts and what was calibrated, through JSON too. */
START_TEST(prediction_says_what_was_calibrated)
{
	gdfo_graph *g = chain();
	gdfo_telemetry *t;
	gdfo_sim *sim;
	gdfo_plan *plan, *back;
	gdfo_prediction p = {.version = GDFO_PREDICTION_VERSION}, q = {.version = GDFO_PREDICTION_VERSION};
	char *json;

	ck_assert_int_eq(gdfo_optimize_rules(&plan, g, NULL, NULL), 0);
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	ck_assert_int_eq(gdfo_sim_predict_plan(sim, plan, g, NULL), 0);
	ck_assert_int_eq(gdfo_plan_prediction(&p, plan), 0);
	ck_assert_int_eq(p.calibrated, 0);
	ck_assert_int_eq(p.stages_calibrated, 0);
	ck_assert_double_eq_tol(p.overhead_ms, 3000, 1e-9);
	ck_assert_double_eq_tol(p.baseline_execution_ms, p.baseline_latency_ms - 3000, 1e-6);
	ck_assert(p.measured_latency_ms == -1);

	ck_assert_int_eq(gdfo_telemetry_create(&t), 0);
	add_stage(t, 1, 64, 900, 900, 1800);
	add_stage(t, 2, 100, 300, 600, 1500);
	set_latency(t, 20000);
	ck_assert_int_eq(gdfo_sim_calibrate(NULL, sim, g, t, NULL), 0);
	ck_assert_int_eq(gdfo_sim_predict_plan(sim, plan, g, NULL), 0);
	ck_assert_int_eq(gdfo_plan_prediction(&p, plan), 0);
	ck_assert_int_eq(p.calibrated, 1);
	ck_assert_int_eq(p.baseline_stages_calibrated, 2);
	ck_assert_double_eq_tol(p.baseline_latency_ms, 20000, 1e-6);
	ck_assert_double_eq_tol(p.measured_latency_ms, 20000, 1e-9);
	ck_assert_double_eq_tol(p.latency_ms - p.execution_ms, p.overhead_ms, 1e-6);
	ck_assert_double_eq_tol(p.baseline_latency_ms - p.baseline_execution_ms, p.overhead_ms, 1e-6);

	ck_assert_int_eq(gdfo_plan_to_json(&json, plan), 0);
	ck_assert_ptr_nonnull(strstr(json, "\"calibration\":\t\"telemetry\""));
	ck_assert_int_eq(gdfo_plan_from_json(&back, json, strlen(json)), 0);
	ck_assert_int_eq(gdfo_plan_prediction(&q, back), 0);
	ck_assert_int_eq(q.calibrated, 1);
	ck_assert_int_eq(q.stages_calibrated, p.stages_calibrated);
	ck_assert_int_eq(q.baseline_stages_calibrated, 2);
	ck_assert_double_eq_tol(q.execution_ms, p.execution_ms, 1e-6 * p.execution_ms);
	ck_assert_double_eq_tol(q.overhead_ms, p.overhead_ms, 1e-6 * p.overhead_ms);
	ck_assert_double_eq_tol(q.measured_latency_ms, 20000, 1e-9);
	gdfo_free(json);
	gdfo_plan_free(back);
	gdfo_plan_free(plan);
	gdfo_sim_free(sim);
	gdfo_telemetry_free(t);
	gdfo_graph_free(g);
}
END_TEST

/* Issue 9's criterion on every shared event log with completed stages. */
static const char *const logs[] = {
	"spark-rapids-tools/aqeshuffle_eventlog",
	"spark-rapids-tools/rapids_join_eventlog.zstd",
	"spark-rapids-tools/eventlog_4nodes_8cores_dynamic_alloc.zstd",
	"spark-rapids-tools/nds_q72_dataproc_2_2.zstd",
	"sparklens/local-1532512550423",
	"dr-elephant/event_log_1",
};

START_TEST(calibrated_logs_match_what_was_measured)
{
	char path[4096];
	gdfo_eventlog *log;
	gdfo_graph *g;
	gdfo_telemetry *t;
	gdfo_profile *prof;
	gdfo_sim *sim;
	gdfo_plan *plan;
	gdfo_run_telemetry run = {.version = GDFO_RUN_TELEMETRY_VERSION};
	gdfo_sim_result rep = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_prediction p = {.version = GDFO_PREDICTION_VERSION};
	double lat_err, exec_err;

	snprintf(path, sizeof(path), "%s/spark-events/%s", tu_shared_data(), logs[_i]);
	if (access(path, R_OK) != 0)
		return; /* the shared data is not there */
	ck_assert_msg(gdfo_eventlog_read(&log, path, NULL) == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(gdfo_eventlog_graph(&g, log), 0);
	ck_assert_int_eq(gdfo_eventlog_telemetry(&t, log), 0);
	ck_assert_int_eq(gdfo_eventlog_profile(&prof, log), 0);
	ck_assert_int_eq(gdfo_telemetry_get_run(&run, t), 0);
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	ck_assert_int_eq(gdfo_sim_run_profile(&rep, sim, prof, NULL), 0);
	ck_assert_msg(gdfo_sim_calibrate(NULL, sim, g, t, NULL) == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(gdfo_optimize_rules(&plan, g, t, NULL), 0);
	ck_assert_int_eq(gdfo_sim_predict_plan(sim, plan, g, NULL), 0);
	ck_assert_int_eq(gdfo_plan_prediction(&p, plan), 0);
	ck_assert_int_eq(p.calibrated, 1);
	ck_assert_int_eq(p.baseline_stages_calibrated, (int32_t)gdfo_graph_stage_count(g));
	lat_err = p.baseline_latency_ms / run.latency_ms - 1;
	exec_err = p.baseline_execution_ms / rep.makespan_ms - 1;
	ck_assert_msg(fabs(lat_err) <= 0.15, "%s: calibrated latency %.0f ms vs measured %.0f ms (%+.1f %%)", logs[_i],
		      p.baseline_latency_ms, run.latency_ms, 100 * lat_err);
	ck_assert_msg(fabs(exec_err) <= 0.10, "%s: calibrated execution %.0f ms vs replay %.0f ms (%+.1f %%)", logs[_i],
		      p.baseline_execution_ms, rep.makespan_ms, 100 * exec_err);
	gdfo_plan_free(plan);
	gdfo_sim_free(sim);
	gdfo_profile_free(prof);
	gdfo_telemetry_free(t);
	gdfo_graph_free(g);
	gdfo_eventlog_free(log);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("calibrate");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, fit_reproduces_the_measurement);
	tcase_add_test(t, calibrated_rates_scale_with_the_plan);
	tcase_add_test(t, measured_work_whatever_the_partitions);
	tcase_add_test(t, nothing_to_calibrate);
	tcase_add_test(t, prediction_says_what_was_calibrated);
	tcase_add_loop_test(t, calibrated_logs_match_what_was_measured, 0, (int)(sizeof(logs) / sizeof(logs[0])));
	suite_add_tcase(s, t);
	{
		SRunner *sr = srunner_create(s);
		int failed;
		srunner_run_all(sr, CK_NORMAL);
		failed = srunner_ntests_failed(sr);
		srunner_free(sr);
		return failed ? 1 : 0;
	}
}
