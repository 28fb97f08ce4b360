/*
 * Applying a point of the decision space to its graph, and the point
 * nearest to a given graph (include/gdfo/space.h, docs/space.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdfo/rewrite.h"
#include "plan/plan_internal.h"
#include "plan/space_internal.h"

#define MIB (1024.0 * 1024.0)

/* A change or a note made while applying, before the plan exists. */
typedef struct pending {
	int kind;          /* gdfo_change_kind, or -1 for a note */
	int64_t ids[2];
	size_t n_ids;
	char what[512];
	char why[512];
	const char *field; /* gdfo_change's field .. new_label; "" labels are NULL */
	double old_value, new_value;
	char old_label[GDFO__STAGE_LABEL_MAX];
	char new_label[GDFO__STAGE_LABEL_MAX];
} pending;

typedef struct applier {
	const gdfo_space *s;
	gdfo_graph *g;
	const char *source;
	pending *p;
	size_t n;          /* at most 2 per decision */
	int64_t *alias;    /* pairs: stage fused away, the fused stage */
	size_t n_alias;
	size_t *gone;      /* scratch: a fusion's stages fused away */
	int text;          /* 0: the graph only (gdfo__space_apply_graph): no changes, notes nor their text */
} applier;

static pending *next(applier *a, int kind)
{
	pending *p = &a->p[a->n++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->old_value = p->new_value = NAN;
	return p;
}

/* A count or size label: the number, or "engine default" for 0. */
static void count_label(char *out, size_t size, int64_t v)
{
	if (v)
		snprintf(out, size, "%lld", (long long)v);
	else
		snprintf(out, size, "engine default");
}

static void bytes_label(char *out, size_t size, int64_t v)
{
	if (v)
		gdfo__fmt_bytes(out, size, (double)v);
	else
		snprintf(out, size, "engine default");
}

static void compaction_label(char *out, size_t size, int64_t v)
{
	if (v)
		snprintf(out, size, "every %lld run%s", (long long)v, v == 1 ? "" : "s");
	else
		snprintf(out, size, "never");
}

static int64_t resolve(const applier *a, int64_t id)
{
	size_t i;
	for (i = 0; i < a->n_alias; i++)
		if (a->alias[2 * i] == id)
			return a->alias[2 * i + 1];
	return id;
}

static void note(applier *a, const gdfo__decision *d, const char *reason)
{
	pending *p;
	if (!a->text)
		return;
	p = next(a, -1);
	snprintf(p->what, sizeof(p->what), "'%s' skipped: %s", d->name, reason);
}

static int do_push(applier *a, const gdfo__decision *d, size_t c)
{
	gdfo_graph *g = a->g;
	int64_t fid = d->stage_id, want = d->c[c].value, done = 0, from = -1;
	char below[300] = "", from_label[GDFO__STAGE_LABEL_MAX] = "";
	int rc = 0;

	while (done < want) {
		size_t i = gdfo__graph_index(g, fid), t;
		if (i == (size_t)-1 || g->stages[i].n_parents != 1)
			break;
		t = g->stages[i].parents[0];
		if (g->stages[t].op != GDFO_OP_PROJECT && g->stages[t].op != GDFO_OP_JOIN)
			break;
		if (a->text)
			snprintf(below, sizeof(below), "%s %lld '%s'", gdfo_op_name(g->stages[t].op),
				 (long long)g->stages[t].id, g->stages[t].name);
		if (!done && a->text) {
			from = g->stages[t].id;
			gdfo__stage_label(from_label, sizeof(from_label), &g->stages[t]);
		}
		/* a->g is the plan's own copy, dropped on any error */
		rc = gdfo__rewrite_push_filter_inplace(g, fid, -1);
		if (rc == GDFO_EILLEGAL)
			break;
		if (rc)
			return rc;
		done++;
	}
	if (!a->text)
		return 0;
	if (done < want) {
		pending *p = next(a, -1);
		snprintf(p->what, sizeof(p->what),
			 "'%s': %lld of the %lld steps chosen were legal after the point's earlier structural choices",
			 d->name, (long long)done, (long long)want);
	}
	if (done > 0) {
		pending *p = next(a, GDFO_CHANGE_PUSH_FILTER);
		const gdfo__stage *onto = &g->stages[g->stages[gdfo__graph_index(g, fid)].parents[0]];
		p->ids[0] = fid;
		p->n_ids = 1;
		p->field = "push_filter";
		p->old_value = (double)from;
		p->new_value = (double)onto->id;
		snprintf(p->old_label, sizeof(p->old_label), "%s", from_label);
		gdfo__stage_label(p->new_label, sizeof(p->new_label), onto);
		snprintf(p->what, sizeof(p->what), "filter %lld '%s' moved %lld step%s down, below %s", (long long)fid,
			 g->stages[gdfo__graph_index(g, fid)].name, (long long)done, done == 1 ? "" : "s", below);
		snprintf(p->why, sizeof(p->why),
			 "%s chose it; each step was checked legal (the filter reads only columns available below and the rows it drops are not needed there)",
			 a->source);
	}
	return 0;
}

static int do_reorder(applier *a, const gdfo__decision *d)
{
	int64_t uid = d->stage_id, lid = d->c[1].aux;
	int rc = gdfo_rewrite_reorder_joins(a->g, uid);
	pending *p;

	if (rc == GDFO_EILLEGAL) {
		note(a, d, gdfo_last_error());
		return 0;
	}
	if (rc || !a->text)
		return rc;
	p = next(a, GDFO_CHANGE_REORDER_JOINS);
	p->ids[0] = uid;
	p->ids[1] = lid;
	p->n_ids = 2;
	p->field = "reorder_joins";
	p->old_value = (double)lid;
	p->new_value = (double)uid;
	gdfo__stage_label(p->old_label, sizeof(p->old_label), &a->g->stages[gdfo__graph_index(a->g, lid)]);
	gdfo__stage_label(p->new_label, sizeof(p->new_label), &a->g->stages[gdfo__graph_index(a->g, uid)]);
	snprintf(p->what, sizeof(p->what), "joins %lld and %lld reordered: %lld now joins first", (long long)uid,
		 (long long)lid, (long long)uid);
	snprintf(p->why, sizeof(p->why), "%s chose it; both are inner joins whose keys allow the swap (checked)",
		 a->source);
	return 0;
}

static int do_fuse(applier *a, const gdfo__decision *d, int64_t *ids)
{
	gdfo_graph *g = a->g;
	size_t h = gdfo__graph_index(g, d->stage_id), n, i;
	pending *p;
	int rc, pos = 0;
	char names[400] = "";

	if (h == (size_t)-1 || (n = gdfo__narrow_chain(g, h, ids)) < 2) {
		note(a, d, h == (size_t)-1 ? "its first stage was fused into an earlier chain"
							   : "no narrow chain starts there after the earlier choices");
		return 0;
	}
	for (i = 0; i < n && a->text; i++)
		pos += snprintf(names + pos, pos < (int)sizeof(names) ? sizeof(names) - (size_t)pos : 0, "%s%lld",
				i ? ", " : "", (long long)ids[i]);
	/* in place (a->g is the applier's own copy, dropped on any error), then
	 * the stages fused away go at once: gdfo_rewrite_fuse, without its copy */
	rc = gdfo__rewrite_fuse_inplace(g, ids, n, a->gone);
	if (rc == GDFO_EILLEGAL) {
		note(a, d, gdfo_last_error());
		return 0;
	}
	if (rc)
		return rc;
	gdfo__graph_remove_many(g, a->gone, n - 1);
	for (i = 1; i < n; i++) {
		a->alias[2 * a->n_alias] = ids[i];
		a->alias[2 * a->n_alias + 1] = ids[0];
		a->n_alias++;
	}
	if (!a->text)
		return 0;
	p = next(a, GDFO_CHANGE_FUSE);
	p->ids[0] = ids[0];
	p->n_ids = 1;
	p->field = "fuse";
	p->old_value = (double)n;
	p->new_value = 1;
	snprintf(p->what, sizeof(p->what), "stages %s fused into stage %lld", names, (long long)ids[0]);
	snprintf(p->why, sizeof(p->why),
		 "%s chose it; %zu narrow stages with one consumer each and no shuffle between them run as one pass", a->source,
		 n);
	return 0;
}

static int do_knob(applier *a, const gdfo__decision *d, size_t c)
{
	gdfo_graph *g = a->g;
	int64_t id = resolve(a, d->stage_id);
	size_t i = gdfo__graph_index(g, id);
	gdfo__stage *st;
	const gdfo__choice *ch = &d->c[c];
	pending *p, scratch;
	int kind = GDFO_CHANGE_PARTITIONS, rc = 0, text = a->text;
	char b[32], b2[32];

	if (i == (size_t)-1) {
		note(a, d, "its stage is no longer in the plan");
		return 0;
	}
	st = &g->stages[i];
	/* without text the change is not kept: its numbers go to scratch */
	p = text ? &a->p[a->n] : &scratch;
	if (text)
		memset(p, 0, sizeof(*p));
	switch (d->kind) {
	case GDFO_DECISION_PARTITIONS: {
		int32_t old = st->knobs.partitions, np = gdfo__space_partitions(a->s, g, st->stats.bytes_in, ch->value);
		if (np == old)
			return 0;
		p->field = "partitions";
		p->old_value = old;
		p->new_value = np;
		rc = gdfo_rewrite_partitions(g, id, np);
		if (!text)
			break;
		count_label(p->old_label, sizeof(p->old_label), old);
		count_label(p->new_label, sizeof(p->new_label), np);
		gdfo__fmt_bytes(b, sizeof(b), st->stats.bytes_in);
		snprintf(p->what, sizeof(p->what), "stage %lld '%s' partitions %d -> %d%s", (long long)id, st->name, (int)old,
			 (int)np, np ? "" : " (engine default)");
		snprintf(p->why, sizeof(p->why), "%s chose %s over its %s of input (estimate)", a->source, ch->label, b);
		break;
	}
	case GDFO_DECISION_JOIN_STRATEGY:
		kind = GDFO_CHANGE_JOIN_STRATEGY;
		if (st->knobs.join_strategy == ch->value)
			return 0;
		p->field = "join_strategy";
		p->old_value = st->knobs.join_strategy;
		p->new_value = (double)ch->value;
		if (text) {
			snprintf(p->old_label, sizeof(p->old_label), "%s", gdfo_join_strategy_name(st->knobs.join_strategy));
			snprintf(p->new_label, sizeof(p->new_label), "%s", gdfo_join_strategy_name((int)ch->value));
			snprintf(p->what, sizeof(p->what), "join %lld '%s' strategy %s -> %s", (long long)id, st->name,
				 gdfo_join_strategy_name(st->knobs.join_strategy), ch->label);
		}
		rc = gdfo_rewrite_join_strategy(g, id, (int)ch->value, a->s->broadcast_max_bytes, -1);
		if (!text)
			break;
		gdfo__fmt_bytes(b, sizeof(b), a->s->broadcast_max_bytes);
		snprintf(p->why, sizeof(p->why), "%s chose it%s", a->source,
			 ch->value == GDFO_JOIN_BROADCAST ? "; the broadcast side is estimated under the bound" : "");
		if (ch->value == GDFO_JOIN_BROADCAST)
			snprintf(p->why + strlen(p->why), sizeof(p->why) - strlen(p->why), " of %s", b);
		break;
	case GDFO_DECISION_CACHE:
		kind = GDFO_CHANGE_CACHE;
		if (st->knobs.cache == ch->value)
			return 0;
		p->field = "cache";
		p->old_value = st->knobs.cache;
		p->new_value = (double)ch->value;
		if (text) {
			snprintf(p->old_label, sizeof(p->old_label), "%s", gdfo_cache_level_name(st->knobs.cache));
			snprintf(p->new_label, sizeof(p->new_label), "%s", gdfo_cache_level_name((int)ch->value));
		}
		rc = gdfo_rewrite_cache(g, id, (int)ch->value);
		if (!text)
			break;
		snprintf(p->what, sizeof(p->what), "stage %lld '%s' cache -> %s", (long long)id, st->name, ch->label);
		snprintf(p->why, sizeof(p->why), "%s chose it; the stage has %zu consumers", a->source, st->n_children);
		break;
	case GDFO_DECISION_PRIORITY:
		kind = GDFO_CHANGE_PRIORITY;
		if (st->knobs.priority == ch->value)
			return 0;
		p->field = "priority";
		p->old_value = st->knobs.priority;
		p->new_value = (double)ch->value;
		if (text) {
			snprintf(p->old_label, sizeof(p->old_label), "%d", (int)st->knobs.priority);
			snprintf(p->new_label, sizeof(p->new_label), "%d", (int)ch->value);
			snprintf(p->what, sizeof(p->what), "stage %lld '%s' priority %d -> %d", (long long)id, st->name,
				 (int)st->knobs.priority, (int)ch->value);
			snprintf(p->why, sizeof(p->why), "%s chose it; other stages at its depth compete for the same cores",
				 a->source);
		}
		st->knobs.priority = (int32_t)ch->value;
		break;
	case GDFO_DECISION_FILE_SIZE:
		kind = GDFO_CHANGE_FILE_SIZING;
		if (st->knobs.target_file_bytes == ch->value)
			return 0;
		p->field = "target_file_bytes";
		p->old_value = (double)st->knobs.target_file_bytes;
		p->new_value = (double)ch->value;
		if (text) {
			bytes_label(p->old_label, sizeof(p->old_label), st->knobs.target_file_bytes);
			bytes_label(p->new_label, sizeof(p->new_label), ch->value);
			gdfo__fmt_bytes(b, sizeof(b), (double)st->knobs.target_file_bytes);
			snprintf(p->what, sizeof(p->what), "sink %lld '%s' target file size %s -> %s", (long long)id,
				 st->name, st->knobs.target_file_bytes ? b : "engine default", ch->label);
			snprintf(p->why, sizeof(p->why), "%s chose it", a->source);
		}
		st->knobs.target_file_bytes = ch->value;
		break;
	case GDFO_DECISION_COMPACTION:
		kind = GDFO_CHANGE_FILE_SIZING;
		if (st->knobs.compaction_every == ch->value)
			return 0;
		p->field = "compaction_every";
		p->old_value = st->knobs.compaction_every;
		p->new_value = (double)ch->value;
		if (text) {
			compaction_label(p->old_label, sizeof(p->old_label), st->knobs.compaction_every);
			compaction_label(p->new_label, sizeof(p->new_label), ch->value);
			snprintf(b2, sizeof(b2), "every %d runs", (int)st->knobs.compaction_every);
			snprintf(p->what, sizeof(p->what), "sink %lld '%s' compaction %s -> %s", (long long)id, st->name,
				 st->knobs.compaction_every ? b2 : "never", ch->label);
			snprintf(p->why, sizeof(p->why), "%s chose it", a->source);
		}
		st->knobs.compaction_every = (int32_t)ch->value;
		break;
	default:
		return gdfo__error(GDFO_EINTERNAL, "space: decision kind %d is not a stage knob", (int)d->kind);
	}
	if (rc == GDFO_EILLEGAL) {
		note(a, d, gdfo_last_error());
		return 0;
	}
	if (rc || !text)
		return rc;
	a->n++;
	p->kind = kind;
	p->ids[0] = id;
	p->n_ids = 1;
	return 0;
}

static void do_resource(applier *a, const gdfo__decision *d, size_t c)
{
	gdfo_graph_knobs *k = &a->g->knobs;
	int64_t v = d->c[c].value;
	pending *p;
	char b1[32], b2[32];

	if (!a->text) {
		if (d->kind == GDFO_DECISION_EXECUTORS)
			k->executors = (int32_t)v;
		else if (d->kind == GDFO_DECISION_CORES)
			k->cores_per_executor = (int32_t)v;
		else
			k->memory_per_executor_bytes = v;
		return;
	}
	p = next(a, GDFO_CHANGE_RESOURCES);
	p->n_ids = 0;
	p->new_value = (double)v;
	switch (d->kind) {
	case GDFO_DECISION_EXECUTORS:
		snprintf(p->what, sizeof(p->what), "executors %d -> %lld", (int)k->executors, (long long)v);
		p->field = "executors";
		p->old_value = k->executors;
		count_label(p->old_label, sizeof(p->old_label), k->executors);
		count_label(p->new_label, sizeof(p->new_label), v);
		k->executors = (int32_t)v;
		break;
	case GDFO_DECISION_CORES:
		snprintf(p->what, sizeof(p->what), "cores per executor %d -> %lld", (int)k->cores_per_executor, (long long)v);
		p->field = "cores_per_executor";
		p->old_value = k->cores_per_executor;
		count_label(p->old_label, sizeof(p->old_label), k->cores_per_executor);
		count_label(p->new_label, sizeof(p->new_label), v);
		k->cores_per_executor = (int32_t)v;
		break;
	default:
		p->field = "memory_per_executor_bytes";
		p->old_value = (double)k->memory_per_executor_bytes;
		bytes_label(p->old_label, sizeof(p->old_label), k->memory_per_executor_bytes);
		bytes_label(p->new_label, sizeof(p->new_label), v);
		gdfo__fmt_bytes(b1, sizeof(b1), (double)k->memory_per_executor_bytes);
		gdfo__fmt_bytes(b2, sizeof(b2), (double)v);
		snprintf(p->what, sizeof(p->what), "memory per executor %s -> %s",
			 k->memory_per_executor_bytes ? b1 : "engine default", b2);
		k->memory_per_executor_bytes = v;
		break;
	}
	snprintf(p->why, sizeof(p->why), "%s chose it (0 in the input means the cluster's default)", a->source);
}

/* Sets every stage's priority by policy value (1 critical path first, 0 all equal); *changed counts the stages changed. */
static int set_policy(gdfo_graph *g, int64_t value, size_t *changed)
{
	int32_t *rank = NULL;
	double *work = NULL, total;
	size_t i;
	int rc = 0;

	*changed = 0;
	if (value == 1) {
		rank = gdfo__malloc((g->n + 1) * sizeof(*rank));
		work = gdfo__malloc((g->n + 1) * sizeof(*work));
		if (!rank || !work) {
			rc = GDFO_ENOMEM;
			goto out;
		}
		for (i = 0, total = 0; i < g->n; i++)
			total += work[i] = gdfo__stage_work_estimate(&g->stages[i]);
		/* With no statistics at all, every stage weighs one: hops decide (as the rules). */
		for (i = 0; i < g->n && total <= 0; i++)
			work[i] = 1;
		if ((rc = gdfo__critical_path_ranks(rank, NULL, g, work)))
			goto out;
	}
	for (i = 0; i < g->n; i++) {
		int32_t v = value == 1 ? rank[i] : 0;
		*changed += g->stages[i].knobs.priority != v;
		g->stages[i].knobs.priority = v;
	}
out:
	free(rank);
	free(work);
	return rc;
}

/* Priorities of every stage: critical path first, or all equal. */
static int do_policy(applier *a, const gdfo__decision *d, size_t c)
{
	gdfo_graph *g = a->g;
	size_t changed;
	pending *p;
	int rc;

	if ((rc = set_policy(g, d->c[c].value, &changed)))
		return rc;
	if (changed && a->text) {
		p = next(a, GDFO_CHANGE_PRIORITY);
		snprintf(p->what, sizeof(p->what), "stage priorities: %s (%zu of %zu stages changed)", d->c[c].label,
			 changed, g->n);
		p->field = "priority_policy";
		p->new_value = (double)d->c[c].value;
		snprintf(p->new_label, sizeof(p->new_label), "%s", d->c[c].label);
		snprintf(p->why, sizeof(p->why), "%s chose it%s", a->source,
			 d->c[c].value == 1 ? "; stages with the most estimated work left on their path to the end run first"
					    : "");
	}
	return 0;
}

/* Builds the plan from the applied graph and the pending changes and notes. */
static int finish(gdfo_plan **out, applier *a)
{
	gdfo_plan *plan;
	size_t i, k;
	int rc;

	if ((rc = gdfo_graph_validate(a->g))) {
		/* the caller frees a->g */
		if (rc == GDFO_ENOMEM)
			return rc;
		return gdfo__error(GDFO_EINTERNAL, "gdfo_space_apply: the plan's graph does not validate (a bug): %s",
				   gdfo_last_error());
	}
	rc = gdfo__plan_adopt(&plan, a->g, a->source);
	a->g = NULL;
	if (rc)
		return rc;
	for (i = 0; i < a->n && !rc; i++) {
		pending *p = &a->p[i];
		gdfo_change ch = {0};
		if (p->kind < 0) {
			rc = gdfo__plan_add_note(plan, p->what);
			continue;
		}
		/* Stages fused away are now the fused stage. */
		for (k = 0; k < p->n_ids; k++)
			p->ids[k] = resolve(a, p->ids[k]);
		if (p->n_ids == 2 && p->ids[0] == p->ids[1])
			p->n_ids = 1;
		ch.version = GDFO_CHANGE_VERSION;
		ch.kind = p->kind;
		ch.stage_ids = p->ids;
		ch.n_stage_ids = p->n_ids;
		ch.attended_ids = p->ids;
		ch.n_attended_ids = p->n_ids;
		ch.what = p->what;
		ch.why = p->why;
		ch.expected_gain = 0;
		ch.confidence = 0;
		ch.field = p->field;
		ch.old_value = p->old_value;
		ch.new_value = p->new_value;
		ch.old_label = p->old_label[0] ? p->old_label : NULL;
		ch.new_label = p->new_label[0] ? p->new_label : NULL;
		rc = gdfo__plan_add_change(plan, &ch);
	}
	if (!rc)
		rc = gdfo__plan_set_risk(plan, gdfo__plan_assess_risk(plan, a->s->graph));
	if (rc) {
		gdfo_plan_free(plan);
		return rc;
	}
	*out = plan;
	return 0;
}

/* Applies point's decisions to a->g, a copy of s's graph, in the passes' order. */
static int apply(applier *a, const gdfo_space *s, const int32_t *point, size_t n, int64_t *ids)
{
	size_t i, pass;
	int rc;

	/* Pass 0: push-downs; 1: reorders; 2: fusions; 3: resources; 4: stage knobs
	 * (partition counts in waves of cores use the plan's resources). */
	for (pass = 0; pass < 5; pass++) {
		for (i = 0; i < n; i++) {
			const gdfo__decision *d = &s->d[i];
			size_t c = (size_t)point[i];
			int k = d->kind;
			if (c == 0)
				continue;
			rc = 0;
			if (pass == 0 && k == GDFO_DECISION_PUSH_FILTER)
				rc = do_push(a, d, c);
			else if (pass == 1 && k == GDFO_DECISION_REORDER_JOINS)
				rc = do_reorder(a, d);
			else if (pass == 2 && k == GDFO_DECISION_FUSE)
				rc = do_fuse(a, d, ids);
			else if (pass == 4 && k >= GDFO_DECISION_PARTITIONS && k <= GDFO_DECISION_COMPACTION)
				rc = do_knob(a, d, c);
			else if (pass == 3 && k >= GDFO_DECISION_EXECUTORS && k <= GDFO_DECISION_MEMORY)
				do_resource(a, d, c);
			else if (pass == 4 && k == GDFO_DECISION_PRIORITY_POLICY)
				rc = do_policy(a, d, c);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int gdfo_space_apply(gdfo_plan **out, const gdfo_space *s, const int32_t *point, size_t n, const char *source)
{
	applier a = {0};
	int64_t *ids = NULL;
	size_t i, chosen = 0;
	int rc;

	if (out)
		*out = NULL;
	if (!out || !s || !source)
		return gdfo__error(GDFO_EINVAL, "gdfo_space_apply: %s is NULL", !out ? "out" : !s ? "space" : "source");
	if (!*source || strlen(source) > 64)
		return gdfo__error(GDFO_EINVAL, "gdfo_space_apply: source must be 1..64 bytes");
	if ((rc = gdfo_space_check(s, point, n)))
		return gdfo__error_prefix(rc, "gdfo_space_apply");
	/* at most 2 changes or notes per decision chosen (a pending is over 1 KiB: one per
	 * decision of a large space would be megabytes, fresh pages on every call) */
	for (i = 0; i < n; i++)
		chosen += point[i] != 0;
	a.s = s;
	a.source = source;
	a.text = 1;
	a.p = gdfo__malloc((2 * chosen + 1) * sizeof(*a.p));
	a.alias = gdfo__malloc((2 * s->graph->n + 2) * sizeof(*a.alias));
	a.gone = gdfo__malloc((s->graph->n + 1) * sizeof(*a.gone));
	ids = gdfo__malloc((s->graph->n + 1) * sizeof(*ids));
	if (!a.p || !a.alias || !a.gone || !ids || (rc = gdfo_graph_clone(&a.g, s->graph))) {
		rc = rc ? rc : GDFO_ENOMEM;
		goto out;
	}
	if (!(rc = apply(&a, s, point, n, ids)))
		rc = finish(out, &a);
out:
	gdfo_graph_free(a.g);
	free(a.p);
	free(a.alias);
	free(a.gone);
	free(ids);
	return rc;
}

int gdfo__space_apply_graph(gdfo_graph **out, const gdfo_space *s, const int32_t *point)
{
	applier a = {0};
	int64_t *ids = NULL;
	int rc;

	*out = NULL;
	a.s = s;
	a.source = "learned";
	a.alias = gdfo__malloc((2 * s->graph->n + 2) * sizeof(*a.alias));
	a.gone = gdfo__malloc((s->graph->n + 1) * sizeof(*a.gone));
	ids = gdfo__malloc((s->graph->n + 1) * sizeof(*ids));
	if (!a.alias || !a.gone || !ids || (rc = gdfo_graph_clone(&a.g, s->graph))) {
		rc = a.alias && a.gone && ids ? rc : GDFO_ENOMEM;
		goto out;
	}
	if ((rc = apply(&a, s, point, s->dim, ids)))
		goto out;
	if ((rc = gdfo_graph_validate(a.g))) {
		if (rc != GDFO_ENOMEM)
			rc = gdfo__error(GDFO_EINTERNAL, "gdfo_space_apply: the plan's graph does not validate (a bug): %s",
					 gdfo_last_error());
		goto out;
	}
	*out = a.g;
	a.g = NULL;
out:
	gdfo_graph_free(a.g);
	free(a.alias);
	free(a.gone);
	free(ids);
	return rc;
}

/*
 * The knob decisions of point applied to g, a copy of the space's graph
 * (the same stages in the same order) whose knobs are first reset to the
 * space graph's: the graph gdfo_space_apply's plan would have, without the
 * plan, its changes' text or a graph copy. For scoring many candidates of
 * one space (lib/rl/optimizer.c; tests/c/test_space.c checks it against
 * gdfo_space_apply). A structural choice in point is an internal error.
 */
int gdfo__space_apply_knobs(gdfo_graph *g, const gdfo_space *s, const int32_t *point)
{
	const gdfo_graph *in = s->graph;
	applier a = {0};
	size_t i;

	if (g->n != in->n)
		return gdfo__error(GDFO_EINTERNAL, "gdfo__space_apply_knobs: the graph has %zu stages, the space's %zu", g->n,
				   in->n);
	for (i = 0; i < s->dim; i++)
		if (point[i] && s->d[i].kind < GDFO_DECISION_PARTITIONS)
			return gdfo__error(GDFO_EINTERNAL, "gdfo__space_apply_knobs: decision %zu is structural", i);
	g->knobs = in->knobs;
	for (i = 0; i < in->n; i++)
		g->stages[i].knobs = in->stages[i].knobs;
	/* gdfo_space_apply's passes without text: no structural decision, so no alias or copy */
	a.s = s;
	a.g = g;
	a.source = "learned";
	return apply(&a, s, point, s->dim, NULL);
}

/* ---- the point nearest to a graph --------------------------------------------------- */

/* The legal choice whose value is v, else keep. */
static int32_t exact(const gdfo__decision *d, int64_t v)
{
	size_t c;
	for (c = 1; c < d->n; c++)
		if (d->c[c].legal && d->c[c].value == v)
			return (int32_t)c;
	return 0;
}

/*
 * The legal choice whose value is v if there is one, else the legal
 * choice (or keep) whose position is nearest to log(v).
 */
static int32_t nearest(const gdfo_space *s, const gdfo__decision *d, int64_t v)
{
	size_t c, best = 0;
	double bd = INFINITY, pos = log((double)v);

	if ((c = (size_t)exact(d, v)))
		return (int32_t)c;
	for (c = 0; c < d->n; c++) {
		double x;
		if (!d->c[c].legal)
			continue;
		x = fabs(gdfo__choice_position(s, d, c) - pos);
		if (x < bd) {
			bd = x;
			best = c;
		}
	}
	return (int32_t)best;
}

/*
 * The grid choice that gives the stage `parts` partitions (the one nearest
 * to bytes / parts per partition when several do), else the nearest.
 */
static int32_t nearest_partitions(const gdfo_space *s, const gdfo__decision *d, const gdfo_graph *t, double bytes,
				  int32_t parts)
{
	size_t c, best = 0, any = 0;
	double bd = INFINITY, ad = INFINITY, pos = log(fmax(bytes / parts, 1));

	for (c = 1; c < d->n; c++) {
		double x;
		int32_t np;
		if (!d->c[c].legal || d->c[c].value == 0)
			continue;
		np = gdfo__space_partitions(s, t, bytes, d->c[c].value);
		x = fabs(log(fmax(bytes / np, 1)) - pos);
		if (np == parts && x < bd) {
			bd = x;
			best = c;
		}
		if (x < ad) {
			ad = x;
			any = c;
		}
	}
	return (int32_t)(best ? best : any);
}

/*
 * The stage of t that stage id of the input became when a fusion decision
 * fused it away: the chain's first stage (chains as the input has them).
 */
static size_t fused_into(const gdfo_space *s, const gdfo_graph *t, int64_t id, int64_t *ids)
{
	const gdfo_graph *in = s->graph;
	size_t i, k, n, h;

	for (i = 0; i < s->dim; i++) {
		if (s->d[i].kind != GDFO_DECISION_FUSE || (h = gdfo__graph_index(in, s->d[i].stage_id)) == (size_t)-1)
			continue;
		n = gdfo__narrow_chain(in, h, ids);
		for (k = 1; k < n; k++)
			if (ids[k] == id)
				return gdfo__graph_index(t, ids[0]);
	}
	return (size_t)-1;
}

/* The policy t's priorities follow: keep when they are the input's. */
static int project_policy(int32_t *out, const gdfo_space *s, const gdfo__decision *d, const gdfo_graph *t)
{
	int32_t *rank = gdfo__malloc((t->n + 1) * sizeof(*rank)), choice = 0;
	double *work = gdfo__malloc((t->n + 1) * sizeof(*work));
	size_t i, same_input = 0, zero = 0, cp = 0;
	int rc = 0;

	if (!rank || !work) {
		free(rank);
		free(work);
		return GDFO_ENOMEM;
	}
	for (i = 0; i < t->n; i++) {
		size_t si = gdfo__graph_index(s->graph, t->stages[i].id);
		work[i] = gdfo__stage_work_estimate(&t->stages[i]);
		same_input += si != (size_t)-1 && s->graph->stages[si].knobs.priority == t->stages[i].knobs.priority;
		zero += t->stages[i].knobs.priority == 0;
	}
	if (same_input < t->n && !(rc = gdfo__critical_path_ranks(rank, NULL, t, work))) {
		for (i = 0; i < t->n; i++)
			cp += rank[i] == t->stages[i].knobs.priority;
		/* Most stages as the policy would set them: that policy. */
		if (cp >= zero && cp * 2 > t->n)
			choice = exact(d, 1);
		else if (zero * 2 > t->n)
			choice = exact(d, 0);
	}
	free(rank);
	free(work);
	*out = choice;
	return rc;
}

static int32_t project(const gdfo_space *s, const gdfo__decision *d, const gdfo_graph *t, int64_t *ids)
{
	const gdfo_graph *in = s->graph;
	size_t ti = d->stage_id >= 0 ? gdfo__graph_index(t, d->stage_id) : (size_t)-1;
	const gdfo__stage *ts = ti != (size_t)-1 ? &t->stages[ti] : NULL;
	const gdfo__stage *is = d->stage_id >= 0 ? &in->stages[gdfo__graph_index(in, d->stage_id)] : NULL;
	size_t c, k;

	if (d->stage_id >= 0 && !ts && d->kind > GDFO_DECISION_FUSE) {
		/* A knob of a stage fused away now sits on the fused stage. */
		if ((ti = fused_into(s, t, d->stage_id, ids)) == (size_t)-1)
			return 0;
		ts = &t->stages[ti];
	}
	if (d->stage_id >= 0 && !ts && d->kind != GDFO_DECISION_FUSE)
		return 0;
	switch (d->kind) {
	case GDFO_DECISION_PUSH_FILTER:
		if (ts->n_parents != 1)
			return 0;
		for (c = d->n - 1; c > 0; c--)
			if (d->c[c].aux == t->stages[ts->parents[0]].id && d->c[c].legal)
				return (int32_t)c;
		return 0;
	case GDFO_DECISION_REORDER_JOINS: {
		/* Reordered: the lower join now reads the upper one. */
		size_t li = gdfo__graph_index(t, d->c[1].aux);
		if (li == (size_t)-1)
			return 0;
		for (k = 0; k < t->stages[li].n_parents; k++)
			if (t->stages[li].parents[k] == ti)
				return 1;
		return 0;
	}
	case GDFO_DECISION_FUSE:
		/* Fused: the chain's second stage is gone, its first is still there. */
		return ts && gdfo__graph_index(t, d->c[1].aux) == (size_t)-1 ? 1 : 0;
	case GDFO_DECISION_PARTITIONS: {
		double p = ts->knobs.partitions, bytes = ts->stats.bytes_in > 0 ? ts->stats.bytes_in : is->stats.bytes_in;
		if (ts->knobs.partitions == is->knobs.partitions)
			return 0;
		if (p == 0)
			return exact(d, 0);
		return nearest_partitions(s, d, t, bytes, ts->knobs.partitions);
	}
	case GDFO_DECISION_JOIN_STRATEGY:
		return ts->knobs.join_strategy == is->knobs.join_strategy ? 0 : exact(d, ts->knobs.join_strategy);
	case GDFO_DECISION_CACHE:
		return ts->knobs.cache == is->knobs.cache ? 0 : exact(d, ts->knobs.cache);
	case GDFO_DECISION_PRIORITY: {
		/* Above the plan's median priority: earlier; below: later. */
		int32_t v = ts->knobs.priority, above = 0, below = 0;
		if (v == is->knobs.priority)
			return 0;
		for (k = 0; k < t->n; k++) {
			above += t->stages[k].knobs.priority > v;
			below += t->stages[k].knobs.priority < v;
		}
		return exact(d, above > below ? -1 : below > above ? 1 : 0);
	}
	case GDFO_DECISION_FILE_SIZE:
		if (ts->knobs.target_file_bytes == is->knobs.target_file_bytes || ts->knobs.target_file_bytes <= 0)
			return 0;
		return nearest(s, d, ts->knobs.target_file_bytes);
	case GDFO_DECISION_COMPACTION:
		if (ts->knobs.compaction_every == is->knobs.compaction_every)
			return 0;
		return ts->knobs.compaction_every ? nearest(s, d, ts->knobs.compaction_every) : exact(d, 0);
	case GDFO_DECISION_EXECUTORS:
		return t->knobs.executors == in->knobs.executors || t->knobs.executors <= 0
			       ? 0 : nearest(s, d, t->knobs.executors);
	case GDFO_DECISION_CORES:
		return t->knobs.cores_per_executor == in->knobs.cores_per_executor || t->knobs.cores_per_executor <= 0
			       ? 0 : nearest(s, d, t->knobs.cores_per_executor);
	case GDFO_DECISION_MEMORY:
		return t->knobs.memory_per_executor_bytes == in->knobs.memory_per_executor_bytes ||
				       t->knobs.memory_per_executor_bytes <= 0
			       ? 0 : nearest(s, d, t->knobs.memory_per_executor_bytes);
	case GDFO_DECISION_PRIORITY_POLICY:
		return 0; /* gdfo_space_point_of: project_policy */
	default:
		return 0;
	}
}

/* How many stages of t have the same parents (by id, in order) in g. */
static size_t shape_match(const gdfo_graph *g, const gdfo_graph *t)
{
	size_t i, k, match = 0;

	for (i = 0; i < t->n; i++) {
		const gdfo__stage *ts = &t->stages[i];
		size_t gi = gdfo__graph_index(g, ts->id);
		int same;
		if (gi == (size_t)-1 || g->stages[gi].n_parents != ts->n_parents)
			continue;
		for (k = 0, same = 1; k < ts->n_parents && same; k++)
			same = g->stages[g->stages[gi].parents[k]].id == t->stages[ts->parents[k]].id;
		match += (size_t)same;
	}
	return match + (g->n == t->n);
}

/* Most structural combinations point_of tries one by one. */
#define SETTLE_EXHAUSTIVE 256

/*
 * Structural choices interact (a reorder changes what the next one swaps),
 * so they are settled by applying combinations and keeping the one whose
 * graph has the target's shape: every combination of the legal structural
 * choices when there are at most SETTLE_EXHAUSTIVE, else a coordinate
 * ascent (each decision's choices tried with the others fixed, a few
 * sweeps). Ties keep the earlier combination (fewer changes first).
 */
static int settle_structure(int32_t *point, size_t n, const gdfo_space *s, const gdfo_graph *t)
{
	size_t i, c, sweep, best_score = 0, combos = 1, k;
	int32_t *best = NULL;
	gdfo_plan *plan;
	int rc, changed = 1;

	if ((rc = gdfo_space_apply(&plan, s, point, n, "point_of")))
		return rc;
	best_score = shape_match(gdfo_plan_graph(plan), t);
	gdfo_plan_free(plan);
	for (i = 0; i < n && combos <= SETTLE_EXHAUSTIVE; i++)
		if (s->d[i].kind <= GDFO_DECISION_FUSE)
			combos *= s->d[i].n_legal;
	if (combos <= SETTLE_EXHAUSTIVE) {
		if (!(best = gdfo__malloc(n * sizeof(*best))))
			return GDFO_ENOMEM;
		memcpy(best, point, n * sizeof(*best));
		for (k = 0; k < combos; k++) {
			size_t x = k, score;
			for (i = 0; i < n; i++) {
				if (s->d[i].kind > GDFO_DECISION_FUSE)
					continue;
				/* The x-th legal choice of decision i (structural choices are all legal). */
				point[i] = (int32_t)(x % s->d[i].n_legal);
				x /= s->d[i].n_legal;
			}
			if ((rc = gdfo_space_apply(&plan, s, point, n, "point_of"))) {
				free(best);
				return rc;
			}
			score = shape_match(gdfo_plan_graph(plan), t);
			gdfo_plan_free(plan);
			if (score > best_score) {
				best_score = score;
				memcpy(best, point, n * sizeof(*best));
			}
		}
		memcpy(point, best, n * sizeof(*best));
		free(best);
		return 0;
	}
	for (sweep = 0; sweep < 3 && changed; sweep++) {
		changed = 0;
		for (i = 0; i < n; i++) {
			int32_t keep = point[i];
			if (s->d[i].kind > GDFO_DECISION_FUSE)
				continue;
			for (c = 0; c < s->d[i].n; c++) {
				size_t score;
				if ((int32_t)c == keep || !s->d[i].c[c].legal)
					continue;
				point[i] = (int32_t)c;
				if ((rc = gdfo_space_apply(&plan, s, point, n, "point_of")))
					return rc;
				score = shape_match(gdfo_plan_graph(plan), t);
				gdfo_plan_free(plan);
				if (score > best_score) {
					best_score = score;
					keep = (int32_t)c;
					changed = 1;
				}
			}
			point[i] = keep;
		}
	}
	return 0;
}

int gdfo_space_point_of(int32_t *point, size_t n, const gdfo_space *s, const gdfo_graph *graph)
{
	int64_t *ids;
	size_t i;
	int rc, structural = 0;

	if (!point || !s || !graph)
		return gdfo__error(GDFO_EINVAL, "gdfo_space_point_of: %s is NULL", !point ? "point" : !s ? "space" : "graph");
	if (n != s->dim)
		return gdfo__error(GDFO_EINVAL, "gdfo_space_point_of: point has %zu entries, the space %zu decisions", n,
				   s->dim);
	if (!(ids = gdfo__malloc((s->graph->n + 1) * sizeof(*ids))))
		return GDFO_ENOMEM;
	for (i = 0; i < n; i++) {
		point[i] = project(s, &s->d[i], graph, ids);
		structural |= s->d[i].kind <= GDFO_DECISION_FUSE;
		if (s->d[i].kind == GDFO_DECISION_PRIORITY_POLICY && (rc = project_policy(&point[i], s, &s->d[i], graph))) {
			free(ids);
			memset(point, 0, n * sizeof(*point));
			return rc;
		}
	}
	free(ids);
	if (structural && (rc = settle_structure(point, n, s, graph))) {
		memset(point, 0, n * sizeof(*point));
		return rc;
	}
	return 0;
}
