/*
 * The policy over the encoder (rl_internal.h, docs/learning.md): the
 * features it reads, the slots its heads write, and the generation of a
 * point of the decision space (structural edits one at a time, then the
 * knobs in one pass).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/abi.h"
#include "plan/plan_internal.h"
#include "rl/rl_internal.h"

#define MIB (1024.0 * 1024.0)
#define GIB (1024.0 * MIB)

uint64_t gdfo__rl_mix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double gdfo__rl_uniform(uint64_t *x)
{
	return (double)(gdfo__rl_mix(x) >> 11) * (1.0 / 9007199254740992.0);
}

void gdfo__pol_nn_options(gdfo_nn_options *o, uint32_t d_model, uint32_t n_layers, uint64_t seed)
{
	gdfo_nn_options_init(o, GDFO_NN_OPTIONS_VERSION);
	o->n_features = GDFO__POL_FEATURES;
	o->d_model = d_model;
	o->n_layers = n_layers;
	o->n_heads = d_model % 4 == 0 ? 4 : 1;
	o->n_stage_heads = 1;
	o->stage_head_widths[0] = GDFO__PS_WIDTH;
	o->n_pipeline_heads = 1;
	o->pipeline_head_widths[0] = GDFO__PP_WIDTH;
	o->seed = seed;
}

int gdfo__pol_check_model(const gdfo_nn_encoder *enc, const char *what)
{
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};

	gdfo_nn_get_options(&o, enc);
	if (o.n_features != GDFO__POL_FEATURES)
		return gdfo__error(GDFO_EFORMAT, "%s: not a policy model: %u features per stage, the policy reads %d",
				   what, o.n_features, GDFO__POL_FEATURES);
	if (o.n_stage_heads != 1 || o.stage_head_widths[0] != GDFO__PS_WIDTH)
		return gdfo__error(GDFO_EFORMAT, "%s: not a policy model: its stage head is not 1 head of width %d",
				   what, GDFO__PS_WIDTH);
	if (o.n_pipeline_heads != 1 || o.pipeline_head_widths[0] != GDFO__PP_WIDTH)
		return gdfo__error(GDFO_EFORMAT,
				   "%s: not a policy model: its pipeline head is not 1 head of width %d", what,
				   GDFO__PP_WIDTH);
	return 0;
}

int gdfo__pol_structural(int kind)
{
	return kind == GDFO_DECISION_PUSH_FILTER || kind == GDFO_DECISION_REORDER_JOINS ||
	       kind == GDFO_DECISION_FUSE;
}

/* ---- slots ------------------------------------------------------------- */

static int log2_index(double v, double unit, int max)
{
	int k = (int)lround(log2(v / unit));
	return k < 0 ? 0 : k > max ? max : k;
}

