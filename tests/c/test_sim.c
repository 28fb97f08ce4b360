/*
 * Simulator: schedule bounds on random DAGs, determinism, monotonicity,
 * hand-computed replays, closed-form cases, model behaviours (broadcast,
 * pushdown, cache, spill, dynamic allocation, jobs, micro-batches), the
 * workload generator and the error messages of bad inputs.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdfo/gdfo.h"
#include "testutil.h"

#define EPS 1e-6

static gdfo_graph *gen(int family, uint64_t seed, int stages, double scale)
{
	gdfo_gen_options o;
	gdfo_graph *g;
	gdfo_gen_options_init(&o, GDFO_GEN_OPTIONS_VERSION);
	o.family = family;
	o.seed = seed;
	o.stages = stages;
	o.scale_bytes = scale;
	ck_assert_msg(gdfo_generate(&g, &o) == 0, "%s", gdfo_last_error());
	return g;
}

static void check_bounds(const gdfo_sim_result *r, const char *what, uint64_t seed)
{
	double cores = (double)r->executors * r->cores_per_executor;
	double lo = fmax(r->critical_path_ms, r->work_ms / cores);
	double hi = r->work_ms / cores + r->critical_path_ms;
	ck_assert_msg(r->makespan_ms >= lo * (1 - 1e-9) - EPS, "%s seed %llu: makespan %.6f < lower bound %.6f",
		      what, (unsigned long long)seed, r->makespan_ms, lo);
	ck_assert_msg(r->makespan_ms <= hi * (1 + 1e-9) + EPS, "%s seed %llu: makespan %.6f > upper bound %.6f",
		      what, (unsigned long long)seed, r->makespan_ms, hi);
}

START_TEST(bounds_on_random_graphs)
{
	gdfo_sim *sim;
	uint64_t seed;
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	for (seed = 1; seed <= 150; seed++) {
		gdfo_graph *g = gen(GDFO_GEN_RANDOM, seed, 4 + (int)(seed % 30), 1e8 * (double)(1 + seed % 50));
		gdfo_sim_options o;
		gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
		size_t i, n = gdfo_graph_stage_count(g);
		/* random priorities on some graphs */
		if (seed % 3 == 0)
			for (i = 0; i < n; i++) {
				gdfo_stage s = {.version = GDFO_STAGE_VERSION};
				gdfo_stage_stats s_st;
				gdfo_stage_knobs s_kn;
				gdfo_graph_stage_at(&s, g, i); tu_own(&s, &s_st, &s_kn);
				s_kn.priority = (int32_t)((seed * 7 + i * 13) % 5);
				ck_assert_int_eq(gdfo_graph_update_stage(g, &s), 0);
			}
		gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
		o.seed = seed;
		o.noise_sigma = (seed % 4) * 0.3;
		o.straggler_prob = seed % 5 == 0 ? 0.05 : 0;
		o.failure_prob = seed % 7 == 0 ? 0.05 : 0;
		o.max_attempts = 20;
		o.executors = 1 + (int32_t)(seed % 9);
		o.cores_per_executor = 1 + (int32_t)(seed % 4);
		ck_assert_msg(gdfo_sim_run_graph(&r, sim, g, &o) == 0, "%s", gdfo_last_error());
		ck_assert(r.success);
		check_bounds(&r, "des", seed);
		/* the fluid model is not a list schedule: only the lower bounds hold */
		o.mode = GDFO_SIM_ANALYTIC;
		ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g, &o), 0);
		ck_assert(r.makespan_ms >= fmax(r.critical_path_ms,
						r.work_ms / ((double)r.executors * r.cores_per_executor)) * (1 - 1e-9));
		gdfo_graph_free(g);
	}
	gdfo_sim_free(sim);
}
END_TEST

/* A random profile DAG with random task lists. */
static gdfo_profile *random_profile(uint64_t seed, int32_t E, int32_t C)
{
	gdfo_profile *p;
	uint64_t x = seed * 2654435761u + 1;
	int n = 3 + (int)(seed % 25), i, k;
	ck_assert_int_eq(gdfo_profile_create(&p, "rand", E, C), 0);
	for (i = 0; i < n; i++) {
		gdfo_profile_stage s = {.version = GDFO_PROFILE_STAGE_VERSION};
		int64_t par[3];
		double t[64];
		int np = 0, nt;
		gdfo_profile_stage_init(&s, GDFO_PROFILE_STAGE_VERSION);
		s.id = i * 3 + 1;
		for (k = 0; k < 3 && i > 0; k++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			if ((x >> 33) % 3 == 0) {
				int64_t cand = (int64_t)((x >> 40) % (uint64_t)i) * 3 + 1;
				int dup = 0, q;
				for (q = 0; q < np; q++)
					dup |= par[q] == cand;
				if (!dup)
					par[np++] = cand;
			}
		}
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		nt = 1 + (int)((x >> 35) % 64);
		for (k = 0; k < nt; k++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			t[k] = (double)((x >> 40) % 5000) / 10.0;
		}
		s.parents = par;
		s.n_parents = (size_t)np;
		s.num_tasks = nt;
		s.task_ms = t;
		s.n_task_ms = (size_t)nt;
		ck_assert_msg(gdfo_profile_add_stage(p, &s) == 0, "%s", gdfo_last_error());
	}
	return p;
}

START_TEST(bounds_on_random_profiles)
{
	gdfo_sim *sim;
	uint64_t seed;
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	for (seed = 1; seed <= 300; seed++) {
		int32_t E = 1 + (int32_t)(seed % 6), C = 1 + (int32_t)(seed % 5);
		gdfo_profile *p = random_profile(seed, E, C);
		gdfo_sim_options o;
		gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
		gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
		o.seed = seed;
		o.noise_sigma = (seed % 3) * 0.5;
		o.failure_prob = seed % 4 == 0 ? 0.1 : 0;
		o.max_attempts = 30;
		o.replay_stage_gap_ms = (seed % 5) * 3.0;
		ck_assert_msg(gdfo_sim_run_profile(&r, sim, p, &o) == 0, "%s", gdfo_last_error());
		ck_assert(r.success);
		check_bounds(&r, "profile", seed);
		gdfo_profile_free(p);
	}
	gdfo_sim_free(sim);
}
END_TEST

