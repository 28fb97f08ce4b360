/*
 * Scale of the planning path in the number of stages (bench/scale.sh runs
 * it): for each shape and size, the median of REPS timed runs of each
 * phase a `gdfo optimize` goes through, one JSON line per shape and size.
 * Times are the process's CPU time (one thread), so that other jobs on a
 * shared machine inflate them less than wall-clock time.
 *
 * Shapes: "chain" (a source, n - 2 alternating projects and filters, a
 * sink: one narrow chain n deep), "wide" (one source feeding n - 2
 * filters that all feed one sink: fan-out and fan-in n - 2) and "random"
 * (gdfo_generate's random family, seed 1; above its 10,000 stages,
 * copies of a 10,000-stage one side by side).
 *
 * usage: bench/scale REPS CHECK_MAX SIZE... (e.g. 3 1300 1000 10000 100000):
 * REPS runs up to 10,000 stages, 1 above; the simulator-checked run only
 * up to CHECK_MAX stages (-1 in the row when skipped). After the rows per
 * size, one row per shape puts the rules' time per stage at each size
 * side by side.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gdfo/gdfo.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void die(const char *what)
{
	fprintf(stderr, "bench/scale: %s: %s\n", what, gdfo_last_error());
	exit(1);
}

static void add(gdfo_graph *g, int64_t id, int op, const char *name, double rows, double cpu, double sel,
		const char *rd, const char *wr)
{
	gdfo_stage s;
	gdfo_stage_stats st;
	const char *r[1] = {rd}, *w[1] = {wr};

	gdfo_stage_init(&s, GDFO_STAGE_VERSION);
	gdfo_stage_stats_init(&st, GDFO_STAGE_STATS_VERSION);
	st.rows_in = rows;
	st.bytes_in = rows * 100;
	st.cpu_ns_per_row = cpu;
	st.selectivity = sel;
	s.op = op;
	s.id = id;
	s.name = name;
	s.stats = &st;
	s.columns_read = rd ? r : NULL;
	s.n_columns_read = rd ? 1 : 0;
	s.columns_written = wr ? w : NULL;
	s.n_columns_written = wr ? 1 : 0;
	if (gdfo_graph_add_stage(g, &s))
		die("add_stage");
}

/* Projects write c and filters read it, so no filter moves: one chain to fuse. */
static gdfo_graph *chain(size_t n)
{
	gdfo_graph *g;
	char name[32];
	size_t i;

	if (gdfo_graph_create(&g, "chain"))
		die("create");
	add(g, 0, GDFO_OP_SOURCE, "src", 1e9, 10, 1, NULL, "a");
	for (i = 1; i + 1 < n; i++) {
		snprintf(name, sizeof(name), "s%zu", i);
		if (i % 2)
			add(g, (int64_t)i, GDFO_OP_PROJECT, name, 1e9, 5, 1, "a", "c");
		else
			add(g, (int64_t)i, GDFO_OP_FILTER, name, 1e9, 2, 1, "c", NULL);
		if (gdfo_graph_add_edge(g, (int64_t)i - 1, (int64_t)i))
			die("add_edge");
	}
	add(g, (int64_t)n - 1, GDFO_OP_SINK, "out", 1e9, 1, 1, NULL, NULL);
	if (gdfo_graph_add_edge(g, (int64_t)n - 2, (int64_t)n - 1))
		die("add_edge");
	return g;
}

static gdfo_graph *wide(size_t n)
{
	gdfo_graph *g;
	char name[32];
	size_t i;

	if (gdfo_graph_create(&g, "wide"))
		die("create");
	add(g, 0, GDFO_OP_SOURCE, "src", 1e9, 10, 1, NULL, "a");
	add(g, (int64_t)n - 1, GDFO_OP_SINK, "out", 1e6, 1, 1, NULL, NULL);
	for (i = 1; i + 1 < n; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		add(g, (int64_t)i, GDFO_OP_FILTER, name, 1e9, 2 + (double)(i % 7), 0.001, "a", NULL);
		if (gdfo_graph_add_edge(g, 0, (int64_t)i) || gdfo_graph_add_edge(g, (int64_t)i, (int64_t)n - 1))
			die("add_edge");
	}
	return g;
}

/* Copies every stage and edge of src into g, ids shifted by off. */
static void append(gdfo_graph *g, const gdfo_graph *src, int64_t off)
{
	size_t i, k, n = gdfo_graph_stage_count(src);

	for (i = 0; i < n; i++) {
		gdfo_stage s = {.version = GDFO_STAGE_VERSION};
		if (gdfo_graph_stage_at(&s, src, i))
			die("stage_at");
		s.id += off;
		if (gdfo_graph_add_stage(g, &s))
			die("add_stage");
	}
	for (i = 0; i < n; i++) {
		gdfo_stage s = {.version = GDFO_STAGE_VERSION}, p = {.version = GDFO_STAGE_VERSION};
		const size_t *par;
		size_t np;
		if (gdfo_graph_stage_at(&s, src, i) || gdfo_graph_parents(&par, &np, src, i))
			die("parents");
		for (k = 0; k < np; k++) {
			if (gdfo_graph_stage_at(&p, src, par[k]))
				die("stage_at");
			if (gdfo_graph_add_edge(g, p.id + off, s.id + off))
				die("add_edge");
		}
	}
}

