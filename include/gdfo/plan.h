/*
 * Plans: what an optimizer returns. A plan holds the rewritten pipeline
 * graph (with its knobs, priorities and resource blueprint), the
 * predicted latency, throughput and cost, one rationale per change, and
 * a risk level saying whether a human should approve it.
 *
 * Getters fill caller structs whose string and array pointers are
 * borrowed until the plan is freed or mutated.
 * Thread safety: concurrent reads are safe; mutation needs exclusive access.
 */
#ifndef GDFO_PLAN_H
#define GDFO_PLAN_H

#include "common.h"
#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Kinds of change a plan makes. Append-only. */
typedef enum gdfo_change_kind {
	GDFO_CHANGE_PUSH_FILTER = 0,   /* a filter moved below a project or join */
	GDFO_CHANGE_FUSE = 1,          /* a chain of narrow stages became one stage */
	GDFO_CHANGE_CACHE = 2,         /* a stage's output is cached for its consumers */
	GDFO_CHANGE_JOIN_STRATEGY = 3, /* a join's strategy was chosen */
	GDFO_CHANGE_PARTITIONS = 4,    /* a stage's partition count was set */
	GDFO_CHANGE_REORDER_JOINS = 5, /* two commutative inner joins swapped inputs */
	GDFO_CHANGE_PRIORITY = 6,      /* a stage's scheduling priority was set */
	GDFO_CHANGE_RESOURCES = 7,     /* executors, cores or memory changed */
	GDFO_CHANGE_FILE_SIZING = 8    /* a sink's target file size or compaction changed */
} gdfo_change_kind;
#define GDFO_CHANGE_KIND_COUNT 9

/* Risk of applying a plan without review. Append-only. */
typedef enum gdfo_risk {
	GDFO_RISK_LOW = 0,
	GDFO_RISK_MEDIUM = 1,
	GDFO_RISK_HIGH = 2   /* needs human approval */
} gdfo_risk;

/*
 * One change and why it was made. stage_ids lists the stages it touches
 * (ids in the plan's graph; a fused stage keeps the id of the chain's
 * first stage). attended_ids lists the stages whose statistics drove the
 * decision. expected_gain is the predicted fractional latency reduction
 * (0.1 = 10 % faster; negative when the change trades latency for cost),
 * confidence is in [0, 1].
 *
 * New after 0.2 (GDFO_CHANGE_VERSION 2): what was set from what to what,
 * for programs. Every change sets one field (a change of executors and one of
 * cores are two changes); field names the knob or edit:
 *
 *   field                      old_value, new_value
 *   "partitions"               the stage's partition count (0: engine default)
 *   "join_strategy"            gdfo_join_strategy values
 *   "cache"                    gdfo_cache_level values
 *   "priority"                 the stage's priority
 *   "target_file_bytes"        the sink's target file size, bytes (0: engine default)
 *   "compaction_every"         the sink's compaction cadence, runs (0: never)
 *   "executors"                graph knobs (0: engine default)
 *   "cores_per_executor"
 *   "memory_per_executor_bytes"
 *   "push_filter"              id of the stage the filter read from before / reads from
 *                              now (after one or more steps down)
 *   "reorder_joins"            id of the join that ran first before / runs first now
 *   "fuse"                     stages in the chain before / after (1)
 *   "priority_policy"          every stage's priority at once (gdfo_space_apply):
 *                              old NaN, new the choice (1 critical path first, 0 all equal)
 *
 * Knob names are those of gdfo_stage_knobs and gdfo_graph_knobs. A value
 * that does not apply is NaN. old_label and new_label are short human
 * labels of the values ("broadcast", "64", "256 MiB", "engine default",
 * "join 3 'join_orders'"), NULL when there is none (fuse, the old value
 * of priority_policy). Ids are those of the
 * pipeline the change was made on (like attended_ids). A change read
 * from plan JSON without them (written by 0.2) has field, old_label and
 * new_label NULL and both values NaN.
 */
#define GDFO_CHANGE_VERSION (2 + GDFO__GROWTH)

typedef struct gdfo_change {
	uint32_t version;           /* GDFO_CHANGE_VERSION */
	int32_t kind;               /* gdfo_change_kind */
	const int64_t *stage_ids;
	size_t n_stage_ids;
	const char *what;           /* "stage 4 'filter_recent' moved below join 3" */
	const char *why;            /* "reads only orders columns; cuts join input 60 %" */
	double expected_gain;
	double confidence;
	const int64_t *attended_ids;
	size_t n_attended_ids;
	const char *field;          /* "join_strategy"; NULL when unknown (version 2 on) */
	double old_value;           /* NaN when not applicable */
	double new_value;
	const char *old_label;      /* "sort_merge"; may be NULL */
	const char *new_label;      /* "broadcast"; may be NULL */
	GDFO__GROWTH_FIELD
} gdfo_change;

#define GDFO_PREDICTION_VERSION (1 + GDFO__GROWTH)

