/*
 * The rule-based optimizer (include/gdfo/rules.h, docs/rules.md).
 *
 * Rules run in a fixed order on the plan's copy of the graph, each
 * through a legality-checked rewrite: push filters down, (optionally)
 * reorder inner joins, fuse narrow chains, broadcast small join inputs,
 * size partitions, cache shared stages, set critical-path priorities.
 * Every modification is recorded as a change with its reason.
 *
 * With a cluster known, every change group is checked with the simulator
 * and dropped when the plan is predicted worse with it under the
 * objective; expected gains are then each group's marginal effect in the
 * final plan (docs/rules.md "Checked against the model"). Without, gains
 * use one work model: a stage costs rows_in x cpu_ns_per_row plus 1 ns
 * per byte read, and expected_gain is the work a change removes as a
 * fraction of the input pipeline's total.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/abi.h"
#include "gdfo/rewrite.h"
#include "gdfo/rules.h"
#include "plan/plan_internal.h"

#define MIB (1024.0 * 1024.0)
#define NS_PER_BYTE 1.0

/*
 * The check's budget: knob change groups are checked one by one while
 * their count times the pipeline's stages stays under CHECK_STAGE_RUNS
 * (at least CHECK_MIN_RUNS groups), so that checking costs about as much
 * at any size; the groups after that are checked in batches of doubling
 * size, a logarithmic number of simulator runs more.
 */
#define CHECK_STAGE_RUNS 100000
#define CHECK_MIN_RUNS 16

/* Confidence by where the deciding numbers came from. */
#define CONF_MEASURED 0.8
#define CONF_ESTIMATED 0.5
#define CONF_UNKNOWN 0.2

int gdfo_rules_options_init(gdfo_rules_options *o, unsigned int version)
{
	gdfo_rules_options d;
	memset(&d, 0, sizeof(d));
	d.push_filters = 1;
	d.fuse_narrow = 1;
	d.broadcast_joins = 1;
	d.set_partitions = 1;
	d.cache_shared = 1;
	d.set_priorities = 1;
	d.reorder_joins = 0;
	d.target_partition_bytes = 128LL << 20;
	d.min_partition_bytes = 1LL << 20;
	d.broadcast_max_bytes = 0; /* the pipeline's broadcast_threshold_bytes, else 10 MiB */
	d.cache_budget_bytes = -1;
	d.cache_memory_fraction = 0.3;
	d.partition_change_min = 0.25;
	d.check_changes = -1;
	return gdfo__abi_init(o, version, &d, GDFO__ABI_RULES_OPTIONS, "gdfo_rules_options_init");
}

static int check_options(const gdfo_rules_options *o)
{
	const int32_t *sw[] = {&o->push_filters, &o->fuse_narrow, &o->broadcast_joins, &o->set_partitions,
			       &o->cache_shared, &o->set_priorities, &o->reorder_joins};
	const char *names[] = {"push_filters", "fuse_narrow", "broadcast_joins", "set_partitions",
			       "cache_shared", "set_priorities", "reorder_joins"};
	size_t i;

	for (i = 0; i < GDFO__ARRAY_LEN(sw); i++)
		if (*sw[i] != 0 && *sw[i] != 1)
			return gdfo__error(GDFO_EINVAL, "rules option %s is %d; it must be 0 or 1", names[i], *sw[i]);
	if (o->target_partition_bytes < (1LL << 20))
		return gdfo__error(GDFO_EINVAL, "rules option target_partition_bytes is %lld; it must be >= 1 MiB",
				   (long long)o->target_partition_bytes);
	if (o->min_partition_bytes <= 0 || o->min_partition_bytes > o->target_partition_bytes)
		return gdfo__error(GDFO_EINVAL, "rules option min_partition_bytes is %lld; it must be > 0 and <= target_partition_bytes",
				   (long long)o->min_partition_bytes);
	if (o->broadcast_max_bytes < 0)
		return gdfo__error(GDFO_EINVAL, "rules option broadcast_max_bytes is %lld; it must be 0 (the pipeline's threshold) or > 0",
				   (long long)o->broadcast_max_bytes);
	if (o->cache_budget_bytes < -1)
		return gdfo__error(GDFO_EINVAL, "rules option cache_budget_bytes is %lld; it must be -1 (derive) or >= 0",
				   (long long)o->cache_budget_bytes);
	if (!isfinite(o->cache_memory_fraction) || o->cache_memory_fraction <= 0 || o->cache_memory_fraction > 1)
		return gdfo__error(GDFO_EINVAL, "rules option cache_memory_fraction is %g; it must be in (0, 1]",
				   o->cache_memory_fraction);
	if (o->check_changes < -1 || o->check_changes > 1)
		return gdfo__error(GDFO_EINVAL, "rules option check_changes is %d; it must be -1 (when a cluster is known), 0 or 1",
				   o->check_changes);
	if (!isfinite(o->partition_change_min) || o->partition_change_min < 0)
		return gdfo__error(GDFO_EINVAL, "rules option partition_change_min is %g; it must be finite and >= 0",
				   o->partition_change_min);
	return 0;
}

/* ---- context ------------------------------------------------------------------ */

/* A prediction scored under the objective, relative to the input's. */
typedef struct score {
	int ok;          /* the run succeeds */
	double r;        /* the objective's reward against the input, divided by the weight sum */
	double latency_ms, cost;
} score;

/* Structural rules: each is one change group, rebuilt from the input for attribution. */
enum { RULE_PUSH = 1, RULE_REORDER = 2, RULE_FUSE = 4 };

/* A stage's knobs before and after a knob group (for taking the group out of the final plan). */
typedef struct kdiff {
	int64_t id;
	gdfo_stage_knobs old, now;
} kdiff;

typedef struct group {
	size_t from, to;   /* its changes: [from, to) of the plan's */
	int rule;          /* RULE_* for a structural group, else 0 */
	kdiff *diffs;      /* knob groups */
	size_t n_diffs;
	double gain;       /* its share of the plan's objective gain */
	score without;     /* the final plan without it, when without_gen == ctx gen */
	unsigned without_gen;
} group;

typedef struct ctx {
	gdfo_plan *plan;
	gdfo_graph *g;               /* the plan's graph, rewritten in place */
	const gdfo_graph *base;      /* the input graph */
	const gdfo_telemetry *t;     /* may be NULL */
	const gdfo_rules_options *o;
	double base_work;            /* work model total of the input graph, ns */
	int64_t *stale;              /* ids whose measurements no longer describe them */
	size_t n_stale, cap_stale;
	int64_t (*alias)[2];         /* fused id -> id of the chain's last stage (its output) */
	size_t n_alias, cap_alias;
	int fp;                      /* FP_*: the telemetry's fingerprint against the input's */
	int64_t *renames;            /* fused chains awaiting rename_fused: n, id0..id(n-1), ... */
	size_t n_renames, cap_renames;
	/* Checking change groups with the simulator (sim NULL: no check). */
	gdfo_sim *sim;
	gdfo_sim_options check_so;   /* the check's mode: the DES, or its expected mode (gdfo__optimize_rules_with) */
	gdfo_objective obj;
	gdfo_sim_result base_res;    /* the input's prediction */
	score input, cur;            /* the input's and the plan's so far */
	gdfo_graph *snap;            /* structural groups: the plan's graph when the group began */
	gdfo_stage_knobs *knob_snap; /* knob groups: every stage's knobs when the group began */
	size_t cap_knob_snap;
	int open;                    /* a group is open */
	size_t checks, budget;       /* knob groups checked alone so far, and how many may be */
	size_t deferred, batch;      /* past the budget: groups in the open batch, and its size */
	size_t batches, batched, batches_rejected;
	size_t mark, stale_mark, alias_mark;
	int64_t (*alias_snap)[2];
	group *groups;               /* accepted groups */
	size_t n_groups, cap_groups;
	size_t n_rejected_groups;
	int rules_done;              /* RULE_* bits of structural rules applied (for rebuilds) */
	int rule;                    /* the structural rule running (RULE_*), 0 for knob rules */
	unsigned gen;                /* 1 + knob groups the look back removed */
} ctx;

enum { FP_NONE, FP_SAME, FP_DIFFERS };

static int record_usable(const gdfo_graph *g, int fp, const gdfo_stage_telemetry *st);

static double stage_work(const gdfo__stage *s)
{
	return s->stats.rows_in * s->stats.cpu_ns_per_row + s->stats.bytes_in * NS_PER_BYTE;
}

/*
 * Work of the whole pipeline, counting recomputation: an uncached stage
 * runs once per path to the pipeline's ends (every consumer pulls it
 * again), a cached one once.
 */
static int graph_work(double *out, const gdfo_graph *g)
{
	size_t *order = gdfo__malloc((g->n ? g->n : 1) * sizeof(*order)), i, k;
	double *runs = gdfo__malloc((g->n ? g->n : 1) * sizeof(*runs)), w = 0;
	int rc = 0;

	/* no fallback: a gain computed on another model would be a wrong answer */
	if (!order || !runs || (rc = gdfo_graph_topo_order(order, g->n, g))) {
		free(order);
		free(runs);
		return rc ? rc : GDFO_ENOMEM;
	}
	for (k = g->n; k-- > 0;) {
		const gdfo__stage *s = &g->stages[order[k]];
		double r = 0;
		for (i = 0; i < s->n_children; i++)
			r += runs[s->children[i]];
		if (s->n_children == 0 || (s->knobs.cache != GDFO_CACHE_NONE && r > 1))
			r = 1;
		runs[order[k]] = r;
		w += r * stage_work(s);
	}
	free(order);
	free(runs);
	*out = w;
	return 0;
}

static double gain_of(const ctx *c, double work_removed)
{
	double gain;
	if (c->base_work <= 0)
		return 0;
	gain = work_removed / c->base_work;
	return gain > 1 ? 1 : (gain < -1e6 ? -1e6 : gain);
}

