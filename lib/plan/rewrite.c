/*
 * Legality-checked rewrites of a pipeline graph (include/gdfo/rewrite.h).
 *
 * Every rewrite first checks its conditions on the caller's graph, then
 * builds the result on a clone and swaps it in, so a failure at any
 * point (including out of memory) leaves the caller's graph unchanged.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdfo/rewrite.h"
#include "plan/plan_internal.h"

#define NARROW_BITS ((1u << GDFO_OP_FILTER) | (1u << GDFO_OP_PROJECT) | (1u << GDFO_OP_UDF))

double gdfo__stage_out_rows(const gdfo__stage *s)
{
	return s->stats.rows_in * s->stats.selectivity;
}

double gdfo__stage_out_bytes(const gdfo__stage *s)
{
	return s->stats.bytes_in * s->stats.selectivity;
}

static int in_list(char **list, size_t n, const char *col)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!strcmp(list[i], col))
			return 1;
	return 0;
}

int gdfo__stage_reads(const gdfo__stage *s, const char *col)
{
	return in_list(s->cols_read, s->n_read, col);
}

int gdfo__stage_writes(const gdfo__stage *s, const char *col)
{
	return in_list(s->cols_written, s->n_written, col);
}

int gdfo__stage_is_narrow(const gdfo__stage *s)
{
	uint32_t bit = 1u << s->op;
	return (bit & NARROW_BITS) && !(s->fused_ops & ~NARROW_BITS);
}

int gdfo__narrow_chain_next(const gdfo_graph *g, size_t prev, size_t i, size_t head)
{
	const gdfo__stage *s = &g->stages[i];
	return gdfo__stage_is_narrow(s) && s->n_parents == 1 && s->parents[0] == prev &&
	       g->stages[prev].n_children == 1 &&
	       (!s->knobs.partitions || s->knobs.partitions == g->stages[head].knobs.partitions);
}

int gdfo__col_available(const gdfo_graph *g, size_t idx, const char *col)
{
	size_t *stack, top = 0, k;
	unsigned char *seen;
	int found = 0;

	stack = gdfo__malloc(g->n * sizeof(*stack));
	seen = gdfo__calloc(g->n, 1);
	if (!stack || !seen) {
		free(stack);
		free(seen);
		return GDFO_ENOMEM;
	}
	stack[top++] = idx;
	seen[idx] = 1;
	while (top && !found) {
		const gdfo__stage *s = &g->stages[stack[--top]];
		if (gdfo__stage_writes(s, col)) {
			found = 1;
			break;
		}
		for (k = 0; k < s->n_parents; k++)
			if (!seen[s->parents[k]]) {
				seen[s->parents[k]] = 1;
				stack[top++] = s->parents[k];
			}
	}
	free(stack);
	free(seen);
	return found;
}

/* "cannot <prefix>: <reason>" as a GDFO_EILLEGAL error. */
static int illegal(const char *prefix, const char *fmt, ...) GDFO__PRINTF(2, 3);
static int illegal(const char *prefix, const char *fmt, ...)
{
	char reason[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return gdfo__error(GDFO_EILLEGAL, "cannot %s: %s", prefix, reason);
}

static int find(size_t *out, const gdfo_graph *g, int64_t id)
{
	*out = gdfo__graph_index(g, id);
	if (*out == (size_t)-1)
		return gdfo__error(GDFO_ENOTFOUND, "pipeline '%s' has no stage %lld", g->name, (long long)id);
	return 0;
}

#define SID(g, i) ((long long)(g)->stages[i].id)
#define SNAME(g, i) ((g)->stages[i].name)
#define SOP(g, i) gdfo_op_name((g)->stages[i].op)

/*
 * The "cannot ..." prefixes of the rewrites' errors, formatted only when a
 * check fails: a legal rewrite (the planners make thousands per call)
 * formats no text. Each returns pre.
 */
static const char *filter_pre(char *pre, size_t size, const gdfo_graph *g, size_t f, size_t t)
{
	if (t == (size_t)-1)
		snprintf(pre, size, "push filter %lld '%s' down", SID(g, f), SNAME(g, f));
	else
		snprintf(pre, size, "push filter %lld '%s' below %s %lld '%s'", SID(g, f), SNAME(g, f), SOP(g, t),
			 SID(g, t), SNAME(g, t));
	return pre;
}

static const char *reorder_pre(char *pre, size_t size, const gdfo_graph *g, size_t u, size_t l)
{
	if (l == (size_t)-1)
		snprintf(pre, size, "reorder joins below stage %lld '%s'", SID(g, u), SNAME(g, u));
	else
		snprintf(pre, size, "reorder joins %lld '%s' and %lld '%s'", SID(g, u), SNAME(g, u), SID(g, l),
			 SNAME(g, l));
	return pre;
}

static const char *fuse_pre(char *pre, size_t size, const int64_t *ids, size_t n)
{
	snprintf(pre, size, "fuse stages %lld..%lld", (long long)ids[0], (long long)ids[n - 1]);
	return pre;
}

static const char *cache_pre(char *pre, size_t size, const gdfo_graph *g, size_t s)
{
	snprintf(pre, size, "cache stage %lld '%s'", SID(g, s), SNAME(g, s));
	return pre;
}

static const char *strategy_pre(char *pre, size_t size, const gdfo_graph *g, size_t j, int strategy)
{
	snprintf(pre, size, "set join strategy %s on stage %lld '%s'", gdfo_join_strategy_name(strategy), SID(g, j),
		 SNAME(g, j));
	return pre;
}

static const char *partitions_pre(char *pre, size_t size, const gdfo_graph *g, size_t s, int32_t partitions)
{
	snprintf(pre, size, "set %d partitions on stage %lld '%s'", partitions, SID(g, s), SNAME(g, s));
	return pre;
}

/* Replaces the swapped-out contents of g by c's and frees the old ones. */
static void swap_in(gdfo_graph *g, gdfo_graph *c)
{
	gdfo_graph tmp = *g;
	*g = *c;
	*c = tmp;
	gdfo_graph_free(c);
}

static void remove_index(size_t *items, size_t *n, size_t v)
{
	size_t i, j = 0;
	for (i = 0; i < *n; i++)
		if (items[i] != v)
			items[j++] = items[i];
	*n = j;
}

/* In child's parent list, old becomes neu at the same position; children lists follow. */
static int replace_parent(gdfo_graph *g, size_t child, size_t old, size_t neu)
{
	gdfo__stage *c = &g->stages[child], *n = &g->stages[neu];
	void *items = n->children;
	size_t k;

	if (gdfo__grow(&items, &n->cap_children, n->n_children + 1, sizeof(size_t)))
		return GDFO_ENOMEM;
	n->children = items;
	for (k = 0; k < c->n_parents; k++)
		if (c->parents[k] == old) {
			c->parents[k] = neu;
			break;
		}
	remove_index(g->stages[old].children, &g->stages[old].n_children, child);
	n->children[n->n_children++] = child;
	return 0;
}

/* Moves every consumer of from to consume to instead (same parent positions). */
static int move_consumers(gdfo_graph *g, size_t from, size_t to)
{
	int rc;
	while (g->stages[from].n_children) {
		if ((rc = replace_parent(g, g->stages[from].children[0], from, to)))
			return rc;
	}
	return 0;
}

/* ---- push a filter down ------------------------------------------------------ */

/* Checks that filter f may move onto input k of join t. */
static int check_join_side(const gdfo_graph *g, size_t f, size_t t, size_t k)
{
	char pre[600];
	const gdfo__stage *F = &g->stages[f], *T = &g->stages[t];
	size_t side = T->parents[k], i, j;
	int jt = T->join_type, av;

	if (T->n_parents > 2 && jt != GDFO_JOIN_INNER)
		return illegal(filter_pre(pre, sizeof(pre), g, f, t), "a %s join with %zu inputs only accepts filters when inner",
			       gdfo_join_type_name(jt), T->n_parents);
	switch (jt) {
	case GDFO_JOIN_INNER:
		break;
	case GDFO_JOIN_LEFT:
	case GDFO_JOIN_SEMI:
	case GDFO_JOIN_ANTI:
		if (k != 0)
			return illegal(filter_pre(pre, sizeof(pre), g, f, t), "a %s join keeps left rows whether or not right rows match, so a filter on its output cannot move to the right input (stage %lld '%s')",
				       gdfo_join_type_name(jt), SID(g, side), SNAME(g, side));
		break;
	case GDFO_JOIN_RIGHT:
		if (k != 1)
			return illegal(filter_pre(pre, sizeof(pre), g, f, t), "a right join keeps right rows whether or not left rows match, so a filter on its output cannot move to the left input (stage %lld '%s')",
				       SID(g, side), SNAME(g, side));
		break;
	default:
		return illegal(filter_pre(pre, sizeof(pre), g, f, t), "a full join keeps unmatched rows of both inputs, so a filter on its output cannot move to either input");
	}
	for (i = 0; i < F->n_read; i++) {
		const char *col = F->cols_read[i];
		if ((av = gdfo__col_available(g, side, col)) < 0)
			return av;
		if (!av)
			return illegal(filter_pre(pre, sizeof(pre), g, f, t), "column '%s' it reads is not available at input stage %lld '%s' (neither it nor an ancestor writes it)",
				       col, SID(g, side), SNAME(g, side));
		for (j = 0; j < T->n_parents; j++) {
			if (j == k)
				continue;
			if ((av = gdfo__col_available(g, T->parents[j], col)) < 0)
				return av;
			if (av && !(jt == GDFO_JOIN_INNER && gdfo__stage_reads(T, col)))
				return illegal(filter_pre(pre, sizeof(pre), g, f, t), "column '%s' is available at inputs %lld '%s' and %lld '%s' and is not a key of an inner join, so which copy the filter reads is ambiguous",
					       col, SID(g, side), SNAME(g, side), SID(g, T->parents[j]),
					       SNAME(g, T->parents[j]));
		}
	}
	return 0;
}

/*
 * inplace: rewrite g itself instead of a copy swapped in (gdfo__rewrite_push_filter_inplace);
 * the checks come first, so an illegal push still leaves g unchanged.
 */
static int push_filter(gdfo_graph *g, int64_t filter_id, int64_t side_id, int inplace)
{
	char pre[600];
	const gdfo__stage *F, *T;
	gdfo_graph *c;
	size_t f, t, x = 0, i, k;
	double fsel, outr, outb;
	int rc, av;

	if (!g)
		return gdfo__error(GDFO_EINVAL, "gdfo_rewrite_push_filter: graph is NULL");
	if ((rc = find(&f, g, filter_id)))
		return rc;
	F = &g->stages[f];
	if (F->op != GDFO_OP_FILTER || (F->fused_ops & ~(1u << GDFO_OP_FILTER)))
		return illegal(filter_pre(pre, sizeof(pre), g, f, (size_t)-1), "it is a %s%s, not a plain filter", gdfo_op_name(F->op),
			       F->fused_ops ? " with fused operators" : "");
	if (F->n_parents != 1)
		return illegal(filter_pre(pre, sizeof(pre), g, f, (size_t)-1), "it has %zu inputs; a filter to move has exactly one", F->n_parents);
	if (!F->n_read)
		return illegal(filter_pre(pre, sizeof(pre), g, f, (size_t)-1), "its columns_read are unknown, so it is not known where they exist");
	t = F->parents[0];
	T = &g->stages[t];
	if (T->op != GDFO_OP_PROJECT && T->op != GDFO_OP_JOIN)
		return illegal(filter_pre(pre, sizeof(pre), g, f, t), "filters move only below a project or a join");
	if (T->n_children != 1)
		return illegal(filter_pre(pre, sizeof(pre), g, f, t), "the %s has %zu consumers; moving the filter below it would filter the others' input too",
			       gdfo_op_name(T->op), T->n_children);
	if (T->fused_ops & ((1u << GDFO_OP_UDF) | ~NARROW_BITS))
		return illegal(filter_pre(pre, sizeof(pre), g, f, t), "the %s has fused operators whose column effects are opaque",
			       gdfo_op_name(T->op));
	for (i = 0; i < F->n_read; i++)
		if (gdfo__stage_writes(T, F->cols_read[i]))
			return illegal(filter_pre(pre, sizeof(pre), g, f, t), "it reads column '%s', which the %s writes", F->cols_read[i],
				       gdfo_op_name(T->op));
	if (T->op == GDFO_OP_PROJECT) {
		if (!T->n_written)
			return illegal(filter_pre(pre, sizeof(pre), g, f, t), "the project's columns_written are unknown, so it may compute a column the filter reads");
		if (T->n_parents != 1)
			return illegal(filter_pre(pre, sizeof(pre), g, f, t), "the project has %zu inputs", T->n_parents);
		x = T->parents[0];
		if (side_id >= 0 && g->stages[x].id != side_id)
			return illegal(filter_pre(pre, sizeof(pre), g, f, t), "stage %lld is not the project's input (stage %lld '%s' is)",
				       (long long)side_id, SID(g, x), SNAME(g, x));
		for (i = 0; i < F->n_read; i++) {
			if ((av = gdfo__col_available(g, x, F->cols_read[i])) < 0)
				return av;
			if (!av)
				return illegal(filter_pre(pre, sizeof(pre), g, f, t), "column '%s' it reads is not available at the project's input stage %lld '%s'",
					       F->cols_read[i], SID(g, x), SNAME(g, x));
		}
	} else if (side_id >= 0) {
		for (k = 0; k < T->n_parents && g->stages[T->parents[k]].id != side_id; k++)
			;
		if (k == T->n_parents)
			return illegal(filter_pre(pre, sizeof(pre), g, f, t), "stage %lld is not an input of the join", (long long)side_id);
		if ((rc = check_join_side(g, f, t, k)))
			return rc;
		x = T->parents[k];
	} else {
		/* Pick among the inputs that have every column; report the first one's reason. */
		size_t first = (size_t)-1, best = (size_t)-1;
		for (k = 0; k < T->n_parents; k++) {
			int all = 1;
			for (i = 0; i < F->n_read && all; i++) {
				if ((av = gdfo__col_available(g, T->parents[k], F->cols_read[i])) < 0)
					return av;
				all = av;
			}
			if (!all)
				continue;
			if (first == (size_t)-1)
				first = k;
			/* only GDFO_EILLEGAL rules a side out: out of memory is no answer */
			if ((rc = check_join_side(g, f, t, k)) && rc != GDFO_EILLEGAL)
				return rc;
			if (rc == 0 &&
			    (best == (size_t)-1 || gdfo__stage_out_bytes(&g->stages[T->parents[k]]) >
							    gdfo__stage_out_bytes(&g->stages[T->parents[best]])))
				best = k;
		}
		if (first == (size_t)-1)
			return illegal(filter_pre(pre, sizeof(pre), g, f, t), "no input of the join has every column the filter reads");
		if (best == (size_t)-1) {
			rc = check_join_side(g, f, t, first);
			return rc ? rc : gdfo__error(GDFO_EINTERNAL, "%s: join side %zu accepted on a second look",
						     filter_pre(pre, sizeof(pre), g, f, t), first);
		}
		x = T->parents[best];
	}

	/* Estimates: the filter now sees x's output; the target sees fsel of it. */
	fsel = F->stats.selectivity;
	outr = gdfo__stage_out_rows(&g->stages[x]);
	outb = gdfo__stage_out_bytes(&g->stages[x]);
	if (inplace)
		c = g;
	else if ((rc = gdfo_graph_clone(&c, g)))
		return rc;
	if ((rc = move_consumers(c, f, t)) || (rc = replace_parent(c, t, x, f)) ||
	    (rc = replace_parent(c, f, t, x))) {
		if (!inplace)
			gdfo_graph_free(c);
		return rc;
	}
	{
		gdfo__stage *cf = &c->stages[f], *ct = &c->stages[t];
		if (ct->op == GDFO_OP_PROJECT) {
			cf->stats.rows_in = ct->stats.rows_in;
			cf->stats.bytes_in = ct->stats.bytes_in;
			ct->stats.rows_in *= fsel;
			ct->stats.bytes_in *= fsel;
		} else {
			double old_out = gdfo__stage_out_rows(ct);
			cf->stats.rows_in = outr;
			cf->stats.bytes_in = outb;
			ct->stats.rows_in = fmax(0.0, ct->stats.rows_in - outr * (1.0 - fsel));
			ct->stats.bytes_in = fmax(0.0, ct->stats.bytes_in - outb * (1.0 - fsel));
			if (ct->stats.rows_in > 0)
				ct->stats.selectivity = old_out * fsel / ct->stats.rows_in;
		}
	}
	if (!inplace)
		swap_in(g, c);
	return 0;
}

int gdfo_rewrite_push_filter(gdfo_graph *g, int64_t filter_id, int64_t side_id)
{
	return push_filter(g, filter_id, side_id, 0);
}

int gdfo__rewrite_push_filter_inplace(gdfo_graph *g, int64_t filter_id, int64_t side_id)
{
	return push_filter(g, filter_id, side_id, 1);
}

/* ---- fuse a narrow chain ------------------------------------------------------- */

typedef struct id_pos {
	int64_t id;
	size_t pos;
} id_pos;

static int cmp_id_pos(const void *a, const void *b)
{
	const id_pos *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Appends col to list (borrowed pointers) unless present. */
static int add_unique(const char ***list, size_t *n, size_t *cap, const char *col)
{
	void *items = (void *)*list;
	size_t i;
	for (i = 0; i < *n; i++)
		if (!strcmp((*list)[i], col))
			return 0;
	if (gdfo__grow(&items, cap, *n + 1, sizeof(char *)))
		return GDFO_ENOMEM;
	*list = items;
	(*list)[(*n)++] = col;
	return 0;
}

static void fused_name(char *out, size_t size, const gdfo_graph *g, const size_t *idx, size_t n)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		int w = snprintf(out + len, size - len, "%s%s", i ? "+" : "", SNAME(g, idx[i]));
		if (w < 0 || (size_t)w >= size - len) {
			len = size - 1;
			break;
		}
		len += (size_t)w;
	}
	/* Do not leave half a UTF-8 sequence at a cut. */
	if (len == size - 1) {
		while (len > 0 && ((unsigned char)out[len - 1] & 0xC0) == 0x80)
			len--;
		if (len > 0 && ((unsigned char)out[len - 1] & 0xC0) == 0xC0)
			len--;
		out[len] = '\0';
	}
}