/* Head (0 stage, 1 pipeline) and column of choice c of decision d. */
static void slot_of(uint32_t *head, uint32_t *col, const gdfo__pol *p, const gdfo__decision *d, size_t c)
{
	static const double ratios[] = {0.25, 0.5, 0.75, 1.5, 2, 3, 4, 6, 8, 16};
	int64_t v = d->c[c].value;
	int s = 0;
	size_t k;

	*head = 0;
	switch (d->kind) {
	case GDFO_DECISION_PUSH_FILTER:
		*col = GDFO__PS_PUSH + (uint32_t)(c > 4 ? 4 : c);
		return;
	case GDFO_DECISION_REORDER_JOINS:
		*col = GDFO__PS_REORDER + (c > 0);
		return;
	case GDFO_DECISION_FUSE:
		*col = GDFO__PS_FUSE + (c > 0);
		return;
	case GDFO_DECISION_PARTITIONS:
		if (c == 0)
			s = 0;
		else if (v == 0)
			s = 1;
		else if (v > 0)
			s = 2 + log2_index((double)v, MIB, 10);
		else
			s = 13 + (v == -1 ? 0 : v == -2 ? 1 : 2);
		*col = GDFO__PS_PART + (uint32_t)s;
		return;
	case GDFO_DECISION_JOIN_STRATEGY:
		*col = GDFO__PS_JOIN + (c ? 1 + (uint32_t)(v < 0 ? 0 : v > 3 ? 3 : v) : 0);
		return;
	case GDFO_DECISION_CACHE:
		*col = GDFO__PS_CACHE + (c ? 1 + (uint32_t)(v < 0 ? 0 : v > 2 ? 2 : v) : 0);
		return;
	case GDFO_DECISION_PRIORITY:
		*col = GDFO__PS_PRIO + (c ? (uint32_t)(v < -1 ? 1 : v > 1 ? 3 : v + 2) : 0);
		return;
	case GDFO_DECISION_FILE_SIZE:
		*col = GDFO__PS_FILE + (c ? 1 + (uint32_t)log2_index((double)v, 32 * MIB, 5) : 0);
		return;
	case GDFO_DECISION_COMPACTION:
		*col = GDFO__PS_COMPACT + (c ? (v <= 0 ? 1 : 2 + (uint32_t)log2_index((double)v, 1, 4)) : 0);
		return;
	case GDFO_DECISION_EXECUTORS:
		*head = 1;
		if (c) {
			double r = log((double)v / (p->e_input > 0 ? p->e_input : 1)), best = INFINITY;
			for (k = 0; k < GDFO__ARRAY_LEN(ratios); k++)
				if (fabs(r - log(ratios[k])) < best) {
					best = fabs(r - log(ratios[k]));
					s = 1 + (int)k;
				}
		}
		*col = GDFO__PP_EXEC + (uint32_t)s;
		return;
	case GDFO_DECISION_CORES:
		*head = 1;
		*col = GDFO__PP_CORES + (c ? 1 + (uint32_t)log2_index((double)v, 1, 4) : 0);
		return;
	case GDFO_DECISION_MEMORY:
		*head = 1;
		*col = GDFO__PP_MEM + (c ? 1 + (uint32_t)log2_index((double)v, GIB, 6) : 0);
		return;
	default: /* GDFO_DECISION_PRIORITY_POLICY */
		*head = 1;
		*col = GDFO__PP_POLICY + (uint32_t)(c > 2 ? 2 : c);
		return;
	}
}

/* ---- context ----------------------------------------------------------- */

int gdfo__pol_init(gdfo__pol *p, const gdfo_nn_encoder *enc, const gdfo_sim_cluster *cluster)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->enc = enc;
	if (cluster)
		p->cluster = *cluster;
	else
		gdfo_sim_cluster_init(&p->cluster, GDFO_SIM_CLUSTER_VERSION);
	gdfo_sim_options_init(&p->ao, GDFO_SIM_OPTIONS_VERSION);
	p->ao.mode = GDFO_SIM_ANALYTIC;
	/* The finalists' check: the task-level model with the task-time noise
	 * and stragglers a real cluster shows (two runs on fixed seeds of its
	 * own), so that plans whose stages end on one wave of long tasks pay
	 * for their tails. */
	gdfo_sim_options_init(&p->dso, GDFO_SIM_OPTIONS_VERSION);
	p->dso.seed = 0x5eed;
	p->dso.noise_sigma = 0.1;
	p->dso.straggler_prob = 0.01;
	p->dso.straggler_factor = 4;
	p->des_base_latency_ms = -1;
	p->eo = p->dso;
	p->eo.mode = GDFO_SIM_EXPECTED;
	p->check_base_latency_ms = -1;
	if ((rc = gdfo_sim_create(&p->sim, &p->cluster)))
		return rc;
	if (enc && (rc = gdfo_nn_workspace_create(&p->ws, enc, NULL, 0))) {
		gdfo__pol_free(p);
		return rc;
	}
	return 0;
}

void gdfo__pol_free(gdfo__pol *p)
{
	if (!p)
		return;
	gdfo_nn_workspace_free(p->ws);
	gdfo_nn_batch_free(p->batch);
	gdfo_sim_free(p->sim);
	free(p->x);
	free(p->hs);
	free(p->emb);
	free(p->logits);
	free(p->cand);
	free(p->kex);
	free(p->slot);
	free(p->slot_at);
	memset(p, 0, sizeof(*p));
}

static void outcome_of(gdfo_outcome *o, const gdfo_sim_result *r)
{
	gdfo_outcome_init(o, GDFO_OUTCOME_VERSION);
	o->success = r->success;
	o->latency_ms = r->makespan_ms;
	o->throughput = r->throughput;
	o->cost = r->cost;
}

