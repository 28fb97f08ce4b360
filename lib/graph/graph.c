/*
 * Pipeline graphs: construction, validation, topological order and the
 * shape fingerprint.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph_internal.h"

static const char *const op_names[GDFO_OP_COUNT] = {
	"source", "filter", "project", "join", "aggregate",
	"sort", "window", "union", "udf", "sink",
};
static const char *const strategy_names[GDFO_JOIN_STRATEGY_COUNT] = {
	"auto", "broadcast", "shuffle_hash", "sort_merge",
};
static const char *const join_type_names[GDFO_JOIN_TYPE_COUNT] = {
	"inner", "left", "right", "full", "semi", "anti",
};
static const char *const cache_names[GDFO_CACHE_LEVEL_COUNT] = {
	"none", "memory", "disk",
};

const char *gdfo_op_name(int op)
{
	return op >= 0 && op < GDFO_OP_COUNT ? op_names[op] : NULL;
}

const char *gdfo_join_strategy_name(int s)
{
	return s >= 0 && s < GDFO_JOIN_STRATEGY_COUNT ? strategy_names[s] : NULL;
}

const char *gdfo_join_type_name(int t)
{
	return t >= 0 && t < GDFO_JOIN_TYPE_COUNT ? join_type_names[t] : NULL;
}

const char *gdfo_cache_level_name(int c)
{
	return c >= 0 && c < GDFO_CACHE_LEVEL_COUNT ? cache_names[c] : NULL;
}

int gdfo_stage_init(gdfo_stage *stage, unsigned int version)
{
	if (!stage)
		return gdfo__error(GDFO_EINVAL, "stage is NULL");
	if (version != GDFO_STAGE_VERSION)
		return gdfo__error(GDFO_EVERSION, "gdfo_stage version %u is not supported (this library knows %d)",
				   version, GDFO_STAGE_VERSION);
	memset(stage, 0, sizeof(*stage));
	stage->version = version;
	stage->op = GDFO_OP_SOURCE;
	stage->stats.selectivity = 1.0;
	stage->stats.skew = 1.0;
	return 0;
}

/* ---- the id index ------------------------------------------------------ */

