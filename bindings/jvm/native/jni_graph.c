/* org.gdfo.Graph: pipeline graphs. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jni_common.h"
#include "org_gdfo_Graph.h"

static int graph_parse(void **o, const char *j, size_t n) { return gdfo_graph_from_json((gdfo_graph **)o, j, n); }
static int graph_load(void **o, const char *p) { return gdfo_graph_load((gdfo_graph **)o, p); }
static int graph_save(const void *g, const char *p) { return gdfo_graph_save(g, p); }
static int graph_json(char **o, const void *g) { return gdfo_graph_to_json(o, g); }

JNIEXPORT jlong JNICALL Java_org_gdfo_Graph_nCreate(JNIEnv *env, jclass cls, jbyteArray name)
{
	gdfo_graph *g = NULL;
	char *n = NULL;
	int rc;

	if (name && !(n = gdfo__jni_copy_bytes(env, name, NULL, 1, "name")))
		return 0;
	rc = gdfo_graph_create(&g, n);
	free(n);
	return gdfo__jni_fail(env, rc) ? 0 : HANDLE(g);
}

JNIEXPORT void JNICALL Java_org_gdfo_Graph_nPutStage(JNIEnv *env, jclass cls, jlong h, jlong spec,
						     jboolean update)
{
	const gdfo_stage *s;

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_check_handle(env, spec))
		return;
	s = gdfo__jni_stage_spec(spec);
	gdfo__jni_fail(env, update ? gdfo_graph_update_stage(PTR(h), s) : gdfo_graph_add_stage(PTR(h), s));
}

JNIEXPORT void JNICALL Java_org_gdfo_Graph_nAddEdge(JNIEnv *env, jclass cls, jlong h, jlong parent, jlong child)
{
	if (!gdfo__jni_check_handle(env, h))
		gdfo__jni_fail(env, gdfo_graph_add_edge(PTR(h), parent, child));
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Graph_nFromJson(JNIEnv *env, jclass cls, jbyteArray json)
{
	return gdfo__jni_parse(env, json, graph_parse);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Graph_nLoad(JNIEnv *env, jclass cls, jbyteArray path)
{
	return gdfo__jni_load(env, path, graph_load);
}

JNIEXPORT void JNICALL Java_org_gdfo_Graph_nFree(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_graph_free(PTR(h));
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Graph_nToJson(JNIEnv *env, jclass cls, jlong h)
{
	return gdfo__jni_json(env, h, graph_json);
}

JNIEXPORT void JNICALL Java_org_gdfo_Graph_nSave(JNIEnv *env, jclass cls, jlong h, jbyteArray path)
{
	gdfo__jni_save(env, h, path, graph_save);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Graph_nClone(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_graph *out = NULL;

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_fail(env, gdfo_graph_clone(&out, PTR(h))))
		return 0;
	return HANDLE(out);
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Graph_nName(JNIEnv *env, jclass cls, jlong h)
{
	if (gdfo__jni_check_handle(env, h))
		return NULL;
	return gdfo__jni_bytes(env, gdfo_graph_name(PTR(h)));
}

JNIEXPORT jint JNICALL Java_org_gdfo_Graph_nStageCount(JNIEnv *env, jclass cls, jlong h)
{
	if (gdfo__jni_check_handle(env, h))
		return 0;
	return (jint)gdfo_graph_stage_count(PTR(h));
}

JNIEXPORT void JNICALL Java_org_gdfo_Graph_nValidate(JNIEnv *env, jclass cls, jlong h)
{
	if (!gdfo__jni_check_handle(env, h))
		gdfo__jni_fail(env, gdfo_graph_validate(PTR(h)));
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Graph_nFingerprint(JNIEnv *env, jclass cls, jlong h)
{
	uint64_t fp = 0;

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_fail(env, gdfo_graph_fingerprint(&fp, PTR(h))))
		return 0;
	return (jlong)fp;
}

/* The id of the stage at index (the graph's own order). */
static int64_t stage_id(const gdfo_graph *g, size_t index)
{
	gdfo_stage s = {.version = GDFO_STAGE_VERSION};
	return gdfo_graph_stage_at(&s, g, index) == 0 ? s.id : -1;
}

