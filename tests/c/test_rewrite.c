/*
 * Legality-checked rewrites: each applied where legal, refused with its
 * reason where not, and the graph left untouched on refusal.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "gdfo/gdfo.h"
#include "testutil.h"

static void set_join(gdfo_graph *g, int64_t id, int type)
{
	gdfo_stage s = tu_get(g, id);
	s.join_type = type;
	ck_assert_int_eq(gdfo_graph_update_stage(g, &s), 0);
}

/* src 1 (a,b) -> project 2 (reads a, writes c) -> filter 3 (reads b) -> sink 4 */
static gdfo_graph *project_graph(const char *filter_reads, const char *proj_writes)
{
	gdfo_graph *g;
	ck_assert_int_eq(gdfo_graph_create(&g, "proj"), 0);
	tu_add_stage(g, 1, "src", GDFO_OP_SOURCE, "", "a,b", 1000, 100000, 1, 10);
	tu_add_stage(g, 2, "p", GDFO_OP_PROJECT, "a", proj_writes, 1000, 100000, 1, 20);
	tu_add_stage(g, 3, "f", GDFO_OP_FILTER, filter_reads, "", 1000, 120000, 0.25, 5);
	tu_add_stage(g, 4, "out", GDFO_OP_SINK, "", "", 250, 30000, 1, 50);
	tu_edge(g, 1, 2);
	tu_edge(g, 2, 3);
	tu_edge(g, 3, 4);
	return g;
}

static char *dump(const gdfo_graph *g)
{
	char *s;
	ck_assert_msg(gdfo_graph_to_json(&s, g) == 0, "%s", gdfo_last_error());
	return s;
}

/* The graph must be byte-for-byte what it was. */
static void assert_unchanged(const gdfo_graph *g, const char *before)
{
	char *after = dump(g);
	ck_assert_str_eq(after, before);
	gdfo_free(after);
}

START_TEST(push_below_project)
{
	gdfo_graph *g = project_graph("b", "c");
	gdfo_stage f = {.version = GDFO_STAGE_VERSION}, p = {.version = GDFO_STAGE_VERSION};

	ck_assert_msg(gdfo_rewrite_push_filter(g, 3, -1) == 0, "%s", gdfo_last_error());
	ck_assert_str_eq(tu_parents_of(g, 3), "1");
	ck_assert_str_eq(tu_parents_of(g, 2), "3");
	ck_assert_str_eq(tu_parents_of(g, 4), "2");
	f = tu_get(g, 3);
	p = tu_get(g, 2);
	/* The filter now reads what the project read; the project a quarter of it. */
	ck_assert_double_eq(f.stats->rows_in, 1000);
	ck_assert_double_eq(f.stats->bytes_in, 100000);
	ck_assert_double_eq(p.stats->rows_in, 250);
	ck_assert_double_eq(p.stats->bytes_in, 25000);
	ck_assert_int_eq(gdfo_graph_validate(g), 0);
	gdfo_graph_free(g);
}
END_TEST

