/* gdfo optimize PIPELINE.json: plan a pipeline with the rule-based optimizer. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char optimize_help[] =
	"usage: gdfo optimize [--rules | --model FILE] [--candidates N] [--telemetry T.json]\n"
	"                     [--cluster C.json] [--no-predict] [--state DIR]\n"
	"                     [--objective SPEC] [--check | --no-check] [RULE OPTIONS]\n"
	"                     [--explain] [-o PLAN.json] PIPELINE.json\n"
	"\n"
	"Reads a gdfo-pipeline/1 document and optimizes it. Prints the plan\n"
	"(gdfo-plan/1 JSON: rewritten pipeline, every change with its reason,\n"
	"changes considered and rejected, notes, risk, predictions) on stdout, or\n"
	"a readable account with --explain.\n"
	"\n"
	"  --model FILE       plan with the learned optimizer and this policy model\n"
	"                     (docs/learning.md). Without --model and --rules the\n"
	"                     learned optimizer plans when a model is found: $GDFO_MODEL,\n"
	"                     else models/default.gdfonn beside the gdfo executable's\n"
	"                     directory (a build tree), else the installed default;\n"
	"                     else the rules. The plan's notes say which planned.\n"
	"  --state DIR        plan through the closed loop of this state directory\n"
	"                     (docs/loop.md): the plan gets an \"id\" that `gdfo feedback\n"
	"                     DIR ID TELEMETRY.json` reports the run for; it may be the\n"
	"                     pipeline's known-good plan, a candidate or a rollback\n"
	"                     (the \"loop\" member says which); with --rules, no model\n"
	"  --candidates N     sampled plans the learned optimizer scores besides its\n"
	"                     greedy one (8)\n"
	"  --rules            use the rule-based optimizer: filter push-down,\n"
	"                     narrow-chain fusion, broadcast joins under the\n"
	"                     application's threshold (else 10 MiB), partitions of\n"
	"                     128 MiB, caching of shared stages, critical-path\n"
	"                     priorities (docs/rules.md)\n"
	"  --telemetry FILE   a gdfo-telemetry/1 record of a previous run of this\n"
	"                     pipeline; measured values are preferred to the\n"
	"                     pipeline's estimates, the predictions use the model\n"
	"                     calibrated to it; telemetry of another pipeline is\n"
	"                     refused (exit 2)\n"
	"  --cluster FILE     a gdfo-cluster/1 file for the simulator that checks the\n"
	"                     changes and predicts the plan's latency, throughput and\n"
	"                     cost against the input pipeline (default: the built-in\n"
	"                     cluster model, docs/simulator.md)\n"
	"  --objective SPEC   what 'worse' means for the check, e.g.\n"
	"                     throughput=1,latency=1,cost=1 (the default); keys\n"
	"                     throughput, latency, cost (weights; those not named are\n"
	"                     0 once one is), slo_ms, cost_ceiling, failure_penalty\n"
	"  --check            check every change group with the simulator and drop\n"
	"                     the ones predicted worse (default: when a cluster is\n"
	"                     known: --cluster, or the pipeline's cluster section)\n"
	"  --no-check         never check (expected gains from the work model)\n"
	"  --no-predict       leave the predictions unknown (skip the simulation)\n"
	"  --explain          print the readable account instead of JSON\n"
	"  -o FILE            also write the plan JSON to FILE (atomically)\n"
	"\n"
	"rule options (include/gdfo/rules.h; BYTES takes a K, M, G or T suffix, powers of 1024;\n"
	"any of them plans with the rules):\n"
	"  --no-push-filters, --no-fuse, --no-broadcast, --no-partitions, --no-cache,\n"
	"  --no-priorities     turn a rule off\n"
	"  --reorder-joins     turn join reordering on (off by default; high risk)\n"
	"  --broadcast-max BYTES            largest join input to broadcast (the\n"
	"                                   pipeline's broadcast_threshold_bytes,\n"
	"                                   else 10M)\n"
	"  --target-partition-bytes BYTES   bytes per partition (128M, >= 1M)\n"
	"  --min-partition-bytes BYTES      smallest partition when spreading over all\n"
	"                                   cores (1M)\n"
	"  --cache-budget BYTES             memory for cached stages; -1 derives it\n"
	"                                   from the cluster (default), 0 = disk only\n"
	"  --cache-memory-fraction F        share of executor memory for caches (0.3)\n"
	"  --partition-change-min F         change an explicit partition count only\n"
	"                                   when the target differs by this (0.25)\n"
	"\n"
	"Exit status: 0 success, 2 bad input or usage, 1 other failure.\n";

/* "128M", "10MiB", "1048576": bytes, powers of 1024; -1 only when allow_minus_one. */
static int parse_bytes(const char *s, int allow_minus_one, int64_t *out)
{
	char *end;
	double v, m = 1;

	if (allow_minus_one && !strcmp(s, "-1")) {
		*out = -1;
		return 0;
	}
	v = strtod(s, &end);
	if (end == s || !isfinite(v) || v < 0)
		return -1;
	switch (*end) {
	case 'K': case 'k': m = 1024.0; end++; break;
	case 'M': case 'm': m = 1024.0 * 1024; end++; break;
	case 'G': case 'g': m = 1024.0 * 1024 * 1024; end++; break;
	case 'T': case 't': m = 1024.0 * 1024 * 1024 * 1024; end++; break;
	default: break;
	}
	if (m > 1 && (!strcmp(end, "iB") || !strcmp(end, "B")))
		end += strlen(end);
	if (*end || v * m > 9.0e18)
		return -1;
	*out = (int64_t)(v * m);
	return 0;
}