/*
 * removed NULL: gdfo_rewrite_fuse, on a copy swapped in at the end.
 * Else in g itself: the members after the first are left without edges
 * and their indices written to removed[0..n-1) for the caller to remove
 * (gdfo__rewrite_fuse_inplace).
 */
static int fuse(gdfo_graph *g, const int64_t *ids, size_t n, size_t *removed)
{
	char pre[200], name[GDFO__NAME_MAX + 1];
	const char **rd = NULL, **wr = NULL;
	size_t nrd = 0, crd = 0, nwr = 0, cwr = 0, *idx = NULL, i, j, dup;
	id_pos *by_id = NULL;
	gdfo_graph *c = NULL;
	gdfo_stage fs;
	gdfo_stage_stats stats;
	gdfo_stage_knobs knobs;
	uint32_t bits = 0;
	double frac = 1.0;
	int rc;

	if (!g || !ids)
		return gdfo__error(GDFO_EINVAL, "gdfo_rewrite_fuse: %s is NULL", g ? "ids" : "graph");
	if (n < 2)
		return gdfo__error(GDFO_EINVAL, "a chain to fuse needs at least 2 stages, not %zu", n);
	if (n > g->n)
		return gdfo__error(GDFO_EINVAL, "a chain of %zu stages is longer than pipeline '%s' (%zu stages)",
				   n, g->name, g->n);
	if (!(idx = gdfo__malloc(n * sizeof(*idx))) || !(by_id = gdfo__malloc(n * sizeof(*by_id)))) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	/*
	 * The first stage that is missing or listed before is reported, as when
	 * each was compared with all before it (quadratic): duplicates by sorting.
	 */
	for (i = 0; i < n; i++) {
		by_id[i].id = ids[i];
		by_id[i].pos = i;
	}
	qsort(by_id, n, sizeof(*by_id), cmp_id_pos);
	for (i = 1, dup = n; i < n; i++)
		if (by_id[i].id == by_id[i - 1].id && by_id[i].pos < dup)
			dup = by_id[i].pos;
	for (i = 0; i < n; i++) {
		if (i == dup) {
			rc = gdfo__error(GDFO_EINVAL, "stage %lld is listed twice in the chain to fuse",
					 (long long)ids[i]);
			goto out;
		}
		if ((rc = find(&idx[i], g, ids[i])))
			goto out;
	}
	for (i = 0; i < n; i++) {
		const gdfo__stage *s = &g->stages[idx[i]];
		if (!gdfo__stage_is_narrow(s)) {
			rc = illegal(fuse_pre(pre, sizeof(pre), ids, n), "stage %lld '%s' is a %s%s; only filter, project and udf stages fuse (no shuffle between them)",
				     SID(g, idx[i]), s->name, gdfo_op_name(s->op),
				     (1u << s->op) & NARROW_BITS ? " with non-narrow fused operators" : "");
			goto out;
		}
		if (i > 0 && (s->n_parents != 1 || s->parents[0] != idx[i - 1])) {
			rc = illegal(fuse_pre(pre, sizeof(pre), ids, n), "stage %lld '%s' must have stage %lld '%s' as its only input",
				     SID(g, idx[i]), s->name, SID(g, idx[i - 1]), SNAME(g, idx[i - 1]));
			goto out;
		}
		if (i + 1 < n && s->n_children != 1) {
			rc = illegal(fuse_pre(pre, sizeof(pre), ids, n), "stage %lld '%s' has %zu consumers; only the last stage of a chain may have several",
				     SID(g, idx[i]), s->name, s->n_children);
			goto out;
		}
		if (i > 0 && s->knobs.partitions && s->knobs.partitions != g->stages[idx[0]].knobs.partitions) {
			rc = illegal(fuse_pre(pre, sizeof(pre), ids, n), "stage %lld '%s' sets knobs.partitions to %d, a repartition (a shuffle) inside the chain",
				     SID(g, idx[i]), s->name, s->knobs.partitions);
			goto out;
		}
	}

	gdfo__stage_defaults(&fs, &stats, &knobs);
	fs.id = g->stages[idx[0]].id;
	fused_name(name, sizeof(name), g, idx, n);
	fs.name = name;
	stats = g->stages[idx[0]].stats;
	stats.selectivity = 1.0;
	stats.cpu_ns_per_row = 0;
	stats.skew = 1.0;
	knobs = g->stages[idx[0]].knobs;
	knobs.cache = g->stages[idx[n - 1]].knobs.cache;
	stats.key_cardinality = g->stages[idx[n - 1]].stats.key_cardinality;
	for (i = 0; i < n; i++) {
		const gdfo__stage *s = &g->stages[idx[i]];
		bits |= (1u << s->op) | s->fused_ops;
		stats.cpu_ns_per_row += s->stats.cpu_ns_per_row * frac;
		frac *= s->stats.selectivity;
		stats.selectivity *= s->stats.selectivity;
		if (s->stats.skew > stats.skew)
			stats.skew = s->stats.skew;
		if (s->knobs.priority > knobs.priority)
			knobs.priority = s->knobs.priority;
		/* wr holds what the members before this one write. */
		for (j = 0; j < s->n_read; j++)
			if (!in_list((char **)wr, nwr, s->cols_read[j]) &&
			    (rc = add_unique(&rd, &nrd, &crd, s->cols_read[j])))
				goto out;
		for (j = 0; j < s->n_written; j++)
			if ((rc = add_unique(&wr, &nwr, &cwr, s->cols_written[j])))
				goto out;
	}
	fs.fused_ops = bits;
	fs.op = (bits & (1u << GDFO_OP_UDF)) ? GDFO_OP_UDF
		: (bits & (1u << GDFO_OP_PROJECT)) ? GDFO_OP_PROJECT : GDFO_OP_FILTER;
	fs.columns_read = rd;
	fs.n_columns_read = nrd;
	fs.columns_written = wr;
	fs.n_columns_written = nwr;

	if (!removed && (rc = gdfo_graph_clone(&c, g)))
		goto out;
	if ((rc = gdfo_graph_update_stage(removed ? g : c, &fs)) ||
	    (rc = move_consumers(removed ? g : c, idx[n - 1], idx[0])))
		goto out;
	for (i = 0; i + 1 < n; i++)
		gdfo__graph_unlink(removed ? g : c, idx[i], idx[i + 1]);
	if (removed) {
		memcpy(removed, idx + 1, (n - 1) * sizeof(*idx));
	} else {
		gdfo__graph_remove_many(c, idx + 1, n - 1);
		swap_in(g, c);
		c = NULL;
	}
	rc = 0;
out:
	gdfo_graph_free(c);
	free(idx);
	free(by_id);
	free(rd);
	free(wr);
	return rc;
}

