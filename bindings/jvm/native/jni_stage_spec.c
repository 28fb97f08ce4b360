/*
 * org.gdfo.StageSpec: a gdfo_stage owned by a Java options object, with the
 * strings it points to. Graph.addStage passes it to gdfo_graph_add_stage,
 * which copies what it keeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jni_common.h"
#include "org_gdfo_StageSpec.h"

struct gdfo__jni_stage {
	gdfo_stage stage;     /* first: the pointer Java holds is also a gdfo_stage * */
	gdfo_stage_stats stats; /* stage.stats and stage.knobs point at these */
	gdfo_stage_knobs knobs;
	char *name;
	char **columns[2];    /* read, written */
	size_t n_columns[2];
};

static void free_columns(struct gdfo__jni_stage *s, int which)
{
	size_t i;

	for (i = 0; i < s->n_columns[which]; i++)
		free(s->columns[which][i]);
	free(s->columns[which]);
	s->columns[which] = NULL;
	s->n_columns[which] = 0;
}

/*
 * The value of the enum name (gdfo_op_name and friends are the one list of
 * names); throws GDFO_EINVAL listing the known names.
 */
static int enum_value(JNIEnv *env, int32_t *out, const char *(*name_of)(int), jbyteArray name,
		      const char *what)
{
	char *s = gdfo__jni_copy_bytes(env, name, NULL, 1, what);
	char msg[512];
	size_t used;
	int v;

	if (!s)
		return 1;
	for (v = 0; name_of(v); v++) {
		if (strcmp(name_of(v), s) == 0) {
			free(s);
			*out = v;
			return 0;
		}
	}
	used = (size_t)snprintf(msg, sizeof(msg), "%s '%.64s' is not one of", what, s);
	for (v = 0; name_of(v) && used < sizeof(msg); v++)
		used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s %s", v ? "," : "", name_of(v));
	free(s);
	gdfo__jni_throw(env, GDFO_EINVAL, msg);
	return 1;
}

const gdfo_stage *gdfo__jni_stage_spec(jlong spec)
{
	return &((struct gdfo__jni_stage *)PTR(spec))->stage;
}

JNIEXPORT jlong JNICALL Java_org_gdfo_StageSpec_nCreate(JNIEnv *env, jclass cls, jlong id, jbyteArray name,
							 jbyteArray op)
{
	struct gdfo__jni_stage *s = calloc(1, sizeof(*s));

	if (!s) {
		gdfo__jni_throw(env, GDFO_ENOMEM, "out of memory allocating a stage");
		return 0;
	}
	if (gdfo__jni_fail(env, gdfo_stage_init(&s->stage, GDFO_STAGE_VERSION)) ||
	    gdfo__jni_fail(env, gdfo_stage_stats_init(&s->stats, GDFO_STAGE_STATS_VERSION)) ||
	    gdfo__jni_fail(env, gdfo_stage_knobs_init(&s->knobs, GDFO_STAGE_KNOBS_VERSION)) ||
	    !(s->name = gdfo__jni_copy_bytes(env, name, NULL, 1, "name")) ||
	    enum_value(env, &s->stage.op, gdfo_op_name, op, "op")) {
		free(s->name);
		free(s);
		return 0;
	}
	s->stage.id = id;
	s->stage.name = s->name;
	s->stage.stats = &s->stats;
	s->stage.knobs = &s->knobs;
	return HANDLE(s);
}

JNIEXPORT void JNICALL Java_org_gdfo_StageSpec_nFree(JNIEnv *env, jclass cls, jlong spec)
{
	struct gdfo__jni_stage *s = PTR(spec);

	if (!s)
		return;
	free_columns(s, 0);
	free_columns(s, 1);
	free(s->name);
	free(s);
}

#define SPEC(spec) ((struct gdfo__jni_stage *)PTR(spec))
#define STAGE(spec) (&SPEC(spec)->stage)

/* One setter per field. */
#define NUMBER(Name, field, jtype) \
	JNIEXPORT void JNICALL Java_org_gdfo_StageSpec_nSet##Name(JNIEnv *env, jclass cls, jlong spec, jtype v) \
	{ \
		if (!gdfo__jni_check_handle(env, spec)) \
			SPEC(spec)->field = v; \
	}
#define ENUM(Name, field, name_of, what) \
	JNIEXPORT void JNICALL Java_org_gdfo_StageSpec_nSet##Name(JNIEnv *env, jclass cls, jlong spec, \
								jbyteArray name) \
	{ \
		int32_t v; \
		if (!gdfo__jni_check_handle(env, spec) && !enum_value(env, &v, name_of, name, what)) \
			SPEC(spec)->field = v; \
	}

