/*
 * The decision space (include/gdfo/space.h, docs/space.md): building it
 * from a graph, points, sampling, neighbours and applying a point.
 *
 * A decision's choices keep choice 0 for "keep". Ordinal decisions (steps,
 * grids of sizes and counts) are also ordered by value: each choice has a
 * position on a log scale, keep at the input's own value, and neighbours
 * move to the nearest legal position below or above. Categorical ones
 * (join strategy, cache level) have every other legal choice as neighbour.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/abi.h"
#include "gdfo/rewrite.h"
#include "gdfo/space.h"
#include "plan/plan_internal.h"
#include "plan/space_internal.h"

#define MIB (1024.0 * 1024.0)
#define GIB (1024.0 * MIB)

static const char *const kind_names[GDFO_DECISION_KIND_COUNT] = {
	"push_filter", "reorder_joins", "fuse",     "partitions", "join_strategy", "cache",
	"priority",    "file_size",     "compaction", "executors", "cores",        "memory",
	"priority_policy",
};

const char *gdfo_decision_kind_name(int kind)
{
	return kind >= 0 && kind < GDFO_DECISION_KIND_COUNT ? kind_names[kind] : NULL;
}

int gdfo__decision_kind_from_name(const char *name)
{
	int k;
	for (k = 0; k < GDFO_DECISION_KIND_COUNT; k++)
		if (!strcmp(kind_names[k], name))
			return k;
	return -1;
}

int gdfo__decision_is_categorical(int kind)
{
	return kind == GDFO_DECISION_JOIN_STRATEGY || kind == GDFO_DECISION_CACHE ||
	       kind == GDFO_DECISION_PRIORITY_POLICY;
}

int gdfo__decision_is_graph_wide(int kind)
{
	return kind >= GDFO_DECISION_EXECUTORS;
}

int gdfo_space_options_init(gdfo_space_options *o, unsigned int version)
{
	gdfo_space_options d = {0};
	d.version = GDFO_SPACE_OPTIONS_VERSION;
	d.structural = 1;
	d.reorder_joins = 1;
	d.stage_knobs = 1;
	d.priorities = 1;
	d.resources = 1;
	return gdfo__abi_init(o, version, &d, GDFO__ABI_SPACE_OPTIONS, "gdfo_space_options_init");
}

/* ---- the space's own storage ------------------------------------------------------ */

void gdfo__space_free_decisions(gdfo_space *s)
{
	size_t i, c;
	for (i = 0; i < s->dim; i++) {
		for (c = 0; c < s->d[i].n; c++)
			if (s->d[i].c[c].owned)
				free(s->d[i].c[c].label);
		free(s->d[i].c);
		free(s->d[i].name);
	}
	free(s->d);
	s->d = NULL;
	s->dim = s->cap = 0;
}

void gdfo_space_free(gdfo_space *s)
{
	if (!s)
		return;
	gdfo__space_free_decisions(s);
	gdfo_graph_free(s->graph);
	free(s);
}

/* Appends a decision named name with its "keep" choice; returns it or NULL (ENOMEM). */
static gdfo__decision *add_named(gdfo_space *s, int kind, int64_t stage_id, const char *name)
{
	gdfo__decision *d;
	void *items = s->d;

	if (gdfo__grow(&items, &s->cap, s->dim + 1, sizeof(*s->d)))
		return NULL;
	s->d = items;
	d = &s->d[s->dim];
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	d->stage_id = stage_id;
	if (!(d->name = gdfo__strdup(name)))
		return NULL;
	s->dim++;
	if (gdfo__space_choice_static(d, 0, 0, 1, "keep")) {
		return NULL;
	}
	return d;
}

gdfo__decision *gdfo__space_add(gdfo_space *s, int kind, int64_t stage_id, const char *fmt, ...)
{
	va_list ap;
	char name[512];

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	return add_named(s, kind, stage_id, name);
}

/* Appends src to out[0..size) at *at, truncating as snprintf does. */
static void put(char *out, size_t size, size_t *at, const char *src)
{
	while (*src && *at + 1 < size)
		out[(*at)++] = *src++;
	out[*at] = '\0';
}

/*
 * gdfo__space_add for a decision named "<pre><id> '<name>'<post>", as
 * "%lld '%s'" prints it, without printf (spaces are made per planning
 * call, a name per decision).
 */
