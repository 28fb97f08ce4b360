/*
 * The optimizer handle and its planning call (include/gdfo/optimizer.h,
 * docs/learning.md "The planning call").
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/abi.h"
#include "gdfo/rules.h"
#include "graph/fields.h"
#include "graph/telemetry_internal.h"
#include "nn/nn_internal.h"
#include "plan/plan_internal.h"
#include "rl/rl_internal.h"

#ifndef GDFO__DATADIR
#define GDFO__DATADIR "/usr/local/share/gdfo"
#endif
#define DEFAULT_MODEL GDFO__DATADIR "/default.gdfonn"

/*
 * Reward a candidate must gain over the rules plan, and any plan over the
 * input, to replace it: the check's error is correlated between plans of
 * one pipeline, so small gains keep their sign; 0.002 of reward (0.2 % of
 * latency or cost) over the input made no eval or train plan of the
 * benchmark worse than its input, where 0.004 kept the input on three
 * eval cases whose rules plans gained 0.4 % (docs/learning.md).
 */
#define MARGIN 0.01
#define MARGIN_INPUT 0.002

int gdfo_optimizer_options_init(gdfo_optimizer_options *o, unsigned int version)
{
	gdfo_optimizer_options d = {0};
	d.version = GDFO_OPTIMIZER_OPTIONS_VERSION;
	d.candidates = 8;
	d.structural_steps = 4;
	d.use_rules = 1;
	d.score = 1;
	d.seed = 1;
	d.verify = 3;
	d.verify_tasks = 60000;
	d.rules_check = -1;
	d.sync_every = 1;
	return gdfo__abi_init(o, version, &d, GDFO__ABI_OPTIMIZER_OPTIONS, "gdfo_optimizer_options_init");
}

void gdfo__optimizer_destroy(gdfo_optimizer *opt)
{
	if (!opt)
		return;
	gdfo_nn_free(opt->enc);
	free(opt->model_path);
	free(opt);
}

void gdfo__optimizer_internals(const gdfo_optimizer *opt, const gdfo_nn_encoder **enc, gdfo_sim_cluster *cluster)
{
	*enc = opt->enc;
	*cluster = opt->cluster;
}

static int load_model(gdfo_optimizer *opt, const char *path)
{
	int rc;
	if ((rc = gdfo_nn_load(&opt->enc, path)))
		return gdfo__error_prefix(rc, "policy model '%s'", path);
	if ((rc = gdfo__pol_check_model(opt->enc, path)))
		return rc;
	if (!(opt->model_path = gdfo__strdup(path)))
		return GDFO_ENOMEM;
	return 0;
}

int gdfo__optimizer_create(gdfo_optimizer **out, const gdfo_optimizer_options *opts)
{
	gdfo_optimizer *opt;
	const char *path;
	int rc;

	*out = NULL;
	if (!(opt = gdfo__calloc(1, sizeof(*opt))))
		return GDFO_ENOMEM;
	gdfo_optimizer_options_init(&opt->o, GDFO_OPTIMIZER_OPTIONS_VERSION);
	if (opts && (rc = gdfo__abi_in(&opt->o, opts, &opt->o, GDFO__ABI_OPTIMIZER_OPTIONS, "gdfo_optimizer_open")))
		goto fail;
	rc = GDFO_EINVAL;
	if (opt->o.candidates < 0 || opt->o.candidates > 1024) {
		gdfo__error(rc, "optimizer option candidates is %d; it must be in 0..1024", opt->o.candidates);
		goto fail;
	}
	if (opt->o.structural_steps < 0 || opt->o.structural_steps > 64) {
		gdfo__error(rc, "optimizer option structural_steps is %d; it must be in 0..64", opt->o.structural_steps);
		goto fail;
	}
	if (opt->o.rules_check < -1 || opt->o.rules_check > 1) {
		gdfo__error(rc, "optimizer option rules_check is %d; it must be -1, 0 or 1", opt->o.rules_check);
		goto fail;
	}
	if (opt->o.verify < 0 || opt->o.verify > 64 || !(opt->o.verify_tasks >= 0)) {
		gdfo__error(rc, "optimizer options: verify must be in 0..64 and verify_tasks >= 0");
		goto fail;
	}
	if ((opt->o.use_rules | opt->o.score | opt->o.uniform) & ~1) {
		gdfo__error(rc, "optimizer options use_rules, score and uniform must be 0 or 1");
		goto fail;
	}
	if (opt->o.sync_every < 1 || opt->o.sync_every > 100000) {
		gdfo__error(rc, "optimizer option sync_every is %d; it must be in 1..100000", opt->o.sync_every);
		goto fail;
	}
	if (opt->o.cluster) {
		if ((rc = gdfo_sim_cluster_validate(opt->o.cluster)))
			goto fail;
		gdfo_sim_cluster_init(&opt->cluster, GDFO_SIM_CLUSTER_VERSION);
		gdfo__abi_in(&opt->cluster, opt->o.cluster, &opt->cluster, GDFO__ABI_SIM_CLUSTER, "gdfo_optimizer_open");
		opt->has_cluster = 1;
	} else {
		gdfo_sim_cluster_init(&opt->cluster, GDFO_SIM_CLUSTER_VERSION);
	}
	opt->o.cluster = NULL;
	path = opt->o.model_path;
	opt->o.model_path = NULL;
	if (!path)
		path = getenv(GDFO_MODEL_ENV);
	if (path && *path) {
		if ((rc = load_model(opt, path)))
			goto fail;
	} else if (!path && access(DEFAULT_MODEL, R_OK) == 0) {
		if ((rc = load_model(opt, DEFAULT_MODEL)))
			goto fail;
	}
	*out = opt;
	return 0;
fail:
	gdfo__optimizer_destroy(opt);
	return rc;
}