static size_t hash_id(int64_t id)
{
	uint64_t x = (uint64_t)id;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

static int index_rebuild(gdfo_graph *g, size_t want)
{
	size_t cap = 16, i;
	size_t *slots;

	while (cap < 2 * want + 2)
		cap *= 2;
	slots = gdfo__calloc(cap, sizeof(*slots));
	if (!slots)
		return GDFO_ENOMEM;
	for (i = 0; i < g->n; i++) {
		size_t h = hash_id(g->stages[i].id) & (cap - 1);
		while (slots[h])
			h = (h + 1) & (cap - 1);
		slots[h] = i + 1;
	}
	free(g->slots);
	g->slots = slots;
	g->slot_cap = cap;
	return 0;
}

size_t gdfo__graph_index(const gdfo_graph *g, int64_t id)
{
	size_t h;

	if (!g->slot_cap)
		return (size_t)-1;
	h = hash_id(id) & (g->slot_cap - 1);
	while (g->slots[h]) {
		if (g->stages[g->slots[h] - 1].id == id)
			return g->slots[h] - 1;
		h = (h + 1) & (g->slot_cap - 1);
	}
	return (size_t)-1;
}

/* ---- create, free, clone ----------------------------------------------- */

static int check_name(const char *name, const char *what)
{
	size_t n = strlen(name);
	if (n == 0)
		return gdfo__error(GDFO_EINVAL, "%s name is empty", what);
	if (n > GDFO__NAME_MAX)
		return gdfo__error(GDFO_EINVAL, "%s name is %zu bytes long; the limit is %d",
				   what, n, GDFO__NAME_MAX);
	return 0;
}

int gdfo_graph_create(gdfo_graph **out, const char *name)
{
	gdfo_graph *g;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_create: out is NULL");
	*out = NULL;
	if (!name)
		name = "pipeline";
	if (check_name(name, "pipeline"))
		return GDFO_EINVAL;
	g = gdfo__calloc(1, sizeof(*g));
	if (!g)
		return GDFO_ENOMEM;
	g->name = gdfo__strdup(name);
	if (!g->name) {
		free(g);
		return GDFO_ENOMEM;
	}
	*out = g;
	return 0;
}

static void free_strlist(char **items, size_t n)
{
	size_t i;
	if (!items)
		return; /* a copy that failed: nothing was kept */
	for (i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

static void stage_release(gdfo__stage *s)
{
	free(s->name);
	free_strlist(s->cols_read, s->n_read);
	free_strlist(s->cols_written, s->n_written);
	free(s->parents);
	free(s->children);
}

void gdfo_graph_free(gdfo_graph *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; i < g->n; i++)
		stage_release(&g->stages[i]);
	free(g->stages);
	free(g->slots);
	free(g->name);
	free(g);
}

static char **copy_strlist(const char *const *src, size_t n)
{
	char **dst;
	size_t i;

	if (n == 0)
		return NULL;
	dst = gdfo__calloc(n, sizeof(*dst));
	if (!dst)
		return NULL;
	for (i = 0; i < n; i++) {
		dst[i] = gdfo__strdup(src[i]);
		if (!dst[i]) {
			free_strlist(dst, i);
			return NULL;
		}
	}
	return dst;
}

static size_t *copy_indices(const size_t *src, size_t n)
{
	size_t *dst;
	if (n == 0)
		return NULL;
	dst = gdfo__malloc(n * sizeof(*dst));
	if (dst)
		memcpy(dst, src, n * sizeof(*dst));
	return dst;
}

int gdfo_graph_clone(gdfo_graph **out, const gdfo_graph *g)
{
	gdfo_graph *c;
	size_t i;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_clone: out is NULL");
	*out = NULL;
	if (!g)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_clone: graph is NULL");
	if (gdfo_graph_create(&c, g->name))
		return GDFO_ENOMEM;
	c->knobs = g->knobs;
	c->cluster = g->cluster;
	if (g->n) {
		c->stages = gdfo__calloc(g->n, sizeof(*c->stages));
		if (!c->stages)
			goto oom;
		c->cap = g->n;
	}
	for (i = 0; i < g->n; i++) {
		const gdfo__stage *s = &g->stages[i];
		gdfo__stage *d = &c->stages[i];
		*d = *s;
		d->name = NULL;
		d->cols_read = d->cols_written = NULL;
		d->parents = d->children = NULL;
		d->n_read = d->n_written = 0;
		d->n_parents = d->n_children = d->cap_parents = d->cap_children = 0;
		c->n = i + 1;
		if (!(d->name = gdfo__strdup(s->name)))
			goto oom;
		if (s->n_read && !(d->cols_read = copy_strlist((const char *const *)s->cols_read, s->n_read)))
			goto oom;
		d->n_read = s->n_read;
		if (s->n_written &&
		    !(d->cols_written = copy_strlist((const char *const *)s->cols_written, s->n_written)))
			goto oom;
		d->n_written = s->n_written;
		if (s->n_parents && !(d->parents = copy_indices(s->parents, s->n_parents)))
			goto oom;
		d->n_parents = d->cap_parents = s->n_parents;
		if (s->n_children && !(d->children = copy_indices(s->children, s->n_children)))
			goto oom;
		d->n_children = d->cap_children = s->n_children;
	}
	if (index_rebuild(c, c->n))
		goto oom;
	*out = c;
	return 0;
oom:
	gdfo_graph_free(c);
	return gdfo__error(GDFO_ENOMEM, "out of memory cloning pipeline '%s'", g->name);
}

const char *gdfo_graph_name(const gdfo_graph *g)
{
	return g ? g->name : NULL;
}

/* ---- stages ------------------------------------------------------------- */

static int check_stat(const gdfo_stage *s, const char *field, double v)
{
	if (!isfinite(v))
		return gdfo__error(GDFO_EINVAL, "stage %lld '%s': stats.%s is not a finite number",
				   (long long)s->id, s->name, field);
	if (v < 0)
		return gdfo__error(GDFO_EINVAL, "stage %lld '%s': stats.%s is %g; it must be >= 0",
				   (long long)s->id, s->name, field, v);
	return 0;
}

static int check_columns(const gdfo_stage *s, const char *field, const char *const *cols, size_t n)
{
	size_t i;
	if (n && !cols)
		return gdfo__error(GDFO_EINVAL, "stage %lld '%s': %s is NULL but its count is %zu",
				   (long long)s->id, s->name, field, n);
	for (i = 0; i < n; i++) {
		if (!cols[i] || !cols[i][0])
			return gdfo__error(GDFO_EINVAL, "stage %lld '%s': %s[%zu] is empty",
					   (long long)s->id, s->name, field, i);
		if (strlen(cols[i]) > GDFO__NAME_MAX)
			return gdfo__error(GDFO_EINVAL, "stage %lld '%s': %s[%zu] is longer than %d bytes",
					   (long long)s->id, s->name, field, i, GDFO__NAME_MAX);
	}
	return 0;
}

int gdfo__graph_check_stage(const gdfo_stage *s)
{
	const gdfo_stage_knobs *k = &s->knobs;
	long long id = (long long)s->id;

	if (s->version != GDFO_STAGE_VERSION)
		return gdfo__error(GDFO_EVERSION, "gdfo_stage version %u is not supported (this library knows %d); call gdfo_stage_init",
				   s->version, GDFO_STAGE_VERSION);
	if (s->id < 0)
		return gdfo__error(GDFO_EINVAL, "stage id %lld is negative", id);
	if (!s->name)
		return gdfo__error(GDFO_EINVAL, "stage %lld has no name", id);
	if (check_name(s->name, "stage"))
		return gdfo__error_prefix(GDFO_EINVAL, "stage %lld", id);
	if (s->op < 0 || s->op >= GDFO_OP_COUNT)
		return gdfo__error(GDFO_EINVAL, "stage %lld '%s': op %d is not an operator kind",
				   id, s->name, s->op);
	if (s->join_type < 0 || s->join_type >= GDFO_JOIN_TYPE_COUNT)
		return gdfo__error(GDFO_EINVAL, "stage %lld '%s': join_type %d is not a join type",
				   id, s->name, s->join_type);
	if (s->fused_ops >> GDFO_OP_COUNT)
		return gdfo__error(GDFO_EINVAL, "stage %lld '%s': fused_ops 0x%x names unknown operators",
				   id, s->name, s->fused_ops);
	if (check_stat(s, "rows_in", s->stats.rows_in) || check_stat(s, "bytes_in", s->stats.bytes_in) ||
	    check_stat(s, "selectivity", s->stats.selectivity) ||
	    check_stat(s, "key_cardinality", s->stats.key_cardinality) ||
	    check_stat(s, "skew", s->stats.skew) ||
	    check_stat(s, "cpu_ns_per_row", s->stats.cpu_ns_per_row))
		return GDFO_EINVAL;
	if (s->stats.skew < 1.0)
		return gdfo__error(GDFO_EINVAL, "stage %lld '%s': stats.skew is %g; it is largest/mean partition and must be >= 1",
				   id, s->name, s->stats.skew);
	if (k->partitions < 0 || k->partitions > GDFO_PARTITIONS_MAX)
		return gdfo__error(GDFO_EINVAL, "stage %lld '%s': knobs.partitions is %d; allowed 0 (default) to %d",
				   id, s->name, k->partitions, GDFO_PARTITIONS_MAX);
	if (k->join_strategy < 0 || k->join_strategy >= GDFO_JOIN_STRATEGY_COUNT)
		return gdfo__error(GDFO_EINVAL, "stage %lld '%s': knobs.join_strategy %d is not a join strategy",
				   id, s->name, k->join_strategy);
	if (k->join_strategy != GDFO_JOIN_AUTO && s->op != GDFO_OP_JOIN)
		return gdfo__error(GDFO_EINVAL, "stage %lld '%s': knobs.join_strategy is set on a %s stage; only joins have one",
				   id, s->name, op_names[s->op]);
	if (k->cache < 0 || k->cache >= GDFO_CACHE_LEVEL_COUNT)
		return gdfo__error(GDFO_EINVAL, "stage %lld '%s': knobs.cache %d is not a cache level",
				   id, s->name, k->cache);
	if (k->priority < -GDFO_PRIORITY_MAX || k->priority > GDFO_PRIORITY_MAX)
		return gdfo__error(GDFO_EINVAL, "stage %lld '%s': knobs.priority %d is outside +-%d",
				   id, s->name, k->priority, GDFO_PRIORITY_MAX);
	if (k->target_file_bytes != 0 && (k->target_file_bytes < (1 << 20) || k->target_file_bytes > (1LL << 50)))
		return gdfo__error(GDFO_EINVAL, "stage %lld '%s': knobs.target_file_bytes is %lld; allowed 0 (default) or 1 MiB to 1 PiB",
				   id, s->name, (long long)k->target_file_bytes);
	if (k->compaction_every < 0 || k->compaction_every > GDFO_COMPACTION_MAX)
		return gdfo__error(GDFO_EINVAL, "stage %lld '%s': knobs.compaction_every is %d; allowed 0 (never) to %d",
				   id, s->name, k->compaction_every, GDFO_COMPACTION_MAX);
	if ((k->target_file_bytes || k->compaction_every) && s->op != GDFO_OP_SINK)
		return gdfo__error(GDFO_EINVAL, "stage %lld '%s': file sizing knobs are set on a %s stage; only sinks have them",
				   id, s->name, op_names[s->op]);
	if (k->reserved)
		return gdfo__error(GDFO_EINVAL, "stage %lld '%s': knobs.reserved must be 0", id, s->name);
	if (check_columns(s, "columns_read", s->columns_read, s->n_columns_read) ||
	    check_columns(s, "columns_written", s->columns_written, s->n_columns_written))
		return GDFO_EINVAL;
	return 0;
}

/* Fills d's own fields (not edges) from s; d's old fields are released on success. */
static int stage_assign(gdfo__stage *d, const gdfo_stage *s)
{
	char *name = gdfo__strdup(s->name);
	char **rd = NULL, **wr = NULL;

	if (!name)
		return GDFO_ENOMEM;
	if (s->n_columns_read && !(rd = copy_strlist(s->columns_read, s->n_columns_read)))
		goto oom;
	if (s->n_columns_written && !(wr = copy_strlist(s->columns_written, s->n_columns_written)))
		goto oom;
	free(d->name);
	free_strlist(d->cols_read, d->n_read);
	free_strlist(d->cols_written, d->n_written);
	d->id = s->id;
	d->name = name;
	d->op = s->op;
	d->join_type = s->join_type;
	d->fused_ops = s->fused_ops;
	d->stats = s->stats;
	d->knobs = s->knobs;
	d->cols_read = rd;
	d->n_read = s->n_columns_read;
	d->cols_written = wr;
	d->n_written = s->n_columns_written;
	return 0;
oom:
	free(name);
	free_strlist(rd, s->n_columns_read);
	return GDFO_ENOMEM;
}

int gdfo_graph_add_stage(gdfo_graph *g, const gdfo_stage *s)
{
	void *stages;
	int rc;

	if (!g || !s)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_add_stage: %s is NULL", g ? "stage" : "graph");
	if ((rc = gdfo__graph_check_stage(s)))
		return rc;
	if (gdfo__graph_index(g, s->id) != (size_t)-1)
		return gdfo__error(GDFO_EEXISTS, "stage id %lld ('%s') is used twice in pipeline '%s'",
				   (long long)s->id, s->name, g->name);
	stages = g->stages;
	if (gdfo__grow(&stages, &g->cap, g->n + 1, sizeof(*g->stages)))
		return GDFO_ENOMEM;
	g->stages = stages;
	memset(&g->stages[g->n], 0, sizeof(g->stages[0]));
	if (stage_assign(&g->stages[g->n], s))
		return GDFO_ENOMEM;
	if (2 * (g->n + 1) + 2 > g->slot_cap) {
		g->n++;
		if (index_rebuild(g, g->n)) {
			g->n--;
			stage_release(&g->stages[g->n]);
			return GDFO_ENOMEM;
		}
	} else {
		size_t h = hash_id(s->id) & (g->slot_cap - 1);
		while (g->slots[h])
			h = (h + 1) & (g->slot_cap - 1);
		g->slots[h] = g->n + 1;
		g->n++;
	}
	return 0;
}

int gdfo_graph_update_stage(gdfo_graph *g, const gdfo_stage *s)
{
	size_t i;
	int rc;

	if (!g || !s)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_update_stage: %s is NULL", g ? "stage" : "graph");
	if ((rc = gdfo__graph_check_stage(s)))
		return rc;
	i = gdfo__graph_index(g, s->id);
	if (i == (size_t)-1)
		return gdfo__error(GDFO_ENOTFOUND, "pipeline '%s' has no stage %lld", g->name,
				   (long long)s->id);
	return stage_assign(&g->stages[i], s);
}

size_t gdfo_graph_stage_count(const gdfo_graph *g)
{
	return g ? g->n : 0;
}

int gdfo_graph_stage_at(const gdfo_graph *g, size_t index, gdfo_stage *out)
{
	const gdfo__stage *s;

	if (!g || !out)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_stage_at: %s is NULL", g ? "out" : "graph");
	if (index >= g->n)
		return gdfo__error(GDFO_ERANGE, "stage index %zu is out of range (pipeline '%s' has %zu stages)",
				   index, g->name, g->n);
	s = &g->stages[index];
	memset(out, 0, sizeof(*out));
	out->version = GDFO_STAGE_VERSION;
	out->id = s->id;
	out->name = s->name;
	out->op = s->op;
	out->join_type = s->join_type;
	out->fused_ops = s->fused_ops;
	out->stats = s->stats;
	out->knobs = s->knobs;
	out->columns_read = (const char *const *)s->cols_read;
	out->n_columns_read = s->n_read;
	out->columns_written = (const char *const *)s->cols_written;
	out->n_columns_written = s->n_written;
	return 0;
}

int gdfo_graph_find(size_t *out, const gdfo_graph *g, int64_t id)
{
	size_t i;

	if (!out || !g)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_find: %s is NULL", g ? "out" : "graph");
	*out = 0;
	i = gdfo__graph_index(g, id);
	if (i == (size_t)-1)
		return gdfo__error(GDFO_ENOTFOUND, "pipeline '%s' has no stage %lld", g->name, (long long)id);
	*out = i;
	return 0;
}

static int neighbours(const size_t **out, size_t *count, const gdfo_graph *g, size_t index, int parents)
{
	if (!out || !count || !g)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_%s: a pointer argument is NULL",
				   parents ? "parents" : "children");
	*out = NULL;
	*count = 0;
	if (index >= g->n)
		return gdfo__error(GDFO_ERANGE, "stage index %zu is out of range (pipeline '%s' has %zu stages)",
				   index, g->name, g->n);
	*out = parents ? g->stages[index].parents : g->stages[index].children;
	*count = parents ? g->stages[index].n_parents : g->stages[index].n_children;
	return 0;
}

int gdfo_graph_parents(const size_t **out, size_t *count, const gdfo_graph *g, size_t index)
{
	return neighbours(out, count, g, index, 1);
}

int gdfo_graph_children(const size_t **out, size_t *count, const gdfo_graph *g, size_t index)
{
	return neighbours(out, count, g, index, 0);
}

/* ---- edges -------------------------------------------------------------- */

static int push_index(size_t **items, size_t *n, size_t *cap, size_t v)
{
	void *p = *items;
	if (gdfo__grow(&p, cap, *n + 1, sizeof(size_t)))
		return GDFO_ENOMEM;
	*items = p;
	(*items)[(*n)++] = v;
	return 0;
}

int gdfo__graph_link(gdfo_graph *g, size_t parent, size_t child)
{
	gdfo__stage *p = &g->stages[parent], *c = &g->stages[child];
	size_t i;

	for (i = 0; i < c->n_parents; i++)
		if (c->parents[i] == parent)
			return gdfo__error(GDFO_EEXISTS, "stage %lld '%s' lists parent %lld twice",
					   (long long)c->id, c->name, (long long)p->id);
	if (push_index(&c->parents, &c->n_parents, &c->cap_parents, parent))
		return GDFO_ENOMEM;
	if (push_index(&p->children, &p->n_children, &p->cap_children, child)) {
		c->n_parents--;
		return GDFO_ENOMEM;
	}
	return 0;
}

static void remove_value(size_t *items, size_t *n, size_t v)
{
	size_t i, j = 0;
	for (i = 0; i < *n; i++)
		if (items[i] != v)
			items[j++] = items[i];
	*n = j;
}

void gdfo__graph_unlink(gdfo_graph *g, size_t parent, size_t child)
{
	remove_value(g->stages[child].parents, &g->stages[child].n_parents, parent);
	remove_value(g->stages[parent].children, &g->stages[parent].n_children, child);
}

void gdfo__graph_remove(gdfo_graph *g, size_t index)
{
	size_t i, k;

	while (g->stages[index].n_parents)
		gdfo__graph_unlink(g, g->stages[index].parents[0], index);
	while (g->stages[index].n_children)
		gdfo__graph_unlink(g, index, g->stages[index].children[0]);
	stage_release(&g->stages[index]);
	memmove(&g->stages[index], &g->stages[index + 1], (g->n - index - 1) * sizeof(g->stages[0]));
	g->n--;
	for (i = 0; i < g->n; i++) {
		gdfo__stage *s = &g->stages[i];
		for (k = 0; k < s->n_parents; k++)
			if (s->parents[k] > index)
				s->parents[k]--;
		for (k = 0; k < s->n_children; k++)
			if (s->children[k] > index)
				s->children[k]--;
	}
	/* Shrinking never needs more slots, so the rebuild cannot fail for lack
	 * of a larger table; on ENOMEM keep the old table, rebuilt in place. */
	if (index_rebuild(g, g->n)) {
		memset(g->slots, 0, g->slot_cap * sizeof(*g->slots));
		for (i = 0; i < g->n; i++) {
			size_t h = hash_id(g->stages[i].id) & (g->slot_cap - 1);
			while (g->slots[h])
				h = (h + 1) & (g->slot_cap - 1);
			g->slots[h] = i + 1;
		}
	}
}

/* 1 when target is reachable from start following child edges. */
static int reaches(const gdfo_graph *g, size_t start, size_t target, int *rc)
{
	size_t *stack, top = 0, i;
	unsigned char *seen;
	int found = 0;

	*rc = 0;
	stack = gdfo__malloc(g->n * sizeof(*stack));
	seen = gdfo__calloc(g->n, 1);
	if (!stack || !seen) {
		free(stack);
		free(seen);
		*rc = GDFO_ENOMEM;
		return 0;
	}
	stack[top++] = start;
	seen[start] = 1;
	while (top && !found) {
		size_t v = stack[--top];
		if (v == target) {
			found = 1;
			break;
		}
		for (i = 0; i < g->stages[v].n_children; i++) {
			size_t c = g->stages[v].children[i];
			if (!seen[c]) {
				seen[c] = 1;
				stack[top++] = c;
			}
		}
	}
	free(stack);
	free(seen);
	return found;
}

int gdfo_graph_add_edge(gdfo_graph *g, int64_t parent_id, int64_t child_id)
{
	size_t p, c;
	int rc;

	if (!g)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_add_edge: graph is NULL");
	p = gdfo__graph_index(g, parent_id);
	c = gdfo__graph_index(g, child_id);
	if (c == (size_t)-1)
		return gdfo__error(GDFO_ENOTFOUND, "edge %lld -> %lld: pipeline '%s' has no stage %lld",
				   (long long)parent_id, (long long)child_id, g->name, (long long)child_id);
	if (p == (size_t)-1)
		return gdfo__error(GDFO_ENOTFOUND, "stage %lld '%s' lists parent %lld, which does not exist",
				   (long long)child_id, g->stages[c].name, (long long)parent_id);
	if (p == c)
		return gdfo__error(GDFO_EINVAL, "stage %lld '%s' lists itself as a parent",
				   (long long)child_id, g->stages[c].name);
	if (reaches(g, c, p, &rc))
		return gdfo__error(GDFO_ECYCLE, "edge %lld -> %lld would close a cycle through stage %lld '%s'",
				   (long long)parent_id, (long long)child_id, (long long)child_id,
				   g->stages[c].name);
	if (rc)
		return rc;
	return gdfo__graph_link(g, p, c);
}

/* ---- graph-level knobs and cluster ---------------------------------------- */

int gdfo_graph_get_knobs(gdfo_graph_knobs *out, const gdfo_graph *g)
{
	if (!out || !g)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_get_knobs: %s is NULL", g ? "out" : "graph");
	*out = g->knobs;
	return 0;
}

static int check_knobs(const gdfo_graph_knobs *k)
{
	if (k->executors < 0 || k->executors > 100000)
		return gdfo__error(GDFO_EINVAL, "knobs.executors is %d; allowed 0 (default) to 100000", k->executors);
	if (k->cores_per_executor < 0 || k->cores_per_executor > 1024)
		return gdfo__error(GDFO_EINVAL, "knobs.cores_per_executor is %d; allowed 0 (default) to 1024",
				   k->cores_per_executor);
	if (k->memory_per_executor_bytes != 0 &&
	    (k->memory_per_executor_bytes < (64LL << 20) || k->memory_per_executor_bytes > (1LL << 44)))
		return gdfo__error(GDFO_EINVAL, "knobs.memory_per_executor_bytes is %lld; allowed 0 (default) or 64 MiB to 16 TiB",
				   (long long)k->memory_per_executor_bytes);
	return 0;
}

int gdfo_graph_set_knobs(gdfo_graph *g, const gdfo_graph_knobs *k)
{
	if (!g || !k)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_set_knobs: %s is NULL", g ? "knobs" : "graph");
	if (check_knobs(k))
		return gdfo__error_prefix(GDFO_EINVAL, "pipeline '%s'", g->name);
	g->knobs = *k;
	return 0;
}

int gdfo_graph_get_cluster(gdfo_cluster *out, const gdfo_graph *g)
{
	if (!out || !g)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_get_cluster: %s is NULL", g ? "out" : "graph");
	*out = g->cluster;
	return 0;
}

static int check_cluster(const gdfo_cluster *c)
{
	if (c->executors_available < 0 || c->executors_available > 100000)
		return gdfo__error(GDFO_EINVAL, "cluster.executors_available is %d; allowed 0 (unknown) to 100000",
				   c->executors_available);
	if (c->reserved)
		return gdfo__error(GDFO_EINVAL, "cluster.reserved must be 0");
	if (!isfinite(c->price_per_executor_s) || c->price_per_executor_s < 0)
		return gdfo__error(GDFO_EINVAL, "cluster.price_per_executor_s is %g; it must be finite and >= 0",
				   c->price_per_executor_s);
	if (!isfinite(c->slo_ms) || c->slo_ms < 0)
		return gdfo__error(GDFO_EINVAL, "cluster.slo_ms is %g; it must be finite and >= 0", c->slo_ms);
	return 0;
}

int gdfo_graph_set_cluster(gdfo_graph *g, const gdfo_cluster *c)
{
	if (!g || !c)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_set_cluster: %s is NULL", g ? "cluster" : "graph");
	if (check_cluster(c))
		return gdfo__error_prefix(GDFO_EINVAL, "pipeline '%s'", g->name);
	g->cluster = *c;
	return 0;
}

/* ---- order, validation, fingerprint --------------------------------------- */

/*
 * Kahn's algorithm with a min-heap on insertion index so the order is
 * deterministic. On a cycle returns GDFO_ECYCLE naming a stage on it.
 */
static void heap_push(size_t *h, size_t *n, size_t v)
{
	size_t i = (*n)++;
	while (i > 0 && h[(i - 1) / 2] > v) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = v;
}

static size_t heap_pop(size_t *h, size_t *n)
{
	size_t top = h[0], last = h[--(*n)], i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1] < h[c])
			c++;
		if (last <= h[c])
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = last;
	return top;
}

