/*
 * What a plan should optimize. Every optimizer, the reward and the
 * features the encoder reads take one gdfo_objective, given per call, so
 * one model serves every trade-off.
 *
 * The reward of a run against a baseline run (the input plan, or the
 * pipeline's known-good plan) is
 *   R = throughput_weight * throughput gain
 *     - latency_weight    * latency increase
 *     - cost_weight       * cost overhead
 *     - failure_penalty   when the run failed, missed slo_ms (when > 0)
 *                         or cost more than cost_ceiling (when > 0),
 * with each term a relative change (0.1 = 10 %).
 */
#ifndef GDFO_OBJECTIVE_H
#define GDFO_OBJECTIVE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GDFO_OBJECTIVE_VERSION (1 + GDFO__GROWTH)

/* Largest weight or penalty accepted: keeps rewards well inside float range. */
#define GDFO_OBJECTIVE_WEIGHT_MAX 1000.0

typedef struct gdfo_objective {
	uint32_t version;         /* GDFO_OBJECTIVE_VERSION */
	double throughput_weight; /* w1, 0..GDFO_OBJECTIVE_WEIGHT_MAX (1) */
	double latency_weight;    /* w2, 0..GDFO_OBJECTIVE_WEIGHT_MAX (1) */
	double cost_weight;       /* w3, 0..GDFO_OBJECTIVE_WEIGHT_MAX (1) */
	double slo_ms;            /* end-to-end latency objective, >= 0; 0 = none (0) */
	double cost_ceiling;      /* most a run may cost, currency units, >= 0; 0 = none (0) */
	double failure_penalty;   /* 0..GDFO_OBJECTIVE_WEIGHT_MAX (1) */
	GDFO__GROWTH_FIELD
} gdfo_objective;

/*
 * Fills *out with the defaults above for the caller's version.
 * Errors: GDFO_EINVAL (NULL), GDFO_EVERSION. Thread-safe.
 */
GDFO_API int gdfo_objective_init(gdfo_objective *out, unsigned int version);

/*
 * Checks every field: finite, in its range, and at least one weight
 * above 0. The message names the field. Errors: GDFO_EINVAL,
 * GDFO_EVERSION. Thread-safe.
 */
GDFO_API int gdfo_objective_validate(const gdfo_objective *objective);

#ifdef __cplusplus
}
#endif

#endif