START_TEST(deterministic_for_a_seed)
{
	gdfo_sim *sim;
	gdfo_graph *g = gen(GDFO_GEN_TPCDS, 5, 0, 5e9);
	gdfo_sim_options o;
	gdfo_sim_result a = {.version = GDFO_SIM_RESULT_VERSION}, b = {.version = GDFO_SIM_RESULT_VERSION}, c = {.version = GDFO_SIM_RESULT_VERSION};
	char *ja, *jb;
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
	o.noise_sigma = 0.4;
	o.straggler_prob = 0.02;
	o.failure_prob = 0.01;
	o.runs = 5;
	o.seed = 42;
	ck_assert_int_eq(gdfo_sim_run_graph(&a, sim, g, &o), 0);
	ck_assert_int_eq(gdfo_sim_result_to_json(&ja, sim), 0);
	ck_assert_int_eq(gdfo_sim_run_graph(&b, sim, g, &o), 0);
	ck_assert_int_eq(gdfo_sim_result_to_json(&jb, sim), 0);
	ck_assert_str_eq(ja, jb);
	ck_assert(a.makespan_ms == b.makespan_ms);
	o.seed = 43;
	ck_assert_int_eq(gdfo_sim_run_graph(&c, sim, g, &o), 0);
	ck_assert(c.makespan_ms != a.makespan_ms);
	ck_assert(a.makespan_ms_p95 >= a.makespan_ms * 0.5);
	gdfo_free(ja);
	gdfo_free(jb);
	gdfo_graph_free(g);
	gdfo_sim_free(sim);
}
END_TEST

/* Multiplies every source's rows and bytes by f and pins every stage's partitions. */
static void scale_sources(gdfo_graph *g, double f, int32_t parts)
{
	size_t i, n = gdfo_graph_stage_count(g);
	for (i = 0; i < n; i++) {
		gdfo_stage s = {.version = GDFO_STAGE_VERSION};
		gdfo_stage_stats s_st;
		gdfo_stage_knobs s_kn;
		gdfo_graph_stage_at(&s, g, i); tu_own(&s, &s_st, &s_kn);
		if (s.op == GDFO_OP_SOURCE) {
			s_st.rows_in *= f;
			s_st.bytes_in *= f;
		}
		s_kn.partitions = parts;
		if (s.op == GDFO_OP_JOIN)
			s_kn.join_strategy = GDFO_JOIN_SORT_MERGE;
		ck_assert_int_eq(gdfo_graph_update_stage(g, &s), 0);
	}
}

START_TEST(more_data_never_faster)
{
	gdfo_sim *sim;
	uint64_t seed;
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	for (seed = 1; seed <= 60; seed++) {
		int family = (int)(seed % GDFO_GEN_FAMILY_COUNT);
		gdfo_graph *g = gen(family, seed, 12, 2e9);
		gdfo_sim_options o;
		gdfo_sim_result r0 = {.version = GDFO_SIM_RESULT_VERSION}, r1 = {.version = GDFO_SIM_RESULT_VERSION};
		int mode;
		for (mode = 0; mode < 2; mode++) {
			double prev = 0;
			int step;
			gdfo_graph *h;
			ck_assert_int_eq(gdfo_graph_clone(&h, g), 0);
			scale_sources(h, 1, 16);
			gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
			o.mode = mode;
			for (step = 0; step < 4; step++) {
				ck_assert_int_eq(gdfo_sim_run_graph(step ? &r1 : &r0, sim, h, &o), 0);
				{
					double m = step ? r1.makespan_ms : r0.makespan_ms;
					ck_assert_msg(m >= prev * (1 - 1e-9), "%s seed %llu step %d: %.3f ms < %.3f ms with less data",
						      mode ? "analytic" : "des", (unsigned long long)seed, step, m, prev);
					prev = m;
				}
				scale_sources(h, 1.7, 16);
			}
			gdfo_graph_free(h);
		}
		gdfo_graph_free(g);
	}
	gdfo_sim_free(sim);
}
END_TEST

static gdfo_profile *hand_profile(void)
{
	/* A: [3, 1, 2] -> B: [4];  C: [1, 1] is a second root */
	static const double a[] = {3, 1, 2}, b[] = {4}, c[] = {1, 1};
	static const int64_t pa[] = {0};
	gdfo_profile *p;
	gdfo_profile_stage s = {.version = GDFO_PROFILE_STAGE_VERSION};
	ck_assert_int_eq(gdfo_profile_create(&p, "hand", 2, 1), 0);
	gdfo_profile_stage_init(&s, GDFO_PROFILE_STAGE_VERSION);
	s.id = 0;
	s.num_tasks = 3;
	s.task_ms = a;
	s.n_task_ms = 3;
	ck_assert_int_eq(gdfo_profile_add_stage(p, &s), 0);
	gdfo_profile_stage_init(&s, GDFO_PROFILE_STAGE_VERSION);
	s.id = 5;
	s.num_tasks = 2;
	s.task_ms = c;
	s.n_task_ms = 2;
	ck_assert_int_eq(gdfo_profile_add_stage(p, &s), 0);
	gdfo_profile_stage_init(&s, GDFO_PROFILE_STAGE_VERSION);
	s.id = 9;
	s.parents = pa;
	s.n_parents = 1;
	s.num_tasks = 1;
	s.task_ms = b;
	s.n_task_ms = 1;
	ck_assert_int_eq(gdfo_profile_add_stage(p, &s), 0);
	return p;
}