int gdfo_graph_topo_order(const gdfo_graph *g, size_t *order)
{
	size_t *indeg, *heap, nheap = 0, done = 0, i, k;

	if (!g || !order)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_topo_order: %s is NULL", g ? "order" : "graph");
	if (g->n == 0)
		return 0;
	indeg = gdfo__malloc(g->n * sizeof(*indeg));
	heap = gdfo__malloc(g->n * sizeof(*heap));
	if (!indeg || !heap) {
		free(indeg);
		free(heap);
		return GDFO_ENOMEM;
	}
	for (i = 0; i < g->n; i++) {
		indeg[i] = g->stages[i].n_parents;
		if (!indeg[i])
			heap_push(heap, &nheap, i);
	}
	while (nheap) {
		size_t v = heap_pop(heap, &nheap);
		order[done++] = v;
		for (k = 0; k < g->stages[v].n_children; k++) {
			size_t c = g->stages[v].children[k];
			if (--indeg[c] == 0)
				heap_push(heap, &nheap, c);
		}
	}
	if (done < g->n) {
		for (i = 0; i < g->n && indeg[i] == 0; i++)
			;
		free(indeg);
		free(heap);
		return gdfo__error(GDFO_ECYCLE, "pipeline '%s' has a cycle through stage %lld '%s'",
				   g->name, (long long)g->stages[i].id, g->stages[i].name);
	}
	free(indeg);
	free(heap);
	return 0;
}

