/*
 * The decision space (include/gdfo/space.h), the reward and the judge:
 * every point applies to a valid graph, masked choices are never
 * produced, exhaustive search of a tiny space is at least as good as the
 * searches that sample it, the JSON export round-trips.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "gdfo/gdfo.h"
#include "plan/space_internal.h"
#include "testutil.h"

static gdfo_graph *gen(int family, uint64_t seed)
{
	return tu_generate(family, seed, 0);
}

/* Graph i of the corpus: the examples, then five families x seeds 1..6. */
#define CORPUS (3 + 5 * 6)
#define corpus tu_corpus

static char *graph_json(const gdfo_graph *g)
{
	char *t;
	ck_assert_msg(gdfo_graph_to_json(&t, g) == 0, "%s", gdfo_last_error());
	return t;
}

/* Every kind of decision on: per-stage priorities too. */
static gdfo_space *space_of(const gdfo_graph *g)
{
	gdfo_space_options o;
	gdfo_space *s;
	gdfo_space_options_init(&o, GDFO_SPACE_OPTIONS_VERSION);
	o.stage_priorities = 1;
	ck_assert_msg(gdfo_space_create(&s, g, &o) == 0, "%s", gdfo_last_error());
	return s;
}

static gdfo_plan *apply(const gdfo_space *s, const int32_t *p)
{
	gdfo_plan *plan;
	ck_assert_msg(gdfo_space_apply(&plan, s, p, gdfo_space_dim(s), "test") == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(gdfo_graph_validate(gdfo_plan_graph(plan)), 0);
	return plan;
}

START_TEST(every_point_applies_to_a_valid_graph)
{
	int i, k;
	size_t kinds[GDFO_DECISION_KIND_COUNT] = {0};

	for (i = 0; i < CORPUS; i++) {
		gdfo_graph *g = corpus(i);
		gdfo_space *s = space_of(g);
		size_t dim = gdfo_space_dim(s), d;
		int32_t *p = calloc(dim + 1, sizeof(*p));
		uint64_t rng = (uint64_t)i;
		gdfo_plan *plan;
		char *a, *b;

		ck_assert_ptr_nonnull(p);
		for (d = 0; d < dim; d++) {
			gdfo_decision dc = {.version = GDFO_DECISION_VERSION};
			ck_assert_int_eq(gdfo_space_decision_at(&dc, s, d), 0);
			ck_assert(dc.n_legal >= 2 || dc.kind == GDFO_DECISION_PARTITIONS);
			kinds[dc.kind]++;
		}
		/* The all-zero point is the input itself. */
		plan = apply(s, p);
		ck_assert_uint_eq(gdfo_plan_change_count(plan), 0);
		a = graph_json(g);
		b = graph_json(gdfo_plan_graph(plan));
		ck_assert_str_eq(a, b);
		gdfo_free(a);
		gdfo_free(b);
		gdfo_plan_free(plan);
		for (k = 0; k < 40; k++) {
			ck_assert_int_eq(gdfo_space_sample(p, dim, s, &rng), 0);
			plan = apply(s, p);
			ck_assert_str_eq(gdfo_plan_source(plan), "test");
			gdfo_plan_free(plan);
		}
		free(p);
		gdfo_space_free(s);
		gdfo_graph_free(g);
	}
	/* The corpus reaches every kind of decision. */
	for (k = 0; k < GDFO_DECISION_KIND_COUNT; k++)
		ck_assert_msg(kinds[k] > 0, "no %s decision in the corpus", gdfo_decision_kind_name(k));
}
END_TEST

/*
 * The learned planner's shortcuts give the graph gdfo_space_apply's plan
 * has: gdfo__space_apply_graph (no changes' text) for any point, and
 * gdfo__space_apply_knobs on a copy of the space's graph for knob-only
 * points.
 */
START_TEST(graph_only_applies_match_the_plan)
{
	int i, k;

	for (i = 0; i < CORPUS; i++) {
		gdfo_graph *g = corpus(i), *only, *scratch;
		gdfo_space *s = space_of(g);
		size_t dim = gdfo_space_dim(s), d;
		int32_t *p = calloc(dim + 1, sizeof(*p));
		uint64_t rng = (uint64_t)i + 100;

		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(gdfo_graph_clone(&scratch, g), 0);
		for (k = 0; k < 30; k++) {
			gdfo_plan *plan;
			char *a, *b;
			int knobs_only = 1;
			ck_assert_int_eq(gdfo_space_sample(p, dim, s, &rng), 0);
			if (k % 3 == 2) /* knobs only */
				for (d = 0; d < dim; d++)
					if (s->d[d].kind < GDFO_DECISION_PARTITIONS)
						p[d] = 0;
			for (d = 0; d < dim; d++)
				knobs_only &= s->d[d].kind >= GDFO_DECISION_PARTITIONS || !p[d];
			plan = apply(s, p);
			ck_assert_msg(gdfo__space_apply_graph(&only, s, p) == 0, "%s", gdfo_last_error());
			a = graph_json(gdfo_plan_graph(plan));
			b = graph_json(only);
			ck_assert_str_eq(a, b);
			gdfo_free(b);
			if (knobs_only) {
				ck_assert_int_eq(gdfo__space_apply_knobs(scratch, s, p), 0);
				b = graph_json(scratch);
				ck_assert_str_eq(a, b);
				gdfo_free(b);
			}
			gdfo_free(a);
			gdfo_graph_free(only);
			gdfo_plan_free(plan);
		}
		gdfo_graph_free(scratch);
		free(p);
		gdfo_space_free(s);
		gdfo_graph_free(g);
	}
}
END_TEST

/* The graph knob a resource change names. */
static double graph_knob(const gdfo_graph *g, const char *field)
{
	gdfo_graph_knobs k = {.version = GDFO_GRAPH_KNOBS_VERSION};
	ck_assert_int_eq(gdfo_graph_get_knobs(&k, g), 0);
	if (!strcmp(field, "executors"))
		return k.executors;
	if (!strcmp(field, "cores_per_executor"))
		return k.cores_per_executor;
	ck_assert_str_eq(field, "memory_per_executor_bytes");
	return (double)k.memory_per_executor_bytes;
}

static double stage_knob(const gdfo_graph *g, int64_t id, const char *field)
{
	gdfo_stage st = tu_get(g, id);
	if (!strcmp(field, "partitions"))
		return st.knobs->partitions;
	if (!strcmp(field, "join_strategy"))
		return st.knobs->join_strategy;
	if (!strcmp(field, "cache"))
		return st.knobs->cache;
	if (!strcmp(field, "target_file_bytes"))
		return (double)st.knobs->target_file_bytes;
	ck_assert_str_eq(field, "compaction_every");
	return st.knobs->compaction_every;
}

/* Each change's field fits its kind; knob values are the input's and the plan's. */
START_TEST(apply_says_what_it_set)
{
	static const char *const stage_fields[] = {"partitions", "join_strategy", "cache", "target_file_bytes",
						   "compaction_every"};
	int i, k;
	size_t seen = 0, alone = 0;

	for (i = 0; i < CORPUS; i++) {
		gdfo_graph *g = corpus(i);
		gdfo_space *s = space_of(g);
		size_t dim = gdfo_space_dim(s), d, j, f;
		int32_t *p = calloc(dim + 1, sizeof(*p));
		uint64_t rng = 77 + (uint64_t)i;

		for (k = 0; k < 10; k++) {
			gdfo_plan *plan;
			int fused = 0;
			ck_assert_int_eq(gdfo_space_sample(p, dim, s, &rng), 0);
			plan = apply(s, p);
			for (j = 0; j < gdfo_plan_change_count(plan); j++) {
				gdfo_change c = {.version = GDFO_CHANGE_VERSION};
				ck_assert_int_eq(gdfo_plan_change_at(&c, plan, j), 0);
				ck_assert_msg(c.field != NULL, "%s", c.what);
				fused |= c.kind == GDFO_CHANGE_FUSE;
				if (c.kind == GDFO_CHANGE_RESOURCES) {
					ck_assert_double_eq(c.old_value, graph_knob(g, c.field));
					ck_assert_double_eq(c.new_value, graph_knob(gdfo_plan_graph(plan), c.field));
					ck_assert(c.old_label && c.new_label);
					seen++;
				}
				for (f = 0; f < sizeof(stage_fields) / sizeof(*stage_fields); f++) {
					if (strcmp(c.field, stage_fields[f]))
						continue;
					ck_assert_double_eq(c.new_value, stage_knob(gdfo_plan_graph(plan), c.stage_ids[0], c.field));
					if (!fused) /* a fused stage has the knobs of its chain's first member */
						ck_assert_double_eq(c.old_value, stage_knob(g, c.stage_ids[0], c.field));
					ck_assert(c.old_label && c.new_label);
					seen++;
				}
				if (c.kind == GDFO_CHANGE_FUSE) {
					ck_assert_str_eq(c.field, "fuse");
					ck_assert_double_ge(c.old_value, 2);
					ck_assert_double_eq(c.new_value, 1);
				}
				if (c.kind == GDFO_CHANGE_PUSH_FILTER)
					ck_assert_str_eq(c.field, "push_filter");
				if (c.kind == GDFO_CHANGE_PRIORITY)
					ck_assert(!strcmp(c.field, "priority") || !strcmp(c.field, "priority_policy"));
			}
			gdfo_plan_free(plan);
		}
		/* One decision alone: executors from the input's count to a choice's. */
		memset(p, 0, dim * sizeof(*p));
		for (d = 0; d < dim; d++) {
			gdfo_decision dc = {.version = GDFO_DECISION_VERSION};
			size_t ci;
			ck_assert_int_eq(gdfo_space_decision_at(&dc, s, d), 0);
			if (dc.kind != GDFO_DECISION_EXECUTORS)
				continue;
			for (ci = 1; ci < dc.n_choices; ci++) {
				gdfo_change c = {.version = GDFO_CHANGE_VERSION};
				gdfo_plan *plan;
				int64_t v;
				int legal;
				char lab[32];
				ck_assert_int_eq(gdfo_space_choice(&v, NULL, &legal, s, d, ci), 0);
				if (!legal)
					continue;
				p[d] = (int32_t)ci;
				plan = apply(s, p);
				ck_assert_uint_eq(gdfo_plan_change_count(plan), 1);
				ck_assert_int_eq(gdfo_plan_change_at(&c, plan, 0), 0);
				ck_assert_int_eq(c.kind, GDFO_CHANGE_RESOURCES);
				ck_assert_str_eq(c.field, "executors");
				ck_assert_double_eq(c.old_value, graph_knob(g, "executors"));
				ck_assert_double_eq(c.new_value, (double)v);
				snprintf(lab, sizeof(lab), "%lld", (long long)v);
				ck_assert_str_eq(c.new_label, lab);
				gdfo_plan_free(plan);
				alone++;
			}
			p[d] = 0;
		}
		free(p);
		gdfo_space_free(s);
		gdfo_graph_free(g);
	}
	ck_assert_uint_gt(seen, 200);
	ck_assert_uint_gt(alone, 20);
}
END_TEST

START_TEST(masked_choices_are_never_produced)
{
	int i, k;

	for (i = 0; i < CORPUS; i++) {
		gdfo_graph *g = corpus(i);
		gdfo_space *s = space_of(g);
		size_t dim = gdfo_space_dim(s), n, count, j, d, masked = 0;
		int32_t *p = calloc(dim + 1, sizeof(*p)), *nb;
		uint64_t rng = 1000 + (uint64_t)i;
		gdfo_plan *plan;

		for (k = 0; k < 20; k++) {
			ck_assert_int_eq(gdfo_space_sample(p, dim, s, &rng), 0);
			ck_assert_msg(gdfo_space_check(s, p, dim) == 0, "%s", gdfo_last_error());
			ck_assert_int_eq(gdfo_space_neighbours(NULL, 0, &n, s, p, dim), 0);
			nb = malloc((n + 1) * dim * sizeof(*nb) + 1);
			ck_assert_int_eq(gdfo_space_neighbours(nb, n, &count, s, p, dim), 0);
			ck_assert_uint_eq(count, n);
			for (j = 0; j < n; j++) {
				size_t diff = 0;
				ck_assert_msg(gdfo_space_check(s, nb + j * dim, dim) == 0, "%s", gdfo_last_error());
				for (d = 0; d < dim; d++)
					diff += nb[j * dim + d] != p[d];
				ck_assert_uint_eq(diff, 1);
			}
			free(nb);
		}
		/* A masked choice is refused by check and apply, naming the decision. */
		for (d = 0; d < dim && !masked; d++) {
			gdfo_decision dc = {.version = GDFO_DECISION_VERSION};
			size_t c;
			gdfo_space_decision_at(&dc, s, d);
			for (c = 0; c < dc.n_choices && !masked; c++) {
				int legal;
				ck_assert_int_eq(gdfo_space_choice(NULL, NULL, &legal, s, d, c), 0);
				if (!legal) {
					memset(p, 0, dim * sizeof(*p));
					p[d] = (int32_t)c;
					ck_assert_int_eq(gdfo_space_check(s, p, dim), GDFO_EINVAL);
					ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "masked"));
					ck_assert_int_eq(gdfo_space_apply(&plan, s, p, dim, "test"), GDFO_EINVAL);
					ck_assert_ptr_null(plan);
					masked = 1;
				}
			}
		}
		/* Out of range and a wrong length. */
		memset(p, 0, dim * sizeof(*p));
		if (dim) {
			p[0] = 1000;
			ck_assert_int_eq(gdfo_space_check(s, p, dim), GDFO_EINVAL);
			p[0] = 0;
		}
		ck_assert_int_eq(gdfo_space_apply(&plan, s, p, dim + 1, "test"), GDFO_EINVAL);
		free(p);
		gdfo_space_free(s);
		gdfo_graph_free(g);
	}
}
END_TEST