START_TEST(exact_replay_hand_computed)
{
	gdfo_sim *sim;
	gdfo_profile *p = hand_profile();
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_sim_stage_result s = {.version = GDFO_SIM_STAGE_RESULT_VERSION};
	gdfo_sim_options o;
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	/*
	 * 2 cores. t=0: A0 (3) and A1 (1). t=1: A2 (2) until 3. t=3: A is done;
	 * C (earlier in FIFO order than B) takes both cores until 4; B runs 4..8.
	 */
	ck_assert_int_eq(gdfo_sim_run_profile(&r, sim, p, NULL), 0);
	ck_assert(fabs(r.makespan_ms - 8) < EPS);
	ck_assert(fabs(r.work_ms - 12) < EPS);
	ck_assert(fabs(r.critical_path_ms - 7) < EPS);
	ck_assert_uint_eq(gdfo_sim_stage_count(sim), 3);
	ck_assert_int_eq(gdfo_sim_stage_at(&s, sim, 0), 0);
	ck_assert_int_eq(s.id, 0);
	ck_assert(fabs(s.end_ms - 3) < EPS && fabs(s.start_ms) < EPS && s.tasks == 3);
	ck_assert_int_eq(gdfo_sim_stage_at(&s, sim, 1), 0);
	ck_assert_int_eq(s.id, 5);
	ck_assert(fabs(s.start_ms - 3) < EPS && fabs(s.end_ms - 4) < EPS);
	ck_assert_int_eq(gdfo_sim_stage_at(&s, sim, 2), 0);
	ck_assert(fabs(s.start_ms - 4) < EPS && fabs(s.end_ms - 8) < EPS);
	ck_assert(fabs(s.duration_ms - 5) < EPS); /* ready at 3, queued behind C */
	/* one core: everything serial */
	gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
	o.replay = GDFO_REPLAY_SAMPLED; /* the only count measured is 2: nearest */
	o.executors = 1;
	ck_assert_int_eq(gdfo_sim_run_profile(&r, sim, p, &o), 0);
	ck_assert(r.work_ms > 0);
	ck_assert(fabs(r.makespan_ms - r.work_ms) < EPS);
	/* exact replay at a count that was not measured */
	o.replay = GDFO_REPLAY_EXACT;
	ck_assert_int_eq(gdfo_sim_run_profile(&r, sim, p, &o), GDFO_ENOTFOUND);
	ck_assert_msg(strstr(gdfo_last_error(), "no task durations measured at 1 executors (measured: 2)") != NULL,
		      "%s", gdfo_last_error());
	/* a stage gap delays every stage after its parents */
	gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
	o.replay_stage_gap_ms = 10;
	ck_assert_int_eq(gdfo_sim_run_profile(&r, sim, p, &o), 0);
	/* A and C ready at 10: A0,A1 at 10; A2 11..13; C 13..14 both; B ready 23, 23..27 */
	ck_assert(fabs(r.makespan_ms - 27) < EPS);
	gdfo_profile_free(p);
	gdfo_sim_free(sim);
}
END_TEST

START_TEST(sampled_replay_interpolates)
{
	static const double t2[] = {10, 10}, t4[] = {20, 20};
	gdfo_profile_measurement m[2] = {{2, 0, t2, 2}, {4, 0, t4, 2}};
	gdfo_profile *p;
	gdfo_profile_stage s = {.version = GDFO_PROFILE_STAGE_VERSION};
	gdfo_sim *sim;
	gdfo_sim_options o;
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	ck_assert_int_eq(gdfo_profile_create(&p, "interp", 2, 1), 0);
	gdfo_profile_stage_init(&s, GDFO_PROFILE_STAGE_VERSION);
	s.id = 0;
	s.num_tasks = 3;
	s.by_executors = m;
	s.n_by_executors = 2;
	ck_assert_int_eq(gdfo_profile_add_stage(p, &s), 0);
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
	o.replay = GDFO_REPLAY_SAMPLED;
	o.executors = 3; /* halfway: 15 ms per task; 3 tasks on 3 cores */
	ck_assert_int_eq(gdfo_sim_run_profile(&r, sim, p, &o), 0);
	ck_assert(fabs(r.makespan_ms - 15) < EPS);
	ck_assert(fabs(r.work_ms - 45) < EPS);
	o.executors = 8; /* above the range: nearest (4) */
	ck_assert_int_eq(gdfo_sim_run_profile(&r, sim, p, &o), 0);
	ck_assert(fabs(r.makespan_ms - 20) < EPS);
	o.executors = 1; /* below: nearest (2): 3 tasks of 10 on one core */
	ck_assert_int_eq(gdfo_sim_run_profile(&r, sim, p, &o), 0);
	ck_assert(fabs(r.makespan_ms - 30) < EPS);
	/* exact at 4 uses the by-executors list */
	o.replay = GDFO_REPLAY_EXACT;
	o.executors = 4;
	ck_assert_int_eq(gdfo_sim_run_profile(&r, sim, p, &o), 0);
	ck_assert(fabs(r.makespan_ms - 20) < EPS && r.task_events == 2);
	gdfo_profile_free(p);
	gdfo_sim_free(sim);
}
END_TEST

/* A cluster where only scan bandwidth costs time. */
static void bare_cluster(gdfo_sim_cluster *c)
{
	gdfo_sim_cluster_init(c, GDFO_SIM_CLUSTER_VERSION);
	c->task_launch_ms = 0;
	c->stage_overhead_ms = 0;
	c->executor_start_ms = 0;
	c->file_open_ms = 0;
	c->file_commit_ms = 0;
	c->cpu_ns_per_row = 0;
	c->scan_bytes_per_s = 1e6;
	c->process_bytes_per_s = 1e13;
	c->price_per_executor_s = 0.5; /* the per-executor price alone (the pre-0.2 model) */
	c->price_per_core_s = 0;
	c->price_per_gib_s = 0;
	c->storage_price_per_byte = 0;
}