int gdfo__pol_begin(gdfo__pol *p, const gdfo_space *space, const gdfo_telemetry *telemetry,
		    const gdfo_objective *objective)
{
	const gdfo_graph *g = gdfo_space_graph(space);
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	size_t d, total = 0, c;
	double cores, mem;
	int rc;

	p->space = space;
	p->telemetry = telemetry;
	gdfo_objective_init(&p->objective, GDFO_OBJECTIVE_VERSION);
	if (objective)
		gdfo__abi_in(&p->objective, objective, &p->objective, GDFO__ABI_OBJECTIVE, "gdfo__pol_begin");
	/* Plans are scored against a 7 % tighter SLO and a 3 % lower cost
	 * ceiling than asked: a real run's noise must not push a plan the model
	 * puts just inside them over. */
	p->scoring = p->objective;
	if (p->scoring.slo_ms > 0)
		p->scoring.slo_ms *= 0.93;
	if (p->scoring.cost_ceiling > 0)
		p->scoring.cost_ceiling *= 0.97;
	/* The execution model: calibrated to the telemetry when it is of this pipeline. */
	gdfo_sim_calibrate(NULL, p->sim, g, NULL, NULL);
	if (telemetry) {
		rc = gdfo_sim_calibrate(NULL, p->sim, p->calib_graph ? p->calib_graph : g, telemetry, &p->ao);
		if (rc && rc != GDFO_ENOTFOUND)
			return rc;
	}
	p->sim_has_input = 0;
	if ((rc = gdfo_sim_run_graph(&r, p->sim, g, &p->ao)))
		return rc;
	p->sim_has_input = 1;
	p->base = r;
	p->base_latency_ms = r.makespan_ms;
	p->base_cost = r.cost;
	p->base_throughput = r.throughput;
	p->des_base_latency_ms = -1;
	p->check_base_latency_ms = -1;
	gdfo__space_effective_resources(g, &p->cluster, &p->e_input, &cores, &mem);

	for (d = 0; d < space->dim; d++)
		total += space->d[d].n;
	if (total > p->cap_slot) {
		int16_t *s = gdfo__realloc(p->slot, total * sizeof(*s));
		if (!s)
			return GDFO_ENOMEM;
		p->slot = s;
		p->cap_slot = total;
	}
	if (space->dim + 1 > p->cap_dec) {
		size_t *a = gdfo__realloc(p->slot_at, (space->dim + 1) * sizeof(*a));
		if (!a)
			return GDFO_ENOMEM;
		p->slot_at = a;
		p->cap_dec = space->dim + 1;
	}
	/* candidate scratch: a structural step offers every structural choice at once */
	if (total + 1 > p->cap_c) {
		float *l = gdfo__realloc(p->logits, (total + 1) * sizeof(*l));
		int32_t *k;
		double *e;
		if (!l)
			return GDFO_ENOMEM;
		p->logits = l;
		if (!(k = gdfo__realloc(p->cand, (total + 1) * 2 * sizeof(*k))))
			return GDFO_ENOMEM;
		p->cand = k;
		if (!(e = gdfo__realloc(p->kex, (total + 1) * sizeof(*e))))
			return GDFO_ENOMEM;
		p->kex = e;
		p->cap_c = total + 1;
	}
	p->kex_gen = 0; /* another space: other slots */
	total = 0;
	for (d = 0; d < space->dim; d++) {
		p->slot_at[d] = total;
		for (c = 0; c < space->d[d].n; c++) {
			uint32_t head, col;
			slot_of(&head, &col, p, &space->d[d], c);
			p->slot[total++] = (int16_t)col;
		}
	}
	p->slot_at[space->dim] = total;
	return 0;
}

/* ---- features and encoding -------------------------------------------- */

static float lgf(double x, double scale)
{
	return (float)(log1p(x > 0.0 ? x : 0.0) / scale);
}

static int grow_rows(gdfo__pol *p, size_t S)
{
	float *x, *hs, *emb;
	if (S <= p->cap)
		return 0;
	x = gdfo__realloc(p->x, S * GDFO__POL_FEATURES * sizeof(float));
	if (!x)
		return GDFO_ENOMEM;
	p->x = x;
	hs = gdfo__realloc(p->hs, S * GDFO__PS_WIDTH * sizeof(float));
	if (!hs)
		return GDFO_ENOMEM;
	p->hs = hs;
	emb = gdfo__realloc(p->emb, S * GDFO_NN_FEATURES * sizeof(float));
	if (!emb)
		return GDFO_ENOMEM;
	p->emb = emb;
	p->cap = S;
	return 0;
}

