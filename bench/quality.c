/*
 * The plan-quality benchmark's C methods on one pipeline (bench/quality.py
 * drives it over the suite; docs/quality.md): static, rules, random search,
 * local search from the rules plan and the best known plan (exhaustive when
 * the space is small enough, else a long multi-start local search), each
 * searching the decision space with a budget of judge runs and reported by
 * a second judge on other seeds (so the best of many noisy draws is not
 * reported on the draws it was picked by). One JSON line per method and
 * objective on stdout.
 *
 * usage: bench/quality PIPELINE.json [--telemetry T.json] [--cluster C.json]
 *          --objective NAME=TW,LW,CW[,SLO_FACTOR] ... [--random N] [--local N]
 *          [--best N] [--exhaustive-max N] [--runs R] [--name S] [--family S]
 *          [--methods static,rules,random,local,best-known] [--front FILE]
 *          [--rules-telemetry T.json] [--record-rules OUT.json]
 * --rules-telemetry gives the rules a previous run's telemetry (the judges
 * are not calibrated to it); --record-rules writes one noisy run of the rules
 * plan as telemetry (drift: the next step's rules read it).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gdfo/gdfo.h"

#define MAX_OBJ 8

typedef struct objective {
	char name[32];
	double w[3];
	double slo_factor;
} objective;

typedef struct bench {
	const gdfo_graph *g;
	const gdfo_telemetry *telemetry;       /* calibrates the judges (an ingested log's) */
	const gdfo_telemetry *rules_telemetry; /* the rules' last run (drift), or NULL */
	const char *record_rules;              /* write the rules plan's run here (drift), or NULL */
	const gdfo_sim_cluster *cluster;
	gdfo_space *space;
	size_t dim;
	gdfo_judge *search;   /* seeds the methods search with */
	gdfo_judge *report;   /* other seeds, for the reported numbers */
	gdfo_objective obj;
	double judge_ms;      /* time spent in judge runs of the current method */
	long runs_used;
	FILE *front;          /* every judged point's latency and cost, or NULL */
	const char *model;    /* the learned optimizer's model; NULL: no learned methods */
	const char *name;
} bench;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "bench/quality: %s: %s\n", what, gdfo_last_error());
	exit(1);
}

/* A score that ranks a failed or penalized plan below every other. */
static double score(const gdfo_reward *r)
{
	return r->reward - (r->failed ? 1e6 : 0);
}

/* Judges a graph with the search judge; counts the run and its time. */
static double judge_graph(bench *b, const gdfo_graph *g, gdfo_outcome *o)
{
	gdfo_reward r = {.version = GDFO_REWARD_VERSION};
	gdfo_outcome oo = {.version = GDFO_OUTCOME_VERSION};
	double t0 = now_ms();
	if (gdfo_judge_graph(&r, &oo, b->search, g))
		die("judge");
	b->judge_ms += now_ms() - t0;
	b->runs_used++;
	if (o)
		*o = oo;
	return score(&r);
}

static double judge_point(bench *b, const int32_t *p, const char *method)
{
	gdfo_plan *plan;
	gdfo_outcome o;
	double s;
	/* applying the point is the optimizer's own work; judge_graph times the judge */
	if (gdfo_space_apply(&plan, b->space, p, b->dim, "bench"))
		die("apply");
	s = judge_graph(b, gdfo_plan_graph(plan), &o);
	gdfo_plan_free(plan);
	if (b->front)
		fprintf(b->front, "{\"bench\": \"quality-front\", \"pipeline\": \"%s\", \"method\": \"%s\", \"latency_ms\": %.6g, \"cost\": %.6g, \"success\": %d}\n",
			b->name, method, o.latency_ms, o.cost, o.success);
	return s;
}