int gdfo_rewrite_fuse(gdfo_graph *g, const int64_t *ids, size_t n)
{
	return fuse(g, ids, n, NULL);
}

int gdfo__rewrite_fuse_inplace(gdfo_graph *g, const int64_t *ids, size_t n, size_t *removed)
{
	return fuse(g, ids, n, removed);
}

/* ---- knobs ---------------------------------------------------------------------- */

int gdfo_rewrite_cache(gdfo_graph *g, int64_t stage_id, int level)
{
	char pre[300];
	size_t s;
	int rc;

	if (!g)
		return gdfo__error(GDFO_EINVAL, "gdfo_rewrite_cache: graph is NULL");
	if (level < 0 || level >= GDFO_CACHE_LEVEL_COUNT)
		return gdfo__error(GDFO_EINVAL, "cache level %d is not a gdfo_cache_level", level);
	if ((rc = find(&s, g, stage_id)))
		return rc;
	if (level != GDFO_CACHE_NONE) {
		if (g->stages[s].op == GDFO_OP_SINK)
			return illegal(cache_pre(pre, sizeof(pre), g, s), "it is a sink; its output is written, not consumed");
		if (g->stages[s].n_children < 2)
			return illegal(cache_pre(pre, sizeof(pre), g, s), "it has %zu consumer%s; caching saves recomputation only for 2 or more",
				       g->stages[s].n_children, g->stages[s].n_children == 1 ? "" : "s");
	}
	g->stages[s].knobs.cache = level;
	return 0;
}

