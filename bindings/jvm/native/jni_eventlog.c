/* org.gdfo.EventLog: Spark event logs. */
#include <stdlib.h>

#include "jni_common.h"
#include "org_gdfo_EventLog.h"

static int log_json(char **o, const void *l) { return gdfo_eventlog_summary_json(o, l); }

JNIEXPORT jlong JNICALL Java_org_gdfo_EventLog_nRead(JNIEnv *env, jclass cls, jbyteArray path, jbyteArray name)
{
	gdfo_ingest_options o;
	gdfo_eventlog *log = NULL;
	char *p, *n = NULL;
	int rc;

	if (!(p = gdfo__jni_copy_bytes(env, path, NULL, 1, "path")))
		return 0;
	if (name && !(n = gdfo__jni_copy_bytes(env, name, NULL, 1, "name"))) {
		free(p);
		return 0;
	}
	rc = gdfo_ingest_options_init(&o, GDFO_INGEST_OPTIONS_VERSION);
	if (rc == 0) {
		o.name = n;
		rc = gdfo_eventlog_read(&log, p, &o);
	}
	free(p);
	free(n);
	return gdfo__jni_fail(env, rc) ? 0 : HANDLE(log);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_EventLog_nReadMemory(JNIEnv *env, jclass cls, jbyteArray data)
{
	gdfo_eventlog *log = NULL;
	size_t len;
	char *d = gdfo__jni_copy_bytes(env, data, &len, 0, "data");
	int rc;

	if (!d)
		return 0;
	rc = gdfo_eventlog_read_memory(&log, d, len, NULL);
	free(d);
	return gdfo__jni_fail(env, rc) ? 0 : HANDLE(log);
}

JNIEXPORT void JNICALL Java_org_gdfo_EventLog_nFree(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_eventlog_free(PTR(h));
}

/* Fills an EventLog.SummaryFields holder field by field, by name. */
JNIEXPORT void JNICALL Java_org_gdfo_EventLog_nSummary(JNIEnv *env, jclass cls, jlong h, jobject out)
{
	gdfo_eventlog_summary s = {.version = GDFO_EVENTLOG_SUMMARY_VERSION};

	if (gdfo__jni_check_handle(env, h))
		return;
	s.version = GDFO_EVENTLOG_SUMMARY_VERSION;
	if (gdfo__jni_fail(env, gdfo_eventlog_get_summary(&s, PTR(h))))
		return;
	(void)(gdfo__jni_set_long(env, out, "stagesCompleted", s.stages_completed) ||
	       gdfo__jni_set_long(env, out, "stagesFailed", s.stages_failed) ||
	       gdfo__jni_set_long(env, out, "tasks", s.tasks) ||
	       gdfo__jni_set_long(env, out, "tasksFailed", s.tasks_failed) ||
	       gdfo__jni_set_long(env, out, "executorRunMs", s.executor_run_ms) ||
	       gdfo__jni_set_long(env, out, "shuffleWriteBytes", s.shuffle_write_bytes) ||
	       gdfo__jni_set_long(env, out, "shuffleReadBytes", s.shuffle_read_bytes) ||
	       gdfo__jni_set_long(env, out, "memorySpillBytes", s.memory_spill_bytes) ||
	       gdfo__jni_set_long(env, out, "diskSpillBytes", s.disk_spill_bytes) ||
	       gdfo__jni_set_long(env, out, "executorsAdded", s.executors_added) ||
	       gdfo__jni_set_long(env, out, "executorsRemoved", s.executors_removed) ||
	       gdfo__jni_set_long(env, out, "malformedLines", s.malformed_lines) ||
	       gdfo__jni_set_long(env, out, "appDurationMs", s.has_app_duration ? s.app_duration_ms : -1) ||
	       gdfo__jni_set_int(env, out, "hasAppDuration", s.has_app_duration ? 1 : 0));
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_EventLog_nSummaryJson(JNIEnv *env, jclass cls, jlong h)
{
	return gdfo__jni_json(env, h, log_json);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_EventLog_nGraph(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_graph *g = NULL;

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_fail(env, gdfo_eventlog_graph(&g, PTR(h))))
		return 0;
	return HANDLE(g);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_EventLog_nTelemetry(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_telemetry *t = NULL;

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_fail(env, gdfo_eventlog_telemetry(&t, PTR(h))))
		return 0;
	return HANDLE(t);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_EventLog_nProfile(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_profile *p = NULL;

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_fail(env, gdfo_eventlog_profile(&p, PTR(h))))
		return 0;
	return HANDLE(p);
}