/* The judge's reward of a point, noise-free and one run: fast and exact. */
static double judge_point(gdfo_judge *j, const gdfo_space *s, const int32_t *p)
{
	gdfo_plan *plan = apply(s, p);
	gdfo_reward r = {.version = GDFO_REWARD_VERSION};
	ck_assert_msg(gdfo_judge_graph(&r, NULL, j, gdfo_plan_graph(plan)) == 0, "%s", gdfo_last_error());
	gdfo_plan_free(plan);
	return r.penalized ? r.reward - 1000 : r.reward;
}

START_TEST(exhaustive_search_is_at_least_as_good)
{
	gdfo_graph *g = gen(GDFO_GEN_TPCH, 3);
	gdfo_space_options so;
	gdfo_judge_options jo;
	gdfo_judge *j;
	gdfo_space *s;
	size_t dim, d, total = 1, k, n;
	int32_t *p, *best, *cur, *nb;
	double best_r = -INFINITY, r, rand_r = -INFINITY, local_r;
	uint64_t rng = 7;
	gdfo_plan *rules;
	size_t *legal_of[16];
	size_t n_legal[16];

	gdfo_space_options_init(&so, GDFO_SPACE_OPTIONS_VERSION);
	so.structural = 0;
	so.stage_knobs = 0;
	so.priorities = 0;
	ck_assert_int_eq(gdfo_space_create(&s, g, &so), 0);
	dim = gdfo_space_dim(s);
	ck_assert(dim >= 2 && dim <= 16);
	for (d = 0; d < dim; d++) {
		gdfo_decision dc = {.version = GDFO_DECISION_VERSION};
		size_t c;
		gdfo_space_decision_at(&dc, s, d);
		legal_of[d] = calloc(dc.n_choices, sizeof(size_t));
		n_legal[d] = 0;
		for (c = 0; c < dc.n_choices; c++) {
			int legal;
			gdfo_space_choice(NULL, NULL, &legal, s, d, c);
			if (legal)
				legal_of[d][n_legal[d]++] = c;
		}
		ck_assert_uint_eq(n_legal[d], dc.n_legal);
		total *= n_legal[d];
	}
	ck_assert_msg(total <= 600, "the tiny space has %zu points", total);
	gdfo_judge_options_init(&jo, GDFO_JUDGE_OPTIONS_VERSION);
	jo.runs = 1;
	jo.noise_sigma = 0;
	jo.straggler_prob = 0;
	ck_assert_msg(gdfo_judge_create(&j, g, &jo) == 0, "%s", gdfo_last_error());
	p = calloc(dim, sizeof(*p));
	best = calloc(dim, sizeof(*p));
	cur = calloc(dim, sizeof(*p));
	/* Exhaustive: every combination of legal choices. */
	for (k = 0; k < total; k++) {
		size_t x = k;
		for (d = 0; d < dim; d++) {
			p[d] = (int32_t)legal_of[d][x % n_legal[d]];
			x /= n_legal[d];
		}
		r = judge_point(j, s, p);
		if (r > best_r) {
			best_r = r;
			memcpy(best, p, dim * sizeof(*p));
		}
	}
	ck_assert_uint_eq(gdfo_judge_count(j), total);
	/* The input (all keep) is one of the points: best is at least 0. */
	ck_assert(best_r >= 0);
	/* Random search with 40 draws. */
	for (k = 0; k < 40; k++) {
		gdfo_space_sample(p, dim, s, &rng);
		r = judge_point(j, s, p);
		rand_r = fmax(rand_r, r);
	}
	/* First-improvement local search from the input. */
	local_r = judge_point(j, s, cur);
	for (k = 0; k < 10; k++) {
		size_t count, i, improved = 0;
		gdfo_space_neighbours(NULL, 0, &n, s, cur, dim);
		nb = malloc((n + 1) * dim * sizeof(*nb));
		gdfo_space_neighbours(nb, n, &count, s, cur, dim);
		for (i = 0; i < n && !improved; i++) {
			r = judge_point(j, s, nb + i * dim);
			if (r > local_r) {
				local_r = r;
				memcpy(cur, nb + i * dim, dim * sizeof(*cur));
				improved = 1;
			}
		}
		free(nb);
		if (!improved)
			break;
	}
	ck_assert(best_r >= rand_r);
	ck_assert(best_r >= local_r);
	/* The rules plan's nearest point is in the space: no better either. */
	ck_assert_int_eq(gdfo_optimize_rules(&rules, g, NULL, NULL), 0);
	ck_assert_int_eq(gdfo_space_point_of(p, dim, s, gdfo_plan_graph(rules)), 0);
	ck_assert_int_eq(gdfo_space_check(s, p, dim), 0);
	ck_assert(best_r >= judge_point(j, s, p));
	gdfo_plan_free(rules);
	for (d = 0; d < dim; d++)
		free(legal_of[d]);
	free(p);
	free(best);
	free(cur);
	gdfo_judge_free(j);
	gdfo_space_free(s);
	gdfo_graph_free(g);
}
END_TEST

