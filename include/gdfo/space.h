/*
 * The decision space: what an optimizer may decide for one pipeline on
 * one cluster, and how a choice of decisions becomes a plan. Every
 * optimizer (random and local search, Optuna through the bindings, the
 * benchmark's oracle, the learned policy) searches the same space, so
 * their plans are comparable and none can do what another may not.
 *
 * A space is a list of decisions. Each decision has a kind (structural:
 * push a filter down, reorder two joins, fuse a narrow chain; per stage:
 * partitions, join strategy, cache level, priority, sink file size,
 * compaction cadence; graph-wide: executors, cores, memory, the priority
 * policy) and a
 * list of choices. Choice 0 of every decision is "keep": the input's own
 * value. A point is one choice index per decision (int32_t[dim]); the
 * all-zero point is the input itself. Choices that are illegal for the
 * pipeline (a broadcast over the bound, caching a stage with one
 * consumer, repartitioning below a global sort) or that repeat the
 * input's value are masked: sample and neighbours never produce them and
 * apply refuses them. docs/space.md lists the decisions, their grids and
 * the order in which a point is applied.
 *
 * Structural choices are requests checked when applied: they were legal
 * on the input graph (fusions: on the input, or on the input with every
 * filter pushed down, which can create a chain), but an earlier structural
 * choice of the same point
 * may make one illegal or empty (a filter pushed one step less leaves the
 * next join out of its reach). Such a choice is skipped and the plan says
 * so in a note (gdfo_plan_note_at); the plan is always a valid graph.
 *
 * Thread safety: a space is immutable after creation; every function
 * below may be called from many threads on one space.
 */
#ifndef GDFO_SPACE_H
#define GDFO_SPACE_H

#include "common.h"
#include "graph.h"
#include "plan.h"
#include "sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The format tag of the JSON export. */
#define GDFO_SPACE_FORMAT "gdfo-space/1"

/* Kinds of decision. Append-only. */
typedef enum gdfo_decision_kind {
	GDFO_DECISION_PUSH_FILTER = 0,   /* push filter stage_id down by up to N steps */
	GDFO_DECISION_REORDER_JOINS = 1, /* reorder upper inner join stage_id with its input join */
	GDFO_DECISION_FUSE = 2,          /* fuse the narrow chain starting at stage_id */
	GDFO_DECISION_PARTITIONS = 3,    /* stage partitions: bytes per partition on a grid */
	GDFO_DECISION_JOIN_STRATEGY = 4, /* a join's gdfo_join_strategy */
	GDFO_DECISION_CACHE = 5,         /* a shared stage's gdfo_cache_level */
	GDFO_DECISION_PRIORITY = 6,      /* a stage's scheduling priority: -1, 0 or +1 */
	GDFO_DECISION_FILE_SIZE = 7,     /* a sink's target file size, bytes */
	GDFO_DECISION_COMPACTION = 8,    /* a sink's compaction cadence, runs (0 = never) */
	GDFO_DECISION_EXECUTORS = 9,     /* graph: executors */
	GDFO_DECISION_CORES = 10,        /* graph: cores per executor */
	GDFO_DECISION_MEMORY = 11,       /* graph: memory per executor, bytes */
	GDFO_DECISION_PRIORITY_POLICY = 12 /* graph: 1 critical path first, 0 all equal */
} gdfo_decision_kind;
#define GDFO_DECISION_KIND_COUNT 13

#define GDFO_SPACE_OPTIONS_VERSION (1 + GDFO__GROWTH)

/*
 * Which decisions a space offers. Initialize with gdfo_space_options_init.
 * Switches are 1 (on) or 0 (off).
 */