static gdfo_graph *one_source(double bytes, double skew, int32_t parts)
{
	gdfo_graph *g;
	gdfo_stage s = {.version = GDFO_STAGE_VERSION};
	gdfo_stage_stats s_st;
	gdfo_stage_knobs s_kn;
	gdfo_graph_knobs k = {.version = GDFO_GRAPH_KNOBS_VERSION, .executors = 2, .cores_per_executor = 2,
			      .memory_per_executor_bytes = 0};
	ck_assert_int_eq(gdfo_graph_create(&g, "one"), 0);
	tu_init(&s, &s_st, &s_kn);
	s.id = 0;
	s.name = "scan";
	s.op = GDFO_OP_SOURCE;
	s_st.rows_in = 1000;
	s_st.bytes_in = bytes;
	s_st.skew = skew;
	s_kn.partitions = parts;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	ck_assert_int_eq(gdfo_graph_set_knobs(g, &k), 0);
	return g;
}

START_TEST(closed_form_scan)
{
	gdfo_sim_cluster c = {.version = GDFO_SIM_CLUSTER_VERSION};
	gdfo_sim *sim;
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_sim_options o;
	gdfo_graph *g;
	bare_cluster(&c);
	ck_assert_int_eq(gdfo_sim_create(&sim, &c), 0);
	/* 8 MB in 8 tasks at 1 MB/s per core on 2x2 cores: two waves of 1 s */
	g = one_source(8e6, 1, 8);
	ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g, NULL), 0);
	ck_assert_msg(fabs(r.makespan_ms - 2000) < 1e-3, "%.9f", r.makespan_ms);
	ck_assert(fabs(r.work_ms - 8000) < 1e-3);
	ck_assert(fabs(r.critical_path_ms - 1000) < 1e-3);
	ck_assert(fabs(r.cost - 2 * 2.0 * 0.5) < 1e-6);     /* 2 executors x 2 s x 0.5 */
	/* cores and memory priced: 2 executors x 2 s x (0.5 + 2 cores x 0.25 + 8 GiB x 0.125) */
	gdfo_sim_free(sim);
	c.price_per_core_s = 0.25;
	c.price_per_gib_s = 0.125;
	ck_assert_int_eq(gdfo_sim_create(&sim, &c), 0);
	ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g, NULL), 0);
	ck_assert_msg(fabs(r.cost - 2 * 2.0 * (0.5 + 2 * 0.25 + 8 * 0.125)) < 1e-6, "%.9f", r.cost);
	ck_assert_msg(fabs(r.compute_cost - r.cost) < 1e-9, "%.9f", r.compute_cost);
	ck_assert(fabs(r.utilization - 1) < 1e-9);
	gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
	o.mode = GDFO_SIM_ANALYTIC;
	ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g, &o), 0);
	ck_assert(fabs(r.makespan_ms - 2000) < 1e-3);
	gdfo_graph_free(g);
	/* skew 2: task 4 (the middle) takes 2 s, the other 7 share 6 s */
	g = one_source(8e6, 2, 8);
	ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g, NULL), 0);
	ck_assert_msg(fabs(r.makespan_ms - (6000.0 / 7 + 2000)) < 1e-3, "%.9f", r.makespan_ms);
	ck_assert(fabs(r.critical_path_ms - 2000) < 1e-3);
	gdfo_graph_free(g);
	/* default partitions: one task per 128 MiB split */
	g = one_source(3 * 134217728.0, 1, 0);
	ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g, NULL), 0);
	ck_assert(r.task_events == 3);
	ck_assert(fabs(r.makespan_ms - 134217728.0 * 1000 * (1 / 1e6 + 1 / 1e13)) < 1e-6);
	gdfo_graph_free(g);
	gdfo_sim_free(sim);
}
END_TEST

/* scan(big) + scan(dim) -> join -> filter(0.1) -> sink, or the filter pushed below the join. */
static gdfo_graph *join_graph(int pushed, int strategy, double dim_bytes)
{
	gdfo_graph *g;
	gdfo_stage s = {.version = GDFO_STAGE_VERSION};
	gdfo_stage_stats s_st;
	gdfo_stage_knobs s_kn;
	ck_assert_int_eq(gdfo_graph_create(&g, pushed ? "pushed" : "plain"), 0);
	tu_init(&s, &s_st, &s_kn);
	s.id = 1; s.name = "facts"; s.op = GDFO_OP_SOURCE;
	s_st.rows_in = 1e8; s_st.bytes_in = 1e10;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	tu_init(&s, &s_st, &s_kn);
	s.id = 2; s.name = "dim"; s.op = GDFO_OP_SOURCE;
	s_st.rows_in = dim_bytes / 100; s_st.bytes_in = dim_bytes;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	tu_init(&s, &s_st, &s_kn);
	s.id = 3; s.name = "join"; s.op = GDFO_OP_JOIN;
	s_st.rows_in = 1e8 + dim_bytes / 100; s_st.bytes_in = 1e10 + dim_bytes; s_st.selectivity = 0.99;
	s_kn.join_strategy = strategy;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	tu_init(&s, &s_st, &s_kn);
	s.id = 4; s.name = "recent"; s.op = GDFO_OP_FILTER;
	s_st.rows_in = 1e8; s_st.bytes_in = 1e10; s_st.selectivity = 0.1; /* stale after a pushdown */
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	tu_init(&s, &s_st, &s_kn);
	s.id = 5; s.name = "write"; s.op = GDFO_OP_SINK;
	s_st.rows_in = 1e7; s_st.bytes_in = 1e9;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	if (pushed) {
		ck_assert_int_eq(gdfo_graph_add_edge(g, 1, 4), 0);
		ck_assert_int_eq(gdfo_graph_add_edge(g, 4, 3), 0);
		ck_assert_int_eq(gdfo_graph_add_edge(g, 2, 3), 0);
		ck_assert_int_eq(gdfo_graph_add_edge(g, 3, 5), 0);
	} else {
		ck_assert_int_eq(gdfo_graph_add_edge(g, 1, 3), 0);
		ck_assert_int_eq(gdfo_graph_add_edge(g, 2, 3), 0);
		ck_assert_int_eq(gdfo_graph_add_edge(g, 3, 4), 0);
		ck_assert_int_eq(gdfo_graph_add_edge(g, 4, 5), 0);
	}
	return g;
}

