/*
 * Critical-path-first priorities, shared by the optimizers: a stage's rank
 * orders it by the work on its longest remaining path to the end of the
 * pipeline, so that stages on the critical path get cores first.
 */
#include <stdlib.h>
#include <string.h>

#include "plan/plan_internal.h"

typedef struct keyed {
	double key;
	size_t idx;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
	const keyed *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int gdfo__critical_path_ranks(int32_t *rank, double *remaining, const gdfo_graph *g, const double *work)
{
	size_t n = g->n, *order, i, k;
	double *rem = remaining;
	keyed *sorted;
	int32_t r = 0;
	int rc;

	order = gdfo__malloc((n ? n : 1) * sizeof(*order));
	sorted = gdfo__malloc((n ? n : 1) * sizeof(*sorted));
	if (!rem)
		rem = gdfo__malloc((n ? n : 1) * sizeof(*rem));
	if (!order || !sorted || !rem) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	if ((rc = gdfo_graph_topo_order(order, n, g)))
		goto out;
	for (k = n; k-- > 0;) {
		size_t v = order[k];
		double best = 0;
		for (i = 0; i < g->stages[v].n_children; i++)
			if (rem[g->stages[v].children[i]] > best)
				best = rem[g->stages[v].children[i]];
		rem[v] = work[v] + best;
	}
	for (i = 0; i < n; i++) {
		sorted[i].key = rem[i];
		sorted[i].idx = i;
	}
	qsort(sorted, n, sizeof(*sorted), cmp_keyed);
	/* Dense rank, 1 = the shortest remaining path. */
	for (i = 0; i < n; i++) {
		if (i == 0 || sorted[i].key != sorted[i - 1].key)
			r++;
		rank[sorted[i].idx] = r;
	}
out:
	free(order);
	free(sorted);
	if (rem != remaining)
		free(rem);
	return rc;
}

double gdfo__stage_work_estimate(const gdfo__stage *s)
{
	/* CPU per row plus one nanosecond per byte moved: the rules' work model. */
	return s->stats.rows_in * s->stats.cpu_ns_per_row + s->stats.bytes_in;
}