int gdfo__join_broadcast_side(size_t *out, const gdfo_graph *g, size_t j)
{
	const gdfo__stage *J = &g->stages[j];
	double l, r;

	if (J->op != GDFO_OP_JOIN)
		return gdfo__error(GDFO_EILLEGAL, "stage %lld '%s' is a %s, not a join", SID(g, j), J->name,
				   gdfo_op_name(J->op));
	if (J->n_parents != 2)
		return gdfo__error(GDFO_EILLEGAL, "join %lld '%s' has %zu inputs; broadcast needs exactly 2",
				   SID(g, j), J->name, J->n_parents);
	switch (J->join_type) {
	case GDFO_JOIN_INNER:
		/* Unknown sizes (bytes_in 0) count as infinite: never preferred. */
		l = g->stages[J->parents[0]].stats.bytes_in > 0 ? gdfo__stage_out_bytes(&g->stages[J->parents[0]]) : INFINITY;
		r = g->stages[J->parents[1]].stats.bytes_in > 0 ? gdfo__stage_out_bytes(&g->stages[J->parents[1]]) : INFINITY;
		*out = l < r ? J->parents[0] : J->parents[1];
		return 0;
	case GDFO_JOIN_LEFT:
	case GDFO_JOIN_SEMI:
	case GDFO_JOIN_ANTI:
		*out = J->parents[1];
		return 0;
	case GDFO_JOIN_RIGHT:
		*out = J->parents[0];
		return 0;
	default:
		return gdfo__error(GDFO_EILLEGAL, "join %lld '%s' is a full join; it keeps unmatched rows of both inputs, so neither can be broadcast",
				   SID(g, j), J->name);
	}
}