/* ---- the planning call ------------------------------------------------- */

typedef struct cand {
	int32_t *point;     /* NULL: the rules plan */
	double score;
	gdfo_reward r;
	gdfo_outcome o;
	int kind;           /* 0 greedy, 1 sampled, 2 input, 3 rules, 4 uniform */
	int checked;        /* scored by the check (gdfo__pol_predict_check) */
	int refined;        /* its graph-wide decisions were refined by the model (refine()) */
	double ascore;      /* the analytic model's score */
	gdfo_plan *rules;   /* kind 3: the rules plan (borrowed) */
} cand;

static const char *const cand_names[] = {"the greedy plan", "a sampled plan", "the input", "the rules plan",
					  "a uniformly drawn plan"};

/* The change kind a decision's change carries. */
static int change_kind_of(int kind)
{
	switch (kind) {
	case GDFO_DECISION_PUSH_FILTER: return GDFO_CHANGE_PUSH_FILTER;
	case GDFO_DECISION_REORDER_JOINS: return GDFO_CHANGE_REORDER_JOINS;
	case GDFO_DECISION_FUSE: return GDFO_CHANGE_FUSE;
	case GDFO_DECISION_PARTITIONS: return GDFO_CHANGE_PARTITIONS;
	case GDFO_DECISION_JOIN_STRATEGY: return GDFO_CHANGE_JOIN_STRATEGY;
	case GDFO_DECISION_CACHE: return GDFO_CHANGE_CACHE;
	case GDFO_DECISION_PRIORITY: case GDFO_DECISION_PRIORITY_POLICY: return GDFO_CHANGE_PRIORITY;
	case GDFO_DECISION_FILE_SIZE: case GDFO_DECISION_COMPACTION: return GDFO_CHANGE_FILE_SIZING;
	default: return GDFO_CHANGE_RESOURCES;
	}
}

/* The field a decision's change names (gdfo_change.field). */
static const char *decision_field(int kind)
{
	switch (kind) {
	case GDFO_DECISION_PUSH_FILTER: return "push_filter";
	case GDFO_DECISION_REORDER_JOINS: return "reorder_joins";
	case GDFO_DECISION_FUSE: return "fuse";
	case GDFO_DECISION_PARTITIONS: return "partitions";
	case GDFO_DECISION_JOIN_STRATEGY: return "join_strategy";
	case GDFO_DECISION_CACHE: return "cache";
	case GDFO_DECISION_PRIORITY: return "priority";
	case GDFO_DECISION_FILE_SIZE: return "target_file_bytes";
	case GDFO_DECISION_COMPACTION: return "compaction_every";
	case GDFO_DECISION_EXECUTORS: return "executors";
	case GDFO_DECISION_CORES: return "cores_per_executor";
	case GDFO_DECISION_MEMORY: return "memory_per_executor_bytes";
	default: return "priority_policy";
	}
}

/* The field table's entry (lib/graph/fields.c) of the knob a decision sets; NULL for none. */
static const gdfo__field_desc *knob_field(int kind)
{
	int set = gdfo__decision_is_graph_wide(kind) ? GDFO_FIELDS_GRAPH_KNOBS : GDFO_FIELDS_STAGE_KNOBS;
	size_t n, i;
	const gdfo__field_desc *f = gdfo__fields(set, &n);
	for (i = 0; i < n; i++)
		if (!strcmp(f[i].name, decision_field(kind)))
			return &f[i];
	return NULL;
}

/*
 * Undoes decision d's knob in g (the plan's graph) as the input has it,
 * saving what it overwrote in saved (g->n values), or puts that back
 * (restore = 1). Returns 0 when there is nothing to undo (the decision's
 * stage is not in g).
 */
static int swap_knob(gdfo_graph *g, const gdfo_graph *in, const gdfo__decision *d, double *saved, int restore)
{
	const gdfo__field_desc *f;
	void *to;
	const void *from;
	size_t i, ti, ii;

	if (d->kind == GDFO_DECISION_PRIORITY_POLICY) {
		/* the policy sets every stage's priority */
		for (i = 0; i < g->n; i++) {
			if (restore) {
				g->stages[i].knobs.priority = (int32_t)saved[i];
				continue;
			}
			saved[i] = g->stages[i].knobs.priority;
			ii = gdfo__graph_index(in, g->stages[i].id);
			g->stages[i].knobs.priority = ii == (size_t)-1 ? 0 : in->stages[ii].knobs.priority;
		}
		return 1;
	}
	if (!(f = knob_field(d->kind)))
		return 0;
	if (gdfo__decision_is_graph_wide(d->kind)) {
		to = &g->knobs;
		from = &in->knobs;
	} else {
		if ((ti = gdfo__graph_index(g, d->stage_id)) == (size_t)-1 ||
		    (ii = gdfo__graph_index(in, d->stage_id)) == (size_t)-1)
			return 0;
		to = &g->stages[ti].knobs;
		from = &in->stages[ii].knobs;
	}
	if (restore) {
		gdfo__field_set(to, f, saved[0]);
	} else {
		saved[0] = gdfo__field_get(to, f);
		gdfo__field_set(to, f, gdfo__field_get(from, f));
	}
	return 1;
}

