/*
 * The learned optimizer (docs/learning.md).
 *
 * An optimizer handle holds a policy model: the graph encoder of nn.h
 * with policy heads over the decision space of space.h. A plan call
 * encodes the pipeline (its statistics, telemetry and the objective's
 * weights), lets the policy make structural edits one at a time
 * (re-encoding after each), then sets every stage knob and the graph's
 * resources in one pass; besides that greedy plan it samples
 * `candidates` more, and scores them, the rules plan and the input with
 * the execution model (the simulator's analytic mode, calibrated to the
 * telemetry when given); a search over the graph-wide decisions from the
 * best of them adds one more; the best `verify` of them, the rules plan
 * and the input are then checked with the simulator's expected mode (the
 * task-level simulator's mean run under task noise and stragglers,
 * GDFO_SIM_EXPECTED), which decides. The plan predicted best by the
 * objective's reward is returned; when nothing is predicted to beat the
 * rules plan the rules plan is returned and a note says why. Each change of a
 * learned plan carries the model's predicted marginal gain (the reward
 * of the plan against the plan without that change), its confidence
 * (the policy's probability of the choice) and the stages the encoder
 * attended to most when it chose.
 *
 * Without a model the handle plans with the rules (gdfo_optimize_rules)
 * and says so (gdfo_plan_source "rules", a note).
 *
 * Thread safety: any number of threads may call gdfo_optimizer_plan on
 * one handle at once; each call uses memory of its own (freed before it
 * returns, so nothing grows with the number of calls). The library
 * starts no threads. gdfo_optimizer_close must not race a plan call.
 */
#ifndef GDFO_OPTIMIZER_H
#define GDFO_OPTIMIZER_H

#include "common.h"
#include "graph.h"
#include "objective.h"
#include "plan.h"
#include "sim.h"
#include "telemetry.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where the installed default model is looked for when no path is given. */
#define GDFO_MODEL_ENV "GDFO_MODEL"

#define GDFO_OPTIMIZER_OPTIONS_VERSION (2 + GDFO__GROWTH)

typedef struct gdfo_optimizer_options {
	uint32_t version;          /* GDFO_OPTIMIZER_OPTIONS_VERSION */
	int32_t candidates;        /* sampled plans scored besides the greedy one, 0..1024 (8) */
	int32_t structural_steps;  /* most structural edits per plan, 0..64 (4) */
	int32_t use_rules;         /* 1: the rules plan is a candidate and the fallback (1) */
	int32_t score;             /* 1: candidates are scored by the execution model; 0: the
				      greedy plan is returned as generated (an ablation) (1) */
	int32_t uniform;           /* 1: candidates are drawn uniformly from the space instead
				      of from the policy (an ablation; no model needed) (0) */
	uint64_t seed;             /* seed of the sampled candidates (1) */
	const char *model_path;    /* the policy model (a GDFO-NN file from `gdfo train`);
				      NULL: $GDFO_MODEL when set, else the installed default
				      (GDFO_MODEL_DEFAULT, when the file exists), else none;
				      "": none (rules). Copied. */
	const gdfo_sim_cluster *cluster; /* resources a pipeline runs with when its knobs are 0
					    (the decision space's and the execution model's);
					    NULL = gdfo_sim_cluster_init's; copied */
	int32_t verify;            /* finalists (the best learned candidates by the analytic
				      model) checked with the expected mode against the rules
				      plan and the input, 0..64 (3); 0 = analytic only */
	int32_t reserved;
	double verify_tasks;       /* unused since the check is the expected mode (it cost
				      task runs when it was the DES); validated, >= 0 (60000) */
	int32_t rules_check;       /* the rules candidate's own check (gdfo_rules_options
				      check_changes): -1 (default) as gdfo_optimize_rules
				      decides (with a cluster known, every change group checked,
				      here with the expected mode without noise, the DES's
				      schedule within 1.4 %: half of the call's time); 0
				      unchecked (the call checks it whole; faster, plans worse,
				      docs/learning.md); 1 always */
	int32_t reserved2;
	/* version 2: the closed loop (loop.h) */
	int32_t sync_every;        /* with a state directory: journal records per fsync; 1: every
				      feedback and approval is on stable storage when its call
				      returns; > 1: group commit (loop.h says what a return
				      means then), 1..100000 (1) */
	int32_t reserved3;
	double (*clock)(void *ctx); /* seconds since the epoch for the journal, the audit log and
				       forecasts (a simulated clock for tests and `gdfo loop`);
				       NULL = the system's wall clock */
	void *clock_ctx;
	GDFO__GROWTH_FIELD
} gdfo_optimizer_options;

