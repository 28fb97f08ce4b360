/*
 * The learned optimizer's internals (docs/learning.md): the policy over
 * the encoder (policy.c), the planning call (optimizer.c), training
 * (train.c) and the Q refiner (refine.c).
 *
 * The policy is the graph encoder (include/gdfo/nn.h) with one stage head
 * and one pipeline head whose columns are fixed "slots": every decision
 * kind of the decision space owns a block of slots, and every choice of
 * a decision maps to one slot of its kind's block by its value (the
 * partition grid's 64 MiB is always the same slot, whatever else the
 * space offers on that stage). A decision's distribution is the softmax
 * of its legal choices' slot logits; masked choices get no probability.
 * Stage-level kinds read the stage head at the decision's stage; graph
 * kinds, STOP and the value read the pipeline head.
 */
#ifndef GDFO_RL_INTERNAL_H
#define GDFO_RL_INTERNAL_H

#include "core/internal.h"
#include "gdfo/judge.h"
#include "gdfo/learn.h"
#include "gdfo/nn.h"
#include "gdfo/optimizer.h"
#include "gdfo/sim.h"
#include "gdfo/space.h"
#include "plan/space_internal.h"

/* Extra per-stage features after gdfo_nn_features's (policy.c, docs/learning.md). */
#define GDFO__POL_EXTRA 16
#define GDFO__POL_FEATURES (GDFO_NN_FEATURES + GDFO__POL_EXTRA)

/* Stage head slots: (offset, width) per kind. */
enum {
	GDFO__PS_PUSH = 0,      /* 5: keep, 1, 2, 3, 4+ steps */
	GDFO__PS_REORDER = 5,   /* 2 */
	GDFO__PS_FUSE = 7,      /* 2 */
	GDFO__PS_PART = 9,      /* 16: keep, engine default, 1 MiB..1 GiB (11), 1/2/4 waves */
	GDFO__PS_JOIN = 25,     /* 5: keep, the 4 strategies */
	GDFO__PS_CACHE = 30,    /* 4: keep, none, memory, disk */
	GDFO__PS_PRIO = 34,     /* 4: keep, -1, 0, +1 */
	GDFO__PS_FILE = 38,     /* 7: keep, 32 MiB..1 GiB */
	GDFO__PS_COMPACT = 45,  /* 7: keep, never, 1, 2, 4, 8, 16 */
	GDFO__PS_WIDTH = 52
};

/* Pipeline head slots. */
enum {
	GDFO__PP_EXEC = 0,      /* 11: keep, ratio to the input's executors 1/4..16 */
	GDFO__PP_CORES = 11,    /* 6: keep, 1..16 */
	GDFO__PP_MEM = 17,      /* 8: keep, 1..64 GiB */
	GDFO__PP_POLICY = 25,   /* 3: keep, critical path first, all equal */
	GDFO__PP_STOP = 28,     /* 1: no further structural edit */
	GDFO__PP_VALUE = 29,    /* 1: the expected reward of the policy's plan */
	GDFO__PP_WIDTH = 30
};

/* The architecture a policy model must have (gdfo_nn_options). */
void gdfo__pol_nn_options(gdfo_nn_options *o, uint32_t d_model, uint32_t n_layers, uint64_t seed);
/* GDFO_EFORMAT naming the field when enc is not a policy model. */
int gdfo__pol_check_model(const gdfo_nn_encoder *enc, const char *what);

/* Whether a decision kind is structural (edited one at a time). */
int gdfo__pol_structural(int kind);

/* A logit reference: head 0 (stage, row = stage row) or 1 (pipeline), column. */
typedef struct gdfo__pol_ref {
	uint32_t head;
	uint32_t row;
	uint32_t col;
} gdfo__pol_ref;

/* One categorical draw: a softmax over n candidate refs. */
typedef struct gdfo__pol_draw {
	uint32_t first;   /* index of its first ref in the episode's ref array */
	uint32_t n;
	uint32_t chosen;
	int32_t decision; /* space decision index, -1 for STOP-only draws */
	float logp;       /* log-probability of chosen when it was drawn */
	float reserved;
} gdfo__pol_draw;

/* One encoder pass of an episode: the graph it read and the draws made from it. */
typedef struct gdfo__pol_step {
	float *x;          /* (S, F) features */
	uint32_t *edges;   /* (n_edges, 2) */
	size_t S, n_edges;
	size_t first_draw, n_draws;
	int value;         /* 1: this pass's pipeline head carries the value prediction */
} gdfo__pol_step;