/*
 * The extra columns (docs/learning.md): resources, the execution model's
 * view of each stage in this graph, the objective's SLO and ceiling
 * relative to the input's predicted run, whether telemetry was given.
 */
static int extra_features(gdfo__pol *p, const gdfo_graph *g)
{
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	double e, cores, mem, total_work = 0;
	size_t i, n = g->n;
	int rc;

	/* the input's run is still in the simulator when nothing ran since gdfo__pol_begin */
	if (g == gdfo_space_graph(p->space) && p->sim_has_input) {
		r = p->base;
	} else {
		p->sim_has_input = 0;
		if ((rc = gdfo_sim_run_graph(&r, p->sim, g, &p->ao)))
			return rc;
	}
	gdfo__space_effective_resources(g, &p->cluster, &e, &cores, &mem);
	for (i = 0; i < gdfo_sim_stage_count(p->sim); i++) {
		gdfo_sim_stage_result st = {.version = GDFO_SIM_STAGE_RESULT_VERSION};
		if (!gdfo_sim_stage_at(&st, p->sim, i))
			total_work += st.work_ms;
	}
	for (i = 0; i < n; i++) {
		float *f = p->x + i * GDFO__POL_FEATURES;
		float *x = f + GDFO_NN_FEATURES;
		gdfo_sim_stage_result st = {.version = GDFO_SIM_STAGE_RESULT_VERSION};

		memcpy(f, p->emb + i * GDFO_NN_FEATURES, GDFO_NN_FEATURES * sizeof(float));
		memset(x, 0, GDFO__POL_EXTRA * sizeof(float));
		x[0] = lgf(e, 5);
		x[1] = (float)(log2(cores > 1 ? cores : 1) / 4);
		x[2] = (float)(log2(mem / GIB > 1 ? mem / GIB : 1) / 6);
		x[3] = lgf(e * cores, 8);
		if (i < gdfo_sim_stage_count(p->sim) && !gdfo_sim_stage_at(&st, p->sim, i) &&
		    st.id == g->stages[i].id) {
			x[4] = r.makespan_ms > 0 ? (float)(st.duration_ms / r.makespan_ms) : 0;
			x[5] = total_work > 0 ? (float)(st.work_ms / total_work) : 0;
			x[6] = lgf(st.tasks, 10);
			x[8] = lgf(st.bytes_out, 30);
			x[9] = lgf(st.spill_bytes, 30);
		}
		x[7] = lgf(g->stages[i].stats.bytes_in / (e * cores > 0 ? e * cores : 1), 30);
		if (p->objective.slo_ms > 0 && p->base_latency_ms > 0) {
			double q = p->objective.slo_ms / p->base_latency_ms;
			x[10] = (float)(q > 4 ? 1 : q / 4);
			x[11] = 1;
		}
		x[12] = lgf(p->base_latency_ms, 20);
		x[13] = r.cost > 0 ? (float)(r.storage_cost / r.cost) : 0;
		x[14] = p->telemetry != NULL;
		if (p->objective.cost_ceiling > 0 && p->base_cost > 0) {
			double q = p->objective.cost_ceiling / p->base_cost;
			x[15] = (float)(q > 4 ? 1 : q / 4);
		}
		for (size_t k = 0; k < GDFO__POL_EXTRA; k++)
			if (!isfinite(x[k]))
				x[k] = 0;
	}
	return 0;
}

int gdfo__pol_encode(gdfo__pol *p, const gdfo_graph *g)
{
	gdfo_nn_outputs out = {.version = GDFO_NN_OUTPUTS_VERSION};
	size_t S = g->n;
	int rc;

	if ((rc = grow_rows(p, S)))
		return rc;
	if ((rc = gdfo_nn_features(p->emb, S, g, p->telemetry, &p->objective)))
		return rc;
	if ((rc = extra_features(p, g)))
		return rc;
	gdfo_nn_batch_free(p->batch);
	p->batch = NULL;
	p->encoded = NULL;
	p->enc_gen++;
	if ((rc = gdfo_nn_batch_from_graphs(&p->batch, p->enc, &g, 1)))
		return rc;
	out.stage_heads = p->hs;
	out.pipeline_heads = p->hp;
	if ((rc = gdfo_nn_forward(p->ws, p->batch, p->x, &out)))
		return rc;
	p->encoded = g;
	return 0;
}

