/*
 * Per-stage feature vectors for the encoder (table in docs/encoder.md).
 * Magnitudes are log-scaled and divided by a constant so that typical
 * values land in [0, 1.5]; every telemetry value comes with a presence
 * flag so that "not measured" differs from "measured zero".
 */
#include <math.h>
#include <string.h>

#include "core/abi.h"
#include "graph/graph_internal.h"
#include "graph/telemetry_internal.h"
#include "nn/nn_internal.h"

enum {
	F_OP = 0,              /* 10: operator one-hot */
	F_ROWS_IN = 10,
	F_BYTES_IN = 11,
	F_SELECTIVITY = 12,
	F_KEYS = 13,
	F_SKEW = 14,
	F_CPU = 15,
	F_ROWS_OUT = 16,
	F_FUSED = 17,
	F_PARTITIONS = 18,
	F_PARTITIONS_DEFAULT = 19,
	F_JOIN_STRATEGY = 20,  /* 4: one-hot, joins only */
	F_CACHE = 24,          /* 3: one-hot */
	F_PRIORITY = 27,
	F_FILE_BYTES = 28,
	F_COMPACTION = 29,
	F_TELEMETRY = 30,      /* 10 (value, present) pairs */
	F_DEPTH = 50,
	F_HEIGHT = 51,
	F_IN_DEGREE = 52,
	F_OUT_DEGREE = 53,
	F_EXECUTORS = 54,
	F_CORES = 55,
	F_MEMORY = 56,
	F_OBJECTIVE = 57,      /* 3: w1, w2, w3 */
	F_EXECUTORS_AVAILABLE = 60,
	F_PRICE = 61,
	F_SLO = 62,
	F_INNER_JOIN = 63
};

_Static_assert(F_INNER_JOIN + 1 == GDFO_NN_FEATURES, "feature table and GDFO_NN_FEATURES disagree");

static float lg(double x, double scale)
{
	return (float)(log1p(x > 0.0 ? x : 0.0) / scale);
}

static void telemetry_features(float *f, const gdfo_stage_telemetry *t)
{
	double v[10];
	static const double scale[10] = {15, 10, 15, 5, 30, 30, 30, 30, 15, 3};
	int i;

	v[0] = t->duration_ms;
	v[1] = t->tasks;
	v[2] = t->task_ms_median;
	v[3] = (t->task_ms_max >= 0.0 && t->task_ms_median > 0.0) ? t->task_ms_max / t->task_ms_median
								  : GDFO_UNKNOWN;
	v[4] = t->shuffle_read_bytes;
	v[5] = t->shuffle_write_bytes;
	v[6] = t->spill_bytes;
	v[7] = t->peak_memory_bytes;
	v[8] = t->cpu_ms;
	v[9] = t->failures;
	for (i = 0; i < 10; i++) {
		if (v[i] < 0.0)
			continue;
		if (i == 3)
			f[2 * i] = (float)(log(v[i] > 1.0 ? v[i] : 1.0) / scale[i]);
		else
			f[2 * i] = lg(v[i], scale[i]);
		f[2 * i + 1] = 1.0f;
	}
}

