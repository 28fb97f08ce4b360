/*
 * Pipeline graphs: construction, validation, topological order and the
 * shape fingerprint.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/abi.h"
#include "graph/fields.h"
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

int gdfo_stage_init(gdfo_stage *out, unsigned int version)
{
	gdfo_stage d;

	memset(&d, 0, sizeof(d));
	d.op = GDFO_OP_SOURCE;
	return gdfo__abi_init(out, version, &d, GDFO__ABI_STAGE, "gdfo_stage_init");
}

void gdfo__stage_defaults(gdfo_stage *stage, gdfo_stage_stats *stats, gdfo_stage_knobs *knobs)
{
	gdfo_stage_init(stage, GDFO_STAGE_VERSION);
	gdfo__fields_defaults(GDFO_FIELDS_STAGE_STATS, stats);
	gdfo__fields_defaults(GDFO_FIELDS_STAGE_KNOBS, knobs);
	stage->stats = stats;
	stage->knobs = knobs;
}

static int fields_init(void *out, unsigned int version, int set, int abi, const char *func)
{
	union {
		gdfo_stage_stats stats;
		gdfo_stage_knobs knobs;
		gdfo_graph_knobs graph_knobs;
		gdfo_cluster cluster;
	} d;

	gdfo__fields_defaults(set, &d);
	return gdfo__abi_init(out, version, &d, abi, func);
}

int gdfo_stage_stats_init(gdfo_stage_stats *out, unsigned int version)
{
	return fields_init(out, version, GDFO_FIELDS_STAGE_STATS, GDFO__ABI_STAGE_STATS, "gdfo_stage_stats_init");
}

int gdfo_stage_knobs_init(gdfo_stage_knobs *out, unsigned int version)
{
	return fields_init(out, version, GDFO_FIELDS_STAGE_KNOBS, GDFO__ABI_STAGE_KNOBS, "gdfo_stage_knobs_init");
}

int gdfo_graph_knobs_init(gdfo_graph_knobs *out, unsigned int version)
{
	return fields_init(out, version, GDFO_FIELDS_GRAPH_KNOBS, GDFO__ABI_GRAPH_KNOBS, "gdfo_graph_knobs_init");
}

int gdfo_cluster_init(gdfo_cluster *out, unsigned int version)
{
	return fields_init(out, version, GDFO_FIELDS_CLUSTER, GDFO__ABI_CLUSTER, "gdfo_cluster_init");
}

/* ---- the id index ------------------------------------------------------ */

/* Re-numbers the id index after stages moved (cannot fail: see gdfo__idmap_clear). */
static void index_renumber(gdfo_graph *g)
{
	size_t i;

	gdfo__idmap_clear(&g->ids);
	for (i = 0; i < g->n; i++)
		gdfo__idmap_put(&g->ids, g->stages[i].id, i);
}

size_t gdfo__graph_index(const gdfo_graph *g, int64_t id)
{
	return gdfo__idmap_get(&g->ids, id);
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
	gdfo__fields_defaults(GDFO_FIELDS_GRAPH_KNOBS, &g->knobs);
	gdfo__fields_defaults(GDFO_FIELDS_CLUSTER, &g->cluster);
	*out = g;
	return 0;
}

/* A column list is one block: its n pointers, then the strings they point at (copy_strlist). */
static void free_strlist(char **items, size_t n)
{
	(void)n;
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
	gdfo__idmap_free(&g->ids);
	free(g->name);
	free(g);
}

/*
 * One allocation for the list and its strings: graphs are cloned for every
 * candidate a planner scores, and a malloc per column name was most of it.
 */