START_TEST(rewrites_show_up)
{
	gdfo_sim *sim;
	gdfo_sim_result a = {.version = GDFO_SIM_RESULT_VERSION}, b = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_sim_stage_result st = {.version = GDFO_SIM_STAGE_RESULT_VERSION};
	gdfo_graph *g, *h;
	size_t idx;
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	/* pushdown: the join reads a tenth of the facts */
	g = join_graph(0, GDFO_JOIN_SORT_MERGE, 1e6);
	h = join_graph(1, GDFO_JOIN_SORT_MERGE, 1e6);
	ck_assert_int_eq(gdfo_sim_run_graph(&a, sim, g, NULL), 0);
	ck_assert_int_eq(gdfo_sim_run_graph(&b, sim, h, NULL), 0);
	ck_assert_int_eq(gdfo_graph_find(&idx, h, 3), 0);
	ck_assert_int_eq(gdfo_sim_stage_at(&st, sim, idx), 0);
	ck_assert(st.rows_in < 1.1e7);
	ck_assert_msg(b.makespan_ms < 0.7 * a.makespan_ms, "pushed %.0f vs %.0f", b.makespan_ms, a.makespan_ms);
	ck_assert(b.records == a.records);
	gdfo_graph_free(h);
	/* broadcast of a small side beats sort-merge */
	h = join_graph(0, GDFO_JOIN_BROADCAST, 1e6);
	ck_assert_int_eq(gdfo_sim_run_graph(&b, sim, h, NULL), 0);
	ck_assert_msg(b.makespan_ms < a.makespan_ms, "broadcast %.0f vs sort-merge %.0f", b.makespan_ms, a.makespan_ms);
	ck_assert(b.shuffle_bytes < a.shuffle_bytes);
	gdfo_graph_free(h);
	/* AUTO picks broadcast under the threshold */
	h = join_graph(0, GDFO_JOIN_AUTO, 1e6);
	ck_assert_int_eq(gdfo_sim_run_graph(&b, sim, h, NULL), 0);
	ck_assert_int_eq(gdfo_sim_stage_at(&st, sim, 2), 0);
	ck_assert_int_eq(st.join_strategy, GDFO_JOIN_BROADCAST);
	gdfo_graph_free(h);
	/* a broadcast past the hard limit fails the run */
	h = join_graph(0, GDFO_JOIN_BROADCAST, 9e9);
	ck_assert_int_eq(gdfo_sim_run_graph(&b, sim, h, NULL), 0);
	ck_assert_int_eq(b.success, 0);
	ck_assert_int_eq(b.failed_stage_id, 3);
	gdfo_graph_free(h);
	/* a 2 GB hash table (4 GB in memory) fits 8 GiB executors, not 4 GiB ones: Spark's OOM */
	h = join_graph(0, GDFO_JOIN_BROADCAST, 2e9);
	ck_assert_int_eq(gdfo_sim_run_graph(&b, sim, h, NULL), 0);
	ck_assert_int_eq(b.success, 1);
	{
		gdfo_graph_knobs k = {.version = GDFO_GRAPH_KNOBS_VERSION};
		ck_assert_int_eq(gdfo_graph_get_knobs(&k, h), 0);
		k.memory_per_executor_bytes = 4LL << 30;
		ck_assert_int_eq(gdfo_graph_set_knobs(h, &k), 0);
	}
	ck_assert_int_eq(gdfo_sim_run_graph(&b, sim, h, NULL), 0);
	ck_assert_int_eq(b.success, 0);
	ck_assert_int_eq(b.failed_stage_id, 3);
	gdfo_graph_free(h);
	gdfo_graph_free(g);
	gdfo_sim_free(sim);
}
END_TEST

/* source -> project -> {agg A, agg B} -> sinks; optionally cache the project. */
static gdfo_graph *two_consumers(int cache, int64_t mem)
{
	gdfo_graph *g;
	gdfo_stage s = {.version = GDFO_STAGE_VERSION};
	gdfo_stage_stats s_st;
	gdfo_stage_knobs s_kn;
	gdfo_graph_knobs k = {.version = GDFO_GRAPH_KNOBS_VERSION, .executors = 4, .cores_per_executor = 4,
			      .memory_per_executor_bytes = mem};
	int i;
	ck_assert_int_eq(gdfo_graph_create(&g, "fanout"), 0);
	tu_init(&s, &s_st, &s_kn);
	s.id = 0; s.name = "src"; s.op = GDFO_OP_SOURCE; s_st.rows_in = 1e8; s_st.bytes_in = 2e10;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	tu_init(&s, &s_st, &s_kn);
	s.id = 1; s.name = "parse"; s.op = GDFO_OP_UDF; s_st.rows_in = 1e8; s_st.bytes_in = 2e10;
	s_st.cpu_ns_per_row = 2000; s_st.selectivity = 0.5; s_kn.cache = cache;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	ck_assert_int_eq(gdfo_graph_add_edge(g, 0, 1), 0);
	for (i = 0; i < 2; i++) {
		tu_init(&s, &s_st, &s_kn);
		s.id = 2 + i; s.name = i ? "agg_b" : "agg_a"; s.op = i ? GDFO_OP_FILTER : GDFO_OP_PROJECT;
		s_st.rows_in = 5e7; s_st.bytes_in = 1e10; s_st.selectivity = 0.5;
		ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
		ck_assert_int_eq(gdfo_graph_add_edge(g, 1, 2 + i), 0);
	}
	ck_assert_int_eq(gdfo_graph_set_knobs(g, &k), 0);
	return g;
}

