/*
 * Training the policy (include/gdfo/learn.h, docs/learning.md): episodes
 * in the simulator, a warm start by imitation of searched plans, then
 * PPO against the judge.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "core/abi.h"
#include "gdfo/generate.h"
#include "gdfo/rules.h"
#include "graph/graph_internal.h"
#include "nn/nn_internal.h"
#include "plan/plan_internal.h"
#include "rl/rl_internal.h"

#define GIB (1024.0 * 1024.0 * 1024.0)
#define STATE_MAGIC "GDFO-TRS"
#define STATE_VERSION 1u

int gdfo_train_options_init(gdfo_train_options *o, unsigned int version)
{
	gdfo_train_options d = {0};
	d.version = GDFO_TRAIN_OPTIONS_VERSION;
	d.d_model = 32;
	d.n_layers = 2;
	d.batch_episodes = 32;
	d.seed = 1;
	d.warm_episodes = 4096;
	d.ppo_episodes = 4096;
	d.epochs = 2;
	d.expert_budget = 160;
	d.structural_steps = 4;
	d.group = 4;
	d.checkpoint_every = 20;
	d.lr = 1e-3f;
	d.clip = 0.2f;
	d.entropy_coef = 0.01f;
	d.value_coef = 0.5f;
	d.max_grad_norm = 1.0f;
	d.weight_decay = 0.01f;
	return gdfo__abi_init(o, version, &d, GDFO__ABI_TRAIN_OPTIONS, "gdfo_train_options_init");
}

/* ---- tasks ------------------------------------------------------------- */

typedef struct task {
	gdfo_graph *g;
	gdfo_sim_cluster cl;
	gdfo_objective obj;
	gdfo_telemetry *tel;
	int slo_factor;     /* 1: the objective's SLO is 1.1 x the input's judged latency */
} task;

static void task_free(task *t)
{
	gdfo_graph_free(t->g);
	gdfo_telemetry_free(t->tel);
	memset(t, 0, sizeof(*t));
}

static double pick(uint64_t *r, const double *v, size_t n)
{
	return v[gdfo__rl_mix(r) % n];
}

/*
 * The episode's pipeline, cluster and objective: a function of the seed
 * and the episode's index only (so a resumed run draws the same ones).
 * Generator seeds start at 1000: the benchmark's pipelines use lower ones.
 */
