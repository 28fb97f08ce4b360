/*
 * One topological order (Kahn's algorithm) for every DAG in libgdfo:
 * pipeline graphs, the simulator's stage model, job profiles, event-log
 * stages and encoder batches. The caller keeps its own adjacency and
 * reads it through two callbacks, and picks the tie-breaking that its
 * outputs were built on. Not installed.
 */
#ifndef GDFO_CORE_TOPO_H
#define GDFO_CORE_TOPO_H

#include <stddef.h>

/* How ties among ready nodes are broken. */
enum {
	/* A queue: ready nodes in the order they became ready, the nodes
	 * without parents first in index order; children in callback order. */
	GDFO__TOPO_FIFO = 0,
	/* The ready node with the smallest index first (a min-heap). */
	GDFO__TOPO_SMALLEST = 1,
};

typedef struct gdfo__topo {
	size_t n;          /* nodes 0..n-1 */
	const void *user;  /* passed to the callbacks */
	size_t (*n_children)(const void *user, size_t v);
	size_t (*child)(const void *user, size_t v, size_t k); /* k < n_children(v) */
	int tie;           /* GDFO__TOPO_FIFO or GDFO__TOPO_SMALLEST */
	/*
	 * 0: stop at a cycle. 1: when no node is ready, place the smallest
	 * unplaced node anyway (its edges from unplaced parents are ignored)
	 * and go on, so that every node is placed.
	 */
	int break_cycles;
} gdfo__topo;

/*
 * Writes the order into out[0..) and returns how many nodes it placed:
 * t->n, or fewer when a cycle stopped it. work is scratch of t->n
 * entries (FIFO) or 2 * t->n (SMALLEST). Without break_cycles, work[v] is
 * afterwards v's count of unplaced parents: non-zero exactly for the nodes
 * on or behind a cycle. Cannot fail; never allocates.
 */
size_t gdfo__topo_order(size_t *out, size_t *work, const gdfo__topo *t);

/* Child lists in CSR form: the children of v are child[start[v]..start[v + 1]). */
typedef struct gdfo__topo_csr {
	size_t *start; /* n + 1 */
	size_t *child; /* start[n] */
} gdfo__topo_csr;

/*
 * Builds child lists from parent lists (parent(user, v, k) for
 * k < n_parents(user, v)), each list in increasing child index. For DAGs
 * whose owners store only parents. Errors: GDFO_ENOMEM.
 */
int gdfo__topo_csr_from_parents(gdfo__topo_csr *out, size_t n,
				size_t (*n_parents)(const void *user, size_t v),
				size_t (*parent)(const void *user, size_t v, size_t k), const void *user);
void gdfo__topo_csr_free(gdfo__topo_csr *c);

/* gdfo__topo callbacks over a gdfo__topo_csr passed as user. */
size_t gdfo__topo_csr_n_children(const void *csr, size_t v);
size_t gdfo__topo_csr_child(const void *csr, size_t v, size_t k);

#endif
