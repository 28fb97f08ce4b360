/* gdfo optimize PIPELINE.json: plan a pipeline with the rule-based optimizer. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char optimize_help[] =
	"usage: gdfo optimize [--rules] [--telemetry T.json] [--cluster C.json] [--no-predict]\n"
	"                     [--explain] [-o PLAN.json] PIPELINE.json\n"
	"\n"
	"Reads a gdfo-pipeline/1 document and optimizes it. Prints the plan\n"
	"(gdfo-plan/1 JSON: rewritten pipeline, every change with its reason,\n"
	"risk, predictions) on stdout, or a readable account with --explain.\n"
	"\n"
	"  --rules            use the rule-based optimizer (the default, and for\n"
	"                     now the only one): filter push-down, narrow-chain\n"
	"                     fusion, broadcast joins under 10 MiB, partitions of\n"
	"                     128 MiB, caching of shared stages, critical-path\n"
	"                     priorities (docs/rules.md)\n"
	"  --telemetry FILE   a gdfo-telemetry/1 record of a previous run; measured\n"
	"                     values are preferred to the pipeline's estimates, and\n"
	"                     the predictions use the model calibrated to it\n"
	"  --cluster FILE     a gdfo-cluster/1 file for the simulator that predicts\n"
	"                     the plan's latency, throughput and cost against the\n"
	"                     input pipeline (default: the built-in cluster model,\n"
	"                     docs/simulator.md)\n"
	"  --no-predict       leave the predictions unknown (skip the simulation)\n"
	"  --explain          print the readable account instead of JSON\n"
	"  -o FILE            also write the plan JSON to FILE (atomically)\n"
	"\n"
	"Exit status: 0 success, 2 bad input or usage, 1 other failure.\n";

int gdfo__cli_optimize(int argc, char **argv)
{
	const char *path = NULL, *tpath = NULL, *opath = NULL, *cpath = NULL;
	gdfo_sim_cluster cluster;
	gdfo_sim *sim = NULL;
	int predict = 1;
	gdfo_graph *g = NULL;
	gdfo_telemetry *t = NULL;
	gdfo_plan *plan = NULL;
	char *text = NULL;
	int explain = 0, i, rc, code = 0;

	if (gdfo__cli_wants_help(argc, argv)) {
		fputs(optimize_help, stdout);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rules")) {
			/* the default */
		} else if (!strcmp(argv[i], "--explain")) {
			explain = 1;
		} else if (!strcmp(argv[i], "--no-predict")) {
			predict = 0;
		} else if (!strcmp(argv[i], "--telemetry") || !strcmp(argv[i], "-o") ||
			   !strcmp(argv[i], "--cluster")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "gdfo optimize: %s needs a file name\n", argv[i]);
				return GDFO__EXIT_USAGE;
			}
			if (argv[i][1] == 'o')
				opath = argv[++i];
			else if (argv[i][2] == 'c')
				cpath = argv[++i];
			else
				tpath = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "gdfo optimize: unknown option '%s' (try 'gdfo optimize --help')\n", gdfo__cli_quote(argv[i]));
			return GDFO__EXIT_USAGE;
		} else if (!path) {
			path = argv[i];
		} else {
			fprintf(stderr, "gdfo optimize: more than one pipeline given\n");
			return GDFO__EXIT_USAGE;
		}
	}
	if (!path) {
		fprintf(stderr, "gdfo optimize: no pipeline given (usage: gdfo optimize PIPELINE.json)\n");
		return GDFO__EXIT_USAGE;
	}
	if ((rc = gdfo_graph_load(&g, path)))
		return gdfo__cli_fail("optimize", rc);
	if (tpath && (rc = gdfo_telemetry_load(&t, tpath))) {
		code = gdfo__cli_fail("optimize", rc);
		goto out;
	}
	if (cpath && (rc = gdfo_sim_cluster_load(&cluster, cpath))) {
		code = gdfo__cli_fail("optimize", rc);
		goto out;
	}
	if ((rc = gdfo_optimize_rules(&plan, g, t, NULL)) ||
	    (predict && ((rc = gdfo_sim_create(&sim, cpath ? &cluster : NULL)) ||
			 (t && (rc = gdfo_sim_calibrate(NULL, sim, g, t, NULL))) ||
			 (rc = gdfo_sim_predict_plan(sim, plan, g, NULL)))) ||
	    (rc = explain ? gdfo_plan_explain(&text, plan) : gdfo_plan_to_json(&text, plan)) ||
	    (opath && (rc = gdfo_plan_save(plan, opath)))) {
		code = gdfo__cli_fail("optimize", rc);
		goto out;
	}
	if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
		fprintf(stderr, "gdfo optimize: writing the plan to stdout failed\n");
		code = GDFO__EXIT_FAIL;
	}
out:
	gdfo_free(text);
	gdfo_plan_free(plan);
	gdfo_sim_free(sim);
	gdfo_telemetry_free(t);
	gdfo_graph_free(g);
	return code;
}