/* The gain of the changes made since the pipeline's work was *work; *work becomes the work now. */
static int gain_since(double *out, const ctx *c, double *work)
{
	double after;
	int rc = graph_work(&after, c->g);

	if (!rc) {
		*out = gain_of(c, *work - after);
		*work = after;
	}
	return rc;
}

/*
 * Work accounting for the fuse and cache rules, kept up to date as stages
 * are cached instead of recomputing the pipeline's work per candidate
 * (that was quadratic in the stages; docs/rules.md "Scale"). With runs[v]
 * the sum of v's children's runs (1 at an end), an uncached stage runs
 * runs[v] times and a cached one once. Caching v saves (runs[v] - 1) x up[v], where
 * up[v] is the work of v and of each ancestor that reaches v through
 * uncached stages only, counted once per such path: exactly the drop in
 * graph_work, without subtracting two sums of the whole pipeline.
 */
typedef struct acct {
	size_t n;
	size_t *order, *pos;  /* topological order, each stage's place in it */
	double *runs, *up, *acc;
	size_t *heap;         /* places in order of stages with a pending acc */
	size_t n_heap;
	unsigned char *queued;
} acct;

static int is_cached(const gdfo__stage *s)
{
	return s->knobs.cache != GDFO_CACHE_NONE;
}

static double runs_of(const acct *a, const gdfo_graph *g, size_t v)
{
	return is_cached(&g->stages[v]) ? 1 : a->runs[v];
}

static void acct_free(acct *a)
{
	free(a->order);
	free(a->pos);
	free(a->runs);
	free(a->up);
	free(a->acc);
	free(a->heap);
	free(a->queued);
	memset(a, 0, sizeof(*a));
}

static int acct_init(acct *a, const gdfo_graph *g)
{
	size_t n = g->n ? g->n : 1, i, k;
	int rc;

	memset(a, 0, sizeof(*a));
	a->n = g->n;
	a->order = gdfo__malloc(n * sizeof(*a->order));
	a->pos = gdfo__malloc(n * sizeof(*a->pos));
	a->runs = gdfo__malloc(n * sizeof(*a->runs));
	a->up = gdfo__malloc(n * sizeof(*a->up));
	a->acc = gdfo__calloc(n, sizeof(*a->acc));
	a->heap = gdfo__malloc(n * sizeof(*a->heap));
	a->queued = gdfo__calloc(n, 1);
	if (!a->order || !a->pos || !a->runs || !a->up || !a->acc || !a->heap || !a->queued) {
		acct_free(a);
		return GDFO_ENOMEM;
	}
	if ((rc = gdfo_graph_topo_order(a->order, g->n, g))) {
		acct_free(a);
		return rc;
	}
	for (k = 0; k < g->n; k++)
		a->pos[a->order[k]] = k;
	for (k = g->n; k-- > 0;) {
		const gdfo__stage *s = &g->stages[a->order[k]];
		double r = s->n_children ? 0 : 1;
		for (i = 0; i < s->n_children; i++)
			r += runs_of(a, g, s->children[i]);
		a->runs[a->order[k]] = r;
	}
	for (k = 0; k < g->n; k++) {
		const gdfo__stage *s = &g->stages[a->order[k]];
		double u = stage_work(s);
		for (i = 0; i < s->n_parents; i++)
			if (!is_cached(&g->stages[s->parents[i]]))
				u += a->up[s->parents[i]];
		a->up[a->order[k]] = u;
	}
	return 0;
}

/* Work saved by caching uncached stage v. */
static double acct_saving(const acct *a, size_t v)
{
	return (a->runs[v] - 1) * a->up[v];
}

/* A binary heap of indices: the smallest on top, or the largest with desc. */
static void heap_up(size_t *h, size_t *n, size_t x, int desc)
{
	size_t i = (*n)++;
	while (i > 0 && (desc ? x > h[(i - 1) / 2] : x < h[(i - 1) / 2])) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = x;
}

static size_t heap_down(size_t *h, size_t *n, int desc)
{
	size_t top = h[0], last = h[--(*n)], i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && (desc ? h[c + 1] > h[c] : h[c + 1] < h[c]))
			c++;
		if (desc ? h[c] <= last : h[c] >= last)
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = last;
	return top;
}

/* Adds delta to stage v's pending change and queues v by its place in the order. */
static void acct_push(acct *a, size_t v, double delta, int desc)
{
	a->acc[v] += delta;
	if (a->queued[v])
		return;
	a->queued[v] = 1;
	heap_up(a->heap, &a->n_heap, a->pos[v], desc);
}

static size_t acct_pop(acct *a, int desc)
{
	size_t v = a->order[heap_down(a->heap, &a->n_heap, desc)];
	a->queued[v] = 0;
	return v;
}

/*
 * Stage v was just cached: its ancestors run fewer times and its
 * descendants' up no longer includes v's. Each change travels until a
 * cached stage absorbs it, in topological order so that a stage reached
 * by several paths passes on its whole change once.
 */
static void acct_cached(acct *a, const gdfo_graph *g, size_t v)
{
	size_t i, u;

	for (i = 0; i < g->stages[v].n_parents; i++)
		acct_push(a, g->stages[v].parents[i], 1 - a->runs[v], 1);
	while (a->n_heap) {
		double d;
		u = acct_pop(a, 1);
		d = a->acc[u];
		a->acc[u] = 0;
		a->runs[u] += d;
		if (!is_cached(&g->stages[u]))
			for (i = 0; i < g->stages[u].n_parents; i++)
				acct_push(a, g->stages[u].parents[i], d, 1);
	}
	for (i = 0; i < g->stages[v].n_children; i++)
		acct_push(a, g->stages[v].children[i], -a->up[v], 0);
	while (a->n_heap) {
		double d;
		u = acct_pop(a, 0);
		d = a->acc[u];
		a->acc[u] = 0;
		a->up[u] += d;
		if (!is_cached(&g->stages[u]))
			for (i = 0; i < g->stages[u].n_children; i++)
				acct_push(a, g->stages[u].children[i], d, 0);
	}
}

static int mark_stale(ctx *c, int64_t id)
{
	void *items = c->stale;
	if (gdfo__grow(&items, &c->cap_stale, c->n_stale + 1, sizeof(*c->stale)))
		return GDFO_ENOMEM;
	c->stale = items;
	c->stale[c->n_stale++] = id;
	return 0;
}

static int is_stale(const ctx *c, int64_t id)
{
	size_t i;
	for (i = 0; i < c->n_stale; i++)
		if (c->stale[i] == id)
			return 1;
	return 0;
}

static int add_alias(ctx *c, int64_t fused, int64_t last)
{
	void *items = c->alias;
	size_t i;
	/* Fusing a fused stage again: its output is still the new last stage's. */
	for (i = 0; i < c->n_alias; i++)
		if (c->alias[i][0] == last)
			last = c->alias[i][1];
	for (i = 0; i < c->n_alias; i++)
		if (c->alias[i][0] == fused) {
			c->alias[i][1] = last;
			return 0;
		}
	if (gdfo__grow(&items, &c->cap_alias, c->n_alias + 1, sizeof(*c->alias)))
		return GDFO_ENOMEM;
	c->alias = items;
	c->alias[c->n_alias][0] = fused;
	c->alias[c->n_alias][1] = last;
	c->n_alias++;
	return 0;
}

/*
 * A measurement of the stage with id, or -1 when telemetry is absent,
 * does not cover it, the stage moved, or the value was not taken.
 * output != 0 asks about the stage's output (fused stages use their last
 * member's record).
 */
static double measured(const ctx *c, int64_t id, size_t field_offset, int output)
{
	gdfo_stage_telemetry st = {.version = GDFO_STAGE_TELEMETRY_VERSION};
	size_t i;
	double v;

	if (!c->t || is_stale(c, id))
		return -1;
	for (i = 0; i < c->n_alias; i++)
		if (c->alias[i][0] == id) {
			if (!output)
				return -1;
			id = c->alias[i][1];
		}
	if (gdfo_telemetry_find(&st, c->t, id) || !record_usable(c->base, c->fp, &st))
		return -1;
	v = *(const double *)((const char *)&st + field_offset);
	return v >= 0 ? v : -1;
}

#define M_SHUFFLE_WRITE offsetof(gdfo_stage_telemetry, shuffle_write_bytes)
#define M_SHUFFLE_READ offsetof(gdfo_stage_telemetry, shuffle_read_bytes)
#define M_DURATION offsetof(gdfo_stage_telemetry, duration_ms)

/* Output bytes of stage i: measured shuffle write when > 0, else the estimate (0 if unknown). */
static double out_bytes(const ctx *c, size_t i, int *from_telemetry)
{
	const gdfo__stage *s = &c->g->stages[i];
	double m = measured(c, s->id, M_SHUFFLE_WRITE, 1);
	if (m > 0) {
		*from_telemetry = 1;
		return m;
	}
	*from_telemetry = 0;
	return s->stats.bytes_in > 0 ? gdfo__stage_out_bytes(s) : 0;
}

static void fmt_bytes(char *out, size_t size, double b)
{
	if (b >= 1024.0 * MIB)
		snprintf(out, size, "%.2f GiB", b / (1024.0 * MIB));
	else if (b >= MIB)
		snprintf(out, size, "%.1f MiB", b / MIB);
	else if (b >= 1024)
		snprintf(out, size, "%.1f KiB", b / 1024);
	else
		snprintf(out, size, "%.0f bytes", b);
}

/* What a change set from what to what (gdfo_change's field .. new_label). */
typedef struct values {
	const char *field;
	double old_value, new_value;
	const char *old_label, *new_label;
} values;

