/*
 * Batches: token layout, relation buckets (dense pipelines) and k-hop
 * neighbourhoods (sparse pipelines), computed once per set of graphs.
 */
#include <string.h>

#include "core/topo.h"
#include "graph/graph_internal.h"
#include "nn/nn_internal.h"

/* Adjacency of one pipeline in CSR form (stage indices 0..N-1). */
typedef struct adj {
	size_t N;
	uint32_t *pstart, *pidx; /* parents */
	uint32_t *cstart, *cidx; /* children */
} adj;

static void adj_free(adj *a)
{
	free(a->pstart);
	free(a->pidx);
	free(a->cstart);
	free(a->cidx);
}

static size_t adj_n_children(const void *a, size_t v)
{
	return ((const adj *)a)->cstart[v + 1] - ((const adj *)a)->cstart[v];
}

static size_t adj_child(const void *a, size_t v, size_t k)
{
	return ((const adj *)a)->cidx[((const adj *)a)->cstart[v] + k];
}

static int adj_build(adj *a, const gdfo_nn_pipeline *p, size_t pi)
{
	size_t N = p->n_stages, e;
	uint32_t *pfill = NULL, *cfill = NULL;

	memset(a, 0, sizeof(*a));
	a->N = N;
	a->pstart = gdfo__calloc(N + 1, sizeof(uint32_t));
	a->cstart = gdfo__calloc(N + 1, sizeof(uint32_t));
	a->pidx = gdfo__calloc(p->n_edges + 1, sizeof(uint32_t));
	a->cidx = gdfo__calloc(p->n_edges + 1, sizeof(uint32_t));
	pfill = gdfo__calloc(N + 1, sizeof(uint32_t));
	cfill = gdfo__calloc(N + 1, sizeof(uint32_t));
	if (!a->pstart || !a->cstart || !a->pidx || !a->cidx || !pfill || !cfill)
		goto nomem;
	for (e = 0; e < p->n_edges; e++) {
		uint32_t u = p->edges[2 * e], v = p->edges[2 * e + 1];
		if (u >= N || v >= N) {
			free(pfill);
			free(cfill);
			adj_free(a);
			return gdfo__error(GDFO_EINVAL,
					   "pipeline %zu: edge %zu (%u -> %u) names a stage outside 0..%zu",
					   pi, e, u, v, N - 1);
		}
		if (u == v) {
			free(pfill);
			free(cfill);
			adj_free(a);
			return gdfo__error(GDFO_EINVAL, "pipeline %zu: edge %zu is a self edge on stage %u",
					   pi, e, u);
		}
		a->pstart[v + 1]++;
		a->cstart[u + 1]++;
	}
	for (e = 0; e < N; e++) {
		a->pstart[e + 1] += a->pstart[e];
		a->cstart[e + 1] += a->cstart[e];
	}
	for (e = 0; e < p->n_edges; e++) {
		uint32_t u = p->edges[2 * e], v = p->edges[2 * e + 1];
		a->pidx[a->pstart[v] + pfill[v]++] = u;
		a->cidx[a->cstart[u] + cfill[u]++] = v;
	}
	free(pfill);
	free(cfill);
	/* cycle check */
	{
		gdfo__topo t = {N, a, adj_n_children, adj_child, GDFO__TOPO_FIFO, 0};
		size_t *work = gdfo__malloc(2 * (N ? N : 1) * sizeof(*work));
		if (!work) {
			adj_free(a);
			return GDFO_ENOMEM;
		}
		e = gdfo__topo_order(work, work + N, &t);
		free(work);
		if (e != N) {
			adj_free(a);
			return gdfo__error(GDFO_ECYCLE, "pipeline %zu: the edges form a cycle", pi);
		}
	}
	return 0;
nomem:
	free(pfill);
	free(cfill);
	adj_free(a);
	return GDFO_ENOMEM;
}

