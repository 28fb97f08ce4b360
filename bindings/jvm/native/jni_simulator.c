/* org.gdfo.Simulator: simulation of graphs, plans and profiles, calibration, predictions. */
#include <stdlib.h>

#include "jni_common.h"
#include "org_gdfo_Simulator.h"

/* A gdfo_sim on the default cluster, or on a gdfo-cluster/1 document (json) or file (path). */
static jlong create(JNIEnv *env, jbyteArray json, jbyteArray path)
{
	gdfo_sim_cluster c;
	gdfo_sim *sim = NULL;
	char *s = NULL;
	size_t n = 0;
	int rc;

	if (gdfo__jni_fail(env, gdfo_sim_cluster_init(&c, GDFO_SIM_CLUSTER_VERSION)))
		return 0;
	if (json || path) {
		if (!(s = gdfo__jni_copy_bytes(env, json ? json : path, &n, path != NULL, json ? "json" : "path")))
			return 0;
		rc = json ? gdfo_sim_cluster_from_json(&c, s, n) : gdfo_sim_cluster_load(&c, s);
		free(s);
		if (gdfo__jni_fail(env, rc))
			return 0;
	}
	if (gdfo__jni_fail(env, gdfo_sim_create(&sim, &c)))
		return 0;
	return HANDLE(sim);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Simulator_nCreate(JNIEnv *env, jclass cls, jbyteArray json, jbyteArray path)
{
	return create(env, json, path);
}

JNIEXPORT void JNICALL Java_org_gdfo_Simulator_nFree(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_sim_free(PTR(h));
}

/* ---- options: a gdfo_sim_options on the C side, one setter and getter per field */

JNIEXPORT jlong JNICALL Java_org_gdfo_Simulator_nOptionsCreate(JNIEnv *env, jclass cls)
{
	gdfo_sim_options *o = malloc(sizeof(*o));

	if (!o) {
		gdfo__jni_throw(env, GDFO_ENOMEM, "out of memory allocating simulation options");
		return 0;
	}
	if (gdfo__jni_fail(env, gdfo_sim_options_init(o, GDFO_SIM_OPTIONS_VERSION))) {
		free(o);
		return 0;
	}
	return HANDLE(o);
}

JNIEXPORT void JNICALL Java_org_gdfo_Simulator_nOptionsFree(JNIEnv *env, jclass cls, jlong o)
{
	free(PTR(o));
}

#define OPTION(Name, field, jtype) \
	JNIEXPORT void JNICALL Java_org_gdfo_Simulator_nSet##Name(JNIEnv *env, jclass cls, jlong o, jtype v) \
	{ \
		if (!gdfo__jni_check_handle(env, o)) \
			((gdfo_sim_options *)PTR(o))->field = v; \
	} \
	JNIEXPORT jtype JNICALL Java_org_gdfo_Simulator_nGet##Name(JNIEnv *env, jclass cls, jlong o) \
	{ \
		if (gdfo__jni_check_handle(env, o)) \
			return 0; \
		return (jtype)((const gdfo_sim_options *)PTR(o))->field; \
	}

OPTION(Mode, mode, jint)
OPTION(Seed, seed, jlong)
OPTION(Runs, runs, jint)
OPTION(Replay, replay, jint)
OPTION(Executors, executors, jint)
OPTION(CoresPerExecutor, cores_per_executor, jint)
OPTION(NoiseSigma, noise_sigma, jdouble)
OPTION(StragglerProb, straggler_prob, jdouble)
OPTION(StragglerFactor, straggler_factor, jdouble)
OPTION(FailureProb, failure_prob, jdouble)
OPTION(MaxAttempts, max_attempts, jint)
OPTION(DynamicAllocation, dynamic_allocation, jint)
OPTION(MinExecutors, min_executors, jint)
OPTION(MaxExecutors, max_executors, jint)
OPTION(BacklogTimeoutMs, backlog_timeout_ms, jdouble)
OPTION(IdleTimeoutMs, idle_timeout_ms, jdouble)
OPTION(RunIndex, run_index, jint)
OPTION(Batches, batches, jint)
OPTION(BatchIntervalMs, batch_interval_ms, jdouble)
OPTION(ReplayStageGapMs, replay_stage_gap_ms, jdouble)

/* ---- results ---------------------------------------------------------------------- */

/* Fills a Simulator.ResultFields holder from r, by field name. */
static void fill_result(JNIEnv *env, jobject out, const gdfo_sim_result *r)
{
	(void)(gdfo__jni_set_int(env, out, "success", r->success) ||
	       gdfo__jni_set_int(env, out, "runs", r->runs) ||
	       gdfo__jni_set_long(env, out, "failedStageId", r->failed_stage_id) ||
	       gdfo__jni_set_int(env, out, "executors", r->executors) ||
	       gdfo__jni_set_int(env, out, "coresPerExecutor", r->cores_per_executor) ||
	       gdfo__jni_set_double(env, out, "makespanMs", r->makespan_ms) ||
	       gdfo__jni_set_double(env, out, "makespanMsP95", r->makespan_ms_p95) ||
	       gdfo__jni_set_double(env, out, "workMs", r->work_ms) ||
	       gdfo__jni_set_double(env, out, "criticalPathMs", r->critical_path_ms) ||
	       gdfo__jni_set_double(env, out, "records", r->records) ||
	       gdfo__jni_set_double(env, out, "throughput", r->throughput) ||
	       gdfo__jni_set_double(env, out, "cost", r->cost) ||
	       gdfo__jni_set_double(env, out, "computeCost", r->compute_cost) ||
	       gdfo__jni_set_double(env, out, "storageCost", r->storage_cost) ||
	       gdfo__jni_set_double(env, out, "executorSeconds", r->executor_seconds) ||
	       gdfo__jni_set_double(env, out, "spillBytes", r->spill_bytes) ||
	       gdfo__jni_set_double(env, out, "shuffleBytes", r->shuffle_bytes) ||
	       gdfo__jni_set_double(env, out, "utilization", r->utilization) ||
	       gdfo__jni_set_double(env, out, "executionMs", r->execution_ms) ||
	       gdfo__jni_set_double(env, out, "overheadMs", r->overhead_ms) ||
	       gdfo__jni_set_int(env, out, "stagesCalibrated", r->stages_calibrated));
}

JNIEXPORT void JNICALL Java_org_gdfo_Simulator_nRunGraph(JNIEnv *env, jclass cls, jlong h, jlong g, jlong o,
							 jobject out)
{
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_check_handle(env, g) || gdfo__jni_check_handle(env, o) ||
	    gdfo__jni_fail(env, gdfo_sim_run_graph(&r, PTR(h), PTR(g), PTR(o))))
		return;
	fill_result(env, out, &r);
}

