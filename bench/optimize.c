/*
 * Learned-planning speed benchmark driver (run by bench/optimize.sh,
 * docs/bench_optimize.md). Public API only.
 *
 * Every mode plans a pipeline of gdfo_generate's random family with N
 * stages (seed 1, scale_bytes 10 GB), the default cluster and the default
 * objective, no telemetry.
 *
 *   optimize prep DIR MODEL N
 *       writes the PyTorch side's files for the policy model's encoder on
 *       that pipeline: DIR/weights.bin (the model, gdfo_nn_save),
 *       DIR/inputs.bin (edges and (N, F) features: gdfo_nn_features'
 *       columns, the policy's 16 extra columns zero), DIR/output.bin (the
 *       library's stage embeddings of that forward, to check against), and
 *       DIR/space.txt (the decision space: one line per decision, its
 *       number of legal choices, for Optuna). Prints "dim=<D> edges=<E>
 *       features=<F> d=<d_model> layers=<L> heads=<H>".
 *   optimize run MODEL N K SECONDS
 *       times whole planning calls (gdfo_optimizer_plan then gdfo_plan_free:
 *       graph to plan with its changes, explanations and notes) with
 *       candidates K and otherwise default options, and beside them, from
 *       outside, what parts of the call cost: the same call with verify 0,
 *       candidates 0, both, score 0; the rules-only handle; and the pieces
 *       a call necessarily does (gdfo_space_create, gdfo_nn_features,
 *       gdfo_nn_batch_from_graphs, one gdfo_nn_forward of the policy
 *       encoder) and the rules plan it makes (gdfo_optimize_rules with its
 *       default check against the task-level simulator, and unchecked),
 *       what scoring one candidate costs (gdfo_space_apply of a sampled
 *       point, one analytic and one task-level gdfo_sim_run_graph of the
 *       input, and one in expected mode with the learned call's check
 *       noise), and each call's plan as
 *       <name>_plan=<source>/<changes>/<candidates scored, from the plan's
 *       note; -1 without one>.
 *       Each is the median of repeated calls (~SECONDS each), wall clock
 *       (<name>_us) and this thread's CPU time (<name>_cpu_us: what a loaded
 *       machine does not inflate).
 *       Prints one line of key=value (microseconds).
 *   optimize rss MODEL N CALLS [USE_RULES]
 *       CALLS planning calls on one handle (default options; use_rules set
 *       to USE_RULES when given); prints peak
 *       RSS (getrusage ru_maxrss) and current RSS (/proc/self/statm) after
 *       100, 1000, 2000, 5000, 10000, 20000, ... calls and after the last,
 *       and the mean call time so far:
 *       "calls=<n> maxrss_kb=<kb> rss_kb=<kb> us_per_call=<us>" per line.
 *
 * BLAS threads come from the environment (OPENBLAS_NUM_THREADS); nothing
 * here changes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "gdfo/gdfo.h"

#define SCALE_BYTES 10e9

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(double), cmp_d);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int fail(const char *what)
{
	fprintf(stderr, "optimize: %s: %s\n", what, gdfo_last_error());
	return 1;
}

static int pipeline(gdfo_graph **out, int n)
{
	gdfo_gen_options g = {.version = GDFO_GEN_OPTIONS_VERSION};

	gdfo_gen_options_init(&g, GDFO_GEN_OPTIONS_VERSION);
	g.family = GDFO_GEN_RANDOM;
	g.seed = 1;
	g.stages = n;
	g.scale_bytes = SCALE_BYTES;
	if (gdfo_generate(out, &g) < 0)
		return fail("gdfo_generate");
	return 0;
}

static int open_opt(gdfo_optimizer **out, const char *model, int k, int verify, int score, int use_rules)
{
	gdfo_optimizer_options o = {.version = GDFO_OPTIMIZER_OPTIONS_VERSION};

	gdfo_optimizer_options_init(&o, GDFO_OPTIMIZER_OPTIONS_VERSION);
	o.model_path = model;
	if (k >= 0)
		o.candidates = k;
	if (verify >= 0)
		o.verify = verify;
	if (score >= 0)
		o.score = score;
	if (use_rules >= 0)
		o.use_rules = use_rules;
	if (gdfo_optimizer_open(out, NULL, &o) < 0)
		return fail("gdfo_optimizer_open");
	return 0;
}

/* The policy model's features for graph: the library's, then the policy's extra columns as zeros. */
static float *features(const gdfo_graph *graph, size_t F)
{
	size_t S = gdfo_graph_stage_count(graph), i;
	float *base = malloc(S * GDFO_NN_FEATURES * sizeof(float)), *x = calloc(S * F, sizeof(float));
	gdfo_objective obj = {.version = GDFO_OBJECTIVE_VERSION};

	gdfo_objective_init(&obj, GDFO_OBJECTIVE_VERSION);
	if (!base || !x || gdfo_nn_features(base, S, graph, NULL, &obj) < 0) {
		free(base);
		free(x);
		return NULL;
	}
	for (i = 0; i < S; i++)
		memcpy(x + i * F, base + i * GDFO_NN_FEATURES, GDFO_NN_FEATURES * sizeof(float));
	free(base);
	return x;
}