static int record(ctx *c, int kind, const int64_t *ids, size_t n_ids, const int64_t *att, size_t n_att,
		  double gain, double conf, const char *what, const char *why, const values *v)
{
	gdfo_change ch;
	memset(&ch, 0, sizeof(ch));
	ch.field = v->field;
	ch.old_value = v->old_value;
	ch.new_value = v->new_value;
	ch.old_label = v->old_label;
	ch.new_label = v->new_label;
	ch.kind = kind;
	ch.stage_ids = ids;
	ch.n_stage_ids = n_ids;
	ch.attended_ids = att;
	ch.n_attended_ids = n_att;
	ch.what = what;
	ch.why = why;
	ch.expected_gain = gain;
	ch.confidence = conf;
	return gdfo__plan_add_change(c->plan, &ch);
}

static double stats_conf(const gdfo__stage *s)
{
	return s->stats.rows_in > 0 || s->stats.bytes_in > 0 ? CONF_ESTIMATED : CONF_UNKNOWN;
}

/* ---- checking change groups with the simulator (docs/rules.md) ------------------ */

static void apply_renames(ctx *c);

/* The objective's reward of a prediction against the input's, over the weight sum. */
static double reward(const ctx *c, const gdfo_sim_result *r)
{
	const gdfo_objective *o = &c->obj;
	const gdfo_sim_result *b = &c->base_res;
	double x = 0, w = o->throughput_weight + o->latency_weight + o->cost_weight;

	if (b->throughput > 0)
		x += o->throughput_weight * (r->throughput / b->throughput - 1);
	if (b->makespan_ms > 0)
		x -= o->latency_weight * (r->makespan_ms / b->makespan_ms - 1);
	if (b->cost > 0)
		x -= o->cost_weight * (r->cost / b->cost - 1);
	if (!r->success || (o->slo_ms > 0 && r->makespan_ms > o->slo_ms) ||
	    (o->cost_ceiling > 0 && r->cost > o->cost_ceiling))
		x -= o->failure_penalty;
	return w > 0 ? x / w : x;
}

static int predict(score *out, ctx *c, const gdfo_graph *g)
{
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	int rc;

	if ((rc = gdfo_sim_run_graph(&r, c->sim, g, &c->check_so)))
		return gdfo__error_prefix(rc, "checking the rules' changes with the simulator");
	out->ok = r.success;
	out->r = reward(c, &r);
	out->latency_ms = r.makespan_ms;
	out->cost = r.cost;
	return 0;
}

/* 1 when a is worse than b: a run that fails is worse than one that succeeds. */
static int worse(const score *a, const score *b)
{
	if (a->ok != b->ok)
		return a->ok < b->ok;
	return a->r < b->r;
}

/* Opens a change group: what to go back to if the model rejects it. */
static int group_begin(ctx *c)
{
	void *items;

	size_t i;

	if (!c->sim)
		return 0;
	if (c->deferred && c->open)
		return 0; /* past the budget: this group joins the open batch */
	gdfo_graph_free(c->snap);
	c->snap = NULL;
	c->open = 1;
	c->mark = c->plan->n_changes;
	c->stale_mark = c->n_stale;
	c->alias_mark = c->n_alias;
	free(c->alias_snap);
	c->alias_snap = NULL;
	if (c->n_alias) {
		if (!(items = gdfo__malloc(c->n_alias * sizeof(*c->alias))))
			return GDFO_ENOMEM;
		memcpy(items, c->alias, c->n_alias * sizeof(*c->alias));
		c->alias_snap = items;
	}
	if (c->rule)
		return gdfo_graph_clone(&c->snap, c->g);
	/* Knob rules change no structure: the knobs are all there is to go back to. */
	items = c->knob_snap;
	if (gdfo__grow(&items, &c->cap_knob_snap, c->g->n ? c->g->n : 1, sizeof(*c->knob_snap)))
		return GDFO_ENOMEM;
	c->knob_snap = items;
	for (i = 0; i < c->g->n; i++)
		c->knob_snap[i] = c->g->stages[i].knobs;
	return 0;
}

static int keep_group(ctx *c, const score *sc)
{
	group gr;
	void *items;
	size_t i;

	memset(&gr, 0, sizeof(gr));
	gr.from = c->mark;
	gr.to = c->plan->n_changes;
	gr.rule = c->rule;
	if (!c->rule) {
		size_t n = 0;
		for (i = 0; i < c->g->n; i++)
			n += memcmp(&c->knob_snap[i], &c->g->stages[i].knobs, sizeof(c->knob_snap[i])) != 0;
		if (n && !(gr.diffs = gdfo__malloc(n * sizeof(*gr.diffs))))
			return GDFO_ENOMEM;
		for (i = 0; i < c->g->n; i++) {
			const gdfo__stage *b = &c->g->stages[i];
			if (!memcmp(&c->knob_snap[i], &b->knobs, sizeof(b->knobs)))
				continue;
			gr.diffs[gr.n_diffs].id = b->id;
			gr.diffs[gr.n_diffs].old = c->knob_snap[i];
			gr.diffs[gr.n_diffs].now = b->knobs;
			gr.n_diffs++;
		}
	}
	items = c->groups;
	if (gdfo__grow(&items, &c->cap_groups, c->n_groups + 1, sizeof(*c->groups))) {
		free(gr.diffs);
		return GDFO_ENOMEM;
	}
	c->groups = items;
	c->groups[c->n_groups++] = gr;
	c->rules_done |= c->rule;
	c->cur = *sc;
	return 0;
}

/* Moves the group's changes to the rejected list and puts the graph back. */
/* Lists change d of the plan as considered and rejected, with why and its predicted gain. */
static int reject_change(ctx *c, const gdfo__change *d, const char *why, double gain)
{
	gdfo_change ch;

	memset(&ch, 0, sizeof(ch));
	ch.kind = d->kind;
	ch.stage_ids = d->stage_ids;
	ch.n_stage_ids = d->n_stage_ids;
	ch.attended_ids = d->attended_ids;
	ch.n_attended_ids = d->n_attended_ids;
	ch.what = d->what;
	ch.why = why;
	ch.expected_gain = gain;
	ch.confidence = d->confidence;
	ch.field = d->field;
	ch.old_value = d->old_value;
	ch.new_value = d->new_value;
	ch.old_label = d->old_label;
	ch.new_label = d->new_label;
	return gdfo__plan_add_rejected(c->plan, &ch);
}

static int reject_group(ctx *c, const score *sc)
{
	gdfo_graph tmp;
	size_t k;
	int rc = 0;

	for (k = c->mark; k < c->plan->n_changes && !rc; k++) {
		gdfo__change *d = &c->plan->changes[k];
		char why[GDFO__PLAN_TEXT_MAX];

		snprintf(why, sizeof(why), "%s; rejected: with %s the plan is predicted at %.6g ms and cost %.6g, without at %.6g ms and cost %.6g%s",
			 d->why, c->plan->n_changes - c->mark > 1 ? "this group of changes" : "it",
			 sc->latency_ms, sc->cost, c->cur.latency_ms, c->cur.cost,
			 sc->ok ? "" : " (with it the run is predicted to fail)");
		rc = reject_change(c, d, why, sc->ok && c->cur.ok ? fmax(sc->r - c->cur.r, -1e6) : -1);
	}
	if (rc)
		return rc;
	for (k = c->mark; k < c->plan->n_changes; k++)
		gdfo__change_release(&c->plan->changes[k]);
	c->plan->n_changes = c->mark;
	if (c->snap) {
		tmp = *c->g;
		*c->g = *c->snap;
		*c->snap = tmp;
		gdfo_graph_free(c->snap);
		c->snap = NULL;
	} else {
		for (k = 0; k < c->g->n; k++)
			c->g->stages[k].knobs = c->knob_snap[k];
	}
	c->n_stale = c->stale_mark;
	c->n_alias = c->alias_mark;
	if (c->n_alias)
		memcpy(c->alias, c->alias_snap, c->n_alias * sizeof(*c->alias));
	c->n_renames = 0;
	c->n_rejected_groups++;
	return 0;
}

/*
 * Closes the group: kept when the plan is not predicted worse with it.
 * Once the budget of knob groups checked alone is spent, knob groups are
 * checked in batches of 2, 4, 8, ... groups, a batch kept or rejected
 * whole; flush closes a batch that is not full (docs/rules.md "Scale").
 */
static int group_end_flush(ctx *c, int flush)
{
	score sc;
	int rc;

	if (!c->sim) {
		c->rules_done |= c->rule;
		apply_renames(c);
		return 0;
	}
	if (!c->open)
		return 0;
	if (!c->rule && c->checks >= c->budget) {
		if (!c->batch)
			c->batch = 2;
		if (!flush && ++c->deferred < c->batch)
			return 0; /* the batch stays open */
		if (c->deferred || c->plan->n_changes > c->mark) {
			c->batches++;
			c->batched += c->deferred;
		}
		c->deferred = 0;
		c->batch *= 2;
	} else if (!c->rule) {
		c->checks++;
	}
	c->open = 0;
	if (c->plan->n_changes == c->mark) {
		c->rules_done |= c->rule;
		gdfo_graph_free(c->snap);
		c->snap = NULL;
		return 0;
	}
	if ((rc = predict(&sc, c, c->g)))
		return rc;
	if (worse(&sc, &c->cur)) {
		c->batches_rejected += c->checks >= c->budget && !c->rule;
		return reject_group(c, &sc);
	}
	apply_renames(c);
	rc = keep_group(c, &sc);
	gdfo_graph_free(c->snap);
	c->snap = NULL;
	return rc;
}

static int group_end(ctx *c)
{
	return group_end_flush(c, 0);
}

/* ---- rule: push filters down ---------------------------------------------------- */