START_TEST(cache_and_spill)
{
	gdfo_sim *sim;
	gdfo_sim_result a = {.version = GDFO_SIM_RESULT_VERSION}, b = {.version = GDFO_SIM_RESULT_VERSION}, c = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_sim_stage_result st = {.version = GDFO_SIM_STAGE_RESULT_VERSION};
	gdfo_graph *g;
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	g = two_consumers(GDFO_CACHE_NONE, 0);
	ck_assert_int_eq(gdfo_sim_run_graph(&a, sim, g, NULL), 0);
	ck_assert_int_eq(gdfo_sim_stage_at(&st, sim, 1), 0);
	ck_assert(st.executions == 2);       /* recomputed for its second consumer */
	gdfo_graph_free(g);
	g = two_consumers(GDFO_CACHE_MEMORY, 64LL << 30);
	ck_assert_int_eq(gdfo_sim_run_graph(&b, sim, g, NULL), 0);
	ck_assert_int_eq(gdfo_sim_stage_at(&st, sim, 1), 0);
	ck_assert(st.executions == 1 && st.cache_bytes > 0);
	ck_assert_msg(b.work_ms < a.work_ms && b.makespan_ms < a.makespan_ms, "cached %.0f vs %.0f", b.makespan_ms,
		      a.makespan_ms);
	gdfo_graph_free(g);
	/* a cache that does not fit is partly evicted and recomputed */
	g = two_consumers(GDFO_CACHE_MEMORY, 256LL << 20);
	ck_assert_int_eq(gdfo_sim_run_graph(&c, sim, g, NULL), 0);
	ck_assert_int_eq(gdfo_sim_stage_at(&st, sim, 1), 0);
	ck_assert(st.executions > 1.5 && st.executions <= 2);
	gdfo_graph_free(g);
	/* spill: a sort with 1 partition on a small executor */
	{
		gdfo_stage s = {.version = GDFO_STAGE_VERSION};
		gdfo_stage_stats s_st;
		gdfo_stage_knobs s_kn;
		gdfo_graph_knobs k = {.version = GDFO_GRAPH_KNOBS_VERSION, .executors = 1, .cores_per_executor = 1,
			      .memory_per_executor_bytes = 256LL << 20};
		g = one_source(4e9, 1, 8);
		tu_init(&s, &s_st, &s_kn);
		s.id = 1; s.name = "sort"; s.op = GDFO_OP_SORT; s_st.rows_in = 1000; s_st.bytes_in = 4e9;
		s_kn.partitions = 2;
		ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
		ck_assert_int_eq(gdfo_graph_add_edge(g, 0, 1), 0);
		ck_assert_int_eq(gdfo_graph_set_knobs(g, &k), 0);
		ck_assert_int_eq(gdfo_sim_run_graph(&a, sim, g, NULL), 0);
		ck_assert(a.spill_bytes > 1e9);
		s_kn.partitions = 200;
		ck_assert_int_eq(gdfo_graph_update_stage(g, &s), 0);
		ck_assert_int_eq(gdfo_sim_run_graph(&b, sim, g, NULL), 0);
		ck_assert(b.spill_bytes == 0);
		gdfo_graph_free(g);
	}
	gdfo_sim_free(sim);
}
END_TEST

START_TEST(jobs_batches_dynamic)
{
	gdfo_sim *sim;
	gdfo_sim_result a = {.version = GDFO_SIM_RESULT_VERSION}, b = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_sim_options o;
	gdfo_graph *g = gen(GDFO_GEN_IOT_STREAMING, 3, 0, 2e8);
	const gdfo_graph *jobs[3];
	double arr[3] = {0, 1000, 500000}, e0, e1, e2, x;
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	jobs[0] = jobs[1] = jobs[2] = g;
	ck_assert_int_eq(gdfo_sim_run_jobs(&a, sim, jobs, arr, 3, NULL), 0);
	ck_assert_uint_eq(gdfo_sim_job_count(sim), 3);
	ck_assert_uint_eq(gdfo_sim_stage_count(sim), 3 * gdfo_graph_stage_count(g));
	ck_assert_int_eq(gdfo_sim_job_result(&x, &e0, sim, 0), 0);
	ck_assert_int_eq(gdfo_sim_job_result(&x, &e1, sim, 1), 0);
	ck_assert(x == 1000 && e1 > e0);     /* FIFO: the later job finishes later */
	ck_assert_int_eq(gdfo_sim_job_result(&x, &e2, sim, 2), 0);
	ck_assert(e2 > 500000 && fabs(a.makespan_ms - e2) < EPS);
	/* micro-batches: a short interval builds a backlog, a long one does not */
	ck_assert_int_eq(gdfo_sim_run_graph(&b, sim, g, NULL), 0);
	gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
	o.batches = 20;
	o.batch_interval_ms = b.makespan_ms * 3;
	ck_assert_int_eq(gdfo_sim_run_graph(&a, sim, g, &o), 0);
	ck_assert(a.backlog_batches == 0 && a.batch_latency_ms_max < 2 * b.makespan_ms);
	o.batch_interval_ms = b.makespan_ms / 3;
	ck_assert_int_eq(gdfo_sim_run_graph(&a, sim, g, &o), 0);
	ck_assert(a.backlog_batches > 5 && a.batch_latency_ms_max > 5 * b.makespan_ms);
	/* dynamic allocation finishes and never pays for more executors than static */
	gdfo_graph_free(g);
	g = gen(GDFO_GEN_TPCDS, 9, 0, 2e10);
	gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
	o.executors = 16;
	ck_assert_int_eq(gdfo_sim_run_graph(&b, sim, g, &o), 0);
	o.dynamic_allocation = 1;
	o.min_executors = 1;
	o.max_executors = 16;
	o.idle_timeout_ms = 2000;
	ck_assert_int_eq(gdfo_sim_run_graph(&a, sim, g, &o), 0);
	ck_assert(a.success);
	ck_assert_msg(a.executor_seconds <= b.executor_seconds + 1e-6, "dyn %.1f static %.1f", a.executor_seconds,
		      b.executor_seconds);
	gdfo_graph_free(g);
	gdfo_sim_free(sim);
}
END_TEST