/* What one decision of the chosen point adds: its reward and latency share. */
typedef struct marginal {
	double reward;    /* R(plan) - R(plan without it) */
	double latency;   /* (latency without it - latency with it) / input latency */
	double prob;      /* the policy's probability of the choice */
	int known;
} marginal;

static int marginals(marginal *m, gdfo__pol *p, gdfo_plan *plan, const int32_t *point, const float *prob,
		     const cand *best)
{
	const gdfo_space *s = p->space;
	gdfo_graph *g = gdfo__plan_graph_mut(plan);
	double *saved = NULL;
	int32_t *pt = NULL;
	cand ref = *best;
	size_t d;
	int rc = 0;

	saved = gdfo__malloc((g->n ? g->n : 1) * sizeof(*saved));
	pt = gdfo__malloc((s->dim ? s->dim : 1) * sizeof(*pt));
	if (!saved || !pt) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	/* the plan by the analytic model, as the plans without one change are scored (its check may differ) */
	if ((rc = gdfo__pol_predict(&ref.r, &ref.o, p, g)))
		goto out;
	best = &ref;
	for (d = 0; d < s->dim; d++) {
		const gdfo__decision *dc = &s->d[d];
		gdfo_reward r;
		gdfo_outcome o;

		m[d].known = 0;
		m[d].prob = prob ? prob[d] : 1;
		if (!point[d])
			continue;
		if (gdfo__pol_structural(dc->kind)) {
			gdfo_graph *without;
			memcpy(pt, point, s->dim * sizeof(*pt));
			pt[d] = 0;
			if ((rc = gdfo__space_apply_graph(&without, s, pt)))
				goto out;
			rc = gdfo__pol_predict(&r, &o, p, without);
			gdfo_graph_free(without);
			if (rc)
				goto out;
		} else {
			if (!swap_knob(g, s->graph, dc, saved, 0))
				continue;
			rc = gdfo__pol_predict(&r, &o, p, g);
			swap_knob(g, s->graph, dc, saved, 1);
			if (rc)
				goto out;
		}
		m[d].known = 1;
		m[d].reward = gdfo__pol_score(&best->r) - gdfo__pol_score(&r);
		m[d].latency = p->base_latency_ms > 0 && o.latency_ms >= 0 && best->o.latency_ms >= 0
				       ? (o.latency_ms - best->o.latency_ms) / p->base_latency_ms
				       : 0;
	}
out:
	free(saved);
	free(pt);
	return rc;
}

/* Most stages a change names as attended. */
#define ATTENDED 3

/*
 * The attended stages of each query already asked (changes often share a
 * stage, and graph-wide ones the pipeline token): slot q of the encoded
 * graph's n stages, slot n for the token.
 */
typedef struct attended {
	size_t *top;          /* (n + 1, ATTENDED) stage indices */
	unsigned char *n_top; /* (n + 1); ATTENDED + 1: not asked yet */
} attended;

/*
 * The stages the encoder attended to most for a change: attention rollout
 * (gdfo__nn_attention) from the change's stage in the graph the knobs were
 * drawn on, or from the pipeline token for a graph-wide change; the
 * stage's own share is left out; up to ATTENDED stages, largest first.
 */
static int attend(gdfo__pol *p, gdfo__change *c, attended *memo)
{
	const gdfo_graph *g = p->encoded;
	size_t n, q = GDFO__NN_QUERY_TOKEN, i, k, *top, n_top = 0, slot;
	float *w;
	int64_t *ids;
	int rc;

	if (!g || !p->batch || !p->ws)
		return 0;
	n = g->n;
	if (c->n_stage_ids && (q = gdfo__graph_index(g, c->stage_ids[0])) == (size_t)-1)
		q = GDFO__NN_QUERY_TOKEN;
	slot = q == GDFO__NN_QUERY_TOKEN ? n : q;
	top = memo->top + slot * ATTENDED;
	if (memo->n_top[slot] <= ATTENDED) {
		n_top = memo->n_top[slot];
		goto have;
	}
	if (!(w = gdfo__malloc((n ? n : 1) * sizeof(*w))))
		return GDFO_ENOMEM;
	if ((rc = gdfo__nn_attention(w, n, p->ws, p->batch, 0, q))) {
		free(w);
		return rc;
	}
	for (k = 0; k < ATTENDED; k++) {
		size_t b = (size_t)-1;
		for (i = 0; i < n; i++) {
			size_t j;
			if (i == q)
				continue;
			for (j = 0; j < n_top && top[j] != i; j++)
				;
			if (j < n_top)
				continue;
			if (b == (size_t)-1 || w[i] > w[b])
				b = i;
		}
		if (b == (size_t)-1 || w[b] <= 0)
			break;
		top[n_top++] = b;
	}
	free(w);
	memo->n_top[slot] = (unsigned char)n_top;
have:
	if (!n_top)
		return 0;
	if (!(ids = gdfo__malloc(n_top * sizeof(*ids))))
		return GDFO_ENOMEM;
	for (k = 0; k < n_top; k++)
		ids[k] = g->stages[top[k]].id;
	/* attended ids name stages of the plan's graph: keep those it has */
	free(c->attended_ids);
	c->attended_ids = ids;
	c->n_attended_ids = n_top;
	return 0;
}