int gdfo_graph_validate(const gdfo_graph *g)
{
	size_t i, *order;
	int rc;

	if (!g)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_validate: graph is NULL");
	if (g->n == 0)
		return gdfo__error(GDFO_EINVAL, "pipeline '%s' has no stages", g->name);
	if (check_knobs(&g->knobs) || check_cluster(&g->cluster))
		return gdfo__error_prefix(GDFO_EINVAL, "pipeline '%s'", g->name);
	for (i = 0; i < g->n; i++) {
		gdfo_stage view;
		const gdfo__stage *s = &g->stages[i];
		gdfo_graph_stage_at(g, i, &view);
		if ((rc = gdfo__graph_check_stage(&view)))
			return rc;
		if (s->op == GDFO_OP_SOURCE && s->n_parents)
			return gdfo__error(GDFO_EINVAL, "stage %lld '%s' is a source but has %zu parent(s)",
					   (long long)s->id, s->name, s->n_parents);
		if (s->op != GDFO_OP_SOURCE && !s->n_parents)
			return gdfo__error(GDFO_EINVAL, "stage %lld '%s' is a %s with no parents; only sources may have none",
					   (long long)s->id, s->name, op_names[s->op]);
		if (s->op == GDFO_OP_JOIN && s->n_parents < 2)
			return gdfo__error(GDFO_EINVAL, "stage %lld '%s' is a join with %zu parent; a join needs at least 2",
					   (long long)s->id, s->name, s->n_parents);
	}
	order = gdfo__malloc(g->n * sizeof(*order));
	if (!order)
		return GDFO_ENOMEM;
	rc = gdfo_graph_topo_order(g, order);
	free(order);
	return rc;
}