/* Edges (parent index, child index) of graph in insertion order. */
static uint32_t *edges_of(const gdfo_graph *graph, uint32_t *ne)
{
	size_t S = gdfo_graph_stage_count(graph), i, j, n = 0, np, total = 0;
	const size_t *par;
	uint32_t *e;

	for (i = 0; i < S; i++) {
		gdfo_graph_parents(&par, &np, graph, i);
		total += np;
	}
	e = malloc((total + 1) * 2 * sizeof(uint32_t));
	for (i = 0; i < S; i++) {
		gdfo_graph_parents(&par, &np, graph, i);
		for (j = 0; j < np; j++) {
			e[2 * n] = (uint32_t)par[j];
			e[2 * n + 1] = (uint32_t)i;
			n++;
		}
	}
	*ne = (uint32_t)n;
	return e;
}

static int prep(const char *dir, const char *model, int n)
{
	gdfo_graph *graph;
	gdfo_nn_encoder *enc;
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};
	gdfo_nn_batch *batch;
	gdfo_nn_workspace *ws;
	gdfo_nn_outputs out = {.version = GDFO_NN_OUTPUTS_VERSION};
	gdfo_nn_pipeline p;
	gdfo_space *space;
	uint32_t *edges, ne, hdr[4];
	size_t S, i, dim;
	float *x, *emb;
	char path[1024];
	FILE *f;

	if (pipeline(&graph, n))
		return 1;
	if (gdfo_nn_load(&enc, model) < 0)
		return fail(model);
	gdfo_nn_get_options(&o, enc);
	S = gdfo_graph_stage_count(graph);
	if (!(x = features(graph, o.n_features)))
		return fail("gdfo_nn_features");
	edges = edges_of(graph, &ne);
	p.n_stages = S;
	p.n_edges = ne;
	p.edges = edges;
	if (gdfo_nn_batch_create(&batch, enc, &p, 1) < 0 || gdfo_nn_workspace_create(&ws, enc, batch, 0) < 0)
		return fail("batch");
	emb = malloc(S * o.d_model * sizeof(float));
	out.stage_embeddings = emb;
	if (gdfo_nn_forward(ws, batch, x, &out) < 0)
		return fail("gdfo_nn_forward");

	snprintf(path, sizeof(path), "%s/weights.bin", dir);
	if (gdfo_nn_save(enc, path) < 0)
		return fail(path);
	snprintf(path, sizeof(path), "%s/inputs.bin", dir);
	if (!(f = fopen(path, "wb")))
		return fail(path);
	hdr[0] = (uint32_t)S;
	hdr[1] = ne;
	hdr[2] = o.n_features;
	hdr[3] = o.sparse_threshold;
	fwrite(hdr, 4, 4, f);
	fwrite(edges, 4, 2 * (size_t)ne, f);
	fwrite(x, 4, S * o.n_features, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/output.bin", dir);
	if (!(f = fopen(path, "wb")))
		return fail(path);
	fwrite(emb, 4, S * o.d_model, f);
	fclose(f);

	if (gdfo_space_create(&space, graph, NULL) < 0)
		return fail("gdfo_space_create");
	dim = gdfo_space_dim(space);
	snprintf(path, sizeof(path), "%s/space.txt", dir);
	if (!(f = fopen(path, "w")))
		return fail(path);
	for (i = 0; i < dim; i++) {
		gdfo_decision d = {.version = GDFO_DECISION_VERSION};
		gdfo_space_decision_at(&d, space, i);
		fprintf(f, "%zu\n", d.n_legal);
	}
	fclose(f);
	printf("dim=%zu edges=%u features=%u d=%u layers=%u heads=%u\n", dim, ne, o.n_features, o.d_model,
	       o.n_layers, o.n_heads);
	gdfo_space_free(space);
	free(emb);
	free(x);
	free(edges);
	gdfo_nn_workspace_free(ws);
	gdfo_nn_batch_free(batch);
	gdfo_nn_free(enc);
	gdfo_graph_free(graph);
	return 0;
}