static uint8_t bucket(int up, unsigned dist)
{
	if (dist == 1)
		return up ? GDFO_NN_REL_PARENT : GDFO_NN_REL_CHILD;
	if (dist == 2)
		return up ? GDFO_NN_REL_ANCESTOR_2 : GDFO_NN_REL_DESCENDANT_2;
	if (dist == 3)
		return up ? GDFO_NN_REL_ANCESTOR_3 : GDFO_NN_REL_DESCENDANT_3;
	return up ? GDFO_NN_REL_ANCESTOR_4P : GDFO_NN_REL_DESCENDANT_4P;
}

/*
 * Breadth-first search from src along parents (up) or children, to depth
 * max_depth (0 = unbounded). Writes dist[v] for every stage reached (dist
 * must be 0 on entry for unvisited, is reset by the caller through list).
 * Returns the number of stages reached (excluding src), listed in list.
 */
static size_t bfs(const adj *a, uint32_t src, int up, unsigned max_depth, uint32_t *dist,
		  uint32_t *list)
{
	size_t head = 0, tail = 0, i;
	const uint32_t *start = up ? a->pstart : a->cstart, *idx = up ? a->pidx : a->cidx;

	dist[src] = (uint32_t)-1; /* mark visited */
	list[tail++] = src;
	while (head < tail) {
		uint32_t u = list[head++];
		uint32_t du = u == src ? 0 : dist[u];
		if (max_depth && du >= max_depth)
			continue;
		for (i = start[u]; i < start[u + 1]; i++) {
			uint32_t w = idx[i];
			if (!dist[w]) {
				dist[w] = du + 1;
				list[tail++] = w;
			}
		}
	}
	dist[src] = 0;
	/* drop src from the list */
	memmove(list, list + 1, (tail - 1) * sizeof(uint32_t));
	return tail - 1;
}

static int build_dense(gdfo__nn_pipe *pp, const adj *a, uint32_t *dist, uint32_t *list)
{
	size_t T = pp->T, N = a->N, i, k;

	pp->rel = gdfo__malloc(T * T);
	if (!pp->rel)
		return GDFO_ENOMEM;
	memset(pp->rel, GDFO_NN_REL_UNRELATED, T * T);
	pp->rel[0] = GDFO_NN_REL_TOKEN_SELF;
	for (i = 1; i < T; i++) {
		pp->rel[i] = GDFO_NN_REL_TOKEN_TO_STAGE;
		pp->rel[i * T] = GDFO_NN_REL_STAGE_TO_TOKEN;
		pp->rel[i * T + i] = GDFO_NN_REL_SELF;
	}
	for (i = 0; i < N; i++) {
		size_t n = bfs(a, (uint32_t)i, 1, 0, dist, list);
		for (k = 0; k < n; k++) {
			uint32_t j = list[k];
			pp->rel[(i + 1) * T + j + 1] = bucket(1, dist[j]);
			pp->rel[(j + 1) * T + i + 1] = bucket(0, dist[j]);
			dist[j] = 0;
		}
	}
	pp->E = T * T;
	return 0;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return (a > b) - (a < b);
}