JNIEXPORT jlongArray JNICALL Java_org_gdfo_Graph_nTopoOrder(JNIEnv *env, jclass cls, jlong h)
{
	const gdfo_graph *g = PTR(h);
	size_t n, i, *order;
	int64_t *ids;
	jlongArray a = NULL;

	if (gdfo__jni_check_handle(env, h))
		return NULL;
	n = gdfo_graph_stage_count(g);
	order = malloc((n ? n : 1) * sizeof(*order));
	ids = malloc((n ? n : 1) * sizeof(*ids));
	if (!order || !ids) {
		gdfo__jni_throw(env, GDFO_ENOMEM, "out of memory");
	} else if (!gdfo__jni_fail(env, gdfo_graph_topo_order(order, n, g))) {
		for (i = 0; i < n; i++)
			ids[i] = stage_id(g, order[i]);
		a = gdfo__jni_long_array(env, ids, n);
	}
	free(order);
	free(ids);
	return a;
}

/* Fills a Graph.StageFields holder field by field, by name. */
JNIEXPORT void JNICALL Java_org_gdfo_Graph_nStageAt(JNIEnv *env, jclass cls, jlong h, jint index, jobject out)
{
	gdfo_stage s = {.version = GDFO_STAGE_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_check_index(env, index, "stage") ||
	    gdfo__jni_fail(env, gdfo_graph_stage_at(&s, PTR(h), (size_t)index)))
		return;
	(void)(gdfo__jni_set_long(env, out, "id", s.id) ||
	       gdfo__jni_set_object(env, out, "name", "[B", gdfo__jni_bytes(env, s.name)) ||
	       gdfo__jni_set_int(env, out, "op", s.op) ||
	       gdfo__jni_set_int(env, out, "joinType", s.join_type) ||
	       gdfo__jni_set_int(env, out, "fusedOps", (int32_t)s.fused_ops) ||
	       gdfo__jni_set_double(env, out, "rowsIn", s.stats->rows_in) ||
	       gdfo__jni_set_double(env, out, "bytesIn", s.stats->bytes_in) ||
	       gdfo__jni_set_double(env, out, "selectivity", s.stats->selectivity) ||
	       gdfo__jni_set_double(env, out, "keyCardinality", s.stats->key_cardinality) ||
	       gdfo__jni_set_double(env, out, "skew", s.stats->skew) ||
	       gdfo__jni_set_double(env, out, "cpuNsPerRow", s.stats->cpu_ns_per_row) ||
	       gdfo__jni_set_int(env, out, "partitions", s.knobs->partitions) ||
	       gdfo__jni_set_int(env, out, "joinStrategy", s.knobs->join_strategy) ||
	       gdfo__jni_set_int(env, out, "cache", s.knobs->cache) ||
	       gdfo__jni_set_int(env, out, "priority", s.knobs->priority) ||
	       gdfo__jni_set_long(env, out, "targetFileBytes", s.knobs->target_file_bytes) ||
	       gdfo__jni_set_int(env, out, "compactionEvery", s.knobs->compaction_every) ||
	       gdfo__jni_set_object(env, out, "columnsRead", "[[B",
				    gdfo__jni_string_array(env, s.columns_read, s.n_columns_read)) ||
	       gdfo__jni_set_object(env, out, "columnsWritten", "[[B",
				    gdfo__jni_string_array(env, s.columns_written, s.n_columns_written)) ||
	       gdfo__jni_stage_fields(env, out, &s));
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

	if (gdfo__jni_check_handle(env, h))
		return NULL;
	if (gdfo__jni_check_index(env, index, "stage"))
		return NULL;
	rc = children ? gdfo_graph_children(&idx, &n, g, (size_t)index)
		      : gdfo_graph_parents(&idx, &n, g, (size_t)index);
	if (gdfo__jni_fail(env, rc))
		return NULL;
	if (!(ids = malloc((n ? n : 1) * sizeof(*ids)))) {
		gdfo__jni_throw(env, GDFO_ENOMEM, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++)
		ids[i] = stage_id(g, idx[i]);
	a = gdfo__jni_long_array(env, ids, n);
	free(ids);
	return a;
}

JNIEXPORT jobject JNICALL Java_org_gdfo_Graph_nKnobs(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_graph_knobs k = {.version = GDFO_GRAPH_KNOBS_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_fail(env, gdfo_graph_get_knobs(&k, PTR(h))))
		return NULL;
	return gdfo__jni_new(env, "org/gdfo/GraphKnobs", "(IIJ)V", (jint)k.executors,
			     (jint)k.cores_per_executor, (jlong)k.memory_per_executor_bytes);
}

/* Starts from the graph's current knobs, so fields Java does not know keep their values. */
JNIEXPORT void JNICALL Java_org_gdfo_Graph_nSetKnobs(JNIEnv *env, jclass cls, jlong h, jint executors,
						     jint cores_per_executor, jlong memory_per_executor_bytes)
{
	gdfo_graph_knobs k = {.version = GDFO_GRAPH_KNOBS_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_fail(env, gdfo_graph_get_knobs(&k, PTR(h))))
		return;
	k.executors = executors;
	k.cores_per_executor = cores_per_executor;
	k.memory_per_executor_bytes = memory_per_executor_bytes;
	gdfo__jni_fail(env, gdfo_graph_set_knobs(PTR(h), &k));
}

/* The graph knob named name (a malloc'd C string): its index in the field table, or -1 after throwing. */
static long knob_index(JNIEnv *env, jbyteArray name, gdfo_field_info *f)
{
	char *n = gdfo__jni_copy_bytes(env, name, NULL, 0, "name");
	size_t i;

	if (!n)
		return -1;
	for (i = 0; i < gdfo_field_count(GDFO_FIELDS_GRAPH_KNOBS); i++) {
		f->version = GDFO_FIELD_INFO_VERSION;
		if (gdfo_field_at(f, GDFO_FIELDS_GRAPH_KNOBS, i) == 0 && !strcmp(f->name, n)) {
			free(n);
			return (long)i;
		}
	}
	{
		char msg[160];
		snprintf(msg, sizeof(msg), "graph knob '%.64s' does not exist (gdfo_field_at lists them)", n);
		free(n);
		gdfo__jni_throw(env, GDFO_EINVAL, msg);
	}
	return -1;
}

/* A graph knob by name, from the field table: Long for integers, String for enums. */
JNIEXPORT jobject JNICALL Java_org_gdfo_Graph_nKnob(JNIEnv *env, jclass cls, jlong h, jbyteArray name)
{
	gdfo_graph_knobs k = {.version = GDFO_GRAPH_KNOBS_VERSION};
	gdfo_field_info f;
	const char *base = (const char *)&k;
	long i;
	int64_t v;

	if (gdfo__jni_check_handle(env, h) || (i = knob_index(env, name, &f)) < 0 ||
	    gdfo__jni_fail(env, gdfo_graph_get_knobs(&k, PTR(h))))
		return NULL;
	if (f.type == GDFO_FIELD_DOUBLE) {
		double d;
		memcpy(&d, base + f.offset, sizeof(d));
		return gdfo__jni_new(env, "java/lang/Double", "(D)V", d);
	}
	if (f.type == GDFO_FIELD_INT64) {
		memcpy(&v, base + f.offset, sizeof(v));
	} else {
		int32_t x;
		memcpy(&x, base + f.offset, sizeof(x));
		if (f.type == GDFO_FIELD_ENUM)
			return gdfo__jni_bytes(env, gdfo_field_value_name(GDFO_FIELDS_GRAPH_KNOBS, (size_t)i, x));
		v = x;
	}
	return gdfo__jni_new(env, "java/lang/Long", "(J)V", (jlong)v);
}

/* Sets one graph knob by name (value, or value_name for an enum); the library checks the range. */
JNIEXPORT void JNICALL Java_org_gdfo_Graph_nSetKnob(JNIEnv *env, jclass cls, jlong h, jbyteArray name, jdouble value,
						    jbyteArray value_name)
{
	gdfo_graph_knobs k = {.version = GDFO_GRAPH_KNOBS_VERSION};
	gdfo_field_info f;
	char *base = (char *)&k;
	long i;

	if (gdfo__jni_check_handle(env, h) || (i = knob_index(env, name, &f)) < 0 ||
	    gdfo__jni_fail(env, gdfo_graph_get_knobs(&k, PTR(h))))
		return;
	if (f.type == GDFO_FIELD_ENUM) {
		char *vn = value_name ? gdfo__jni_copy_bytes(env, value_name, NULL, 0, "value") : NULL;
		int32_t x;
		const char *nm;
		if (!vn) {
			if (!value_name)
				gdfo__jni_throw(env, GDFO_EINVAL, "an enum graph knob takes a value name");
			return;
		}
		for (x = (int32_t)f.min; x <= (int32_t)f.max; x++)
			if ((nm = gdfo_field_value_name(GDFO_FIELDS_GRAPH_KNOBS, (size_t)i, x)) && !strcmp(nm, vn))
				break;
		free(vn);
		if (x > (int32_t)f.max) {
			gdfo__jni_throw(env, GDFO_EINVAL, "not a value of this graph knob (gdfo_field_value_name lists them)");
			return;
		}
		memcpy(base + f.offset, &x, sizeof(x));
	} else if (value_name) {
		gdfo__jni_throw(env, GDFO_EINVAL, "this graph knob takes a number, not a value name");
		return;
	} else if (f.type == GDFO_FIELD_DOUBLE) {
		memcpy(base + f.offset, &value, sizeof(value));
	} else if (value != floor(value) || value < -9.2e18 || value > 9.2e18) {
		gdfo__jni_throw(env, GDFO_EINVAL, "this graph knob takes an integer");
		return;
	} else if (f.type == GDFO_FIELD_INT64) {
		int64_t v = (int64_t)value;
		memcpy(base + f.offset, &v, sizeof(v));
	} else {
		int32_t v = value < INT32_MIN || value > INT32_MAX ? INT32_MAX : (int32_t)value;
		memcpy(base + f.offset, &v, sizeof(v));
	}
	gdfo__jni_fail(env, gdfo_graph_set_knobs(PTR(h), &k));
}

JNIEXPORT jobject JNICALL Java_org_gdfo_Graph_nCluster(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_cluster c = {.version = GDFO_CLUSTER_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_fail(env, gdfo_graph_get_cluster(&c, PTR(h))))
		return NULL;
	return gdfo__jni_new(env, "org/gdfo/Cluster", "(IDD)V", (jint)c.executors_available,
			     (jdouble)c.price_per_executor_s, (jdouble)c.slo_ms);
}

JNIEXPORT void JNICALL Java_org_gdfo_Graph_nSetCluster(JNIEnv *env, jclass cls, jlong h,
						       jint executors_available, jdouble price_per_executor_s,
						       jdouble slo_ms)
{
	gdfo_cluster c = {.version = GDFO_CLUSTER_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_fail(env, gdfo_graph_get_cluster(&c, PTR(h))))
		return;
	c.executors_available = executors_available;
	c.price_per_executor_s = price_per_executor_s;
	c.slo_ms = slo_ms;
	gdfo__jni_fail(env, gdfo_graph_set_cluster(PTR(h), &c));
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
	return gdfo__jni_bytes(env, s ? s : "unknown");
}
