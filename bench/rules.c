/*
 * Speed of gdfo_optimize_rules with the simulator check on and off
 * (bench/rules_suite.sh runs it): for each pipeline file, the median of
 * REPS timed calls each way, one JSON line per pipeline on stdout.
 * usage: bench/rules CLUSTER.json|- REPS PIPELINE.json...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gdfo/gdfo.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Median ms of reps calls; *changes and *rejected of the last plan. */
static int time_rules(double *out, size_t *changes, size_t *rejected, const gdfo_graph *g,
		      const gdfo_rules_options *o, int reps)
{
	double *t = malloc((size_t)reps * sizeof(*t));
	int i;

	if (!t)
		return -1;
	for (i = 0; i < reps; i++) {
		gdfo_plan *p;
		double t0 = now_ms();
		if (gdfo_optimize_rules(&p, g, NULL, o)) {
			fprintf(stderr, "bench/rules: %s\n", gdfo_last_error());
			free(t);
			return -1;
		}
		t[i] = now_ms() - t0;
		*changes = gdfo_plan_change_count(p);
		*rejected = gdfo_plan_rejected_count(p);
		gdfo_plan_free(p);
	}
	qsort(t, (size_t)reps, sizeof(*t), cmp);
	*out = t[reps / 2];
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	gdfo_sim_cluster cluster;
	gdfo_rules_options on, off;
	int reps, i;

	if (argc < 4) {
		fprintf(stderr, "usage: %s CLUSTER.json|- REPS PIPELINE.json...\n", argv[0]);
		return 2;
	}
	reps = atoi(argv[2]);
	if (reps < 1)
		reps = 1;
	gdfo_rules_options_init(&on, GDFO_RULES_OPTIONS_VERSION);
	gdfo_rules_options_init(&off, GDFO_RULES_OPTIONS_VERSION);
	on.check_changes = 1;
	off.check_changes = 0;
	if (strcmp(argv[1], "-")) {
		if (gdfo_sim_cluster_load(&cluster, argv[1])) {
			fprintf(stderr, "bench/rules: %s\n", gdfo_last_error());
			return 1;
		}
		on.cluster = &cluster;
	}
	for (i = 3; i < argc; i++) {
		gdfo_graph *g;
		double t_on, t_off;
		size_t c_on, r_on, c_off, r_off;
		if (gdfo_graph_load(&g, argv[i])) {
			fprintf(stderr, "bench/rules: %s\n", gdfo_last_error());
			return 1;
		}
		if (time_rules(&t_on, &c_on, &r_on, g, &on, reps) || time_rules(&t_off, &c_off, &r_off, g, &off, reps))
			return 1;
		printf("{\"pipeline\": \"%s\", \"stages\": %zu, \"ms_checked\": %.3f, \"ms_unchecked\": %.3f, "
		       "\"changes_checked\": %zu, \"rejected\": %zu, \"changes_unchecked\": %zu}\n",
		       gdfo_graph_name(g), gdfo_graph_stage_count(g), t_on, t_off, c_on, r_on, c_off);
		gdfo_graph_free(g);
	}
	return 0;
}
