/*
 * The judge: how the benchmark (and training, and feedback against a
 * known-good plan) scores a plan of one pipeline. It runs the plan's
 * graph in the discrete-event simulator with noise and stragglers,
 * several runs averaged with fixed seeds, and scores the mean outcome
 * with gdfo_reward_compute against the input pipeline's own runs on the
 * same seeds (common random numbers: two plans are compared on the same
 * draws, so their difference is not noise). docs/quality.md.
 *
 * Thread safety: a judge is used by one thread at a time (it owns a
 * simulator); the input graph, telemetry, objective and cluster are
 * copied or read only during gdfo_judge_create.
 */
#ifndef GDFO_JUDGE_H
#define GDFO_JUDGE_H

#include "common.h"
#include "graph.h"
#include "objective.h"
#include "reward.h"
#include "sim.h"
#include "telemetry.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GDFO_JUDGE_OPTIONS_VERSION (1 + GDFO__GROWTH)

/* Options of a judge. Initialize with gdfo_judge_options_init. */
typedef struct gdfo_judge_options {
	uint32_t version;          /* GDFO_JUDGE_OPTIONS_VERSION */
	int32_t runs;              /* runs per plan, averaged, 1..1000 (5) */
	uint64_t seed;             /* seed of the runs, the same for every plan (1) */
	double noise_sigma;        /* lognormal task noise, mean one (0.1) */
	double straggler_prob;     /* chance a task attempt straggles (0.01) */
	double straggler_factor;   /* a straggler takes this many times longer (4) */
	const gdfo_objective *objective; /* NULL = gdfo_objective_init's; copied */
	const gdfo_sim_cluster *cluster; /* NULL = gdfo_sim_cluster_init's; copied */
	const gdfo_telemetry *telemetry; /* a run of the input: the model is calibrated to it
					    (gdfo_sim_calibrate) before anything is judged; NULL = none */
	GDFO__GROWTH_FIELD
} gdfo_judge_options;

/* Fills *opts with the defaults above. Errors: GDFO_EINVAL, GDFO_EVERSION. */
GDFO_API int gdfo_judge_options_init(gdfo_judge_options *opts, unsigned int version);

typedef struct gdfo_judge gdfo_judge;

/*
 * Creates a judge for plans of input (copied) and runs the input itself:
 * its mean outcome is the baseline every plan is scored against.
 * opts NULL = the defaults.
 * Errors: GDFO_EINVAL (NULL, a bad option, objective or cluster, named;
 * an invalid graph; telemetry of another pipeline), GDFO_EVERSION,
 * GDFO_ECYCLE, GDFO_ENOMEM. On failure *out is NULL.
 */
GDFO_API int gdfo_judge_create(gdfo_judge **out, const gdfo_graph *input, const gdfo_judge_options *opts);

/* Frees a judge. NULL does nothing. */
GDFO_API void gdfo_judge_free(gdfo_judge *judge);

/* The input's mean outcome (set out->version first). Errors: GDFO_EINVAL, GDFO_EVERSION. */
GDFO_API int gdfo_judge_baseline(gdfo_outcome *out, const gdfo_judge *judge);

/*
 * Judges a plan's graph (a graph of the same pipeline: gdfo_plan_graph of
 * a plan of the input): its mean outcome over the judge's runs and its
 * reward against the baseline. Either out may be NULL. Counts one judge
 * run (gdfo_judge_count). A plan that fails in some run has success 0
 * and, through the objective's failure penalty, a lower reward.
 * Errors: GDFO_EINVAL (NULL judge or graph, an invalid graph),
 * GDFO_EVERSION, GDFO_ECYCLE, GDFO_ENOMEM.
 */
GDFO_API int gdfo_judge_graph(gdfo_reward *reward, gdfo_outcome *outcome, gdfo_judge *judge,
			      const gdfo_graph *graph);

/* Plans judged so far (gdfo_judge_graph calls that succeeded). 0 for NULL. */
GDFO_API uint64_t gdfo_judge_count(const gdfo_judge *judge);

#ifdef __cplusplus
}
#endif

#endif
