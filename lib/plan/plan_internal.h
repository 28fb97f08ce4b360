/*
 * The plan's representation and the internal constructors optimizers use
 * to build one. Everything outside lib/ goes through include/gdfo/plan.h.
 */
#ifndef GDFO_PLAN_INTERNAL_H
#define GDFO_PLAN_INTERNAL_H

#include "core/internal.h"
#include "graph/graph_internal.h"
#include "gdfo/loop.h"
#include "gdfo/plan.h"
#include "gdfo/rules.h"

/* A change as the plan owns it (gdfo_change is the borrowed view). */
typedef struct gdfo__change {
	int32_t kind;
	int64_t *stage_ids;
	size_t n_stage_ids;
	char *what;
	char *why;
	double expected_gain;
	double confidence;
	int64_t *attended_ids;
	size_t n_attended_ids;
	char *field;           /* NULL when the change carries no values */
	double old_value, new_value; /* NaN when not applicable */
	char *old_label, *new_label; /* may be NULL */
} gdfo__change;

struct gdfo_plan {
	gdfo_graph *graph;     /* owned */
	char *source;          /* "rules", "learned", ... */
	gdfo__change *changes;
	size_t n_changes, cap_changes;
	gdfo_prediction prediction;
	int32_t risk;          /* gdfo_risk */
	gdfo__change *rejected; /* considered and rejected (why says by what prediction) */
	size_t n_rejected, cap_rejected;
	char **notes;          /* what the optimizer wants the reader to know */
	size_t n_notes, cap_notes;
	char id[GDFO_PLAN_ID_MAX + 1]; /* the closed loop's id ("" without one) */
	gdfo_plan_loop loop;   /* the closed loop's side (step GDFO_STEP_NONE without one) */
};

/* Longest what/why text a plan accepts (JSON input is checked against it). */
#define GDFO__PLAN_TEXT_MAX 4096
#define GDFO__PLAN_SOURCE_MAX 64
/* Longest change field name ("memory_per_executor_bytes"). */
#define GDFO__CHANGE_FIELD_MAX 64

/*
 * Creates a plan holding a deep copy of graph (the caller keeps its
 * graph), made by the optimizer named source (1..64 bytes). Prediction
 * starts all unknown (-1), risk low, no changes.
 * Errors: GDFO_EINVAL (NULL argument, bad source), GDFO_ENOMEM.
 */
int gdfo__plan_create(gdfo_plan **out, const gdfo_graph *graph, const char *source);

/*
 * Like gdfo__plan_create but takes ownership of graph, also on failure
 * (then the graph is freed).
 */
int gdfo__plan_adopt(gdfo_plan **out, gdfo_graph *graph, const char *source);

/*
 * Appends a copy of change. Checked: kind in range, what and why
 * non-empty and at most GDFO__PLAN_TEXT_MAX bytes, expected_gain finite
 * and in [-1e6, 1], confidence in [0, 1], id arrays non-NULL when counted;
 * field NULL or 1..GDFO__CHANGE_FIELD_MAX bytes, labels NULL or
 * 1..GDFO__PLAN_TEXT_MAX bytes, old and new values finite or NaN.
 * Errors: GDFO_EINVAL (message names the field), GDFO_ENOMEM.
 */
int gdfo__plan_add_change(gdfo_plan *plan, const gdfo_change *change);

/*
 * Appends a change the optimizer considered and rejected; checked like
 * gdfo__plan_add_change, but its stage ids need not be in the plan's graph.
 */
int gdfo__plan_add_rejected(gdfo_plan *plan, const gdfo_change *change);

/* A stage as change labels name it: "join 3 'join_orders'" (fits GDFO__STAGE_LABEL_MAX bytes). */
#define GDFO__STAGE_LABEL_MAX 320
void gdfo__stage_label(char *out, size_t size, const gdfo__stage *s);

/* Frees what a plan's change owns (not the change itself). */
void gdfo__change_release(gdfo__change *change);

/* Appends a note (1..GDFO__PLAN_TEXT_MAX bytes). Errors: GDFO_EINVAL, GDFO_ENOMEM. */
int gdfo__plan_add_note(gdfo_plan *plan, const char *note);
/* gdfo__plan_add_note of a formatted note (cut at 1023 bytes). */
int gdfo__plan_add_notef(gdfo_plan *plan, const char *fmt, ...) GDFO__PRINTF(2, 3);

/*
 * Sets the prediction. Each field is -1 (unknown) or finite and >= 0.
 * Errors: GDFO_EINVAL.
 */
int gdfo__plan_set_prediction(gdfo_plan *plan, const gdfo_prediction *p);

/* Sets the risk. Errors: GDFO_EINVAL (not a gdfo_risk). */
int gdfo__plan_set_risk(gdfo_plan *plan, int risk);

/* Sets the closed loop's id (1..GDFO_PLAN_ID_MAX bytes) and side of the plan. */
int gdfo__plan_set_loop(gdfo_plan *plan, const char *id, const gdfo_plan_loop *loop);