/* What one timed repetition does. */
typedef struct job {
	int what; /* 0 plan, 1 space, 2 features, 3 batch, 4 forward, 5 rules checked, 6 rules
		     unchecked, 7 apply a point, 8 analytic simulation, 9 task-level simulation */
	const gdfo_space *space;
	const int32_t *point;
	gdfo_sim *sim;
	gdfo_optimizer *opt;
	const gdfo_graph *graph;
	gdfo_nn_workspace *ws;
	gdfo_nn_batch *batch;
	const gdfo_nn_encoder *enc;
	float *x, *scratch;
	const gdfo_nn_outputs *out;
	const gdfo_objective *objective;
	size_t S;
} job;

static int once(const job *j)
{
	gdfo_plan *plan;
	gdfo_space *space;
	gdfo_nn_batch *b;

	switch (j->what) {
	case 0:
		if (gdfo_optimizer_plan(&plan, j->opt, j->graph, NULL, NULL) < 0)
			return -1;
		gdfo_plan_free(plan);
		return 0;
	case 1:
		if (gdfo_space_create(&space, j->graph, NULL) < 0)
			return -1;
		gdfo_space_free(space);
		return 0;
	case 2:
		return gdfo_nn_features(j->scratch, j->S, j->graph, NULL, j->objective);
	case 3:
		if (gdfo_nn_batch_from_graphs(&b, j->enc, &j->graph, 1) < 0)
			return -1;
		gdfo_nn_batch_free(b);
		return 0;
	case 4:
		return gdfo_nn_forward(j->ws, j->batch, j->x, j->out);
	case 7:
		if (gdfo_space_apply(&plan, j->space, j->point, gdfo_space_dim(j->space), "learned") < 0)
			return -1;
		gdfo_plan_free(plan);
		return 0;
	case 8:
	case 9:
	case 10: {
		gdfo_sim_options so = {.version = GDFO_SIM_OPTIONS_VERSION};
		gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
		gdfo_sim_options_init(&so, GDFO_SIM_OPTIONS_VERSION);
		so.mode = j->what == 8 ? GDFO_SIM_ANALYTIC : j->what == 9 ? GDFO_SIM_DES : GDFO_SIM_EXPECTED;
		if (j->what == 10) {
			/* the learned call's check */
			so.noise_sigma = 0.1;
			so.straggler_prob = 0.01;
			so.straggler_factor = 4;
		}
		return gdfo_sim_run_graph(&r, j->sim, j->graph, &so);
	}
	default: {
		gdfo_rules_options ro = {.version = GDFO_RULES_OPTIONS_VERSION};
		gdfo_rules_options_init(&ro, GDFO_RULES_OPTIONS_VERSION);
		ro.check_changes = j->what == 5 ? -1 : 0;
		if (gdfo_optimize_rules(&plan, j->graph, NULL, &ro) < 0)
			return -1;
		gdfo_plan_free(plan);
		return 0;
	}
	}
}

/*
 * Median wall and thread-CPU microseconds of repeated calls, about
 * `seconds` of wall time in all (5..5000 reps). Returns the wall median,
 * -1 on error.
 */
