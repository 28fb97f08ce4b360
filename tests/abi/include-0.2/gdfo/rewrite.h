/*
 * Legality-checked plan transformations. Each function rewrites a
 * pipeline graph in place and checks first that the rewrite preserves
 * what the pipeline computes; when it would not (or when the statistics
 * or column lists it needs are missing), it returns GDFO_EILLEGAL with a
 * one-line reason in gdfo_last_error() ("cannot push filter 6
 * 'completed_only' below join 5 'join_customers': ...") and leaves the
 * graph unchanged. docs/rules.md states every legality condition.
 *
 * Column availability: the columns available at a stage are those it
 * writes plus those written by any of its ancestors (graph.h's
 * columns_written). A rewrite that needs columns refuses to run when a
 * list it depends on is empty (unknown).
 *
 * Statistics of moved or merged stages are re-estimated (row and byte
 * counts scaled by the selectivities involved, assuming independent
 * predicates and constant row width); docs/rules.md gives the formulas.
 *
 * Common errors of every function: GDFO_EINVAL (graph NULL, argument out
 * of range), GDFO_ENOTFOUND (no stage has a given id), GDFO_EILLEGAL
 * (the rewrite is not legal here), GDFO_ENOMEM. On any error the graph
 * is unchanged.
 *
 * Thread safety: each call needs exclusive access to its graph.
 */
#ifndef GDFO_REWRITE_H
#define GDFO_REWRITE_H

#include "common.h"
#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Moves filter filter_id below its parent, which must be a project or a
 * join whose only consumer is the filter:
 *   X -> project -> filter -> C   becomes  X -> filter -> project -> C
 *   S -> join -> filter -> C      becomes  S -> filter -> join -> C
 * Legal when the filter is a plain filter (op filter, no other fused
 * operator) with one parent and known columns_read, and every column it
 * reads is available at the target input (X, or the join side S) and not
 * written by the project or join. For a project, its columns_written must
 * be known. For a join, S must be a side whose rows the join may lose:
 * any side of an inner join, the left side of left, semi and anti joins,
 * the right side of a right join, no side of a full join; a column
 * available on more than one join input must be a key of an inner join
 * (equi-join semantics, so both copies agree).
 * side_id names the input the filter goes above: for a project, its
 * parent (or -1); for a join, one of its parents, or -1 to pick the
 * legal side (the one with more output bytes if several are legal).
 * Consumers of the filter keep their parent position (a join's left
 * side stays left).
 */
GDFO_API int gdfo_rewrite_push_filter(gdfo_graph *graph, int64_t filter_id, int64_t side_id);

/*
 * Fuses the chain ids[0] -> ids[1] -> ... -> ids[n-1] (n >= 2) into one
 * stage. Legal when every stage is narrow (filter, project or udf, and
 * any fused_ops narrow too), each ids[i+1] has ids[i] as its only parent,
 * each ids[i] for i < n-1 has ids[i+1] as its only consumer, and no stage
 * after the first sets knobs.partitions to a value other than the first
 * stage's (that would be a repartition, i.e. a shuffle, inside the chain).
 * The fused stage keeps ids[0]'s id, parents and position; takes ids[n-1]'s
 * consumers (same parent positions) and cache level; its op is udf if the
 * chain has a udf, else project if it has a project, else filter;
 * fused_ops has bit (1 << op) of every member; selectivity is the product
 * of the members'; cpu_ns_per_row is the sum of each member's cost
 * weighted by the fraction of the first stage's input rows reaching it;
 * skew the largest; priority the highest; columns_written the union;
 * columns_read those read by a member and not written by an earlier one.
 * Its name joins the members' names with '+' (truncated to 255 bytes).
 */
GDFO_API int gdfo_rewrite_fuse(gdfo_graph *graph, const int64_t *ids, size_t n);

/*
 * Sets the cache level of stage_id (a gdfo_cache_level). Caching
 * (memory or disk) is legal for a stage with two or more consumers that
 * is not a sink; GDFO_CACHE_NONE is always legal.
 */
GDFO_API int gdfo_rewrite_cache(gdfo_graph *graph, int64_t stage_id, int level);

/*
 * Sets the strategy (gdfo_join_strategy) of join join_id. AUTO,
 * SHUFFLE_HASH and SORT_MERGE are always legal. BROADCAST is legal for
 * a two-input join whose broadcast side is under the bound: the side
 * the engine may broadcast is the right input of left, semi and anti
 * joins, the left input of right joins, the smaller of the two for
 * inner joins, none for full joins. Its size is broadcast_side_bytes
 * when that is >= 0 (a measured value), otherwise the estimate
 * bytes_in x selectivity of the side's producing stage (0 bytes_in means
 * unknown, and an unknown size is not broadcast). The size must be at
 * most broadcast_max_bytes (> 0).
 */
GDFO_API int gdfo_rewrite_join_strategy(gdfo_graph *graph, int64_t join_id, int strategy,
					double broadcast_max_bytes, double broadcast_side_bytes);

/*
 * Sets knobs.partitions of stage_id (0 = engine default, or
 * 1..GDFO_PARTITIONS_MAX; GDFO_EINVAL outside). Legal on every stage
 * except a narrow stage or sink whose input is a global sort reached
 * through narrow stages only: repartitioning there would lose the
 * sort order.
 */
GDFO_API int gdfo_rewrite_partitions(gdfo_graph *graph, int64_t stage_id, int32_t partitions);

/*
 * Reorders two inner joins: with upper join U = (A join_L B) join_U C,
 * where L = (A join_L B) is an input of U, the result is
 * (A join_U C) join_L B: stage U now joins A and C, stage L joins U's
 * output with B and takes U's consumers, so each stage keeps its own
 * keys, knobs and name. Legal when both joins are inner with two inputs,
 * U is L's only consumer, both list their keys (columns_read), every
 * key of U is available at A or C and none at B nor written by L, and no
 * key of L is available at C. A is the input of L whose columns U reads
 * (if U reads columns of both inputs of L the rewrite is illegal). U's
 * first join input that is a join is taken as L.
 */
GDFO_API int gdfo_rewrite_reorder_joins(gdfo_graph *graph, int64_t upper_id);

#ifdef __cplusplus
}
#endif

#endif