START_TEST(json_round_trips)
{
	int i, k;

	for (i = 0; i < CORPUS; i += 2) {
		gdfo_graph *g = corpus(i), *other = corpus(i + 1 < CORPUS ? i + 1 : 0);
		gdfo_space *s = space_of(g), *t;
		size_t dim = gdfo_space_dim(s);
		int32_t *p = calloc(dim + 1, sizeof(*p));
		uint64_t rng = 5 + (uint64_t)i;
		char *a, *b, *bad;

		ck_assert_int_eq(gdfo_space_to_json(&a, s), 0);
		ck_assert_msg(gdfo_space_from_json(&t, g, a, strlen(a)) == 0, "%s", gdfo_last_error());
		ck_assert_int_eq(gdfo_space_to_json(&b, t), 0);
		ck_assert_str_eq(a, b);
		gdfo_free(b);
		for (k = 0; k < 10; k++) {
			gdfo_plan *x, *y;
			char *jx, *jy;
			gdfo_space_sample(p, dim, s, &rng);
			x = apply(s, p);
			y = apply(t, p);
			ck_assert_int_eq(gdfo_plan_to_json(&jx, x), 0);
			ck_assert_int_eq(gdfo_plan_to_json(&jy, y), 0);
			ck_assert_str_eq(jx, jy);
			gdfo_free(jx);
			gdfo_free(jy);
			gdfo_plan_free(x);
			gdfo_plan_free(y);
		}
		gdfo_space_free(t);
		/* Another pipeline's graph is refused. */
		ck_assert_int_eq(gdfo_space_from_json(&t, other, a, strlen(a)), GDFO_EINVAL);
		ck_assert_ptr_null(t);
		ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "pipeline"));
		/* Cut short. */
		ck_assert_int_eq(gdfo_space_from_json(&t, g, a, strlen(a) / 2), GDFO_EFORMAT);
		/* A decision about a stage the graph lacks. */
		if ((b = strstr(a, "\"stage_id\": ")) && b[12] >= '0' && b[12] <= '9') {
			size_t pre = (size_t)(b - a) + 12, digits = strspn(b + 12, "0123456789");
			bad = malloc(strlen(a) + 16);
			memcpy(bad, a, pre);
			strcpy(bad + pre, "987654321");
			strcat(bad, b + 12 + digits);
			ck_assert_int_eq(gdfo_space_from_json(&t, g, bad, strlen(bad)), GDFO_EFORMAT);
			ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "987654321"));
			free(bad);
		}
		if ((b = strstr(a, "\"label\": \"keep\""))) {
			memcpy(b + 10, "kept", 4);
			ck_assert_int_eq(gdfo_space_from_json(&t, g, a, strlen(a)), GDFO_EFORMAT);
			ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "choice 0"));
		}
		gdfo_free(a);
		free(p);
		gdfo_space_free(s);
		gdfo_graph_free(g);
		gdfo_graph_free(other);
	}
}
END_TEST