static int parse_fraction(const char *s, double *out)
{
	char *end;
	*out = strtod(s, &end);
	return end == s || *end || !isfinite(*out) ? -1 : 0;
}

static const struct {
	const char *flag;
	size_t offset;
	int32_t value;
} switches[] = {
	{"--no-push-filters", offsetof(gdfo_rules_options, push_filters), 0},
	{"--no-fuse", offsetof(gdfo_rules_options, fuse_narrow), 0},
	{"--no-broadcast", offsetof(gdfo_rules_options, broadcast_joins), 0},
	{"--no-partitions", offsetof(gdfo_rules_options, set_partitions), 0},
	{"--no-cache", offsetof(gdfo_rules_options, cache_shared), 0},
	{"--no-priorities", offsetof(gdfo_rules_options, set_priorities), 0},
	{"--reorder-joins", offsetof(gdfo_rules_options, reorder_joins), 1},
	{"--check", offsetof(gdfo_rules_options, check_changes), 1},
	{"--no-check", offsetof(gdfo_rules_options, check_changes), 0},
};

static const struct {
	const char *flag;
	size_t offset;
	int kind; /* 0 bytes, 1 bytes or -1, 2 fraction */
} valued[] = {
	{"--broadcast-max", offsetof(gdfo_rules_options, broadcast_max_bytes), 0},
	{"--target-partition-bytes", offsetof(gdfo_rules_options, target_partition_bytes), 0},
	{"--min-partition-bytes", offsetof(gdfo_rules_options, min_partition_bytes), 0},
	{"--cache-budget", offsetof(gdfo_rules_options, cache_budget_bytes), 1},
	{"--cache-memory-fraction", offsetof(gdfo_rules_options, cache_memory_fraction), 2},
	{"--partition-change-min", offsetof(gdfo_rules_options, partition_change_min), 2},
};

/* 1 when argv[*i] is a rule option (consumed, with its value); 0 if not; -1 on a bad value. */
static int rule_option(gdfo_rules_options *ro, int argc, char **argv, int *i)
{
	size_t k;

	for (k = 0; k < sizeof(switches) / sizeof(switches[0]); k++)
		if (!strcmp(argv[*i], switches[k].flag)) {
			*(int32_t *)((char *)ro + switches[k].offset) = switches[k].value;
			return 1;
		}
	for (k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
		char *field = (char *)ro + valued[k].offset;
		const char *v;
		int bad;
		if (strcmp(argv[*i], valued[k].flag))
			continue;
		if (*i + 1 >= argc) {
			fprintf(stderr, "gdfo optimize: %s needs a value\n", argv[*i]);
			return -1;
		}
		v = argv[++*i];
		bad = valued[k].kind == 2 ? parse_fraction(v, (double *)field)
					  : parse_bytes(v, valued[k].kind == 1, (int64_t *)field);
		if (bad) {
			fprintf(stderr, "gdfo optimize: %s '%s' is not %s\n", argv[*i - 1], gdfo__cli_quote(v),
				valued[k].kind == 2 ? "a number" : "a byte count (e.g. 128M)");
			return -1;
		}
		return 1;
	}
	return 0;
}