static char **copy_strlist(const char *const *src, size_t n)
{
	char **dst, *at;
	size_t i, bytes = n * sizeof(*dst), len;

	if (n == 0)
		return NULL;
	for (i = 0; i < n; i++) {
		len = strlen(src[i]) + 1;
		if (len > SIZE_MAX - bytes)
			return NULL;
		bytes += len;
	}
	if (!(dst = gdfo__malloc(bytes)))
		return NULL;
	at = (char *)(dst + n);
	for (i = 0; i < n; i++) {
		len = strlen(src[i]) + 1;
		memcpy(at, src[i], len);
		dst[i] = at;
		at += len;
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
	if (gdfo__idmap_reserve(&c->ids, c->n))
		goto oom;
	index_renumber(c);
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

/*
 * One of a stage's field-set structs: the caller's (its version's fields
 * over the table defaults), else the current stage's, else the defaults.
 */
static int fields_in(void *full, const void *caller, const void *current, size_t size, int set, int abi,
		     const char *func)
{
	if (current && !caller) {
		memcpy(full, current, size);
		return 0;
	}
	gdfo__fields_defaults(set, full);
	return caller ? gdfo__abi_in(full, caller, full, abi, func) : 0;
}

int gdfo__graph_stage_in(gdfo__stage_in *in, const gdfo_stage *s, const gdfo__stage *current,
			 const char *func)
{
	long long id;
	char who[GDFO__NAME_MAX + 40];
	int rc;

	if ((rc = gdfo__abi_in(&in->stage, s, NULL, GDFO__ABI_STAGE, func)) ||
	    (rc = fields_in(&in->stats, s->stats, current ? &current->stats : NULL, sizeof(in->stats),
			    GDFO_FIELDS_STAGE_STATS, GDFO__ABI_STAGE_STATS, func)) ||
	    (rc = fields_in(&in->knobs, s->knobs, current ? &current->knobs : NULL, sizeof(in->knobs),
			    GDFO_FIELDS_STAGE_KNOBS, GDFO__ABI_STAGE_KNOBS, func)))
		return rc;
	s = &in->stage;
	in->stage.stats = &in->stats;
	in->stage.knobs = &in->knobs;
	id = (long long)s->id;
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
	if (gdfo__fields_check(GDFO_FIELDS_STAGE_STATS, &in->stats, s->op, NULL) ||
	    gdfo__fields_check(GDFO_FIELDS_STAGE_KNOBS, &in->knobs, s->op, NULL)) {
		/* the message names the stage: formatted only for a stage that fails */
		snprintf(who, sizeof(who), "stage %lld '%s'", id, s->name);
		if (gdfo__fields_check(GDFO_FIELDS_STAGE_STATS, &in->stats, s->op, who) ||
		    gdfo__fields_check(GDFO_FIELDS_STAGE_KNOBS, &in->knobs, s->op, who))
			return GDFO_EINVAL;
	}
	if (check_columns(s, "columns_read", s->columns_read, s->n_columns_read) ||
	    check_columns(s, "columns_written", s->columns_written, s->n_columns_written))
		return GDFO_EINVAL;
	return 0;
}

/* Fills d's own fields (not edges) from s; d's old fields are released on success. */
static int stage_assign(gdfo__stage *d, const gdfo__stage_in *in)
{
	const gdfo_stage *s = &in->stage;
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
	d->stats = in->stats;
	d->knobs = in->knobs;
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

int gdfo_graph_add_stage(gdfo_graph *g, const gdfo_stage *stage)
{
	gdfo__stage_in in;
	const gdfo_stage *s = &in.stage;
	void *stages;
	int rc;

	if (!g || !stage)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_add_stage: %s is NULL", g ? "stage" : "graph");
	if ((rc = gdfo__graph_stage_in(&in, stage, NULL, "gdfo_graph_add_stage")))
		return rc;
	if (gdfo__graph_index(g, s->id) != (size_t)-1)
		return gdfo__error(GDFO_EEXISTS, "stage id %lld ('%s') is used twice in pipeline '%s'",
				   (long long)s->id, s->name, g->name);
	stages = g->stages;
	if (gdfo__grow(&stages, &g->cap, g->n + 1, sizeof(*g->stages)))
		return GDFO_ENOMEM;
	g->stages = stages;
	memset(&g->stages[g->n], 0, sizeof(g->stages[0]));
	if (stage_assign(&g->stages[g->n], &in))
		return GDFO_ENOMEM;
	if (gdfo__idmap_put(&g->ids, s->id, g->n)) {
		stage_release(&g->stages[g->n]);
		return GDFO_ENOMEM;
	}
	g->n++;
	return 0;
}

int gdfo_graph_update_stage(gdfo_graph *g, const gdfo_stage *stage)
{
	gdfo__stage_in in;
	size_t i;
	int rc;

	if (!g || !stage)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_update_stage: %s is NULL", g ? "stage" : "graph");
	if ((rc = gdfo__abi_check(stage, GDFO__ABI_STAGE, "gdfo_graph_update_stage")))
		return rc;
	i = gdfo__graph_index(g, stage->id);
	if (i == (size_t)-1)
		return gdfo__error(GDFO_ENOTFOUND, "pipeline '%s' has no stage %lld", g->name,
				   (long long)stage->id);
	if ((rc = gdfo__graph_stage_in(&in, stage, &g->stages[i], "gdfo_graph_update_stage")))
		return rc;
	return stage_assign(&g->stages[i], &in);
}

size_t gdfo_graph_stage_count(const gdfo_graph *g)
{
	return g ? g->n : 0;
}

void gdfo__graph_stage_view(gdfo_stage *out, const gdfo__stage *s)
{
	memset(out, 0, sizeof(*out));
	out->version = gdfo__abi_latest(GDFO__ABI_STAGE);
	out->id = s->id;
	out->name = s->name;
	out->op = s->op;
	out->join_type = s->join_type;
	out->fused_ops = s->fused_ops;
	out->stats = &s->stats;
	out->knobs = &s->knobs;
	out->columns_read = (const char *const *)s->cols_read;
	out->n_columns_read = s->n_read;
	out->columns_written = (const char *const *)s->cols_written;
	out->n_columns_written = s->n_written;
}

int gdfo_graph_stage_at(gdfo_stage *out, const gdfo_graph *g, size_t index)
{
	gdfo_stage view;
	int rc;

	if (!g || !out)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_stage_at: %s is NULL", g ? "out" : "graph");
	if ((rc = gdfo__abi_check(out, GDFO__ABI_STAGE, "gdfo_graph_stage_at")))
		return rc;
	if (index >= g->n)
		return gdfo__error(GDFO_ERANGE, "stage index %zu is out of range (pipeline '%s' has %zu stages)",
				   index, g->name, g->n);
	gdfo__graph_stage_view(&view, &g->stages[index]);
	return gdfo__abi_out(out, &view, GDFO__ABI_STAGE, "gdfo_graph_stage_at");
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
	int dup;

	/* Either list holds the edge if it exists: the shorter is searched (fan-in and fan-out stay linear). */
	if (c->n_parents <= p->n_children) {
		for (i = 0; i < c->n_parents && c->parents[i] != parent; i++)
			;
		dup = i < c->n_parents;
	} else {
		for (i = 0; i < p->n_children && p->children[i] != child; i++)
			;
		dup = i < p->n_children;
	}
	if (dup)
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

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/* New index of a kept stage: its index less the removed ones below it (gone sorted, k entries). */
static size_t shifted(size_t v, const size_t *gone, size_t k)
{
	size_t lo = 0, hi = k;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (gone[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return v - lo;
}

/* One pass over the graph whatever the count (one removal at a time was quadratic in a long fusion). */
void gdfo__graph_remove_many(gdfo_graph *g, size_t *index, size_t count)
{
	size_t i, j, k, r;

	qsort(index, count, sizeof(*index), cmp_size);
	for (i = 0, k = 0; i < count; i++)
		if (!k || index[i] != index[k - 1])
			index[k++] = index[i];
	for (i = 0; i < k; i++) {
		gdfo__stage *s = &g->stages[index[i]];
		while (s->n_parents)
			gdfo__graph_unlink(g, s->parents[0], index[i]);
		while (s->n_children)
			gdfo__graph_unlink(g, index[i], s->children[0]);
		stage_release(s);
	}
	for (i = 0, j = 0, r = 0; i < g->n; i++) {
		if (r < k && index[r] == i) {
			r++;
			continue;
		}
		if (j != i)
			g->stages[j] = g->stages[i];
		j++;
	}
	g->n = j;
	for (i = 0; i < g->n; i++) {
		gdfo__stage *s = &g->stages[i];
		for (j = 0; j < s->n_parents; j++)
			s->parents[j] = shifted(s->parents[j], index, k);
		for (j = 0; j < s->n_children; j++)
			s->children[j] = shifted(s->children[j], index, k);
	}
	index_renumber(g);
}

void gdfo__graph_remove(gdfo_graph *g, size_t index)
{
	gdfo__graph_remove_many(g, &index, 1);
}

/* 1 when target is reachable from start following child edges. */
static int reaches(const gdfo_graph *g, size_t start, size_t target, int *rc)
{
	size_t *stack, top = 0, i;
	unsigned char *seen;
	int found = 0;

	*rc = 0;
	/* Loaders add edges parents first: the new child has no children yet, no search. */
	if (start != target && !g->stages[start].n_children)
		return 0;
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

static int check_graph_fields(const gdfo_graph *g)
{
	char who[GDFO__NAME_MAX + 16];

	snprintf(who, sizeof(who), "pipeline '%s'", g->name);
	if (gdfo__fields_check(GDFO_FIELDS_GRAPH_KNOBS, &g->knobs, -1, who) ||
	    gdfo__fields_check(GDFO_FIELDS_CLUSTER, &g->cluster, -1, who))
		return GDFO_EINVAL;
	return 0;
}

int gdfo_graph_get_knobs(gdfo_graph_knobs *out, const gdfo_graph *g)
{
	if (!g)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_get_knobs: graph is NULL");
	return gdfo__abi_out(out, &g->knobs, GDFO__ABI_GRAPH_KNOBS, "gdfo_graph_get_knobs");
}

int gdfo_graph_set_knobs(gdfo_graph *g, const gdfo_graph_knobs *knobs)
{
	char who[GDFO__NAME_MAX + 16];
	gdfo_graph_knobs k;
	int rc;

	if (!g)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_set_knobs: graph is NULL");
	if ((rc = gdfo__abi_in(&k, knobs, &g->knobs, GDFO__ABI_GRAPH_KNOBS, "gdfo_graph_set_knobs")))
		return rc;
	snprintf(who, sizeof(who), "pipeline '%s'", g->name);
	if ((rc = gdfo__fields_check(GDFO_FIELDS_GRAPH_KNOBS, &k, -1, who)))
		return rc;
	g->knobs = k;
	return 0;
}

int gdfo_graph_get_cluster(gdfo_cluster *out, const gdfo_graph *g)
{
	if (!g)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_get_cluster: graph is NULL");
	return gdfo__abi_out(out, &g->cluster, GDFO__ABI_CLUSTER, "gdfo_graph_get_cluster");
}

int gdfo_graph_set_cluster(gdfo_graph *g, const gdfo_cluster *cluster)
{
	char who[GDFO__NAME_MAX + 16];
	gdfo_cluster c;
	int rc;

	if (!g)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_set_cluster: graph is NULL");
	if ((rc = gdfo__abi_in(&c, cluster, &g->cluster, GDFO__ABI_CLUSTER, "gdfo_graph_set_cluster")))
		return rc;
	snprintf(who, sizeof(who), "pipeline '%s'", g->name);
	if ((rc = gdfo__fields_check(GDFO_FIELDS_CLUSTER, &c, -1, who)))
		return rc;
	g->cluster = c;
	return 0;
}

/* ---- order, validation, fingerprint --------------------------------------- */

static size_t stage_n_children(const void *g, size_t v)
{
	return ((const gdfo_graph *)g)->stages[v].n_children;
}

static size_t stage_child(const void *g, size_t v, size_t k)
{
	return ((const gdfo_graph *)g)->stages[v].children[k];
}

size_t gdfo__graph_topo(size_t *order, size_t *work, const gdfo_graph *g, int tie)
{
	gdfo__topo t = {g->n, g, stage_n_children, stage_child, tie, 0};
	return gdfo__topo_order(order, work, &t);
}

/* Ties go to the smallest index, so the order is deterministic. */
int gdfo_graph_topo_order(size_t *order, size_t capacity, const gdfo_graph *g)
{
	size_t *work, i;

	if (!g || !order)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_topo_order: %s is NULL", g ? "out" : "graph");
	if (capacity < g->n)
		return gdfo__error(GDFO_ERANGE, "gdfo_graph_topo_order: capacity %zu is less than the %zu stages of pipeline '%s'",
				   capacity, g->n, g->name);
	if (g->n == 0)
		return 0;
	work = gdfo__malloc(2 * g->n * sizeof(*work));
	if (!work)
		return GDFO_ENOMEM;
	if (gdfo__graph_topo(order, work, g, GDFO__TOPO_SMALLEST) < g->n) {
		for (i = 0; i < g->n && work[i] == 0; i++)
			;
		free(work);
		return gdfo__error(GDFO_ECYCLE, "pipeline '%s' has a cycle through stage %lld '%s'",
				   g->name, (long long)g->stages[i].id, g->stages[i].name);
	}
	free(work);
	return 0;
}

/*
 * Whether gdfo__graph_stage_in would accept s as it is: the same checks
 * on the stage itself, without the round trip through the public structs
 * (a stored stage's are already whole and of the latest version). Any
 * doubt goes to gdfo__graph_stage_in, which says what is wrong.
 */
static int stage_fields_ok(const gdfo__stage *s)
{
	size_t i, n;

	if (s->id < 0 || !s->name || !s->name[0] || strlen(s->name) > GDFO__NAME_MAX || s->op < 0 ||
	    s->op >= GDFO_OP_COUNT || s->join_type < 0 || s->join_type >= GDFO_JOIN_TYPE_COUNT ||
	    (s->fused_ops >> GDFO_OP_COUNT) ||
	    gdfo__fields_check(GDFO_FIELDS_STAGE_STATS, &s->stats, s->op, NULL) ||
	    gdfo__fields_check(GDFO_FIELDS_STAGE_KNOBS, &s->knobs, s->op, NULL) ||
	    (s->n_read && !s->cols_read) || (s->n_written && !s->cols_written))
		return 0;
	for (i = 0; i < s->n_read + s->n_written; i++) {
		const char *c = i < s->n_read ? s->cols_read[i] : s->cols_written[i - s->n_read];
		if (!c || !c[0] || (n = strlen(c)) > GDFO__NAME_MAX)
			return 0;
	}
	return 1;
}

int gdfo_graph_validate(const gdfo_graph *g)
{
	size_t i, *order;
	int rc;

	if (!g)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_validate: graph is NULL");
	if (g->n == 0)
		return gdfo__error(GDFO_EINVAL, "pipeline '%s' has no stages", g->name);
	if (check_graph_fields(g))
		return GDFO_EINVAL;
	for (i = 0; i < g->n; i++) {
		gdfo__stage_in in;
		gdfo_stage view;
		const gdfo__stage *s = &g->stages[i];
		if (!stage_fields_ok(s)) {
			gdfo__graph_stage_view(&view, s);
			if ((rc = gdfo__graph_stage_in(&in, &view, NULL, "gdfo_graph_validate")))
				return rc;
		}
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
	rc = gdfo_graph_topo_order(order, g->n, g);
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
	if ((rc = gdfo_graph_topo_order(order, g->n, g))) {
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
