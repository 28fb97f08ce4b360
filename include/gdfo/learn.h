/*
 * Training the learned optimizer's policy (docs/learning.md).
 *
 * gdfo_train makes a policy model (a GDFO-NN weights file that
 * gdfo_optimizer_open loads) in two phases over episodes in the
 * simulator:
 *   1. warm start (imitation): for each generated pipeline, cluster and
 *      objective, a search over the decision space with the execution
 *      model (the simulator's analytic mode) finds a good plan; the policy
 *      learns to generate it (cross-entropy on every draw, structural
 *      edits in the space's order, then STOP);
 *   2. proximal policy optimization: the policy samples `group` plans per
 *      pipeline, the judge (the noisy simulator, one run, the same noise
 *      for the group) scores each with the objective's reward against the
 *      input, and the clipped surrogate with the group's mean reward as
 *      baseline (the value head's prediction for groups of one), an
 *      entropy bonus and gradient clipping updates it; the value head
 *      learns to predict the reward.
 * Pipelines are drawn from the generator's five families with random
 * sizes, skew, clusters and objective weights (never the benchmark's
 * evaluation seeds), or, with `pipeline` set, are that one pipeline
 * (the benchmark's RL-only baseline).
 *
 * Deterministic: the same options give the same weights, bit for bit, on
 * one BLAS thread (OPENBLAS_NUM_THREADS=1). Checkpoints (weights, AdamW
 * moments and the position in training) are written atomically; training
 * given an existing checkpoint resumes from it and ends with the same
 * weights as an uninterrupted run.
 */
#ifndef GDFO_LEARN_H
#define GDFO_LEARN_H

#include "common.h"
#include "graph.h"
#include "nn.h"
#include "objective.h"
#include "sim.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GDFO_TRAIN_PROGRESS_VERSION (1 + GDFO__GROWTH)

typedef struct gdfo_train_progress {
	uint32_t version;        /* GDFO_TRAIN_PROGRESS_VERSION */
	int32_t phase;           /* 0 warm start, 1 PPO */
	int64_t episode;         /* episodes done (both phases) */
	int64_t episodes_total;
	int64_t update;          /* optimizer steps taken */
	double reward;           /* mean judged reward of this batch's plans (PPO) or of the
				    expert plans (warm start) */
	double reward_avg;       /* its exponential moving average (0.9) */
	double policy_loss;      /* surrogate (PPO) or cross-entropy (warm start) per draw */
	double value_loss;
	double entropy;          /* mean entropy per draw */
	double grad_norm;        /* before clipping */
	double elapsed_s, eta_s;
	GDFO__GROWTH_FIELD
} gdfo_train_progress;

/* Called after every update; a nonzero return stops training (GDFO_ECANCELED). */
typedef int (*gdfo_train_progress_fn)(const gdfo_train_progress *progress, void *ctx);

#define GDFO_TRAIN_OPTIONS_VERSION (1 + GDFO__GROWTH)

typedef struct gdfo_train_options {
	uint32_t version;           /* GDFO_TRAIN_OPTIONS_VERSION */
	uint32_t d_model;           /* encoder width (32) */
	uint32_t n_layers;          /* encoder blocks (2) */
	int32_t batch_episodes;     /* episodes per update (32) */
	uint64_t seed;              /* everything random derives from it (1) */
	int64_t warm_episodes;      /* imitation episodes (4096; 0 = none) */
	int64_t ppo_episodes;       /* PPO episodes (4096) */
	int32_t epochs;             /* PPO passes over each batch (2) */
	int32_t expert_budget;      /* execution-model evaluations per expert search (160) */
	int32_t structural_steps;   /* most structural edits per episode (4) */
	int32_t checkpoint_every;   /* updates between checkpoints (20) */
	float lr;                   /* AdamW learning rate (1e-3) */
	float clip;                 /* PPO ratio clip (0.2) */
	float entropy_coef;         /* entropy bonus (0.01) */
	float value_coef;           /* value loss weight (0.5) */
	float max_grad_norm;        /* gradient clipping (1) */
	float weight_decay;         /* AdamW (0.01) */
	const char *checkpoint;     /* path of the checkpoint (weights; "<path>.state" holds the
				       moments and position); resumed from when it exists; NULL = none */
	const char *init_model;     /* start from these weights instead of random ones; NULL */
	const gdfo_graph *pipeline; /* train on this pipeline only; NULL = generated pipelines */
	const gdfo_sim_cluster *cluster;   /* with pipeline: its cluster; NULL = defaults */
	const gdfo_objective *objective;   /* with pipeline: its objective; NULL = defaults */
	gdfo_train_progress_fn progress;   /* NULL = none */
	void *progress_ctx;
	int32_t group;              /* PPO: plans sampled per pipeline and objective, judged on
				       the same noise; the group's mean reward is their baseline
				       (1: the value head's prediction); divides batch_episodes (4) */
	int32_t reserved;
	GDFO__GROWTH_FIELD
} gdfo_train_options;

/* Fills *opts with the defaults above. Errors: GDFO_EINVAL (NULL), GDFO_EVERSION. */
GDFO_API int gdfo_train_options_init(gdfo_train_options *opts, unsigned int version);

/*
 * Trains a policy model; *out (free with gdfo_nn_free, save with
 * gdfo_nn_save) is the trained encoder.
 * Errors: GDFO_EINVAL (NULL, bad option named), GDFO_EVERSION,
 * GDFO_ECANCELED (the progress callback asked to stop; the last
 * checkpoint stands), GDFO_EIO / GDFO_EFORMAT / GDFO_ECHECKSUM (a
 * checkpoint or init model that cannot be read), GDFO_ENOMEM.
 * On failure *out is NULL.
 */
GDFO_API int gdfo_train(gdfo_nn_encoder **out, const gdfo_train_options *opts);

#ifdef __cplusplus
}
#endif

#endif
