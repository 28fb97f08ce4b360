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

JNIEXPORT jlongArray JNICALL Java_org_gdfo_EventLog_nSummary(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_eventlog_summary s;
	int64_t v[14];

	if (gdfo__jni_check_handle(env, h))
		return NULL;
	s.version = GDFO_EVENTLOG_SUMMARY_VERSION;
	if (gdfo__jni_fail(env, gdfo_eventlog_get_summary(&s, PTR(h))))
		return NULL;
	v[0] = s.stages_completed;
	v[1] = s.stages_failed;
	v[2] = s.tasks;
	v[3] = s.tasks_failed;
	v[4] = s.executor_run_ms;
	v[5] = s.shuffle_write_bytes;
	v[6] = s.shuffle_read_bytes;
	v[7] = s.memory_spill_bytes;
	v[8] = s.disk_spill_bytes;
	v[9] = s.executors_added;
	v[10] = s.executors_removed;
	v[11] = s.malformed_lines;
	v[12] = s.has_app_duration ? s.app_duration_ms : -1;
	v[13] = s.has_app_duration ? 1 : 0;
	return gdfo__jni_long_array(env, v, 14);
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