/* ---- episodes ---------------------------------------------------------- */

void gdfo__pol_episode_reset(gdfo__pol_episode *e)
{
	size_t i;
	for (i = 0; i < e->n_steps; i++) {
		free(e->steps[i].x);
		free(e->steps[i].edges);
	}
	e->n_steps = e->n_draws = e->n_refs = 0;
	e->value = e->reward = e->target = 0;
}

void gdfo__pol_episode_free(gdfo__pol_episode *e)
{
	if (!e)
		return;
	gdfo__pol_episode_reset(e);
	free(e->steps);
	free(e->draws);
	free(e->refs);
	memset(e, 0, sizeof(*e));
}

/* Records the current encoding as a step of ep. */
static int record_step(gdfo__pol *p, gdfo__pol_episode *ep, const gdfo_graph *g, int value)
{
	gdfo__pol_step *st;
	size_t i, k, n_edges = 0;

	if (gdfo__grow((void **)&ep->steps, &ep->cap_steps, ep->n_steps + 1, sizeof(*ep->steps)))
		return GDFO_ENOMEM;
	st = &ep->steps[ep->n_steps];
	memset(st, 0, sizeof(*st));
	for (i = 0; i < g->n; i++)
		n_edges += g->stages[i].n_parents;
	st->x = gdfo__malloc(g->n * GDFO__POL_FEATURES * sizeof(float));
	st->edges = gdfo__malloc((n_edges ? n_edges : 1) * 2 * sizeof(uint32_t));
	if (!st->x || !st->edges) {
		free(st->x);
		free(st->edges);
		return GDFO_ENOMEM;
	}
	memcpy(st->x, p->x, g->n * GDFO__POL_FEATURES * sizeof(float));
	n_edges = 0;
	for (i = 0; i < g->n; i++)
		for (k = 0; k < g->stages[i].n_parents; k++) {
			st->edges[2 * n_edges] = (uint32_t)g->stages[i].parents[k];
			st->edges[2 * n_edges + 1] = (uint32_t)i;
			n_edges++;
		}
	st->S = g->n;
	st->n_edges = n_edges;
	st->first_draw = ep->n_draws;
	st->value = value;
	ep->n_steps++;
	return 0;
}

/*
 * Draws one of n candidates whose logits are in p->logits; refs (n) say
 * where each logit comes from. terms (n, may be NULL) receive the exp
 * terms of the normaliser, or hold them already when have_terms (a
 * decision drawn again from the same logits). Returns the chosen index,
 * or -1 when out of memory recording it.
 */
static long draw(gdfo__pol *p, size_t n, const gdfo__pol_ref *refs, int mode, long teacher, uint64_t *rng,
		 gdfo__pol_episode *ep, int32_t decision, float *prob, double *terms, int have_terms)
{
	float *l = p->logits, mx = -INFINITY;
	double z = 0, u, acc = 0, ex[64];
	size_t i;
	long chosen = 0;
	int kept;

	if (!terms && n <= GDFO__ARRAY_LEN(ex)) {
		terms = ex;
		have_terms = 0;
	}
	kept = terms != NULL;
	for (i = 0; i < n; i++)
		if (l[i] > mx)
			mx = l[i];
	for (i = 0; i < n; i++) {
		double e = have_terms ? terms[i] : exp((double)(l[i] - mx));
		if (kept)
			terms[i] = e;
		z += e;
	}
	if (mode == GDFO__POL_TEACHER) {
		chosen = teacher;
	} else if (mode == GDFO__POL_SAMPLE) {
		u = gdfo__rl_uniform(rng) * z;
		chosen = (long)n - 1;
		for (i = 0; i < n; i++) {
			acc += kept ? terms[i] : exp((double)(l[i] - mx));
			if (u < acc) {
				chosen = (long)i;
				break;
			}
		}
	} else {
		for (i = 1; i < n; i++)
			if (l[i] > l[chosen])
				chosen = (long)i;
	}
	if (prob)
		*prob = (float)((kept ? terms[chosen] : exp((double)(l[chosen] - mx))) / z);
	if (ep) {
		gdfo__pol_draw *dr;
		if (gdfo__grow((void **)&ep->draws, &ep->cap_draws, ep->n_draws + 1, sizeof(*ep->draws)) ||
		    gdfo__grow((void **)&ep->refs, &ep->cap_refs, ep->n_refs + n, sizeof(*ep->refs)))
			return -1;
		dr = &ep->draws[ep->n_draws++];
		dr->first = (uint32_t)ep->n_refs;
		dr->n = (uint32_t)n;
		dr->chosen = (uint32_t)chosen;
		dr->decision = decision;
		dr->logp = (float)((double)(l[chosen] - mx) - log(z));
		dr->reserved = 0;
		memcpy(ep->refs + ep->n_refs, refs, n * sizeof(*refs));
		ep->n_refs += n;
		ep->steps[ep->n_steps - 1].n_draws++;
	}
	return chosen;
}

