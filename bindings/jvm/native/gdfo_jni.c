/*
 * JNI glue between the org.gdfo Java classes and libgdfo.
 *
 * Conventions (zstd-jni / RocksJava style):
 *  - Native pointers travel as jlong; the Java side (NativeHandle) never
 *    passes a freed one, and 0 is refused here too.
 *  - Strings cross as UTF-8 byte[] in both directions (never NewStringUTF,
 *    which wants modified UTF-8 and can abort the JVM on invalid bytes).
 *  - Every failing libgdfo call becomes a GdfoException(status, message)
 *    thrown before returning; NULL arrays and out-of-range indices are
 *    refused with GDFO_EINVAL / the library's GDFO_ERANGE, never a crash.
 *  - Options structs are filled here from Java arrays after *_init, so
 *    their C layout never leaks into Java.
 */
#include <jni.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gdfo/gdfo.h"

#include "org_gdfo_EventLog.h"
#include "org_gdfo_Gdfo.h"
#include "org_gdfo_Graph.h"
#include "org_gdfo_Plan.h"
#include "org_gdfo_Profile.h"
#include "org_gdfo_Rules.h"
#include "org_gdfo_Telemetry.h"

#define PTR(h) ((void *)(intptr_t)(h))
#define HANDLE(p) ((jlong)(intptr_t)(p))

/* ---- errors -------------------------------------------------------------- */

static jbyteArray bytes_n(JNIEnv *env, const char *s, size_t n)
{
	jbyteArray a;

	if (n > INT32_MAX) {
		jclass c = (*env)->FindClass(env, "java/lang/OutOfMemoryError");
		if (c)
			(*env)->ThrowNew(env, c, "libgdfo string larger than a Java array");
		return NULL;
	}
	a = (*env)->NewByteArray(env, (jsize)n);
	if (a && n)
		(*env)->SetByteArrayRegion(env, a, 0, (jsize)n, (const jbyte *)s);
	return a;
}

/* A Java byte[] holding s (NULL s gives NULL, no exception). */
static jbyteArray bytes(JNIEnv *env, const char *s)
{
	return s ? bytes_n(env, s, strlen(s)) : NULL;
}

static void throw_message(JNIEnv *env, int status, const char *msg)
{
	jclass cls;
	jmethodID ctor;
	jbyteArray m;
	jobject ex;

	if ((*env)->ExceptionCheck(env))
		return;
	cls = (*env)->FindClass(env, "org/gdfo/GdfoException");
	if (!cls)
		return;
	ctor = (*env)->GetMethodID(env, cls, "<init>", "(I[B)V");
	if (!ctor)
		return;
	m = bytes(env, msg ? msg : "unknown error");
	if (!m)
		return;
	ex = (*env)->NewObject(env, cls, ctor, (jint)status, m);
	if (ex)
		(*env)->Throw(env, (jthrowable)ex);
}

/* Throws GdfoException for rc < 0 with gdfo_last_error(); returns 1 if it threw. */
static int fail(JNIEnv *env, int rc)
{
	if (rc >= 0)
		return 0;
	throw_message(env, rc, gdfo_last_error());
	return 1;
}

static int check_handle(JNIEnv *env, jlong h)
{
	if (h == 0) {
		throw_message(env, GDFO_EINVAL, "native handle is null (closed object?)");
		return 1;
	}
	return 0;
}

static int check_array(JNIEnv *env, jarray a, jsize min_len, const char *what)
{
	if (!a) {
		throw_message(env, GDFO_EINVAL, what);
		return 1;
	}
	if ((*env)->GetArrayLength(env, a) < min_len) {
		throw_message(env, GDFO_EINVAL, "output array is too short");
		return 1;
	}
	return 0;
}

/*
 * A malloc'd copy of a byte[] with a NUL appended. With path set, an
 * embedded NUL is refused (it would silently cut the path short).
 */
static char *copy_bytes(JNIEnv *env, jbyteArray a, size_t *len, int path)
{
	jsize n;
	char *buf;

	if (!a) {
		throw_message(env, GDFO_EINVAL, path ? "path is null" : "text is null");
		return NULL;
	}
	n = (*env)->GetArrayLength(env, a);
	buf = malloc((size_t)n + 1);
	if (!buf) {
		throw_message(env, GDFO_ENOMEM, "out of memory copying a Java byte array");
		return NULL;
	}
	(*env)->GetByteArrayRegion(env, a, 0, n, (jbyte *)buf);
	buf[n] = '\0';
	if (path && memchr(buf, '\0', (size_t)n)) {
		free(buf);
		throw_message(env, GDFO_EINVAL, "path contains a NUL character");
		return NULL;
	}
	if (len)
		*len = (size_t)n;
	return buf;
}

