/*
 * The decision space's representation, shared by its builder (space.c),
 * apply and projection (space_apply.c) and JSON (space_json.c).
 */
#ifndef GDFO_SPACE_INTERNAL_H
#define GDFO_SPACE_INTERNAL_H

#include <stdarg.h>

#include "gdfo/space.h"
#include "graph/graph_internal.h"

typedef struct gdfo__choice {
	int64_t value; /* what apply sets (kind-specific, space.h); 0 for keep */
	int64_t aux;   /* structural: the stage id that shows the choice was taken
			  (push: the filter's parent after the step; reorder: the
			  lower join; fuse: the chain's second stage) */
	int legal;
	int owned;     /* label is the space's own copy (else a static string) */
	char *label;
} gdfo__choice;

typedef struct gdfo__decision {
	int32_t kind;
	int64_t stage_id; /* -1 for graph resources */
	char *name;
	gdfo__choice *c;  /* c[0] is keep */
	size_t n, cap, n_legal;
} gdfo__decision;

struct gdfo_space {
	gdfo_graph *graph;    /* the input, owned */
	gdfo_sim_cluster cluster; /* resources when the graph's knobs are 0; the broadcast bound */
	double broadcast_max_bytes;
	gdfo__decision *d;
	size_t dim, cap;
};

/* An empty space over a copy of graph. Errors: GDFO_ENOMEM. */
int gdfo__space_new(gdfo_space **out, const gdfo_graph *graph, const gdfo_sim_cluster *cluster);
void gdfo__space_free_decisions(gdfo_space *s);

/* Appends a decision holding its keep choice; NULL when out of memory. */
gdfo__decision *gdfo__space_add(gdfo_space *s, int kind, int64_t stage_id, const char *fmt, ...)
	GDFO__PRINTF(4, 5);
/* Appends a choice whose label is a static string (not copied). Errors: GDFO_ENOMEM. */
int gdfo__space_choice_static(gdfo__decision *d, int64_t value, int64_t aux, int legal, const char *label);
/* Appends a choice. Errors: GDFO_ENOMEM. */
int gdfo__space_choice(gdfo__decision *d, int64_t value, int64_t aux, int legal, const char *fmt, ...)
	GDFO__PRINTF(5, 6);

int gdfo__decision_kind_from_name(const char *name);
/* 1 for decisions whose choices have no order (join strategy, cache level). */
int gdfo__decision_is_categorical(int kind);
/* 1 for decisions about the whole graph (stage_id -1). */
int gdfo__decision_is_graph_wide(int kind);
/* Position of choice c on its decision's (log) scale; see space.c. */
double gdfo__choice_position(const gdfo_space *s, const gdfo__decision *d, size_t c);

/*
 * Most partitions a choice gives a stage. Spark's driver schedules and
 * tracks every task (tens of milliseconds of driver time per thousand
 * tasks, and the task-set's metadata in its heap), so stages of more than
 * about 20,000 tasks are a known anti-pattern; simulating them also costs
 * seconds per run. Grid values that would exceed it on the input are
 * masked, and growth past it is capped.
 */
#define GDFO__SPACE_TASKS_MAX 20000

/*
 * The partition count a partitions choice gives a stage of `bytes` in g:
 * value > 0 bytes per partition, value < 0 that many times g's cores
 * (its knobs, else the space's cluster), 0 the engine default (0).
 */
int32_t gdfo__space_partitions(const gdfo_space *s, const gdfo_graph *g, double bytes, int64_t value);
/*
 * The graph gdfo_space_apply's plan of point (s->dim choices, checked by
 * the caller) would have, without the plan: no changes, notes nor their
 * text. For callers that only score or encode the graph (the learned
 * planner's structural steps and marginals). GDFO_ENOMEM; GDFO_EINTERNAL
 * if the graph does not validate.
 */
int gdfo__space_apply_graph(gdfo_graph **out, const gdfo_space *s, const int32_t *point);
/* The knob decisions of point applied to g, a copy of s's graph (lib/plan/space_apply.c). */
int gdfo__space_apply_knobs(gdfo_graph *g, const gdfo_space *s, const int32_t *point);

/* The resources g runs with: its knobs, else the cluster model's (executors, cores, memory bytes). */
void gdfo__space_effective_resources(const gdfo_graph *g, const gdfo_sim_cluster *cl, double *e, double *cores,
				     double *mem);

/* "1.5 GiB", "256 MiB". */
void gdfo__fmt_bytes(char *out, size_t size, double bytes);

/*
 * The maximal narrow chain starting at stage index head (a chain's
 * first stage): writes its ids (at most g->n) and returns its length.
 */
size_t gdfo__narrow_chain(const gdfo_graph *g, size_t head, int64_t *ids);

#endif