/* The plan's graph for in-place rewriting by the optimizer that built it. */
gdfo_graph *gdfo__plan_graph_mut(gdfo_plan *plan);

/*
 * The risk policy (docs/rules.md): HIGH when a change reorders joins,
 * when executors, cores or memory per executor change by a factor of 2
 * or more against baseline (or from/to the engine default), or when the
 * plan asks for more executors than the cluster has; MEDIUM for a
 * resource change of 25 % or more, or any structural rewrite (filter
 * push-down, fusion); LOW otherwise (knob-only plans).
 */
int gdfo__plan_assess_risk(const gdfo_plan *plan, const gdfo_graph *baseline);

/*
 * gdfo_optimize_rules with the check's simulator in check_mode: GDFO_SIM_DES
 * (what gdfo_optimize_rules does) or GDFO_SIM_EXPECTED, its deterministic
 * schedule computed by groups of tasks, 10 times faster (the learned
 * optimizer's rules candidate; lib/plan/rules.c).
 */
int gdfo__optimize_rules_with(gdfo_plan **out, const gdfo_graph *graph, const gdfo_telemetry *t,
			      const gdfo_rules_options *opts, int check_mode);

/* Risk and change-kind names back to values; -1 when unknown. */
int gdfo__change_kind_from_name(const char *name);
int gdfo__risk_from_name(const char *name);

#endif

/* ---- shared by the rewrites and the optimizers (lib/plan/rewrite.c) ---- */

/* Output estimates of a stage: rows_in x selectivity, bytes_in x selectivity. */
double gdfo__stage_out_rows(const gdfo__stage *s);
double gdfo__stage_out_bytes(const gdfo__stage *s);

/* 1 when stage idx or one of its ancestors writes col; 0 if not; GDFO_ENOMEM. */
int gdfo__col_available(const gdfo_graph *g, size_t idx, const char *col);

/* 1 when the stage reads / writes col. */
int gdfo__stage_reads(const gdfo__stage *s, const char *col);
int gdfo__stage_writes(const gdfo__stage *s, const char *col);

/*
 * The input (stage index) of join j the engine may broadcast (see
 * gdfo_rewrite_join_strategy). GDFO_EILLEGAL with a reason when none.
 */
int gdfo__join_broadcast_side(size_t *out, const gdfo_graph *g, size_t j);

/*
 * Critical-path-first priorities (lib/plan/priority.c): rank[i] is the
 * dense rank (1 = shortest) of stage i's longest remaining path to the
 * pipeline's end, each stage weighing work[i]; remaining (may be NULL)
 * receives the path lengths. O(n log n). Errors: GDFO_ENOMEM, GDFO_ECYCLE.
 */
int gdfo__critical_path_ranks(int32_t *rank, double *remaining, const gdfo_graph *g, const double *work);
/* The work model's estimate of a stage's work, ns: rows x cpu_ns_per_row + bytes_in. */
double gdfo__stage_work_estimate(const gdfo__stage *s);

/*
 * gdfo_rewrite_fuse in g itself, for many fusions in a row: the chain's
 * stages after the first stay in g without edges, their indices written
 * to removed[0..n-1) for one gdfo__graph_remove_many after the last
 * fusion (copying the pipeline per fusion was quadratic). On an error g
 * may be half rewritten and must be thrown away.
 */
int gdfo__rewrite_fuse_inplace(gdfo_graph *g, const int64_t *ids, size_t n, size_t *removed);

/*
 * gdfo_rewrite_push_filter rewriting g itself (no copy swapped in): for
 * callers that push many filters on a scratch graph. An illegal push
 * leaves g unchanged; after any other error g must be thrown away.
 */
int gdfo__rewrite_push_filter_inplace(gdfo_graph *g, int64_t filter_id, int64_t side_id);

/*
 * Every narrow chain the rules would fuse, in the order fusing one at a
 * time finds them (lib/plan/rules.c): *out (freed by the caller) holds n,
 * id0..id(n-1) per chain, *len entries in all; *local is 0 when a chain
 * has a cached stage before its last. One Kahn pass.
 */
int gdfo__fuse_chains(int64_t **out, size_t *len, int *local, const gdfo_graph *g);

/* gdfo_rewrite_reorder_joins' checks alone: 0 when legal, GDFO_EILLEGAL with the reason. */
int gdfo__rewrite_reorder_joins_legal(const gdfo_graph *g, int64_t upper_id);

/* 1 for filter, project and udf stages whose fused operators are all narrow. */
int gdfo__stage_is_narrow(const gdfo__stage *s);

/*
 * 1 when stage index i can follow prev in a narrow chain that starts at
 * head: i is narrow, prev is its only parent and i prev's only consumer,
 * and i sets no partition count other than head's (gdfo_rewrite_fuse).
 */
int gdfo__narrow_chain_next(const gdfo_graph *g, size_t prev, size_t i, size_t head);