int gdfo_rewrite_join_strategy(gdfo_graph *g, int64_t join_id, int strategy, double max_bytes,
			       double side_bytes)
{
	char pre[300];
	size_t j, side;
	int rc;

	if (!g)
		return gdfo__error(GDFO_EINVAL, "gdfo_rewrite_join_strategy: graph is NULL");
	if (strategy < 0 || strategy >= GDFO_JOIN_STRATEGY_COUNT)
		return gdfo__error(GDFO_EINVAL, "join strategy %d is not a gdfo_join_strategy", strategy);
	if ((rc = find(&j, g, join_id)))
		return rc;
	if (g->stages[j].op != GDFO_OP_JOIN)
		return illegal(strategy_pre(pre, sizeof(pre), g, j, strategy), "it is a %s, not a join", SOP(g, j));
	if (strategy == GDFO_JOIN_BROADCAST) {
		double bytes;
		if (!isfinite(max_bytes) || max_bytes <= 0)
			return gdfo__error(GDFO_EINVAL, "broadcast size bound %g must be finite and > 0", max_bytes);
		if (!isfinite(side_bytes))
			return gdfo__error(GDFO_EINVAL, "broadcast side size %g is not finite", side_bytes);
		if ((rc = gdfo__join_broadcast_side(&side, g, j)))
			return gdfo__error_prefix(rc, "cannot broadcast");
		if (side_bytes >= 0) {
			bytes = side_bytes;
		} else {
			if (g->stages[side].stats.bytes_in <= 0)
				return illegal(strategy_pre(pre, sizeof(pre), g, j, strategy), "the size of broadcast side %lld '%s' is unknown (bytes_in is 0)",
					       SID(g, side), SNAME(g, side));
			bytes = gdfo__stage_out_bytes(&g->stages[side]);
		}
		if (bytes > max_bytes)
			return illegal(strategy_pre(pre, sizeof(pre), g, j, strategy), "broadcast side %lld '%s' is %.0f bytes, over the %.0f-byte bound",
				       SID(g, side), SNAME(g, side), bytes, max_bytes);
	}
	g->stages[j].knobs.join_strategy = strategy;
	return 0;
}