/* The reported line: the plan's graph judged on the report judge's seeds. */
static void report(bench *b, const char *method, const char *obj, const gdfo_graph *g, double own_ms,
		   long decisions, const char *extra, const int32_t *point)
{
	gdfo_reward r = {.version = GDFO_REWARD_VERSION};
	gdfo_outcome o = {.version = GDFO_OUTCOME_VERSION}, base = {.version = GDFO_OUTCOME_VERSION};
	size_t i;

	if (gdfo_judge_graph(&r, &o, b->report, g) || gdfo_judge_baseline(&base, b->report))
		die("report judge");
	printf("{\"bench\": \"quality\", \"method\": \"%s\", \"pipeline\": \"%s\", \"objective\": \"%s\", "
	       "\"latency_change\": %.6g, \"throughput_change\": %.6g, \"cost_change\": %.6g, \"reward\": %.6g, "
	       "\"success\": %d, \"penalized\": %d, \"latency_ms\": %.6g, \"cost\": %.6g, \"judge_runs\": %ld, "
	       "\"optimizer_ms_per_decision\": %.6g, \"optimizer_ms_per_trial\": %.6g%s",
	       method, b->name, obj, r.latency_increase, r.throughput_gain, r.cost_overhead, r.reward, o.success,
	       r.penalized, o.latency_ms, o.cost, b->runs_used, own_ms, decisions > 0 ? own_ms / (double)decisions : own_ms,
	       extra ? extra : "");
	if (point) {
		printf(", \"point\": [");
		for (i = 0; i < b->dim; i++)
			printf("%s%d", i ? "," : "", (int)point[i]);
		printf("]");
	}
	printf("}\n");
	fflush(stdout);
}

static void report_point(bench *b, const char *method, const char *obj, const int32_t *p, double own_ms,
			 const char *extra)
{
	gdfo_plan *plan;
	if (gdfo_space_apply(&plan, b->space, p, b->dim, method))
		die("apply");
	report(b, method, obj, gdfo_plan_graph(plan), own_ms, b->runs_used, extra, p);
	gdfo_plan_free(plan);
}

/* First-improvement hill climbing from start, neighbours in random order. */
static double local_search(bench *b, int32_t *cur, long budget, uint64_t *rng, const char *method)
{
	size_t n, count, i;
	int32_t *nb = NULL;
	size_t *order = NULL;
	double best = judge_point(b, cur, method);
	long used = 1;
	int improved = 1;

	while (improved && used < budget) {
		improved = 0;
		gdfo_space_neighbours(NULL, 0, &n, b->space, cur, b->dim);
		nb = realloc(nb, (n + 1) * b->dim * sizeof(*nb));
		order = realloc(order, (n + 1) * sizeof(*order));
		if (!nb || !order)
			die("out of memory");
		gdfo_space_neighbours(nb, n, &count, b->space, cur, b->dim);
		for (i = 0; i < n; i++)
			order[i] = i;
		for (i = n; i > 1; i--) {
			size_t j;
			*rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
			j = (size_t)((*rng >> 33) % i);
			size_t t = order[i - 1];
			order[i - 1] = order[j];
			order[j] = t;
		}
		for (i = 0; i < n && used < budget; i++) {
			double s = judge_point(b, nb + order[i] * b->dim, method);
			used++;
			if (s > best) {
				best = s;
				memcpy(cur, nb + order[i] * b->dim, b->dim * sizeof(*cur));
				improved = 1;
				break;
			}
		}
	}
	free(nb);
	free(order);
	return best;
}

/*
 * One run of a plan on the report judge's noise, written as the telemetry a
 * host would report (the next drift step's rules read it).
 */
static void record_run(bench *b, const gdfo_graph *g, int runs)
{
	gdfo_sim *sim;
	gdfo_sim_options so;
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_telemetry *t;

	gdfo_sim_options_init(&so, GDFO_SIM_OPTIONS_VERSION);
	so.runs = runs;
	so.seed = 1000003;
	so.noise_sigma = 0.1;
	so.straggler_prob = 0.01;
	if (gdfo_sim_create(&sim, b->cluster) || gdfo_sim_run_graph(&r, sim, g, &so) ||
	    gdfo_sim_telemetry(&t, sim, g) || gdfo_telemetry_save(t, b->record_rules))
		die("recording the rules plan's run");
	gdfo_telemetry_free(t);
	gdfo_sim_free(sim);
}

static double space_size(const gdfo_space *s)
{
	double total = 1;
	size_t d;
	for (d = 0; d < gdfo_space_dim(s); d++) {
		gdfo_decision dc = {.version = GDFO_DECISION_VERSION};
		gdfo_space_decision_at(&dc, s, d);
		total *= (double)dc.n_legal;
	}
	return total;
}

