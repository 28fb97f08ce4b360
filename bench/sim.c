/*
 * Simulator speed: analytic (fluid) evaluations per second of a 20-stage
 * pipeline, and discrete-event task events per second replaying a job
 * profile (NDS q72 by default), single thread, medians of repeated timed
 * batches, side by side in one run. One simulator handle is reused, so
 * the timed loops allocate nothing (workspaces are sized on the first call).
 *
 * usage: bench/sim PROFILE.json [SECONDS_PER_REP]
 * Prints a table on stderr and one JSON object per measurement on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gdfo/gdfo.h"

#define REPS 7

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static gdfo_graph *twenty_stages(void)
{
	gdfo_gen_options o;
	gdfo_graph *g = NULL;
	int n;
	gdfo_gen_options_init(&o, GDFO_GEN_OPTIONS_VERSION);
	o.family = GDFO_GEN_RANDOM;
	o.scale_bytes = 5e10;
	for (o.seed = 1; o.seed < 1000; o.seed++)
		for (n = 10; n <= 20; n++) {
			o.stages = n;
			if (gdfo_generate(&g, &o))
				return NULL;
			if (gdfo_graph_stage_count(g) == 20)
				return g;
			gdfo_graph_free(g);
		}
	return NULL;
}

int main(int argc, char **argv)
{
	double per = argc > 2 ? atof(argv[2]) : 0.3, rate_a[REPS], rate_d[REPS], rate_g[REPS], t0, t1;
	gdfo_sim *sim;
	gdfo_sim_options oa, od;
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_graph *g;
	gdfo_profile *p;
	long k, iters;
	int rep;
	double events = 0, gevents = 0, mk_a = 0, mk_d = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PROFILE.json [SECONDS_PER_REP]\n", argv[0]);
		return 2;
	}
	if (gdfo_profile_load(&p, argv[1]) || !(g = twenty_stages()) || gdfo_sim_create(&sim, NULL)) {
		fprintf(stderr, "bench/sim: %s\n", gdfo_last_error());
		return 1;
	}
	gdfo_sim_options_init(&oa, GDFO_SIM_OPTIONS_VERSION);
	oa.mode = GDFO_SIM_ANALYTIC;
	gdfo_sim_options_init(&od, GDFO_SIM_OPTIONS_VERSION);
	/* warm up: sizes the workspaces */
	if (gdfo_sim_run_graph(&r, sim, g, &oa) || gdfo_sim_run_profile(&r, sim, p, &od) ||
	    gdfo_sim_run_graph(&r, sim, g, &od)) {
		fprintf(stderr, "bench/sim: %s\n", gdfo_last_error());
		return 1;
	}
	for (rep = 0; rep < REPS; rep++) {
		/* analytic: calibrate the batch to ~per seconds */
		iters = 0;
		t0 = now_s();
		do {
			for (k = 0; k < 1000; k++)
				gdfo_sim_run_graph(&r, sim, g, &oa);
			iters += 1000;
			t1 = now_s();
		} while (t1 - t0 < per);
		rate_a[rep] = (double)iters / (t1 - t0);
		mk_a = r.makespan_ms;
		/* DES replay of the profile */
		iters = 0;
		events = 0;
		t0 = now_s();
		do {
			gdfo_sim_run_profile(&r, sim, p, &od);
			events += r.task_events;
			iters++;
			t1 = now_s();
		} while (t1 - t0 < per);
		rate_d[rep] = events / (t1 - t0);
		mk_d = r.makespan_ms;
		/* DES of the 20-stage pipeline */
		gevents = 0;
		t0 = now_s();
		do {
			gdfo_sim_run_graph(&r, sim, g, &od);
			gevents += r.task_events;
			t1 = now_s();
		} while (t1 - t0 < per);
		rate_g[rep] = gevents / (t1 - t0);
	}
	qsort(rate_a, REPS, sizeof(double), cmp);
	qsort(rate_d, REPS, sizeof(double), cmp);
	qsort(rate_g, REPS, sizeof(double), cmp);
	{
		gdfo_sim_run_profile(&r, sim, p, &od);
		fprintf(stderr, "%-13s %-28s %14s %14s %14s\n", "bench", "input", "median/s", "min/s", "max/s");
		fprintf(stderr, "%-13s %-28s %14.0f %14.0f %14.0f  (evaluations; makespan %.0f ms)\n", "sim-analytic",
			"random 20-stage pipeline", rate_a[REPS / 2], rate_a[0], rate_a[REPS - 1], mk_a);
		fprintf(stderr, "%-13s %-28.28s %14.0f %14.0f %14.0f  (task events; %.0f tasks, makespan %.0f ms)\n",
			"sim-des", gdfo_profile_name(p), rate_d[REPS / 2], rate_d[0], rate_d[REPS - 1], r.task_events, mk_d);
		fprintf(stderr, "%-13s %-28s %14.0f %14.0f %14.0f  (task events)\n", "sim-des-graph",
			"random 20-stage pipeline", rate_g[REPS / 2], rate_g[0], rate_g[REPS - 1]);
		printf("{\"bench\": \"sim-analytic\", \"stages\": 20, \"evals_per_s\": %.0f, \"threads\": 1, \"reps\": %d, \"stat\": \"median\"}\n",
		       rate_a[REPS / 2], REPS);
		printf("{\"bench\": \"sim-des\", \"profile\": \"%s\", \"tasks\": %.0f, \"task_events_per_s\": %.0f, \"threads\": 1, \"reps\": %d, \"stat\": \"median\"}\n",
		       argv[1], r.task_events, rate_d[REPS / 2], REPS);
		printf("{\"bench\": \"sim-des-graph\", \"stages\": 20, \"task_events_per_s\": %.0f, \"threads\": 1, \"reps\": %d, \"stat\": \"median\"}\n",
		       rate_g[REPS / 2], REPS);
	}
	gdfo_profile_free(p);
	gdfo_graph_free(g);
	gdfo_sim_free(sim);
	return 0;
}