typedef struct gdfo_space_options {
	uint32_t version;           /* GDFO_SPACE_OPTIONS_VERSION */
	int32_t structural;         /* push-downs, fusions (1) */
	int32_t reorder_joins;      /* join reorders (1; plans that use one are high risk) */
	int32_t stage_knobs;        /* partitions, join strategy, cache, file sizing (1) */
	int32_t priorities;         /* the priority policy, when stages can run side by side (1) */
	int32_t stage_priorities;   /* per-stage priorities -1/0/+1 where stages of one depth
				       can run side by side (0: many decisions, little effect) */
	int32_t resources;          /* executors, cores, memory (1) */
	int32_t max_executors;      /* largest executor count offered; 0 (default) = the
				       graph's cluster executors_available when known, else
				       4 x the pipeline's executors */
	double broadcast_max_bytes; /* largest join input offered for broadcast; 0 (default) =
				       the cluster model's broadcast_max_bytes (a larger
				       broadcast fails the run in the simulator) */
	const gdfo_sim_cluster *cluster; /* executors, cores and memory the pipeline runs with
					    when its knobs are 0, and the broadcast bound;
					    NULL = gdfo_sim_cluster_init's; borrowed for the call */
	GDFO__GROWTH_FIELD
} gdfo_space_options;

/* Fills *opts with the defaults above. Errors: GDFO_EINVAL (NULL), GDFO_EVERSION. */
GDFO_API int gdfo_space_options_init(gdfo_space_options *opts, unsigned int version);

typedef struct gdfo_space gdfo_space;

/*
 * Builds the space of graph: finds every structural candidate with
 * check-only rewrites on copies of the graph, lists every stage knob
 * and resource decision with its grid and masks. The graph is only
 * read; the space keeps a copy (a space outlives its graph).
 * opts may be NULL for the defaults.
 * Errors: GDFO_EINVAL (NULL, an invalid graph or option, named),
 * GDFO_EVERSION, GDFO_ECYCLE, GDFO_ENOMEM. On failure *out is NULL.
 */
GDFO_API int gdfo_space_create(gdfo_space **out, const gdfo_graph *graph, const gdfo_space_options *opts);

/* Frees a space. NULL does nothing. */
GDFO_API void gdfo_space_free(gdfo_space *space);

/* The input graph the space was built from (its copy); borrowed. NULL for NULL. */
GDFO_API const gdfo_graph *gdfo_space_graph(const gdfo_space *space);

/* Number of decisions: the length of a point. 0 for NULL. */
GDFO_API size_t gdfo_space_dim(const gdfo_space *space);

#define GDFO_DECISION_VERSION (1 + GDFO__GROWTH)

/* One decision as gdfo_space_decision_at describes it; strings borrowed from the space. */
typedef struct gdfo_decision {
	uint32_t version;   /* GDFO_DECISION_VERSION */
	int32_t kind;       /* gdfo_decision_kind */
	int64_t stage_id;   /* the stage it is about; -1 for graph-wide decisions */
	const char *name;   /* "partitions of 7 'agg_daily'" */
	size_t n_choices;   /* including choice 0, "keep" */
	size_t n_legal;     /* choices not masked, including "keep" */
	GDFO__GROWTH_FIELD
} gdfo_decision;

/*
 * Fills out (set out->version first) with decision index.
 * Errors: GDFO_EINVAL (NULL), GDFO_EVERSION, GDFO_ERANGE (index).
 */
GDFO_API int gdfo_space_decision_at(gdfo_decision *out, const gdfo_space *space, size_t index);

/*
 * Choice c of decision d: its value (what apply sets: steps pushed, 0/1
 * for reorder and fuse, bytes per partition, a gdfo_join_strategy or
 * gdfo_cache_level, a priority, bytes, runs, executors, cores or bytes;
 * 0 for "keep"), its label ("keep", "256 MiB per partition", "broadcast")
 * and whether it is legal (1) or masked (0). Any of value, label, legal
 * may be NULL. Errors: GDFO_EINVAL (space NULL), GDFO_ERANGE (d or c).
 */
GDFO_API int gdfo_space_choice(int64_t *value, const char **label, int *legal, const gdfo_space *space,
			       size_t d, size_t c);

/*
 * Checks a point: n equals the space's dim and every choice is in range
 * and legal; the message names the first decision that is not.
 * Errors: GDFO_EINVAL.
 */