START_TEST(point_of_finds_applied_points)
{
	int i, k, exact = 0, tried = 0;

	for (i = 0; i < CORPUS; i++) {
		gdfo_graph *g = corpus(i);
		gdfo_space *s = space_of(g);
		size_t dim = gdfo_space_dim(s);
		int32_t *p = calloc(dim + 1, sizeof(*p)), *q = calloc(dim + 1, sizeof(*q));
		uint64_t rng = 77 + (uint64_t)i;

		for (k = 0; k < 10; k++) {
			gdfo_plan *x, *y;
			char *jx, *jy;
			gdfo_space_sample(p, dim, s, &rng);
			x = apply(s, p);
			ck_assert_int_eq(gdfo_space_point_of(q, dim, s, gdfo_plan_graph(x)), 0);
			ck_assert_int_eq(gdfo_space_check(s, q, dim), 0);
			/* Applying the point found gives the same graph back. */
			y = apply(s, q);
			jx = graph_json(gdfo_plan_graph(x));
			jy = graph_json(gdfo_plan_graph(y));
			ck_assert_msg(!strcmp(jx, jy), "pipeline %d draw %d: point_of then apply changed the graph", i, k);
			exact += !memcmp(p, q, dim * sizeof(*p));
			tried++;
			gdfo_free(jx);
			gdfo_free(jy);
			gdfo_plan_free(x);
			gdfo_plan_free(y);
		}
		free(p);
		free(q);
		gdfo_space_free(s);
		gdfo_graph_free(g);
	}
	ck_assert_int_gt(exact, 0);
	(void)tried;
}
END_TEST

