/*
 * Kahn's topological order (lib/core/topo.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/topo.h"

/* In-degree of a node placed by break_cycles: later decrements skip it. */
#define FORCED SIZE_MAX

static void heap_push(size_t *h, size_t *n, size_t v)
{
	size_t i = (*n)++;
	while (i > 0 && h[(i - 1) / 2] > v) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = v;
}

static size_t heap_pop(size_t *h, size_t *n)
{
	size_t top = h[0], last = h[--(*n)], i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1] < h[c])
			c++;
		if (last <= h[c])
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = last;
	return top;
}

/*
 * The ready set is out[head..tail) for FIFO (the output doubles as the
 * queue) and heap[0..nheap) for SMALLEST.
 */
size_t gdfo__topo_order(size_t *out, size_t *work, const gdfo__topo *t)
{
	size_t n = t->n, *indeg = work, *heap = work + n;
	size_t head = 0, tail = 0, nheap = 0, done = 0, v, k;
	int fifo = t->tie == GDFO__TOPO_FIFO;

	for (v = 0; v < n; v++)
		indeg[v] = 0;
	for (v = 0; v < n; v++)
		for (k = t->n_children(t->user, v); k-- > 0;)
			indeg[t->child(t->user, v, k)]++;
	for (v = 0; v < n; v++)
		if (!indeg[v]) {
			if (fifo)
				out[tail++] = v;
			else
				heap_push(heap, &nheap, v);
		}
	for (;;) {
		size_t m;
		if (fifo ? head < tail : nheap > 0) {
			v = fifo ? out[head++] : heap_pop(heap, &nheap);
			if (!fifo)
				out[tail++] = v;
		} else if (t->break_cycles && done < n) {
			for (v = 0; indeg[v] == 0 || indeg[v] == FORCED; v++)
				;
			indeg[v] = FORCED;
			out[tail++] = v;
			head = tail;
		} else {
			break;
		}
		done++;
		m = t->n_children(t->user, v);
		for (k = 0; k < m; k++) {
			size_t c = t->child(t->user, v, k);
			if (indeg[c] == FORCED || --indeg[c] != 0)
				continue;
			if (fifo)
				out[tail++] = c;
			else
				heap_push(heap, &nheap, c);
		}
	}
	return done;
}

int gdfo__topo_csr_from_parents(gdfo__topo_csr *out, size_t n,
				size_t (*n_parents)(const void *user, size_t v),
				size_t (*parent)(const void *user, size_t v, size_t k), const void *user)
{
	size_t v, k, edges = 0, *fill;

	memset(out, 0, sizeof(*out));
	for (v = 0; v < n; v++)
		edges += n_parents(user, v);
	out->start = gdfo__calloc(n + 1, sizeof(*out->start));
	out->child = gdfo__malloc((edges ? edges : 1) * sizeof(*out->child));
	fill = gdfo__malloc((n ? n : 1) * sizeof(*fill));
	if (!out->start || !out->child || !fill) {
		free(fill);
		gdfo__topo_csr_free(out);
		return GDFO_ENOMEM;
	}
	for (v = 0; v < n; v++)
		for (k = n_parents(user, v); k-- > 0;)
			out->start[parent(user, v, k) + 1]++;
	for (v = 0; v < n; v++)
		out->start[v + 1] += out->start[v];
	memcpy(fill, out->start, n * sizeof(*fill));
	for (v = 0; v < n; v++)
		for (k = 0; k < n_parents(user, v); k++)
			out->child[fill[parent(user, v, k)]++] = v;
	free(fill);
	return 0;
}

void gdfo__topo_csr_free(gdfo__topo_csr *c)
{
	free(c->start);
	free(c->child);
	memset(c, 0, sizeof(*c));
}

size_t gdfo__topo_csr_n_children(const void *csr, size_t v)
{
	const gdfo__topo_csr *c = csr;
	return c->start[v + 1] - c->start[v];
}

size_t gdfo__topo_csr_child(const void *csr, size_t v, size_t k)
{
	const gdfo__topo_csr *c = csr;
	return c->child[c->start[v] + k];
}
