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
#include "plan.h"
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
	int64_t broadcast_max_bytes;    /* largest input to broadcast; default 10 MiB, > 0 */
	int64_t cache_budget_bytes;     /* memory for cached stages; -1 (default) derives it
					   as cache_memory_fraction x executors x memory per
					   executor when the graph knows both (else 0);
					   0 caches on disk only */
	double cache_memory_fraction;   /* default 0.3 (Spark: memory.fraction 0.6 x
					   storageFraction 0.5); in (0, 1] */
	double partition_change_min;    /* change an explicit partition count only when the
					   target differs from it by this fraction; default 0.25, >= 0 */
	int32_t check_changes;          /* added to version 1 before 0.2 was released */
	const void *objective;
	const void *cluster;
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
 * the risk level (docs/rules.md) and predictions left unknown (-1): the
 * rules have no cost model. The input graph is not modified.
 *
 * telemetry (may be NULL) is a previous run of the same pipeline, keyed
 * by stage id: measured shuffle bytes and durations are preferred to the
 * graph's estimates where they still describe the stage (a stage that a
 * rewrite moved uses estimates). opts may be NULL for the defaults.
 *
 * The result graph is validated; a rule that would produce an invalid
 * graph is a bug reported as GDFO_EINTERNAL.
 * Errors: GDFO_EINVAL (out or graph NULL, an option out of range, the
 * graph invalid, telemetry that matches none of the graph's stages; the
 * message names it), GDFO_EVERSION (opts->version), GDFO_ECYCLE,
 * GDFO_ENOMEM, GDFO_EINTERNAL. On failure *out is NULL.
 * The caller frees the plan with gdfo_plan_free.
 * Thread-safe for distinct outputs; graph and telemetry are only read.
 */
GDFO_API int gdfo_optimize_rules(gdfo_plan **out, const gdfo_graph *graph,
				 const gdfo_telemetry *telemetry, const gdfo_rules_options *opts);

#ifdef __cplusplus
}
#endif

#endif
