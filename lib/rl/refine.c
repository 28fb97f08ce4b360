/*
 * The Q refiner (include/gdfo/optimizer.h, docs/learning.md "The Q
 * refiner"): neighbouring edits of the best observed plan, Q from the
 * execution model's predicted difference, a per-kind correction learned
 * from observed rewards and the policy's prior, epsilon-greedy within a
 * predicted bound.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/abi.h"
#include "plan/plan_internal.h"
#include "rl/rl_internal.h"

#define EPSILON 0.1
#define BOUND 0.05
#define ALPHA 0.5
#define PRIOR 0.02

struct gdfo_refiner {
	gdfo_space *space;
	gdfo__pol pol;
	size_t dim;
	int32_t *best;        /* incumbent point */
	double best_obs;      /* its observed reward (NAN before the first observation) */
	double best_pred;     /* its predicted reward */
	int32_t *last;        /* the point next returned, awaiting its reward */
	double last_pred;
	int last_kind;        /* decision kind it changed, -1 for the first plan */
	int outstanding;
	int32_t *nb;          /* neighbours of the incumbent, dim each */
	double *nb_pred;
	int *nb_kind;
	unsigned char *tried;
	size_t n_nb;
	double corr[GDFO_DECISION_KIND_COUNT]; /* learned Q correction per kind */
	float *logp;          /* the policy's log-probability per (decision, choice); NULL: none */
	uint64_t rng;
};

void gdfo_refiner_free(gdfo_refiner *r)
{
	if (!r)
		return;
	gdfo__pol_free(&r->pol);
	gdfo_space_free(r->space);
	free(r->best);
	free(r->last);
	free(r->nb);
	free(r->nb_pred);
	free(r->nb_kind);
	free(r->tried);
	free(r->logp);
	free(r);
}

static double predict_point(gdfo_refiner *r, const int32_t *pt)
{
	gdfo_plan *plan;
	gdfo_reward rw;
	if (gdfo_space_apply(&plan, r->space, pt, r->dim, "learned"))
		return -INFINITY;
	if (gdfo__pol_predict(&rw, NULL, &r->pol, gdfo_plan_graph(plan))) {
		gdfo_plan_free(plan);
		return -INFINITY;
	}
	gdfo_plan_free(plan);
	return gdfo__pol_score(&rw);
}

/* The neighbours of the incumbent and their predicted rewards. */
static int expand(gdfo_refiner *r)
{
	size_t n, count, i, d;
	int rc;

	if ((rc = gdfo_space_neighbours(NULL, 0, &n, r->space, r->best, r->dim)))
		return rc;
	free(r->nb);
	free(r->nb_pred);
	free(r->nb_kind);
	free(r->tried);
	r->nb_pred = NULL;
	r->nb_kind = NULL;
	r->tried = NULL;
	r->n_nb = 0;
	if (!(r->nb = gdfo__malloc((n ? n : 1) * r->dim * sizeof(*r->nb))) ||
	    !(r->nb_pred = gdfo__malloc((n ? n : 1) * sizeof(double))) ||
	    !(r->nb_kind = gdfo__malloc((n ? n : 1) * sizeof(int))) || !(r->tried = gdfo__calloc(n ? n : 1, 1)))
		return GDFO_ENOMEM;
	if ((rc = gdfo_space_neighbours(r->nb, n, &count, r->space, r->best, r->dim)))
		return rc;
	r->n_nb = n;
	for (i = 0; i < n; i++) {
		const int32_t *pt = r->nb + i * r->dim;
		r->nb_kind[i] = -1;
		for (d = 0; d < r->dim; d++)
			if (pt[d] != r->best[d]) {
				r->nb_kind[i] = (int)d;
				break;
			}
		r->nb_pred[i] = predict_point(r, pt);
	}
	return 0;
}

