/* org.gdfo.Telemetry: run telemetry. */
#include <stdlib.h>

#include "jni_common.h"
#include "org_gdfo_Telemetry.h"

static int tele_parse(void **o, const char *j, size_t n) { return gdfo_telemetry_from_json((gdfo_telemetry **)o, j, n); }
static int tele_load(void **o, const char *p) { return gdfo_telemetry_load((gdfo_telemetry **)o, p); }
static int tele_save(const void *t, const char *p) { return gdfo_telemetry_save(t, p); }
static int tele_json(char **o, const void *t) { return gdfo_telemetry_to_json(o, t); }

JNIEXPORT jlong JNICALL Java_org_gdfo_Telemetry_nCreate(JNIEnv *env, jclass cls)
{
	gdfo_telemetry *t = NULL;
	return gdfo__jni_fail(env, gdfo_telemetry_create(&t)) ? 0 : HANDLE(t);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Telemetry_nFromJson(JNIEnv *env, jclass cls, jbyteArray json)
{
	return gdfo__jni_parse(env, json, tele_parse);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Telemetry_nLoad(JNIEnv *env, jclass cls, jbyteArray path)
{
	return gdfo__jni_load(env, path, tele_load);
}

JNIEXPORT void JNICALL Java_org_gdfo_Telemetry_nFree(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_telemetry_free(PTR(h));
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Telemetry_nToJson(JNIEnv *env, jclass cls, jlong h)
{
	return gdfo__jni_json(env, h, tele_json);
}

JNIEXPORT void JNICALL Java_org_gdfo_Telemetry_nSave(JNIEnv *env, jclass cls, jlong h, jbyteArray path)
{
	gdfo__jni_save(env, h, path, tele_save);
}

JNIEXPORT jint JNICALL Java_org_gdfo_Telemetry_nStageCount(JNIEnv *env, jclass cls, jlong h)
{
	if (gdfo__jni_check_handle(env, h))
		return 0;
	return (jint)gdfo_telemetry_stage_count(PTR(h));
}

JNIEXPORT jobject JNICALL Java_org_gdfo_Telemetry_nStageAt(JNIEnv *env, jclass cls, jlong h, jint index)
{
	gdfo_stage_telemetry s = {.version = GDFO_STAGE_TELEMETRY_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_check_index(env, index, "stage") ||
	    gdfo__jni_fail(env, gdfo_telemetry_stage_at(&s, PTR(h), (size_t)index)))
		return NULL;
	return gdfo__jni_new(env, "org/gdfo/Telemetry$StageRecord", "(JDDDDDDDDDD)V", (jlong)s.stage_id,
			     s.duration_ms, s.tasks, s.task_ms_median, s.task_ms_max, s.shuffle_read_bytes,
			     s.shuffle_write_bytes, s.spill_bytes, s.peak_memory_bytes, s.cpu_ms, s.failures);
}

/* Filled field by field from the record's accessors, after gdfo_stage_telemetry_init. */
JNIEXPORT void JNICALL Java_org_gdfo_Telemetry_nSetStage(JNIEnv *env, jclass cls, jlong h, jobject r)
{
	gdfo_stage_telemetry s = {.version = GDFO_STAGE_TELEMETRY_VERSION};

	if (gdfo__jni_check_handle(env, h) ||
	    gdfo__jni_fail(env, gdfo_stage_telemetry_init(&s, GDFO_STAGE_TELEMETRY_VERSION)))
		return;
	if (gdfo__jni_get_long(env, r, "stageId", &s.stage_id) ||
	    gdfo__jni_get_double(env, r, "durationMs", &s.duration_ms) ||
	    gdfo__jni_get_double(env, r, "tasks", &s.tasks) ||
	    gdfo__jni_get_double(env, r, "taskMsMedian", &s.task_ms_median) ||
	    gdfo__jni_get_double(env, r, "taskMsMax", &s.task_ms_max) ||
	    gdfo__jni_get_double(env, r, "shuffleReadBytes", &s.shuffle_read_bytes) ||
	    gdfo__jni_get_double(env, r, "shuffleWriteBytes", &s.shuffle_write_bytes) ||
	    gdfo__jni_get_double(env, r, "spillBytes", &s.spill_bytes) ||
	    gdfo__jni_get_double(env, r, "peakMemoryBytes", &s.peak_memory_bytes) ||
	    gdfo__jni_get_double(env, r, "cpuMs", &s.cpu_ms) ||
	    gdfo__jni_get_double(env, r, "failures", &s.failures))
		return;
	gdfo__jni_fail(env, gdfo_telemetry_set_stage(PTR(h), &s));
}

JNIEXPORT jobject JNICALL Java_org_gdfo_Telemetry_nGetRun(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_run_telemetry r = {.version = GDFO_RUN_TELEMETRY_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_fail(env, gdfo_telemetry_get_run(&r, PTR(h))))
		return NULL;
	return gdfo__jni_new(env, "org/gdfo/Telemetry$Run", "(ZDDDD)V", r.success ? JNI_TRUE : JNI_FALSE,
			     r.latency_ms, r.records, r.throughput, r.cost);
}

JNIEXPORT void JNICALL Java_org_gdfo_Telemetry_nSetRun(JNIEnv *env, jclass cls, jlong h, jobject run)
{
	gdfo_run_telemetry r = {.version = GDFO_RUN_TELEMETRY_VERSION};

	if (gdfo__jni_check_handle(env, h) ||
	    gdfo__jni_fail(env, gdfo_run_telemetry_init(&r, GDFO_RUN_TELEMETRY_VERSION)))
		return;
	if (gdfo__jni_get_boolean(env, run, "success", &r.success) ||
	    gdfo__jni_get_double(env, run, "latencyMs", &r.latency_ms) ||
	    gdfo__jni_get_double(env, run, "records", &r.records) ||
	    gdfo__jni_get_double(env, run, "throughput", &r.throughput) ||
	    gdfo__jni_get_double(env, run, "cost", &r.cost))
		return;
	gdfo__jni_fail(env, gdfo_telemetry_set_run(PTR(h), &r));
}