/* Hands a library-allocated string to Java and frees it. */
static jbyteArray take_string(JNIEnv *env, int rc, char *s)
{
	jbyteArray a;

	if (fail(env, rc))
		return NULL;
	a = bytes(env, s);
	gdfo_free(s);
	return a;
}

static jlongArray long_array(JNIEnv *env, const int64_t *v, size_t n)
{
	jlongArray a;
	size_t i;

	if (!(a = (*env)->NewLongArray(env, (jsize)n)))
		return NULL;
	for (i = 0; i < n; i++) {
		jlong x = (jlong)v[i];
		(*env)->SetLongArrayRegion(env, a, (jsize)i, 1, &x);
	}
	return a;
}

/* ---- Gdfo ---------------------------------------------------------------- */

JNIEXPORT jintArray JNICALL Java_org_gdfo_Gdfo_nVersion(JNIEnv *env, jclass cls)
{
	int v[3];
	jint j[3];
	jintArray a;

	gdfo_version(&v[0], &v[1], &v[2]);
	j[0] = v[0];
	j[1] = v[1];
	j[2] = v[2];
	if ((a = (*env)->NewIntArray(env, 3)))
		(*env)->SetIntArrayRegion(env, a, 0, 3, j);
	return a;
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Gdfo_nStatusName(JNIEnv *env, jclass cls, jint status)
{
	return bytes(env, gdfo_status_name(status));
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Gdfo_nLastError(JNIEnv *env, jclass cls)
{
	return bytes(env, gdfo_last_error());
}

/* ---- shared load / parse / json / save ------------------------------------ */


static jlong do_parse(JNIEnv *env, jbyteArray json, int (*fn)(void **, const char *, size_t))
{
	size_t len;
	char *text = copy_bytes(env, json, &len, 0);
	void *out = NULL;
	int rc;

	if (!text)
		return 0;
	rc = fn(&out, text, len);
	free(text);
	return fail(env, rc) ? 0 : HANDLE(out);
}

static jlong do_load(JNIEnv *env, jbyteArray path, int (*fn)(void **, const char *))
{
	char *p = copy_bytes(env, path, NULL, 1);
	void *out = NULL;
	int rc;

	if (!p)
		return 0;
	rc = fn(&out, p);
	free(p);
	return fail(env, rc) ? 0 : HANDLE(out);
}

static void do_save(JNIEnv *env, jlong h, jbyteArray path, int (*fn)(const void *, const char *))
{
	char *p;

	if (check_handle(env, h) || !(p = copy_bytes(env, path, NULL, 1)))
		return;
	fail(env, fn(PTR(h), p));
	free(p);
}

static jbyteArray do_json(JNIEnv *env, jlong h, int (*fn)(char **, const void *))
{
	char *s = NULL;
	int rc;

	if (check_handle(env, h))
		return NULL;
	rc = fn(&s, PTR(h)); /* before take_string reads s: argument order is unspecified */
	return take_string(env, rc, s);
}

/* Adapters from the typed API to the shared helpers. */
static int graph_parse(void **o, const char *j, size_t n) { return gdfo_graph_from_json((gdfo_graph **)o, j, n); }
static int graph_load(void **o, const char *p) { return gdfo_graph_load((gdfo_graph **)o, p); }
static int graph_save(const void *g, const char *p) { return gdfo_graph_save(g, p); }
static int graph_json(char **o, const void *g) { return gdfo_graph_to_json(o, g); }
static int tele_parse(void **o, const char *j, size_t n) { return gdfo_telemetry_from_json((gdfo_telemetry **)o, j, n); }
static int tele_load(void **o, const char *p) { return gdfo_telemetry_load((gdfo_telemetry **)o, p); }
static int tele_save(const void *t, const char *p) { return gdfo_telemetry_save(t, p); }
static int tele_json(char **o, const void *t) { return gdfo_telemetry_to_json(o, t); }
static int plan_parse(void **o, const char *j, size_t n) { return gdfo_plan_from_json((gdfo_plan **)o, j, n); }
static int plan_load(void **o, const char *p) { return gdfo_plan_load((gdfo_plan **)o, p); }
static int plan_save(const void *p, const char *path) { return gdfo_plan_save(p, path); }
static int plan_json(char **o, const void *p) { return gdfo_plan_to_json(o, p); }
static int plan_explain(char **o, const void *p) { return gdfo_plan_explain(o, p); }
static int prof_parse(void **o, const char *j, size_t n) { return gdfo_profile_from_json((gdfo_profile **)o, j, n); }
static int prof_load(void **o, const char *p) { return gdfo_profile_load((gdfo_profile **)o, p); }
static int prof_save(const void *p, const char *path) { return gdfo_profile_save(p, path); }
static int prof_json(char **o, const void *p) { return gdfo_profile_to_json(o, p); }
static int log_json(char **o, const void *l) { return gdfo_eventlog_summary_json(o, l); }

/* ---- Graph --------------------------------------------------------------- */

JNIEXPORT jlong JNICALL Java_org_gdfo_Graph_nFromJson(JNIEnv *env, jclass cls, jbyteArray json)
{
	return do_parse(env, json, graph_parse);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Graph_nLoad(JNIEnv *env, jclass cls, jbyteArray path)
{
	return do_load(env, path, graph_load);
}

JNIEXPORT void JNICALL Java_org_gdfo_Graph_nFree(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_graph_free(PTR(h));
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Graph_nToJson(JNIEnv *env, jclass cls, jlong h)
{
	return do_json(env, h, graph_json);
}

JNIEXPORT void JNICALL Java_org_gdfo_Graph_nSave(JNIEnv *env, jclass cls, jlong h, jbyteArray path)
{
	do_save(env, h, path, graph_save);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Graph_nClone(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_graph *out = NULL;

	if (check_handle(env, h) || fail(env, gdfo_graph_clone(&out, PTR(h))))
		return 0;
	return HANDLE(out);
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Graph_nName(JNIEnv *env, jclass cls, jlong h)
{
	if (check_handle(env, h))
		return NULL;
	return bytes(env, gdfo_graph_name(PTR(h)));
}

JNIEXPORT jint JNICALL Java_org_gdfo_Graph_nStageCount(JNIEnv *env, jclass cls, jlong h)
{
	if (check_handle(env, h))
		return 0;
	return (jint)gdfo_graph_stage_count(PTR(h));
}

JNIEXPORT void JNICALL Java_org_gdfo_Graph_nValidate(JNIEnv *env, jclass cls, jlong h)
{
	if (!check_handle(env, h))
		fail(env, gdfo_graph_validate(PTR(h)));
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Graph_nFingerprint(JNIEnv *env, jclass cls, jlong h)
{
	uint64_t fp = 0;

	if (check_handle(env, h) || fail(env, gdfo_graph_fingerprint(&fp, PTR(h))))
		return 0;
	return (jlong)fp;
}

/* The id of the stage at index (the graph's own order). */
static int64_t stage_id(const gdfo_graph *g, size_t index)
{
	gdfo_stage s;
	return gdfo_graph_stage_at(g, index, &s) == 0 ? s.id : -1;
}

JNIEXPORT jlongArray JNICALL Java_org_gdfo_Graph_nTopoOrder(JNIEnv *env, jclass cls, jlong h)
{
	const gdfo_graph *g = PTR(h);
	size_t n, i, *order;
	int64_t *ids;
	jlongArray a = NULL;

	if (check_handle(env, h))
		return NULL;
	n = gdfo_graph_stage_count(g);
	order = malloc((n ? n : 1) * sizeof(*order));
	ids = malloc((n ? n : 1) * sizeof(*ids));
	if (!order || !ids) {
		throw_message(env, GDFO_ENOMEM, "out of memory");
	} else if (!fail(env, gdfo_graph_topo_order(g, order))) {
		for (i = 0; i < n; i++)
			ids[i] = stage_id(g, order[i]);
		a = long_array(env, ids, n);
	}
	free(order);
	free(ids);
	return a;
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Graph_nStageAt(JNIEnv *env, jclass cls, jlong h, jint index,
							  jdoubleArray stats, jlongArray ints)
{
	gdfo_stage s;
	jdouble st[6];
	jlong in[10];

	if (check_handle(env, h) || check_array(env, stats, 6, "stats array is null") ||
	    check_array(env, ints, 10, "ints array is null"))
		return NULL;
	if (index < 0) {
		throw_message(env, GDFO_ERANGE, "stage index is negative");
		return NULL;
	}
	if (fail(env, gdfo_graph_stage_at(PTR(h), (size_t)index, &s)))
		return NULL;
	st[0] = s.stats.rows_in;
	st[1] = s.stats.bytes_in;
	st[2] = s.stats.selectivity;
	st[3] = s.stats.key_cardinality;
	st[4] = s.stats.skew;
	st[5] = s.stats.cpu_ns_per_row;
	in[0] = s.id;
	in[1] = s.op;
	in[2] = s.join_type;
	in[3] = s.fused_ops;
	in[4] = s.knobs.partitions;
	in[5] = s.knobs.join_strategy;
	in[6] = s.knobs.cache;
	in[7] = s.knobs.priority;
	in[8] = s.knobs.target_file_bytes;
	in[9] = s.knobs.compaction_every;
	(*env)->SetDoubleArrayRegion(env, stats, 0, 6, st);
	(*env)->SetLongArrayRegion(env, ints, 0, 10, in);
	return bytes(env, s.name);
}

JNIEXPORT jobjectArray JNICALL Java_org_gdfo_Graph_nStageColumns(JNIEnv *env, jclass cls, jlong h,
								 jint index, jboolean written)
{
	gdfo_stage s;
	const char *const *cols;
	size_t n, i;
	jclass bc;
	jobjectArray a;

	if (check_handle(env, h))
		return NULL;
	if (index < 0) {
		throw_message(env, GDFO_ERANGE, "stage index is negative");
		return NULL;
	}
	if (fail(env, gdfo_graph_stage_at(PTR(h), (size_t)index, &s)))
		return NULL;
	cols = written ? s.columns_written : s.columns_read;
	n = written ? s.n_columns_written : s.n_columns_read;
	if (!(bc = (*env)->FindClass(env, "[B")) || !(a = (*env)->NewObjectArray(env, (jsize)n, bc, NULL)))
		return NULL;
	for (i = 0; i < n; i++) {
		jbyteArray b = bytes(env, cols[i]);
		if (!b)
			return NULL;
		(*env)->SetObjectArrayElement(env, a, (jsize)i, b);
		(*env)->DeleteLocalRef(env, b);
	}
	return a;
}

JNIEXPORT jlongArray JNICALL Java_org_gdfo_Graph_nStageNeighbours(JNIEnv *env, jclass cls, jlong h,
								  jint index, jboolean children)
{
	const gdfo_graph *g = PTR(h);
	const size_t *idx;
	size_t n, i;
	int64_t *ids;
	jlongArray a;
	int rc;

	if (check_handle(env, h))
		return NULL;
	if (index < 0) {
		throw_message(env, GDFO_ERANGE, "stage index is negative");
		return NULL;
	}
	rc = children ? gdfo_graph_children(&idx, &n, g, (size_t)index)
		      : gdfo_graph_parents(&idx, &n, g, (size_t)index);
	if (fail(env, rc))
		return NULL;
	if (!(ids = malloc((n ? n : 1) * sizeof(*ids)))) {
		throw_message(env, GDFO_ENOMEM, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++)
		ids[i] = stage_id(g, idx[i]);
	a = long_array(env, ids, n);
	free(ids);
	return a;
}

JNIEXPORT jlongArray JNICALL Java_org_gdfo_Graph_nKnobs(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_graph_knobs k;
	int64_t v[3];

	if (check_handle(env, h) || fail(env, gdfo_graph_get_knobs(&k, PTR(h))))
		return NULL;
	v[0] = k.executors;
	v[1] = k.cores_per_executor;
	v[2] = k.memory_per_executor_bytes;
	return long_array(env, v, 3);
}

JNIEXPORT jdoubleArray JNICALL Java_org_gdfo_Graph_nCluster(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_cluster c;
	jdouble v[3];
	jdoubleArray a;

	if (check_handle(env, h) || fail(env, gdfo_graph_get_cluster(&c, PTR(h))))
		return NULL;
	v[0] = c.executors_available;
	v[1] = c.price_per_executor_s;
	v[2] = c.slo_ms;
	if ((a = (*env)->NewDoubleArray(env, 3)))
		(*env)->SetDoubleArrayRegion(env, a, 0, 3, v);
	return a;
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Graph_nEnumName(JNIEnv *env, jclass cls, jint kind, jint value)
{
	const char *s = NULL;

	switch (kind) {
	case 0: s = gdfo_op_name(value); break;
	case 1: s = gdfo_join_type_name(value); break;
	case 2: s = gdfo_join_strategy_name(value); break;
	case 3: s = gdfo_cache_level_name(value); break;
	case 4: s = gdfo_change_kind_name(value); break;
	case 5: s = gdfo_risk_name(value); break;
	default: break;
	}
	return bytes(env, s ? s : "unknown");
}

/* ---- Telemetry ------------------------------------------------------------- */

JNIEXPORT jlong JNICALL Java_org_gdfo_Telemetry_nCreate(JNIEnv *env, jclass cls)
{
	gdfo_telemetry *t = NULL;
	return fail(env, gdfo_telemetry_create(&t)) ? 0 : HANDLE(t);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Telemetry_nFromJson(JNIEnv *env, jclass cls, jbyteArray json)
{
	return do_parse(env, json, tele_parse);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Telemetry_nLoad(JNIEnv *env, jclass cls, jbyteArray path)
{
	return do_load(env, path, tele_load);
}

JNIEXPORT void JNICALL Java_org_gdfo_Telemetry_nFree(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_telemetry_free(PTR(h));
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Telemetry_nToJson(JNIEnv *env, jclass cls, jlong h)
{
	return do_json(env, h, tele_json);
}

JNIEXPORT void JNICALL Java_org_gdfo_Telemetry_nSave(JNIEnv *env, jclass cls, jlong h, jbyteArray path)
{
	do_save(env, h, path, tele_save);
}

JNIEXPORT jint JNICALL Java_org_gdfo_Telemetry_nStageCount(JNIEnv *env, jclass cls, jlong h)
{
	if (check_handle(env, h))
		return 0;
	return (jint)gdfo_telemetry_stage_count(PTR(h));
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Telemetry_nStageAt(JNIEnv *env, jclass cls, jlong h, jint index,
							 jdoubleArray values)
{
	gdfo_stage_telemetry s;
	jdouble v[10];

	if (check_handle(env, h) || check_array(env, values, 10, "values array is null"))
		return 0;
	if (index < 0) {
		throw_message(env, GDFO_ERANGE, "stage index is negative");
		return 0;
	}
	if (fail(env, gdfo_telemetry_stage_at(&s, PTR(h), (size_t)index)))
		return 0;
	v[0] = s.duration_ms;
	v[1] = s.tasks;
	v[2] = s.task_ms_median;
	v[3] = s.task_ms_max;
	v[4] = s.shuffle_read_bytes;
	v[5] = s.shuffle_write_bytes;
	v[6] = s.spill_bytes;
	v[7] = s.peak_memory_bytes;
	v[8] = s.cpu_ms;
	v[9] = s.failures;
	(*env)->SetDoubleArrayRegion(env, values, 0, 10, v);
	return s.stage_id;
}

JNIEXPORT void JNICALL Java_org_gdfo_Telemetry_nSetStage(JNIEnv *env, jclass cls, jlong h, jlong id,
							 jdoubleArray values)
{
	gdfo_stage_telemetry s;
	jdouble v[10];

	if (check_handle(env, h) || check_array(env, values, 10, "values array is null") ||
	    fail(env, gdfo_stage_telemetry_init(&s, GDFO_STAGE_TELEMETRY_VERSION)))
		return;
	(*env)->GetDoubleArrayRegion(env, values, 0, 10, v);
	s.stage_id = id;
	s.duration_ms = v[0];
	s.tasks = v[1];
	s.task_ms_median = v[2];
	s.task_ms_max = v[3];
	s.shuffle_read_bytes = v[4];
	s.shuffle_write_bytes = v[5];
	s.spill_bytes = v[6];
	s.peak_memory_bytes = v[7];
	s.cpu_ms = v[8];
	s.failures = v[9];
	fail(env, gdfo_telemetry_set_stage(PTR(h), &s));
}

JNIEXPORT jboolean JNICALL Java_org_gdfo_Telemetry_nGetRun(JNIEnv *env, jclass cls, jlong h,
							   jdoubleArray values)
{
	gdfo_run_telemetry r;
	jdouble v[4];

	if (check_handle(env, h) || check_array(env, values, 4, "values array is null") ||
	    fail(env, gdfo_telemetry_get_run(&r, PTR(h))))
		return JNI_FALSE;
	v[0] = r.latency_ms;
	v[1] = r.records;
	v[2] = r.throughput;
	v[3] = r.cost;
	(*env)->SetDoubleArrayRegion(env, values, 0, 4, v);
	return r.success ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT void JNICALL Java_org_gdfo_Telemetry_nSetRun(JNIEnv *env, jclass cls, jlong h, jboolean success,
						       jdoubleArray values)
{
	gdfo_run_telemetry r;
	jdouble v[4];

	if (check_handle(env, h) || check_array(env, values, 4, "values array is null") ||
	    fail(env, gdfo_run_telemetry_init(&r, GDFO_RUN_TELEMETRY_VERSION)))
		return;
	(*env)->GetDoubleArrayRegion(env, values, 0, 4, v);
	r.success = success ? 1 : 0;
	r.latency_ms = v[0];
	r.records = v[1];
	r.throughput = v[2];
	r.cost = v[3];
	fail(env, gdfo_telemetry_set_run(PTR(h), &r));
}

/* ---- Plan ------------------------------------------------------------------ */

JNIEXPORT jlong JNICALL Java_org_gdfo_Plan_nFromJson(JNIEnv *env, jclass cls, jbyteArray json)
{
	return do_parse(env, json, plan_parse);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Plan_nLoad(JNIEnv *env, jclass cls, jbyteArray path)
{
	return do_load(env, path, plan_load);
}

JNIEXPORT void JNICALL Java_org_gdfo_Plan_nFree(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_plan_free(PTR(h));
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Plan_nToJson(JNIEnv *env, jclass cls, jlong h)
{
	return do_json(env, h, plan_json);
}

JNIEXPORT void JNICALL Java_org_gdfo_Plan_nSave(JNIEnv *env, jclass cls, jlong h, jbyteArray path)
{
	do_save(env, h, path, plan_save);
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Plan_nExplain(JNIEnv *env, jclass cls, jlong h)
{
	return do_json(env, h, plan_explain);
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Plan_nSource(JNIEnv *env, jclass cls, jlong h)
{
	if (check_handle(env, h))
		return NULL;
	return bytes(env, gdfo_plan_source(PTR(h)));
}

JNIEXPORT jint JNICALL Java_org_gdfo_Plan_nRisk(JNIEnv *env, jclass cls, jlong h)
{
	if (check_handle(env, h))
		return 0;
	return gdfo_plan_risk(PTR(h));
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Plan_nGraph(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_graph *out = NULL;

	if (check_handle(env, h) || fail(env, gdfo_graph_clone(&out, gdfo_plan_graph(PTR(h)))))
		return 0;
	return HANDLE(out);
}

JNIEXPORT jint JNICALL Java_org_gdfo_Plan_nChangeCount(JNIEnv *env, jclass cls, jlong h)
{
	if (check_handle(env, h))
		return 0;
	return (jint)gdfo_plan_change_count(PTR(h));
}

static int change_at(JNIEnv *env, gdfo_change *c, jlong h, jint index)
{
	if (check_handle(env, h))
		return 1;
	if (index < 0) {
		throw_message(env, GDFO_ERANGE, "change index is negative");
		return 1;
	}
	return fail(env, gdfo_plan_change_at(c, PTR(h), (size_t)index));
}

JNIEXPORT jint JNICALL Java_org_gdfo_Plan_nChangeAt(JNIEnv *env, jclass cls, jlong h, jint index,
						    jdoubleArray num)
{
	gdfo_change c;
	jdouble v[2];

	if (check_array(env, num, 2, "num array is null") || change_at(env, &c, h, index))
		return 0;
	v[0] = c.expected_gain;
	v[1] = c.confidence;
	(*env)->SetDoubleArrayRegion(env, num, 0, 2, v);
	return c.kind;
}

JNIEXPORT jlongArray JNICALL Java_org_gdfo_Plan_nChangeIds(JNIEnv *env, jclass cls, jlong h, jint index,
							   jboolean attended)
{
	gdfo_change c;

	if (change_at(env, &c, h, index))
		return NULL;
	return attended ? long_array(env, c.attended_ids, c.n_attended_ids)
			: long_array(env, c.stage_ids, c.n_stage_ids);
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Plan_nChangeText(JNIEnv *env, jclass cls, jlong h, jint index,
							    jboolean why)
{
	gdfo_change c;

	if (change_at(env, &c, h, index))
		return NULL;
	return bytes(env, why ? c.why : c.what);
}

JNIEXPORT jdoubleArray JNICALL Java_org_gdfo_Plan_nPrediction(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_prediction p;
	jdouble v[5];
	jdoubleArray a;

	if (check_handle(env, h) || fail(env, gdfo_plan_prediction(&p, PTR(h))))
		return NULL;
	v[0] = p.latency_ms;
	v[1] = p.throughput;
	v[2] = p.cost;
	v[3] = p.baseline_latency_ms;
	v[4] = p.baseline_cost;
	if ((a = (*env)->NewDoubleArray(env, 5)))
		(*env)->SetDoubleArrayRegion(env, a, 0, 5, v);
	return a;
}

/* ---- Rules ----------------------------------------------------------------- */

JNIEXPORT void JNICALL Java_org_gdfo_Rules_nDefaults(JNIEnv *env, jclass cls, jintArray sw, jlongArray sizes,
						     jdoubleArray fr)
{
	gdfo_rules_options o;
	jint s[7];
	jlong z[4];
	jdouble f[2];

	if (check_array(env, sw, 7, "switches array is null") ||
	    check_array(env, sizes, 4, "sizes array is null") ||
	    check_array(env, fr, 2, "fractions array is null") ||
	    fail(env, gdfo_rules_options_init(&o, GDFO_RULES_OPTIONS_VERSION)))
		return;
	s[0] = o.push_filters;
	s[1] = o.fuse_narrow;
	s[2] = o.broadcast_joins;
	s[3] = o.set_partitions;
	s[4] = o.cache_shared;
	s[5] = o.set_priorities;
	s[6] = o.reorder_joins;
	z[0] = o.target_partition_bytes;
	z[1] = o.min_partition_bytes;
	z[2] = o.broadcast_max_bytes;
	z[3] = o.cache_budget_bytes;
	f[0] = o.cache_memory_fraction;
	f[1] = o.partition_change_min;
	(*env)->SetIntArrayRegion(env, sw, 0, 7, s);
	(*env)->SetLongArrayRegion(env, sizes, 0, 4, z);
	(*env)->SetDoubleArrayRegion(env, fr, 0, 2, f);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Rules_nOptimize(JNIEnv *env, jclass cls, jlong g, jlong t, jintArray sw,
						      jlongArray sizes, jdoubleArray fr)
{
	gdfo_rules_options o;
	gdfo_plan *plan = NULL;
	jint s[7];
	jlong z[4];
	jdouble f[2];

	if (check_handle(env, g) || check_array(env, sw, 7, "switches array is null") ||
	    check_array(env, sizes, 4, "sizes array is null") ||
	    check_array(env, fr, 2, "fractions array is null") ||
	    fail(env, gdfo_rules_options_init(&o, GDFO_RULES_OPTIONS_VERSION)))
		return 0;
	(*env)->GetIntArrayRegion(env, sw, 0, 7, s);
	(*env)->GetLongArrayRegion(env, sizes, 0, 4, z);
	(*env)->GetDoubleArrayRegion(env, fr, 0, 2, f);
	o.push_filters = s[0];
	o.fuse_narrow = s[1];
	o.broadcast_joins = s[2];
	o.set_partitions = s[3];
	o.cache_shared = s[4];
	o.set_priorities = s[5];
	o.reorder_joins = s[6];
	o.target_partition_bytes = z[0];
	o.min_partition_bytes = z[1];
	o.broadcast_max_bytes = z[2];
	o.cache_budget_bytes = z[3];
	o.cache_memory_fraction = f[0];
	o.partition_change_min = f[1];
	if (fail(env, gdfo_optimize_rules(&plan, PTR(g), t ? PTR(t) : NULL, &o)))
		return 0;
	return HANDLE(plan);
}

/* ---- Profile --------------------------------------------------------------- */

JNIEXPORT jlong JNICALL Java_org_gdfo_Profile_nFromJson(JNIEnv *env, jclass cls, jbyteArray json)
{
	return do_parse(env, json, prof_parse);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Profile_nLoad(JNIEnv *env, jclass cls, jbyteArray path)
{
	return do_load(env, path, prof_load);
}

JNIEXPORT void JNICALL Java_org_gdfo_Profile_nFree(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_profile_free(PTR(h));
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Profile_nToJson(JNIEnv *env, jclass cls, jlong h)
{
	return do_json(env, h, prof_json);
}

JNIEXPORT void JNICALL Java_org_gdfo_Profile_nSave(JNIEnv *env, jclass cls, jlong h, jbyteArray path)
{
	do_save(env, h, path, prof_save);
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Profile_nName(JNIEnv *env, jclass cls, jlong h)
{
	if (check_handle(env, h))
		return NULL;
	return bytes(env, gdfo_profile_name(PTR(h)));
}

JNIEXPORT jintArray JNICALL Java_org_gdfo_Profile_nShape(JNIEnv *env, jclass cls, jlong h)
{
	jint v[2];
	jintArray a;

	if (check_handle(env, h))
		return NULL;
	v[0] = gdfo_profile_executors(PTR(h));
	v[1] = gdfo_profile_cores_per_executor(PTR(h));
	if ((a = (*env)->NewIntArray(env, 2)))
		(*env)->SetIntArrayRegion(env, a, 0, 2, v);
	return a;
}

JNIEXPORT jint JNICALL Java_org_gdfo_Profile_nStageCount(JNIEnv *env, jclass cls, jlong h)
{
	if (check_handle(env, h))
		return 0;
	return (jint)gdfo_profile_stage_count(PTR(h));
}

static int profile_stage(JNIEnv *env, gdfo_profile_stage *s, jlong h, jint index)
{
	if (check_handle(env, h))
		return 1;
	if (index < 0) {
		throw_message(env, GDFO_ERANGE, "stage index is negative");
		return 1;
	}
	return fail(env, gdfo_profile_stage_at(PTR(h), (size_t)index, s));
}

JNIEXPORT jlongArray JNICALL Java_org_gdfo_Profile_nStageAt(JNIEnv *env, jclass cls, jlong h, jint index,
							    jlongArray id_tasks)
{
	gdfo_profile_stage s;
	jlong v[2];

	if (check_array(env, id_tasks, 2, "idTasks array is null") || profile_stage(env, &s, h, index))
		return NULL;
	v[0] = s.id;
	v[1] = s.num_tasks;
	(*env)->SetLongArrayRegion(env, id_tasks, 0, 2, v);
	return long_array(env, s.parents, s.n_parents);
}

JNIEXPORT jdoubleArray JNICALL Java_org_gdfo_Profile_nStageTaskMs(JNIEnv *env, jclass cls, jlong h,
								  jint index)
{
	gdfo_profile_stage s;
	jdoubleArray a;
	size_t i;

	if (profile_stage(env, &s, h, index))
		return NULL;
	if (!(a = (*env)->NewDoubleArray(env, (jsize)s.n_task_ms)))
		return NULL;
	for (i = 0; i < s.n_task_ms; i++) {
		jdouble d = s.task_ms[i];
		(*env)->SetDoubleArrayRegion(env, a, (jsize)i, 1, &d);
	}
	return a;
}

/* ---- EventLog -------------------------------------------------------------- */

JNIEXPORT jlong JNICALL Java_org_gdfo_EventLog_nRead(JNIEnv *env, jclass cls, jbyteArray path, jbyteArray name)
{
	gdfo_ingest_options o;
	gdfo_eventlog *log = NULL;
	char *p, *n = NULL;
	int rc;

	if (!(p = copy_bytes(env, path, NULL, 1)))
		return 0;
	if (name && !(n = copy_bytes(env, name, NULL, 1))) {
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
	return fail(env, rc) ? 0 : HANDLE(log);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_EventLog_nReadMemory(JNIEnv *env, jclass cls, jbyteArray data)
{
	gdfo_eventlog *log = NULL;
	size_t len;
	char *d = copy_bytes(env, data, &len, 0);
	int rc;

	if (!d)
		return 0;
	rc = gdfo_eventlog_read_memory(&log, d, len, NULL);
	free(d);
	return fail(env, rc) ? 0 : HANDLE(log);
}

JNIEXPORT void JNICALL Java_org_gdfo_EventLog_nFree(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_eventlog_free(PTR(h));
}

JNIEXPORT jlongArray JNICALL Java_org_gdfo_EventLog_nSummary(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_eventlog_summary s;
	int64_t v[14];

	if (check_handle(env, h))
		return NULL;
	s.version = GDFO_EVENTLOG_SUMMARY_VERSION;
	if (fail(env, gdfo_eventlog_get_summary(&s, PTR(h))))
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
	return long_array(env, v, 14);
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_EventLog_nSummaryJson(JNIEnv *env, jclass cls, jlong h)
{
	return do_json(env, h, log_json);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_EventLog_nGraph(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_graph *g = NULL;

	if (check_handle(env, h) || fail(env, gdfo_eventlog_graph(&g, PTR(h))))
		return 0;
	return HANDLE(g);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_EventLog_nTelemetry(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_telemetry *t = NULL;

	if (check_handle(env, h) || fail(env, gdfo_eventlog_telemetry(&t, PTR(h))))
		return 0;
	return HANDLE(t);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_EventLog_nProfile(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_profile *p = NULL;

	if (check_handle(env, h) || fail(env, gdfo_eventlog_profile(&p, PTR(h))))
		return 0;
	return HANDLE(p);
}