/* The learned explanation of each change: gain, confidence, and what the model weighed. */
static int explain(gdfo__pol *p, gdfo_plan *plan, const int32_t *point, const marginal *m, const uint8_t *searched)
{
	const gdfo_space *s = p->space;
	size_t i, d, slots = (p->encoded ? p->encoded->n : 0) + 1;
	attended memo;
	int rc = 0;

	memo.top = gdfo__malloc(slots * ATTENDED * sizeof(*memo.top));
	memo.n_top = gdfo__malloc(slots);
	if (!memo.top || !memo.n_top) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	memset(memo.n_top, ATTENDED + 1, slots);
	for (i = 0; i < plan->n_changes; i++) {
		gdfo__change *c = &plan->changes[i];
		double gain = 0, lat = 0, conf = 1;
		int found = 0, by_search = 0;
		char extra[256], *why;
		size_t len;

		for (d = 0; d < s->dim; d++) {
			const gdfo__decision *dc = &s->d[d];
			if (!point[d] || change_kind_of(dc->kind) != c->kind)
				continue;
			if (c->field && strcmp(c->field, decision_field(dc->kind)))
				continue;
			if (dc->stage_id >= 0 && !(c->n_stage_ids && c->stage_ids[0] == dc->stage_id))
				continue;
			if (dc->stage_id < 0 && c->n_stage_ids && c->kind != GDFO_CHANGE_PRIORITY)
				continue;
			found = 1;
			by_search |= searched && searched[d];
			if (m[d].known) {
				gain += m[d].reward;
				lat += m[d].latency;
			}
			if (m[d].prob < conf)
				conf = m[d].prob;
		}
		if (!found)
			continue;
		if ((rc = attend(p, c, &memo)))
			goto out;
		c->expected_gain = lat > 1 ? 1 : lat < -1e6 ? -1e6 : lat;
		c->confidence = conf < 0 ? 0 : conf > 1 ? 1 : conf;
		snprintf(extra, sizeof(extra), by_search ? "; the model's search over the resources chose it (the learned policy gave it probability %.2f); the model predicts %+.3f reward from it"
						  : "; the learned policy chose it with probability %.2f; the model predicts %+.3f reward from it",
			 conf, gain);
		len = strlen(c->why) + strlen(extra) + 1;
		if (len > GDFO__PLAN_TEXT_MAX)
			continue;
		if (!(why = gdfo__realloc(c->why, len))) {
			rc = GDFO_ENOMEM;
			goto out;
		}
		strcat(why, extra);
		c->why = why;
	}
out:
	free(memo.top);
	free(memo.n_top);
	return rc;
}

/*
 * The rules plan gdfo_optimize_rules makes with the caller's cluster and
 * objective: with check -1 its own default (every change group checked
 * with the task-level simulator when a cluster is known: what `gdfo
 * optimize --rules` returns, 20 ms to seconds), with 0 unchecked (well
 * under a millisecond; a candidate the call checks whole).
 */
static int rules_plan(gdfo_plan **out, gdfo_optimizer *opt, const gdfo_graph *graph, const gdfo_telemetry *t,
		      const gdfo_objective *obj, int check, int check_mode)
{
	gdfo_rules_options ro;
	gdfo_rules_options_init(&ro, GDFO_RULES_OPTIONS_VERSION);
	ro.objective = obj;
	ro.cluster = opt->has_cluster ? &opt->cluster : NULL;
	ro.check_changes = check;
	return gdfo__optimize_rules_with(out, graph, t, &ro, check_mode);
}

static int set_prediction(gdfo_plan *plan, const gdfo__pol *p, const cand *c)
{
	gdfo_prediction pr;
	memset(&pr, 0, sizeof(pr));
	pr.version = GDFO_PREDICTION_VERSION;
	pr.latency_ms = c->o.success ? c->o.latency_ms : -1;
	pr.throughput = c->o.success ? c->o.throughput : -1;
	pr.cost = c->o.success ? c->o.cost : -1;
	pr.baseline_latency_ms = p->base_latency_ms;
	pr.baseline_cost = p->base_cost;
	pr.execution_ms = -1;
	pr.baseline_execution_ms = -1;
	pr.overhead_ms = -1;
	pr.measured_latency_ms = -1;
	pr.calibrated = -1;
	pr.stages_calibrated = -1;
	pr.baseline_stages_calibrated = -1;
	return gdfo__plan_set_prediction(plan, &pr);
}

/*
 * The decision space over the greedy plan's structural graph, and where
 * each knob decision of the input's space is in it: candidates that
 * share those structural edits are scored by applying only their knobs.
 */
typedef struct knob_space {
	gdfo_space *s;
	size_t *at;     /* per input decision: its index in s, or SIZE_MAX */
	int32_t *point; /* scratch, s->dim */
} knob_space;

static void knob_space_close(knob_space *k)
{
	gdfo_space_free(k->s);
	free(k->at);
	free(k->point);
	memset(k, 0, sizeof(*k));
}

typedef struct dkey {
	int64_t stage_id;
	int32_t kind;
	size_t index;
} dkey;

static int cmp_dkey(const void *a, const void *b)
{
	const dkey *x = a, *y = b;
	if (x->stage_id != y->stage_id)
		return x->stage_id < y->stage_id ? -1 : 1;
	return (x->kind > y->kind) - (x->kind < y->kind);
}