static uint64_t mix64(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return h;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	uint64_t f = 0xcbf29ce484222325ULL;
	for (; *s; s++) {
		f ^= (unsigned char)*s;
		f *= 0x100000001b3ULL;
	}
	return mix64(h, f);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int gdfo_graph_fingerprint(uint64_t *out, const gdfo_graph *g)
{
	size_t *order, i, k;
	uint64_t *h, fp = 0x6764666f00000001ULL; /* "gdfo", format 1 */
	int rc;

	if (!out || !g)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_fingerprint: %s is NULL", g ? "out" : "graph");
	*out = 0;
	order = gdfo__malloc((g->n ? g->n : 1) * sizeof(*order));
	h = gdfo__malloc((g->n ? g->n : 1) * sizeof(*h));
	if (!order || !h) {
		free(order);
		free(h);
		return GDFO_ENOMEM;
	}
	if ((rc = gdfo_graph_topo_order(g, order))) {
		free(order);
		free(h);
		return rc;
	}
	/* A Merkle hash: each stage's hash covers its own shape and, in
	 * order, its parents' hashes, so ids and insertion order drop out. */
	for (i = 0; i < g->n; i++) {
		const gdfo__stage *s = &g->stages[order[i]];
		uint64_t x = mix64(0, (uint64_t)s->op);
		x = mix64(x, s->op == GDFO_OP_JOIN ? (uint64_t)s->join_type : 0);
		x = hash_str(x, s->name);
		for (k = 0; k < s->n_parents; k++)
			x = mix64(x, h[s->parents[k]]);
		h[order[i]] = x;
	}
	qsort(h, g->n, sizeof(*h), cmp_u64);
	for (i = 0; i < g->n; i++)
		fp = mix64(fp, h[i]);
	*out = fp;
	free(order);
	free(h);
	return 0;
}