static float logit_at(const gdfo__pol *p, const gdfo__pol_ref *r)
{
	return r->head ? p->hp[r->col] : p->hs[(size_t)r->row * GDFO__PS_WIDTH + r->col];
}

int gdfo__pol_knobs(gdfo__pol *p, int32_t *point, int mode, uint64_t *rng, const gdfo_graph *g,
		    gdfo__pol_episode *ep, float *prob)
{
	const gdfo_space *s = p->space;
	gdfo__pol_ref rf[64];
	size_t d, c;
	int rc, again = p->kex_gen && p->kex_gen == p->enc_gen && p->kex_graph == g;

	if (ep && (rc = record_step(p, ep, g, ep->n_steps == 0)))
		return rc;
	p->kex_gen = 0; /* valid again once every decision is drawn */
	for (d = 0; d < s->dim; d++) {
		const gdfo__decision *dc = &s->d[d];
		size_t row = 0, n = 0;
		long teacher = 0, ch;
		int32_t taught; /* the teacher's choice, read first: point may be the teacher */

		if (gdfo__pol_structural(dc->kind))
			continue;
		taught = mode == GDFO__POL_TEACHER ? p->teacher[d] : 0;
		if (prob)
			prob[d] = 1;
		point[d] = 0;
		if (!gdfo__decision_is_graph_wide(dc->kind) &&
		    (row = gdfo__graph_index(g, dc->stage_id)) == (size_t)-1)
			continue; /* its stage was fused away: keep */
		if (dc->n_legal < 2)
			continue;
		if (dc->n > GDFO__ARRAY_LEN(rf))
			return gdfo__error(GDFO_EINTERNAL, "decision '%s' has %zu choices", dc->name, dc->n);
		for (c = 0; c < dc->n; c++) {
			if (!dc->c[c].legal)
				continue;
			rf[n].head = (uint32_t)gdfo__decision_is_graph_wide(dc->kind);
			rf[n].row = (uint32_t)row;
			rf[n].col = (uint32_t)p->slot[p->slot_at[d] + c];
			p->logits[n] = logit_at(p, &rf[n]);
			p->cand[n] = (int32_t)c;
			if (mode == GDFO__POL_TEACHER && (int32_t)c == taught)
				teacher = (long)n;
			n++;
		}
		if ((ch = draw(p, n, rf, mode, teacher, rng, ep, (int32_t)d, prob ? &prob[d] : NULL,
			       p->kex + p->slot_at[d], again)) < 0)
			return GDFO_ENOMEM;
		point[d] = p->cand[ch];
	}
	p->kex_gen = p->enc_gen;
	p->kex_graph = g;
	return 0;
}

/*
 * The structural phase: at each step every structural choice not yet
 * taken whose stage is in the current graph is a candidate, scored by its
 * stage's head; STOP is scored by the pipeline head.
 */