START_TEST(push_below_project_illegal)
{
	gdfo_graph *g = project_graph("c", "c");
	char *before = dump(g);

	ck_assert_int_eq(gdfo_rewrite_push_filter(g, 3, -1), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot push filter 3 'f' below project 2 'p': it reads column 'c', which the project writes");
	assert_unchanged(g, before);
	gdfo_free(before);
	gdfo_graph_free(g);

	/* Unknown project outputs: the filter's column might be one of them. */
	g = project_graph("b", "");
	ck_assert_int_eq(gdfo_rewrite_push_filter(g, 3, -1), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot push filter 3 'f' below project 2 'p': the project's columns_written are unknown, so it may compute a column the filter reads");
	gdfo_graph_free(g);

	/* A column nobody upstream writes. */
	g = project_graph("zz", "c");
	ck_assert_int_eq(gdfo_rewrite_push_filter(g, 3, -1), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot push filter 3 'f' below project 2 'p': column 'zz' it reads is not available at the project's input stage 1 'src'");
	gdfo_graph_free(g);

	/* The filter's own columns unknown. */
	g = project_graph("", "c");
	ck_assert_int_eq(gdfo_rewrite_push_filter(g, 3, -1), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot push filter 3 'f' down: its columns_read are unknown, so it is not known where they exist");
	gdfo_graph_free(g);

	/* A second consumer of the project would lose rows. */
	g = project_graph("b", "c");
	tu_add_stage(g, 5, "other", GDFO_OP_SINK, "", "", 1000, 1000, 1, 1);
	tu_edge(g, 2, 5);
	ck_assert_int_eq(gdfo_rewrite_push_filter(g, 3, -1), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot push filter 3 'f' below project 2 'p': the project has 2 consumers; moving the filter below it would filter the others' input too");
	/* Not a filter; no such stage; wrong side. */
	ck_assert_int_eq(gdfo_rewrite_push_filter(g, 2, -1), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(), "cannot push filter 2 'p' down: it is a project, not a plain filter");
	ck_assert_int_eq(gdfo_rewrite_push_filter(g, 42, -1), GDFO_ENOTFOUND);
	ck_assert_int_eq(gdfo_rewrite_push_filter(NULL, 3, -1), GDFO_EINVAL);
	gdfo_graph_free(g);

	g = project_graph("b", "c");
	ck_assert_int_eq(gdfo_rewrite_push_filter(g, 3, 4), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot push filter 3 'f' below project 2 'p': stage 4 is not the project's input (stage 1 'src' is)");
	gdfo_graph_free(g);
}
END_TEST

/*
 * orders 1 (order_id, cust_id, status) and customers 2 (cust_id, region)
 * -> join 3 on cust_id -> filter 4 -> sink 5
 */
static gdfo_graph *join_graph(int type, const char *filter_reads)
{
	gdfo_graph *g;
	ck_assert_int_eq(gdfo_graph_create(&g, "join"), 0);
	tu_add_stage(g, 1, "orders", GDFO_OP_SOURCE, "", "order_id,cust_id,status", 1e6, 1e8, 1, 10);
	tu_add_stage(g, 2, "customers", GDFO_OP_SOURCE, "", "cust_id,region", 1e4, 1e6, 1, 10);
	tu_add_stage(g, 3, "j", GDFO_OP_JOIN, "cust_id", "", 1.01e6, 1.01e8, 0.99, 100);
	tu_add_stage(g, 4, "f", GDFO_OP_FILTER, filter_reads, "", 1e6, 1.2e8, 0.5, 5);
	tu_add_stage(g, 5, "out", GDFO_OP_SINK, "", "", 5e5, 6e7, 1, 50);
	tu_edge(g, 1, 3);
	tu_edge(g, 2, 3);
	tu_edge(g, 3, 4);
	tu_edge(g, 4, 5);
	set_join(g, 3, type);
	return g;
}

START_TEST(push_below_join)
{
	gdfo_graph *g = join_graph(GDFO_JOIN_INNER, "status");
	gdfo_stage f = {.version = GDFO_STAGE_VERSION}, j = {.version = GDFO_STAGE_VERSION};

	ck_assert_msg(gdfo_rewrite_push_filter(g, 4, -1) == 0, "%s", gdfo_last_error());
	/* The filter sits on the left input and the left input stays left. */
	ck_assert_str_eq(tu_parents_of(g, 3), "4,2");
	ck_assert_str_eq(tu_parents_of(g, 4), "1");
	ck_assert_str_eq(tu_parents_of(g, 5), "3");
	f = tu_get(g, 4);
	j = tu_get(g, 3);
	ck_assert_double_eq(f.stats->rows_in, 1e6);
	ck_assert_double_eq(f.stats->bytes_in, 1e8);
	ck_assert_double_eq_tol(j.stats->rows_in, 0.51e6, 1e-6);
	/* Output rows of the join shrink by the filter's selectivity. */
	ck_assert_double_eq_tol(j.stats->rows_in * j.stats->selectivity, 1.01e6 * 0.99 * 0.5, 1e-3);
	ck_assert_int_eq(gdfo_graph_validate(g), 0);
	gdfo_graph_free(g);

	/* Left join, filter on left columns: allowed onto the left input. */
	g = join_graph(GDFO_JOIN_LEFT, "status");
	ck_assert_msg(gdfo_rewrite_push_filter(g, 4, 1) == 0, "%s", gdfo_last_error());
	ck_assert_str_eq(tu_parents_of(g, 3), "4,2");
	gdfo_graph_free(g);

	/* Inner join, filter on right columns: onto the right input, position kept. */
	g = join_graph(GDFO_JOIN_INNER, "region");
	ck_assert_msg(gdfo_rewrite_push_filter(g, 4, -1) == 0, "%s", gdfo_last_error());
	ck_assert_str_eq(tu_parents_of(g, 3), "1,4");
	ck_assert_str_eq(tu_parents_of(g, 4), "2");
	gdfo_graph_free(g);

	/* The join key exists on both inputs; inner equi-join: either side is fine. */
	g = join_graph(GDFO_JOIN_INNER, "cust_id");
	ck_assert_msg(gdfo_rewrite_push_filter(g, 4, 2) == 0, "%s", gdfo_last_error());
	ck_assert_str_eq(tu_parents_of(g, 3), "1,4");
	gdfo_graph_free(g);
	/* Auto picks the input with more output bytes (orders). */
	g = join_graph(GDFO_JOIN_INNER, "cust_id");
	ck_assert_msg(gdfo_rewrite_push_filter(g, 4, -1) == 0, "%s", gdfo_last_error());
	ck_assert_str_eq(tu_parents_of(g, 3), "4,2");
	gdfo_graph_free(g);
}
END_TEST

START_TEST(push_below_join_illegal)
{
	gdfo_graph *g = join_graph(GDFO_JOIN_LEFT, "region");
	char *before = dump(g);

	ck_assert_int_eq(gdfo_rewrite_push_filter(g, 4, -1), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot push filter 4 'f' below join 3 'j': a left join keeps left rows whether or not right rows match, so a filter on its output cannot move to the right input (stage 2 'customers')");
	assert_unchanged(g, before);
	gdfo_free(before);
	gdfo_graph_free(g);

	g = join_graph(GDFO_JOIN_RIGHT, "status");
	ck_assert_int_eq(gdfo_rewrite_push_filter(g, 4, -1), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot push filter 4 'f' below join 3 'j': a right join keeps right rows whether or not left rows match, so a filter on its output cannot move to the left input (stage 1 'orders')");
	gdfo_graph_free(g);

	g = join_graph(GDFO_JOIN_FULL, "status");
	ck_assert_int_eq(gdfo_rewrite_push_filter(g, 4, -1), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot push filter 4 'f' below join 3 'j': a full join keeps unmatched rows of both inputs, so a filter on its output cannot move to either input");
	gdfo_graph_free(g);

	/* The key of a left join: which copy the filter meant is not known. */
	g = join_graph(GDFO_JOIN_LEFT, "cust_id");
	ck_assert_int_eq(gdfo_rewrite_push_filter(g, 4, 1), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot push filter 4 'f' below join 3 'j': column 'cust_id' is available at inputs 1 'orders' and 2 'customers' and is not a key of an inner join, so which copy the filter reads is ambiguous");
	gdfo_graph_free(g);

	/* Columns from both inputs: no single input has them all. */
	g = join_graph(GDFO_JOIN_INNER, "status,region");
	ck_assert_int_eq(gdfo_rewrite_push_filter(g, 4, -1), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot push filter 4 'f' below join 3 'j': no input of the join has every column the filter reads");
	ck_assert_int_eq(gdfo_rewrite_push_filter(g, 4, 1), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot push filter 4 'f' below join 3 'j': column 'region' it reads is not available at input stage 1 'orders' (neither it nor an ancestor writes it)");
	ck_assert_int_eq(gdfo_rewrite_push_filter(g, 4, 5), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(), "cannot push filter 4 'f' below join 3 'j': stage 5 is not an input of the join");
	gdfo_graph_free(g);

	/* Below an aggregate: not one of the rewrite's targets. */
	ck_assert_int_eq(gdfo_graph_create(&g, "agg"), 0);
	tu_add_stage(g, 1, "src", GDFO_OP_SOURCE, "", "k,v", 10, 10, 1, 1);
	tu_add_stage(g, 2, "agg", GDFO_OP_AGGREGATE, "k", "total", 10, 10, 1, 1);
	tu_add_stage(g, 3, "f", GDFO_OP_FILTER, "k", "", 10, 10, 1, 1);
	tu_edge(g, 1, 2);
	tu_edge(g, 2, 3);
	ck_assert_int_eq(gdfo_rewrite_push_filter(g, 3, -1), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot push filter 3 'f' below aggregate 2 'agg': filters move only below a project or a join");
	gdfo_graph_free(g);
}
END_TEST

/* src 1 -> f 2 -> p 3 -> u 4 -> sink 5 */
static gdfo_graph *chain_graph(void)
{
	gdfo_graph *g;
	ck_assert_int_eq(gdfo_graph_create(&g, "chain"), 0);
	tu_add_stage(g, 1, "src", GDFO_OP_SOURCE, "", "a,b", 1000, 1e5, 1, 1);
	tu_add_stage(g, 2, "f", GDFO_OP_FILTER, "a", "", 1000, 1e5, 0.5, 10);
	tu_add_stage(g, 3, "p", GDFO_OP_PROJECT, "a,b", "c", 500, 5e4, 1, 20);
	tu_add_stage(g, 4, "u", GDFO_OP_UDF, "c,b", "d", 500, 6e4, 0.8, 100);
	tu_add_stage(g, 5, "out", GDFO_OP_SINK, "", "", 400, 5e4, 1, 1);
	tu_edge(g, 1, 2);
	tu_edge(g, 2, 3);
	tu_edge(g, 3, 4);
	tu_edge(g, 4, 5);
	return g;
}

START_TEST(fuse_chain)
{
	gdfo_graph *g = chain_graph();
	int64_t ids[3] = {2, 3, 4};
	gdfo_stage s = {.version = GDFO_STAGE_VERSION};
	size_t i;

	ck_assert_msg(gdfo_rewrite_fuse(g, ids, 3) == 0, "%s", gdfo_last_error());
	ck_assert_uint_eq(gdfo_graph_stage_count(g), 3);
	s = tu_get(g, 2);
	ck_assert_str_eq(s.name, "f+p+u");
	ck_assert_int_eq(s.op, GDFO_OP_UDF);
	ck_assert_uint_eq(s.fused_ops, (1u << GDFO_OP_FILTER) | (1u << GDFO_OP_PROJECT) | (1u << GDFO_OP_UDF));
	ck_assert_double_eq_tol(s.stats->selectivity, 0.4, 1e-12);
	/* 10 + 0.5 * 20 + 0.5 * 1 * 100 ns per input row */
	ck_assert_double_eq_tol(s.stats->cpu_ns_per_row, 70, 1e-9);
	ck_assert_double_eq(s.stats->rows_in, 1000);
	/* Reads: a, b (c is produced inside the chain); writes c, d. */
	ck_assert_uint_eq(s.n_columns_read, 2);
	ck_assert_str_eq(s.columns_read[0], "a");
	ck_assert_str_eq(s.columns_read[1], "b");
	ck_assert_uint_eq(s.n_columns_written, 2);
	ck_assert_str_eq(s.columns_written[0], "c");
	ck_assert_str_eq(s.columns_written[1], "d");
	ck_assert_str_eq(tu_parents_of(g, 5), "2");
	ck_assert_str_eq(tu_parents_of(g, 2), "1");
	ck_assert_int_eq(gdfo_graph_find(&i, g, 3), GDFO_ENOTFOUND);
	ck_assert_int_eq(gdfo_graph_validate(g), 0);
	gdfo_graph_free(g);
}
END_TEST

START_TEST(fuse_keeps_join_side)
{
	/* The fused chain feeds the right side of a join: it must stay right. */
	gdfo_graph *g;
	int64_t ids[2] = {3, 4};

	ck_assert_int_eq(gdfo_graph_create(&g, "side"), 0);
	tu_add_stage(g, 1, "l", GDFO_OP_SOURCE, "", "k", 10, 10, 1, 1);
	tu_add_stage(g, 2, "r", GDFO_OP_SOURCE, "", "k,v", 10, 10, 1, 1);
	tu_add_stage(g, 3, "f", GDFO_OP_FILTER, "v", "", 10, 10, 1, 1);
	tu_add_stage(g, 4, "p", GDFO_OP_PROJECT, "v", "w", 10, 10, 1, 1);
	tu_add_stage(g, 5, "j", GDFO_OP_JOIN, "k", "", 10, 10, 1, 1);
	tu_edge(g, 1, 5);
	tu_edge(g, 2, 3);
	tu_edge(g, 3, 4);
	tu_edge(g, 4, 5);
	ck_assert_msg(gdfo_rewrite_fuse(g, ids, 2) == 0, "%s", gdfo_last_error());
	ck_assert_str_eq(tu_parents_of(g, 5), "1,3");
	ck_assert_int_eq(tu_get(g, 3).op, GDFO_OP_PROJECT);
	gdfo_graph_free(g);
}
END_TEST

START_TEST(fuse_illegal)
{
	gdfo_graph *g = chain_graph();
	char *before = dump(g);
	int64_t bad_op[2] = {1, 2}, gap[2] = {2, 4}, dup[2] = {2, 2}, ok[2] = {3, 4};
	gdfo_stage s = {.version = GDFO_STAGE_VERSION};
	gdfo_stage_stats s_st;
	gdfo_stage_knobs s_kn;

	ck_assert_int_eq(gdfo_rewrite_fuse(g, bad_op, 2), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot fuse stages 1..2: stage 1 'src' is a source; only filter, project and udf stages fuse (no shuffle between them)");
	ck_assert_int_eq(gdfo_rewrite_fuse(g, gap, 2), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(), "cannot fuse stages 2..4: stage 4 'u' must have stage 2 'f' as its only input");
	ck_assert_int_eq(gdfo_rewrite_fuse(g, dup, 2), GDFO_EINVAL);
	ck_assert_str_eq(gdfo_last_error(), "stage 2 is listed twice in the chain to fuse");
	{
		/* The first of a repeat and a missing stage is reported (duplicates are found by sorting). */
		int64_t dup_then_missing[4] = {3, 2, 3, 99}, missing_then_dup[4] = {3, 99, 2, 3};
		ck_assert_int_eq(gdfo_rewrite_fuse(g, dup_then_missing, 4), GDFO_EINVAL);
		ck_assert_str_eq(gdfo_last_error(), "stage 3 is listed twice in the chain to fuse");
		ck_assert_int_eq(gdfo_rewrite_fuse(g, missing_then_dup, 4), GDFO_ENOTFOUND);
	}
	ck_assert_int_eq(gdfo_rewrite_fuse(g, ok, 1), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_rewrite_fuse(g, NULL, 2), GDFO_EINVAL);
	assert_unchanged(g, before);

	/* A repartition inside the chain is a shuffle. */
	s = tu_get(g, 4);
	tu_own(&s, &s_st, &s_kn);
	s_kn.partitions = 64;
	ck_assert_int_eq(gdfo_graph_update_stage(g, &s), 0);
	ck_assert_int_eq(gdfo_rewrite_fuse(g, ok, 2), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot fuse stages 3..4: stage 4 'u' sets knobs.partitions to 64, a repartition (a shuffle) inside the chain");
	s = tu_get(g, 4); /* the update freed the old view's column arrays */
	tu_own(&s, &s_st, &s_kn);
	s_kn.partitions = 0;
	ck_assert_int_eq(gdfo_graph_update_stage(g, &s), 0);

	/* A second consumer in the middle of the chain. */
	tu_add_stage(g, 6, "tap", GDFO_OP_SINK, "", "", 1, 1, 1, 1);
	tu_edge(g, 3, 6);
	ck_assert_int_eq(gdfo_rewrite_fuse(g, ok, 2), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot fuse stages 3..4: stage 3 'p' has 2 consumers; only the last stage of a chain may have several");
	gdfo_free(before);
	gdfo_graph_free(g);
}
END_TEST

START_TEST(cache_rules)
{
	gdfo_graph *g = chain_graph();

	ck_assert_int_eq(gdfo_rewrite_cache(g, 3, GDFO_CACHE_MEMORY), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot cache stage 3 'p': it has 1 consumer; caching saves recomputation only for 2 or more");
	ck_assert_int_eq(gdfo_rewrite_cache(g, 5, GDFO_CACHE_DISK), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(), "cannot cache stage 5 'out': it is a sink; its output is written, not consumed");
	ck_assert_int_eq(gdfo_rewrite_cache(g, 3, 7), GDFO_EINVAL);
	tu_add_stage(g, 6, "tap", GDFO_OP_SINK, "", "", 1, 1, 1, 1);
	tu_edge(g, 3, 6);
	ck_assert_int_eq(gdfo_rewrite_cache(g, 3, GDFO_CACHE_MEMORY), 0);
	ck_assert_int_eq(tu_get(g, 3).knobs->cache, GDFO_CACHE_MEMORY);
	ck_assert_int_eq(gdfo_rewrite_cache(g, 2, GDFO_CACHE_NONE), 0);
	gdfo_graph_free(g);
}
END_TEST

START_TEST(join_strategy_rules)
{
	gdfo_graph *g = join_graph(GDFO_JOIN_INNER, "status");
	const double bound = 10.0 * 1024 * 1024;

	/* customers: 1e6 bytes x 1 -> under 10 MiB. */
	ck_assert_msg(gdfo_rewrite_join_strategy(g, 3, GDFO_JOIN_BROADCAST, bound, -1) == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(tu_get(g, 3).knobs->join_strategy, GDFO_JOIN_BROADCAST);
	/* A measured size overrides the estimate. */
	ck_assert_int_eq(gdfo_rewrite_join_strategy(g, 3, GDFO_JOIN_BROADCAST, bound, 2e7), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot set join strategy broadcast on stage 3 'j': broadcast side 2 'customers' is 20000000 bytes, over the 10485760-byte bound");
	ck_assert_int_eq(gdfo_rewrite_join_strategy(g, 3, GDFO_JOIN_SORT_MERGE, bound, -1), 0);
	ck_assert_int_eq(gdfo_rewrite_join_strategy(g, 3, GDFO_JOIN_BROADCAST, 5e5, -1), GDFO_EILLEGAL);
	ck_assert_int_eq(gdfo_rewrite_join_strategy(g, 3, GDFO_JOIN_BROADCAST, 0, -1), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_rewrite_join_strategy(g, 3, 9, bound, -1), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_rewrite_join_strategy(g, 4, GDFO_JOIN_SHUFFLE_HASH, bound, -1), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(), "cannot set join strategy shuffle_hash on stage 4 'f': it is a filter, not a join");
	ck_assert_int_eq(tu_get(g, 3).knobs->join_strategy, GDFO_JOIN_SORT_MERGE);
	gdfo_graph_free(g);

	/* A right join may only broadcast its left input (orders, 100 MB). */
	g = join_graph(GDFO_JOIN_RIGHT, "status");
	ck_assert_int_eq(gdfo_rewrite_join_strategy(g, 3, GDFO_JOIN_BROADCAST, bound, -1), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot set join strategy broadcast on stage 3 'j': broadcast side 1 'orders' is 100000000 bytes, over the 10485760-byte bound");
	gdfo_graph_free(g);

	g = join_graph(GDFO_JOIN_FULL, "status");
	ck_assert_int_eq(gdfo_rewrite_join_strategy(g, 3, GDFO_JOIN_BROADCAST, bound, -1), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot broadcast: join 3 'j' is a full join; it keeps unmatched rows of both inputs, so neither can be broadcast");
	ck_assert_int_eq(gdfo_rewrite_join_strategy(g, 3, GDFO_JOIN_SHUFFLE_HASH, bound, -1), 0);
	gdfo_graph_free(g);

	/* Unknown size (bytes_in 0) is never broadcast. */
	ck_assert_int_eq(gdfo_graph_create(&g, "unknown"), 0);
	tu_add_stage(g, 1, "a", GDFO_OP_SOURCE, "", "k", 0, 0, 1, 0);
	tu_add_stage(g, 2, "b", GDFO_OP_SOURCE, "", "k", 0, 0, 1, 0);
	tu_add_stage(g, 3, "j", GDFO_OP_JOIN, "k", "", 0, 0, 1, 0);
	tu_edge(g, 1, 3);
	tu_edge(g, 2, 3);
	ck_assert_int_eq(gdfo_rewrite_join_strategy(g, 3, GDFO_JOIN_BROADCAST, bound, -1), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot set join strategy broadcast on stage 3 'j': the size of broadcast side 2 'b' is unknown (bytes_in is 0)");
	gdfo_graph_free(g);
}
END_TEST

START_TEST(partitions_rules)
{
	gdfo_graph *g;

	ck_assert_int_eq(gdfo_graph_create(&g, "sorted"), 0);
	tu_add_stage(g, 1, "src", GDFO_OP_SOURCE, "", "k", 10, 10, 1, 1);
	tu_add_stage(g, 2, "s", GDFO_OP_SORT, "k", "", 10, 10, 1, 1);
	tu_add_stage(g, 3, "p", GDFO_OP_PROJECT, "k", "k2", 10, 10, 1, 1);
	tu_add_stage(g, 4, "out", GDFO_OP_SINK, "", "", 10, 10, 1, 1);
	tu_edge(g, 1, 2);
	tu_edge(g, 2, 3);
	tu_edge(g, 3, 4);
	ck_assert_int_eq(gdfo_rewrite_partitions(g, 2, 64), 0);
	ck_assert_int_eq(tu_get(g, 2).knobs->partitions, 64);
	ck_assert_int_eq(gdfo_rewrite_partitions(g, 1, 8), 0);
	ck_assert_int_eq(gdfo_rewrite_partitions(g, 4, 16), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot set 16 partitions on stage 4 'out': its input is the output of sort 2 's' through narrow stages; repartitioning would lose the sort order");
	ck_assert_int_eq(gdfo_rewrite_partitions(g, 3, 16), GDFO_EILLEGAL);
	ck_assert_int_eq(gdfo_rewrite_partitions(g, 3, 0), 0);
	ck_assert_int_eq(gdfo_rewrite_partitions(g, 2, -1), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_rewrite_partitions(g, 2, GDFO_PARTITIONS_MAX + 1), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_rewrite_partitions(g, 99, 1), GDFO_ENOTFOUND);
	gdfo_graph_free(g);
}
END_TEST

/*
 * orders 1 (order_id, cust_id, prod_id) join_L 4 customers 2 (cust_id, region) on cust_id,
 * then join_U 5 with products 3 (prod_id, category) on prod_id -> sink 6.
 */
static gdfo_graph *star_graph(const char *upper_keys, const char *products_cols)
{
	gdfo_graph *g;
	ck_assert_int_eq(gdfo_graph_create(&g, "star"), 0);
	tu_add_stage(g, 1, "orders", GDFO_OP_SOURCE, "", "order_id,cust_id,prod_id", 1e6, 1e8, 1, 1);
	tu_add_stage(g, 2, "customers", GDFO_OP_SOURCE, "", "cust_id,region", 1e5, 1e7, 1, 1);
	tu_add_stage(g, 3, "products", GDFO_OP_SOURCE, "", products_cols, 1e3, 1e5, 1, 1);
	tu_add_stage(g, 4, "jl", GDFO_OP_JOIN, "cust_id", "", 1.1e6, 1.1e8, 1e6 / 1.1e6, 1);
	tu_add_stage(g, 5, "ju", GDFO_OP_JOIN, upper_keys, "", 1.001e6, 1.2e8, 1e4 / 1.001e6, 1);
	tu_add_stage(g, 6, "out", GDFO_OP_SINK, "", "", 1e4, 1e6, 1, 1);
	tu_edge(g, 1, 4);
	tu_edge(g, 2, 4);
	tu_edge(g, 4, 5);
	tu_edge(g, 3, 5);
	tu_edge(g, 5, 6);
	return g;
}

START_TEST(reorder_joins)
{
	gdfo_graph *g = star_graph("prod_id", "prod_id,category");
	gdfo_stage u = {.version = GDFO_STAGE_VERSION}, l = {.version = GDFO_STAGE_VERSION};

	ck_assert_msg(gdfo_rewrite_reorder_joins(g, 5) == 0, "%s", gdfo_last_error());
	/* ju now joins orders with products; jl joins that with customers. */
	ck_assert_str_eq(tu_parents_of(g, 5), "1,3");
	ck_assert_str_eq(tu_parents_of(g, 4), "5,2");
	ck_assert_str_eq(tu_parents_of(g, 6), "4");
	u = tu_get(g, 5);
	l = tu_get(g, 4);
	/* Keys stay with their joins. */
	ck_assert_str_eq(u.columns_read[0], "prod_id");
	ck_assert_str_eq(l.columns_read[0], "cust_id");
	/* products keeps 1 % of rows: the intermediate is 1e4 rows, the final output unchanged. */
	ck_assert_double_eq_tol(u.stats->rows_in, 1e6 + 1e3, 1e-6);
	ck_assert_double_eq_tol(u.stats->rows_in * u.stats->selectivity, 1e4, 1e-6);
	ck_assert_double_eq_tol(l.stats->rows_in * l.stats->selectivity, 1e4, 1e-6);
	ck_assert_int_eq(gdfo_graph_validate(g), 0);
	/* And back: the reorder is its own inverse on the shape. */
	ck_assert_msg(gdfo_rewrite_reorder_joins(g, 4) == 0, "%s", gdfo_last_error());
	ck_assert_str_eq(tu_parents_of(g, 4), "1,2");
	ck_assert_str_eq(tu_parents_of(g, 5), "4,3");
	gdfo_graph_free(g);
}
END_TEST

START_TEST(reorder_joins_illegal)
{
	gdfo_graph *g = star_graph("category", "prod_id,category");
	char *before = dump(g);

	/* ju's only key comes from products: nothing ties it to one input of jl. */
	ck_assert_int_eq(gdfo_rewrite_reorder_joins(g, 5), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot reorder joins 5 'ju' and 4 'jl': join 5 'ju' reads no column of join 4 'jl''s inputs");
	assert_unchanged(g, before);
	gdfo_free(before);
	gdfo_graph_free(g);

	g = star_graph("prod_id,region", "prod_id,category");
	ck_assert_int_eq(gdfo_rewrite_reorder_joins(g, 5), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot reorder joins 5 'ju' and 4 'jl': join 5 'ju' reads columns available at both inputs of join 4 'jl'");
	gdfo_graph_free(g);

	/* jl's key also exists at products: ambiguous after the swap. */
	g = star_graph("prod_id", "prod_id,cust_id");
	ck_assert_int_eq(gdfo_rewrite_reorder_joins(g, 5), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot reorder joins 5 'ju' and 4 'jl': key 'cust_id' of join 4 'jl' is also available at stage 3 'products', so it would be ambiguous after the reorder");
	gdfo_graph_free(g);

	g = star_graph("prod_id", "prod_id,category");
	set_join(g, 4, GDFO_JOIN_LEFT);
	ck_assert_int_eq(gdfo_rewrite_reorder_joins(g, 5), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot reorder joins 5 'ju' and 4 'jl': only two-input inner joins commute; stage 4 is a left join with 2 inputs");
	set_join(g, 4, GDFO_JOIN_INNER);
	tu_add_stage(g, 7, "tap", GDFO_OP_SINK, "", "", 1, 1, 1, 1);
	tu_edge(g, 4, 7);
	ck_assert_int_eq(gdfo_rewrite_reorder_joins(g, 5), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "cannot reorder joins 5 'ju' and 4 'jl': join 4 'jl' has 2 consumers; its result would change for the others");
	ck_assert_int_eq(gdfo_rewrite_reorder_joins(g, 4), GDFO_EILLEGAL);
	ck_assert_str_eq(gdfo_last_error(), "cannot reorder joins below stage 4 'jl': neither of its inputs is a join");
	ck_assert_int_eq(gdfo_rewrite_reorder_joins(g, 6), GDFO_EILLEGAL);
	gdfo_graph_free(g);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rewrite");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, push_below_project);
	tcase_add_test(tc, push_below_project_illegal);
	tcase_add_test(tc, push_below_join);
	tcase_add_test(tc, push_below_join_illegal);
	tcase_add_test(tc, fuse_chain);
	tcase_add_test(tc, fuse_keeps_join_side);
	tcase_add_test(tc, fuse_illegal);
	tcase_add_test(tc, cache_rules);
	tcase_add_test(tc, join_strategy_rules);
	tcase_add_test(tc, partitions_rules);
	tcase_add_test(tc, reorder_joins);
	tcase_add_test(tc, reorder_joins_illegal);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