static gdfo__decision *add_stage_decision(gdfo_space *s, int kind, int64_t id, const char *pre, const char *name,
					  const char *post)
{
	char out[512], num[24];
	size_t at = 0, k = sizeof(num) - 1;
	uint64_t u = id < 0 ? 0 - (uint64_t)id : (uint64_t)id;

	num[k] = '\0';
	do {
		num[--k] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (id < 0)
		num[--k] = '-';
	out[0] = '\0';
	put(out, sizeof(out), &at, pre);
	put(out, sizeof(out), &at, num + k);
	put(out, sizeof(out), &at, " '");
	put(out, sizeof(out), &at, name);
	put(out, sizeof(out), &at, "'");
	put(out, sizeof(out), &at, post);
	return add_named(s, kind, id, out);
}

int gdfo__space_choice_static(gdfo__decision *d, int64_t value, int64_t aux, int legal, const char *label)
{
	gdfo__choice *c;
	void *items = d->c;

	if (gdfo__grow(&items, &d->cap, d->n + 1, sizeof(*d->c)))
		return GDFO_ENOMEM;
	d->c = items;
	c = &d->c[d->n++];
	c->value = value;
	c->aux = aux;
	c->legal = legal;
	c->owned = 0;
	c->label = (char *)(uintptr_t)label; /* never written nor freed */
	if (legal)
		d->n_legal++;
	return 0;
}

int gdfo__space_choice(gdfo__decision *d, int64_t value, int64_t aux, int legal, const char *fmt, ...)
{
	va_list ap;
	char label[256];
	gdfo__choice *c;
	void *items = d->c;

	if (gdfo__grow(&items, &d->cap, d->n + 1, sizeof(*d->c)))
		return GDFO_ENOMEM;
	d->c = items;
	va_start(ap, fmt);
	vsnprintf(label, sizeof(label), fmt, ap);
	va_end(ap);
	c = &d->c[d->n];
	c->value = value;
	c->aux = aux;
	c->legal = legal;
	c->owned = 1;
	if (!(c->label = gdfo__strdup(label)))
		return GDFO_ENOMEM;
	d->n++;
	if (legal)
		d->n_legal++;
	return 0;
}

/* Drops the last decision (one with nothing but keep left legal). */
static void drop_last(gdfo_space *s)
{
	gdfo__decision *d = &s->d[s->dim - 1];
	size_t c;
	for (c = 0; c < d->n; c++)
		if (d->c[c].owned)
			free(d->c[c].label);
	free(d->c);
	free(d->name);
	s->dim--;
}

/* Keeps the decision just added only if it offers something besides keep. */
static void keep_if_useful(gdfo_space *s)
{
	if (s->dim && s->d[s->dim - 1].n_legal < 2)
		drop_last(s);
}

void gdfo__fmt_bytes(char *out, size_t size, double b)
{
	if (b >= GIB && fmod(b, GIB) == 0)
		snprintf(out, size, "%.0f GiB", b / GIB);
	else if (b >= GIB)
		snprintf(out, size, "%.1f GiB", b / GIB);
	else if (b >= MIB)
		snprintf(out, size, "%.0f MiB", b / MIB);
	else
		snprintf(out, size, "%.0f bytes", b);
}

/* ---- building the space --------------------------------------------------------- */

void gdfo__space_effective_resources(const gdfo_graph *g, const gdfo_sim_cluster *cl, double *e, double *cores,
				     double *mem)
{
	*e = g->knobs.executors > 0 ? g->knobs.executors : cl->executors;
	*cores = g->knobs.cores_per_executor > 0 ? g->knobs.cores_per_executor : cl->cores_per_executor;
	*mem = g->knobs.memory_per_executor_bytes > 0 ? (double)g->knobs.memory_per_executor_bytes
						       : (double)cl->memory_per_executor_bytes;
}

int32_t gdfo__space_partitions(const gdfo_space *s, const gdfo_graph *g, double bytes, int64_t value)
{
	double want, e, cores, mem;

	if (value == 0)
		return 0;
	if (value < 0) {
		gdfo__space_effective_resources(g, &s->cluster, &e, &cores, &mem);
		want = (double)-value * e * cores;
	} else {
		want = ceil(bytes / (double)value);
	}
	return (int32_t)(want < 1 ? 1 : want > GDFO__SPACE_TASKS_MAX ? GDFO__SPACE_TASKS_MAX : want);
}

size_t gdfo__narrow_chain(const gdfo_graph *g, size_t head, int64_t *ids)
{
	size_t n = 0, last = head;
	ids[n++] = g->stages[head].id;
	while (g->stages[last].n_children == 1 &&
	       gdfo__narrow_chain_next(g, last, g->stages[last].children[0], head)) {
		last = g->stages[last].children[0];
		ids[n++] = g->stages[last].id;
	}
	return n;
}

/*
 * Pushes every filter as far as it goes on a scratch copy, in rounds like
 * the rules do; each filter's steps and the stage it lands above at each
 * step become one decision. Leaves the pushed copy in *pushed.
 */
static int add_push_filters(gdfo_space *s, gdfo_graph **pushed)
{
	gdfo_graph *g;
	size_t rounds = 0, i, first = s->dim;
	int moved = 1, rc;

	if ((rc = gdfo_graph_clone(&g, s->graph)))
		return rc;
	while (moved && rounds++ < g->n * g->n + 1) {
		moved = 0;
		for (i = 0; i < g->n; i++) {
			const gdfo__stage *f = &g->stages[i];
			gdfo__decision *d = NULL;
			size_t k, t;
			int64_t fid;

			if (f->op != GDFO_OP_FILTER || f->n_parents != 1)
				continue;
			t = f->parents[0];
			if (g->stages[t].op != GDFO_OP_PROJECT && g->stages[t].op != GDFO_OP_JOIN)
				continue;
			fid = f->id;
			rc = gdfo__rewrite_push_filter_inplace(g, fid, -1);
			if (rc == GDFO_EILLEGAL)
				continue;
			if (rc)
				goto fail;
			moved = 1;
			for (k = first; k < s->dim && !d; k++)
				if (s->d[k].stage_id == fid)
					d = &s->d[k];
			if (!d && !(d = add_stage_decision(s, GDFO_DECISION_PUSH_FILTER, fid, "push filter ",
							  g->stages[i].name, " down"))) {
				rc = GDFO_ENOMEM;
				goto fail;
			}
			/* The filter now sits above its new parent; below the stage it passed. */
			if ((rc = gdfo__space_choice(d, (int64_t)d->n, g->stages[g->stages[i].parents[0]].id, 1,
						     "%zu step%s: below %s %lld '%s'", d->n, d->n == 1 ? "" : "s",
						     gdfo_op_name(g->stages[t].op), (long long)g->stages[t].id,
						     g->stages[t].name)))
				goto fail;
		}
	}
	*pushed = g;
	return 0;
fail:
	gdfo_graph_free(g);
	return rc;
}

static int add_reorders(gdfo_space *s)
{
	const gdfo_graph *g = s->graph;
	size_t i, p;
	int rc;

	for (i = 0; i < g->n; i++) {
		const gdfo__stage *u = &g->stages[i];
		gdfo__decision *d;
		const gdfo__stage *l;

		if (u->op != GDFO_OP_JOIN || u->join_type != GDFO_JOIN_INNER || u->n_parents != 2)
			continue;
		for (p = 0; p < 2 && g->stages[u->parents[p]].op != GDFO_OP_JOIN; p++)
			;
		if (p == 2)
			continue;
		l = &g->stages[u->parents[p]];
		rc = gdfo__rewrite_reorder_joins_legal(g, u->id);
		if (rc == GDFO_EILLEGAL)
			continue;
		if (rc)
			return rc;
		if (!(d = gdfo__space_add(s, GDFO_DECISION_REORDER_JOINS, u->id, "reorder join %lld '%s' with join %lld '%s'",
					  (long long)u->id, u->name, (long long)l->id, l->name)) ||
		    gdfo__space_choice(d, 1, l->id, 1, "reorder: %lld joins first", (long long)u->id))
			return GDFO_ENOMEM;
	}
	return 0;
}

/*
 * Fusion candidates: chains of the input graph and of the fully pushed
 * one. The chains are fused on a scratch copy of src, or on src itself
 * when scratch is set (a graph the caller throws away after).
 */
static int add_fusions_of(gdfo_space *s, gdfo_graph *src, size_t first, int scratch)
{
	gdfo_graph *g = src;
	int64_t *chains = NULL, *ids;
	size_t len, at, n, i, j, *gone = NULL;
	int rc, local;

	if (!scratch && (rc = gdfo_graph_clone(&g, src)))
		return rc;
	if ((rc = gdfo__fuse_chains(&chains, &len, &local, g)))
		goto out;
	if (!(gone = gdfo__malloc((len ? len : 1) * sizeof(*gone)))) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	for (at = 0; at < len; at += n + 1) {
		gdfo__decision *d;
		int64_t head;
		char names[400], hname[GDFO__NAME_MAX + 1];
		int pos = 0, dup = 0;

		n = (size_t)chains[at];
		ids = chains + at + 1;
		head = ids[0];
		for (j = first; j < s->dim && !dup; j++)
			dup = s->d[j].stage_id == head;
		names[0] = '\0';
		for (i = 0; i < n; i++)
			pos += snprintf(names + pos, pos < (int)sizeof(names) ? sizeof(names) - (size_t)pos : 0, "%s%lld",
					i ? "+" : "", (long long)ids[i]);
		/* The head's name as in the input, kept: fusing renames it (chains
		 * are disjoint: an earlier fusion renamed only its own head). */
		snprintf(hname, sizeof(hname), "%s", src->stages[gdfo__graph_index(src, head)].name);
		/* Chains are disjoint: each is checked on the scratch as it is (the members
		 * of earlier ones stay there unlinked; the scratch is thrown away). */
		rc = gdfo__rewrite_fuse_inplace(g, ids, n, gone);
		if (rc == GDFO_EILLEGAL)
			continue;
		if (rc)
			goto out;
		if (dup)
			continue;
		if (!(d = add_stage_decision(s, GDFO_DECISION_FUSE, head, "fuse the narrow chain from ", hname, "")) ||
		    gdfo__space_choice(d, 1, ids[1], 1, "fuse %s", names)) {
			rc = GDFO_ENOMEM;
			goto out;
		}
	}
	rc = 0;
out:
	free(chains);
	free(gone);
	if (g != src)
		gdfo_graph_free(g);
	return rc;
}

static const double partition_grid[] = {1 * MIB,  2 * MIB,   4 * MIB,   8 * MIB,   16 * MIB,  32 * MIB,
					64 * MIB, 128 * MIB, 256 * MIB, 512 * MIB, 1024 * MIB};
static const int partition_waves[] = {1, 2, 4};
static const char *const partition_labels[] = {
	"1 MiB per partition",   "2 MiB per partition",   "4 MiB per partition",  "8 MiB per partition",
	"16 MiB per partition",  "32 MiB per partition",  "64 MiB per partition", "128 MiB per partition",
	"256 MiB per partition", "512 MiB per partition", "1 GiB per partition"};
static const char *const wave_labels[] = {"1 x the cluster's cores", "2 x the cluster's cores",
					  "4 x the cluster's cores"};
static const double file_grid[] = {32 * MIB, 64 * MIB, 128 * MIB, 256 * MIB, 512 * MIB, 1024 * MIB};
static const int compaction_grid[] = {0, 1, 2, 4, 8, 16};
static const char *const file_labels[] = {"32 MiB files", "64 MiB files", "128 MiB files",
					  "256 MiB files", "512 MiB files", "1 GiB files"};
static const char *const compaction_labels[] = {"never", "every 1 run", "every 2 runs",
						"every 4 runs", "every 8 runs", "every 16 runs"};

/* Longest-path depth of every stage; stages of one depth can run side by side. */
static int depths(size_t **out, const gdfo_graph *g)
{
	size_t *order, *depth, i, k;
	int rc;

	*out = NULL;
	order = gdfo__malloc((g->n ? g->n : 1) * sizeof(*order));
	depth = gdfo__calloc(g->n ? g->n : 1, sizeof(*depth));
	if (!order || !depth) {
		free(order);
		free(depth);
		return GDFO_ENOMEM;
	}
	if ((rc = gdfo_graph_topo_order(order, g->n, g))) {
		free(order);
		free(depth);
		return rc;
	}
	for (i = 0; i < g->n; i++) {
		const gdfo__stage *st = &g->stages[order[i]];
		for (k = 0; k < st->n_parents; k++)
			if (depth[st->parents[k]] + 1 > depth[order[i]])
				depth[order[i]] = depth[st->parents[k]] + 1;
	}
	free(order);
	*out = depth;
	return 0;
}

static int add_stage_knobs(gdfo_space *s, const gdfo_space_options *o, double bound)
{
	const gdfo_graph *g = s->graph;
	size_t i, k, *depth = NULL, *width = NULL;
	int rc;

	if (o->stage_priorities) {
		if ((rc = depths(&depth, g)))
			goto out;
		if (!(width = gdfo__calloc(g->n ? g->n : 1, sizeof(*width)))) {
			rc = GDFO_ENOMEM;
			goto out;
		}
		for (i = 0; i < g->n; i++)
			width[depth[i]]++;
	}
	for (i = 0; i < g->n && o->stage_knobs; i++) {
		const gdfo__stage *st = &g->stages[i];
		gdfo__decision *d;
		int64_t id = st->id;

		switch (st->op) {
		case GDFO_OP_SOURCE: case GDFO_OP_AGGREGATE: case GDFO_OP_SORT: case GDFO_OP_WINDOW: case GDFO_OP_JOIN:
			if (st->stats.bytes_in <= 0)
				break;
			if (!(d = add_stage_decision(s, GDFO_DECISION_PARTITIONS, id, "partitions of ", st->name, "")))
				goto nomem;
			if (st->knobs.partitions > 0 && gdfo__space_choice_static(d, 0, 0, 1, "engine default"))
				goto nomem;
			{
				/* Masked: more tasks than a stage can sensibly schedule, or the
				 * same count on the input as the input's own or an earlier choice. */
				int32_t seen[GDFO__ARRAY_LEN(partition_grid) + GDFO__ARRAY_LEN(partition_waves)];
				size_t n_seen = 0, j;
				for (k = 0; k < GDFO__ARRAY_LEN(partition_grid) + GDFO__ARRAY_LEN(partition_waves); k++) {
					int waves = k >= GDFO__ARRAY_LEN(partition_grid);
					int64_t v = waves ? -partition_waves[k - GDFO__ARRAY_LEN(partition_grid)]
							  : (int64_t)partition_grid[k];
					int32_t np = gdfo__space_partitions(s, g, st->stats.bytes_in, v);
					int legal = waves || st->stats.bytes_in / partition_grid[k] <= GDFO__SPACE_TASKS_MAX;
					legal = legal && np != st->knobs.partitions;
					for (j = 0; j < n_seen && legal; j++)
						legal = seen[j] != np;
					if (legal)
						seen[n_seen++] = np;
					rc = gdfo__space_choice_static(d, v, 0, legal,
								       waves ? wave_labels[k - GDFO__ARRAY_LEN(partition_grid)]
									     : partition_labels[k]);
					if (rc)
						goto nomem;
				}
			}
			keep_if_useful(s);
			break;
		default:
			break;
		}
		if (st->op == GDFO_OP_JOIN && st->n_parents == 2) {
			int strat;
			if (!(d = add_stage_decision(s, GDFO_DECISION_JOIN_STRATEGY, id, "join strategy of ", st->name, "")))
				goto nomem;
			for (strat = 0; strat < GDFO_JOIN_STRATEGY_COUNT; strat++) {
				int legal = strat != st->knobs.join_strategy;
				if (legal && strat == GDFO_JOIN_BROADCAST) {
					/* gdfo_rewrite_join_strategy's condition, without its copy of
					 * the graph: a side the engine may broadcast, of a known
					 * estimated size under the bound. */
					size_t side;
					double bytes;
					legal = gdfo__join_broadcast_side(&side, g, i) == 0;
					bytes = legal ? gdfo__stage_out_bytes(&g->stages[side]) : 0;
					legal = legal && bytes > 0 && bytes <= bound;
				}
				if (gdfo__space_choice_static(d, strat, 0, legal, gdfo_join_strategy_name(strat)))
					goto nomem;
			}
			keep_if_useful(s);
		}
		if (st->op != GDFO_OP_SINK && st->n_children >= 2) {
			int lvl;
			if (!(d = add_stage_decision(s, GDFO_DECISION_CACHE, id, "cache of ", st->name, "")))
				goto nomem;
			for (lvl = 0; lvl < GDFO_CACHE_LEVEL_COUNT; lvl++) {
				static const char *const lv[] = {"none", "memory", "disk"};
				if (gdfo__space_choice_static(d, lvl, 0, lvl != st->knobs.cache, lv[lvl]))
					goto nomem;
			}
			keep_if_useful(s);
		}
		if (st->op == GDFO_OP_SINK) {
			if (!(d = add_stage_decision(s, GDFO_DECISION_FILE_SIZE, id, "file size of sink ", st->name, "")))
				goto nomem;
			for (k = 0; k < GDFO__ARRAY_LEN(file_grid); k++)
				if (gdfo__space_choice_static(d, (int64_t)file_grid[k], 0,
							      (int64_t)file_grid[k] != st->knobs.target_file_bytes,
							      file_labels[k]))
					goto nomem;
			keep_if_useful(s);
			if (!(d = add_stage_decision(s, GDFO_DECISION_COMPACTION, id, "compaction of sink ", st->name, "")))
				goto nomem;
			for (k = 0; k < GDFO__ARRAY_LEN(compaction_grid); k++) {
				int v = compaction_grid[k];
				if (gdfo__space_choice_static(d, v, 0, v != st->knobs.compaction_every, compaction_labels[k]))
					goto nomem;
			}
			keep_if_useful(s);
		}
	}
	for (i = 0; i < g->n && o->stage_priorities; i++) {
		const gdfo__stage *st = &g->stages[i];
		gdfo__decision *d;
		int v;
		if (width[depth[i]] < 2)
			continue;
		if (!(d = add_stage_decision(s, GDFO_DECISION_PRIORITY, st->id, "priority of ", st->name, "")))
			goto nomem;
		for (v = -1; v <= 1; v++)
			if (gdfo__space_choice_static(d, v, 0, v != st->knobs.priority,
						      v < 0 ? "later (-1)" : v ? "earlier (+1)" : "neutral (0)"))
				goto nomem;
		keep_if_useful(s);
	}
	rc = 0;
	goto out;
nomem:
	rc = GDFO_ENOMEM;
out:
	free(depth);
	free(width);
	return rc;
}

/* Adds v to a sorted, duplicate-free grid of at most cap values. */
static void grid_add(double *grid, size_t *n, double v)
{
	size_t i, j;
	for (i = 0; i < *n && grid[i] < v; i++)
		;
	if (i < *n && grid[i] == v)
		return;
	for (j = *n; j > i; j--)
		grid[j] = grid[j - 1];
	grid[i] = v;
	(*n)++;
}

/* The cores and memory grids' labels (powers of two), as gdfo__fmt_bytes prints the sizes. */
static const char *const core_labels[] = {"1 core", "2 cores", "4 cores", "8 cores", "16 cores"};
static const char *const memory_labels[] = {"1 GiB", "2 GiB", "4 GiB", "8 GiB", "16 GiB", "32 GiB", "64 GiB"};

static int add_resources(gdfo_space *s, const gdfo_space_options *o, const gdfo_sim_cluster *cl)
{
	const gdfo_graph *g = s->graph;
	static const double scale[] = {0.25, 0.5, 0.75, 1.5, 2, 3, 4};
	double e, cores, mem, grid[16], emax;
	size_t n = 0, k;
	gdfo__decision *d;

	gdfo__space_effective_resources(g, cl, &e, &cores, &mem);
	emax = o->max_executors > 0 ? o->max_executors
	       : g->cluster.executors_available > 0 ? g->cluster.executors_available : 4 * e;
	if (emax > 100000)
		emax = 100000;
	for (k = 0; k < GDFO__ARRAY_LEN(scale); k++) {
		double v = round(e * scale[k]);
		if (v >= 1 && v <= emax)
			grid_add(grid, &n, v);
	}
	if (emax >= 1)
		grid_add(grid, &n, emax);
	if (!(d = gdfo__space_add(s, GDFO_DECISION_EXECUTORS, -1, "executors")))
		return GDFO_ENOMEM;
	for (k = 0; k < n; k++)
		if (gdfo__space_choice(d, (int64_t)grid[k], 0, grid[k] != e, "%.0f executors", grid[k]))
			return GDFO_ENOMEM;
	keep_if_useful(s);

	if (!(d = gdfo__space_add(s, GDFO_DECISION_CORES, -1, "cores per executor")))
		return GDFO_ENOMEM;
	for (k = 0; k < GDFO__ARRAY_LEN(core_labels); k++)
		if (gdfo__space_choice_static(d, (int64_t)1 << k, 0, (double)((int64_t)1 << k) != cores, core_labels[k]))
			return GDFO_ENOMEM;
	keep_if_useful(s);

	if (!(d = gdfo__space_add(s, GDFO_DECISION_MEMORY, -1, "memory per executor")))
		return GDFO_ENOMEM;
	for (k = 0; k < GDFO__ARRAY_LEN(memory_labels); k++)
		if (gdfo__space_choice_static(d, ((int64_t)1 << k) * (int64_t)GIB, 0,
					      (double)((int64_t)1 << k) * GIB != mem, memory_labels[k]))
			return GDFO_ENOMEM;
	keep_if_useful(s);
	return 0;
}

/* The priority policy, when some stages can run side by side. */
static int add_priority_policy(gdfo_space *s)
{
	const gdfo_graph *g = s->graph;
	gdfo__decision *d;
	size_t i;
	int parallel = 0, all_zero = 1;

	for (i = 0; i < g->n; i++) {
		parallel |= g->stages[i].n_parents > 1 || g->stages[i].n_children > 1;
		all_zero &= g->stages[i].knobs.priority == 0;
	}
	if (!parallel)
		return 0; /* a single chain runs in order whatever the priorities */
	if (!(d = gdfo__space_add(s, GDFO_DECISION_PRIORITY_POLICY, -1, "stage priorities")) ||
	    gdfo__space_choice_static(d, 1, 0, 1, "critical path first") ||
	    gdfo__space_choice_static(d, 0, 0, !all_zero, "all equal (stage order)"))
		return GDFO_ENOMEM;
	return 0;
}

int gdfo__space_new(gdfo_space **out, const gdfo_graph *graph, const gdfo_sim_cluster *cl)
{
	gdfo_space *s;
	int rc;

	*out = NULL;
	if (!(s = gdfo__calloc(1, sizeof(*s))))
		return GDFO_ENOMEM;
	if ((rc = gdfo_graph_clone(&s->graph, graph))) {
		gdfo_space_free(s);
		return rc;
	}
	if (cl)
		s->cluster = *cl;
	else
		gdfo_sim_cluster_init(&s->cluster, GDFO_SIM_CLUSTER_VERSION);
	*out = s;
	return 0;
}

int gdfo_space_create(gdfo_space **out, const gdfo_graph *graph, const gdfo_space_options *opts)
{
	gdfo_space_options o;
	gdfo_sim_cluster cl;
	gdfo_space *s = NULL;
	gdfo_graph *pushed = NULL;
	double bound;
	int rc;

	if (out)
		*out = NULL;
	if (!out || !graph)
		return gdfo__error(GDFO_EINVAL, "gdfo_space_create: %s is NULL", out ? "graph" : "out");
	gdfo_space_options_init(&o, GDFO_SPACE_OPTIONS_VERSION);
	if (opts && (rc = gdfo__abi_in(&o, opts, &o, GDFO__ABI_SPACE_OPTIONS, "gdfo_space_create")))
		return rc;
	if (o.max_executors < 0 || o.max_executors > 100000)
		return gdfo__error(GDFO_EINVAL, "gdfo_space_create: max_executors %d is outside 0..100000",
				   (int)o.max_executors);
	if (!isfinite(o.broadcast_max_bytes) || o.broadcast_max_bytes < 0)
		return gdfo__error(GDFO_EINVAL, "gdfo_space_create: broadcast_max_bytes must be finite and >= 0");
	if (o.cluster) {
		gdfo_sim_cluster_init(&cl, GDFO_SIM_CLUSTER_VERSION);
		if ((rc = gdfo__abi_in(&cl, o.cluster, &cl, GDFO__ABI_SIM_CLUSTER, "gdfo_space_create")) ||
		    (rc = gdfo_sim_cluster_validate(&cl)))
			return gdfo__error_prefix(rc, "gdfo_space_create: cluster");
	} else {
		gdfo_sim_cluster_init(&cl, GDFO_SIM_CLUSTER_VERSION);
	}
	if ((rc = gdfo_graph_validate(graph)))
		return gdfo__error_prefix(rc, "gdfo_space_create");
	bound = o.broadcast_max_bytes > 0 ? o.broadcast_max_bytes : cl.broadcast_max_bytes;
	if ((rc = gdfo__space_new(&s, graph, &cl)))
		return rc;
	if (o.structural) {
		size_t first;
		if ((rc = add_push_filters(s, &pushed)))
			goto fail;
		if (o.reorder_joins && (rc = add_reorders(s)))
			goto fail;
		first = s->dim;
		if ((rc = add_fusions_of(s, s->graph, first, 0)) || (rc = add_fusions_of(s, pushed, first, 1)))
			goto fail;
	} else if (o.reorder_joins && (rc = add_reorders(s))) {
		goto fail;
	}
	if ((rc = add_stage_knobs(s, &o, bound)))
		goto fail;
	if (o.resources && (rc = add_resources(s, &o, &cl)))
		goto fail;
	if (o.priorities && (rc = add_priority_policy(s)))
		goto fail;
	s->broadcast_max_bytes = bound;
	gdfo_graph_free(pushed);
	*out = s;
	return 0;
fail:
	gdfo_graph_free(pushed);
	gdfo_space_free(s);
	return rc;
}

/* ---- reading the space ------------------------------------------------------------ */

const gdfo_graph *gdfo_space_graph(const gdfo_space *s)
{
	return s ? s->graph : NULL;
}

size_t gdfo_space_dim(const gdfo_space *s)
{
	return s ? s->dim : 0;
}

int gdfo_space_decision_at(gdfo_decision *out, const gdfo_space *s, size_t index)
{
	gdfo_decision d = {0};

	if (!out || !s)
		return gdfo__error(GDFO_EINVAL, "gdfo_space_decision_at: %s is NULL", out ? "space" : "out");
	if (index >= s->dim)
		return gdfo__error(GDFO_ERANGE, "gdfo_space_decision_at: index %zu is past the %zu decisions", index,
				   s->dim);
	d.version = GDFO_DECISION_VERSION;
	d.kind = s->d[index].kind;
	d.stage_id = s->d[index].stage_id;
	d.name = s->d[index].name;
	d.n_choices = s->d[index].n;
	d.n_legal = s->d[index].n_legal;
	return gdfo__abi_out(out, &d, GDFO__ABI_DECISION, "gdfo_space_decision_at");
}

int gdfo_space_choice(int64_t *value, const char **label, int *legal, const gdfo_space *s, size_t d, size_t c)
{
	if (!s)
		return gdfo__error(GDFO_EINVAL, "gdfo_space_choice: space is NULL");
	if (d >= s->dim || c >= s->d[d].n)
		return gdfo__error(GDFO_ERANGE, "gdfo_space_choice: %s %zu is out of range", d >= s->dim ? "decision" : "choice",
				   d >= s->dim ? d : c);
	if (value)
		*value = s->d[d].c[c].value;
	if (label)
		*label = s->d[d].c[c].label;
	if (legal)
		*legal = s->d[d].c[c].legal;
	return 0;
}

int gdfo_space_check(const gdfo_space *s, const int32_t *point, size_t n)
{
	size_t i;

	if (!s || (!point && n))
		return gdfo__error(GDFO_EINVAL, "gdfo_space_check: %s is NULL", s ? "point" : "space");
	if (n != s->dim)
		return gdfo__error(GDFO_EINVAL, "point has %zu entries, the space %zu decisions", n, s->dim);
	for (i = 0; i < n; i++) {
		if (point[i] < 0 || (size_t)point[i] >= s->d[i].n)
			return gdfo__error(GDFO_EINVAL, "point[%zu] = %d: decision '%s' has choices 0..%zu", i,
					   (int)point[i], s->d[i].name, s->d[i].n - 1);
		if (!s->d[i].c[point[i]].legal)
			return gdfo__error(GDFO_EINVAL, "point[%zu] = %d: choice '%s' of decision '%s' is masked", i,
					   (int)point[i], s->d[i].c[point[i]].label, s->d[i].name);
	}
	return 0;
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int gdfo_space_sample(int32_t *point, size_t n, const gdfo_space *s, uint64_t *rng)
{
	size_t i, c, pick;

	if (!point || !s || !rng)
		return gdfo__error(GDFO_EINVAL, "gdfo_space_sample: %s is NULL", !point ? "point" : !s ? "space" : "rng");
	if (n != s->dim)
		return gdfo__error(GDFO_EINVAL, "gdfo_space_sample: point has %zu entries, the space %zu decisions", n,
				   s->dim);
	for (i = 0; i < n; i++) {
		/* Unbiased enough: n_legal is tiny against 2^64. */
		pick = (size_t)(splitmix(rng) % s->d[i].n_legal);
		for (c = 0; c < s->d[i].n; c++)
			if (s->d[i].c[c].legal && pick-- == 0)
				break;
		point[i] = (int32_t)c;
	}
	return 0;
}

/*
 * Position of choice c on its decision's scale: log of the value for grids,
 * keep placed at the input's own value. Steps and flags are their value.
 */
double gdfo__choice_position(const gdfo_space *s, const gdfo__decision *d, size_t c)
{
	const gdfo_graph *g = s->graph;
	const gdfo__stage *st = d->stage_id >= 0 ? &g->stages[gdfo__graph_index(g, d->stage_id)] : NULL;
	double e, cores, mem, v = (double)d->c[c].value;

	switch (d->kind) {
	case GDFO_DECISION_PARTITIONS:
		if (v < 0) {
			gdfo__space_effective_resources(g, &s->cluster, &e, &cores, &mem);
			v = st->stats.bytes_in / (-v * e * cores);
		} else if (c == 0 || v == 0) {
			/* Bytes per partition the stage runs with now. */
			double p = c == 0 && st->knobs.partitions > 0 ? st->knobs.partitions
				   : st->op == GDFO_OP_SOURCE ? ceil(st->stats.bytes_in / s->cluster.split_bytes)
							      : s->cluster.shuffle_partitions;
			v = st->stats.bytes_in / (p > 0 ? p : 1);
		}
		return log(v > 1 ? v : 1);
	case GDFO_DECISION_FILE_SIZE:
		if (c == 0)
			v = st->knobs.target_file_bytes > 0 ? (double)st->knobs.target_file_bytes : 128 * MIB;
		return log(v);
	case GDFO_DECISION_COMPACTION:
		/* never (0) sits past every cadence */
		if (c == 0)
			v = st->knobs.compaction_every;
		return v > 0 ? log(v) : 1e9;
	case GDFO_DECISION_PRIORITY:
		return c == 0 ? fmax(-1.5, fmin(1.5, (double)st->knobs.priority)) : v;
	case GDFO_DECISION_EXECUTORS: case GDFO_DECISION_CORES: case GDFO_DECISION_MEMORY:
		gdfo__space_effective_resources(g, &s->cluster, &e, &cores, &mem);
		if (c == 0)
			v = d->kind == GDFO_DECISION_EXECUTORS ? e : d->kind == GDFO_DECISION_CORES ? cores : mem;
		return log(v);
	default:
		return v;
	}
}

int gdfo_space_neighbours(int32_t *out, size_t capacity, size_t *count, const gdfo_space *s, const int32_t *point,
			  size_t n)
{
	size_t i, c, found = 0;
	int rc;

	if (!count || !s || !point || (!out && capacity))
		return gdfo__error(GDFO_EINVAL, "gdfo_space_neighbours: %s is NULL",
				   !count ? "count" : !s ? "space" : !point ? "point" : "out");
	*count = 0;
	if ((rc = gdfo_space_check(s, point, n)))
		return gdfo__error_prefix(rc, "gdfo_space_neighbours");
	for (i = 0; i < n; i++) {
		const gdfo__decision *d = &s->d[i];
		size_t cur = (size_t)point[i], lo = (size_t)-1, hi = (size_t)-1;
		double pc = gdfo__choice_position(s, d, cur), plo = -INFINITY, phi = INFINITY;

		for (c = 0; c < d->n; c++) {
			double p;
			if (c == cur || !d->c[c].legal)
				continue;
			if (gdfo__decision_is_categorical(d->kind)) {
				if (found < capacity) {
					memcpy(out + found * n, point, n * sizeof(*point));
					out[found * n + i] = (int32_t)c;
				}
				found++;
				continue;
			}
			p = gdfo__choice_position(s, d, c);
			/* Ties (keep at a grid value) order by index, so each side has one nearest. */
			if ((p < pc || (p == pc && c < cur)) && (p > plo || (p == plo && c > lo))) {
				plo = p;
				lo = c;
			}
			if ((p > pc || (p == pc && c > cur)) && (p < phi || (p == phi && c < hi))) {
				phi = p;
				hi = c;
			}
		}
		if (lo != (size_t)-1) {
			if (found < capacity) {
				memcpy(out + found * n, point, n * sizeof(*point));
				out[found * n + i] = (int32_t)lo;
			}
			found++;
		}
		if (hi != (size_t)-1) {
			if (found < capacity) {
				memcpy(out + found * n, point, n * sizeof(*point));
				out[found * n + i] = (int32_t)hi;
			}
			found++;
		}
	}
	*count = found;
	return 0;
}