/*
 * Predicted outcome of running the plan. Unknown values are -1. A latency
 * is end to end: its execution part (first task to last, on executors
 * already up) plus a fixed per-run overhead (driver time, executor
 * start-up, gaps between jobs) that a plan does not change. calibrated
 * says whether the model was fitted to telemetry of the pipeline
 * (gdfo_sim_calibrate): then the overhead was fitted to the measured run
 * latency (measured_latency_ms) and stages_calibrated of the plan's
 * stages run at their measured task times; otherwise the overhead is the
 * model's executor start-up and no stage is calibrated.
 */
typedef struct gdfo_prediction {
	uint32_t version;    /* GDFO_PREDICTION_VERSION */
	double latency_ms;
	double throughput;   /* records per second */
	double cost;         /* currency units */
	double baseline_latency_ms; /* the same prediction for the input pipeline */
	double baseline_cost;
	double execution_ms;          /* latency_ms without the fixed overhead */
	double baseline_execution_ms; /* baseline_latency_ms without it */
	double overhead_ms;           /* the fixed per-run overhead in both latencies */
	double measured_latency_ms;   /* calibrated: the run latency the overhead was fitted to */
	int32_t calibrated;           /* 1: the calibrated model; 0: uncalibrated (-1 unknown) */
	int32_t stages_calibrated;    /* plan stages with measured task times (-1 unknown) */
	int32_t baseline_stages_calibrated; /* input stages with measured task times (-1 unknown) */
	int32_t reserved;
	GDFO__GROWTH_FIELD
} gdfo_prediction;

typedef struct gdfo_plan gdfo_plan;

/* Frees a plan and everything it owns. NULL does nothing. */
GDFO_API void gdfo_plan_free(gdfo_plan *plan);

/* The rewritten graph; borrowed, lives as long as the plan. NULL if plan is NULL. Thread-safe. */
GDFO_API const gdfo_graph *gdfo_plan_graph(const gdfo_plan *plan);

/* Name of the optimizer that made the plan ("rules", "learned"); borrowed, lives as long as the plan. NULL if plan is NULL. */
GDFO_API const char *gdfo_plan_source(const gdfo_plan *plan);

/* Number of changes (0 for NULL). */
GDFO_API size_t gdfo_plan_change_count(const gdfo_plan *plan);

/*
 * Fills the fields of out->version (set it first, GDFO_CHANGE_VERSION)
 * with change index (0..count-1, the order the optimizer made them);
 * strings and arrays are borrowed until the plan is freed or mutated.
 * Errors: GDFO_EINVAL (NULL), GDFO_EVERSION, GDFO_ERANGE (index).
 */
GDFO_API int gdfo_plan_change_at(gdfo_change *out, const gdfo_plan *plan, size_t index);

/*
 * Changes the optimizer considered and rejected (gdfo_optimize_rules drops
 * a change group its simulator check predicts worse under the objective):
 * what and why as for a change, why ending with the prediction that
 * rejected it; expected_gain is the predicted effect (negative: worse);
 * stage ids name stages of the graph the change was tried on, which may
 * not be in the plan's graph. Same conventions as gdfo_plan_change_at.
 */
GDFO_API size_t gdfo_plan_rejected_count(const gdfo_plan *plan);
GDFO_API int gdfo_plan_rejected_at(gdfo_change *out, const gdfo_plan *plan, size_t index);

/*
 * Notes: one-line remarks the optimizer wants the reader to know (how
 * the changes were checked, telemetry records that were not used). The
 * string is borrowed until the plan is freed; NULL when index is out of
 * range or plan is NULL.
 */
GDFO_API size_t gdfo_plan_note_count(const gdfo_plan *plan);
GDFO_API const char *gdfo_plan_note_at(const gdfo_plan *plan, size_t index);

/*
 * Fills the fields of out->version (set it first, GDFO_PREDICTION_VERSION)
 * with the plan's predictions; all -1 when none were made.
 * Errors: GDFO_EINVAL (NULL), GDFO_EVERSION.
 */
GDFO_API int gdfo_plan_prediction(gdfo_prediction *out, const gdfo_plan *plan);

/* gdfo_risk of the plan (GDFO_RISK_LOW for NULL). */
GDFO_API int gdfo_plan_risk(const gdfo_plan *plan);

/* Names of enum values ("push_filter", "high"); NULL if out of range. Static, thread-safe. */
GDFO_API const char *gdfo_change_kind_name(int kind);
GDFO_API const char *gdfo_risk_name(int risk);

/*
 * Plan JSON ("format": "gdfo-plan/1", docs/formats.md): the graph in
 * pipeline form plus changes, prediction and risk. Same conventions as
 * the pipeline JSON functions.
 */
GDFO_API int gdfo_plan_from_json(gdfo_plan **out, const char *json, size_t len);
GDFO_API int gdfo_plan_to_json(char **out, const gdfo_plan *plan);
GDFO_API int gdfo_plan_load(gdfo_plan **out, const char *path);
GDFO_API int gdfo_plan_save(const gdfo_plan *plan, const char *path);

/*
 * A human-readable account of the plan: each change with what, why,
 * expected gain and confidence, and the predictions against the input
 * pipeline. Caller frees with gdfo_free. Errors: GDFO_EINVAL, GDFO_ENOMEM.
 */
GDFO_API int gdfo_plan_explain(char **out, const gdfo_plan *plan);

#ifdef __cplusplus
}
#endif

#endif