/* 1 when stage s reads, through narrow stages only, the output of a global sort. */
static int fed_by_sort(const gdfo_graph *g, size_t s, size_t *sort_idx, int *rc)
{
	size_t *stack, top = 0, k;
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
	for (k = 0; k < g->stages[s].n_parents; k++) {
		size_t p = g->stages[s].parents[k];
		if (!seen[p]) {
			seen[p] = 1;
			stack[top++] = p;
		}
	}
	while (top && !found) {
		size_t v = stack[--top];
		const gdfo__stage *st = &g->stages[v];
		if (st->op == GDFO_OP_SORT) {
			*sort_idx = v;
			found = 1;
			break;
		}
		if (!gdfo__stage_is_narrow(st) && st->op != GDFO_OP_UNION)
			continue;
		for (k = 0; k < st->n_parents; k++)
			if (!seen[st->parents[k]]) {
				seen[st->parents[k]] = 1;
				stack[top++] = st->parents[k];
			}
	}
	free(stack);
	free(seen);
	return found;
}

int gdfo_rewrite_partitions(gdfo_graph *g, int64_t stage_id, int32_t partitions)
{
	char pre[300];
	size_t s, sort_idx = 0;
	int rc, op;

	if (!g)
		return gdfo__error(GDFO_EINVAL, "gdfo_rewrite_partitions: graph is NULL");
	if (partitions < 0 || partitions > GDFO_PARTITIONS_MAX)
		return gdfo__error(GDFO_EINVAL, "partitions %d is out of range; allowed 0 (default) to %d",
				   partitions, GDFO_PARTITIONS_MAX);
	if ((rc = find(&s, g, stage_id)))
		return rc;
	op = g->stages[s].op;
	if (partitions && (gdfo__stage_is_narrow(&g->stages[s]) || op == GDFO_OP_UNION || op == GDFO_OP_SINK)) {
		int found = fed_by_sort(g, s, &sort_idx, &rc);
		if (rc)
			return rc;
		if (found)
			return illegal(partitions_pre(pre, sizeof(pre), g, s, partitions), "its input is the output of sort %lld '%s' through narrow stages; repartitioning would lose the sort order",
				       SID(g, sort_idx), SNAME(g, sort_idx));
	}
	g->stages[s].knobs.partitions = partitions;
	return 0;
}

