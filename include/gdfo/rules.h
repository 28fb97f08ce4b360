/*
 * The rule-based optimizer: the baseline the learned optimizer must beat
 * and its safe fallback. In the spirit of Spark's adaptive query
 * execution it pushes filters down, fuses narrow chains, broadcasts small
 * join inputs, sizes partitions to a target number of bytes, caches
 * stages read by several consumers within a memory budget and gives the
 * stages on the longest remaining path the highest priority. Every
 * change goes through the legality-checked rewrites of rewrite.h and is
 * explained in the plan. docs/rules.md describes each rule.
 */
#ifndef GDFO_RULES_H
#define GDFO_RULES_H

#include "common.h"
#include "graph.h"
#include "objective.h"
#include "plan.h"
#include "sim.h"
#include "telemetry.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GDFO_RULES_OPTIONS_VERSION (1 + GDFO__GROWTH)

/*
 * Options of gdfo_optimize_rules. Initialize with gdfo_rules_options_init;
 * fields are only ever appended. Switches are 1 (on) or 0 (off).
 */
typedef struct gdfo_rules_options {
	uint32_t version;        /* GDFO_RULES_OPTIONS_VERSION */
	int32_t push_filters;    /* move filters below projects and joins; default 1 */
	int32_t fuse_narrow;     /* fuse chains of filter/project/udf stages; default 1 */
	int32_t broadcast_joins; /* broadcast join inputs under broadcast_max_bytes; default 1 */
	int32_t set_partitions;  /* size shuffle and scan partitions; default 1 */
	int32_t cache_shared;    /* cache stages with 2+ consumers; default 1 */
	int32_t set_priorities;  /* critical-path-first priorities; default 1 */
	int32_t reorder_joins;   /* run the more selective of two inner joins first;
				    default 0 (Spark AQE does not reorder; plans that do are high risk) */
	int64_t target_partition_bytes; /* bytes per partition; default 128 MiB, >= 1 MiB */
	int64_t min_partition_bytes;    /* smallest partition when spreading over all cores;
					   default 1 MiB, > 0 and <= target */
	int64_t broadcast_max_bytes;    /* largest input to broadcast, > 0; 0 (default): the
					   pipeline's knob broadcast_threshold_bytes when set
					   (-1: broadcast nothing), else 10 MiB */
	int64_t cache_budget_bytes;     /* memory for cached stages; -1 (default) derives it
					   as cache_memory_fraction x executors x memory per
					   executor when the graph knows both (else 0);
					   0 caches on disk only */
	double cache_memory_fraction;   /* default 0.3 (Spark: memory.fraction 0.6 x
					   storageFraction 0.5); in (0, 1] */
	double partition_change_min;    /* change an explicit partition count only when the
					   target differs from it by this fraction; default 0.25, >= 0 */
	int32_t check_changes;          /* check every change group with the simulator and drop
					   the ones predicted worse under objective (docs/rules.md
					   "Checked against the model"): -1 (default) when a cluster
					   is known (cluster below is set, or the graph's cluster
					   has a field > 0) or telemetry is given (the model is then
					   calibrated to it), 1 always (built-in cluster model when
					   cluster is NULL), 0 never (expected gains then come
					   from the work model) */
	const gdfo_objective *objective; /* what "worse" means; NULL (default) = the defaults of
					    gdfo_objective_init (throughput, latency and cost
					    weights 1, failure penalty 1); borrowed for the call */
	const gdfo_sim_cluster *cluster; /* the cluster model of the check; NULL (default) =
					    gdfo_sim_cluster_init's; borrowed for the call */
	GDFO__GROWTH_FIELD
} gdfo_rules_options;

/*
 * Fills *opts with the defaults above. Errors: GDFO_EINVAL (NULL),
 * GDFO_EVERSION (a version this library does not know).
 */
GDFO_API int gdfo_rules_options_init(gdfo_rules_options *opts, unsigned int version);

/*
 * Optimizes graph with the rules and returns a new plan (source "rules")
 * holding the rewritten graph, one explained change per modification,
 * the risk level (docs/rules.md) and predictions left unknown (-1)
 * (gdfo_sim_predict_plan fills them). The input graph is not modified.
 *
 * With the check on (opts->check_changes), each change group (one rule's
 * structural rewrites; one join, stage or cache decision for the knob
 * rules) is simulated (DES, deterministic, opts->cluster) and kept only
 * when the plan's objective (opts->objective, relative to the input) is
 * not worse with it; dropped groups are listed as considered and
 * rejected with their prediction (gdfo_plan_rejected_at), so the returned
 * plan is never predicted worse than its input on that cluster. On large
 * pipelines, once a budget of knob groups checked alone is spent (100,000
 * / stages, at least 16), the remaining knob groups are checked in batches
 * of 2, 4, 8, ... groups, each kept or rejected whole (a plan note says
 * so; docs/rules.md "Checked against the model"). Each
 * change's expected_gain is then its share of the plan's predicted
 * objective gain: the marginal effect of its group in the final plan,
 * with interactions shared out in proportion (docs/rules.md); they add
 * up to the plan's total. A note (gdfo_plan_note_at) states the check.
 *
 * telemetry (may be NULL) is a previous run of the same pipeline: a
 * record is used where its stage id and name match a stage of graph
 * (unnamed records of telemetry without a fingerprint: by id alone);
 * measured shuffle bytes and durations are preferred to the graph's
 * estimates where they still describe the stage (a stage that a rewrite
 * moved uses estimates). Telemetry whose fingerprint is not the graph's
 * and of which some records do not match is used where it matches and
 * the plan notes the rest (gdfo_plan_note_at); docs/rules.md "Telemetry".
 * opts may be NULL for the defaults.
 *
 * The result graph is validated; a rule that would produce an invalid
 * graph is a bug reported as GDFO_EINTERNAL.
 * Errors: GDFO_EINVAL (out or graph NULL, an option out of range or a
 * bad objective or cluster (named), the
 * graph invalid, telemetry none of whose records matches a stage of the
 * graph by id and name: the message names both fingerprints and the
 * stages that do not match), GDFO_EVERSION (opts->version), GDFO_ECYCLE,
 * GDFO_ENOMEM, GDFO_EINTERNAL. On failure *out is NULL.
 * The caller frees the plan with gdfo_plan_free.
 * Thread-safe for distinct outputs (the check uses a simulator of its
 * own); graph, telemetry, objective and cluster are only read.
 */
GDFO_API int gdfo_optimize_rules(gdfo_plan **out, const gdfo_graph *graph,
				 const gdfo_telemetry *telemetry, const gdfo_rules_options *opts);

#ifdef __cplusplus
}
#endif

#endif