NUMBER(RowsIn, stats.rows_in, jdouble)
NUMBER(BytesIn, stats.bytes_in, jdouble)
NUMBER(Selectivity, stats.selectivity, jdouble)
NUMBER(KeyCardinality, stats.key_cardinality, jdouble)
NUMBER(Skew, stats.skew, jdouble)
NUMBER(CpuNsPerRow, stats.cpu_ns_per_row, jdouble)
NUMBER(Partitions, knobs.partitions, jint)
NUMBER(Priority, knobs.priority, jint)
NUMBER(TargetFileBytes, knobs.target_file_bytes, jlong)
NUMBER(CompactionEvery, knobs.compaction_every, jint)
ENUM(JoinType, stage.join_type, gdfo_join_type_name, "joinType")
ENUM(JoinStrategy, knobs.join_strategy, gdfo_join_strategy_name, "joinStrategy")
ENUM(Cache, knobs.cache, gdfo_cache_level_name, "cache")

JNIEXPORT void JNICALL Java_org_gdfo_StageSpec_nSetFusedOps(JNIEnv *env, jclass cls, jlong spec,
							     jobjectArray names)
{
	uint32_t mask = 0;
	jsize n, i;

	if (gdfo__jni_check_handle(env, spec))
		return;
	n = names ? (*env)->GetArrayLength(env, names) : 0;
	for (i = 0; i < n; i++) {
		jbyteArray name = (*env)->GetObjectArrayElement(env, names, i);
		int32_t op;
		int bad = enum_value(env, &op, gdfo_op_name, name, "fusedOps");

		(*env)->DeleteLocalRef(env, name);
		if (bad)
			return;
		mask |= 1u << op;
	}
	STAGE(spec)->fused_ops = mask;
}

JNIEXPORT void JNICALL Java_org_gdfo_StageSpec_nSetColumns(JNIEnv *env, jclass cls, jlong spec,
							    jboolean written, jobjectArray columns)
{
	struct gdfo__jni_stage *s = PTR(spec);
	int w = written ? 1 : 0;
	char **cols;
	jsize n, i;

	if (gdfo__jni_check_handle(env, spec))
		return;
	n = columns ? (*env)->GetArrayLength(env, columns) : 0;
	if (!(cols = calloc(n ? (size_t)n : 1, sizeof(*cols)))) {
		gdfo__jni_throw(env, GDFO_ENOMEM, "out of memory copying columns");
		return;
	}
	for (i = 0; i < n; i++) {
		jbyteArray c = (*env)->GetObjectArrayElement(env, columns, i);

		cols[i] = gdfo__jni_copy_bytes(env, c, NULL, 1, written ? "columnsWritten" : "columnsRead");
		(*env)->DeleteLocalRef(env, c);
		if (!cols[i]) {
			while (i > 0)
				free(cols[--i]);
			free(cols);
			return;
		}
	}
	free_columns(s, w);
	s->columns[w] = cols;
	s->n_columns[w] = (size_t)n;
	if (w) {
		s->stage.columns_written = (const char *const *)cols;
		s->stage.n_columns_written = (size_t)n;
	} else {
		s->stage.columns_read = (const char *const *)cols;
		s->stage.n_columns_read = (size_t)n;
	}
}

/* ---- any statistic or knob by its name (the field tables, gdfo_field_at) ---------- */

/* Finds field name in the stats and knobs tables; *base is where that struct lives in s. */
static int find_field(JNIEnv *env, gdfo_field_info *f, int *set, size_t *index, char **base,
		      struct gdfo__jni_stage *s, jbyteArray name)
{
	static const int sets[2] = {GDFO_FIELDS_STAGE_STATS, GDFO_FIELDS_STAGE_KNOBS};
	char *n = gdfo__jni_copy_bytes(env, name, NULL, 1, "field");
	char msg[160];
	size_t k, i;

	if (!n)
		return 1;
	for (k = 0; k < 2; k++)
		for (i = 0; i < gdfo_field_count(sets[k]); i++) {
			f->version = GDFO_FIELD_INFO_VERSION;
			if (gdfo_field_at(f, sets[k], i) == 0 && strcmp(f->name, n) == 0) {
				*set = sets[k];
				*index = i;
				*base = k ? (char *)&s->knobs : (char *)&s->stats;
				free(n);
				return 0;
			}
		}
	snprintf(msg, sizeof(msg), "'%.64s' is not a stage statistic or knob (see gdfo_field_at)", n);
	free(n);
	gdfo__jni_throw(env, GDFO_EINVAL, msg);
	return 1;
}