static int rule_push_filters(ctx *c)
{
	gdfo_graph *g = c->g;
	size_t rounds = 0, i, k;
	int moved = 1, rc, have_work = 0;
	double work = 0;

	/* Each successful push moves a filter one stage down; n^2 bounds the total. */
	while (moved && rounds++ < g->n * g->n + 1) {
		moved = 0;
		for (i = 0; i < g->n; i++) {
			const gdfo__stage *f = &g->stages[i];
			size_t t, side;
			int64_t fid, tid, sid;
			double gain, fsel;
			char what[700], why[900], cols[300];
			int top;

			if (f->op != GDFO_OP_FILTER || f->n_parents != 1)
				continue;
			t = f->parents[0];
			if (g->stages[t].op != GDFO_OP_PROJECT && g->stages[t].op != GDFO_OP_JOIN)
				continue;
			fid = f->id;
			tid = g->stages[t].id;
			fsel = f->stats.selectivity;
			/* The pipeline's work changes only with a push: computed once per push, not per filter tried. */
			if (!have_work && (rc = graph_work(&work, g)))
				return rc;
			have_work = 1;
			rc = gdfo_rewrite_push_filter(g, fid, -1);
			if (rc == GDFO_EILLEGAL)
				continue;
			if (rc)
				return rc;
			/* Indices are unchanged by this rewrite; f now sits on the input side. */
			f = &g->stages[i];
			side = f->parents[0];
			sid = g->stages[side].id;
			cols[0] = '\0';
			for (k = 0, top = 0; k < f->n_read; k++)
				top += snprintf(cols + top, top < (int)sizeof(cols) ? sizeof(cols) - (size_t)top : 0,
						"%s%s", k ? ", " : "", f->cols_read[k]);
			snprintf(what, sizeof(what), "filter %lld '%s' moved below %s %lld '%s', onto its input %lld '%s'",
				 (long long)fid, f->name, gdfo_op_name(g->stages[t].op), (long long)tid,
				 g->stages[t].name, (long long)sid, g->stages[side].name);
			if (g->stages[t].op == GDFO_OP_JOIN)
				snprintf(why, sizeof(why), "it reads only columns of that input (%s) and the join is %s there, so the join sees %.0f %% of that input's rows instead of filtering after joining",
					 cols, g->stages[t].join_type == GDFO_JOIN_INNER ? "inner" : "row-preserving on the filtered side",
					 100.0 * fsel);
			else
				snprintf(why, sizeof(why), "the columns it reads (%s) are not computed by the project, so the project processes %.0f %% of the rows",
					 cols, 100.0 * fsel);
			{
				int64_t ids[2] = {fid, tid}, att[3] = {fid, tid, sid};
				char ol[GDFO__STAGE_LABEL_MAX], nl[GDFO__STAGE_LABEL_MAX];
				values v = {"push_filter", (double)tid, (double)sid, ol, nl};
				gdfo__stage_label(ol, sizeof(ol), &g->stages[t]);
				gdfo__stage_label(nl, sizeof(nl), &g->stages[side]);
				if ((rc = gain_since(&gain, c, &work)) ||
				    (rc = record(c, GDFO_CHANGE_PUSH_FILTER, ids, 2, att, 3, gain, stats_conf(f), what, why, &v)))
					return rc;
			}
			if ((rc = mark_stale(c, fid)) || (rc = mark_stale(c, tid)))
				return rc;
			moved = 1;
		}
	}
	return 0;
}

/* ---- rule: reorder inner joins (off by default) --------------------------------- */

static int rule_reorder_joins(ctx *c)
{
	gdfo_graph *g = c->g;
	size_t i, p, tu;
	int rc;

	for (i = 0; i < g->n; i++) {
		const gdfo__stage *u = &g->stages[i];
		gdfo_graph *trial, tmp;
		double outL, est, before, gain;
		int64_t uid, lid, ids[2], att[4];
		char what[700], why[700], ol[GDFO__STAGE_LABEL_MAX], nl[GDFO__STAGE_LABEL_MAX];
		values v = {"reorder_joins", 0, 0, ol, nl};

		if (u->op != GDFO_OP_JOIN || u->join_type != GDFO_JOIN_INNER || u->n_parents != 2)
			continue;
		for (p = 0; p < 2 && g->stages[u->parents[p]].op != GDFO_OP_JOIN; p++)
			;
		if (p == 2)
			continue;
		outL = gdfo__stage_out_rows(&g->stages[u->parents[p]]);
		if (outL <= 0 || gdfo__stage_out_rows(u) <= 0)
			continue;
		uid = u->id;
		lid = g->stages[u->parents[p]].id;
		/* Try it on a copy: keep it only when the new intermediate is 10 % smaller. */
		if ((rc = gdfo_graph_clone(&trial, g)))
			return rc;
		rc = gdfo_rewrite_reorder_joins(trial, uid);
		if (rc) {
			gdfo_graph_free(trial);
			if (rc == GDFO_EILLEGAL)
				continue;
			return rc;
		}
		tu = gdfo__graph_index(trial, uid);
		est = gdfo__stage_out_rows(&trial->stages[tu]);
		if (est >= 0.9 * outL) {
			gdfo_graph_free(trial);
			continue;
		}
		att[0] = uid;
		att[1] = lid;
		att[2] = trial->stages[trial->stages[tu].parents[0]].id;
		att[3] = trial->stages[trial->stages[tu].parents[1]].id;
		if ((rc = graph_work(&before, g))) {
			gdfo_graph_free(trial);
			return rc;
		}
		tmp = *g;
		*g = *trial;
		*trial = tmp;
		gdfo_graph_free(trial);
		ids[0] = uid;
		ids[1] = lid;
		snprintf(what, sizeof(what), "joins %lld '%s' and %lld '%s' reordered: %lld now joins stages %lld and %lld first, %lld joins its result",
			 (long long)uid, g->stages[gdfo__graph_index(g, uid)].name, (long long)lid,
			 g->stages[gdfo__graph_index(g, lid)].name, (long long)uid, (long long)att[2],
			 (long long)att[3], (long long)lid);
		snprintf(why, sizeof(why), "both are inner joins and the keys of %lld come only from the inputs it now joins; the intermediate result is estimated at %.3g rows instead of %.3g (keys assumed independent)",
			 (long long)uid, est, outL);
		gdfo__stage_label(ol, sizeof(ol), &g->stages[gdfo__graph_index(g, lid)]);
		gdfo__stage_label(nl, sizeof(nl), &g->stages[gdfo__graph_index(g, uid)]);
		v.old_value = (double)lid;
		v.new_value = (double)uid;
		if ((rc = gain_since(&gain, c, &before)) ||
		    (rc = record(c, GDFO_CHANGE_REORDER_JOINS, ids, 2, att, 4, gain, CONF_UNKNOWN, what, why, &v)))
			return rc;
		if ((rc = mark_stale(c, uid)) || (rc = mark_stale(c, lid)))
			return rc;
	}
	return 0;
}

/* ---- rule: fuse narrow chains ------------------------------------------------------ */

/* 1 when stage i can be the next member of a chain ending at prev. */
static int chains_after(const gdfo_graph *g, size_t prev, size_t i, size_t head)
{
	const gdfo__stage *s = &g->stages[i];
	return gdfo__stage_is_narrow(s) && s->n_parents == 1 && s->parents[0] == prev &&
	       g->stages[prev].n_children == 1 &&
	       (!s->knobs.partitions || s->knobs.partitions == g->stages[head].knobs.partitions);
}

/*
 * Earlier changes name stages of the plan's graph: members fused away
 * are now the fused stage (ids[0]). attended_ids keep the original ids.
 */
static void rename_fused(ctx *c, const int64_t *ids, size_t n)
{
	size_t i, k, m, j;

	for (i = 0; i < c->plan->n_changes; i++) {
		gdfo__change *ch = &c->plan->changes[i];
		for (k = 0; k < ch->n_stage_ids; k++)
			for (m = 1; m < n; m++)
				if (ch->stage_ids[k] == ids[m])
					ch->stage_ids[k] = ids[0];
		/* Drop duplicates the renaming made, keeping the first. */
		for (k = 0, j = 0; k < ch->n_stage_ids; k++) {
			size_t e;
			int dup = 0;
			for (e = 0; e < j && !dup; e++)
				dup = ch->stage_ids[e] == ch->stage_ids[k];
			if (!dup)
				ch->stage_ids[j++] = ch->stage_ids[k];
		}
		ch->n_stage_ids = j;
	}
}

/*
 * The renaming of earlier changes waits until the fuse group is kept: a
 * rejected group must leave them as they were. Renaming later is the same
 * as renaming at once, since changes made after a fusion name no member.
 */
static int defer_rename(ctx *c, const int64_t *ids, size_t n)
{
	void *items = c->renames;
	if (gdfo__grow(&items, &c->cap_renames, c->n_renames + n + 1, sizeof(*c->renames)))
		return GDFO_ENOMEM;
	c->renames = items;
	c->renames[c->n_renames++] = (int64_t)n;
	memcpy(c->renames + c->n_renames, ids, n * sizeof(*ids));
	c->n_renames += n;
	return 0;
}

static void apply_renames(ctx *c)
{
	size_t i = 0;
	while (i < c->n_renames) {
		size_t n = (size_t)c->renames[i];
		rename_fused(c, c->renames + i + 1, n);
		i += n + 1;
	}
	c->n_renames = 0;
}

/*
 * The chains to fuse, in the order fusing one chain at a time finds them:
 * each time the first chain head in the smallest-index topological order
 * of the pipeline fused so far. Fusing a chain changes that order only
 * after its head, so one pass of Kahn's algorithm finds them all when a
 * chain's head, once placed, releases the consumers of the chain's last
 * stage (the fused stage's) and its other members are never placed.
 * Recomputing the order after each fusion was quadratic in the stages.
 * *out holds n, id0..id(n-1) per chain; *local is 0 when a chain has a
 * cached stage before its last, whose fusion changes how often stages
 * upstream run.
 */