int gdfo_nn_features(float *out, size_t n_rows, const gdfo_graph *g,
		     const gdfo_telemetry *tel, const gdfo_objective *objective)
{
	gdfo_objective obj;
	size_t N, i, k, *order = NULL;
	uint32_t *depth = NULL, *height = NULL;
	int rc;

	if (!out || !g || !objective)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_features: NULL argument");
	N = g->n;
	if (n_rows != N)
		return gdfo__error(GDFO_EINVAL,
				   "gdfo_nn_features: n_rows is %zu but graph '%s' has %zu stages",
				   n_rows, g->name, N);
	if ((rc = gdfo_objective_validate(objective)))
		return gdfo__error_prefix(rc, "gdfo_nn_features");
	gdfo_objective_init(&obj, GDFO_OBJECTIVE_VERSION);
	gdfo__abi_in(&obj, objective, &obj, GDFO__ABI_OBJECTIVE, "gdfo_nn_features");
	if (!N)
		return 0;
	order = gdfo__calloc(N, sizeof(size_t));
	depth = gdfo__calloc(N, sizeof(uint32_t));
	height = gdfo__calloc(N, sizeof(uint32_t));
	if (!order || !depth || !height) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	if ((rc = gdfo_graph_topo_order(order, g->n, g)) < 0)
		goto out;
	/* longest path from a source (depth) and to a sink (height) */
	for (i = 0; i < N; i++) {
		const gdfo__stage *s = &g->stages[order[i]];
		for (k = 0; k < s->n_parents; k++)
			if (depth[s->parents[k]] + 1 > depth[order[i]])
				depth[order[i]] = depth[s->parents[k]] + 1;
	}
	for (i = N; i-- > 0;) {
		const gdfo__stage *s = &g->stages[order[i]];
		for (k = 0; k < s->n_children; k++)
			if (height[s->children[k]] + 1 > height[order[i]])
				height[order[i]] = height[s->children[k]] + 1;
	}
	memset(out, 0, N * GDFO_NN_FEATURES * sizeof(float));
	for (i = 0; i < N; i++) {
		const gdfo__stage *s = &g->stages[i];
		const gdfo_stage_stats *st = &s->stats;
		const gdfo_stage_knobs *kn = &s->knobs;
		float *f = out + i * GDFO_NN_FEATURES;
		double sel = st->selectivity < 1e-6 ? 1e-6 : (st->selectivity > 1e6 ? 1e6 : st->selectivity);
		int fused = __builtin_popcount(s->fused_ops);

		if (s->op >= 0 && s->op < GDFO_OP_COUNT)
			f[F_OP + s->op] = 1.0f;
		f[F_ROWS_IN] = lg(st->rows_in, 20);
		f[F_BYTES_IN] = lg(st->bytes_in, 30);
		f[F_SELECTIVITY] = (float)(log(sel) / 10.0);
		f[F_KEYS] = lg(st->key_cardinality, 20);
		f[F_SKEW] = (float)(log(st->skew > 1.0 ? st->skew : 1.0) / 5.0);
		f[F_CPU] = lg(st->cpu_ns_per_row, 10);
		f[F_ROWS_OUT] = lg(st->rows_in * st->selectivity, 20);
		f[F_FUSED] = (float)fused / 10.0f;
		f[F_PARTITIONS] = lg(kn->partitions, 10);
		f[F_PARTITIONS_DEFAULT] = kn->partitions == 0;
		if (s->op == GDFO_OP_JOIN && kn->join_strategy >= 0 &&
		    kn->join_strategy < GDFO_JOIN_STRATEGY_COUNT)
			f[F_JOIN_STRATEGY + kn->join_strategy] = 1.0f;
		if (kn->cache >= 0 && kn->cache < GDFO_CACHE_LEVEL_COUNT)
			f[F_CACHE + kn->cache] = 1.0f;
		f[F_PRIORITY] = (float)((kn->priority < 0 ? -1.0 : 1.0) *
					log1p(fabs((double)kn->priority)) / 10.0);
		f[F_FILE_BYTES] = lg((double)kn->target_file_bytes, 30);
		f[F_COMPACTION] = lg(kn->compaction_every, 10);
		if (tel) {
			for (k = 0; k < tel->n; k++)
				if (tel->stages[k].stage_id == s->id) {
					telemetry_features(f + F_TELEMETRY, &tel->stages[k]);
					break;
				}
		}
		f[F_DEPTH] = lg(depth[i], 5);
		f[F_HEIGHT] = lg(height[i], 5);
		f[F_IN_DEGREE] = lg((double)s->n_parents, 3);
		f[F_OUT_DEGREE] = lg((double)s->n_children, 3);
		f[F_EXECUTORS] = lg(g->knobs.executors, 10);
		f[F_CORES] = lg(g->knobs.cores_per_executor, 5);
		f[F_MEMORY] = lg((double)g->knobs.memory_per_executor_bytes, 30);
		f[F_OBJECTIVE + 0] = (float)obj.throughput_weight;
		f[F_OBJECTIVE + 1] = (float)obj.latency_weight;
		f[F_OBJECTIVE + 2] = (float)obj.cost_weight;
		f[F_EXECUTORS_AVAILABLE] = lg(g->cluster.executors_available, 10);
		/* the price of an executor-hour: its own, its cores' and its memory's (docs/simulator.md) */
		f[F_PRICE] = lg((g->cluster.price_per_executor_s + g->knobs.cores_per_executor * g->cluster.price_per_core_s +
				 (double)g->knobs.memory_per_executor_bytes / 1073741824.0 * g->cluster.price_per_gib_s) *
					3600.0,
				5);
		f[F_SLO] = lg(g->cluster.slo_ms, 15);
		f[F_INNER_JOIN] = s->op == GDFO_OP_JOIN && s->join_type == GDFO_JOIN_INNER;
	}
	rc = 0;
out:
	free(order);
	free(depth);
	free(height);
	return rc;
}