START_TEST(reward_worked_example)
{
	gdfo_outcome base, run;
	gdfo_reward r = {.version = GDFO_REWARD_VERSION};
	gdfo_objective o;

	gdfo_outcome_init(&base, GDFO_OUTCOME_VERSION);
	gdfo_outcome_init(&run, GDFO_OUTCOME_VERSION);
	base.latency_ms = 100000;
	base.throughput = 1000;
	base.cost = 10;
	run.latency_ms = 80000;
	run.throughput = 1250;
	run.cost = 11;
	ck_assert_int_eq(gdfo_reward_compute(&r, &run, &base, NULL), 0);
	ck_assert_double_eq_tol(r.throughput_gain, 0.25, 1e-12);
	ck_assert_double_eq_tol(r.latency_increase, -0.2, 1e-12);
	ck_assert_double_eq_tol(r.cost_overhead, 0.1, 1e-12);
	ck_assert_double_eq_tol(r.reward, 0.35, 1e-12);
	ck_assert_int_eq(r.penalized, 0);
	gdfo_objective_init(&o, GDFO_OBJECTIVE_VERSION);
	o.slo_ms = 70000;
	ck_assert_int_eq(gdfo_reward_compute(&r, &run, &base, &o), 0);
	ck_assert_int_eq(r.slo_missed, 1);
	ck_assert_double_eq_tol(r.reward, -0.65, 1e-12);
	run.success = 0;
	o.slo_ms = 0;
	ck_assert_int_eq(gdfo_reward_compute(&r, &run, &base, &o), 0);
	ck_assert_int_eq(r.failed, 1);
	ck_assert_double_eq_tol(r.reward, -0.65, 1e-12);
	run.cost = -1;
	ck_assert_int_eq(gdfo_reward_compute(&r, &run, &base, &o), GDFO_EINVAL);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "run.cost"));
}
END_TEST