int gdfo__pol_generate(gdfo__pol *p, int32_t *point, int mode, const int32_t *teacher, uint64_t *rng,
		       int max_steps, gdfo__pol_episode *ep, gdfo_plan **structural)
{
	const gdfo_space *s = p->space;
	const gdfo_graph *g = s->graph;
	gdfo_graph *cur = NULL; /* the graph of the structural choices so far (no plan: only encoded) */
	gdfo__pol_ref *rf = NULL;
	int32_t *cd = NULL, *cc = NULL;
	size_t d, c, cap = 1;
	int rc, step, first = 1;
	float pr = 1;

	if (structural)
		*structural = NULL;
	p->teacher = teacher;
	memset(point, 0, s->dim * sizeof(*point));
	for (d = 0; d < s->dim; d++)
		if (gdfo__pol_structural(s->d[d].kind))
			cap += s->d[d].n;
	rf = gdfo__malloc(cap * sizeof(*rf));
	cd = gdfo__malloc(cap * sizeof(*cd));
	cc = gdfo__malloc(cap * sizeof(*cc));
	if (!rf || !cd || !cc) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	if ((rc = gdfo__pol_encode(p, g)))
		goto out;
	p->value = p->hp[GDFO__PP_VALUE];
	if (ep)
		ep->value = p->value;
	for (step = 0; step < max_steps; step++) {
		size_t n = 0;
		long teach = -1, ch;
		gdfo_graph *next;

		for (d = 0; d < s->dim; d++) {
			const gdfo__decision *dc = &s->d[d];
			size_t row;
			if (!gdfo__pol_structural(dc->kind) || point[d] != 0 ||
			    (row = gdfo__graph_index(g, dc->stage_id)) == (size_t)-1)
				continue;
			for (c = 1; c < dc->n; c++) {
				if (!dc->c[c].legal)
					continue;
				rf[n].head = 0;
				rf[n].row = (uint32_t)row;
				rf[n].col = (uint32_t)p->slot[p->slot_at[d] + c];
				p->logits[n] = logit_at(p, &rf[n]);
				cd[n] = (int32_t)d;
				cc[n] = (int32_t)c;
				if (mode == GDFO__POL_TEACHER && teach < 0 && teacher[d] == (int32_t)c)
					teach = (long)n;
				n++;
			}
		}
		if (!n)
			break;
		rf[n].head = 1;
		rf[n].row = 0;
		rf[n].col = GDFO__PP_STOP;
		p->logits[n] = p->hp[GDFO__PP_STOP];
		if (teach < 0)
			teach = (long)n;
		if (ep && (rc = record_step(p, ep, g, first)))
			goto out;
		first = 0;
		if ((ch = draw(p, n + 1, rf, mode, teach, rng, ep, -1, &pr, NULL, 0)) < 0) {
			rc = GDFO_ENOMEM;
			goto out;
		}
		if ((size_t)ch == n)
			break; /* STOP */
		point[cd[ch]] = cc[ch];
		if (p->struct_prob)
			p->struct_prob[cd[ch]] = pr;
		if ((rc = gdfo__space_apply_graph(&next, s, point)))
			goto out;
		gdfo_graph_free(cur);
		cur = next;
		g = cur;
		if ((rc = gdfo__pol_encode(p, g)))
			goto out;
	}
	if (p->encoded != g && (rc = gdfo__pol_encode(p, g)))
		goto out;
	if ((rc = gdfo__pol_knobs(p, point, mode, rng, g, ep, NULL)))
		goto out;
	if (ep && ep->n_steps)
		ep->steps[0].value = 1;
	/* the plan adopts the graph: p->encoded stays valid while the plan lives */
	if (structural && cur) {
		rc = gdfo__plan_adopt(structural, cur, "learned");
		cur = NULL;
		if (rc)
			p->encoded = NULL;
	}
out:
	gdfo_graph_free(cur);
	free(rf);
	free(cd);
	free(cc);
	return rc;
}

/* A simulated run's outcome and its reward against the input's run (the baseline given). */
static int score_run(gdfo_reward *r, gdfo_outcome *o, const gdfo__pol *p, const gdfo_sim_result *res,
		     double base_latency_ms, double base_cost, double base_throughput)
{
	gdfo_outcome base, run;
	outcome_of(&run, res);
	gdfo_outcome_init(&base, GDFO_OUTCOME_VERSION);
	base.success = 1;
	base.latency_ms = base_latency_ms;
	base.cost = base_cost;
	base.throughput = base_throughput;
	if (o)
		*o = run;
	r->version = GDFO_REWARD_VERSION;
	return gdfo_reward_compute(r, &run, &base, &p->scoring);
}