static double q_of(const gdfo_refiner *r, size_t i)
{
	int d = r->nb_kind[i];
	int kind = d >= 0 ? r->space->d[d].kind : 0;
	double q = (isnan(r->best_obs) ? r->best_pred : r->best_obs) + (r->nb_pred[i] - r->best_pred) + r->corr[kind];
	if (r->logp && d >= 0)
		q += PRIOR * r->logp[r->pol.slot_at[d] + (size_t)r->nb[i * r->dim + (size_t)d]];
	return q;
}

int gdfo_refiner_create(gdfo_refiner **out, gdfo_optimizer *opt, const gdfo_graph *graph,
			const gdfo_telemetry *telemetry, const gdfo_objective *objective)
{
	gdfo_refiner *r;
	gdfo_plan *plan = NULL;
	gdfo_space_options so;
	gdfo_sim_cluster cl;
	const gdfo_nn_encoder *enc;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_refiner_create: out is NULL");
	*out = NULL;
	if (!opt || !graph)
		return gdfo__error(GDFO_EINVAL, "gdfo_refiner_create: NULL argument");
	if ((rc = gdfo_optimizer_plan(&plan, opt, graph, telemetry, objective)))
		return rc;
	if (!(r = gdfo__calloc(1, sizeof(*r)))) {
		gdfo_plan_free(plan);
		return GDFO_ENOMEM;
	}
	gdfo__optimizer_internals(opt, &enc, &cl);
	gdfo_space_options_init(&so, GDFO_SPACE_OPTIONS_VERSION);
	so.cluster = &cl;
	if ((rc = gdfo_space_create(&r->space, graph, &so)))
		goto fail;
	r->dim = r->space->dim;
	if ((rc = gdfo__pol_init(&r->pol, enc, &cl)) || (rc = gdfo__pol_begin(&r->pol, r->space, telemetry, objective)))
		goto fail;
	rc = GDFO_ENOMEM;
	if (!(r->best = gdfo__calloc(r->dim + 1, sizeof(*r->best))) ||
	    !(r->last = gdfo__calloc(r->dim + 1, sizeof(*r->last))))
		goto fail;
	if ((rc = gdfo_space_point_of(r->last, r->dim, r->space, gdfo_plan_graph(plan))))
		goto fail;
	/* the policy's prior over every choice, from the input's encoding */
	if (enc) {
		size_t d, c, total = r->pol.slot_at[r->dim];
		if (!(r->logp = gdfo__calloc(total ? total : 1, sizeof(float)))) {
			rc = GDFO_ENOMEM;
			goto fail;
		}
		if ((rc = gdfo__pol_encode(&r->pol, r->space->graph)))
			goto fail;
		for (d = 0; d < r->dim; d++) {
			const gdfo__decision *dc = &r->space->d[d];
			size_t row = 0;
			double mx = -INFINITY, z = 0;
			int wide = gdfo__decision_is_graph_wide(dc->kind);
			if (gdfo__pol_structural(dc->kind) ||
			    (!wide && (row = gdfo__graph_index(r->space->graph, dc->stage_id)) == (size_t)-1))
				continue;
			for (c = 0; c < dc->n; c++) {
				int16_t col = r->pol.slot[r->pol.slot_at[d] + c];
				float l = wide ? r->pol.hp[col] : r->pol.hs[row * GDFO__PS_WIDTH + (size_t)col];
				r->logp[r->pol.slot_at[d] + c] = l;
				if (dc->c[c].legal && l > mx)
					mx = l;
			}
			for (c = 0; c < dc->n; c++)
				if (dc->c[c].legal)
					z += exp(r->logp[r->pol.slot_at[d] + c] - mx);
			for (c = 0; c < dc->n; c++)
				r->logp[r->pol.slot_at[d] + c] -= (float)(mx + log(z));
		}
	}
	r->last_pred = predict_point(r, r->last);
	r->pol.telemetry = NULL; /* borrowed for this call only; later calls do not read it */
	r->last_kind = -1;
	r->best_obs = NAN;
	r->rng = 0x853c49e6748fea9bULL;
	gdfo_plan_free(plan);
	r->outstanding = 0;
	*out = r;
	return 0;
fail:
	gdfo_plan_free(plan);
	gdfo_refiner_free(r);
	return rc;
}

