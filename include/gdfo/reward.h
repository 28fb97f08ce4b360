/*
 * The reward: one number saying how much better a run (or a predicted
 * run) of a plan is than a baseline run of the same pipeline, under a
 * gdfo_objective. The benchmark, the rules' check and the learned
 * optimizer all score plans with this one definition:
 *
 *   R = w1 x ThroughputGain - w2 x LatencyIncrease - w3 x CostOverhead
 *       - failure_penalty  if the run failed, missed slo_ms (> 0) or cost
 *                          more than cost_ceiling (> 0)
 *
 * where ThroughputGain = throughput / baseline throughput - 1,
 * LatencyIncrease = latency / baseline latency - 1 and CostOverhead =
 * cost / baseline cost - 1 (0.1 = 10 %), w1..w3 the objective's
 * throughput, latency and cost weights. A term whose baseline value is
 * not positive is 0. R = 0 for a run equal to its baseline; > 0 is better.
 * docs/quality.md works an example through.
 */
#ifndef GDFO_REWARD_H
#define GDFO_REWARD_H

#include "common.h"
#include "objective.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GDFO_OUTCOME_VERSION (1 + GDFO__GROWTH)

/* What a run measured or a prediction says. */
typedef struct gdfo_outcome {
	uint32_t version;   /* GDFO_OUTCOME_VERSION */
	int32_t success;    /* 1, or 0 when the run failed */
	double latency_ms;  /* end to end, >= 0 */
	double throughput;  /* records per second, >= 0 */
	double cost;        /* currency units, >= 0 */
	GDFO__GROWTH_FIELD
} gdfo_outcome;

#define GDFO_REWARD_VERSION (1 + GDFO__GROWTH)

/* The reward and each of its terms, for explanations. */
typedef struct gdfo_reward {
	uint32_t version;        /* GDFO_REWARD_VERSION */
	int32_t penalized;       /* 1 when the failure penalty was applied */
	double reward;           /* R */
	double throughput_gain;  /* relative, before weighting */
	double latency_increase; /* relative, before weighting */
	double cost_overhead;    /* relative, before weighting */
	double penalty;          /* failure_penalty or 0 */
	int32_t failed;          /* the run failed */
	int32_t slo_missed;      /* latency over slo_ms */
	int32_t over_budget;     /* cost over cost_ceiling */
	int32_t reserved;
	GDFO__GROWTH_FIELD
} gdfo_reward;

/* Fills *out with a successful run of all zeros. Errors: GDFO_EINVAL, GDFO_EVERSION. */
GDFO_API int gdfo_outcome_init(gdfo_outcome *out, unsigned int version);

/*
 * Scores run against baseline under objective (NULL = gdfo_objective_init's
 * defaults). Errors: GDFO_EINVAL (NULL out, run or baseline; a value that
 * is negative or not finite, named; an invalid objective), GDFO_EVERSION.
 * Thread-safe.
 */
GDFO_API int gdfo_reward_compute(gdfo_reward *out, const gdfo_outcome *run, const gdfo_outcome *baseline,
				 const gdfo_objective *objective);

#ifdef __cplusplus
}
#endif

#endif
