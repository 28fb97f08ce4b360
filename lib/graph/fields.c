/*
 * Field tables: see fields.h. Adding a knob is one line here and one
 * field in include/gdfo/graph.h (docs/developing.md).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/abi.h"
#include "graph/fields.h"

#define MIB (1024.0 * 1024.0)
#define NONE (-1)

#define STAT(n, lo, dv, doc) \
	{#n, GDFO_FIELD_DOUBLE, offsetof(gdfo_stage_stats, n), lo, DBL_MAX, dv, 0, NONE, NULL, doc, 0, 0, 0}

static const gdfo__field_desc stage_stats[] = {
	STAT(rows_in, 0, 0, "rows read from all inputs"),
	STAT(bytes_in, 0, 0, "bytes read from all inputs"),
	STAT(selectivity, 0, 1, "rows out / rows in (may exceed 1: explode, join fan-out)"),
	STAT(key_cardinality, 0, 0, "distinct keys (join, aggregate, window, sort)"),
	STAT(skew, 1, 1, "largest partition / mean partition"),
	STAT(cpu_ns_per_row, 0, 0, "CPU nanoseconds per input row"),
};

#define KNOB(n, t, lo, hi, zero, op, names, feat, scale, doc) \
	{#n, t, offsetof(gdfo_stage_knobs, n), lo, hi, 0, zero, op, names, doc, GDFO__FEAT_##feat, scale, 0}

/* Order is the JSON order and the order of the encoder's knob features. */
static const gdfo__field_desc stage_knobs[] = {
	KNOB(partitions, GDFO_FIELD_INT32, 1, GDFO_PARTITIONS_MAX, 1, NONE, NULL, LOG_DEFAULT, 10,
	     "tasks of the stage (shuffle partitions or scan splits)"),
	KNOB(join_strategy, GDFO_FIELD_ENUM, 0, GDFO_JOIN_STRATEGY_COUNT - 1, 0, GDFO_OP_JOIN,
	     gdfo_join_strategy_name, ONE_HOT, 0, "how the join moves its inputs"),
	KNOB(cache, GDFO_FIELD_ENUM, 0, GDFO_CACHE_LEVEL_COUNT - 1, 0, NONE, gdfo_cache_level_name,
	     ONE_HOT, 0, "where the stage's output is kept for its consumers"),
	KNOB(priority, GDFO_FIELD_INT32, -GDFO_PRIORITY_MAX, GDFO_PRIORITY_MAX, 0, NONE, NULL,
	     SIGNED_LOG, 10, "scheduling priority, higher runs first"),
	KNOB(target_file_bytes, GDFO_FIELD_INT64, MIB, 1125899906842624.0, 1, GDFO_OP_SINK, NULL, LOG, 30,
	     "target size of the files a sink writes"),
	KNOB(compaction_every, GDFO_FIELD_INT32, 1, GDFO_COMPACTION_MAX, 1, GDFO_OP_SINK, NULL, LOG, 10,
	     "compact a sink's table every N runs, 0 = never"),
};