int gdfo__fuse_chains(int64_t **out, size_t *len, int *local, const gdfo_graph *g)
{
	size_t *heap = NULL, *indeg = NULL, nh = 0, cap = 0, v, i, n = g->n;
	int64_t *chains = NULL;
	void *items;
	int rc = 0;

	*out = NULL;
	*len = 0;
	*local = 1;
	heap = gdfo__malloc((n ? n : 1) * sizeof(*heap));
	indeg = gdfo__calloc(n ? n : 1, sizeof(*indeg));
	if (!heap || !indeg) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	for (v = 0; v < n; v++)
		indeg[v] = g->stages[v].n_parents;
	for (v = 0; v < n; v++)
		if (!indeg[v])
			heap_up(heap, &nh, v, 0);
	while (nh) {
		const gdfo__stage *h;
		size_t last, k = 0;

		v = heap_down(heap, &nh, 0);
		h = &g->stages[v];
		last = v;
		if (gdfo__stage_is_narrow(h) &&
		    !(h->n_parents == 1 && chains_after(g, h->parents[0], v, h->parents[0]) &&
		      gdfo__stage_is_narrow(&g->stages[h->parents[0]]))) {
			while (g->stages[last].n_children == 1 && chains_after(g, last, g->stages[last].children[0], v)) {
				last = g->stages[last].children[0];
				k++;
			}
		}
		if (k) {
			size_t m = v;
			items = chains;
			if (gdfo__grow(&items, &cap, *len + k + 2, sizeof(*chains))) {
				rc = GDFO_ENOMEM;
				goto out;
			}
			chains = items;
			chains[(*len)++] = (int64_t)(k + 1);
			for (i = 0; i <= k; i++) {
				if (m != last && g->stages[m].knobs.cache != GDFO_CACHE_NONE)
					*local = 0;
				chains[(*len)++] = g->stages[m].id;
				if (i < k)
					m = g->stages[m].children[0];
			}
		}
		for (i = 0; i < g->stages[last].n_children; i++) {
			size_t ch = g->stages[last].children[i];
			if (--indeg[ch] == 0)
				heap_up(heap, &nh, ch, 0);
		}
	}
	*out = chains;
	chains = NULL;
out:
	free(chains);
	free(heap);
	free(indeg);
	return rc;
}

static int rule_fuse(ctx *c)
{
	gdfo_graph *g = c->g;
	int64_t *chains = NULL, *ids;
	double *before = NULL, *runs_last = NULL;
	size_t len, at, i, n, k = 0, *gone = NULL, n_gone = 0;
	int rc, local;
	acct a;

	if ((rc = gdfo__fuse_chains(&chains, &len, &local, g)))
		return rc;
	memset(&a, 0, sizeof(a));
	if (local) {
		/* Each fusion's gain from its own stages: work before and runs of the fused stage. */
		if (!(before = gdfo__malloc((len ? len : 1) * sizeof(*before))) ||
		    !(runs_last = gdfo__malloc((len ? len : 1) * sizeof(*runs_last))) ||
		    !(gone = gdfo__malloc((len ? len : 1) * sizeof(*gone)))) {
			rc = GDFO_ENOMEM;
			goto out;
		}
		if ((rc = acct_init(&a, g)))
			goto out;
		for (at = 0, k = 0; at < len; at += n + 1, k++) {
			n = (size_t)chains[at];
			before[k] = 0;
			for (i = 0; i < n; i++) {
				size_t si = gdfo__graph_index(g, chains[at + 1 + i]);
				before[k] += runs_of(&a, g, si) * stage_work(&g->stages[si]);
				runs_last[k] = runs_of(&a, g, si);
			}
		}
		acct_free(&a);
	}
	for (at = 0, k = 0; at < len; at += n + 1, k++) {
		char what[900], why[700], names[600];
		double full_before = 0, gain, inter = 0;
		int pos = 0;

		n = (size_t)chains[at];
		ids = chains + at + 1;
		names[0] = '\0';
		for (i = 0; i < n; i++) {
			size_t si = gdfo__graph_index(g, ids[i]);
			pos += snprintf(names + pos, pos < (int)sizeof(names) ? sizeof(names) - (size_t)pos : 0,
					"%s%lld '%s'", i ? ", " : "", (long long)ids[i], g->stages[si].name);
			if (i)
				inter += g->stages[si].stats.bytes_in;
		}
		if (!local && (rc = graph_work(&full_before, g)))
			goto out;
		/* Local gains need no valid graph between fusions: the members go all at once at the end. */
		rc = local ? gdfo__rewrite_fuse_inplace(g, ids, n, gone + n_gone) : gdfo_rewrite_fuse(g, ids, n);
		if (rc == GDFO_EILLEGAL)
			continue;
		if (rc)
			goto out;
		if (local)
			n_gone += n - 1;
		if (local)
			gain = gain_of(c, before[k] - runs_last[k] * stage_work(&g->stages[gdfo__graph_index(g, ids[0])]));
		else if ((rc = gain_since(&gain, c, &full_before)))
			goto out;
		snprintf(what, sizeof(what), "stages %s fused into stage %lld", names, (long long)ids[0]);
		{
			char b[32];
			fmt_bytes(b, sizeof(b), inter);
			snprintf(why, sizeof(why), "a chain of %zu narrow stages with one consumer each and no shuffle between them runs as one pass; %s of intermediate data (estimated) is no longer handed from stage to stage",
				 n, b);
		}
		{
			values v = {"fuse", (double)n, 1, NULL, NULL};
			if ((rc = record(c, GDFO_CHANGE_FUSE, ids, 1, ids, n, gain,
					 stats_conf(&g->stages[gdfo__graph_index(g, ids[0])]), what, why, &v)))
				goto out;
		}
		if ((rc = add_alias(c, ids[0], ids[n - 1])) || (rc = defer_rename(c, ids, n)))
			goto out;
	}
	if (n_gone)
		gdfo__graph_remove_many(g, gone, n_gone);
out:
	free(gone);
	acct_free(&a);
	free(before);
	free(runs_last);
	free(chains);
	return rc;
}

/* ---- rule: broadcast small join inputs ----------------------------------------------- */

static int rule_broadcast(ctx *c)
{
	gdfo_graph *g = c->g;
	/* Unset: the application's autoBroadcastJoinThreshold (-1: it broadcasts nothing), else Spark's 10 MiB. */
	double max = c->o->broadcast_max_bytes > 0 ? (double)c->o->broadcast_max_bytes
		     : g->knobs.broadcast_threshold_bytes != 0 ? (double)g->knobs.broadcast_threshold_bytes
							      : (double)(10LL << 20);
	size_t i;
	int rc;

	for (i = 0; i < g->n; i++) {
		const gdfo__stage *j = &g->stages[i];
		size_t side, other;
		double bytes, other_bytes;
		int meas, ometa, old = j->knobs.join_strategy;
		char what[600], why[700], b1[32], b2[32], b3[32];

		if (j->op != GDFO_OP_JOIN || j->n_parents != 2 || old == GDFO_JOIN_BROADCAST)
			continue;
		if (gdfo__join_broadcast_side(&side, g, i))
			continue;
		other = j->parents[0] == side ? j->parents[1] : j->parents[0];
		bytes = out_bytes(c, side, &meas);
		if (bytes <= 0 || bytes > max)
			continue;
		other_bytes = out_bytes(c, other, &ometa);
		if ((rc = group_begin(c)))
			return rc;
		rc = gdfo_rewrite_join_strategy(g, j->id, GDFO_JOIN_BROADCAST, max, meas ? bytes : -1);
		if (rc == GDFO_EILLEGAL)
			continue;
		if (rc)
			return rc;
		fmt_bytes(b1, sizeof(b1), bytes);
		fmt_bytes(b2, sizeof(b2), max);
		fmt_bytes(b3, sizeof(b3), other_bytes);
		snprintf(what, sizeof(what), "join %lld '%s' strategy %s -> broadcast (input %lld '%s' is sent to every executor)",
			 (long long)j->id, j->name, gdfo_join_strategy_name(old), (long long)g->stages[side].id,
			 g->stages[side].name);
		snprintf(why, sizeof(why), "input '%s' is %s (%s), under the %s broadcast threshold, so the other input (%s) is joined where it lies instead of being shuffled",
			 g->stages[side].name, b1, meas ? "measured shuffle write" : "estimated as bytes_in x selectivity",
			 b2, other_bytes > 0 ? b3 : "size unknown");
		{
			int64_t ids[1] = {j->id}, att[3] = {j->id, g->stages[side].id, g->stages[other].id};
			values v = {"join_strategy", old, GDFO_JOIN_BROADCAST, gdfo_join_strategy_name(old),
				    gdfo_join_strategy_name(GDFO_JOIN_BROADCAST)};
			if ((rc = record(c, GDFO_CHANGE_JOIN_STRATEGY, ids, 1, att, 3,
					 gain_of(c, other_bytes * NS_PER_BYTE),
					 meas ? CONF_MEASURED : stats_conf(&g->stages[side]), what, why, &v)) ||
			    (rc = group_end(c)))
				return rc;
		}
	}
	return 0;
}

/* ---- rule: size partitions ------------------------------------------------------------- */