/* ---- reorder two inner joins ----------------------------------------------------- */

/* dry: only check (gdfo__rewrite_reorder_joins_legal); g is not touched. */
static int reorder_joins(gdfo_graph *g, int64_t upper_id, int dry)
{
	char pre[300];
	const gdfo__stage *U, *L;
	gdfo_graph *c;
	size_t u, l = 0, a, b, cc, p, ka, i, k;
	int reads[2] = {0, 0}, rc, av, avc;
	double outA, outB, outC, outbA, outbB, outbC, outL, outU, factor, new_u_rows;

	if (!g)
		return gdfo__error(GDFO_EINVAL, "gdfo_rewrite_reorder_joins: graph is NULL");
	if ((rc = find(&u, g, upper_id)))
		return rc;
	U = &g->stages[u];
	if (U->op != GDFO_OP_JOIN)
		return illegal(reorder_pre(pre, sizeof(pre), g, u, (size_t)-1), "it is a %s, not a join", gdfo_op_name(U->op));
	if (U->join_type != GDFO_JOIN_INNER || U->n_parents != 2)
		return illegal(reorder_pre(pre, sizeof(pre), g, u, (size_t)-1), "only two-input inner joins commute; it is a %s join with %zu inputs",
			       gdfo_join_type_name(U->join_type), U->n_parents);
	for (p = 0; p < 2 && g->stages[U->parents[p]].op != GDFO_OP_JOIN; p++)
		;
	if (p == 2)
		return illegal(reorder_pre(pre, sizeof(pre), g, u, (size_t)-1), "neither of its inputs is a join");
	l = U->parents[p];
	cc = U->parents[1 - p];
	L = &g->stages[l];
	if (L->join_type != GDFO_JOIN_INNER || L->n_parents != 2)
		return illegal(reorder_pre(pre, sizeof(pre), g, u, l), "only two-input inner joins commute; stage %lld is a %s join with %zu inputs",
			       SID(g, l), gdfo_join_type_name(L->join_type), L->n_parents);
	if (L->n_children != 1)
		return illegal(reorder_pre(pre, sizeof(pre), g, u, l), "join %lld '%s' has %zu consumers; its result would change for the others",
			       SID(g, l), L->name, L->n_children);
	if (!U->n_read || !L->n_read)
		return illegal(reorder_pre(pre, sizeof(pre), g, u, l), "the keys (columns_read) of join %lld '%s' are unknown",
			       !U->n_read ? SID(g, u) : SID(g, l), !U->n_read ? U->name : L->name);
	for (k = 0; k < 2; k++)
		for (i = 0; i < U->n_read && !reads[k]; i++) {
			if ((av = gdfo__col_available(g, L->parents[k], U->cols_read[i])) < 0)
				return av;
			reads[k] = av;
		}
	if (reads[0] && reads[1])
		return illegal(reorder_pre(pre, sizeof(pre), g, u, l), "join %lld '%s' reads columns available at both inputs of join %lld '%s'",
			       SID(g, u), U->name, SID(g, l), L->name);
	if (!reads[0] && !reads[1])
		return illegal(reorder_pre(pre, sizeof(pre), g, u, l), "join %lld '%s' reads no column of join %lld '%s''s inputs", SID(g, u), U->name,
			       SID(g, l), L->name);
	ka = reads[0] ? 0 : 1;
	a = L->parents[ka];
	b = L->parents[1 - ka];
	for (i = 0; i < U->n_read; i++) {
		const char *col = U->cols_read[i];
		if (gdfo__stage_writes(L, col))
			return illegal(reorder_pre(pre, sizeof(pre), g, u, l), "key '%s' of join %lld '%s' is written by join %lld '%s'", col, SID(g, u),
				       U->name, SID(g, l), L->name);
		if ((av = gdfo__col_available(g, a, col)) < 0 || (avc = gdfo__col_available(g, cc, col)) < 0)
			return GDFO_ENOMEM;
		if (!av && !avc)
			return illegal(reorder_pre(pre, sizeof(pre), g, u, l), "key '%s' of join %lld '%s' is available at neither stage %lld '%s' nor stage %lld '%s'",
				       col, SID(g, u), U->name, SID(g, a), SNAME(g, a), SID(g, cc), SNAME(g, cc));
	}
	for (i = 0; i < L->n_read; i++) {
		if ((av = gdfo__col_available(g, cc, L->cols_read[i])) < 0)
			return av;
		if (av)
			return illegal(reorder_pre(pre, sizeof(pre), g, u, l), "key '%s' of join %lld '%s' is also available at stage %lld '%s', so it would be ambiguous after the reorder",
				       L->cols_read[i], SID(g, l), L->name, SID(g, cc), SNAME(g, cc));
	}

	outA = gdfo__stage_out_rows(&g->stages[a]);
	outB = gdfo__stage_out_rows(&g->stages[b]);
	outC = gdfo__stage_out_rows(&g->stages[cc]);
	outbA = gdfo__stage_out_bytes(&g->stages[a]);
	outbB = gdfo__stage_out_bytes(&g->stages[b]);
	outbC = gdfo__stage_out_bytes(&g->stages[cc]);
	outL = gdfo__stage_out_rows(L);
	outU = gdfo__stage_out_rows(U);
	factor = outL > 0 ? outU / outL : 1.0;
	new_u_rows = outA * factor;

	if (dry)
		return 0;
	if ((rc = gdfo_graph_clone(&c, g)))
		return rc;
	if ((rc = move_consumers(c, u, l)) || (rc = replace_parent(c, u, l, a)) ||
	    (rc = replace_parent(c, l, a, u))) {
		gdfo_graph_free(c);
		return rc;
	}
	{
		gdfo__stage *cu = &c->stages[u], *cl = &c->stages[l];
		cu->stats.rows_in = outA + outC;
		cu->stats.bytes_in = outbA + outbC;
		if (cu->stats.rows_in > 0)
			cu->stats.selectivity = new_u_rows / cu->stats.rows_in;
		cl->stats.rows_in = new_u_rows + outB;
		cl->stats.bytes_in = gdfo__stage_out_bytes(cu) + outbB;
		if (cl->stats.rows_in > 0)
			cl->stats.selectivity = outU / cl->stats.rows_in;
	}
	swap_in(g, c);
	return 0;
}

int gdfo_rewrite_reorder_joins(gdfo_graph *g, int64_t upper_id)
{
	return reorder_joins(g, upper_id, 0);
}

int gdfo__rewrite_reorder_joins_legal(const gdfo_graph *g, int64_t upper_id)
{
	/* the dry run reads g only */
	return reorder_joins((gdfo_graph *)(uintptr_t)g, upper_id, 1);
}