int gdfo_refiner_next(gdfo_plan **out, gdfo_refiner *r)
{
	size_t i, pick = (size_t)-1, n_ok = 0;
	double bq = -INFINITY;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_refiner_next: out is NULL");
	*out = NULL;
	if (!r)
		return gdfo__error(GDFO_EINVAL, "gdfo_refiner_next: refiner is NULL");
	if (r->outstanding)
		return gdfo__error(GDFO_EINVAL, "gdfo_refiner_next: the last plan's reward was not observed yet");
	if (!isnan(r->best_obs)) {
		/* epsilon-greedy over untried neighbours predicted within the bound */
		double floor = r->best_pred - BOUND;
		for (i = 0; i < r->n_nb; i++)
			if (!r->tried[i] && r->nb_pred[i] >= floor)
				n_ok++;
		if (n_ok && gdfo__rl_uniform(&r->rng) < EPSILON) {
			size_t k = (size_t)(gdfo__rl_mix(&r->rng) % n_ok);
			for (i = 0; i < r->n_nb; i++)
				if (!r->tried[i] && r->nb_pred[i] >= floor && k-- == 0) {
					pick = i;
					break;
				}
		} else {
			for (i = 0; i < r->n_nb; i++)
				if (!r->tried[i] && r->nb_pred[i] > -1e5 && q_of(r, i) > bq) {
					bq = q_of(r, i);
					pick = i;
				}
		}
		if (pick == (size_t)-1)
			return gdfo__error(GDFO_ENOTFOUND, "gdfo_refiner_next: every neighbour of the best plan was tried");
		r->tried[pick] = 1;
		memcpy(r->last, r->nb + pick * r->dim, r->dim * sizeof(*r->last));
		r->last_pred = r->nb_pred[pick];
		r->last_kind = r->nb_kind[pick] >= 0 ? r->space->d[r->nb_kind[pick]].kind : -1;
	}
	r->outstanding = 1;
	return gdfo_space_apply(out, r->space, r->last, r->dim, "learned+q");
}

int gdfo_refiner_observe(gdfo_refiner *r, double reward)
{
	int rc;
	if (!r || !r->outstanding || isnan(reward))
		return gdfo__error(GDFO_EINVAL, "gdfo_refiner_observe: %s",
				   !r ? "refiner is NULL" : isnan(reward) ? "reward is NaN" : "no plan is awaiting a reward");
	r->outstanding = 0;
	if (isnan(r->best_obs)) {
		memcpy(r->best, r->last, r->dim * sizeof(*r->best));
		r->best_obs = reward;
		r->best_pred = r->last_pred;
		return expand(r);
	}
	if (r->last_kind >= 0) {
		/* Q-learning on the one state: the observed gain against the predicted one */
		double err = (reward - r->best_obs) - (r->last_pred - r->best_pred);
		r->corr[r->last_kind] += ALPHA * (err - r->corr[r->last_kind]);
	}
	if (reward > r->best_obs) {
		memcpy(r->best, r->last, r->dim * sizeof(*r->best));
		r->best_obs = reward;
		r->best_pred = r->last_pred;
		if ((rc = expand(r)))
			return rc;
	}
	return 0;
}

int gdfo_refiner_best(gdfo_plan **out, const gdfo_refiner *r, double *reward)
{
	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_refiner_best: out is NULL");
	*out = NULL;
	if (!r || isnan(r->best_obs))
		return gdfo__error(GDFO_EINVAL, "gdfo_refiner_best: %s", r ? "nothing observed yet" : "refiner is NULL");
	if (reward)
		*reward = r->best_obs;
	return gdfo_space_apply(out, r->space, r->best, r->dim, "learned+q");
}