static int rule_partitions(ctx *c)
{
	gdfo_graph *g = c->g;
	const gdfo_rules_options *o = c->o;
	double cores = (double)g->knobs.executors * (double)g->knobs.cores_per_executor;
	size_t i;
	int rc;

	for (i = 0; i < g->n; i++) {
		const gdfo__stage *s = &g->stages[i];
		double bytes, want, floor_parts;
		int32_t cur = s->knobs.partitions, np;
		/* a shuffle stage left at the engine default runs the application's spark.sql.shuffle.partitions */
		int32_t app = !cur && s->op != GDFO_OP_SOURCE ? g->knobs.shuffle_partitions : 0;
		int meas = 0;
		char what[500], why[700], b1[32], b2[32];

		switch (s->op) {
		case GDFO_OP_SOURCE: case GDFO_OP_AGGREGATE: case GDFO_OP_SORT: case GDFO_OP_WINDOW:
			break;
		case GDFO_OP_JOIN:
			if (s->knobs.join_strategy == GDFO_JOIN_BROADCAST)
				continue; /* runs in its streamed input's partitions */
			break;
		default:
			continue;
		}
		bytes = -1;
		if (s->op != GDFO_OP_SOURCE) {
			bytes = measured(c, s->id, M_SHUFFLE_READ, 0);
			meas = bytes > 0;
		}
		if (!meas)
			bytes = s->stats.bytes_in;
		if (bytes <= 0)
			continue;
		want = ceil(bytes / (double)o->target_partition_bytes);
		/* Like AQE's minimum partition number: keep every core busy unless partitions would drop under min_partition_bytes. */
		if (cores > 0) {
			floor_parts = fmin(cores, ceil(bytes / (double)o->min_partition_bytes));
			if (want < floor_parts)
				want = floor_parts;
		}
		/* Whole waves: 45 tasks on 32 cores run as a full wave and a wave
		 * at a third of the cluster; 64 smaller tasks use both fully. */
		if (cores > 0 && want > cores)
			want = ceil(want / cores) * cores;
		if (want < 1)
			want = 1;
		if (want > GDFO_PARTITIONS_MAX)
			want = GDFO_PARTITIONS_MAX;
		np = (int32_t)want;
		if (np == cur || (cur > 0 && fabs((double)np - cur) / cur <= o->partition_change_min) ||
		    (app > 0 && fabs((double)np - app) / app <= o->partition_change_min))
			continue;
		if ((rc = group_begin(c)))
			return rc;
		rc = gdfo_rewrite_partitions(g, s->id, np);
		if (rc == GDFO_EILLEGAL)
			continue;
		if (rc)
			return rc;
		fmt_bytes(b1, sizeof(b1), bytes);
		fmt_bytes(b2, sizeof(b2), (double)o->target_partition_bytes);
		if (cur)
			snprintf(what, sizeof(what), "stage %lld '%s' partitions %d -> %d", (long long)s->id, s->name, cur, np);
		else if (app)
			snprintf(what, sizeof(what), "stage %lld '%s' partitions engine default (the application's spark.sql.shuffle.partitions %d) -> %d",
				 (long long)s->id, s->name, app, np);
		else
			snprintf(what, sizeof(what), "stage %lld '%s' partitions engine default -> %d", (long long)s->id,
				 s->name, np);
		snprintf(why, sizeof(why), "it %s %s (%s); %d partition%s of about %s target each%s; %s",
			 s->op == GDFO_OP_SOURCE ? "scans" : "shuffles", b1,
			 meas ? "measured shuffle read" : "bytes_in estimate", np, np == 1 ? "" : "s", b2,
			 cores > 0 && (double)np > ceil(bytes / (double)o->target_partition_bytes)
				 ? ", rounded up to whole waves of the cluster's cores" : "",
			 c->sim ? "the simulator checks its effect"
				: "the latency effect needs the execution model, so no gain is claimed");
		{
			int64_t ids[1] = {s->id};
			char ol[16], nl[16];
			values v = {"partitions", cur, np, cur ? ol : "engine default", nl};
			snprintf(ol, sizeof(ol), "%d", (int)cur);
			snprintf(nl, sizeof(nl), "%d", (int)np);
			if ((rc = record(c, GDFO_CHANGE_PARTITIONS, ids, 1, ids, 1, 0.0,
					 meas ? CONF_MEASURED : CONF_ESTIMATED, what, why, &v)) ||
			    (rc = group_end(c)))
				return rc;
		}
	}
	return 0;
}

/* ---- rule: cache shared stages --------------------------------------------------------- */

typedef struct cand {
	size_t idx;
	double size;    /* output bytes, 0 when unknown */
	double saved;   /* work saved by not recomputing, ns */
	int measured;
} cand;