#define GKNOB(n, t, lo, hi, scale, doc) \
	{#n, t, offsetof(gdfo_graph_knobs, n), lo, hi, 0, 1, NONE, NULL, doc, GDFO__FEAT_LOG, scale, 0}

static const char *switch_name(int v)
{
	static const char *const names[GDFO_SWITCH_COUNT] = {"default", "off", "on"};
	return v >= 0 && v < GDFO_SWITCH_COUNT ? names[v] : NULL;
}

/* Engine settings (version 2): no encoder feature, left out of JSON while 0. */
#define SETTING(n, t, lo, hi, names, doc) \
	{#n, t, offsetof(gdfo_graph_knobs, n), lo, hi, 0, 1, NONE, names, doc, GDFO__FEAT_NONE, 0, 1}

static const gdfo__field_desc graph_knobs[] = {
	GKNOB(executors, GDFO_FIELD_INT32, 1, 100000, 10, "executors the pipeline runs on"),
	GKNOB(cores_per_executor, GDFO_FIELD_INT32, 1, 1024, 5, "cores (task slots) per executor"),
	GKNOB(memory_per_executor_bytes, GDFO_FIELD_INT64, 64 * MIB, 17592186044416.0, 30,
	      "memory per executor"),
	SETTING(broadcast_threshold_bytes, GDFO_FIELD_INT64, -1, 1125899906842624.0, NULL,
		"spark.sql.autoBroadcastJoinThreshold: largest join input broadcast, -1 never, 0 = engine default"),
	SETTING(shuffle_partitions, GDFO_FIELD_INT32, 1, GDFO_PARTITIONS_MAX, NULL,
		"spark.sql.shuffle.partitions: tasks of a shuffle stage left at the engine default"),
	SETTING(adaptive, GDFO_FIELD_ENUM, 0, GDFO_SWITCH_COUNT - 1, switch_name,
		"spark.sql.adaptive.enabled: adaptive query execution"),
	SETTING(dynamic_allocation, GDFO_FIELD_ENUM, 0, GDFO_SWITCH_COUNT - 1, switch_name,
		"spark.dynamicAllocation.enabled"),
	SETTING(min_executors, GDFO_FIELD_INT32, 1, 100000, NULL, "spark.dynamicAllocation.minExecutors"),
	SETTING(max_executors, GDFO_FIELD_INT32, 1, 100000, NULL,
		"spark.dynamicAllocation.maxExecutors, 0 = unbounded"),
	SETTING(shuffle_reuse, GDFO_FIELD_ENUM, 0, GDFO_SWITCH_COUNT - 1, switch_name,
		"on: every stage's output is written once and read by all its consumers (a Spark shuffle), never recomputed"),
};

static const gdfo__field_desc cluster[] = {
	{"executors_available", GDFO_FIELD_INT32, offsetof(gdfo_cluster, executors_available), 0, 100000, 0,
	 0, NONE, NULL, "executors the cluster can give, 0 = unknown", 0, 0, 0},
	{"price_per_executor_s", GDFO_FIELD_DOUBLE, offsetof(gdfo_cluster, price_per_executor_s), 0, 1e12, 0,
	 0, NONE, NULL, "currency units per executor-second, 0 = unknown", 0, 0, 0},
	{"slo_ms", GDFO_FIELD_DOUBLE, offsetof(gdfo_cluster, slo_ms), 0, 1e15, 0, 0, NONE, NULL,
	 "end-to-end latency objective, 0 = none", 0, 0, 0},
	{"price_per_core_s", GDFO_FIELD_DOUBLE, offsetof(gdfo_cluster, price_per_core_s), 0, 1e12, 0, 0, NONE,
	 NULL, "currency units per core-second, 0 = unknown", 0, 0, 0},
	{"price_per_gib_s", GDFO_FIELD_DOUBLE, offsetof(gdfo_cluster, price_per_gib_s), 0, 1e12, 0, 0, NONE,
	 NULL, "currency units per GiB-second of executor memory, 0 = unknown", 0, 0, 0},
};

static const struct {
	const gdfo__field_desc *fields;
	size_t n;
	const char *group;
	int abi;
} sets[GDFO_FIELD_SET_COUNT] = {
	[GDFO_FIELDS_STAGE_STATS] = {stage_stats, GDFO__ARRAY_LEN(stage_stats), "stats", GDFO__ABI_STAGE_STATS},
	[GDFO_FIELDS_STAGE_KNOBS] = {stage_knobs, GDFO__ARRAY_LEN(stage_knobs), "knobs", GDFO__ABI_STAGE_KNOBS},
	[GDFO_FIELDS_GRAPH_KNOBS] = {graph_knobs, GDFO__ARRAY_LEN(graph_knobs), "knobs", GDFO__ABI_GRAPH_KNOBS},
	[GDFO_FIELDS_CLUSTER] = {cluster, GDFO__ARRAY_LEN(cluster), "cluster", GDFO__ABI_CLUSTER},
};

const gdfo__field_desc *gdfo__fields(int set, size_t *n)
{
	if (set < 0 || set >= GDFO_FIELD_SET_COUNT) {
		*n = 0;
		return NULL;
	}
	*n = sets[set].n;
	return sets[set].fields;
}

const char *gdfo__fields_group(int set)
{
	return sets[set].group;
}

double gdfo__field_get(const void *s, const gdfo__field_desc *f)
{
	const char *p = (const char *)s + f->offset;
	switch (f->type) {
	case GDFO_FIELD_INT32:
	case GDFO_FIELD_ENUM: return (double)*(const int32_t *)p;
	case GDFO_FIELD_INT64: return (double)*(const int64_t *)p;
	default: return *(const double *)p;
	}
}

void gdfo__field_set(void *s, const gdfo__field_desc *f, double v)
{
	char *p = (char *)s + f->offset;
	switch (f->type) {
	case GDFO_FIELD_INT32:
	case GDFO_FIELD_ENUM: *(int32_t *)p = (int32_t)v; break;
	case GDFO_FIELD_INT64: *(int64_t *)p = (int64_t)v; break;
	default: *(double *)p = v; break;
	}
}

void gdfo__fields_defaults(int set, void *out)
{
	uint32_t v = gdfo__abi_latest(sets[set].abi);
	size_t i;

	memset(out, 0, gdfo__abi_size(sets[set].abi, v));
	memcpy(out, &v, sizeof(v));
	for (i = 0; i < sets[set].n; i++)
		gdfo__field_set(out, &sets[set].fields[i], sets[set].fields[i].def);
}

void gdfo__field_range_text(char *out, size_t cap, const gdfo__field_desc *f)
{
	const char *zero = f->zero_ok ? "0 (default) or " : "";

	if (f->max >= DBL_MAX)
		snprintf(out, cap, "%s>= %.17g", zero, f->min);
	else
		snprintf(out, cap, "%s%.17g to %.17g", zero, f->min, f->max);
}

static int check_one(const gdfo__field_desc *f, const void *s, int op, const char *who, const char *group)
{
	double v = gdfo__field_get(s, f);
	char range[96];

	if (!who)
		return isfinite(v) && (f->type != GDFO_FIELD_ENUM || (v >= f->min && v <= f->max)) &&
				       ((f->zero_ok && v == 0) || (v >= f->min && v <= f->max)) &&
				       !(f->only_op >= 0 && op >= 0 && op != f->only_op && v != f->def)
			       ? 0
			       : GDFO_EINVAL;
	if (!isfinite(v))
		return gdfo__error(GDFO_EINVAL, "%s: %s.%s is not a finite number", who, group, f->name);
	if (f->type == GDFO_FIELD_ENUM && (v < f->min || v > f->max)) {
		gdfo__buf names = {0};
		int i, rc;
		for (i = (int)f->min; i <= (int)f->max; i++)
			gdfo__buf_printf(&names, "%s%s", i ? ", " : "", f->value_name(i));
		rc = gdfo__error(GDFO_EINVAL, "%s: %s.%s %d is not one of: %s", who, group, f->name, (int)v,
				 names.data ? names.data : "");
		gdfo__buf_free(&names);
		return rc;
	}
	if (!(f->zero_ok && v == 0) && (v < f->min || v > f->max)) {
		gdfo__field_range_text(range, sizeof(range), f);
		return gdfo__error(GDFO_EINVAL, "%s: %s.%s is %.17g; allowed %s", who, group, f->name, v, range);
	}
	if (f->only_op >= 0 && op >= 0 && op != f->only_op && v != f->def)
		return gdfo__error(GDFO_EINVAL, "%s: %s.%s is set on a %s stage; only %s stages have it", who,
				   group, f->name, gdfo_op_name(op), gdfo_op_name(f->only_op));
	return 0;
}

int gdfo__fields_check(int set, const void *s, int op, const char *who)
{
	size_t i;
	int rc;

	for (i = 0; i < sets[set].n; i++)
		if ((rc = check_one(&sets[set].fields[i], s, op, who, sets[set].group)))
			return rc;
	return 0;
}

/* ---- encoder features ----------------------------------------------------- */

static size_t feature_width(const gdfo__field_desc *f)
{
	switch (f->feature) {
	case GDFO__FEAT_LOG:
	case GDFO__FEAT_SIGNED_LOG: return 1;
	case GDFO__FEAT_LOG_DEFAULT: return 2;
	case GDFO__FEAT_ONE_HOT: return (size_t)(f->max - f->min) + 1;
	default: return 0;
	}
}

size_t gdfo__fields_feature_width(int set)
{
	size_t i, w = 0;

	for (i = 0; i < sets[set].n; i++)
		w += feature_width(&sets[set].fields[i]);
	return w;
}

void gdfo__fields_features(float *f, int set, const void *s, int op)
{
	size_t i;

	for (i = 0; i < sets[set].n; i++) {
		const gdfo__field_desc *d = &sets[set].fields[i];
		double v = gdfo__field_get(s, d);

		switch (d->feature) {
		case GDFO__FEAT_LOG:
			f[0] = (float)(log1p(v > 0.0 ? v : 0.0) / d->feature_scale);
			break;
		case GDFO__FEAT_LOG_DEFAULT:
			f[0] = (float)(log1p(v > 0.0 ? v : 0.0) / d->feature_scale);
			f[1] = v == 0;
			break;
		case GDFO__FEAT_SIGNED_LOG:
			f[0] = (float)((v < 0 ? -1.0 : 1.0) * log1p(fabs(v)) / d->feature_scale);
			break;
		case GDFO__FEAT_ONE_HOT:
			if ((d->only_op < 0 || op == d->only_op) && v >= d->min && v <= d->max)
				f[(size_t)(v - d->min)] = 1.0f;
			break;
		}
		f += feature_width(d);
	}
}

/* ---- public ------------------------------------------------------------- */

size_t gdfo_field_count(int set)
{
	return set >= 0 && set < GDFO_FIELD_SET_COUNT ? sets[set].n : 0;
}

unsigned int gdfo_field_set_version(int set)
{
	return set >= 0 && set < GDFO_FIELD_SET_COUNT ? gdfo__abi_latest(sets[set].abi) : 0;
}

int gdfo_field_at(gdfo_field_info *out, int set, size_t index)
{
	gdfo_field_info info;
	const gdfo__field_desc *f;
	int rc;

	if ((rc = gdfo__abi_check(out, GDFO__ABI_FIELD_INFO, "gdfo_field_at")))
		return rc;
	if (set < 0 || set >= GDFO_FIELD_SET_COUNT)
		return gdfo__error(GDFO_EINVAL, "gdfo_field_at: field set %d does not exist (0 to %d)", set,
				   GDFO_FIELD_SET_COUNT - 1);
	if (index >= sets[set].n)
		return gdfo__error(GDFO_ERANGE, "gdfo_field_at: field index %zu is out of range (the set has %zu)",
				   index, sets[set].n);
	f = &sets[set].fields[index];
	memset(&info, 0, sizeof(info));
	info.type = f->type;
	info.name = f->name;
	info.offset = f->offset;
	info.min = f->min;
	info.max = f->max;
	info.default_value = f->def;
	info.zero_ok = f->zero_ok;
	info.only_op = f->only_op;
	info.doc = f->doc;
	return gdfo__abi_out(out, &info, GDFO__ABI_FIELD_INFO, "gdfo_field_at");
}

const char *gdfo_field_value_name(int set, size_t index, int value)
{
	const gdfo__field_desc *f;

	if (set < 0 || set >= GDFO_FIELD_SET_COUNT || index >= sets[set].n)
		return NULL;
	f = &sets[set].fields[index];
	if (f->type != GDFO_FIELD_ENUM || value < f->min || value > f->max)
		return NULL;
	return f->value_name(value);
}
