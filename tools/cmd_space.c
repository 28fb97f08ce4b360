/*
 * gdfo space: the decision space of a pipeline (include/gdfo/space.h):
 * list it, export it as JSON, apply a point, sample points, or find the
 * point of a plan.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char space_help[] =
	"usage: gdfo space PIPELINE.json [--cluster C.json] [OPTIONS]\n"
	"\n"
	"Lists what an optimizer may decide for the pipeline (docs/space.md): each\n"
	"decision with its choices; choice 0 keeps the input's value, masked\n"
	"choices (illegal, or the input's own value) are marked '-'.\n"
	"\n"
	"  --cluster FILE     a gdfo-cluster/1 file: the executors, cores and memory\n"
	"                     used when the pipeline leaves them at 0, and the\n"
	"                     broadcast bound (default: built-in cluster model)\n"
	"  --json             print the space as a gdfo-space/1 document\n"
	"  --apply POINT      apply a point (comma-separated choice indices, one per\n"
	"                     decision) and print the plan (gdfo-plan/1)\n"
	"  --source NAME      the optimizer named in the applied plan (default \"space\")\n"
	"  --sample N         print N uniformly sampled points, one per line\n"
	"  --seed S           random seed for --sample (default 1)\n"
	"  --point-of PLAN    print the point nearest to a plan of this pipeline\n"
	"  --no-structural    leave push-downs, reorders and fusions out\n"
	"  --no-reorder       leave join reorders out\n"
	"  --no-stage-knobs   leave partitions, strategies, caches and file sizing out\n"
	"  --no-priorities    leave the priority policy out\n"
	"  --stage-priorities offer each stage's priority too (-1, 0, +1)\n"
	"  --no-resources     leave executors, cores and memory out\n"
	"  --max-executors N  largest executor count offered\n"
	"\n"
	"Exit status: 0 done, 2 invalid input or usage, 1 other failure.\n";

/* Parses "1,0,3" into a point of exactly dim entries. */
static int parse_point(int32_t *point, size_t dim, const char *text)
{
	size_t i = 0;
	const char *p = text;

	if (!*p && dim == 0)
		return 0;
	while (*p) {
		char *end;
		long v;
		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || v < 0 || v > INT32_MAX || (*end && *end != ',')) {
			fprintf(stderr, "gdfo space: --apply: '%s' is not a list of choice indices\n", gdfo__cli_quote(text));
			return GDFO__EXIT_USAGE;
		}
		if (i == dim) {
			fprintf(stderr, "gdfo space: --apply: more than the space's %zu decisions\n", dim);
			return GDFO__EXIT_USAGE;
		}
		point[i++] = (int32_t)v;
		p = *end ? end + 1 : end;
	}
	if (i != dim) {
		fprintf(stderr, "gdfo space: --apply: %zu choices given, the space has %zu decisions\n", i, dim);
		return GDFO__EXIT_USAGE;
	}
	return 0;
}

static void print_point(const int32_t *point, size_t dim)
{
	size_t i;
	for (i = 0; i < dim; i++)
		printf("%s%d", i ? "," : "", (int)point[i]);
	putchar('\n');
}

static void print_table(const gdfo_space *s)
{
	size_t i, c, dim = gdfo_space_dim(s);

	printf("decision space of '%s': %zu decisions\n", gdfo_graph_name(gdfo_space_graph(s)), dim);
	for (i = 0; i < dim; i++) {
		gdfo_decision d = {.version = GDFO_DECISION_VERSION};
		gdfo_space_decision_at(&d, s, i);
		printf("%4zu  %-14s %s\n", i, gdfo_decision_kind_name(d.kind), d.name);
		for (c = 0; c < d.n_choices; c++) {
			const char *label;
			int legal;
			gdfo_space_choice(NULL, &label, &legal, s, i, c);
			printf("        %c %2zu  %s\n", legal ? ' ' : '-', c, label);
		}
	}
}