GDFO_API int gdfo_space_check(const gdfo_space *space, const int32_t *point, size_t n);

/*
 * Draws a point: every decision's choice uniformly among its legal ones.
 * *rng is the caller's random state (any value to start; it is advanced),
 * so a sequence of draws is reproducible. Errors: GDFO_EINVAL.
 */
GDFO_API int gdfo_space_sample(int32_t *point, size_t n, const gdfo_space *space, uint64_t *rng);

/*
 * The neighbours of point: each differs from it in one decision moved one
 * step: for ordered decisions (steps, sizes, counts) to the nearest legal
 * choice below and above on a log scale where keep sits at the input's own
 * value; for categorical ones (join strategy, cache level, priority
 * policy) to every other legal choice. Writes up to
 * capacity points, each of dim entries, one after another into out, and
 * the number of neighbours there are into *count (out may be NULL with
 * capacity 0 to count them). Errors: GDFO_EINVAL (NULL, a bad point).
 */
GDFO_API int gdfo_space_neighbours(int32_t *out, size_t capacity, size_t *count, const gdfo_space *space,
				   const int32_t *point, size_t n);

/*
 * Applies point to a copy of the input graph and returns the plan:
 * source names the optimizer that chose the point ("random", "tpe",
 * 1..64 bytes); one change per decision whose choice changed the graph,
 * with what changed and why ("<source> chose it" and the facts the
 * choice rests on); notes for structural choices skipped as explained
 * at the top; predictions unknown (-1; gdfo_sim_predict_plan fills them);
 * risk as for the rules (docs/rules.md). Decisions are applied in the
 * order of docs/space.md: push-downs, reorders, fusions, then stage
 * knobs (partition counts from the stage's bytes after the structural
 * changes), then resources.
 * Errors: GDFO_EINVAL (NULL, a bad source, a point gdfo_space_check
 * refuses), GDFO_ENOMEM, GDFO_EINTERNAL (the result did not validate: a
 * bug). On failure *out is NULL.
 */
GDFO_API int gdfo_space_apply(gdfo_plan **out, const gdfo_space *space, const int32_t *point, size_t n,
			      const char *source);

/*
 * The point nearest to a graph derived from the space's input (a rules
 * plan's graph, a known-good plan): for each decision the choice whose
 * effect the graph shows (a structural rewrite done or not; the grid
 * value nearest the graph's knob, on a log scale; keep when the graph
 * keeps the input's value). Used to start local search from another
 * optimizer's plan; applying the point need not give graph back exactly
 * (grids are coarser than free values). Errors: GDFO_EINVAL (NULL, n not
 * dim), GDFO_ENOMEM.
 */
GDFO_API int gdfo_space_point_of(int32_t *point, size_t n, const gdfo_space *space, const gdfo_graph *graph);

/*
 * The space as JSON ("format": "gdfo-space/1", docs/formats.md): the
 * pipeline's name and fingerprint, and every decision with its kind,
 * stage, name and choices (label, value, legal). The caller frees *out
 * with gdfo_free. Errors: GDFO_EINVAL, GDFO_ENOMEM.
 */
GDFO_API int gdfo_space_to_json(char **out, const gdfo_space *space);

/*
 * Reads a space exported by gdfo_space_to_json for graph (which must have
 * the fingerprint the export names): the decisions, grids and masks are
 * taken from the text, so a space stored with a study is the same space
 * when reloaded. len bytes of json are parsed.
 * Errors: GDFO_EFORMAT (not a gdfo-space/1 document, a bad field, a
 * decision about a stage graph does not have; named), GDFO_EINVAL (NULL,
 * the fingerprint differs, an invalid graph), GDFO_ENOMEM. On failure
 * *out is NULL.
 */
GDFO_API int gdfo_space_from_json(gdfo_space **out, const gdfo_graph *graph, const char *json, size_t len);

/* Name of a gdfo_decision_kind ("partitions"); NULL if out of range. Static, thread-safe. */
GDFO_API const char *gdfo_decision_kind_name(int kind);

#ifdef __cplusplus
}
#endif

#endif