static double timed(const job *j, double seconds, double *cpu)
{
	double t0, c0, one, *t, *c, m;
	size_t reps, r;

	if (once(j) < 0)
		return -1;
	t0 = now_us();
	once(j);
	one = now_us() - t0;
	reps = (size_t)(seconds * 1e6 / (one > 1 ? one : 1));
	reps = reps < 5 ? 5 : (reps > 5000 ? 5000 : reps);
	t = malloc(reps * sizeof(double));
	c = malloc(reps * sizeof(double));
	for (r = 0; r < reps; r++) {
		t0 = now_us();
		c0 = cpu_us();
		if (once(j) < 0) {
			free(t);
			free(c);
			return -1;
		}
		c[r] = cpu_us() - c0;
		t[r] = now_us() - t0;
	}
	m = median(t, reps);
	*cpu = median(c, reps);
	free(t);
	free(c);
	return m;
}

/* The number of candidates a learned call scored, from its note; -1 when it has none. */
static int scored(const gdfo_plan *plan)
{
	size_t i;

	for (i = 0; i < gdfo_plan_note_count(plan); i++) {
		const char *s = strstr(gdfo_plan_note_at(plan, i), " candidates scored");
		const char *b = s;
		while (b && b > gdfo_plan_note_at(plan, i) && b[-1] >= '0' && b[-1] <= '9')
			b--;
		if (s && b < s)
			return atoi(b);
	}
	return -1;
}

static int run(const char *model, int n, int k, double seconds)
{
	/* name, candidates (-2: K), verify, score, use_rules (-1: default), rules-only handle */
	static const struct {
		const char *name;
		int k, verify, score, use_rules, rules;
	} v[] = {
		{"gdfo_us", -2, -1, -1, -1, 0}, /* the whole default call (with candidates K) */
		{"verify0_us", -2, 0, -1, -1, 0},
		{"cand0_us", 0, -1, -1, -1, 0},
		{"norules_us", -2, -1, -1, 0, 0},
		{"norules_verify0_us", -2, 0, -1, 0, 0},
		{"norules_cand0_verify0_us", 0, 0, -1, 0, 0},
		{"score0_us", -2, -1, 0, -1, 0},
		{"rules_us", -1, -1, -1, -1, 1},
	};
	gdfo_graph *graph;
	gdfo_nn_encoder *enc;
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};
	gdfo_nn_outputs out = {.version = GDFO_NN_OUTPUTS_VERSION};
	gdfo_objective obj = {.version = GDFO_OBJECTIVE_VERSION};
	job j = {0};
	size_t i;
	double us, cpu;
	float *emb, *sh, *ph, *pe;

	if (pipeline(&graph, n))
		return 1;
	gdfo_objective_init(&obj, GDFO_OBJECTIVE_VERSION);
	j.objective = &obj;
	j.graph = graph;
	j.S = gdfo_graph_stage_count(graph);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (open_opt(&j.opt, v[i].rules ? "" : model, v[i].k == -2 ? k : v[i].k, v[i].verify, v[i].score,
			     v[i].use_rules))
			return 1;
		j.what = 0;
		if ((us = timed(&j, seconds, &cpu)) < 0)
			return fail(v[i].name);
		printf("%s%s=%.1f %.*s_cpu_us=%.1f", i ? " " : "", v[i].name, us, (int)(strlen(v[i].name) - 3),
		       v[i].name, cpu);
		{
			gdfo_plan *plan;
			if (gdfo_optimizer_plan(&plan, j.opt, graph, NULL, NULL) < 0)
				return fail("gdfo_optimizer_plan");
			printf(" %.*s_plan=%s/%zu/%d", (int)(strlen(v[i].name) - 3), v[i].name, gdfo_plan_source(plan),
			       gdfo_plan_change_count(plan), scored(plan));
			gdfo_plan_free(plan);
		}
		gdfo_optimizer_close(j.opt);
	}
	/* the pieces a learned call does at least once */
	if (gdfo_nn_load(&enc, model) < 0)
		return fail(model);
	gdfo_nn_get_options(&o, enc);
	j.enc = enc;
	j.scratch = malloc(j.S * GDFO_NN_FEATURES * sizeof(float));
	if (!(j.x = features(graph, o.n_features)))
		return fail("gdfo_nn_features");
	if (gdfo_nn_batch_from_graphs(&j.batch, enc, &j.graph, 1) < 0 ||
	    gdfo_nn_workspace_create(&j.ws, enc, j.batch, 0) < 0)
		return fail("batch");
	emb = malloc(j.S * o.d_model * sizeof(float));
	pe = malloc(o.d_model * sizeof(float));
	sh = malloc(j.S * o.stage_head_widths[0] * sizeof(float));
	ph = malloc(o.pipeline_head_widths[0] * sizeof(float));
	out.stage_embeddings = emb;
	out.pipeline_embeddings = pe;
	out.stage_heads = sh;
	out.pipeline_heads = ph;
	j.out = &out;
	{
		static const char *names[] = {"space_us", "features_us", "batch_us", "forward_us",
					      "rules_checked_us", "rules_unchecked_us", "apply_us",
					      "sim_analytic_us", "sim_des_us", "sim_expected_us"};
		gdfo_space *space;
		uint64_t rng = 1;
		int32_t *point;

		if (gdfo_space_create(&space, graph, NULL) < 0 || gdfo_sim_create(&j.sim, NULL) < 0)
			return fail("space");
		point = malloc((gdfo_space_dim(space) + 1) * sizeof(*point));
		if (gdfo_space_sample(point, gdfo_space_dim(space), space, &rng) < 0)
			return fail("gdfo_space_sample");
		j.space = space;
		j.point = point;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			j.what = (int)i + 1;
			if ((us = timed(&j, seconds / 2, &cpu)) < 0)
				return fail(names[i]);
			printf(" %s=%.1f %.*s_cpu_us=%.1f", names[i], us, (int)(strlen(names[i]) - 3), names[i], cpu);
		}
		free(point);
		gdfo_space_free(space);
		gdfo_sim_free(j.sim);
	}
	printf("\n");
	free(emb);
	free(pe);
	free(sh);
	free(ph);
	free(j.x);
	free(j.scratch);
	gdfo_nn_workspace_free(j.ws);
	gdfo_nn_batch_free(j.batch);
	gdfo_nn_free(enc);
	gdfo_graph_free(graph);
	return 0;
}