static void store(char *p, int type, double v)
{
	switch (type) {
	case GDFO_FIELD_DOUBLE: memcpy(p, &v, sizeof(v)); break;
	case GDFO_FIELD_INT64: { int64_t x = (int64_t)v; memcpy(p, &x, sizeof(x)); break; }
	default: { int32_t x = (int32_t)v; memcpy(p, &x, sizeof(x)); break; }
	}
}

JNIEXPORT void JNICALL Java_org_gdfo_StageSpec_nSetField(JNIEnv *env, jclass cls, jlong spec, jbyteArray name,
							  jdouble v)
{
	gdfo_field_info f;
	size_t index;
	char *base;
	int set;

	if (gdfo__jni_check_handle(env, spec) || find_field(env, &f, &set, &index, &base, SPEC(spec), name))
		return;
	if (f.type == GDFO_FIELD_ENUM) {
		gdfo__jni_throw(env, GDFO_EINVAL, "this field takes a value name; use set(String, String)");
		return;
	}
	if (f.type != GDFO_FIELD_DOUBLE && v != (double)(int64_t)v) {
		gdfo__jni_throw(env, GDFO_EINVAL, "this field takes an integer");
		return;
	}
	store(base + f.offset, f.type, v);
}

JNIEXPORT void JNICALL Java_org_gdfo_StageSpec_nSetFieldName(JNIEnv *env, jclass cls, jlong spec,
							      jbyteArray name, jbyteArray value)
{
	gdfo_field_info f;
	size_t index;
	char *base, *v;
	int set, k;

	if (gdfo__jni_check_handle(env, spec) || find_field(env, &f, &set, &index, &base, SPEC(spec), name))
		return;
	if (f.type != GDFO_FIELD_ENUM) {
		gdfo__jni_throw(env, GDFO_EINVAL, "this field takes a number; use set(String, double)");
		return;
	}
	if (!(v = gdfo__jni_copy_bytes(env, value, NULL, 1, "value")))
		return;
	for (k = (int)f.min; k <= (int)f.max; k++)
		if (strcmp(gdfo_field_value_name(set, index, k), v) == 0) {
			store(base + f.offset, f.type, k);
			free(v);
			return;
		}
	free(v);
	gdfo__jni_throw(env, GDFO_EINVAL, "not one of the field's value names (see gdfo_field_value_name)");
}

int gdfo__jni_stage_fields(JNIEnv *env, jobject out, const gdfo_stage *s)
{
	static const int sets[2] = {GDFO_FIELDS_STAGE_STATS, GDFO_FIELDS_STAGE_KNOBS};
	const char *names[64], *enums[64];
	double values[64];
	int64_t types[64];
	size_t k, i, n = 0;
	gdfo_field_info f;

	for (k = 0; k < 2; k++) {
		const char *base = k ? (const char *)s->knobs : (const char *)s->stats;
		for (i = 0; i < gdfo_field_count(sets[k]) && n < 64; i++, n++) {
			f.version = GDFO_FIELD_INFO_VERSION;
			if (gdfo__jni_fail(env, gdfo_field_at(&f, sets[k], i)))
				return 1;
			names[n] = f.name;
			types[n] = f.type;
			enums[n] = ""; /* not an enum */
			if (f.type == GDFO_FIELD_DOUBLE)
				memcpy(&values[n], base + f.offset, sizeof(double));
			else if (f.type == GDFO_FIELD_INT64) {
				int64_t x;
				memcpy(&x, base + f.offset, sizeof(x));
				values[n] = (double)x;
			} else {
				int32_t x;
				memcpy(&x, base + f.offset, sizeof(x));
				values[n] = x;
				if (f.type == GDFO_FIELD_ENUM)
					enums[n] = gdfo_field_value_name(sets[k], i, x);
			}
		}
	}
	return gdfo__jni_set_object(env, out, "fieldNames", "[[B", gdfo__jni_string_array(env, names, n)) ||
	       gdfo__jni_set_object(env, out, "fieldValues", "[D", gdfo__jni_double_array(env, values, n)) ||
	       gdfo__jni_set_object(env, out, "fieldTypes", "[J", gdfo__jni_long_array(env, types, n)) ||
	       gdfo__jni_set_object(env, out, "fieldEnums", "[[B", gdfo__jni_string_array(env, enums, n));
}