START_TEST(judge_is_deterministic_and_fair)
{
	gdfo_graph *g = gen(GDFO_GEN_RETAIL_ETL, 2);
	gdfo_judge *j;
	gdfo_outcome a = {.version = GDFO_OUTCOME_VERSION}, b = {.version = GDFO_OUTCOME_VERSION},
		     base = {.version = GDFO_OUTCOME_VERSION};
	gdfo_reward r = {.version = GDFO_REWARD_VERSION};
	gdfo_plan *plan;

	ck_assert_int_eq(gdfo_judge_create(&j, g, NULL), 0);
	ck_assert_int_eq(gdfo_judge_baseline(&base, j), 0);
	/* The input on the same seeds: exactly its baseline, R = 0. */
	ck_assert_int_eq(gdfo_judge_graph(&r, &a, j, g), 0);
	ck_assert_double_eq(a.latency_ms, base.latency_ms);
	ck_assert_double_eq(r.reward, 0);
	ck_assert_int_eq(gdfo_optimize_rules(&plan, g, NULL, NULL), 0);
	ck_assert_int_eq(gdfo_judge_graph(NULL, &a, j, gdfo_plan_graph(plan)), 0);
	ck_assert_int_eq(gdfo_judge_graph(NULL, &b, j, gdfo_plan_graph(plan)), 0);
	ck_assert_double_eq(a.latency_ms, b.latency_ms);
	ck_assert_double_eq(a.cost, b.cost);
	ck_assert_uint_eq(gdfo_judge_count(j), 3);
	ck_assert_int_eq(gdfo_judge_graph(NULL, NULL, j, NULL), GDFO_EINVAL);
	gdfo_plan_free(plan);
	gdfo_judge_free(j);
	/* Telemetry of another pipeline is refused. */
	{
		gdfo_telemetry *t;
		gdfo_stage_telemetry st;
		gdfo_judge_options jo;
		gdfo_graph *other = gen(GDFO_GEN_TPCH, 9);
		uint64_t fp;
		ck_assert_int_eq(gdfo_telemetry_create(&t), 0);
		ck_assert_int_eq(gdfo_graph_fingerprint(&fp, other), 0);
		ck_assert_int_eq(gdfo_telemetry_set_fingerprint(t, fp), 0);
		gdfo_stage_telemetry_init(&st, GDFO_STAGE_TELEMETRY_VERSION);
		st.stage_id = 987654;
		st.duration_ms = 1000;
		snprintf(st.name, sizeof(st.name), "not_a_stage_here");
		ck_assert_int_eq(gdfo_telemetry_set_stage(t, &st), 0);
		gdfo_judge_options_init(&jo, GDFO_JUDGE_OPTIONS_VERSION);
		jo.telemetry = t;
		ck_assert_int_eq(gdfo_judge_create(&j, g, &jo), GDFO_EINVAL);
		ck_assert_ptr_null(j);
		ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "telemetry of another pipeline"));
		gdfo_telemetry_free(t);
		gdfo_graph_free(other);
	}
	gdfo_graph_free(g);
}
END_TEST