static int wants(const char *methods, const char *m)
{
	size_t n = strlen(m);
	const char *p = methods;
	if (!methods)
		return 1;
	while ((p = strstr(p, m))) {
		if ((p == methods || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

/* A plan of the learned optimizer with these options; own time in *ms. */
static gdfo_plan *learned_plan(bench *b, const char *model, int candidates, int steps, int score, int uniform,
			       double *ms)
{
	gdfo_optimizer_options oo;
	gdfo_optimizer *opt;
	gdfo_plan *plan;
	double t0;

	gdfo_optimizer_options_init(&oo, GDFO_OPTIMIZER_OPTIONS_VERSION);
	oo.model_path = model;
	oo.cluster = b->cluster;
	oo.candidates = candidates;
	oo.structural_steps = steps;
	oo.score = score;
	oo.uniform = uniform;
	if (gdfo_optimizer_open(&opt, NULL, &oo))
		die("optimizer");
	t0 = now_ms();
	if (gdfo_optimizer_plan(&plan, opt, b->g, b->telemetry, &b->obj))
		die("learned plan");
	*ms = now_ms() - t0;
	gdfo_optimizer_close(opt);
	return plan;
}

/*
 * The learned methods: zero-shot (no judge run), learned + Q with a budget
 * of judge runs, the ablations (uniform candidates with the same scoring,
 * no structural edits, the greedy plan unscored) and RL-only (the same
 * policy trained from scratch on this pipeline with the same budget).
 */
static void run_learned(bench *b, const objective *ob, const char *model, const char *methods, long q_budget,
			long rl_budget)
{
	gdfo_plan *plan;
	double ms;
	char extra[160];

	b->runs_used = 0;
	if (wants(methods, "learned")) {
		plan = learned_plan(b, model, 8, 4, 1, 0, &ms);
		snprintf(extra, sizeof(extra), ", \"source\": \"%s\"", gdfo_plan_source(plan));
		report(b, "learned", ob->name, gdfo_plan_graph(plan), ms, 1, extra, NULL);
		gdfo_plan_free(plan);
	}
	if (wants(methods, "uniform")) {
		plan = learned_plan(b, NULL, 8, 0, 1, 1, &ms);
		report(b, "uniform", ob->name, gdfo_plan_graph(plan), ms, 1, NULL, NULL);
		gdfo_plan_free(plan);
	}
	if (wants(methods, "no-structural")) {
		plan = learned_plan(b, model, 8, 0, 1, 0, &ms);
		report(b, "no-structural", ob->name, gdfo_plan_graph(plan), ms, 1, NULL, NULL);
		gdfo_plan_free(plan);
	}
	if (wants(methods, "greedy")) {
		plan = learned_plan(b, model, 0, 4, 0, 0, &ms);
		report(b, "greedy", ob->name, gdfo_plan_graph(plan), ms, 1, NULL, NULL);
		gdfo_plan_free(plan);
	}
	if (wants(methods, "learned-q")) {
		gdfo_optimizer_options oo;
		gdfo_optimizer *opt;
		gdfo_refiner *rf;
		double t0 = now_ms(), best_r;
		long k;
		b->judge_ms = 0;
		b->runs_used = 0;
		gdfo_optimizer_options_init(&oo, GDFO_OPTIMIZER_OPTIONS_VERSION);
		oo.model_path = model;
		oo.cluster = b->cluster;
		if (gdfo_optimizer_open(&opt, NULL, &oo) || gdfo_refiner_create(&rf, opt, b->g, b->telemetry, &b->obj))
			die("refiner");
		for (k = 0; k < q_budget; k++) {
			int rc = gdfo_refiner_next(&plan, rf);
			if (rc == GDFO_ENOTFOUND)
				break;
			if (rc)
				die("refiner next");
			if (gdfo_refiner_observe(rf, judge_graph(b, gdfo_plan_graph(plan), NULL)))
				die("refiner observe");
			gdfo_plan_free(plan);
		}
		if (gdfo_refiner_best(&plan, rf, &best_r))
			die("refiner best");
		snprintf(extra, sizeof(extra), ", \"budget\": %ld", q_budget);
		report(b, "learned-q", ob->name, gdfo_plan_graph(plan), now_ms() - t0 - b->judge_ms, b->runs_used, extra, NULL);
		gdfo_plan_free(plan);
		gdfo_refiner_free(rf);
		gdfo_optimizer_close(opt);
	}
	if (wants(methods, "rl-only")) {
		gdfo_train_options to;
		gdfo_nn_encoder *enc;
		char path[] = "/tmp/gdfo-rl-only-XXXXXX";
		int fd = mkstemp(path);
		double t0 = now_ms();
		if (fd < 0)
			die("temporary model");
		close(fd);
		gdfo_train_options_init(&to, GDFO_TRAIN_OPTIONS_VERSION);
		to.pipeline = b->g;
		to.cluster = b->cluster;
		to.objective = &b->obj;
		to.warm_episodes = 0;
		to.ppo_episodes = rl_budget;
		to.batch_episodes = 10;
		to.group = 5;
		if (gdfo_train(&enc, &to) || gdfo_nn_save(enc, path))
			die("rl-only training");
		gdfo_nn_free(enc);
		ms = now_ms() - t0;
		{
			double ms2;
			/* the same planning call as "learned", with this policy */
			plan = learned_plan(b, path, 8, 4, 1, 0, &ms2);
			ms += ms2;
		}
		unlink(path);
		snprintf(extra, sizeof(extra), ", \"budget\": %ld", rl_budget);
		b->runs_used = rl_budget;
		report(b, "rl-only", ob->name, gdfo_plan_graph(plan), ms, rl_budget, extra, NULL);
		gdfo_plan_free(plan);
	}
}

static void run_objective(bench *b, const objective *ob, long n_random, long n_local, long n_best,
			  double exhaustive_max, int runs, const char *methods)
{
	int32_t *rand_best, *local_best;
	gdfo_judge_options jo;
	gdfo_outcome base = {.version = GDFO_OUTCOME_VERSION};
	int32_t *p = calloc(b->dim + 1, sizeof(*p)), *best = calloc(b->dim + 1, sizeof(*best)),
		*rules_pt = calloc(b->dim + 1, sizeof(*rules_pt));
	gdfo_rules_options ro;
	gdfo_plan *rules;
	uint64_t rng = 12345;
	double t0, s, best_s, total;
	char extra[128];
	long k;

	rand_best = calloc(b->dim + 1, sizeof(*p));
	local_best = calloc(b->dim + 1, sizeof(*p));
	if (!p || !best || !rules_pt || !rand_best || !local_best)
		die("out of memory");
	gdfo_objective_init(&b->obj, GDFO_OBJECTIVE_VERSION);
	b->obj.throughput_weight = ob->w[0];
	b->obj.latency_weight = ob->w[1];
	b->obj.cost_weight = ob->w[2];
	gdfo_judge_options_init(&jo, GDFO_JUDGE_OPTIONS_VERSION);
	jo.runs = runs;
	jo.cluster = b->cluster;
	jo.telemetry = b->telemetry;
	if (ob->slo_factor > 0) {
		/* The SLO is a factor of the input's judged latency. */
		gdfo_judge *j0;
		jo.objective = &b->obj;
		if (gdfo_judge_create(&j0, b->g, &jo) || gdfo_judge_baseline(&base, j0))
			die("judge");
		gdfo_judge_free(j0);
		b->obj.slo_ms = ob->slo_factor * base.latency_ms;
	}
	jo.objective = &b->obj;
	jo.seed = 1;
	if (gdfo_judge_create(&b->search, b->g, &jo))
		die("search judge");
	jo.seed = 1000003;
	if (gdfo_judge_create(&b->report, b->g, &jo))
		die("report judge");

	/* static: the input as given */
	b->runs_used = 0;
	if (wants(methods, "static"))
		report(b, "static", ob->name, b->g, 0, 1, NULL, p);

	/* rules: one plan; its own simulator checks are not judge runs */
	gdfo_rules_options_init(&ro, GDFO_RULES_OPTIONS_VERSION);
	ro.objective = &b->obj;
	ro.cluster = b->cluster;
	t0 = now_ms();
	if (gdfo_optimize_rules(&rules, b->g, b->rules_telemetry ? b->rules_telemetry : b->telemetry, &ro))
		die("rules");
	s = now_ms() - t0;
	b->runs_used = 0;
	if (wants(methods, "rules"))
		report(b, "rules", ob->name, gdfo_plan_graph(rules), s, 1, NULL, NULL);
	t0 = now_ms();
	if (gdfo_space_point_of(rules_pt, b->dim, b->space, gdfo_plan_graph(rules)))
		die("point_of");
	s = now_ms() - t0;
	if (b->record_rules)
		record_run(b, gdfo_plan_graph(rules), runs);
	gdfo_plan_free(rules);
	/* How much of the rules plan the space's grids keep: local search starts here. */
	b->runs_used = 0;
	if (wants(methods, "rules-point"))
		report_point(b, "rules-point", ob->name, rules_pt, s, NULL);

	/* random search */
	b->runs_used = 0;
	b->judge_ms = 0;
	t0 = now_ms();
	best_s = -INFINITY;
	for (k = 0; k < (wants(methods, "random") ? n_random : 0); k++) {
		gdfo_space_sample(p, b->dim, b->space, &rng);
		if ((s = judge_point(b, p, "random")) > best_s) {
			best_s = s;
			memcpy(best, p, b->dim * sizeof(*p));
		}
	}
	snprintf(extra, sizeof(extra), ", \"budget\": %ld", n_random);
	memcpy(rand_best, best, b->dim * sizeof(*p));
	if (wants(methods, "random"))
		report_point(b, "random", ob->name, best, now_ms() - t0 - b->judge_ms, extra);

	/* local search from the rules plan's point */
	b->runs_used = 0;
	b->judge_ms = 0;
	t0 = now_ms();
	memcpy(p, rules_pt, b->dim * sizeof(*p));
	if (wants(methods, "local")) {
		local_search(b, p, n_local, &rng, "local");
		snprintf(extra, sizeof(extra), ", \"budget\": %ld", n_local);
		report_point(b, "local", ob->name, p, now_ms() - t0 - b->judge_ms, extra);
	}
	memcpy(local_best, p, b->dim * sizeof(*p));

	/* best known: exhaustive when small, else multi-start local search */
	b->runs_used = 0;
	b->judge_ms = 0;
	t0 = now_ms();
	total = space_size(b->space);
	best_s = -INFINITY;
	if (!wants(methods, "best-known")) {
		total = 0;
	} else if (total <= exhaustive_max) {
		size_t d;
		for (k = 0; k < (long)total; k++) {
			long x = k;
			for (d = 0; d < b->dim; d++) {
				gdfo_decision dc = {.version = GDFO_DECISION_VERSION};
				size_t c, nth;
				gdfo_space_decision_at(&dc, b->space, d);
				nth = (size_t)(x % (long)dc.n_legal);
				x /= (long)dc.n_legal;
				for (c = 0; c < dc.n_choices; c++) {
					int legal;
					gdfo_space_choice(NULL, NULL, &legal, b->space, d, c);
					if (legal && nth-- == 0)
						break;
				}
				p[d] = (int32_t)c;
			}
			if ((s = judge_point(b, p, "best-known")) > best_s) {
				best_s = s;
				memcpy(best, p, b->dim * sizeof(*p));
			}
		}
	} else {
		/* The starts (what random and local search found, the rules plan, the
		 * input) are judged first; local search goes on from the best of
		 * them, then from random points while the budget lasts. */
		const int32_t *starts[4] = {local_best, rand_best, rules_pt, NULL};
		int first = 1;
		for (k = 0; k < 4; k++) {
			if (starts[k])
				memcpy(p, starts[k], b->dim * sizeof(*p));
			else
				memset(p, 0, b->dim * sizeof(*p));
			if ((s = judge_point(b, p, "best-known")) > best_s) {
				best_s = s;
				memcpy(best, p, b->dim * sizeof(*p));
			}
		}
		while (b->runs_used < n_best) {
			long left = n_best - b->runs_used;
			if (first)
				memcpy(p, best, b->dim * sizeof(*p));
			else
				gdfo_space_sample(p, b->dim, b->space, &rng);
			s = local_search(b, p, first ? left / 2 + 1 : (left < 100 ? left : 100), &rng, "best-known");
			if (s > best_s) {
				best_s = s;
				memcpy(best, p, b->dim * sizeof(*p));
			}
			first = 0;
		}
	}
	snprintf(extra, sizeof(extra), ", \"exhaustive\": %s, \"space_points\": %.6g",
		 total <= exhaustive_max ? "true" : "false", space_size(b->space));
	if (wants(methods, "best-known"))
		report_point(b, "best-known", ob->name, best, now_ms() - t0 - b->judge_ms, extra);

	if (b->model)
		run_learned(b, ob, b->model, methods, 10, 50);

	gdfo_judge_free(b->search);
	gdfo_judge_free(b->report);
	free(p);
	free(best);
	free(rules_pt);
	free(rand_best);
	free(local_best);
}

int main(int argc, char **argv)
{
	bench b = {0};
	objective obs[MAX_OBJ];
	int n_obj = 0, i, runs = 5;
	long n_random = 50, n_local = 50, n_best = 400;
	double exhaustive_max = 400;
	const char *tpath = NULL, *cpath = NULL, *front = NULL, *methods = NULL, *rtpath = NULL;
	gdfo_telemetry *rt = NULL;
	gdfo_graph *g;
	gdfo_telemetry *t = NULL;
	gdfo_sim_cluster cl;
	gdfo_space_options so;

	if (argc < 2) {
		fprintf(stderr, "usage: bench/quality PIPELINE.json --objective NAME=TW,LW,CW[,SLO] ...\n");
		return 2;
	}
	b.name = "pipeline";
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			fprintf(stderr, "bench/quality: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--telemetry"))
			tpath = v;
		else if (!strcmp(a, "--cluster"))
			cpath = v;
		else if (!strcmp(a, "--random"))
			n_random = atol(v);
		else if (!strcmp(a, "--local"))
			n_local = atol(v);
		else if (!strcmp(a, "--best"))
			n_best = atol(v);
		else if (!strcmp(a, "--exhaustive-max"))
			exhaustive_max = atof(v);
		else if (!strcmp(a, "--runs"))
			runs = atoi(v);
		else if (!strcmp(a, "--name"))
			b.name = v;
		else if (!strcmp(a, "--rules-telemetry"))
			rtpath = v;
		else if (!strcmp(a, "--record-rules"))
			b.record_rules = v;
		else if (!strcmp(a, "--methods"))
			methods = v;
		else if (!strcmp(a, "--front"))
			front = v;
		else if (!strcmp(a, "--model"))
			b.model = v;
		else if (!strcmp(a, "--objective") && n_obj < MAX_OBJ) {
			objective *o = &obs[n_obj++];
			const char *eq = strchr(v, '=');
			memset(o, 0, sizeof(*o));
			if (!eq || eq - v >= (long)sizeof(o->name) ||
			    sscanf(eq + 1, "%lf,%lf,%lf,%lf", &o->w[0], &o->w[1], &o->w[2], &o->slo_factor) < 3) {
				fprintf(stderr, "bench/quality: --objective NAME=TW,LW,CW[,SLO_FACTOR], got '%s'\n", v);
				return 2;
			}
			memcpy(o->name, v, (size_t)(eq - v));
		} else {
			fprintf(stderr, "bench/quality: unknown option '%s'\n", a);
			return 2;
		}
	}
	if (gdfo_graph_load(&g, argv[1]))
		die(argv[1]);
	if (tpath && gdfo_telemetry_load(&t, tpath))
		die(tpath);
	if (rtpath && gdfo_telemetry_load(&rt, rtpath))
		die(rtpath);
	b.rules_telemetry = rt;
	if (cpath) {
		if (gdfo_sim_cluster_load(&cl, cpath))
			die(cpath);
		b.cluster = &cl;
	}
	if (front && !(b.front = fopen(front, "a")))
		die(front);
	b.g = g;
	b.telemetry = t;
	gdfo_space_options_init(&so, GDFO_SPACE_OPTIONS_VERSION);
	so.cluster = b.cluster;
	if (gdfo_space_create(&b.space, g, &so))
		die("space");
	b.dim = gdfo_space_dim(b.space);
	for (i = 0; i < n_obj; i++)
		run_objective(&b, &obs[i], n_random, n_local, n_best, exhaustive_max, runs, methods);
	if (b.front)
		fclose(b.front);
	gdfo_space_free(b.space);
	gdfo_telemetry_free(t);
	gdfo_telemetry_free(rt);
	gdfo_graph_free(g);
	return 0;
}