static gdfo_graph *random_dag(size_t n)
{
	gdfo_gen_options o;
	gdfo_graph *one, *g;
	size_t per = n > 10000 ? 10000 : n, done;

	gdfo_gen_options_init(&o, GDFO_GEN_OPTIONS_VERSION);
	o.family = GDFO_GEN_RANDOM;
	o.seed = 1;
	o.stages = (int32_t)per;
	if (gdfo_generate(&one, &o))
		die("generate");
	if (n <= per)
		return one;
	if (gdfo_graph_clone(&g, one))
		die("clone");
	for (done = gdfo_graph_stage_count(one); done < n; done += gdfo_graph_stage_count(one))
		append(g, one, (int64_t)done * 10);
	gdfo_graph_free(one);
	return g;
}

enum { P_BUILD, P_TO_JSON, P_FROM_JSON, P_VALIDATE, P_FINGERPRINT, P_RULES, P_PLAN_JSON, P_CHECKED, P_N };
static const char *const phase[P_N] = {"build", "to_json", "from_json", "validate", "fingerprint",
				       "rules", "plan_json", "rules_checked"};

int main(int argc, char **argv)
{
	const char *shapes[] = {"chain", "wide", "random"};
	gdfo_rules_options off, on;
	int reps, a, sh, r, p;
	size_t check_max, row_stages[3][8];
	double row_ms[3][8];

	if (argc < 4) {
		fprintf(stderr, "usage: %s REPS CHECK_MAX SIZE...\n", argv[0]);
		return 2;
	}
	reps = atoi(argv[1]);
	if (reps < 1)
		reps = 1;
	check_max = (size_t)atol(argv[2]);
	gdfo_rules_options_init(&off, GDFO_RULES_OPTIONS_VERSION);
	gdfo_rules_options_init(&on, GDFO_RULES_OPTIONS_VERSION);
	off.check_changes = 0;
	on.check_changes = 1;
	if (argc - 3 > 8) {
		fprintf(stderr, "bench/scale: at most 8 sizes\n");
		return 2;
	}
	for (a = 3; a < argc; a++) {
		size_t n = (size_t)atol(argv[a]);
		for (sh = 0; sh < 3; sh++) {
			double t[P_N][16] = {{0}}, med[P_N];
			size_t stages = 0, changes = 0, changes_checked = 0;
			int rr = n > 10000 ? 1 : reps > 16 ? 16 : reps;
			for (r = 0; r < rr; r++) {
				gdfo_graph *g, *back;
				gdfo_plan *plan;
				char *js;
				uint64_t fp;
				double t0 = now_ms();

				g = sh == 0 ? chain(n) : sh == 1 ? wide(n) : random_dag(n);
				t[P_BUILD][r] = now_ms() - t0;
				stages = gdfo_graph_stage_count(g);
				t0 = now_ms();
				if (gdfo_graph_to_json(&js, g))
					die("to_json");
				t[P_TO_JSON][r] = now_ms() - t0;
				t0 = now_ms();
				if (gdfo_graph_from_json(&back, js, strlen(js)))
					die("from_json");
				t[P_FROM_JSON][r] = now_ms() - t0;
				gdfo_free(js);
				gdfo_graph_free(back);
				t0 = now_ms();
				if (gdfo_graph_validate(g))
					die("validate");
				t[P_VALIDATE][r] = now_ms() - t0;
				t0 = now_ms();
				if (gdfo_graph_fingerprint(&fp, g))
					die("fingerprint");
				t[P_FINGERPRINT][r] = now_ms() - t0;
				t0 = now_ms();
				if (gdfo_optimize_rules(&plan, g, NULL, &off))
					die("optimize_rules");
				t[P_RULES][r] = now_ms() - t0;
				changes = gdfo_plan_change_count(plan);
				t0 = now_ms();
				if (gdfo_plan_to_json(&js, plan))
					die("plan_to_json");
				t[P_PLAN_JSON][r] = now_ms() - t0;
				gdfo_free(js);
				gdfo_plan_free(plan);
				t[P_CHECKED][r] = -1;
				if (stages <= check_max) {
					t0 = now_ms();
					if (gdfo_optimize_rules(&plan, g, NULL, &on))
						die("optimize_rules (checked)");
					t[P_CHECKED][r] = now_ms() - t0;
					changes_checked = gdfo_plan_change_count(plan);
					gdfo_plan_free(plan);
				}
				gdfo_graph_free(g);
			}
			for (p = 0; p < P_N; p++) {
				qsort(t[p], (size_t)rr, sizeof(double), cmp);
				med[p] = t[p][rr / 2];
			}
			printf("{\"shape\": \"%s\", \"stages\": %zu, \"reps\": %d, \"changes\": %zu, \"changes_checked\": %zu",
			       shapes[sh], stages, rr, changes, changes_checked);
			for (p = 0; p < P_N; p++)
				printf(", \"%s_ms\": %.3f", phase[p], med[p]);
			printf(", \"rules_us_per_stage\": %.3f, \"rules_checked_us_per_stage\": %.3f}\n",
			       1e3 * med[P_RULES] / (double)stages, med[P_CHECKED] < 0 ? -1.0 : 1e3 * med[P_CHECKED] / (double)stages);
			fflush(stdout);
			row_stages[sh][a - 3] = stages;
			row_ms[sh][a - 3] = med[P_RULES];
		}
	}
	for (sh = 0; sh < 3; sh++) {
		printf("{\"shape\": \"%s\", \"summary\": \"gdfo_optimize_rules without the check, time per stage\"", shapes[sh]);
		for (a = 3; a < argc; a++)
			printf(", \"us_per_stage_at_%s\": %.3f", argv[a], 1e3 * row_ms[sh][a - 3] / (double)row_stages[sh][a - 3]);
		for (a = 3; a < argc; a++)
			printf(", \"ms_at_%s\": %.1f", argv[a], row_ms[sh][a - 3]);
		printf("}\n");
	}
	return 0;
}