/* What one generated plan consists of, for training. */
typedef struct gdfo__pol_episode {
	gdfo__pol_step *steps;
	size_t n_steps, cap_steps;
	gdfo__pol_draw *draws;
	size_t n_draws, cap_draws;
	gdfo__pol_ref *refs;
	size_t n_refs, cap_refs;
	float value;       /* the value head's prediction on the input */
	float reward;      /* set by the trainer */
	float target;      /* advantage or imitation weight, set by the trainer */
} gdfo__pol_episode;

void gdfo__pol_episode_reset(gdfo__pol_episode *e);
void gdfo__pol_episode_free(gdfo__pol_episode *e);

/* Decoding modes. */
enum { GDFO__POL_GREEDY = 0, GDFO__POL_SAMPLE = 1, GDFO__POL_TEACHER = 2 };

/*
 * Per-call working memory of the policy: encoder workspace, buffers, the
 * analytic simulator that supplies the execution features. One per
 * thread.
 */
typedef struct gdfo__pol {
	const gdfo_nn_encoder *enc;
	gdfo_nn_workspace *ws;
	gdfo_nn_batch *batch;   /* of the last encode */
	const gdfo_graph *encoded; /* the graph of the last encode (borrowed) */
	gdfo_sim *sim;          /* analytic; calibrated when telemetry is given */
	int sim_has_input;      /* sim holds gdfo__pol_begin's analytic run of the input, in base */
	gdfo_sim_result base;
	gdfo_sim_options ao;    /* analytic */
	gdfo_sim_options dso;   /* the DES with task noise on fixed seeds: the finalists' check */
	double des_base_latency_ms, des_base_cost, des_base_throughput; /* -1 until needed */
	gdfo_sim_options eo;    /* the DES's expected mode with dso's noise: the check of a plan call */
	double check_base_latency_ms, check_base_cost, check_base_throughput; /* -1 until needed */
	float *x, *hs, *emb;
	size_t cap;             /* rows of x, hs, emb */
	float hp[GDFO__PP_WIDTH];
	float value;            /* value head on the input */
	/* per decision scratch */
	float *logits;
	int32_t *cand;
	double *kex;            /* (cap_c) the exp terms of each knob draw's normaliser, at
				   its decision's slot_at: valid for encode kex_gen of kex_graph
				   (the knobs are drawn many times from one encoding) */
	size_t cap_c;
	uint64_t enc_gen, kex_gen; /* encodes so far; the one kex is of (0: none) */
	const gdfo_graph *kex_graph;
	/* the current call's context */
	const gdfo_space *space;
	const gdfo_telemetry *telemetry;
	const gdfo_graph *calib_graph;     /* the graph the telemetry measured, when not the
					      space's input (a plan of it: the closed loop); set
					      before gdfo__pol_begin */
	gdfo_objective objective;
	gdfo_objective scoring;            /* objective with safety margins, for scores */
	gdfo_sim_cluster cluster;
	double base_latency_ms, base_cost, base_throughput; /* analytic run of the input */
	const int32_t *teacher;            /* the point imitated in teacher mode */
	float *struct_prob;                /* when set (dim floats): generate writes the probability
					      of each structural choice it takes */
	double e_input;                    /* the input's effective executors */
	int16_t *slot;                     /* slot of each (decision, choice), flattened */
	size_t *slot_at;                   /* first slot index per decision */
	size_t cap_slot, cap_dec;
} gdfo__pol;

int gdfo__pol_init(gdfo__pol *p, const gdfo_nn_encoder *enc, const gdfo_sim_cluster *cluster);
void gdfo__pol_free(gdfo__pol *p);

/*
 * Prepares a call on space (whose input is the pipeline): objective,
 * telemetry (may be NULL; calibrates the analytic model when it names
 * the input's stages) and the slot table.
 */
int gdfo__pol_begin(gdfo__pol *p, const gdfo_space *space, const gdfo_telemetry *telemetry,
		    const gdfo_objective *objective);

/* Features of g into p->x; runs the encoder; leaves stage heads in p->hs, pipeline head in p->hp. */
int gdfo__pol_encode(gdfo__pol *p, const gdfo_graph *g);

/*
 * Generates a point: structural edits one at a time (re-encoding after
 * each, at most max_steps), then every other decision from the last
 * encoding. mode: greedy, sample (rng) or teacher (draws the teacher
 * point's choices, structural ones in the space's order, then STOP).
 * ep (may be NULL) records the passes and draws. *structural (may be
 * NULL) receives the plan of the structural edits alone, whose graph the
 * knobs were drawn on (the caller frees it; NULL when there was no edit).
 * Afterwards p's encoding is of that graph (or the input).
 */