static int cmp_cand(const void *a, const void *b)
{
	const cand *x = a, *y = b;
	/* Benefit per byte, unknown sizes last; ties by index for determinism. */
	double dx = x->size > 0 ? x->saved / x->size : -1, dy = y->size > 0 ? y->saved / y->size : -1;
	if (dx != dy)
		return dx > dy ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int rule_cache(ctx *c)
{
	gdfo_graph *g = c->g;
	cand *cs;
	acct a;
	size_t n = 0, i;
	double budget, left;
	int derived = 0, rc = 0;

	if (c->o->cache_budget_bytes >= 0) {
		budget = (double)c->o->cache_budget_bytes;
	} else if (g->knobs.executors > 0 && g->knobs.memory_per_executor_bytes > 0) {
		budget = c->o->cache_memory_fraction * g->knobs.executors * (double)g->knobs.memory_per_executor_bytes;
		derived = 1;
	} else {
		budget = 0;
	}
	left = budget;
	/* Spark writes every stage's output once and its consumers (skipped stages included) reuse it: nothing is recomputed */
	if (g->knobs.shuffle_reuse == GDFO_SWITCH_ON)
		return 0;
	if (!(cs = gdfo__calloc(g->n, sizeof(*cs))))
		return GDFO_ENOMEM;
	if ((rc = acct_init(&a, g))) {
		free(cs);
		return rc;
	}
	for (i = 0; i < g->n; i++) {
		const gdfo__stage *s = &g->stages[i];
		if (s->op == GDFO_OP_SINK || s->n_children < 2 || s->knobs.cache != GDFO_CACHE_NONE)
			continue;
		cs[n].idx = i;
		cs[n].size = out_bytes(c, i, &cs[n].measured);
		cs[n].saved = acct_saving(&a, i);
		n++;
	}
	qsort(cs, n, sizeof(*cs), cmp_cand);
	for (i = 0; i < n; i++) {
		const gdfo__stage *s = &g->stages[cs[i].idx];
		int level, old = s->knobs.cache;
		double cost = 0, saved;
		char what[400], why[800], b1[32], b2[32];

		saved = acct_saving(&a, cs[i].idx); /* again: earlier caches change it */
		if (saved <= 0)
			continue;
		if (cs[i].size > 0 && cs[i].size <= left) {
			level = GDFO_CACHE_MEMORY;
		} else {
			/* On disk it costs one write plus one read per consumer. */
			cost = cs[i].size * (1.0 + s->n_children) * NS_PER_BYTE;
			if (cs[i].size <= 0 || saved <= cost)
				continue;
			level = GDFO_CACHE_DISK;
		}
		if ((rc = group_begin(c)))
			goto out;
		rc = gdfo_rewrite_cache(g, s->id, level);
		if (rc == GDFO_EILLEGAL)
			continue;
		if (rc)
			goto out;
		if (level == GDFO_CACHE_MEMORY)
			left -= cs[i].size;
		fmt_bytes(b1, sizeof(b1), cs[i].size);
		fmt_bytes(b2, sizeof(b2), budget);
		snprintf(what, sizeof(what), "stage %lld '%s' cached in %s", (long long)s->id, s->name,
			 gdfo_cache_level_name(level));
		if (level == GDFO_CACHE_MEMORY)
			snprintf(why, sizeof(why), "its %zu consumers would each recompute it and its inputs; its output (%s, %s) fits the %s memory budget%s",
				 s->n_children, b1, cs[i].measured ? "measured" : "estimated", b2,
				 derived ? " (cache_memory_fraction x executors x memory per executor)" : "");
		else
			snprintf(why, sizeof(why), "its %zu consumers would each recompute it and its inputs; its output (%s, %s) does not fit the %s memory budget left, and writing it once and reading it per consumer costs less than recomputing",
				 s->n_children, b1, cs[i].measured ? "measured" : "estimated", b2);
		{
			int64_t ids[1] = {s->id};
			size_t rejected = c->n_rejected_groups;
			values v = {"cache", old, level, gdfo_cache_level_name(old), gdfo_cache_level_name(level)};
			if ((rc = record(c, GDFO_CHANGE_CACHE, ids, 1, ids, 1, gain_of(c, saved - cost),
					 cs[i].measured ? CONF_MEASURED : stats_conf(s), what, why, &v)) ||
			    (rc = group_end(c)))
				goto out;
			if (c->n_rejected_groups != rejected) {
				if (level == GDFO_CACHE_MEMORY)
					left += cs[i].size; /* not cached after all */
			} else {
				acct_cached(&a, g, cs[i].idx);
			}
		}
	}
out:
	acct_free(&a);
	free(cs);
	return rc;
}

/* ---- rule: critical-path-first priorities ------------------------------------------------ */

static int rule_priorities(ctx *c)
{
	gdfo_graph *g = c->g;
	size_t *order = NULL, i, k, n = g->n;
	int32_t *rank_of = NULL;
	double *w = NULL, *rem = NULL, crit = 0;
	int rc = 0, all_measured = c->t != NULL, parallel = 0, hops = 0;

	for (i = 0; i < n; i++)
		if (g->stages[i].n_parents > 1 || g->stages[i].n_children > 1)
			parallel = 1;
	if (!parallel)
		return 0; /* a single chain runs in order whatever the priorities */
	order = gdfo__malloc(n * sizeof(*order));
	rank_of = gdfo__malloc(n * sizeof(*rank_of));
	w = gdfo__malloc(n * sizeof(*w));
	rem = gdfo__malloc(n * sizeof(*rem));
	if (!order || !rank_of || !w || !rem) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	if ((rc = gdfo_graph_topo_order(order, g->n, g)))
		goto out;
	for (i = 0; i < n && all_measured; i++)
		all_measured = measured(c, g->stages[i].id, M_DURATION, 0) >= 0;
	/* Measured durations when every stage has one, else the work model for all (one unit). */
	for (i = 0; i < n; i++) {
		w[i] = all_measured ? measured(c, g->stages[i].id, M_DURATION, 0) : stage_work(&g->stages[i]) / 1e6;
		crit += w[i];
	}
	/* With no statistics at all, every stage weighs one: hops decide. */
	if (crit <= 0) {
		hops = 1;
		for (i = 0; i < n; i++)
			w[i] = 1;
	}
	if ((rc = gdfo__critical_path_ranks(rank_of, rem, g, w)))
		goto out;
	crit = 0;
	for (i = 0; i < n; i++)
		if (rem[i] > crit)
			crit = rem[i];
	for (k = 0; k < n; k++) {
		size_t v = order[k];
		gdfo__stage *s = &g->stages[v];
		int32_t np = (int32_t)rank_of[v];
		char what[400], why[500], ol[16], nl[16];
		int64_t ids[1];
		values vals = {"priority", s->knobs.priority, np, ol, nl};

		if (s->knobs.priority == np)
			continue;
		snprintf(ol, sizeof(ol), "%d", (int)s->knobs.priority);
		snprintf(nl, sizeof(nl), "%d", (int)np);
		snprintf(what, sizeof(what), "stage %lld '%s' priority %d -> %d", (long long)s->id, s->name,
			 s->knobs.priority, np);
		snprintf(why, sizeof(why), "its longest remaining path to the end of the pipeline is %.4g %s, against %.4g on the critical path%s; longer remaining paths run first",
			 rem[v], all_measured ? "ms (measured durations)" : hops ? "stages (no statistics)" : "ms of estimated work",
			 crit, rem[v] >= crit ? " (it is on the critical path)" : "");
		s->knobs.priority = np;
		ids[0] = s->id;
		if ((rc = record(c, GDFO_CHANGE_PRIORITY, ids, 1, ids, 1, 0.0,
				 all_measured ? CONF_MEASURED : stats_conf(s), what, why, &vals)))
			goto out;
	}
out:
	free(order);
	free(rank_of);
	free(w);
	free(rem);
	return rc;
}

/* ---- expected gains from the model: marginal effects in the final plan ----------------- */

/* Puts a knob group's values on g (revert 0) or takes them out (revert 1), by stage id. */
static void apply_diffs(gdfo_graph *g, const group *gr, int revert)
{
	size_t i, b;

	for (i = 0; i < gr->n_diffs; i++) {
		const kdiff *d = &gr->diffs[i];
		size_t k = gdfo__graph_index(g, d->id);
		const unsigned char *o = (const unsigned char *)&d->old, *n = (const unsigned char *)&d->now;
		unsigned char *cur;
		if (k == (size_t)-1)
			continue;
		/* Only the knobs this group set: a later group may have set another of the stage's. */
		cur = (unsigned char *)&g->stages[k].knobs;
		for (b = 0; b < sizeof(gdfo_stage_knobs); b++)
			if (o[b] != n[b])
				cur[b] = revert ? o[b] : n[b];
	}
}

static void ctx_release(ctx *c)
{
	size_t i;
	free(c->stale);
	free(c->alias);
	free(c->alias_snap);
	free(c->renames);
	free(c->knob_snap);
	gdfo_graph_free(c->snap);
	for (i = 0; i < c->n_groups; i++)
		free(c->groups[i].diffs);
	free(c->groups);
	gdfo_sim_free(c->sim);
}

/*
 * The final plan without structural rule skip: the other structural rules
 * that were kept run again on the input, then every kept knob group is put
 * on the stages that still exist.
 */
static int rebuild_without(gdfo_graph **out, const ctx *c, int skip)
{
	int keep = c->rules_done & ~skip, rc;
	size_t i;
	ctx t;

	memset(&t, 0, sizeof(t));
	t.base = c->base;
	t.t = c->t;
	t.o = c->o;
	t.fp = c->fp;
	t.base_work = c->base_work;
	if ((rc = gdfo__plan_create(&t.plan, c->base, "rules")))
		return rc;
	t.g = gdfo__plan_graph_mut(t.plan);
	if (((keep & RULE_PUSH) && (rc = rule_push_filters(&t))) ||
	    ((keep & RULE_REORDER) && (rc = rule_reorder_joins(&t))) ||
	    ((keep & RULE_FUSE) && (rc = rule_fuse(&t))))
		goto out;
	for (i = 0; i < c->n_groups; i++)
		if (!c->groups[i].rule)
			apply_diffs(t.g, &c->groups[i], 0);
	rc = gdfo_graph_clone(out, t.g);
out:
	ctx_release(&t);
	gdfo_plan_free(t.plan);
	return rc;
}

/*
 * Each kept group's gain is its marginal effect in the final plan (the
 * final plan's score minus the score without the group); what the
 * marginals do not explain (interactions) is shared out in proportion to
 * their size, so the gains add up to the plan's total (docs/rules.md).
 */
static int attribute(ctx *c)
{
	double total = c->cur.r - c->input.r, sum = 0, sum_abs = 0, rest;
	size_t i, k;
	int rc;

	for (i = 0; i < c->n_groups; i++) {
		group *gr = &c->groups[i];
		gdfo_graph *w;
		score sc;
		if (!gr->rule && gr->without_gen == c->gen) {
			gr->gain = c->cur.r - gr->without.r;
			sum += gr->gain;
			sum_abs += fabs(gr->gain);
			continue;
		}
		if (gr->rule) {
			if ((rc = rebuild_without(&w, c, gr->rule)))
				return rc;
			rc = predict(&sc, c, w);
			gdfo_graph_free(w);
		} else {
			apply_diffs(c->g, gr, 1);
			rc = predict(&sc, c, c->g);
			apply_diffs(c->g, gr, 0);
		}
		if (rc)
			return rc;
		gr->gain = c->cur.r - sc.r;
		sum += gr->gain;
		sum_abs += fabs(gr->gain);
	}
	rest = total - sum;
	for (i = 0; i < c->n_groups; i++) {
		group *gr = &c->groups[i];
		gr->gain += sum_abs > 0 ? rest * fabs(gr->gain) / sum_abs : rest / (double)c->n_groups;
		for (k = gr->from; k < gr->to; k++) {
			double g = gr->gain / (double)(gr->to - gr->from);
			c->plan->changes[k].expected_gain = g > 1 ? 1 : g < -1e6 ? -1e6 : g;
		}
	}
	{
		char note[GDFO__PLAN_TEXT_MAX];
		snprintf(note, sizeof(note), "every change group was checked with the simulator (%s) under the objective throughput=%g,latency=%g,cost=%g: %zu kept, %zu rejected (listed as rejected); the plan is predicted at %.6g ms and cost %.6g against %.6g ms and %.6g for the input, an objective gain of %+.2f %% (relative changes weighted and divided by the weight sum); each change's expected gain is its group's marginal effect in the final plan, with %+.2f %% of interaction shared out in proportion (docs/rules.md), so they add up to the total",
			 c->check_so.mode == GDFO_SIM_EXPECTED ? "the DES's schedule computed by groups of tasks, deterministic"
								 : "DES, deterministic",
			 c->obj.throughput_weight, c->obj.latency_weight, c->obj.cost_weight, c->n_groups,
			 c->n_rejected_groups, c->cur.latency_ms, c->cur.cost, c->input.latency_ms, c->input.cost,
			 100.0 * total, 100.0 * rest);
		return gdfo__plan_add_note(c->plan, note);
	}
}

/*
 * A knob group kept early may hurt once later groups are in (two
 * partition counts that only pay off together, a priority order made
 * moot by a cache). One pass from the last knob group to the first takes
 * out each one whose removal the model predicts strictly better, so no
 * knob group left has a negative marginal effect when it was checked.
 */
static int prune(ctx *c)
{
	size_t i = c->n_groups, k;
	int rc;

	while (i-- > 0) {
		group *gr = &c->groups[i];
		score sc;
		size_t n;

		if (gr->rule)
			continue;
		/* In place: knob groups change no structure, and each sets knobs no other group sets. */
		apply_diffs(c->g, gr, 1);
		if ((rc = predict(&sc, c, c->g)))
			return rc;
		if (!worse(&c->cur, &sc)) {
			apply_diffs(c->g, gr, 0);
			gr->without = sc; /* still the final plan without it unless a removal follows */
			gr->without_gen = c->gen;
			continue;
		}
		c->gen++;
		/* Rejected as if it had just been made on top of the rest; c->g stays without it. */
		{
			score with = c->cur;
			c->cur = sc;
			for (k = gr->from; k < gr->to && !rc; k++) {
				gdfo__change *d = &c->plan->changes[k];
				char why[GDFO__PLAN_TEXT_MAX];
				snprintf(why, sizeof(why), "%s; rejected once all changes were made: with %s the plan is predicted at %.6g ms and cost %.6g, without at %.6g ms and cost %.6g",
					 d->why, gr->to - gr->from > 1 ? "this group of changes" : "it", with.latency_ms,
					 with.cost, sc.latency_ms, sc.cost);
				rc = reject_change(c, d, why, with.ok && sc.ok ? fmax(with.r - sc.r, -1e6) : -1);
			}
			if (rc)
				return rc;
		}
		n = gr->to - gr->from;
		for (k = gr->from; k < gr->to; k++)
			gdfo__change_release(&c->plan->changes[k]);
		memmove(&c->plan->changes[gr->from], &c->plan->changes[gr->to],
			(c->plan->n_changes - gr->to) * sizeof(*c->plan->changes));
		c->plan->n_changes -= n;
		free(gr->diffs);
		memmove(&c->groups[i], &c->groups[i + 1], (c->n_groups - i - 1) * sizeof(*c->groups));
		c->n_groups--;
		for (k = i; k < c->n_groups; k++) {
			c->groups[k].from -= n;
			c->groups[k].to -= n;
		}
		c->n_rejected_groups++;
	}
	return 0;
}

/* Judges the batch left open past the budget, and says how the budget was used in a note. */
static int flush_batches(ctx *c)
{
	char note[GDFO__PLAN_TEXT_MAX];
	int rc;

	if (c->open && (rc = group_end_flush(c, 1)))
		return rc;
	if (!c->batches)
		return 0;
	snprintf(note, sizeof(note), "the simulator checked the first %zu knob change groups one by one (its budget for a pipeline of %zu stages: %d stage simulations / stages, at least %d); the %zu groups after them were checked in %zu batches of doubling size (2, 4, 8, ...), %zu batch%s rejected whole (docs/rules.md \"Scale\")",
		 c->budget, c->base->n, CHECK_STAGE_RUNS, CHECK_MIN_RUNS, c->batched, c->batches,
		 c->batches_rejected, c->batches_rejected == 1 ? "" : "es");
	return gdfo__plan_add_note(c->plan, note);
}

static int run_group(ctx *c, int rule, int (*fn)(ctx *))
{
	int rc;
	c->rule = rule;
	if (!(rc = group_begin(c)) && !(rc = fn(c)))
		rc = group_end(c);
	c->rule = 0;
	return rc;
}

/* The check is on when asked, or when a cluster is known (-1). */
/*
 * The check's simulator: the options' cluster, calibrated to the telemetry
 * when there is some (the same model `gdfo optimize` then predicts with),
 * and the input's own run as the baseline.
 */
static int setup_check(ctx *c, const gdfo_graph *g, const gdfo_telemetry *t, const gdfo_rules_options *o)
{
	const gdfo_cluster *cl = &g->cluster;
	int known = o->cluster || cl->executors_available > 0 || cl->price_per_executor_s > 0 || cl->slo_ms > 0;
	int rc;

	gdfo_objective_init(&c->obj, GDFO_OBJECTIVE_VERSION);
	if (o->objective && ((rc = gdfo_objective_validate(o->objective)) ||
			     (rc = gdfo__abi_in(&c->obj, o->objective, &c->obj, GDFO__ABI_OBJECTIVE, "gdfo_optimize_rules"))))
		return gdfo__error_prefix(rc, "rules option objective");
	if (o->check_changes == 0 || (o->check_changes < 0 && !known && !t))
		return 0;
	if ((rc = gdfo_sim_create(&c->sim, o->cluster)))
		return gdfo__error_prefix(rc, "rules option cluster");
	if (t && (rc = gdfo_sim_calibrate(NULL, c->sim, g, t, NULL)) && rc != GDFO_ENOTFOUND)
		return gdfo__error_prefix(rc, "calibrating the rules' check to the telemetry");
	c->base_res.version = GDFO_SIM_RESULT_VERSION;
	if ((rc = gdfo_sim_run_graph(&c->base_res, c->sim, g, &c->check_so)))
		return gdfo__error_prefix(rc, "checking the rules' changes with the simulator");
	c->input.ok = c->base_res.success;
	c->input.r = reward(c, &c->base_res);
	c->input.latency_ms = c->base_res.makespan_ms;
	c->input.cost = c->base_res.cost;
	c->cur = c->input;
	return 0;
}

/* ---- the optimizer ---------------------------------------------------------------------- */

/*
 * Telemetry belongs to one pipeline (docs/rules.md "Telemetry"). A record
 * is used when its stage id is in the pipeline and its name is that
 * stage's name; a record without a name (telemetry written before names
 * were) only when the telemetry records no fingerprint either.
 */
static int fingerprint_state(const gdfo_graph *g, const gdfo_telemetry *t, uint64_t *tfp, uint64_t *gfp)
{
	*tfp = *gfp = 0;
	if (gdfo_telemetry_fingerprint(tfp, t))
		return FP_NONE;
	if (gdfo_graph_fingerprint(gfp, g))
		return FP_DIFFERS;
	return *tfp == *gfp ? FP_SAME : FP_DIFFERS;
}

static int record_usable(const gdfo_graph *g, int fp, const gdfo_stage_telemetry *st)
{
	size_t i = gdfo__graph_index(g, st->stage_id);
	if (i == (size_t)-1)
		return 0;
	if (!st->name[0])
		return fp == FP_NONE;
	return !strcmp(st->name, g->stages[i].name);
}

/* "stage 3 'x' is 'y' here" / "stage 9 'x' is not in the pipeline", the first few. */
static int list_unusable(gdfo__buf *b, const gdfo_graph *g, const gdfo_telemetry *t, int fp, size_t *n_bad)
{
	size_t i, n = gdfo_telemetry_stage_count(t), shown = 0;
	int rc = 0;

	*n_bad = 0;
	for (i = 0; i < n && !rc; i++) {
		gdfo_stage_telemetry st = {.version = GDFO_STAGE_TELEMETRY_VERSION};
		size_t k;
		if (gdfo_telemetry_stage_at(&st, t, i) || record_usable(g, fp, &st))
			continue;
		if (++*n_bad > 4)
			continue;
		k = gdfo__graph_index(g, st.stage_id);
		rc = gdfo__buf_printf(b, "%sstage %lld", shown++ ? ", " : "", (long long)st.stage_id);
		if (!rc && st.name[0])
			rc = gdfo__buf_printf(b, " '%.40s'", st.name);
		if (!rc)
			rc = k == (size_t)-1 ? gdfo__buf_puts(b, " is not in the pipeline")
			     : st.name[0] ? gdfo__buf_printf(b, " is '%.40s' here", g->stages[k].name)
					  : gdfo__buf_puts(b, " has no name to match");
	}
	if (!rc && *n_bad > 4)
		rc = gdfo__buf_printf(b, " and %zu more", *n_bad - 4);
	return rc;
}

static int check_telemetry(ctx *c, const gdfo_graph *g, const gdfo_telemetry *t)
{
	size_t n = gdfo_telemetry_stage_count(t), bad;
	uint64_t tfp, gfp;
	gdfo__buf b = {0};
	char fps[192];
	int rc;

	c->fp = fingerprint_state(g, t, &tfp, &gfp);
	if (c->fp == FP_SAME || !n)
		return 0;
	if ((rc = list_unusable(&b, g, t, c->fp, &bad)))
		goto out;
	if (!bad)
		goto out;
	if (c->fp == FP_DIFFERS)
		snprintf(fps, sizeof(fps), "its pipeline fingerprint is %016llx, pipeline '%.60s' has %016llx",
			 (unsigned long long)tfp, g->name, (unsigned long long)gfp);
	else
		snprintf(fps, sizeof(fps), "it records no pipeline fingerprint");
	if (bad == n) {
		rc = gdfo__error(GDFO_EINVAL, "telemetry of another pipeline: %s, and none of its %zu stage records matches a stage by id and name (%s)",
				 fps, n, b.data ? b.data : "");
		goto out;
	}
	gdfo__buf_free(&b);
	if ((rc = list_unusable(&b, g, t, c->fp, &bad)))
		goto out;
	{
		char note[GDFO__PLAN_TEXT_MAX];
		snprintf(note, sizeof(note), "telemetry partly matches: %s; %zu of its %zu stage records match a stage by id and name and are used, %zu are not: %s",
			 fps, n - bad, n, bad, b.data ? b.data : "");
		rc = gdfo__plan_add_note(c->plan, note);
	}
out:
	gdfo__buf_free(&b);
	return rc;
}

int gdfo_optimize_rules(gdfo_plan **out, const gdfo_graph *graph, const gdfo_telemetry *t,
			const gdfo_rules_options *opts)
{
	return gdfo__optimize_rules_with(out, graph, t, opts, GDFO_SIM_DES);
}

int gdfo__optimize_rules_with(gdfo_plan **out, const gdfo_graph *graph, const gdfo_telemetry *t,
			      const gdfo_rules_options *opts, int check_mode)
{
	gdfo_rules_options defaults;
	ctx c;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_optimize_rules: out is NULL");
	*out = NULL;
	if (!graph)
		return gdfo__error(GDFO_EINVAL, "gdfo_optimize_rules: graph is NULL");
	gdfo_rules_options_init(&defaults, GDFO_RULES_OPTIONS_VERSION);
	if (opts && (rc = gdfo__abi_in(&defaults, opts, &defaults, GDFO__ABI_RULES_OPTIONS, "gdfo_optimize_rules")))
		return rc;
	opts = &defaults;
	if ((rc = check_options(opts)))
		return rc;
	if ((rc = gdfo_graph_validate(graph)))
		return rc;
	memset(&c, 0, sizeof(c));
	gdfo_sim_options_init(&c.check_so, GDFO_SIM_OPTIONS_VERSION);
	c.check_so.mode = check_mode;
	if ((rc = gdfo__plan_create(&c.plan, graph, "rules")))
		return rc;
	c.gen = 1; /* groups start at without_gen 0: nothing cached */
	if ((t && (rc = check_telemetry(&c, graph, t))) || (rc = setup_check(&c, graph, t, opts)))
		goto fail;
	c.g = gdfo__plan_graph_mut(c.plan);
	c.base = graph;
	c.t = t;
	c.o = opts;
	if ((rc = graph_work(&c.base_work, graph)))
		goto fail;
	c.budget = CHECK_STAGE_RUNS / graph->n > CHECK_MIN_RUNS ? CHECK_STAGE_RUNS / graph->n : CHECK_MIN_RUNS;

	if ((opts->push_filters && (rc = run_group(&c, RULE_PUSH, rule_push_filters))) ||
	    (opts->reorder_joins && (rc = run_group(&c, RULE_REORDER, rule_reorder_joins))) ||
	    (opts->fuse_narrow && (rc = run_group(&c, RULE_FUSE, rule_fuse))) ||
	    (opts->broadcast_joins && (rc = rule_broadcast(&c))) ||
	    (opts->set_partitions && (rc = rule_partitions(&c))) ||
	    (opts->cache_shared && (rc = rule_cache(&c))) ||
	    (opts->set_priorities && (rc = run_group(&c, 0, rule_priorities))) ||
	    (c.sim && ((rc = flush_batches(&c)) || (rc = prune(&c)) || (rc = attribute(&c)))))
		goto fail;
	if ((rc = gdfo_graph_validate(c.g))) {
		if (rc == GDFO_ENOMEM)
			goto fail;
		rc = gdfo__error_prefix(GDFO_EINTERNAL, "the rule-based optimizer produced an invalid graph (a bug; please report it)");
		goto fail;
	}
	gdfo__plan_set_risk(c.plan, gdfo__plan_assess_risk(c.plan, graph));
	ctx_release(&c);
	*out = c.plan;
	return 0;
fail:
	ctx_release(&c);
	gdfo_plan_free(c.plan);
	return rc;
}