static int make_task(task *t, const gdfo_train_options *o, uint64_t ep)
{
	uint64_t r = o->seed * 0x9e3779b97f4a7c15ULL ^ (ep + 1) * 0xd1b54a32d192ed03ULL;
	gdfo_gen_options go;
	double u;
	int rc;

	memset(t, 0, sizeof(*t));
	gdfo_objective_init(&t->obj, GDFO_OBJECTIVE_VERSION);
	gdfo_sim_cluster_init(&t->cl, GDFO_SIM_CLUSTER_VERSION);
	if (o->pipeline) {
		if ((rc = gdfo_graph_clone(&t->g, o->pipeline)))
			return rc;
		if (o->cluster)
			gdfo__abi_in(&t->cl, o->cluster, &t->cl, GDFO__ABI_SIM_CLUSTER, "gdfo_train");
		if (o->objective)
			gdfo__abi_in(&t->obj, o->objective, &t->obj, GDFO__ABI_OBJECTIVE, "gdfo_train");
		return 0;
	}
	gdfo_gen_options_init(&go, GDFO_GEN_OPTIONS_VERSION);
	go.family = (int32_t)(gdfo__rl_mix(&r) % GDFO_GEN_FAMILY_COUNT);
	go.seed = 1000 + gdfo__rl_mix(&r) % 1000000000ULL;
	if ((rc = gdfo_generate(&t->g, &go)))
		return rc;
	/* clusters: the defaults, or a random one like the benchmark's */
	if (gdfo__rl_uniform(&r) < 0.6) {
		static const double ex[] = {2, 4, 8, 16, 32}, co[] = {2, 4, 8, 16}, me[] = {4, 8, 16, 32, 64},
				    sp[] = {64, 200, 400}, nw[] = {3e8, 1.25e9}, dk[] = {1.5e8, 4e8, 1e9},
				    sc[] = {8e7, 1.5e8, 3e8};
		t->cl.executors = (int32_t)pick(&r, ex, 5);
		t->cl.cores_per_executor = (int32_t)pick(&r, co, 4);
		t->cl.memory_per_executor_bytes = (int64_t)(pick(&r, me, 5) * GIB);
		t->cl.shuffle_partitions = (int32_t)pick(&r, sp, 3);
		t->cl.network_bytes_per_s = pick(&r, nw, 2);
		t->cl.disk_bytes_per_s = pick(&r, dk, 3);
		t->cl.scan_bytes_per_s = pick(&r, sc, 3);
		t->cl.price_per_core_s *= 0.8 + 0.8 * gdfo__rl_uniform(&r);
		t->cl.price_per_gib_s *= 0.5 + 1.3 * gdfo__rl_uniform(&r);
	}
	/*
	 * Settings a host's pipeline comes with: Spark's shuffle partitions on
	 * every wide stage, an explicit executor request, a cluster section.
	 * Generated pipelines leave them 0; real ones seldom do.
	 */
	if (gdfo__rl_uniform(&r) < 0.4) {
		static const double parts[] = {64, 200, 200, 400, 1000, 2000};
		int32_t np = (int32_t)pick(&r, parts, 6);
		size_t i;
		for (i = 0; i < t->g->n; i++) {
			gdfo__stage *st = &t->g->stages[i];
			if (st->op == GDFO_OP_SOURCE || st->op == GDFO_OP_AGGREGATE || st->op == GDFO_OP_JOIN ||
			    st->op == GDFO_OP_SORT || st->op == GDFO_OP_WINDOW)
				st->knobs.partitions = np;
			if (st->op == GDFO_OP_JOIN && st->n_parents == 2 && gdfo__rl_uniform(&r) < 0.5)
				st->knobs.join_strategy = GDFO_JOIN_SORT_MERGE;
		}
	}
	if (gdfo__rl_uniform(&r) < 0.4) {
		static const double ex[] = {2, 4, 8, 16, 32, 64}, co[] = {1, 2, 4, 8}, me[] = {2, 4, 8, 16, 32};
		t->g->knobs.executors = (int32_t)pick(&r, ex, 6);
		t->g->knobs.cores_per_executor = (int32_t)pick(&r, co, 4);
		t->g->knobs.memory_per_executor_bytes = (int64_t)(pick(&r, me, 5) * GIB);
		if (gdfo__rl_uniform(&r) < 0.5)
			t->g->cluster.executors_available = t->g->knobs.executors * (int32_t)(1 + gdfo__rl_mix(&r) % 4);
	}
	/* objectives: the benchmark's four, or random weights */
	u = gdfo__rl_uniform(&r);
	t->obj.throughput_weight = t->obj.latency_weight = t->obj.cost_weight = 0;
	if (u < 0.22) {
		t->obj.latency_weight = 1;
	} else if (u < 0.44) {
		t->obj.cost_weight = 1;
	} else if (u < 0.66) {
		t->obj.throughput_weight = t->obj.latency_weight = t->obj.cost_weight = 1;
	} else if (u < 0.88) {
		t->obj.cost_weight = 1;
		t->obj.failure_penalty = 1;
		t->slo_factor = 1;
	} else {
		t->obj.throughput_weight = gdfo__rl_uniform(&r);
		t->obj.latency_weight = gdfo__rl_uniform(&r);
		t->obj.cost_weight = 0.05 + gdfo__rl_uniform(&r);
	}
	/* a quarter of the pipelines come with a previous run's telemetry */
	if (gdfo__rl_uniform(&r) < 0.25) {
		gdfo_sim *sim;
		gdfo_sim_options so;
		gdfo_sim_result res = {.version = GDFO_SIM_RESULT_VERSION};
		gdfo_sim_options_init(&so, GDFO_SIM_OPTIONS_VERSION);
		so.seed = gdfo__rl_mix(&r);
		so.noise_sigma = 0.1;
		so.straggler_prob = 0.01;
		if ((rc = gdfo_sim_create(&sim, &t->cl)))
			return rc;
		rc = gdfo_sim_run_graph(&res, sim, t->g, &so);
		if (!rc)
			rc = gdfo_sim_telemetry(&t->tel, sim, t->g);
		gdfo_sim_free(sim);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- the expert: search with the execution model ------------------------ */

#define TOP 3

/* The TOP best distinct points seen by the analytic search. */
typedef struct top_points {
	int32_t *pt[TOP];
	double score[TOP];
} top_points;

static void top_add(top_points *t, size_t *n, const int32_t *pt, double score, size_t dim)
{
	size_t i, w = 0;
	for (i = 0; i < *n; i++)
		if (!memcmp(t->pt[i], pt, dim * sizeof(*pt)))
			return;
	if (*n < TOP) {
		w = (*n)++;
	} else {
		for (i = 1; i < TOP; i++)
			if (t->score[i] < t->score[w])
				w = i;
		if (score <= t->score[w])
			return;
	}
	memcpy(t->pt[w], pt, dim * sizeof(*pt));
	t->score[w] = score;
}

/*
 * The search's finalists checked with the task-level model (noise and
 * stragglers, as the plan call's finalists are): the analytic model does
 * not see the tails of one-wave stages, and the policy must not learn to
 * prefer them.
 */
static int rerank(int32_t *best, double *best_reward, gdfo__pol *p, const top_points *t, size_t n)
{
	size_t i, dim = p->space->dim;
	double bs = -INFINITY;
	int rc;

	for (i = 0; i < n; i++) {
		gdfo_plan *plan;
		gdfo_reward r;
		double sc;
		if ((rc = gdfo_space_apply(&plan, p->space, t->pt[i], dim, "expert")))
			return rc;
		rc = gdfo__pol_predict_des(&r, NULL, p, gdfo_plan_graph(plan));
		gdfo_plan_free(plan);
		if (rc)
			return rc;
		sc = gdfo__pol_score(&r);
		if (sc > bs) {
			bs = sc;
			memcpy(best, t->pt[i], dim * sizeof(*best));
			*best_reward = r.reward;
		}
	}
	return 0;
}

static double eval_point(gdfo__pol *p, const int32_t *pt, gdfo_reward *r)
{
	gdfo_plan *plan;
	gdfo_reward rr;
	if (gdfo_space_apply(&plan, p->space, pt, p->space->dim, "expert"))
		return -INFINITY;
	if (gdfo__pol_predict(&rr, NULL, p, gdfo_plan_graph(plan))) {
		gdfo_plan_free(plan);
		return -INFINITY;
	}
	gdfo_plan_free(plan);
	if (r)
		*r = rr;
	return gdfo__pol_score(&rr);
}

/*
 * First-improvement hill climbing over the space's neighbours from the
 * input and from the rules plan's point (the better first), then from
 * random points while the budget lasts. Writes the best point found.
 */
/* eval_point, remembering the best points for the final check. */
static double track(gdfo__pol *p, const int32_t *pt, top_points *t, size_t *n)
{
	double sc = eval_point(p, pt, NULL);
	if (sc > -INFINITY)
		top_add(t, n, pt, sc, p->space->dim);
	return sc;
}

static int expert(int32_t *best, double *best_reward, gdfo__pol *p, const task *t, long budget, uint64_t *rng)
{
	const gdfo_space *s = p->space;
	size_t dim = s->dim, n, count, i;
	int32_t *cur = gdfo__calloc(dim + 1, sizeof(*cur)), *nb = NULL;
	size_t *order = NULL;
	gdfo_plan *rules = NULL;
	gdfo_rules_options ro;
	double best_s, cur_s, s_rules;
	long used = 0;
	int rc = 0, start = 0;

	top_points top;
	size_t n_top = 0, q;

	if (!cur)
		return GDFO_ENOMEM;
	for (q = 0; q < TOP; q++)
		if (!(top.pt[q] = gdfo__malloc((dim + 1) * sizeof(int32_t)))) {
			while (q-- > 0)
				free(top.pt[q]);
			free(cur);
			return GDFO_ENOMEM;
		}
	memset(best, 0, dim * sizeof(*best));
	best_s = track(p, best, &top, &n_top);
	used++;
	gdfo_rules_options_init(&ro, GDFO_RULES_OPTIONS_VERSION);
	ro.objective = &t->obj;
	ro.cluster = &t->cl;
	ro.check_changes = 0;
	if (!gdfo_optimize_rules(&rules, s->graph, t->tel, &ro) &&
	    !gdfo_space_point_of(cur, dim, s, gdfo_plan_graph(rules))) {
		s_rules = track(p, cur, &top, &n_top);
		used++;
		if (s_rules > best_s) {
			best_s = s_rules;
			memcpy(best, cur, dim * sizeof(*cur));
		}
	}
	gdfo_plan_free(rules);
	memcpy(cur, best, dim * sizeof(*cur));
	cur_s = best_s;
	while (used < budget) {
		int improved = 0;
		if ((rc = gdfo_space_neighbours(NULL, 0, &n, s, cur, dim)))
			break;
		if (n) {
			int32_t *nb2 = gdfo__realloc(nb, n * dim * sizeof(*nb));
			size_t *o2 = gdfo__realloc(order, n * sizeof(*order));
			if (nb2)
				nb = nb2;
			if (o2)
				order = o2;
			if (!nb2 || !o2) {
				rc = GDFO_ENOMEM;
				break;
			}
			if ((rc = gdfo_space_neighbours(nb, n, &count, s, cur, dim)))
				break;
			for (i = 0; i < n; i++)
				order[i] = i;
			for (i = n; i > 1; i--) {
				size_t j = (size_t)(gdfo__rl_mix(rng) % i), tmp = order[i - 1];
				order[i - 1] = order[j];
				order[j] = tmp;
			}
			for (i = 0; i < n && used < budget; i++) {
				double sc = track(p, nb + order[i] * dim, &top, &n_top);
				used++;
				if (sc > cur_s + 1e-9) {
					cur_s = sc;
					memcpy(cur, nb + order[i] * dim, dim * sizeof(*cur));
					improved = 1;
					break;
				}
			}
		}
		if (cur_s > best_s) {
			best_s = cur_s;
			memcpy(best, cur, dim * sizeof(*cur));
		}
		if (!improved) {
			/* a local optimum: restart from a random point */
			if ((rc = gdfo_space_sample(cur, dim, s, rng)))
				break;
			cur_s = track(p, cur, &top, &n_top);
			used++;
			start++;
		}
	}
	if (!rc)
		rc = rerank(best, best_reward, p, &top, n_top);
	free(cur);
	free(nb);
	free(order);
	for (q = 0; q < TOP; q++)
		free(top.pt[q]);
	(void)start;
	return rc;
}

/* ---- batched forward and backward over recorded episodes --------------- */

typedef struct trainer {
	gdfo_train_options o;
	gdfo_nn_encoder *enc;
	gdfo_nn_workspace *ws;
	gdfo__pol_episode *eps;
	size_t n_eps;
	/* batch scratch */
	gdfo_nn_pipeline *pipes;
	size_t *row0;            /* first stage row per step in the batch */
	float *x, *hs, *hp, *dhs, *dhp;
	size_t cap_pipes, cap_row0, cap_rows;
} trainer;

typedef struct losses {
	double policy, value, entropy, grad_norm;
	size_t draws, values;
	double total; /* the loss whose gradient pass() accumulates */
} losses;

/*
 * One pass over episodes [first, first + count): forward of every step
 * as one batch, the loss's gradients with respect to the heads, backward
 * (gradients accumulate in the encoder). imitation: cross-entropy on the
 * recorded choices; else PPO's clipped surrogate with advantage
 * ep->target.
 */
static int pass(trainer *tr, size_t first, size_t count, int imitation, int backward, losses *L)
{
	gdfo_nn_batch *batch = NULL;
	gdfo_nn_outputs out = {.version = GDFO_NN_OUTPUTS_VERSION};
	gdfo_nn_output_grads gr = {.version = GDFO_NN_OUTPUT_GRADS_VERSION};
	size_t e, st, nsteps = 0, rows = 0, k, d, cap = 0, total_draws = 0, total_values = 0;
	double *pr = NULL;
	int rc;

	for (e = first; e < first + count; e++) {
		nsteps += tr->eps[e].n_steps;
		for (st = 0; st < tr->eps[e].n_steps; st++) {
			rows += tr->eps[e].steps[st].S;
			total_draws += tr->eps[e].steps[st].n_draws;
			total_values += tr->eps[e].steps[st].value;
		}
	}
	if (!nsteps)
		return 0;
	if ((rc = gdfo__grow((void **)&tr->pipes, &tr->cap_pipes, nsteps, sizeof(*tr->pipes))) ||
	    (rc = gdfo__grow((void **)&tr->row0, &tr->cap_row0, nsteps, sizeof(*tr->row0))))
		return rc;
	if (rows > tr->cap_rows) {
		float **buf[] = {&tr->x, &tr->hs, &tr->dhs, &tr->hp, &tr->dhp};
		const size_t width[] = {GDFO__POL_FEATURES, GDFO__PS_WIDTH, GDFO__PS_WIDTH, GDFO__PP_WIDTH,
					GDFO__PP_WIDTH};
		for (k = 0; k < GDFO__ARRAY_LEN(buf); k++) {
			float *b = gdfo__realloc(*buf[k], rows * width[k] * sizeof(float));
			if (!b)
				return GDFO_ENOMEM;
			*buf[k] = b;
		}
		tr->cap_rows = rows;
	}
	k = 0;
	rows = 0;
	for (e = first; e < first + count; e++)
		for (st = 0; st < tr->eps[e].n_steps; st++) {
			const gdfo__pol_step *s = &tr->eps[e].steps[st];
			tr->pipes[k].n_stages = s->S;
			tr->pipes[k].n_edges = s->n_edges;
			tr->pipes[k].edges = s->edges;
			tr->row0[k] = rows;
			memcpy(tr->x + rows * GDFO__POL_FEATURES, s->x, s->S * GDFO__POL_FEATURES * sizeof(float));
			rows += s->S;
			k++;
		}
	if ((rc = gdfo_nn_batch_create(&batch, tr->enc, tr->pipes, nsteps)))
		return rc;
	out.stage_heads = tr->hs;
	out.pipeline_heads = tr->hp;
	if ((rc = gdfo_nn_forward(tr->ws, batch, tr->x, &out)))
		goto done;
	memset(tr->dhs, 0, rows * GDFO__PS_WIDTH * sizeof(float));
	memset(tr->dhp, 0, nsteps * GDFO__PP_WIDTH * sizeof(float));
	k = 0;
	for (e = first; e < first + count; e++) {
		const gdfo__pol_episode *ep = &tr->eps[e];
		for (st = 0; st < ep->n_steps; st++, k++) {
			const gdfo__pol_step *s = &ep->steps[st];
			float *hs = tr->hs + tr->row0[k] * GDFO__PS_WIDTH, *dhs = tr->dhs + tr->row0[k] * GDFO__PS_WIDTH;
			float *hp = tr->hp + k * GDFO__PP_WIDTH, *dhp = tr->dhp + k * GDFO__PP_WIDTH;
			if (s->value) {
				double target = ep->reward < -3 ? -3 : ep->reward > 5 ? 5 : ep->reward;
				double diff = hp[GDFO__PP_VALUE] - target;
				L->value += diff * diff;
				L->values++;
				dhp[GDFO__PP_VALUE] += (float)(2.0 * tr->o.value_coef * diff / (double)total_values);
			}
			for (d = s->first_draw; d < s->first_draw + s->n_draws; d++) {
				const gdfo__pol_draw *dr = &ep->draws[d];
				const gdfo__pol_ref *rf = ep->refs + dr->first;
				double mx = -INFINITY, z = 0, lp, H = 0, coef;
				size_t j;
				if (dr->n > cap) {
					double *np = gdfo__realloc(pr, dr->n * sizeof(*pr));
					if (!np) {
						rc = GDFO_ENOMEM;
						goto done;
					}
					pr = np;
					cap = dr->n;
				}
				for (j = 0; j < dr->n; j++) {
					pr[j] = rf[j].head ? hp[rf[j].col] : hs[(size_t)rf[j].row * GDFO__PS_WIDTH + rf[j].col];
					if (pr[j] > mx)
						mx = pr[j];
				}
				for (j = 0; j < dr->n; j++)
					z += exp(pr[j] - mx);
				lp = pr[dr->chosen] - mx - log(z);
				for (j = 0; j < dr->n; j++) {
					pr[j] = exp(pr[j] - mx) / z;
					if (pr[j] > 0)
						H -= pr[j] * log(pr[j]);
				}
				L->entropy += H;
				L->draws++;
				if (imitation) {
					L->policy += -lp;
					coef = 1.0; /* d(-lp)/dl_j = p_j - [j = chosen] */
				} else {
					double ratio = exp(lp - dr->logp), A = ep->target, clipped;
					double lo = 1.0 - tr->o.clip, hi = 1.0 + tr->o.clip;
					clipped = ratio < lo ? lo : ratio > hi ? hi : ratio;
					L->policy += -(ratio * A < clipped * A ? ratio * A : clipped * A);
					/* the gradient flows only where the unclipped term is the minimum */
					coef = ((A >= 0 && ratio > hi) || (A < 0 && ratio < lo)) ? 0.0 : ratio * A;
				}
				for (j = 0; j < dr->n; j++) {
					double g = imitation ? pr[j] - (j == dr->chosen) : -coef * ((j == dr->chosen) - pr[j]);
					/* entropy bonus: loss -= beta H; dH/dl_j = -p_j (log p_j + H) */
					if (pr[j] > 0)
						g += tr->o.entropy_coef * pr[j] * (log(pr[j]) + H);
					g /= (double)total_draws;
					if (rf[j].head)
						dhp[rf[j].col] += (float)g;
					else
						dhs[(size_t)rf[j].row * GDFO__PS_WIDTH + rf[j].col] += (float)g;
				}
			}
		}
	}
	L->total = (total_draws ? (L->policy - tr->o.entropy_coef * L->entropy) / (double)total_draws : 0) +
		   (total_values ? tr->o.value_coef * L->value / (double)total_values : 0);
	gr.stage_heads = tr->dhs;
	gr.pipeline_heads = tr->dhp;
	rc = backward ? gdfo_nn_backward(tr->enc, tr->ws, &gr, NULL) : 0;
done:
	free(pr);
	gdfo_nn_batch_free(batch);
	return rc;
}

static void trainer_buffers_free(trainer *tr)
{
	free(tr->pipes);
	free(tr->row0);
	free(tr->x);
	free(tr->hs);
	free(tr->hp);
	free(tr->dhs);
	free(tr->dhp);
}

int gdfo__rl_loss(double *loss, gdfo_nn_encoder *enc, gdfo__pol_episode *eps, size_t n, int imitation, int backward,
		  const gdfo_train_options *o)
{
	trainer tr;
	losses L;
	int rc;

	memset(&tr, 0, sizeof(tr));
	memset(&L, 0, sizeof(L));
	tr.o = *o;
	tr.enc = enc;
	tr.eps = eps;
	tr.n_eps = n;
	if ((rc = gdfo_nn_workspace_create(&tr.ws, enc, NULL, GDFO_NN_TRAINING)))
		return rc;
	rc = pass(&tr, 0, n, imitation, backward, &L);
	*loss = L.total;
	gdfo_nn_workspace_free(tr.ws);
	trainer_buffers_free(&tr);
	return rc;
}

int gdfo__rl_record(gdfo__pol_episode *ep, const gdfo_nn_encoder *enc, const gdfo_graph *g, const gdfo_objective *obj,
		    uint64_t seed)
{
	gdfo_space *space = NULL;
	gdfo_space_options so;
	gdfo__pol pol;
	int32_t *point = NULL;
	uint64_t rng = seed;
	int rc;

	memset(&pol, 0, sizeof(pol));
	gdfo__pol_episode_reset(ep);
	gdfo_space_options_init(&so, GDFO_SPACE_OPTIONS_VERSION);
	if ((rc = gdfo_space_create(&space, g, &so)) || (rc = gdfo__pol_init(&pol, enc, NULL)) ||
	    (rc = gdfo__pol_begin(&pol, space, NULL, obj)))
		goto out;
	if (!(point = gdfo__calloc(space->dim + 1, sizeof(*point)))) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	rc = gdfo__pol_generate(&pol, point, GDFO__POL_SAMPLE, NULL, &rng, 4, ep, NULL);
out:
	free(point);
	gdfo__pol_free(&pol);
	gdfo_space_free(space);
	return rc;
}

/*
 * One online step (the closed loop's feedback, docs/loop.md "Learning"):
 * the policy's own decisions are replayed on input (teacher mode, forced
 * to point), the value head is moved toward the observed reward and the
 * policy by a PPO step with advantage reward - value (clipped to +-1),
 * at a learning rate of lr with the global gradient norm clipped to 0.5:
 * a small, bounded step. *value (may be NULL) gets the value head's
 * prediction before the step.
 */
int gdfo__rl_online_step(gdfo_nn_encoder *enc, const gdfo_graph *input, const gdfo_sim_cluster *cluster,
			 const gdfo_objective *obj, const int32_t *point, size_t dim, double reward, float lr,
			 double *value)
{
	gdfo_space *space = NULL;
	gdfo_space_options so;
	gdfo__pol pol;
	gdfo__pol_episode ep;
	gdfo_train_options to;
	gdfo_nn_adamw aw;
	int32_t *pt = NULL;
	uint64_t rng = 1;
	double loss, adv;
	int rc;

	memset(&pol, 0, sizeof(pol));
	memset(&ep, 0, sizeof(ep));
	gdfo_space_options_init(&so, GDFO_SPACE_OPTIONS_VERSION);
	so.cluster = cluster;
	if ((rc = gdfo_space_create(&space, input, &so)))
		return rc;
	if (space->dim != dim) {
		rc = gdfo__error(GDFO_EINVAL, "online step: the point has %zu decisions, the space %zu", dim, space->dim);
		goto out;
	}
	if (!(pt = gdfo__calloc(dim + 1, sizeof(*pt)))) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	if ((rc = gdfo__pol_init(&pol, enc, cluster)) || (rc = gdfo__pol_begin(&pol, space, NULL, obj)) ||
	    (rc = gdfo__pol_generate(&pol, pt, GDFO__POL_TEACHER, point, &rng, 64, &ep, NULL)))
		goto out;
	if (value)
		*value = ep.value;
	adv = reward - ep.value;
	ep.reward = (float)reward;
	ep.target = (float)(adv > 1 ? 1 : adv < -1 ? -1 : adv);
	gdfo_train_options_init(&to, GDFO_TRAIN_OPTIONS_VERSION);
	to.entropy_coef = 0;
	if ((rc = gdfo_nn_zero_grad(enc)) || (rc = gdfo__rl_loss(&loss, enc, &ep, 1, 0, 1, &to)))
		goto out;
	gdfo_nn_adamw_init(&aw, GDFO_NN_ADAMW_VERSION);
	aw.lr = lr;
	aw.weight_decay = 0;
	aw.max_grad_norm = 0.5f;
	rc = gdfo_nn_step(enc, &aw, NULL);
out:
	free(pt);
	gdfo__pol_episode_free(&ep);
	gdfo__pol_free(&pol);
	gdfo_space_free(space);
	return rc;
}

/* ---- checkpoints ------------------------------------------------------- */

static void put64(unsigned char *b, uint64_t v)
{
	int i;
	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *b)
{
	uint64_t v = 0;
	int i;
	for (i = 0; i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

/* What must match for a checkpoint to be resumed. */
static uint64_t options_key(const gdfo_train_options *o)
{
	uint64_t k = o->seed;
	uint64_t parts[] = {o->d_model, o->n_layers, (uint64_t)o->batch_episodes, (uint64_t)o->warm_episodes,
			    (uint64_t)o->ppo_episodes, (uint64_t)o->epochs, (uint64_t)o->expert_budget,
			    (uint64_t)o->structural_steps, o->pipeline != NULL, (uint64_t)o->group};
	size_t i;
	for (i = 0; i < GDFO__ARRAY_LEN(parts); i++)
		k = (k ^ parts[i]) * 0x100000001b3ULL;
	return k;
}

typedef struct position {
	uint64_t episode, update;
	double reward_avg;
} position;

#define STATE_HEADER 48

static char *state_path(const char *ckpt)
{
	size_t n = strlen(ckpt);
	char *p = gdfo__malloc(n + 7);
	if (p)
		memcpy(p, ckpt, n), memcpy(p + n, ".state", 7);
	return p;
}

static int save_checkpoint(const trainer *tr, const position *pos)
{
	const gdfo_nn_encoder *enc = tr->enc;
	size_t P = enc->n_params, len = STATE_HEADER + 2 * P * sizeof(float) + 4;
	unsigned char *b;
	char *sp;
	double ra = pos->reward_avg;
	uint64_t rbits;
	int rc;

	if ((rc = gdfo_nn_save(enc, tr->o.checkpoint)))
		return rc;
	if (!(sp = state_path(tr->o.checkpoint)))
		return GDFO_ENOMEM;
	if (!(b = gdfo__calloc(1, len))) {
		free(sp);
		return GDFO_ENOMEM;
	}
	memcpy(b, STATE_MAGIC, 8);
	put64(b + 8, STATE_VERSION);
	put64(b + 16, options_key(&tr->o));
	put64(b + 24, pos->episode);
	put64(b + 32, enc->steps);
	memcpy(&rbits, &ra, 8);
	put64(b + 40, rbits);
	if (enc->m)
		memcpy(b + STATE_HEADER, enc->m, P * sizeof(float));
	if (enc->v)
		memcpy(b + STATE_HEADER + P * sizeof(float), enc->v, P * sizeof(float));
	{
		uint32_t crc = (uint32_t)crc32(0L, b, (uInt)(len - 4));
		b[len - 4] = (unsigned char)crc;
		b[len - 3] = (unsigned char)(crc >> 8);
		b[len - 2] = (unsigned char)(crc >> 16);
		b[len - 1] = (unsigned char)(crc >> 24);
	}
	rc = gdfo__file_write_atomic(sp, b, len);
	free(b);
	free(sp);
	return rc;
}

/* Resumes from the checkpoint when it exists: 1 resumed, 0 none, < 0 error. */
static int load_checkpoint(trainer *tr, position *pos)
{
	gdfo_nn_encoder *enc = tr->enc;
	size_t P = enc->n_params, len;
	char *sp, *buf = NULL;
	const unsigned char *b;
	uint32_t crc;
	uint64_t rbits;
	int rc;

	if (!(sp = state_path(tr->o.checkpoint)))
		return GDFO_ENOMEM;
	if (access(sp, F_OK) != 0 || access(tr->o.checkpoint, F_OK) != 0) {
		free(sp);
		return 0; /* nothing to resume */
	}
	rc = gdfo__file_read(&buf, &len, sp, (size_t)1 << 34);
	if (rc) {
		free(sp);
		return rc;
	}
	b = (const unsigned char *)buf;
	rc = GDFO_EFORMAT;
	if (len != STATE_HEADER + 2 * P * sizeof(float) + 4 || memcmp(b, STATE_MAGIC, 8)) {
		gdfo__error(rc, "training state '%s': not a state file of this model (size or magic)", sp);
		goto out;
	}
	crc = (uint32_t)b[len - 4] | (uint32_t)b[len - 3] << 8 | (uint32_t)b[len - 2] << 16 | (uint32_t)b[len - 1] << 24;
	if (crc != (uint32_t)crc32(0L, b, (uInt)(len - 4))) {
		rc = gdfo__error(GDFO_ECHECKSUM, "training state '%s': checksum mismatch", sp);
		goto out;
	}
	if (get64(b + 8) != STATE_VERSION) {
		rc = gdfo__error(GDFO_EVERSION, "training state '%s': version %llu", sp, (unsigned long long)get64(b + 8));
		goto out;
	}
	if (get64(b + 16) != options_key(&tr->o)) {
		rc = gdfo__error(GDFO_EINVAL, "training state '%s' was made with other training options; remove it to start over",
				 sp);
		goto out;
	}
	if ((rc = gdfo_nn_load_into(enc, tr->o.checkpoint)))
		goto out;
	rc = GDFO_ENOMEM;
	if (!enc->m && !(enc->m = gdfo__calloc(P, sizeof(float))))
		goto out;
	if (!enc->v && !(enc->v = gdfo__calloc(P, sizeof(float))))
		goto out;
	memcpy(enc->m, b + STATE_HEADER, P * sizeof(float));
	memcpy(enc->v, b + STATE_HEADER + P * sizeof(float), P * sizeof(float));
	enc->steps = get64(b + 32);
	pos->episode = get64(b + 24);
	pos->update = enc->steps;
	rbits = get64(b + 40);
	memcpy(&pos->reward_avg, &rbits, 8);
	rc = 1;
out:
	free(buf);
	free(sp);
	return rc;
}

/* ---- the loop ---------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One episode: plan for a task, record the draws, judge (PPO) or search (warm start). */
/*
 * The task of an episode: its index in the warm start; in PPO, groups of
 * `group` consecutive episodes share one (warm_episodes + group number).
 */
static uint64_t task_of(const gdfo_train_options *o, uint64_t index)
{
	uint64_t w = (uint64_t)o->warm_episodes;
	return index < w ? index : w + (index - w) / (uint64_t)o->group;
}

static int episode(trainer *tr, uint64_t index, int imitation, gdfo__pol_episode *ep, double *expert_reward)
{
	task t;
	gdfo_space *space = NULL;
	gdfo_space_options so;
	gdfo__pol pol;
	int32_t *point = NULL, *teacher = NULL;
	uint64_t rng = tr->o.seed ^ (index + 1) * 0x2545f4914f6cdd1dULL, task_index = task_of(&tr->o, index);
	uint64_t jrng = tr->o.seed ^ (task_index + 1) * 0x9e3779b97f4a7c15ULL;
	int rc;

	memset(&pol, 0, sizeof(pol));
	gdfo__pol_episode_reset(ep);
	if ((rc = make_task(&t, &tr->o, task_index)))
		return rc;
	gdfo_space_options_init(&so, GDFO_SPACE_OPTIONS_VERSION);
	so.cluster = &t.cl;
	if ((rc = gdfo_space_create(&space, t.g, &so)))
		goto out;
	if ((rc = gdfo__pol_init(&pol, tr->enc, &t.cl)))
		goto out;
	if (t.slo_factor) {
		/* the SLO: 1.1 x the input's predicted latency */
		if ((rc = gdfo__pol_begin(&pol, space, t.tel, &t.obj)))
			goto out;
		t.obj.slo_ms = 1.1 * pol.base_latency_ms;
	}
	if ((rc = gdfo__pol_begin(&pol, space, t.tel, &t.obj)))
		goto out;
	point = gdfo__calloc(space->dim + 1, sizeof(*point));
	teacher = gdfo__calloc(space->dim + 1, sizeof(*teacher));
	if (!point || !teacher) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	if (imitation) {
		double r = 0;
		if ((rc = expert(teacher, &r, &pol, &t, tr->o.expert_budget, &rng)))
			goto out;
		ep->reward = (float)r;
		*expert_reward = r;
		rc = gdfo__pol_generate(&pol, point, GDFO__POL_TEACHER, teacher, &rng, tr->o.structural_steps, ep, NULL);
	} else {
		gdfo_judge *judge = NULL;
		gdfo_judge_options jo;
		gdfo_outcome base = {.version = GDFO_OUTCOME_VERSION}, o = {.version = GDFO_OUTCOME_VERSION};
		gdfo_reward r = {.version = GDFO_REWARD_VERSION}, rr = {.version = GDFO_REWARD_VERSION};
		gdfo_plan *plan = NULL;

		if ((rc = gdfo__pol_generate(&pol, point, GDFO__POL_SAMPLE, NULL, &rng, tr->o.structural_steps, ep, NULL)))
			goto out;
		gdfo_judge_options_init(&jo, GDFO_JUDGE_OPTIONS_VERSION);
		jo.runs = 1;
		jo.seed = gdfo__rl_mix(&jrng); /* one group, one noise: common random numbers */
		jo.cluster = &t.cl;
		if (!(rc = gdfo_judge_create(&judge, t.g, &jo)) && !(rc = gdfo_judge_baseline(&base, judge)) &&
		    !(rc = gdfo_space_apply(&plan, space, point, space->dim, "learned")) &&
		    !(rc = gdfo_judge_graph(&rr, &o, judge, gdfo_plan_graph(plan)))) {
			if (t.slo_factor)
				t.obj.slo_ms = 1.1 * base.latency_ms;
			rc = gdfo_reward_compute(&r, &o, &base, &t.obj);
		}
		gdfo_plan_free(plan);
		gdfo_judge_free(judge);
		if (rc)
			goto out;
		ep->reward = (float)(r.failed ? -3 : r.reward);
		*expert_reward = ep->reward;
	}
out:
	gdfo__pol_free(&pol);
	gdfo_space_free(space);
	free(point);
	free(teacher);
	task_free(&t);
	return rc;
}

static int check_options(const gdfo_train_options *o)
{
	const char *bad = NULL;
	if (o->d_model < 4 || o->d_model > 512 || o->d_model % 4)
		bad = "d_model must be a multiple of 4 in 4..512";
	else if (o->n_layers > 16)
		bad = "n_layers must be in 0..16";
	else if (o->batch_episodes < 1 || o->batch_episodes > 4096)
		bad = "batch_episodes must be in 1..4096";
	else if (o->warm_episodes < 0 || o->ppo_episodes < 0)
		bad = "warm_episodes and ppo_episodes must be >= 0";
	else if (o->epochs < 1 || o->epochs > 100)
		bad = "epochs must be in 1..100";
	else if (o->expert_budget < 1)
		bad = "expert_budget must be >= 1";
	else if (o->structural_steps < 0 || o->structural_steps > 64)
		bad = "structural_steps must be in 0..64";
	else if (!(o->lr > 0 && o->lr < 1) || !(o->clip > 0 && o->clip < 1) || !(o->entropy_coef >= 0) ||
		 !(o->value_coef >= 0) || !(o->max_grad_norm >= 0) || !(o->weight_decay >= 0))
		bad = "lr and clip must be in (0, 1); entropy_coef, value_coef, max_grad_norm, weight_decay >= 0";
	else if (o->checkpoint_every < 1)
		bad = "checkpoint_every must be >= 1";
	else if (o->group < 1 || o->group > o->batch_episodes || o->batch_episodes % o->group)
		bad = "group must be in 1..batch_episodes and divide it";
	if (bad)
		return gdfo__error(GDFO_EINVAL, "gdfo_train: %s", bad);
	if (o->objective && gdfo_objective_validate(o->objective))
		return gdfo__error_prefix(GDFO_EINVAL, "gdfo_train: objective");
	if (o->cluster && gdfo_sim_cluster_validate(o->cluster))
		return gdfo__error_prefix(GDFO_EINVAL, "gdfo_train: cluster");
	return 0;
}

int gdfo_train(gdfo_nn_encoder **out, const gdfo_train_options *opts)
{
	trainer tr;
	gdfo_nn_options no;
	gdfo_nn_adamw aw;
	position pos = {0, 0, 0};
	uint64_t total;
	double t0 = now_s(), t_start_ep = 0;
	int rc, resumed = 0;
	size_t i;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_train: out is NULL");
	*out = NULL;
	memset(&tr, 0, sizeof(tr));
	gdfo_train_options_init(&tr.o, GDFO_TRAIN_OPTIONS_VERSION);
	if (opts && (rc = gdfo__abi_in(&tr.o, opts, &tr.o, GDFO__ABI_TRAIN_OPTIONS, "gdfo_train")))
		return rc;
	if ((rc = check_options(&tr.o)))
		return rc;
	if (tr.o.init_model) {
		if ((rc = gdfo_nn_load(&tr.enc, tr.o.init_model)))
			return rc;
		if ((rc = gdfo__pol_check_model(tr.enc, tr.o.init_model)))
			goto out;
	} else {
		gdfo__pol_nn_options(&no, tr.o.d_model, tr.o.n_layers, tr.o.seed);
		if ((rc = gdfo_nn_create(&tr.enc, &no)))
			return rc;
	}
	if ((rc = gdfo_nn_workspace_create(&tr.ws, tr.enc, NULL, GDFO_NN_TRAINING)))
		goto out;
	tr.n_eps = (size_t)tr.o.batch_episodes;
	if (!(tr.eps = gdfo__calloc(tr.n_eps, sizeof(*tr.eps)))) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	if (tr.o.checkpoint && (resumed = load_checkpoint(&tr, &pos)) < 0) {
		rc = resumed;
		goto out;
	}
	gdfo_nn_adamw_init(&aw, GDFO_NN_ADAMW_VERSION);
	aw.lr = tr.o.lr;
	aw.weight_decay = tr.o.weight_decay;
	aw.max_grad_norm = tr.o.max_grad_norm;
	total = (uint64_t)tr.o.warm_episodes + (uint64_t)tr.o.ppo_episodes;
	t_start_ep = (double)pos.episode;
	while (pos.episode < total) {
		int imitation = pos.episode < (uint64_t)tr.o.warm_episodes;
		uint64_t end = imitation ? (uint64_t)tr.o.warm_episodes : total;
		size_t n = tr.n_eps, epoch;
		double mean_r = 0, mean_v = 0, var = 0, sd;
		losses L;
		float gn = 0;
		gdfo_train_progress pg;

		if (pos.episode + n > end)
			n = (size_t)(end - pos.episode);
		for (i = 0; i < n; i++) {
			double r = 0;
			if ((rc = episode(&tr, pos.episode + i, imitation, &tr.eps[i], &r)))
				goto out;
			mean_r += r;
		}
		mean_r /= (double)n;
		/*
		 * Advantages: the reward minus a baseline, normalized over the batch.
		 * The baseline is the mean reward of the episode's group (the other
		 * plans sampled for the same pipeline and objective, judged on the
		 * same noise), or the value head's prediction when groups are of one.
		 */
		for (i = 0; i < n; i++) {
			double b = tr.eps[i].value, a;
			if (!imitation && tr.o.group > 1) {
				uint64_t g = task_of(&tr.o, pos.episode + i);
				size_t j, cnt = 0;
				b = 0;
				for (j = 0; j < n; j++)
					if (task_of(&tr.o, pos.episode + j) == g) {
						b += tr.eps[j].reward;
						cnt++;
					}
				b /= (double)cnt;
			}
			a = tr.eps[i].reward - b;
			tr.eps[i].target = (float)a;
			mean_v += a;
		}
		mean_v /= (double)n;
		for (i = 0; i < n; i++)
			var += (tr.eps[i].target - mean_v) * (tr.eps[i].target - mean_v);
		sd = sqrt(var / (double)n) + 1e-6;
		for (i = 0; i < n; i++)
			tr.eps[i].target = (float)((tr.eps[i].target - mean_v) / (n > 1 ? sd : 1.0));
		for (epoch = 0; epoch < (imitation ? 1u : (size_t)tr.o.epochs); epoch++) {
			memset(&L, 0, sizeof(L));
			if ((rc = gdfo_nn_zero_grad(tr.enc)) || (rc = pass(&tr, 0, n, imitation, 1, &L)))
				goto out;
			rc = gdfo_nn_step(tr.enc, &aw, &gn);
			if (rc == GDFO_ERANGE) {
				/* a non-finite gradient: skip this update (nothing changed) */
				gdfo_nn_zero_grad(tr.enc);
			} else if (rc) {
				goto out;
			}
		}
		pos.episode += n;
		pos.update = tr.enc->steps;
		pos.reward_avg = pos.update <= 1 ? mean_r : 0.9 * pos.reward_avg + 0.1 * mean_r;
		if (tr.o.checkpoint && (pos.update % (uint64_t)tr.o.checkpoint_every == 0 || pos.episode >= total) &&
		    (rc = save_checkpoint(&tr, &pos)))
			goto out;
		memset(&pg, 0, sizeof(pg));
		pg.version = GDFO_TRAIN_PROGRESS_VERSION;
		pg.phase = !imitation;
		pg.episode = (int64_t)pos.episode;
		pg.episodes_total = (int64_t)total;
		pg.update = (int64_t)pos.update;
		pg.reward = mean_r;
		pg.reward_avg = pos.reward_avg;
		pg.policy_loss = L.draws ? L.policy / (double)L.draws : 0;
		pg.value_loss = L.values ? L.value / (double)L.values : 0;
		pg.entropy = L.draws ? L.entropy / (double)L.draws : 0;
		pg.grad_norm = gn;
		pg.elapsed_s = now_s() - t0;
		pg.eta_s = pos.episode > t_start_ep ? pg.elapsed_s / ((double)pos.episode - t_start_ep) *
							  (double)(total - pos.episode)
						    : 0;
		if (tr.o.progress && tr.o.progress(&pg, tr.o.progress_ctx)) {
			rc = gdfo__error(GDFO_ECANCELED, "gdfo_train: stopped by the progress callback after %llu episodes",
					 (unsigned long long)pos.episode);
			goto out;
		}
	}
	*out = tr.enc;
	tr.enc = NULL;
	rc = 0;
out:
	for (i = 0; tr.eps && i < tr.n_eps; i++)
		gdfo__pol_episode_free(&tr.eps[i]);
	free(tr.eps);
	trainer_buffers_free(&tr);
	gdfo_nn_workspace_free(tr.ws);
	gdfo_nn_free(tr.enc);
	return rc;
}