JNIEXPORT void JNICALL Java_org_gdfo_Simulator_nRunPlan(JNIEnv *env, jclass cls, jlong h, jlong p, jlong o,
							jobject out)
{
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_check_handle(env, p) || gdfo__jni_check_handle(env, o) ||
	    gdfo__jni_fail(env, gdfo_sim_run_graph(&r, PTR(h), gdfo_plan_graph(PTR(p)), PTR(o))))
		return;
	fill_result(env, out, &r);
}

/* The last run of graph g, or of plan p's graph (g 0), as telemetry. */
JNIEXPORT jlong JNICALL Java_org_gdfo_Simulator_nTelemetry(JNIEnv *env, jclass cls, jlong h, jlong g, jlong p)
{
	gdfo_telemetry *t = NULL;

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_check_handle(env, g ? g : p) ||
	    gdfo__jni_fail(env, gdfo_sim_telemetry(&t, PTR(h), g ? PTR(g) : gdfo_plan_graph(PTR(p)))))
		return 0;
	return HANDLE(t);
}

JNIEXPORT void JNICALL Java_org_gdfo_Simulator_nRunProfile(JNIEnv *env, jclass cls, jlong h, jlong p, jlong o,
							   jobject out)
{
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_check_handle(env, p) || gdfo__jni_check_handle(env, o) ||
	    gdfo__jni_fail(env, gdfo_sim_run_profile(&r, PTR(h), PTR(p), PTR(o))))
		return;
	fill_result(env, out, &r);
}

JNIEXPORT jint JNICALL Java_org_gdfo_Simulator_nStageCount(JNIEnv *env, jclass cls, jlong h)
{
	if (gdfo__jni_check_handle(env, h))
		return 0;
	return (jint)gdfo_sim_stage_count(PTR(h));
}