static int knob_space_open(knob_space *k, const gdfo_space *in, const gdfo_graph *g, const gdfo_sim_cluster *cl)
{
	gdfo_space_options so;
	dkey *order = NULL;
	size_t d, n2;
	int rc;

	memset(k, 0, sizeof(*k));
	gdfo_space_options_init(&so, GDFO_SPACE_OPTIONS_VERSION);
	so.cluster = cl;
	so.structural = 0;
	so.reorder_joins = 0;
	if ((rc = gdfo_space_create(&k->s, g, &so)))
		return rc;
	n2 = k->s->dim;
	k->at = gdfo__malloc((in->dim + 1) * sizeof(*k->at));
	k->point = gdfo__calloc(n2 + 1, sizeof(*k->point));
	order = gdfo__malloc((n2 + 1) * sizeof(*order));
	if (!k->at || !k->point || !order) {
		free(order);
		knob_space_close(k);
		return GDFO_ENOMEM;
	}
	for (d = 0; d < n2; d++) {
		order[d].stage_id = k->s->d[d].stage_id;
		order[d].kind = k->s->d[d].kind;
		order[d].index = d;
	}
	qsort(order, n2, sizeof(*order), cmp_dkey);
	for (d = 0; d < in->dim; d++) {
		dkey key = {in->d[d].stage_id, in->d[d].kind, 0};
		dkey *hit;
		k->at[d] = SIZE_MAX;
		if (gdfo__pol_structural(in->d[d].kind))
			continue;
		hit = bsearch(&key, order, n2, sizeof(*order), cmp_dkey);
		if (hit)
			k->at[d] = hit->index;
	}
	free(order);
	return 0;
}

/* The knob choices of point (of the input's space) as a point of the structural graph's space, in k->point. */
static void knob_space_map(knob_space *k, const gdfo_space *in, const int32_t *point)
{
	size_t d, c;
	memset(k->point, 0, k->s->dim * sizeof(*k->point));
	for (d = 0; d < in->dim; d++) {
		const gdfo__decision *x, *y;
		if (!point[d] || k->at[d] == SIZE_MAX)
			continue;
		x = &in->d[d];
		y = &k->s->d[k->at[d]];
		for (c = 1; c < y->n; c++)
			if (y->c[c].legal && y->c[c].value == x->c[point[d]].value) {
				k->point[k->at[d]] = (int32_t)c;
				break;
			}
	}
}

/*
 * The graph candidate c stands for, in *sg: the rules plan's, the input,
 * or the point's knobs set on the scratch copy of the graph its
 * structural edits made (the greedy plan's, which the learned candidates
 * share); a uniformly drawn point, with edits of its own, is applied
 * whole into *pl (the caller frees it).
 */
typedef struct scorer {
	const gdfo_space *space;
	knob_space *ks;          /* the space over the greedy plan's structural graph, or NULL */
	gdfo_graph *scratch;     /* a copy of that graph (or of the input without one) */
	const gdfo_plan *rules;
} scorer;

static int cand_graph(const gdfo_graph **sg, gdfo_plan **pl, const scorer *sc, const cand *c)
{
	int rc;

	*pl = NULL;
	*sg = sc->scratch;
	if (c->kind == 3) {
		*sg = gdfo_plan_graph(sc->rules);
		return 0;
	}
	if (c->kind == 2) {
		*sg = sc->space->graph;
		return 0;
	}
	if ((c->kind == 0 || c->kind == 1) && sc->ks) { /* refined ones too: refine() keeps structure */
		knob_space_map(sc->ks, sc->space, c->point);
		return gdfo__space_apply_knobs(sc->scratch, sc->ks->s, sc->ks->point);
	}
	if (c->kind == 0 || c->kind == 1) /* no structural edit was made: knobs only */
		return gdfo__space_apply_knobs(sc->scratch, sc->space, c->point);
	if ((rc = gdfo_space_apply(pl, sc->space, c->point, sc->space->dim, "learned")))
		return rc;
	*sg = gdfo_plan_graph(*pl);
	return 0;
}

/*
 * One pass of coordinate ascent over the graph-wide decisions (executors,
 * cores, memory, the priority policy) from the best learned or drawn
 * candidate, with the analytic model: the policy seldom samples resources
 * far from the input's, and on a small pipeline they decide (a 10-task
 * stage on 4 cores wants 10). The point found is one more candidate, at
 * c[*n] with its point in pt, when it scores higher; searched[d] is set
 * for the decisions it changed.
 */