static int build_sparse(gdfo__nn_pipe *pp, const adj *a, unsigned hops, uint32_t *dist,
			uint32_t *list, uint8_t *relrow)
{
	size_t T = pp->T, N = a->N, i, k, cap, E = 0;
	uint32_t *tmp;

	pp->nb_start = gdfo__calloc(T + 1, sizeof(uint32_t));
	cap = 4 * T + 64;
	pp->nb_idx = gdfo__malloc(cap * sizeof(uint32_t));
	pp->nb_rel = gdfo__malloc(cap);
	if (!pp->nb_start || !pp->nb_idx || !pp->nb_rel)
		return GDFO_ENOMEM;
	/* the pipeline token attends to every token */
	for (k = 0; k < T; k++) {
		pp->nb_idx[E] = (uint32_t)k;
		pp->nb_rel[E++] = k ? GDFO_NN_REL_TOKEN_TO_STAGE : GDFO_NN_REL_TOKEN_SELF;
	}
	pp->nb_start[1] = (uint32_t)E;
	tmp = list + N;
	for (i = 0; i < N; i++) {
		size_t nu, nd, m = 0, need;
		nu = bfs(a, (uint32_t)i, 1, hops, dist, list);
		for (k = 0; k < nu; k++) {
			tmp[m++] = list[k] + 1;
			relrow[list[k] + 1] = bucket(1, dist[list[k]]);
			dist[list[k]] = 0;
		}
		nd = bfs(a, (uint32_t)i, 0, hops, dist, list);
		for (k = 0; k < nd; k++) {
			tmp[m++] = list[k] + 1;
			relrow[list[k] + 1] = bucket(0, dist[list[k]]);
			dist[list[k]] = 0;
		}
		tmp[m++] = 0;
		relrow[0] = GDFO_NN_REL_STAGE_TO_TOKEN;
		tmp[m++] = (uint32_t)(i + 1);
		relrow[i + 1] = GDFO_NN_REL_SELF;
		qsort(tmp, m, sizeof(uint32_t), cmp_u32);
		need = E + m;
		if (need > cap) {
			size_t nc = cap;
			void *p1, *p2;
			while (nc < need)
				nc *= 2;
			p1 = gdfo__realloc(pp->nb_idx, nc * sizeof(uint32_t));
			if (!p1)
				return GDFO_ENOMEM;
			pp->nb_idx = p1;
			p2 = gdfo__realloc(pp->nb_rel, nc);
			if (!p2)
				return GDFO_ENOMEM;
			pp->nb_rel = p2;
			cap = nc;
		}
		for (k = 0; k < m; k++) {
			pp->nb_idx[E] = tmp[k];
			pp->nb_rel[E++] = relrow[tmp[k]];
		}
		pp->nb_start[i + 2] = (uint32_t)E;
	}
	pp->E = E;
	return 0;
}

static void free_pipes(gdfo_nn_batch *b)
{
	size_t i;

	if (!b->pipes)
		return;
	for (i = 0; i < b->B; i++) {
		free(b->pipes[i].rel);
		free(b->pipes[i].nb_start);
		free(b->pipes[i].nb_idx);
		free(b->pipes[i].nb_rel);
	}
	free(b->pipes);
}

void gdfo_nn_batch_free(gdfo_nn_batch *batch)
{
	if (!batch)
		return;
	free_pipes(batch);
	free(batch);
}

int gdfo_nn_batch_create(gdfo_nn_batch **out, const gdfo_nn_encoder *enc,
			 const gdfo_nn_pipeline *pipelines, size_t count)
{
	gdfo_nn_batch *b;
	size_t i, maxN = 0;
	uint32_t *dist = NULL, *list = NULL;
	uint8_t *relrow = NULL;
	int rc = 0;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_batch_create: out is NULL");
	*out = NULL;
	if (!enc || !pipelines || !count)
		return gdfo__error(GDFO_EINVAL,
				   "gdfo_nn_batch_create: need an encoder and at least one pipeline");
	for (i = 0; i < count; i++) {
		if (!pipelines[i].n_stages)
			return gdfo__error(GDFO_EINVAL, "pipeline %zu has no stages", i);
		if (pipelines[i].n_stages >= UINT32_MAX / 2)
			return gdfo__error(GDFO_EINVAL, "pipeline %zu has too many stages (%zu)", i,
					   pipelines[i].n_stages);
		if (pipelines[i].n_edges && !pipelines[i].edges)
			return gdfo__error(GDFO_EINVAL, "pipeline %zu: edges is NULL but n_edges is %zu",
					   i, pipelines[i].n_edges);
		if (pipelines[i].n_stages > maxN)
			maxN = pipelines[i].n_stages;
	}
	b = gdfo__calloc(1, sizeof(*b));
	if (!b)
		return GDFO_ENOMEM;
	b->pipes = gdfo__calloc(count, sizeof(*b->pipes));
	dist = gdfo__calloc(maxN + 1, sizeof(uint32_t));
	list = gdfo__calloc(2 * maxN + 4, sizeof(uint32_t));
	relrow = gdfo__calloc(maxN + 2, 1);
	if (!b->pipes || !dist || !list || !relrow) {
		rc = GDFO_ENOMEM;
		goto fail;
	}
	b->B = count;
	for (i = 0; i < count; i++) {
		gdfo__nn_pipe *pp = &b->pipes[i];
		adj a;
		if ((rc = adj_build(&a, &pipelines[i], i)) < 0)
			goto fail;
		pp->T = pipelines[i].n_stages + 1;
		pp->row = b->R;
		pp->stage = b->S;
		pp->sparse = pipelines[i].n_stages > enc->opts.sparse_threshold;
		if (pp->sparse)
			rc = build_sparse(pp, &a, enc->opts.sparse_hops, dist, list, relrow);
		else
			rc = build_dense(pp, &a, dist, list);
		adj_free(&a);
		if (rc < 0)
			goto fail;
		pp->att = b->E_total;
		b->E_total += pp->E;
		if (pp->E > b->E_max)
			b->E_max = pp->E;
		if (pp->T > b->T_max)
			b->T_max = pp->T;
		b->R += pp->T;
		b->S += pp->T - 1;
	}
	free(dist);
	free(list);
	free(relrow);
	*out = b;
	return 0;
fail:
	free(dist);
	free(list);
	free(relrow);
	b->B = count;
	gdfo_nn_batch_free(b);
	return rc;
}