/* Fills a Simulator.StageFields holder, by field name. */
JNIEXPORT void JNICALL Java_org_gdfo_Simulator_nStageAt(JNIEnv *env, jclass cls, jlong h, jint index, jobject out)
{
	gdfo_sim_stage_result s = {.version = GDFO_SIM_STAGE_RESULT_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_check_index(env, index, "stage") ||
	    gdfo__jni_fail(env, gdfo_sim_stage_at(&s, PTR(h), (size_t)index)))
		return;
	(void)(gdfo__jni_set_long(env, out, "id", s.id) || gdfo__jni_set_int(env, out, "job", s.job) ||
	       gdfo__jni_set_int(env, out, "joinStrategy", s.join_strategy) ||
	       gdfo__jni_set_double(env, out, "tasks", s.tasks) ||
	       gdfo__jni_set_double(env, out, "startMs", s.start_ms) ||
	       gdfo__jni_set_double(env, out, "endMs", s.end_ms) ||
	       gdfo__jni_set_double(env, out, "durationMs", s.duration_ms) ||
	       gdfo__jni_set_double(env, out, "workMs", s.work_ms) ||
	       gdfo__jni_set_double(env, out, "taskMsMax", s.task_ms_max) ||
	       gdfo__jni_set_double(env, out, "rowsIn", s.rows_in) ||
	       gdfo__jni_set_double(env, out, "rowsOut", s.rows_out) ||
	       gdfo__jni_set_double(env, out, "bytesIn", s.bytes_in) ||
	       gdfo__jni_set_double(env, out, "bytesOut", s.bytes_out) ||
	       gdfo__jni_set_double(env, out, "shuffleReadBytes", s.shuffle_read_bytes) ||
	       gdfo__jni_set_double(env, out, "shuffleWriteBytes", s.shuffle_write_bytes) ||
	       gdfo__jni_set_double(env, out, "spillBytes", s.spill_bytes) ||
	       gdfo__jni_set_double(env, out, "cacheBytes", s.cache_bytes) ||
	       gdfo__jni_set_double(env, out, "filesWritten", s.files_written) ||
	       gdfo__jni_set_double(env, out, "executions", s.executions));
}

static int result_json(char **out, const void *sim) { return gdfo_sim_result_to_json(out, sim); }
static int calibration_json(char **out, const void *sim) { return gdfo_sim_calibration_to_json(out, sim); }

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Simulator_nResultJson(JNIEnv *env, jclass cls, jlong h)
{
	return gdfo__jni_json(env, h, result_json);
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Simulator_nCalibrationJson(JNIEnv *env, jclass cls, jlong h)
{
	return gdfo__jni_json(env, h, calibration_json);
}

/* ---- calibration and predictions ------------------------------------------------------ */

static jobject calibration(JNIEnv *env, const gdfo_sim_calibration *c)
{
	return gdfo__jni_new(env, "org/gdfo/Simulator$Calibration", "(ZIIIZDDDDD)V", c->active ? JNI_TRUE : JNI_FALSE,
			     c->stages, c->stages_calibrated, c->records_unmatched,
			     c->overhead_fitted ? JNI_TRUE : JNI_FALSE, c->overhead_ms, c->measured_latency_ms,
			     c->execution_ms, c->uncalibrated_execution_ms, c->rate);
}

JNIEXPORT jobject JNICALL Java_org_gdfo_Simulator_nCalibrate(JNIEnv *env, jclass cls, jlong h, jlong g, jlong t,
							     jlong o)
{
	gdfo_sim_calibration c = {.version = GDFO_SIM_CALIBRATION_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_check_handle(env, g) || gdfo__jni_check_handle(env, o) ||
	    gdfo__jni_fail(env, gdfo_sim_calibrate(&c, PTR(h), PTR(g), t ? PTR(t) : NULL, PTR(o))))
		return NULL;
	return calibration(env, &c);
}

JNIEXPORT jobject JNICALL Java_org_gdfo_Simulator_nCalibration(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_sim_calibration c = {.version = GDFO_SIM_CALIBRATION_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_fail(env, gdfo_sim_get_calibration(&c, PTR(h))))
		return NULL;
	return calibration(env, &c);
}

JNIEXPORT void JNICALL Java_org_gdfo_Simulator_nPredict(JNIEnv *env, jclass cls, jlong h, jlong p, jlong g, jlong o)
{
	if (gdfo__jni_check_handle(env, h) || gdfo__jni_check_handle(env, p) || gdfo__jni_check_handle(env, g) ||
	    gdfo__jni_check_handle(env, o))
		return;
	gdfo__jni_fail(env, gdfo_sim_predict_plan(PTR(h), PTR(p), PTR(g), PTR(o)));
}