static int refine(gdfo__pol *p, const scorer *sc, cand *c, size_t *n, int32_t *pt, uint8_t *searched)
{
	const gdfo_space *s = sc->space;
	size_t k, b = (size_t)-1, d, ch, dim = s->dim;
	cand x;
	int rc, improved = 0;

	for (k = 0; k < *n; k++)
		if ((c[k].kind == 0 || c[k].kind == 1 || c[k].kind == 4) && (b == (size_t)-1 || c[k].score > c[b].score))
			b = k;
	if (b == (size_t)-1)
		return 0;
	memcpy(pt, c[b].point, dim * sizeof(*pt));
	x = c[b];
	x.point = pt;
	for (d = 0; d < dim; d++) {
		const gdfo__decision *dc = &s->d[d];
		int32_t keep = pt[d], bc = keep;
		if (!gdfo__decision_is_graph_wide(dc->kind))
			continue;
		for (ch = 0; ch < dc->n; ch++) {
			cand y = x;
			const gdfo_graph *sg;
			gdfo_plan *pl;
			if ((int32_t)ch == keep || !dc->c[ch].legal)
				continue;
			pt[d] = (int32_t)ch;
			if ((rc = cand_graph(&sg, &pl, sc, &y)))
				return rc;
			rc = gdfo__pol_predict(&y.r, &y.o, p, sg);
			gdfo_plan_free(pl);
			if (rc)
				return rc;
			y.score = gdfo__pol_score(&y.r);
			/* better, or as good and the input's value (one change fewer) */
			if (y.score > x.score + 1e-9 || (ch == 0 && y.score >= x.score - 1e-12)) {
				x.r = y.r;
				x.o = y.o;
				x.score = y.score;
				bc = (int32_t)ch;
			}
		}
		pt[d] = bc;
		if (bc != keep) {
			searched[d] = bc != 0;
			improved = 1;
		}
	}
	if (!improved)
		return 0;
	x.ascore = x.score;
	x.refined = 1;
	c[(*n)++] = x;
	return 0;
}

/* Candidate c scored by the check instead of the analytic model. */
static int check(gdfo__pol *p, const scorer *sc, cand *c)
{
	const gdfo_graph *sg;
	gdfo_plan *pl;
	int rc;

	if ((rc = cand_graph(&sg, &pl, sc, c)))
		return rc;
	rc = gdfo__pol_predict_check(&c->r, &c->o, p, sg);
	gdfo_plan_free(pl);
	if (rc)
		return rc;
	c->score = gdfo__pol_score(&c->r);
	c->checked = 1;
	return 0;
}

/*
 * Re-scores the input, the rules plan and the `count` best other
 * candidates with the check (gdfo__pol_predict_check: the task-level
 * model's expected run under task noise and stragglers, which sees the
 * tails of stages that end on one wave of long tasks); candidates not
 * checked keep their analytic score and rank below every checked one.
 */
static int verify(gdfo__pol *p, const scorer *sc, cand *c, size_t n, int count)
{
	size_t k, j;
	int rc;

	for (k = 0; k < n; k++)
		c[k].checked = 0;
	for (k = 0; k < n; k++)
		if ((c[k].kind == 2 || c[k].kind == 3) && (rc = check(p, sc, &c[k])))
			return rc;
	for (j = 0; j < (size_t)count; j++) {
		size_t b = (size_t)-1;
		for (k = 0; k < n; k++)
			if (!c[k].checked && (b == (size_t)-1 || c[k].score > c[b].score))
				b = k;
		if (b == (size_t)-1)
			break;
		if ((rc = check(p, sc, &c[b])))
			return rc;
	}
	for (k = 0; k < n; k++)
		if (!c[k].checked)
			c[k].score -= 1e3;
	return 0;
}

/* GDFO_EINVAL when telemetry is of another pipeline: another fingerprint and no stage id of graph. */
static int foreign_telemetry(const gdfo_graph *g, const gdfo_telemetry *t)
{
	size_t k, n = t->n, match = 0;
	uint64_t tfp, gfp;
	int rc;

	if (!n || (gdfo_telemetry_fingerprint(&tfp, t) == 0 && gdfo_graph_fingerprint(&gfp, g) == 0 && tfp == gfp))
		return 0;
	for (k = 0; k < n; k++)
		match += gdfo__graph_index(g, t->stages[k].stage_id) != (size_t)-1;
	if (match)
		return 0;
	rc = gdfo__error(GDFO_EINVAL, "telemetry of another pipeline: none of its %zu stage records names a stage of pipeline '%s'",
			 n, g->name);
	return rc;
}

static int point_equal(const int32_t *a, const int32_t *b, size_t n)
{
	return !memcmp(a, b, n * sizeof(*a));
}

