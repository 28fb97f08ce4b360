/* org.gdfo.Graph: pipeline graphs. */
#include <stdlib.h>

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