/* Runs cmd with the CLI; returns its exit status and the first line of its stderr. */
static int cli_run(char *err, size_t size, const char *args)
{
	const char *cli = getenv("GDFO_CLI");
	char cmd[2048];
	FILE *f;
	int rc;

	snprintf(cmd, sizeof(cmd), "%s space %s >/tmp/gdfo_test_space_out.txt 2>/tmp/gdfo_test_space_err.txt",
		 cli ? cli : "build/gdfo", args);
	rc = system(cmd);
	err[0] = '\0';
	if ((f = fopen("/tmp/gdfo_test_space_err.txt", "r"))) {
		if (!fgets(err, (int)size, f))
			err[0] = '\0';
		fclose(f);
	}
	return WEXITSTATUS(rc);
}

START_TEST(cli_space)
{
	char err[1024];
	const char *p = "examples/pipelines/retail_etl.json";
	char args[512];

	if (!getenv("GDFO_CLI"))
		return;
	snprintf(args, sizeof(args), "%s", p);
	ck_assert_int_eq(cli_run(err, sizeof(err), args), 0);
	snprintf(args, sizeof(args), "%s --apply 1,2,3", p);
	ck_assert_int_eq(cli_run(err, sizeof(err), args), 2);
	ck_assert_ptr_nonnull(strstr(err, "3 choices given, the space has"));
	snprintf(args, sizeof(args), "%s --apply x", p);
	ck_assert_int_eq(cli_run(err, sizeof(err), args), 2);
	ck_assert_ptr_nonnull(strstr(err, "not a list of choice indices"));
	snprintf(args, sizeof(args), "%s --sample 2 --json", p);
	ck_assert_int_eq(cli_run(err, sizeof(err), args), 2);
	ck_assert_int_eq(cli_run(err, sizeof(err), "--bogus"), 2);
	ck_assert_int_eq(cli_run(err, sizeof(err), "/nonexistent.json"), 2);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent.json"));
	/* A sampled point applies; a masked one is refused naming the decision. */
	snprintf(args, sizeof(args), "%s --sample 1 --seed 4", p);
	ck_assert_int_eq(cli_run(err, sizeof(err), args), 0);
	snprintf(args, sizeof(args), "%s --apply \"$(cat /tmp/gdfo_test_space_out.txt)\" --source test", p);
	ck_assert_int_eq(cli_run(err, sizeof(err), args), 0);
	{
		/* The point with one masked choice, built from the library's own view. */
		gdfo_graph *g;
		gdfo_space *s;
		size_t d, c, dim;
		int pos, masked = -1, mchoice = 0;
		ck_assert_int_eq(gdfo_graph_load(&g, p), 0);
		ck_assert_int_eq(gdfo_space_create(&s, g, NULL), 0);
		dim = gdfo_space_dim(s);
		for (d = 0; d < dim && masked < 0; d++) {
			gdfo_decision dc = {.version = GDFO_DECISION_VERSION};
			gdfo_space_decision_at(&dc, s, d);
			for (c = 0; c < dc.n_choices && masked < 0; c++) {
				int legal;
				gdfo_space_choice(NULL, NULL, &legal, s, d, c);
				if (!legal) {
					masked = (int)d;
					mchoice = (int)c;
				}
			}
		}
		ck_assert_int_ge(masked, 0);
		pos = snprintf(args, sizeof(args), "%s --apply ", p);
		for (d = 0; d < dim; d++)
			pos += snprintf(args + pos, sizeof(args) - (size_t)pos, "%s%d", d ? "," : "",
					(int)d == masked ? mchoice : 0);
		ck_assert_int_eq(cli_run(err, sizeof(err), args), 2);
		ck_assert_ptr_nonnull(strstr(err, "is masked"));
		gdfo_space_free(s);
		gdfo_graph_free(g);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("space");
	TCase *t = tcase_create("core");
	SRunner *sr;
	int failed;
	tcase_set_timeout(t, 300);
	tcase_add_test(t, every_point_applies_to_a_valid_graph);
	tcase_add_test(t, masked_choices_are_never_produced);
	tcase_add_test(t, apply_says_what_it_set);
	tcase_add_test(t, graph_only_applies_match_the_plan);
	tcase_add_test(t, exhaustive_search_is_at_least_as_good);
	tcase_add_test(t, json_round_trips);
	tcase_add_test(t, point_of_finds_applied_points);
	tcase_add_test(t, reward_worked_example);
	tcase_add_test(t, judge_is_deterministic_and_fair);
	tcase_add_test(t, cli_space);
	suite_add_tcase(s, t);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