START_TEST(generator_families)
{
	int f;
	for (f = 0; f < GDFO_GEN_FAMILY_COUNT; f++) {
		gdfo_gen_options o;
		gdfo_graph *a, *b, *c;
		char *ja, *jb;
		size_t i, n;
		double bytes0 = 0, bytes3 = 0;
		int found_col = 0;
		gdfo_gen_options_init(&o, GDFO_GEN_OPTIONS_VERSION);
		o.family = f;
		o.seed = 11;
		ck_assert_int_eq(gdfo_generate(&a, &o), 0);
		ck_assert_int_eq(gdfo_generate(&b, &o), 0);
		ck_assert_int_eq(gdfo_graph_to_json(&ja, a), 0);
		ck_assert_int_eq(gdfo_graph_to_json(&jb, b), 0);
		ck_assert_str_eq(ja, jb);
		ck_assert_int_eq(gdfo_graph_validate(a), 0);
		o.run = 6;
		ck_assert_int_eq(gdfo_generate(&c, &o), 0);
		n = gdfo_graph_stage_count(a);
		ck_assert_uint_eq(n, gdfo_graph_stage_count(c));
		for (i = 0; i < n; i++) {
			gdfo_stage s = {.version = GDFO_STAGE_VERSION}, t = {.version = GDFO_STAGE_VERSION};
			size_t k;
			gdfo_graph_stage_at(&s, a, i);
			gdfo_graph_stage_at(&t, c, i);
			if (s.op == GDFO_OP_SOURCE) {
				bytes0 += s.stats->bytes_in;
				bytes3 += t.stats->bytes_in;
				for (k = 0; k < t.n_columns_written; k++)
					found_col |= !strcmp(t.columns_written[k], "drift_new_col");
			}
		}
		ck_assert_msg(bytes3 > bytes0 * 1.3, "%s: drift did not grow volume", gdfo_gen_family_name(f));
		ck_assert(found_col);
		gdfo_free(ja);
		gdfo_free(jb);
		gdfo_graph_free(a);
		gdfo_graph_free(b);
		gdfo_graph_free(c);
	}
	{
		int f2;
		ck_assert_int_eq(gdfo_gen_family_find(&f2, "tpch"), 0);
		ck_assert_int_eq(f2, GDFO_GEN_TPCH);
		ck_assert_int_eq(gdfo_gen_family_find(&f2, "tpc-x"), GDFO_ENOTFOUND);
		ck_assert(strstr(gdfo_last_error(), "tpc-x") != NULL);
	}
}
END_TEST

START_TEST(bad_inputs)
{
	gdfo_sim_cluster c = {.version = GDFO_SIM_CLUSTER_VERSION};
	gdfo_sim_options o;
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_sim *sim;
	gdfo_graph *g;
	char *js;
	const char *bad1 = "{\"format\": \"gdfo-cluster/1\", \"scan_bytes_per_sec\": 1}";
	const char *bad2 = "{\"format\": \"gdfo-cluster/1\", \"executors\": \"eight\"}";
	const char *bad3 = "{\"format\": \"gdfo-cluster/1\", \"memory_fraction\": 2}";
	const char *bad4 = "{\"format\": \"gdfo-cluster/2\"}";
	const char *bad5 = "{\"format\": \"gdfo-cluster/1\", \"executors\": 2.5}";
	const char *good = "{\"format\": \"gdfo-cluster/1\", \"name\": \"x\", \"executors\": 3, \"disk_bytes_per_s\": 1e8}";

	ck_assert_int_eq(gdfo_sim_cluster_from_json(&c, bad1, strlen(bad1)), GDFO_EFORMAT);
	ck_assert_msg(strstr(gdfo_last_error(), "scan_bytes_per_sec") != NULL, "%s", gdfo_last_error());
	ck_assert_int_eq(gdfo_sim_cluster_from_json(&c, bad2, strlen(bad2)), GDFO_EFORMAT);
	ck_assert_msg(strstr(gdfo_last_error(), "executors") != NULL, "%s", gdfo_last_error());
	ck_assert_int_eq(gdfo_sim_cluster_from_json(&c, bad3, strlen(bad3)), GDFO_EFORMAT);
	ck_assert_msg(strstr(gdfo_last_error(), "memory_fraction") != NULL, "%s", gdfo_last_error());
	ck_assert_int_eq(gdfo_sim_cluster_from_json(&c, bad4, strlen(bad4)), GDFO_EVERSION);
	ck_assert_int_eq(gdfo_sim_cluster_from_json(&c, bad5, strlen(bad5)), GDFO_EFORMAT);
	ck_assert_int_eq(gdfo_sim_cluster_from_json(&c, "{", 1), GDFO_EFORMAT);
	ck_assert_int_eq(gdfo_sim_cluster_from_json(&c, good, strlen(good)), 0);
	ck_assert_int_eq(c.executors, 3);
	ck_assert(c.disk_bytes_per_s == 1e8 && c.scan_bytes_per_s == 150e6);
	/* round trip */
	ck_assert_int_eq(gdfo_sim_cluster_to_json(&js, &c), 0);
	{
		gdfo_sim_cluster d = {.version = GDFO_SIM_CLUSTER_VERSION};
		ck_assert_int_eq(gdfo_sim_cluster_from_json(&d, js, strlen(js)), 0);
		ck_assert(memcmp(&c, &d, sizeof(c)) == 0);
	}
	gdfo_free(js);
	ck_assert_int_eq(gdfo_sim_cluster_load(&c, "/nonexistent/cluster.json"), GDFO_EIO);
	c.spill_penalty = -1;
	ck_assert_int_eq(gdfo_sim_create(&sim, &c), GDFO_EINVAL);
	ck_assert(strstr(gdfo_last_error(), "spill_penalty") != NULL);
	ck_assert(sim == NULL);
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	g = one_source(1e6, 1, 1);
	gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
	o.noise_sigma = NAN;
	ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g, &o), GDFO_EINVAL);
	ck_assert(strstr(gdfo_last_error(), "noise_sigma") != NULL);
	gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
	o.runs = 0;
	ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g, &o), GDFO_EINVAL);
	ck_assert(strstr(gdfo_last_error(), "runs") != NULL);
	o.runs = 1;
	o.version = 99;
	ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g, &o), GDFO_EVERSION);
	ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, NULL, NULL), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_sim_result_to_json(&js, sim), GDFO_EINVAL); /* failed calls leave no result */
	gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
	o.batches = 3; /* no interval and no slo */
	ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g, &o), GDFO_EINVAL);
	ck_assert(strstr(gdfo_last_error(), "interval") != NULL);
	ck_assert_int_eq(gdfo_sim_options_init(&o, 7), GDFO_EVERSION);
	gdfo_graph_free(g);
	gdfo_sim_free(sim);
	gdfo_sim_free(NULL);
}
END_TEST

