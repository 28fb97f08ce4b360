/*
 * gdfo simulate: run the execution model / discrete-event simulator on a
 * pipeline, a plan or a job profile and print one JSON object.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char simulate_help[] =
	"usage: gdfo simulate --pipeline P.json [--telemetry T.json] [--cluster C.json] [OPTIONS]\n"
	"       gdfo simulate --plan PLAN.json [--pipeline P.json --telemetry T.json] [OPTIONS]\n"
	"       gdfo simulate --profile PROFILE.json [--executors E] [--cores C]\n"
	"                     [--replay exact|sampled] [OPTIONS]\n"
	"\n"
	"Simulates a pipeline (or the rewritten graph of a plan) on a cluster, or\n"
	"replays a measured job profile, and prints one JSON object: success,\n"
	"makespan_ms (mean over runs), makespan_ms_p95, work_ms, critical_path_ms,\n"
	"cost, executor_seconds, spill, utilization and per-stage results.\n"
	"\n"
	"inputs (exactly one of --pipeline, --plan, --profile; --plan may come with the\n"
	"--pipeline its telemetry measured):\n"
	"  --pipeline FILE       a gdfo-pipeline/1 document\n"
	"  --plan FILE           a gdfo-plan/1 document: its rewritten graph is simulated\n"
	"  --telemetry FILE      a gdfo-telemetry/1 record of a run of the --pipeline: the\n"
	"                        model is calibrated to it first (per-stage task times and\n"
	"                        a fixed per-run overhead, docs/simulator.md); the output\n"
	"                        then has execution_ms, overhead_ms and \"calibration\"\n"
	"  --profile FILE        a gdfo-job-profile/1 document, replayed\n"
	"  --cluster FILE        a gdfo-cluster/1 document (default: built-in constants,\n"
	"                        see docs/simulator.md and examples/clusters/)\n"
	"\n"
	"options:\n"
	"  --executors E         executor count (default: the pipeline's knob, else the\n"
	"                        cluster's; for profiles the profile's own count)\n"
	"  --cores C             cores per executor (default: likewise)\n"
	"  --replay MODE         profiles: exact (default) or sampled\n"
	"  --mode MODE           pipelines: des (default, task-level), analytic (fluid) or\n"
	"                        expected (the DES's mean run under --noise etc., by groups)\n"
	"  --seed S              random seed (default 1)\n"
	"  --runs R              independent runs averaged (default 1)\n"
	"  --noise SIGMA         lognormal task-duration noise (default 0)\n"
	"  --stragglers P[,F]    a task is a straggler with probability P, F times\n"
	"                        longer (default 0, factor 4)\n"
	"  --failures P[,A]      a task attempt fails with probability P; A attempts\n"
	"                        (default 0, 4 attempts)\n"
	"  --dynamic MIN,MAX     dynamic allocation between MIN and MAX executors\n"
	"                        (default off)\n"
	"  --batches N           pipelines: simulate N micro-batches (default 0 = one run)\n"
	"  --interval-ms T       micro-batch interval (default: the pipeline's slo_ms)\n"
	"  --run-index K         position in a sequence of runs, for compaction cadence\n"
	"                        (default -1: compaction amortized)\n"
	"  --stage-gap-ms G      profiles: delay before each stage's first task (default 0)\n"
	"\n"
	"Exit status: 0 success, 2 invalid input or usage, 1 other failure.\n";

static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || (*end && *end != ',') || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "gdfo simulate: ");
	fprintf(stderr, fmt, gdfo__cli_quote(arg));
	fprintf(stderr, " (see 'gdfo simulate --help')\n");
	return GDFO__EXIT_USAGE;
}

int gdfo__cli_simulate(int argc, char **argv)
{
	const char *pipeline = NULL, *plan_path = NULL, *profile_path = NULL, *cluster_path = NULL;
	const char *tel_path = NULL;
	gdfo_telemetry *tel = NULL;
	gdfo_sim_options o;
	gdfo_sim_cluster cl;
	gdfo_sim_result res = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_sim *sim = NULL;
	gdfo_graph *g = NULL;
	gdfo_plan *plan = NULL;
	gdfo_profile *prof = NULL;
	char *json = NULL;
	int i, rc;

	if (gdfo__cli_wants_help(argc, argv)) {
		fputs(simulate_help, stdout);
		return 0;
	}
	gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
	gdfo_sim_cluster_init(&cl, GDFO_SIM_CLUSTER_VERSION);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long n;
		double x;
		int takes = 1;
		if (!strcmp(a, "--pipeline") || !strcmp(a, "--plan") || !strcmp(a, "--profile") ||
		    !strcmp(a, "--cluster") || !strcmp(a, "--executors") || !strcmp(a, "--cores") ||
		    !strcmp(a, "--replay") || !strcmp(a, "--mode") || !strcmp(a, "--seed") ||
		    !strcmp(a, "--runs") || !strcmp(a, "--noise") || !strcmp(a, "--stragglers") ||
		    !strcmp(a, "--failures") || !strcmp(a, "--dynamic") || !strcmp(a, "--batches") ||
		    !strcmp(a, "--interval-ms") || !strcmp(a, "--run-index") || !strcmp(a, "--stage-gap-ms") ||
		    !strcmp(a, "--telemetry")) {
			if (!v)
				return usage_error("option %s needs a value", a);
		} else {
			return usage_error("unknown argument '%s'", a);
		}
		if (!strcmp(a, "--pipeline"))
			pipeline = v;
		else if (!strcmp(a, "--plan"))
			plan_path = v;
		else if (!strcmp(a, "--profile"))
			profile_path = v;
		else if (!strcmp(a, "--cluster"))
			cluster_path = v;
		else if (!strcmp(a, "--telemetry"))
			tel_path = v;
		else if (!strcmp(a, "--executors")) {
			if (parse_int(v, 1, 100000, &n))
				return usage_error("--executors must be an integer in 1..100000, not '%s'", v);
			o.executors = (int32_t)n;
		} else if (!strcmp(a, "--cores")) {
			if (parse_int(v, 1, 1024, &n))
				return usage_error("--cores must be an integer in 1..1024, not '%s'", v);
			o.cores_per_executor = (int32_t)n;
		} else if (!strcmp(a, "--replay")) {
			if (!strcmp(v, "exact"))
				o.replay = GDFO_REPLAY_EXACT;
			else if (!strcmp(v, "sampled"))
				o.replay = GDFO_REPLAY_SAMPLED;
			else
				return usage_error("--replay must be exact or sampled, not '%s'", v);
		} else if (!strcmp(a, "--mode")) {
			if (!strcmp(v, "des"))
				o.mode = GDFO_SIM_DES;
			else if (!strcmp(v, "analytic"))
				o.mode = GDFO_SIM_ANALYTIC;
			else if (!strcmp(v, "expected"))
				o.mode = GDFO_SIM_EXPECTED;
			else
				return usage_error("--mode must be des, analytic or expected, not '%s'", v);
		} else if (!strcmp(a, "--seed")) {
			char *end;
			errno = 0;
			o.seed = strtoull(v, &end, 10);
			if (errno || end == v || *end || v[0] == '-')
				return usage_error("--seed must be a non-negative integer, not '%s'", v);
		} else if (!strcmp(a, "--runs")) {
			if (parse_int(v, 1, 100000, &n))
				return usage_error("--runs must be an integer in 1..100000, not '%s'", v);
			o.runs = (int32_t)n;
		} else if (!strcmp(a, "--noise")) {
			if (parse_double(v, 0, 3, &o.noise_sigma) || strchr(v, ','))
				return usage_error("--noise must be a number in 0..3, not '%s'", v);
		} else if (!strcmp(a, "--stragglers")) {
			const char *c = strchr(v, ',');
			if (parse_double(v, 0, 1, &o.straggler_prob) ||
			    (c && parse_double(c + 1, 1, 1e6, &o.straggler_factor)))
				return usage_error("--stragglers must be P or P,F with P in 0..1 and F >= 1, not '%s'", v);
		} else if (!strcmp(a, "--failures")) {
			const char *c = strchr(v, ',');
			if (parse_double(v, 0, 0.99, &o.failure_prob) || (c && parse_int(c + 1, 1, 100, &n)))
				return usage_error("--failures must be P or P,A with P in 0..0.99 and A in 1..100, not '%s'", v);
			if (c)
				o.max_attempts = (int32_t)n;
		} else if (!strcmp(a, "--dynamic")) {
			const char *c = strchr(v, ',');
			long lo, hi;
			char buf[32];
			if (!c || (size_t)(c - v) >= sizeof(buf))
				return usage_error("--dynamic must be MIN,MAX, not '%s'", v);
			memcpy(buf, v, (size_t)(c - v));
			buf[c - v] = '\0';
			if (parse_int(buf, 0, 100000, &lo) || parse_int(c + 1, 1, 100000, &hi) || lo > hi)
				return usage_error("--dynamic must be MIN,MAX with 0 <= MIN <= MAX, not '%s'", v);
			o.dynamic_allocation = 1;
			o.min_executors = (int32_t)lo;
			o.max_executors = (int32_t)hi;
		} else if (!strcmp(a, "--batches")) {
			if (parse_int(v, 1, 1000000, &n))
				return usage_error("--batches must be an integer in 1..1000000, not '%s'", v);
			o.batches = (int32_t)n;
		} else if (!strcmp(a, "--interval-ms")) {
			if (parse_double(v, 0, 1e15, &x) || strchr(v, ','))
				return usage_error("--interval-ms must be a non-negative number, not '%s'", v);
			o.batch_interval_ms = x;
		} else if (!strcmp(a, "--run-index")) {
			if (parse_int(v, -1, 1000000000, &n))
				return usage_error("--run-index must be -1 or a non-negative integer, not '%s'", v);
			o.run_index = (int32_t)n;
		} else if (!strcmp(a, "--stage-gap-ms")) {
			if (parse_double(v, 0, 1e12, &x) || strchr(v, ','))
				return usage_error("--stage-gap-ms must be a non-negative number, not '%s'", v);
			o.replay_stage_gap_ms = x;
		}
		i += takes;
	}
	if (tel_path && !pipeline)
		return usage_error("%s", "--telemetry needs the --pipeline it measured");
	if (!!(pipeline && !(plan_path && tel_path)) + !!plan_path + !!profile_path != 1)
		return usage_error("%s", "give exactly one of --pipeline, --plan or --profile");
	if (cluster_path && (rc = gdfo_sim_cluster_load(&cl, cluster_path)))
		return gdfo__cli_fail("simulate", rc);
	if ((rc = gdfo_sim_create(&sim, &cl)))
		return gdfo__cli_fail("simulate", rc);
	if (pipeline && !(rc = gdfo_graph_load(&g, pipeline)) && tel_path &&
	    !(rc = gdfo_telemetry_load(&tel, tel_path)))
		rc = gdfo_sim_calibrate(NULL, sim, g, tel, &o);
	if (rc) {
		/* reported below */
	} else if (plan_path) {
		if (!(rc = gdfo_plan_load(&plan, plan_path)))
			rc = gdfo_sim_run_graph(&res, sim, gdfo_plan_graph(plan), &o);
	} else if (pipeline) {
		rc = gdfo_sim_run_graph(&res, sim, g, &o);
	} else {
		if (!(rc = gdfo_profile_load(&prof, profile_path)))
			rc = gdfo_sim_run_profile(&res, sim, prof, &o);
	}
	if (!rc)
		rc = gdfo_sim_result_to_json(&json, sim);
	if (!rc)
		fputs(json, stdout);
	else
		gdfo__cli_fail("simulate", rc);
	gdfo_free(json);
	gdfo_graph_free(g);
	gdfo_telemetry_free(tel);
	gdfo_plan_free(plan);
	gdfo_profile_free(prof);
	gdfo_sim_free(sim);
	return gdfo__cli_exit_code(rc);
}