int gdfo__optimizer_plan(gdfo_plan **out, gdfo_optimizer *opt, const gdfo_graph *graph,
			const gdfo_telemetry *telemetry, const gdfo_objective *objective)
{
	gdfo_objective obj;
	gdfo_space_options so;
	gdfo_space *space = NULL;
	gdfo__pol pol;
	gdfo_plan *structural = NULL, *rules = NULL, *plan = NULL;
	gdfo_graph *scratch = NULL; /* a candidate's graph while it is scored */
	cand *cands = NULL;
	int32_t *points = NULL;
	float *prob = NULL;
	marginal *m = NULL;
	uint8_t *searched = NULL; /* decisions refine() changed */
	knob_space ks = {0};
	scorer sc = {0};
	size_t dim, n = 0, k, best = 0, K;
	uint64_t rng;
	int rc, learned = 0, rules_at = -1;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_optimizer_plan: out is NULL");
	*out = NULL;
	if (!opt || !graph)
		return gdfo__error(GDFO_EINVAL, "gdfo_optimizer_plan: NULL argument");
	gdfo_objective_init(&obj, GDFO_OBJECTIVE_VERSION);
	if (objective) {
		if ((rc = gdfo_objective_validate(objective)))
			return gdfo__error_prefix(rc, "gdfo_optimizer_plan");
		gdfo__abi_in(&obj, objective, &obj, GDFO__ABI_OBJECTIVE, "gdfo_optimizer_plan");
	}
	if (!opt->enc && !opt->o.uniform) {
		/* gdfo_optimize_rules' plan, as the header promises */
		if ((rc = rules_plan(&plan, opt, graph, telemetry, &obj, -1, GDFO_SIM_DES)))
			return rc;
		if ((rc = gdfo__plan_add_notef(plan, "no policy model is loaded (gdfo train makes one; $%s names it): the rules planned",
			       GDFO_MODEL_ENV))) {
			gdfo_plan_free(plan);
			return rc;
		}
		*out = plan;
		return 0;
	}
	memset(&pol, 0, sizeof(pol));
	/* The rules plan first: the rules also refuse telemetry of another pipeline, with the why. */
	if (opt->o.use_rules && opt->o.score) {
		/* a candidate: checked with the DES's schedule computed by groups of
		 * tasks (within 1.4 % of the DES on 341 plans, 10 times faster) */
		if ((rc = rules_plan(&rules, opt, graph, telemetry, &obj, opt->o.rules_check, GDFO_SIM_EXPECTED)))
			return rc;
	} else if (telemetry && (rc = foreign_telemetry(graph, telemetry))) {
		return rc;
	}
	gdfo_space_options_init(&so, GDFO_SPACE_OPTIONS_VERSION);
	so.cluster = &opt->cluster;
	if ((rc = gdfo_space_create(&space, graph, &so))) {
		gdfo_plan_free(rules);
		return rc;
	}
	dim = space->dim;
	K = (size_t)opt->o.candidates;
	if ((rc = gdfo__pol_init(&pol, opt->o.uniform ? NULL : opt->enc, &opt->cluster)) ||
	    (pol.ws && (rc = gdfo__nn_workspace_keep_attention(pol.ws))) ||
	    (rc = gdfo__pol_begin(&pol, space, telemetry, &obj)))
		goto out;
	cands = gdfo__calloc(K + 5, sizeof(*cands));
	points = gdfo__calloc((K + 5) * (dim ? dim : 1), sizeof(*points));
	prob = gdfo__calloc((K + 5) * (dim ? dim : 1), sizeof(*prob));
	m = gdfo__calloc(dim ? dim : 1, sizeof(*m));
	searched = gdfo__calloc(dim ? dim : 1, sizeof(*searched));
	if (!cands || !points || !prob || !m || !searched) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	rng = opt->o.seed ^ 0x6a09e667f3bcc909ULL;
	/* the input */
	cands[n].point = points + n * dim;
	cands[n].kind = 2;
	n++;
	if (opt->o.uniform) {
		for (k = 0; k < K + 1; k++) {
			int32_t *pt = points + n * dim;
			if ((rc = gdfo_space_sample(pt, dim, space, &rng)))
				goto out;
			cands[n].point = pt;
			cands[n].kind = 4;
			n++;
		}
	} else {
		int32_t *g0 = points + n * dim;
		float *pr0 = prob + n * dim;
		for (k = 0; k < dim; k++)
			pr0[k] = 1;
		pol.struct_prob = pr0;
		if ((rc = gdfo__pol_generate(&pol, g0, GDFO__POL_GREEDY, NULL, &rng, opt->o.structural_steps, NULL,
					     &structural)))
			goto out;
		/* probabilities of the greedy choices (structural ones count 1) */
		pol.teacher = g0;
		pol.struct_prob = NULL;
		if ((rc = gdfo__pol_knobs(&pol, g0, GDFO__POL_TEACHER, &rng,
					  structural ? gdfo_plan_graph(structural) : space->graph, NULL, pr0)))
			goto out;
		cands[n].point = g0;
		cands[n].kind = 0;
		n++;
		for (k = 0; k < K && opt->o.score; k++) {
			int32_t *pt = points + n * dim;
			size_t j;
			memcpy(pt, g0, dim * sizeof(*pt));
			if ((rc = gdfo__pol_knobs(&pol, pt, GDFO__POL_SAMPLE, &rng,
						  structural ? gdfo_plan_graph(structural) : space->graph, NULL,
						  prob + n * dim)))
				goto out;
			for (j = 0; j < n && !point_equal(cands[j].point, pt, dim); j++)
				;
			if (j < n)
				continue; /* drawn before */
			for (j = 0; j < dim; j++)
				if (gdfo__pol_structural(space->d[j].kind))
					prob[n * dim + j] = 1;
			cands[n].point = pt;
			cands[n].kind = 1;
			n++;
		}
	}
	if (rules) {
		cands[n].point = NULL;
		cands[n].rules = rules;
		cands[n].kind = 3;
		rules_at = (int)n;
		n++;
	}
	/* score: the learned candidates share the greedy plan's structural
	 * edits, so their knobs are applied to its graph (a space over it),
	 * not the whole point again to the input */
	if (structural && (rc = knob_space_open(&ks, space, gdfo_plan_graph(structural), &opt->cluster)))
		goto out;
	if ((rc = gdfo_graph_clone(&scratch, structural ? gdfo_plan_graph(structural) : space->graph)))
		goto out;
	sc.space = space;
	sc.ks = structural ? &ks : NULL;
	sc.scratch = scratch;
	sc.rules = rules;
	for (k = 0; k < n; k++) {
		gdfo_plan *pl = NULL;
		const gdfo_graph *sg = NULL;
		if (!opt->o.score && cands[k].kind != 0)
			continue;
		if ((rc = cand_graph(&sg, &pl, &sc, &cands[k])))
			goto out;
		rc = gdfo__pol_predict(&cands[k].r, &cands[k].o, &pol, sg);
		gdfo_plan_free(pl);
		if (rc)
			goto out;
		cands[k].score = gdfo__pol_score(&cands[k].r);
		cands[k].ascore = cands[k].score;
	}
	if (opt->o.score) {
		size_t before = n;
		if ((rc = refine(&pol, &sc, cands, &n, points + n * dim, searched)))
			goto out;
		/* the policy's probabilities of the refined point's choices (its confidence) */
		if (n > before && !opt->o.uniform) {
			pol.teacher = cands[before].point;
			if ((rc = gdfo__pol_knobs(&pol, cands[before].point, GDFO__POL_TEACHER, &rng,
						  structural ? gdfo_plan_graph(structural) : space->graph, NULL,
						  prob + before * dim)))
				goto out;
			for (k = 0; k < dim; k++)
				if (gdfo__pol_structural(space->d[k].kind))
					prob[before * dim + k] = 1;
		}
	}
	if (opt->o.score && opt->o.verify > 0 && (rc = verify(&pol, &sc, cands, n, opt->o.verify)))
		goto out;
	best = opt->o.score ? 0 : 1;
	for (k = 0; k < n && opt->o.score; k++)
		if (cands[k].score > cands[best].score + 1e-9)
			best = k;
	/* A change replaces the input, and a learned plan the rules plan, only
	 * when predicted better by a margin (MARGIN of reward): the
	 * predictions are noisy, and the best of several noisy scores is
	 * optimistic. */
	if (opt->o.score && cands[best].kind != 2 && !(cands[best].score > cands[0].score + MARGIN_INPUT))
		best = 0;
	/* ... and, when both were checked with the task-level model, only when the
	 * analytic model agrees that it is the better one. */
	if (rules_at >= 0 && cands[best].kind != 3 &&
	    (!(cands[best].score > cands[rules_at].score + MARGIN) ||
	     (cands[best].checked && cands[rules_at].checked && !(cands[best].ascore > cands[rules_at].ascore))) &&
	    cands[rules_at].score > cands[0].score + MARGIN_INPUT)
		best = (size_t)rules_at;

	if (cands[best].kind == 3) {
		double bl = -INFINITY;
		for (k = 0; k < n; k++)
			if ((cands[k].kind == 0 || cands[k].kind == 1 || cands[k].kind == 4) && cands[k].score > bl)
				bl = cands[k].score;
		/* the candidate is the plan (with rules_check -1, what the rules return on their own) */
		plan = rules;
		rules = NULL;
		{
			cand checked = cands[best];
			rc = checked.checked ? gdfo__pol_predict_check(&checked.r, &checked.o, &pol, gdfo_plan_graph(plan))
					     : gdfo__pol_predict(&checked.r, &checked.o, &pol, gdfo_plan_graph(plan));
			if (rc || (rc = set_prediction(plan, &pol, &checked)))
				goto out;
		}
		if ((rc = gdfo__plan_add_notef(plan, "no learned candidate was predicted to beat the rules plan by %.2f (predicted reward %.3f against the best learned %.3f): the rules plan stands",
			       MARGIN, cands[best].r.reward, bl)))
			goto out;
	} else {
		if ((rc = gdfo_space_apply(&plan, space, cands[best].point, dim,
					   cands[best].kind == 2 ? "input" : "learned")))
			goto out;
		learned = cands[best].kind != 2;
		if ((rc = set_prediction(plan, &pol, &cands[best])))
			goto out;
		if (learned && opt->o.score &&
		    ((rc = marginals(m, &pol, plan, cands[best].point, prob + best * dim, &cands[best])) ||
		     (rc = explain(&pol, plan, cands[best].point, m, cands[best].refined ? searched : NULL))))
			goto out;
		if (cands[best].kind == 2 &&
		    (rc = gdfo__plan_add_notef(plan, "no candidate was predicted to beat the input: it is returned unchanged")))
			goto out;
	}
	if (!opt->o.uniform &&
	    (rc = gdfo__plan_add_notef(plan, "learned optimizer: model %s; %zu candidates scored by the execution model (%s); %s%s won with predicted reward %.3f (the value head expected %.3f)",
		       opt->model_path, n, pol.telemetry ? "calibrated to the telemetry" : "uncalibrated",
		       cand_names[cands[best].kind], cands[best].refined ? ", its resources refined by the model," : "",
		       cands[best].r.reward, (double)pol.value)))
		goto out;
	if ((rc = gdfo__plan_set_risk(plan, gdfo__plan_assess_risk(plan, graph))))
		goto out;
	/* As gdfo_sim_predict_plan does: a plan predicted slower than its input needs approval. */
	if (cands[best].kind != 2 && cands[best].o.success && cands[best].o.latency_ms > pol.base_latency_ms * 1.000001 &&
	    ((rc = gdfo__plan_set_risk(plan, GDFO_RISK_HIGH)) ||
	     (rc = gdfo__plan_add_notef(plan, "risk high: predicted slower than the input (%.0f ms against %.0f ms); it trades latency for the objective's other terms",
			cands[best].o.latency_ms, pol.base_latency_ms))))
		goto out;
	*out = plan;
	plan = NULL;
	rc = 0;
out:
	gdfo_plan_free(plan);
	gdfo_plan_free(rules);
	gdfo_plan_free(structural);
	gdfo_graph_free(scratch);
	knob_space_close(&ks);
	gdfo__pol_free(&pol);
	gdfo_space_free(space);
	free(cands);
	free(points);
	free(prob);
	free(m);
	free(searched);
	return rc;
}