int gdfo__cli_optimize(int argc, char **argv)
{
	const char *path = NULL, *tpath = NULL, *opath = NULL, *cpath = NULL, *model = NULL, *spath = NULL;
	int rules_only = 0, candidates = -1, rule_options = 0;
	char model_buf[4096];
	gdfo_optimizer *opt = NULL;
	gdfo_sim_cluster cluster;
	gdfo_sim *sim = NULL;
	int predict = 1;
	gdfo_graph *g = NULL;
	gdfo_telemetry *t = NULL;
	gdfo_plan *plan = NULL;
	char *text = NULL;
	int explain = 0, i, rc, code = 0, r;
	gdfo_rules_options ro;
	gdfo_objective objective;
	int have_objective = 0;

	if (gdfo__cli_wants_help(argc, argv)) {
		fputs(optimize_help, stdout);
		return 0;
	}
	gdfo_rules_options_init(&ro, GDFO_RULES_OPTIONS_VERSION);
	for (i = 1; i < argc; i++) {
		if ((r = rule_option(&ro, argc, argv, &i)) != 0) {
			if (r < 0)
				return GDFO__EXIT_USAGE;
			rule_options = 1;
		} else if (!strcmp(argv[i], "--objective")) {
			if (i + 1 >= argc || gdfo__cli_parse_objective(argv[i + 1], &objective)) {
				fprintf(stderr, "gdfo optimize: --objective needs key=value pairs, e.g. throughput=1,latency=1,cost=1 (keys throughput, latency, cost, slo_ms, cost_ceiling, failure_penalty)\n");
				return GDFO__EXIT_USAGE;
			}
			have_objective = 1;
			i++;
		} else if (!strcmp(argv[i], "--rules")) {
			rules_only = 1;
		} else if (!strcmp(argv[i], "--model") || !strcmp(argv[i], "--candidates")) {
			char *end;
			if (i + 1 >= argc) {
				fprintf(stderr, "gdfo optimize: %s needs a value\n", argv[i]);
				return GDFO__EXIT_USAGE;
			}
			if (argv[i][2] == 'm') {
				model = argv[++i];
				continue;
			}
			candidates = (int)strtol(argv[++i], &end, 10);
			if (*end || end == argv[i] || candidates < 0 || candidates > 1024) {
				fprintf(stderr, "gdfo optimize: --candidates takes 0..1024, got '%s'\n", gdfo__cli_quote(argv[i]));
				return GDFO__EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--explain")) {
			explain = 1;
		} else if (!strcmp(argv[i], "--no-predict")) {
			predict = 0;
		} else if (!strcmp(argv[i], "--state")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "gdfo optimize: --state needs a directory\n");
				return GDFO__EXIT_USAGE;
			}
			spath = argv[++i];
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
	ro.objective = have_objective ? &objective : NULL;
	ro.cluster = cpath ? &cluster : NULL;
	if (rules_only && model) {
		fprintf(stderr, "gdfo optimize: --rules and --model exclude each other\n");
		code = GDFO__EXIT_USAGE;
		goto out;
	}
	if (rule_options && model) {
		fprintf(stderr, "gdfo optimize: rule options apply to the rules; --model plans with the learned optimizer\n");
		code = GDFO__EXIT_USAGE;
		goto out;
	}
	if (spath && rule_options) {
		fprintf(stderr, "gdfo optimize: rule options do not apply with --state (the closed loop plans)\n");
		code = GDFO__EXIT_USAGE;
		goto out;
	}
	/* A rule option asks for the rules. */
	if (!rules_only && !rule_options && !model)
		model = gdfo__cli_default_model(model_buf, sizeof(model_buf));
	if (spath || (!rules_only && model && *model)) {
		gdfo_optimizer_options oo;
		gdfo_optimizer_options_init(&oo, GDFO_OPTIMIZER_OPTIONS_VERSION);
		oo.model_path = rules_only ? "" : model;
		oo.cluster = cpath ? &cluster : NULL;
		if (candidates >= 0)
			oo.candidates = candidates;
		if ((rc = gdfo_optimizer_open(&opt, spath, &oo)) ||
		    (rc = gdfo_optimizer_plan(&plan, opt, g, t, have_objective ? &objective : NULL))) {
			code = gdfo__cli_fail("optimize", rc);
			goto out;
		}
	}
	if ((!plan && (rc = gdfo_optimize_rules(&plan, g, t, &ro))) ||
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
	gdfo_optimizer_close(opt);
	gdfo_free(text);
	gdfo_plan_free(plan);
	gdfo_sim_free(sim);
	gdfo_telemetry_free(t);
	gdfo_graph_free(g);
	return code;
}