static long rss_kb(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int rss(const char *model, int n, long calls, int use_rules)
{
	gdfo_graph *graph;
	gdfo_optimizer *opt;
	gdfo_plan *plan;
	struct rusage ru;
	static const long at[] = {100, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000};
	size_t next = 0;
	long c;
	double t0 = now_us();

	if (pipeline(&graph, n) || open_opt(&opt, model, -1, -1, -1, use_rules))
		return 1;
	for (c = 1; c <= calls; c++) {
		if (gdfo_optimizer_plan(&plan, opt, graph, NULL, NULL) < 0)
			return fail("gdfo_optimizer_plan");
		gdfo_plan_free(plan);
		if ((next < sizeof(at) / sizeof(at[0]) && c == at[next]) || c == calls) {
			getrusage(RUSAGE_SELF, &ru);
			printf("calls=%ld maxrss_kb=%ld rss_kb=%ld us_per_call=%.1f\n", c, ru.ru_maxrss, rss_kb(),
			       (now_us() - t0) / (double)c);
			fflush(stdout);
			if (next < sizeof(at) / sizeof(at[0]) && c == at[next])
				next++;
		}
	}
	gdfo_optimizer_close(opt);
	gdfo_graph_free(graph);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "prep"))
		return prep(argv[2], argv[3], atoi(argv[4]));
	if (argc == 6 && !strcmp(argv[1], "run"))
		return run(argv[2], atoi(argv[3]), atoi(argv[4]), atof(argv[5]));
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "rss"))
		return rss(argv[2], atoi(argv[3]), atol(argv[4]), argc == 6 ? atoi(argv[5]) : -1);
	fprintf(stderr, "usage: optimize prep DIR MODEL N | optimize run MODEL N K SECONDS | "
			"optimize rss MODEL N CALLS [USE_RULES]\n");
	return 2;
}