/* The CLI: bad plans, profiles and clusters get a one-line error and exit 2. */
START_TEST(cli_errors)
{
	const char *cli = getenv("GDFO_CLI");
	char cmd[1024];
	FILE *f;
	int rc;
	if (!cli)
		return;
	f = fopen("/tmp/gdfo_test_sim_bad.json", "w");
	ck_assert(f != NULL);
	fputs("{\"format\": \"gdfo-plan/1\", \"graph\": 3}", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s simulate --plan /tmp/gdfo_test_sim_bad.json 2>/dev/null >/dev/null", cli);
	rc = system(cmd);
	ck_assert_int_eq(WEXITSTATUS(rc), 2);
	snprintf(cmd, sizeof(cmd), "%s simulate --profile /tmp/gdfo_test_sim_bad.json 2>/dev/null >/dev/null", cli);
	rc = system(cmd);
	ck_assert_int_eq(WEXITSTATUS(rc), 2);
	snprintf(cmd, sizeof(cmd), "%s simulate --pipeline x.json --cluster /tmp/gdfo_test_sim_bad.json 2>/dev/null >/dev/null", cli);
	rc = system(cmd);
	ck_assert_int_eq(WEXITSTATUS(rc), 2);
	snprintf(cmd, sizeof(cmd), "%s simulate --replay fuzzy --profile p.json 2>/dev/null >/dev/null", cli);
	rc = system(cmd);
	ck_assert_int_eq(WEXITSTATUS(rc), 2);
	snprintf(cmd, sizeof(cmd), "%s generate tpch --seed 4 | %s simulate --pipeline /dev/stdin >/dev/null", cli, cli);
	rc = system(cmd);
	ck_assert_int_eq(WEXITSTATUS(rc), 0);
	remove("/tmp/gdfo_test_sim_bad.json");
}
END_TEST

/* A simulated run as telemetry: of this pipeline, every stage, and it calibrates the model back. */
START_TEST(run_as_telemetry)
{
	gdfo_graph *g = gen(GDFO_GEN_TPCH, 2, 0, 0), *other = gen(GDFO_GEN_RETAIL_ETL, 2, 0, 0);
	gdfo_sim *sim, *cal;
	gdfo_sim_options o;
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION}, c = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_sim_calibration info = {.version = GDFO_SIM_CALIBRATION_VERSION};
	gdfo_telemetry *t;
	gdfo_run_telemetry run = {.version = GDFO_RUN_TELEMETRY_VERSION};
	uint64_t fp, tfp;

	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	ck_assert_int_eq(gdfo_sim_telemetry(&t, sim, g), GDFO_EINVAL); /* nothing ran yet */
	ck_assert_ptr_null(t);
	gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
	o.noise_sigma = 0.1;
	o.seed = 9;
	ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g, &o), 0);
	ck_assert_int_eq(gdfo_sim_telemetry(&t, sim, other), GDFO_EINVAL);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "gdfo_sim_telemetry"));
	ck_assert_int_eq(gdfo_sim_telemetry(&t, sim, g), 0);
	ck_assert_uint_eq(gdfo_telemetry_stage_count(t), gdfo_graph_stage_count(g));
	ck_assert_int_eq(gdfo_graph_fingerprint(&fp, g), 0);
	ck_assert_int_eq(gdfo_telemetry_fingerprint(&tfp, t), 0);
	ck_assert(fp == tfp);
	ck_assert_int_eq(gdfo_telemetry_get_run(&run, t), 0);
	ck_assert_double_eq(run.latency_ms, r.makespan_ms);
	ck_assert_double_eq(run.cost, r.cost);
	/* Calibrated to it, the model predicts that run back (noise-free, so close, not equal). */
	ck_assert_int_eq(gdfo_sim_create(&cal, NULL), 0);
	ck_assert_int_eq(gdfo_sim_calibrate(&info, cal, g, t, NULL), 0);
	ck_assert_int_eq(info.stages_calibrated, (int)gdfo_graph_stage_count(g));
	ck_assert_int_eq(gdfo_sim_run_graph(&c, cal, g, NULL), 0);
	ck_assert_msg(fabs(c.makespan_ms / r.makespan_ms - 1) < 0.1, "calibrated %.0f ms, run %.0f ms", c.makespan_ms,
		      r.makespan_ms);
	gdfo_telemetry_free(t);
	gdfo_sim_free(cal);
	gdfo_sim_free(sim);
	gdfo_graph_free(other);
	gdfo_graph_free(g);
}
END_TEST


static Suite *suite(void)
{
	Suite *s = suite_create("sim");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, bounds_on_random_graphs);
	tcase_add_test(t, bounds_on_random_profiles);
	tcase_add_test(t, deterministic_for_a_seed);
	tcase_add_test(t, more_data_never_faster);
	tcase_add_test(t, exact_replay_hand_computed);
	tcase_add_test(t, sampled_replay_interpolates);
	tcase_add_test(t, closed_form_scan);
	tcase_add_test(t, rewrites_show_up);
	tcase_add_test(t, cache_and_spill);
	tcase_add_test(t, jobs_batches_dynamic);
	tcase_add_test(t, generator_families);
	tcase_add_test(t, bad_inputs);
	tcase_add_test(t, cli_errors);
	tcase_add_test(t, run_as_telemetry);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