int gdfo_nn_batch_from_graphs(gdfo_nn_batch **out, const gdfo_nn_encoder *enc,
			      const gdfo_graph *const *graphs, size_t count)
{
	gdfo_nn_pipeline *pipes = NULL;
	uint32_t *edges = NULL;
	size_t i, j, k, n_edges = 0, at = 0;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_batch_from_graphs: out is NULL");
	*out = NULL;
	if (!graphs || !count)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_batch_from_graphs: no graphs");
	for (i = 0; i < count; i++) {
		if (!graphs[i])
			return gdfo__error(GDFO_EINVAL, "gdfo_nn_batch_from_graphs: graphs[%zu] is NULL", i);
		for (j = 0; j < graphs[i]->n; j++)
			n_edges += graphs[i]->stages[j].n_parents;
	}
	pipes = gdfo__calloc(count, sizeof(*pipes));
	edges = gdfo__calloc(2 * n_edges + 2, sizeof(uint32_t));
	if (!pipes || !edges) {
		free(pipes);
		free(edges);
		return GDFO_ENOMEM;
	}
	for (i = 0; i < count; i++) {
		const gdfo_graph *g = graphs[i];
		pipes[i].n_stages = g->n;
		pipes[i].edges = edges + 2 * at;
		for (j = 0; j < g->n; j++)
			for (k = 0; k < g->stages[j].n_parents; k++) {
				edges[2 * at] = (uint32_t)g->stages[j].parents[k];
				edges[2 * at + 1] = (uint32_t)j;
				at++;
				pipes[i].n_edges++;
			}
	}
	rc = gdfo_nn_batch_create(out, enc, pipes, count);
	free(pipes);
	free(edges);
	return rc;
}

size_t gdfo_nn_batch_stage_count(const gdfo_nn_batch *batch)
{
	return batch ? batch->S : 0;
}

size_t gdfo_nn_batch_pipeline_count(const gdfo_nn_batch *batch)
{
	return batch ? batch->B : 0;
}

int gdfo_nn_batch_relation(int *out, const gdfo_nn_batch *batch, size_t p, size_t q, size_t k)
{
	const gdfo__nn_pipe *pp;
	size_t e;

	if (out)
		*out = -1;
	if (!out || !batch)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_batch_relation: NULL argument");
	if (p >= batch->B)
		return gdfo__error(GDFO_ERANGE, "pipeline %zu is out of range (the batch has %zu)", p,
				   batch->B);
	pp = &batch->pipes[p];
	if (q >= pp->T || k >= pp->T)
		return gdfo__error(GDFO_ERANGE, "token pair (%zu, %zu) is out of range (pipeline %zu has %zu tokens)",
				   q, k, p, pp->T);
	if (!pp->sparse) {
		*out = pp->rel[q * pp->T + k];
		return 0;
	}
	for (e = pp->nb_start[q]; e < pp->nb_start[q + 1]; e++)
		if (pp->nb_idx[e] == k) {
			*out = pp->nb_rel[e];
			break;
		}
	return 0;
}