/* Fills *opts with the defaults above. Errors: GDFO_EINVAL (NULL), GDFO_EVERSION. */
GDFO_API int gdfo_optimizer_options_init(gdfo_optimizer_options *opts, unsigned int version);

typedef struct gdfo_optimizer gdfo_optimizer;

/*
 * Opens an optimizer. With state_dir NULL it is stateless: each plan call
 * stands alone. With a state directory (created when missing) it is the
 * closed loop of loop.h: it remembers pipelines, takes feedback and
 * plans within the guardrails of the directory's policy.
 * A model path that was asked for (options or $GDFO_MODEL) must load; a
 * missing installed default is not an error (the handle plans with the
 * rules). Errors: GDFO_EINVAL (NULL out, bad option named), GDFO_EVERSION,
 * GDFO_EIO (also: the state directory is open in another handle),
 * GDFO_EFORMAT (not a policy model: the message names the file and what
 * differs; a bad policy.json, named), GDFO_ECHECKSUM (a damaged journal
 * record before its end), GDFO_ENOMEM.
 * On failure *out is NULL.
 */
GDFO_API int gdfo_optimizer_open(gdfo_optimizer **out, const char *state_dir,
				 const gdfo_optimizer_options *opts);

/* Frees the handle. NULL does nothing. */
GDFO_API void gdfo_optimizer_close(gdfo_optimizer *opt);

/* The loaded model's path, or NULL when the handle plans with the rules. Borrowed. */
GDFO_API const char *gdfo_optimizer_model(const gdfo_optimizer *opt);

/*
 * Plans graph for objective (NULL = gdfo_objective_init's) given a
 * previous run's telemetry (may be NULL). The plan's source is "learned"
 * when a learned candidate won, "rules" when the rules plan did (or no
 * model is loaded) and "input" when nothing was predicted to beat the
 * input; its prediction is the execution model's; notes say which model
 * planned, how many candidates were scored and the predicted reward.
 * Errors: GDFO_EINVAL (NULL, bad objective), GDFO_EVERSION, GDFO_ECYCLE,
 * GDFO_ENOMEM, and those of gdfo_optimize_rules. On failure *out is NULL.
 */
GDFO_API int gdfo_optimizer_plan(gdfo_plan **out, gdfo_optimizer *opt, const gdfo_graph *graph,
				 const gdfo_telemetry *telemetry, const gdfo_objective *objective);

/*
 * The Q refiner: after the optimizer's plan has run, it proposes one
 * neighbouring edit of the best plan seen so far per run (a point of
 * the decision space one step away, space.h), learns from each observed
 * reward, and moves to a neighbour that did better. Q of a neighbour
 * starts from what the execution model predicts it adds to the best
 * plan's observed reward, plus a correction per decision kind learned
 * from the rewards observed (Q-learning on one state, the best plan);
 * with probability epsilon (0.1) it explores a random neighbour the
 * model predicts no worse than `bound` (0.05 reward) below the best.
 * Usage: create, then repeat { next; run the plan; observe(reward) }; best.
 * One thread at a time per refiner.
 */
typedef struct gdfo_refiner gdfo_refiner;

/*
 * A refiner around what gdfo_optimizer_plan plans for graph (the first
 * plan next returns). The optimizer must outlive the refiner.
 * Errors: as gdfo_optimizer_plan.
 */
GDFO_API int gdfo_refiner_create(gdfo_refiner **out, gdfo_optimizer *opt, const gdfo_graph *graph,
				 const gdfo_telemetry *telemetry, const gdfo_objective *objective);
GDFO_API void gdfo_refiner_free(gdfo_refiner *r);

/*
 * The next plan to run (the caller frees it). GDFO_ENOTFOUND when every
 * neighbour of the best plan has been tried. Errors: GDFO_EINVAL (NULL,
 * or the last plan was not observed yet), GDFO_ENOMEM.
 */
GDFO_API int gdfo_refiner_next(gdfo_plan **out, gdfo_refiner *r);

/*
 * The reward observed for the last plan next returned (against the same
 * baseline every time; -INFINITY or a penalized reward for a failed run).
 * Errors: GDFO_EINVAL (NULL, no plan outstanding, NaN).
 */
GDFO_API int gdfo_refiner_observe(gdfo_refiner *r, double reward);

/* The best plan observed so far (the caller frees it). Errors: GDFO_EINVAL (nothing observed), GDFO_ENOMEM. */
GDFO_API int gdfo_refiner_best(gdfo_plan **out, const gdfo_refiner *r, double *reward);

#ifdef __cplusplus
}
#endif

#endif