int gdfo__cli_space(int argc, char **argv)
{
	const char *path = NULL, *cpath = NULL, *apply = NULL, *source = "space", *plan_path = NULL;
	gdfo_space_options o;
	gdfo_sim_cluster cluster;
	gdfo_graph *g = NULL;
	gdfo_space *s = NULL;
	int32_t *point = NULL;
	long sample = -1;
	uint64_t seed = 1;
	int json = 0, i, rc, exit_code = 0;
	size_t dim;

	if (gdfo__cli_wants_help(argc, argv)) {
		fputs(space_help, stdout);
		return 0;
	}
	gdfo_space_options_init(&o, GDFO_SPACE_OPTIONS_VERSION);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;
		if (!strcmp(a, "--json"))
			json = 1;
		else if (!strcmp(a, "--no-structural"))
			o.structural = 0;
		else if (!strcmp(a, "--no-reorder"))
			o.reorder_joins = 0;
		else if (!strcmp(a, "--no-stage-knobs"))
			o.stage_knobs = 0;
		else if (!strcmp(a, "--no-priorities"))
			o.priorities = 0;
		else if (!strcmp(a, "--stage-priorities"))
			o.stage_priorities = 1;
		else if (!strcmp(a, "--no-resources"))
			o.resources = 0;
		else if (has && !strcmp(a, "--cluster"))
			cpath = argv[++i];
		else if (has && !strcmp(a, "--apply"))
			apply = argv[++i];
		else if (has && !strcmp(a, "--source"))
			source = argv[++i];
		else if (has && !strcmp(a, "--point-of"))
			plan_path = argv[++i];
		else if (has && (!strcmp(a, "--sample") || !strcmp(a, "--seed") || !strcmp(a, "--max-executors"))) {
			char *end;
			long long v;
			errno = 0;
			v = strtoll(argv[i + 1], &end, 10);
			if (*end || end == argv[i + 1] || errno || v < 0 || v > 100000000) {
				fprintf(stderr, "gdfo space: %s needs a count, got '%s'\n", a, gdfo__cli_quote(argv[i + 1]));
				return GDFO__EXIT_USAGE;
			}
			i++;
			if (!strcmp(a, "--sample"))
				sample = (long)v;
			else if (!strcmp(a, "--seed"))
				seed = (uint64_t)v;
			else
				o.max_executors = (int32_t)(v > 100000 ? 100001 : v);
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "gdfo space: unknown option or missing value '%s'\n", gdfo__cli_quote(a));
			return GDFO__EXIT_USAGE;
		} else if (!path)
			path = a;
		else {
			fprintf(stderr, "gdfo space: more than one pipeline given\n");
			return GDFO__EXIT_USAGE;
		}
	}
	if (!path) {
		fprintf(stderr, "gdfo space: no pipeline given (usage: gdfo space PIPELINE.json)\n");
		return GDFO__EXIT_USAGE;
	}
	if (!!apply + (sample >= 0) + !!plan_path + json > 1) {
		fprintf(stderr, "gdfo space: --json, --apply, --sample and --point-of exclude each other\n");
		return GDFO__EXIT_USAGE;
	}
	if (cpath && (rc = gdfo_sim_cluster_load(&cluster, cpath)))
		return gdfo__cli_fail("space", rc);
	o.cluster = cpath ? &cluster : NULL;
	if ((rc = gdfo_graph_load(&g, path)) || (rc = gdfo_space_create(&s, g, &o))) {
		exit_code = gdfo__cli_fail("space", rc);
		goto out;
	}
	dim = gdfo_space_dim(s);
	if (!(point = calloc(dim + 1, sizeof(*point)))) {
		exit_code = gdfo__cli_fail("space", GDFO_ENOMEM);
		goto out;
	}
	if (json) {
		char *text;
		if ((rc = gdfo_space_to_json(&text, s))) {
			exit_code = gdfo__cli_fail("space", rc);
			goto out;
		}
		fputs(text, stdout);
		gdfo_free(text);
	} else if (apply) {
		gdfo_plan *plan;
		char *text;
		if ((exit_code = parse_point(point, dim, apply)))
			goto out;
		if ((rc = gdfo_space_apply(&plan, s, point, dim, source))) {
			exit_code = gdfo__cli_fail("space", rc);
			goto out;
		}
		rc = gdfo_plan_to_json(&text, plan);
		gdfo_plan_free(plan);
		if (rc) {
			exit_code = gdfo__cli_fail("space", rc);
			goto out;
		}
		fputs(text, stdout);
		gdfo_free(text);
	} else if (sample >= 0) {
		long k;
		for (k = 0; k < sample; k++) {
			gdfo_space_sample(point, dim, s, &seed);
			print_point(point, dim);
		}
	} else if (plan_path) {
		gdfo_plan *plan;
		if ((rc = gdfo_plan_load(&plan, plan_path))) {
			exit_code = gdfo__cli_fail("space", rc);
			goto out;
		}
		rc = gdfo_space_point_of(point, dim, s, gdfo_plan_graph(plan));
		gdfo_plan_free(plan);
		if (rc) {
			exit_code = gdfo__cli_fail("space", rc);
			goto out;
		}
		print_point(point, dim);
	} else {
		print_table(s);
	}
out:
	free(point);
	gdfo_space_free(s);
	gdfo_graph_free(g);
	return exit_code;
}