int gdfo__pol_predict(gdfo_reward *r, gdfo_outcome *o, gdfo__pol *p, const gdfo_graph *g)
{
	gdfo_sim_result res = {.version = GDFO_SIM_RESULT_VERSION};
	int rc;

	p->sim_has_input = 0;
	if ((rc = gdfo_sim_run_graph(&res, p->sim, g, &p->ao)))
		return rc;
	return score_run(r, o, p, &res, p->base_latency_ms, p->base_cost, p->base_throughput);
}

static double tasks_of(const gdfo_sim *sim)
{
	size_t i;
	double t = 0;
	for (i = 0; i < gdfo_sim_stage_count(sim); i++) {
		gdfo_sim_stage_result st = {.version = GDFO_SIM_STAGE_RESULT_VERSION};
		if (!gdfo_sim_stage_at(&st, sim, i))
			t += st.tasks;
	}
	return t;
}

int gdfo__pol_predict_des(gdfo_reward *r, gdfo_outcome *o, gdfo__pol *p, const gdfo_graph *g)
{
	gdfo_sim_result res = {.version = GDFO_SIM_RESULT_VERSION};
	int rc;

	p->sim_has_input = 0;
	if (p->des_base_latency_ms < 0) {
		/* As many runs as about 8,000 simulated tasks allow, 1..8: a small
		 * pipeline's latency hangs on a few tasks, and one straggler more or
		 * less must not decide between plans; a large one averages its
		 * noise over many tasks in one run. */
		double tasks;
		int runs;
		p->dso.runs = 1;
		if ((rc = gdfo_sim_run_graph(&res, p->sim, p->space->graph, &p->dso)))
			return rc;
		tasks = tasks_of(p->sim);
		runs = tasks > 0 ? (int)(8000.0 / tasks) : 8;
		p->dso.runs = runs < 1 ? 1 : runs > 8 ? 8 : runs;
		if (p->dso.runs > 1 && (rc = gdfo_sim_run_graph(&res, p->sim, p->space->graph, &p->dso)))
			return rc;
		p->des_base_latency_ms = res.makespan_ms;
		p->des_base_cost = res.cost;
		p->des_base_throughput = res.throughput;
	}
	if ((rc = gdfo_sim_run_graph(&res, p->sim, g, &p->dso)))
		return rc;
	return score_run(r, o, p, &res, p->des_base_latency_ms, p->des_base_cost, p->des_base_throughput);
}

int gdfo__pol_predict_check(gdfo_reward *r, gdfo_outcome *o, gdfo__pol *p, const gdfo_graph *g)
{
	gdfo_sim_result res = {.version = GDFO_SIM_RESULT_VERSION};
	int rc;

	p->sim_has_input = 0;
	if (p->check_base_latency_ms < 0) {
		if ((rc = gdfo_sim_run_graph(&res, p->sim, p->space->graph, &p->eo)))
			return rc;
		p->check_base_latency_ms = res.makespan_ms;
		p->check_base_cost = res.cost;
		p->check_base_throughput = res.throughput;
	}
	if ((rc = gdfo_sim_run_graph(&res, p->sim, g, &p->eo)))
		return rc;
	if ((rc = score_run(r, o, p, &res, p->check_base_latency_ms, p->check_base_cost, p->check_base_throughput)))
		return rc;
	/*
	 * An SLO holds when the run's 90th percentile is within it, not only its
	 * mean: a plan cut to the SLO with one long wave misses it in one run out
	 * of three (p90 = mean + 1.2816 sd, sd from the expected mode's p95).
	 */
	if (p->scoring.slo_ms > 0 && res.success && !r->penalized &&
	    res.makespan_ms + 1.2816 / 1.6449 * (res.makespan_ms_p95 - res.makespan_ms) > p->scoring.slo_ms) {
		r->slo_missed = 1;
		r->penalized = 1;
		r->penalty = p->scoring.failure_penalty;
		r->reward -= r->penalty;
	}
	return 0;
}

double gdfo__pol_score(const gdfo_reward *r)
{
	return r->reward - (r->failed ? 1e6 : 0);
}
