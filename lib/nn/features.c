/*
 * Per-stage feature vectors for the encoder (table in docs/encoder.md).
 * Magnitudes are log-scaled and divided by a constant so that typical
 * values land in [0, 1.5]; every telemetry value comes with a presence
 * flag so that "not measured" differs from "measured zero".
 */
#include <math.h>
#include <string.h>

#include "core/abi.h"
#include "graph/fields.h"
#include "graph/graph_internal.h"
#include "graph/telemetry_internal.h"
#include "nn/nn_internal.h"

/* Fixed columns; the knob blocks come from the field tables (lib/graph/fields.c). */
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
	F_STAGE_KNOBS = 18,    /* the stage knobs' features, in table order */
	N_TELEMETRY = 20,      /* 10 (value, present) pairs */
	N_SHAPE = 4,           /* depth, height, in-degree, out-degree */
	N_OBJECTIVE = 3,       /* w1, w2, w3 */
	N_CLUSTER = 3          /* executors available, price, SLO; then the inner-join flag */
};

/* Where each block starts: after the stage knobs every position depends on the tables. */
typedef struct layout {
	size_t telemetry, shape, graph_knobs, objective, cluster, inner_join, total;
} layout;

static void layout_of(layout *L)
{
	L->telemetry = F_STAGE_KNOBS + gdfo__fields_feature_width(GDFO_FIELDS_STAGE_KNOBS);
	L->shape = L->telemetry + N_TELEMETRY;
	L->graph_knobs = L->shape + N_SHAPE;
	L->objective = L->graph_knobs + gdfo__fields_feature_width(GDFO_FIELDS_GRAPH_KNOBS);
	L->cluster = L->objective + N_OBJECTIVE;
	L->inner_join = L->cluster + N_CLUSTER;
	L->total = L->inner_join + 1;
}

size_t gdfo__nn_feature_count(void)
{
	layout L;
	layout_of(&L);
	return L.total;
}

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
	layout L;
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
	layout_of(&L);
	if (L.total != GDFO_NN_FEATURES)
		return gdfo__error(GDFO_EINTERNAL,
				   "gdfo_nn_features: the field tables give %zu feature columns but GDFO_NN_FEATURES is %d; set it in include/gdfo/nn.h",
				   L.total, GDFO_NN_FEATURES);
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
	/* the graph's columns (knobs, objective, cluster) are the same in every row:
	 * made once in row 0, copied to the others */
	gdfo__fields_features(out + L.graph_knobs, GDFO_FIELDS_GRAPH_KNOBS, &g->knobs, -1);
	out[L.objective + 0] = (float)obj.throughput_weight;
	out[L.objective + 1] = (float)obj.latency_weight;
	out[L.objective + 2] = (float)obj.cost_weight;
	out[L.cluster + 0] = lg(g->cluster.executors_available, 10);
	/* the price of an executor-hour: its own, its cores' and its memory's (docs/simulator.md) */
	out[L.cluster + 1] = lg((g->cluster.price_per_executor_s +
				 g->knobs.cores_per_executor * g->cluster.price_per_core_s +
				 (double)g->knobs.memory_per_executor_bytes / 1073741824.0 * g->cluster.price_per_gib_s) *
					3600.0,
				5);
	out[L.cluster + 2] = lg(g->cluster.slo_ms, 15);
	for (i = 0; i < N; i++) {
		const gdfo__stage *s = &g->stages[i];
		const gdfo_stage_stats *st = &s->stats;
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
		gdfo__fields_features(f + F_STAGE_KNOBS, GDFO_FIELDS_STAGE_KNOBS, &s->knobs, s->op);
		if (tel) {
			for (k = 0; k < tel->n; k++)
				if (tel->stages[k].stage_id == s->id) {
					telemetry_features(f + L.telemetry, &tel->stages[k]);
					break;
				}
		}
		f[L.shape + 0] = lg(depth[i], 5);
		f[L.shape + 1] = lg(height[i], 5);
		f[L.shape + 2] = lg((double)s->n_parents, 3);
		f[L.shape + 3] = lg((double)s->n_children, 3);
		if (i)
			memcpy(f + L.graph_knobs, out + L.graph_knobs, (L.inner_join - L.graph_knobs) * sizeof(float));
		f[L.inner_join] = s->op == GDFO_OP_JOIN && s->join_type == GDFO_JOIN_INNER;
	}
	rc = 0;
out:
	free(order);
	free(depth);
	free(height);
	return rc;
}