int gdfo__pol_generate(gdfo__pol *p, int32_t *point, int mode, const int32_t *teacher, uint64_t *rng,
		       int max_steps, gdfo__pol_episode *ep, gdfo_plan **structural);

/*
 * Draws only the non-structural decisions again from the current encoding
 * (the structural part of point is kept): another candidate of one call.
 * Writes the probability of each draw's choice into prob (dim floats, may be NULL).
 */
int gdfo__pol_knobs(gdfo__pol *p, int32_t *point, int mode, uint64_t *rng, const gdfo_graph *g,
		    gdfo__pol_episode *ep, float *prob);

/*
 * Predicted outcome of a graph under the analytic model, and the reward
 * against the input's analytic run (failures score below everything).
 */
int gdfo__pol_predict(gdfo_reward *r, gdfo_outcome *o, gdfo__pol *p, const gdfo_graph *g);

/*
 * The same with the task-level DES (task noise and stragglers, 1-8 runs
 * on fixed seeds): the training expert checks its best points with it
 * (plan calls and the loop check with gdfo__pol_predict_check).
 */
int gdfo__pol_predict_des(gdfo_reward *r, gdfo_outcome *o, gdfo__pol *p, const gdfo_graph *g);

/*
 * The check of a plan call and of the loop's search: the DES's expected
 * makespan under the same task noise and stragglers (GDFO_SIM_EXPECTED,
 * docs/simulator.md "Expected mode"), against the input's. As close to the
 * DES's mean as two DES runs and 25 times faster; deterministic.
 */
int gdfo__pol_predict_check(gdfo_reward *r, gdfo_outcome *o, gdfo__pol *p, const gdfo_graph *g);

/* A score that orders plans: R, minus 1e6 when the run is predicted to fail. */
double gdfo__pol_score(const gdfo_reward *r);

/*
 * The training loss over n recorded episodes (docs/learning.md "Training"):
 * imitation (cross-entropy of every draw's recorded choice) or PPO (the
 * clipped surrogate with advantage ep->target against the recorded
 * log-probabilities), minus the entropy bonus, plus the value loss
 * against ep->reward. With backward, its gradient is added to enc's.
 */
int gdfo__rl_loss(double *loss, gdfo_nn_encoder *enc, gdfo__pol_episode *eps, size_t n, int imitation, int backward,
		  const gdfo_train_options *o);

/*
 * The closed loop's online step: the value head toward reward (of the plan
 * at point against input) and the policy by a bounded PPO step (train.c).
 * Needs exclusive access to enc.
 */
int gdfo__rl_online_step(gdfo_nn_encoder *enc, const gdfo_graph *input, const gdfo_sim_cluster *cluster,
			 const gdfo_objective *obj, const int32_t *point, size_t dim, double reward, float lr,
			 double *value);

/* Records one sampled episode of enc's policy on g (tests). */
int gdfo__rl_record(gdfo__pol_episode *ep, const gdfo_nn_encoder *enc, const gdfo_graph *g, const gdfo_objective *obj,
		    uint64_t seed);

struct gdfo__loop;

/*
 * The optimizer handle. The stateless planner is here (optimizer.c); the
 * public open, close and plan calls are the closed loop's (lib/loop/),
 * which plans through gdfo__optimizer_plan and keeps its state in loop.
 */
struct gdfo_optimizer {
	gdfo_optimizer_options o;
	gdfo_sim_cluster cluster;
	int has_cluster;        /* the caller named a cluster (the rules then check with it) */
	char *model_path;       /* NULL: rules only */
	gdfo_nn_encoder *enc;
	struct gdfo__loop *loop; /* NULL: stateless */
};

/* A stateless optimizer from options (NULL: defaults); *out NULL on failure. */
int gdfo__optimizer_create(gdfo_optimizer **out, const gdfo_optimizer_options *opts);
/* Frees what gdfo__optimizer_create made (not the loop). */
void gdfo__optimizer_destroy(gdfo_optimizer *opt);
/* The stateless plan call (gdfo_optimizer_plan without a state directory). */
int gdfo__optimizer_plan(gdfo_plan **out, gdfo_optimizer *opt, const gdfo_graph *graph,
			 const gdfo_telemetry *telemetry, const gdfo_objective *objective);

/* The optimizer's model (NULL: none) and cluster, for the refiner. */
void gdfo__optimizer_internals(const gdfo_optimizer *opt, const gdfo_nn_encoder **enc, gdfo_sim_cluster *cluster);

/* splitmix64 step. */
uint64_t gdfo__rl_mix(uint64_t *x);
double gdfo__rl_uniform(uint64_t *x);

#endif
