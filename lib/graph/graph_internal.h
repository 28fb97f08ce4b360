/*
 * The pipeline graph's representation, shared by the parts of libgdfo
 * that read graphs in their hot loops (simulator, encoder features,
 * rewrites). Everything outside lib/ goes through include/gdfo/graph.h.
 */
#ifndef GDFO_GRAPH_INTERNAL_H
#define GDFO_GRAPH_INTERNAL_H

#include "core/idmap.h"
#include "core/internal.h"
#include "core/topo.h"
#include "gdfo/graph.h"

typedef struct gdfo__stage {
	int64_t id;
	char *name;
	int32_t op;
	int32_t join_type;
	uint32_t fused_ops;
	gdfo_stage_stats stats;
	gdfo_stage_knobs knobs;
	char **cols_read;
	size_t n_read;
	char **cols_written;
	size_t n_written;
	size_t *parents;   /* stage indices, in the order the edges were added */
	size_t n_parents, cap_parents;
	size_t *children;  /* stage indices */
	size_t n_children, cap_children;
} gdfo__stage;

struct gdfo_graph {
	char *name;
	gdfo__stage *stages;
	size_t n, cap;
	gdfo_graph_knobs knobs;
	gdfo_cluster cluster;
	gdfo__idmap ids;    /* stage id -> index */
};

/* A caller's stage resolved to the library's latest struct versions. */
typedef struct gdfo__stage_in {
	gdfo_stage stage; /* stats and knobs point at the two below */
	gdfo_stage_stats stats;
	gdfo_stage_knobs knobs;
} gdfo__stage_in;

/*
 * Resolves and checks one stage's own fields (the message names the
 * stage and field; func names the public call). NULL stats or knobs take
 * current's (update) or the table defaults (current NULL); fields newer
 * than the caller's version take the table defaults.
 */
int gdfo__graph_stage_in(gdfo__stage_in *in, const gdfo_stage *stage, const gdfo__stage *current,
			 const char *func);

/* Initializes stage, stats and knobs to their defaults and points stage at the two. */
void gdfo__stage_defaults(gdfo_stage *stage, gdfo_stage_stats *stats, gdfo_stage_knobs *knobs);

/* A latest-version public view of s; pointers borrowed from s. */
void gdfo__graph_stage_view(gdfo_stage *out, const gdfo__stage *s);

/* Index of id, or (size_t)-1. */
size_t gdfo__graph_index(const gdfo_graph *g, int64_t id);

/*
 * gdfo__topo_order over g's child lists with tie (GDFO__TOPO_FIFO or
 * GDFO__TOPO_SMALLEST); work holds n (FIFO) or 2 * n entries. Returns the
 * count placed (< n on a cycle).
 */
size_t gdfo__graph_topo(size_t *order, size_t *work, const gdfo_graph *g, int tie);

/*
 * Adds an edge between stage indices without the cycle check (bulk
 * loaders call gdfo_graph_validate once at the end). Duplicate edges are
 * still refused with GDFO_EEXISTS.
 */
int gdfo__graph_link(gdfo_graph *g, size_t parent, size_t child);

/* Removes the edge parent -> child if present. */
void gdfo__graph_unlink(gdfo_graph *g, size_t parent, size_t child);

/*
 * Removes the stage at index and its edges. Indices above it shift down
 * by one everywhere in the graph.
 */
void gdfo__graph_remove(gdfo_graph *g, size_t index);

/* Removes the stages at index[0..count) at once (index is sorted in place). */
void gdfo__graph_remove_many(gdfo_graph *g, size_t *index, size_t count);

/* A stage that is no longer than 255 bytes, etc.: GDFO_STAGE_NAME_MAX. */
#define GDFO__NAME_MAX 255

#endif
