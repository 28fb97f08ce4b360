/*
 * gdfo loop PIPELINE...: the closed loop against the simulator as the
 * engine (docs/loop.md "gdfo loop"): plan, run, report, learn, N times.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const char loop_help[] =
	"usage: gdfo loop [--runs N] [--state DIR] [--scenario NAME] [--shift K]\n"
	"                 [--cluster C.json] [--objective SPEC] [--model FILE | --rules]\n"
	"                 [--policy P.json] [--seed N] [--judge-runs N] [--best-known N]\n"
	"                 [--interval SECONDS] [--approve] [--json] [--quiet] PIPELINE.json...\n"
	"\n"
	"Runs the closed loop of an optimizer with a state directory for N runs,\n"
	"with the task-level simulator (task noise and stragglers, a new seed\n"
	"each run) standing in for the engine: each run plans the pipeline,\n"
	"'runs' the plan, and reports the run's telemetry as feedback. With\n"
	"several pipeline files, run k uses file k (the last one from then on):\n"
	"the same pipeline with changing statistics. Prints a table of the runs\n"
	"(--json: one object per run) and what the loop did.\n"
	"\n"
	"  --runs N           runs (12)\n"
	"  --state DIR        the optimizer's state directory (kept); default a new\n"
	"                     temporary one, removed at the end\n"
	"  --scenario NAME    change the pipeline from run --shift on: volume (data\n"
	"                     grows tenfold), skew (skew jumps by 0.5 on joins,\n"
	"                     aggregates, windows and sorts and grows 0.5 a run),\n"
	"                     column (sources gain a column, 20 %% more bytes), none\n"
	"  --shift K          the run the scenario starts at (runs / 2)\n"
	"  --cluster FILE     the cluster of the simulator and the optimizer\n"
	"  --objective SPEC   throughput=1,latency=1,cost=1 (the default); as gdfo optimize\n"
	"  --model FILE       the policy model (default as gdfo optimize); --rules: none\n"
	"  --policy FILE      a gdfo-policy/1 file made the state's policy\n"
	"  --seed N           seed of the engine's noise (1)\n"
	"  --judge-runs N     runs of the judge that scores each plan against the run's\n"
	"                     input on fixed seeds (3)\n"
	"  --best-known N     per distinct input, search N judge runs for the best plan\n"
	"                     (local search from the input and the rules plan); its\n"
	"                     latency and reward are reported beside each run (0: no)\n"
	"  --interval S       simulated seconds between runs (3600); the loop's clock\n"
	"  --approve          approve every plan that needs approval before it runs\n"
	"                     (recorded as by 'gdfo loop --approve'); without it such\n"
	"                     plans run but never become known-good\n"
	"  --json             one JSON object per run on stdout\n"
	"  --quiet            no progress on stderr\n"
	"\n"
	"Exit status: 0 success, 2 bad input or usage, 1 other failure.\n";

typedef struct clockctx {
	double t;
} clockctx;

static double sim_clock(void *ctx)
{
	return ((clockctx *)ctx)->t;
}

enum { SC_NONE, SC_VOLUME, SC_SKEW, SC_COLUMN };

/* The pipeline of run k under the scenario (a copy). */
static int scenario_graph(gdfo_graph **out, const gdfo_graph *g, int sc, int k, int shift)
{
	gdfo_graph *c;
	size_t i, n;
	int rc;

	if ((rc = gdfo_graph_clone(&c, g)))
		return rc;
	n = gdfo_graph_stage_count(c);
	for (i = 0; i < n && sc != SC_NONE && k >= shift; i++) {
		gdfo_stage st = {.version = GDFO_STAGE_VERSION};
		gdfo_stage_stats ss;
		const size_t *par;
		size_t np = 0;
		const char *cols[512];
		gdfo_graph_stage_at(&st, c, i);
		gdfo_graph_parents(&par, &np, c, st.id);
		ss = *st.stats;
		if (sc == SC_VOLUME) {
			if (ss.rows_in > 0)
				ss.rows_in *= 10;
			if (ss.bytes_in > 0)
				ss.bytes_in *= 10;
		} else if (sc == SC_SKEW) {
			if (st.op == GDFO_OP_JOIN || st.op == GDFO_OP_AGGREGATE || st.op == GDFO_OP_WINDOW ||
			    st.op == GDFO_OP_SORT)
				ss.skew = (ss.skew >= 1 ? ss.skew : 1) + 0.5 * (k - shift + 1);
		} else if (sc == SC_COLUMN && !np) {
			if (ss.bytes_in > 0)
				ss.bytes_in *= 1.2;
			if (st.n_columns_written < sizeof(cols) / sizeof(cols[0]) - 1) {
				memcpy(cols, st.columns_written, st.n_columns_written * sizeof(*cols));
				cols[st.n_columns_written] = "gdfo_new_column";
				st.columns_written = cols;
				st.n_columns_written++;
			}
		}
		st.stats = &ss;
		if ((rc = gdfo_graph_update_stage(c, &st))) {
			gdfo_graph_free(c);
			return rc;
		}
	}
	*out = c;
	return 0;
}

/* The judge's reward (and latency) of point's plan. */
static int judge_point(double *reward, double *latency, gdfo_judge *judge, const gdfo_space *space,
		       const int32_t *point, size_t dim)
{
	gdfo_reward rw = {.version = GDFO_REWARD_VERSION};
	gdfo_outcome o = {.version = GDFO_OUTCOME_VERSION};
	gdfo_plan *pl;
	int rc;
	if ((rc = gdfo_space_apply(&pl, space, point, dim, "best-known")))
		return rc;
	rc = gdfo_judge_graph(&rw, &o, judge, gdfo_plan_graph(pl));
	gdfo_plan_free(pl);
	*reward = rw.reward;
	*latency = o.latency_ms;
	return rc;
}

/* The judged best plan of one input: local search from the input and the rules plan. */
static int best_known(double *latency, double *reward, gdfo_judge *judge, const gdfo_graph *g,
		      const gdfo_sim_cluster *cl, const gdfo_objective *obj, long budget)
{
	gdfo_space_options so;
	gdfo_space *space = NULL;
	gdfo_rules_options ro;
	gdfo_plan *rules = NULL;
	int32_t *cur = NULL, *nb = NULL;
	size_t dim, n = 0, i;
	long used = 0;
	double best = -INFINITY, best_lat = -1;
	int rc, start;

	gdfo_space_options_init(&so, GDFO_SPACE_OPTIONS_VERSION);
	so.cluster = cl;
	if ((rc = gdfo_space_create(&space, g, &so)))
		return rc;
	dim = gdfo_space_dim(space);
	gdfo_rules_options_init(&ro, GDFO_RULES_OPTIONS_VERSION);
	ro.cluster = cl;
	ro.objective = obj;
	if (!(cur = calloc(dim ? dim : 1, sizeof(*cur)))) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	for (start = 0; start < 2 && used < budget; start++) {
		double r, lat;
		if (start == 1) {
			if ((rc = gdfo_optimize_rules(&rules, g, NULL, &ro)) ||
			    (rc = gdfo_space_point_of(cur, dim, space, gdfo_plan_graph(rules))))
				goto out;
		} else {
			memset(cur, 0, dim * sizeof(*cur));
		}
		if ((rc = judge_point(&r, &lat, judge, space, cur, dim)))
			goto out;
		used++;
		if (r > best) {
			best = r;
			best_lat = lat;
		}
		for (;;) { /* first improvement hill climbing */
			int moved = 0;
			if ((rc = gdfo_space_neighbours(NULL, 0, &n, space, cur, dim)))
				goto out;
			free(nb);
			if (!(nb = malloc((n ? n : 1) * dim * sizeof(*nb)))) {
				rc = GDFO_ENOMEM;
				goto out;
			}
			if ((rc = gdfo_space_neighbours(nb, n, &n, space, cur, dim)))
				goto out;
			for (i = 0; i < n && used < budget; i++) {
				double rn, ln;
				if ((rc = judge_point(&rn, &ln, judge, space, nb + i * dim, dim)))
					goto out;
				used++;
				if (rn > r + 1e-9) {
					r = rn;
					memcpy(cur, nb + i * dim, dim * sizeof(*cur));
					if (r > best) {
						best = r;
						best_lat = ln;
					}
					moved = 1;
					break;
				}
			}
			if (!moved || used >= budget)
				break;
		}
	}
	*latency = best_lat;
	*reward = best;
	rc = 0;
out:
	gdfo_plan_free(rules);
	gdfo_space_free(space);
	free(cur);
	free(nb);
	return rc;
}

static void rm_state(const char *dir)
{
	static const char *const files[] = {"journal", "audit.jsonl", "policy.json", "lock", "model.gdfonn"};
	char p[4200];
	size_t i;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void events_text(char *buf, size_t n, int ev, int json)
{
	int i, first = 1;
	size_t at = 0;
	buf[0] = 0;
	for (i = 0; i < GDFO_LOOP_EVENT_COUNT; i++) {
		if (!(ev & (1 << i)) || at + 24 >= n)
			continue;
		at += (size_t)snprintf(buf + at, n - at, json ? "%s\"%s\"" : "%s%s", first ? "" : json ? "," : " ",
				       gdfo_loop_event_name(1 << i));
		first = 0;
	}
}

int gdfo__cli_loop(int argc, char **argv)
{
	const char *state = NULL, *cpath = NULL, *model = NULL, *ppath = NULL, *objspec = NULL;
	const char *files[256];
	int n_files = 0, approve = 0, runs = 12, shift = -1, sc = SC_NONE, json = 0, quiet = 0, rules = 0, judge_runs = 3;
	long bk_budget = 0;
	unsigned long long seed = 1;
	double interval = 3600;
	char tmpdir[4096], model_buf[4096];
	gdfo_graph *inputs[256] = {0};
	gdfo_sim_cluster cluster;
	gdfo_objective obj;
	gdfo_optimizer_options oo;
	gdfo_optimizer *opt = NULL;
	clockctx clk = {1.7e9};
	int i, k, rc = 0, exit_code = GDFO__EXIT_OK, tmp = 0;
	int n_rollback = 0, n_drift = 0, n_kg = 0, n_held = 0;
	gdfo_judge *judge = NULL;
	const gdfo_graph *judged = NULL;
	double bk_lat = -1, bk_r = NAN;
	int prev_input = -1;
	gdfo_graph *g = NULL;

	if (gdfo__cli_wants_help(argc, argv)) {
		fputs(loop_help, stdout);
		return 0;
	}
	gdfo_objective_init(&obj, GDFO_OBJECTIVE_VERSION);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;
		if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--quiet")) {
			quiet = 1;
		} else if (!strcmp(a, "--rules")) {
			rules = 1;
		} else if (!strcmp(a, "--approve")) {
			approve = 1;
		} else if (a[0] == '-' && a[1] == '-' && !has) {
			fprintf(stderr, "gdfo loop: %s needs a value (or is unknown; see --help)\n", gdfo__cli_quote(a));
			return GDFO__EXIT_USAGE;
		} else if (!strcmp(a, "--runs") || !strcmp(a, "--shift") || !strcmp(a, "--judge-runs") ||
			   !strcmp(a, "--best-known") || !strcmp(a, "--seed") || !strcmp(a, "--interval")) {
			char *end;
			double v = strtod(argv[++i], &end);
			if (end == argv[i] || *end || !isfinite(v) || v < 0 || v > 1e9 ||
			    (strcmp(a, "--interval") && v != floor(v))) {
				fprintf(stderr, "gdfo loop: %s takes a number >= 0, not '%s'\n", a, gdfo__cli_quote(argv[i]));
				return GDFO__EXIT_USAGE;
			}
			if (!strcmp(a, "--runs"))
				runs = (int)v;
			else if (!strcmp(a, "--shift"))
				shift = (int)v;
			else if (!strcmp(a, "--judge-runs"))
				judge_runs = (int)v;
			else if (!strcmp(a, "--best-known"))
				bk_budget = (long)v;
			else if (!strcmp(a, "--seed"))
				seed = (unsigned long long)v;
			else
				interval = v;
		} else if (!strcmp(a, "--state")) {
			state = argv[++i];
		} else if (!strcmp(a, "--cluster")) {
			cpath = argv[++i];
		} else if (!strcmp(a, "--model")) {
			model = argv[++i];
		} else if (!strcmp(a, "--policy")) {
			ppath = argv[++i];
		} else if (!strcmp(a, "--objective")) {
			objspec = argv[++i];
		} else if (!strcmp(a, "--scenario")) {
			const char *s = argv[++i];
			sc = !strcmp(s, "volume") ? SC_VOLUME : !strcmp(s, "skew") ? SC_SKEW
				: !strcmp(s, "column") ? SC_COLUMN : !strcmp(s, "none") ? SC_NONE : -1;
			if (sc < 0) {
				fprintf(stderr, "gdfo loop: --scenario is volume, skew, column or none, not '%s'\n",
					gdfo__cli_quote(s));
				return GDFO__EXIT_USAGE;
			}
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "gdfo loop: unknown option '%s' (see --help)\n", gdfo__cli_quote(a));
			return GDFO__EXIT_USAGE;
		} else if (n_files < (int)(sizeof(files) / sizeof(files[0]))) {
			files[n_files++] = a;
		} else {
			fprintf(stderr, "gdfo loop: at most %d pipeline files\n", (int)(sizeof(files) / sizeof(files[0])));
			return GDFO__EXIT_USAGE;
		}
	}
	if (!n_files) {
		fprintf(stderr, "gdfo loop: no pipeline given (see --help)\n");
		return GDFO__EXIT_USAGE;
	}
	if (runs < 1 || judge_runs < 1 || judge_runs > 1000) {
		fprintf(stderr, "gdfo loop: --runs must be >= 1 and --judge-runs in 1..1000\n");
		return GDFO__EXIT_USAGE;
	}
	if (rules && model) {
		fprintf(stderr, "gdfo loop: --rules and --model exclude each other\n");
		return GDFO__EXIT_USAGE;
	}
	if (shift < 0)
		shift = runs / 2;
	if (objspec) {
		if (gdfo__cli_parse_objective(objspec, &obj)) {
			fprintf(stderr, "gdfo loop: bad --objective '%s' (e.g. throughput=1,latency=1,cost=1)\n",
				gdfo__cli_quote(objspec));
			return GDFO__EXIT_USAGE;
		}
		if ((rc = gdfo_objective_validate(&obj)))
			return gdfo__cli_fail("loop", rc);
	}
	gdfo_sim_cluster_init(&cluster, GDFO_SIM_CLUSTER_VERSION);
	if (cpath && (rc = gdfo_sim_cluster_load(&cluster, cpath)))
		return gdfo__cli_fail("loop", rc);
	for (i = 0; i < n_files; i++)
		if ((rc = gdfo_graph_load(&inputs[i], files[i]))) {
			exit_code = gdfo__cli_fail("loop", rc);
			goto out;
		}
	if (!state) {
		const char *t = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/gdfo-loop-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmpdir)) {
			fprintf(stderr, "gdfo loop: a temporary state directory: %s\n", strerror(errno));
			exit_code = GDFO__EXIT_FAIL;
			goto out;
		}
		state = tmpdir;
		tmp = 1;
	}
	gdfo_optimizer_options_init(&oo, GDFO_OPTIMIZER_OPTIONS_VERSION);
	if (rules)
		model = "";
	else if (!model)
		model = gdfo__cli_default_model(model_buf, sizeof(model_buf));
	oo.model_path = model;
	oo.cluster = cpath ? &cluster : NULL;
	oo.clock = sim_clock;
	oo.clock_ctx = &clk;
	if ((rc = gdfo_optimizer_open(&opt, state, &oo)) || (ppath && (rc = gdfo_optimizer_set_policy(opt, ppath)))) {
		exit_code = gdfo__cli_fail("loop", rc);
		goto out;
	}
	if (!quiet)
		fprintf(stderr, "gdfo loop: %d runs of %s%s%s, state %s, planning with %s\n", runs, files[0],
			n_files > 1 ? " and the next files" : "",
			sc == SC_VOLUME ? ", volume x10 from the shift" : sc == SC_SKEW ? ", skew shift"
			: sc == SC_COLUMN ? ", a new column" : "", state,
			gdfo_optimizer_model(opt) ? gdfo_optimizer_model(opt) : "the rules");
	if (!json)
		printf("%4s  %-10s  %-10s  %12s  %10s  %8s  %8s  %8s  %5s  %s\n", "run", "step", "source", "latency_ms",
		       "cost", "reward", "vs_input", "best", "kg", "events");
	for (k = 0; k < runs; k++) {
		int idx = k < n_files ? k : n_files - 1;
		gdfo_plan *plan = NULL;
		gdfo_plan_loop info = {.version = GDFO_PLAN_LOOP_VERSION};
		gdfo_feedback fb = {.version = GDFO_FEEDBACK_VERSION};
		gdfo_sim *sim = NULL;
		gdfo_sim_options so;
		gdfo_sim_result res = {.version = GDFO_SIM_RESULT_VERSION};
		gdfo_telemetry *tel = NULL;
		gdfo_reward jr = {.version = GDFO_REWARD_VERSION};
		gdfo_outcome jo = {.version = GDFO_OUTCOME_VERSION};
		char ev[256];
		int input_id = idx * 1000000 + (sc == SC_NONE || k < shift ? 0 : sc == SC_SKEW ? 1 + k : 1);

		clk.t += interval;
		gdfo_graph_free(g);
		g = NULL;
		if ((rc = scenario_graph(&g, inputs[idx], sc, k, shift)))
			break;
		if (input_id != prev_input) {
			gdfo_judge_options jopt;
			gdfo_judge_free(judge);
			judge = NULL;
			gdfo_judge_options_init(&jopt, GDFO_JUDGE_OPTIONS_VERSION);
			jopt.runs = judge_runs;
			jopt.seed = 1000003;
			jopt.objective = &obj;
			jopt.cluster = &cluster;
			if ((rc = gdfo_judge_create(&judge, g, &jopt)))
				break;
			judged = g;
			prev_input = input_id;
			bk_lat = -1;
			bk_r = NAN;
			if (bk_budget > 0) {
				if (!quiet)
					fprintf(stderr, "gdfo loop: run %d: searching the best known plan of this input (%ld judge runs)\n",
						k, bk_budget);
				if ((rc = best_known(&bk_lat, &bk_r, judge, g, &cluster, &obj, bk_budget)))
					break;
			}
		}
		(void)judged;
		rc = gdfo_optimizer_plan(&plan, opt, g, NULL, &obj);
		if (rc == GDFO_EANOMALY) {
			n_held++;
			if (json)
				printf("{\"run\": %d, \"step\": \"held\", \"events\": [\"gate\"], \"why\": \"%s\"}\n", k,
				       gdfo_last_error());
			else
				printf("%4d  %-10s  %s\n", k, "held", gdfo_last_error());
			rc = 0;
			continue;
		}
		if (rc)
			break;
		gdfo_plan_loop_info(&info, plan);
		if (approve && info.needs_approval &&
		    (rc = gdfo_optimizer_approve(opt, gdfo_plan_id(plan), "gdfo loop --approve",
						 "approved by the simulated operator"))) {
			gdfo_plan_free(plan);
			break;
		}
		gdfo_sim_options_init(&so, GDFO_SIM_OPTIONS_VERSION);
		so.noise_sigma = 0.1;
		so.straggler_prob = 0.01;
		so.seed = seed * 1000003ULL + (unsigned long long)k;
		if ((rc = gdfo_sim_create(&sim, &cluster)) ||
		    (rc = gdfo_sim_run_graph(&res, sim, gdfo_plan_graph(plan), &so)) ||
		    (rc = gdfo_sim_telemetry(&tel, sim, gdfo_plan_graph(plan))) ||
		    (rc = gdfo_optimizer_feedback(&fb, opt, gdfo_plan_id(plan), tel)) ||
		    (rc = gdfo_judge_graph(&jr, &jo, judge, gdfo_plan_graph(plan)))) {
			gdfo_sim_free(sim);
			gdfo_telemetry_free(tel);
			gdfo_plan_free(plan);
			break;
		}
		if (getenv("GDFO_LOOP_DEBUG") && !res.success) {
			char pth[64];
			snprintf(pth, sizeof(pth), "/tmp/gdfo-loop-failed-%d.json", k);
			gdfo_plan_save(plan, pth);
		}
		gdfo_sim_free(sim);
		gdfo_telemetry_free(tel);
		events_text(ev, sizeof(ev), info.events | fb.events, json);
		n_rollback += !!(fb.events & GDFO_EVENT_ROLLBACK);
		n_drift += !!((info.events | fb.events) & GDFO_EVENT_DRIFT);
		n_kg += !!(fb.events & GDFO_EVENT_KNOWN_GOOD);
		if (json) {
			printf("{\"run\": %d, \"plan\": \"%s\", \"step\": \"%s\", \"source\": \"%s\", \"latency_ms\": %.6g, "
			       "\"cost\": %.6g, \"reward\": %.6g, \"reward_vs_input\": %.6g, \"observed_latency_ms\": %.6g, "
			       "\"baseline_measured\": %s, ",
			       k, gdfo_plan_id(plan), gdfo_loop_step_name(info.step), gdfo_plan_source(plan), jo.latency_ms,
			       jo.cost, fb.reward, jr.reward, res.makespan_ms, fb.baseline_measured ? "true" : "false");
			if (bk_lat >= 0)
				printf("\"best_known_latency_ms\": %.6g, \"best_known_reward\": %.6g, ", bk_lat, bk_r);
			else
				printf("\"best_known_latency_ms\": null, \"best_known_reward\": null, ");
			printf("\"known_good\": %s, \"events\": [%s]}\n", fb.known_good ? "true" : "false", ev);
		} else {
			char bk[16] = "-";
			if (bk_lat >= 0)
				snprintf(bk, sizeof(bk), "%+.3f", bk_r);
			printf("%4d  %-10s  %-10s  %12.0f  %10.4g  %+8.3f  %+8.3f  %8s  %5s  %s\n", k,
			       gdfo_loop_step_name(info.step), gdfo_plan_source(plan), jo.latency_ms, jo.cost, fb.reward,
			       jr.reward, bk, fb.known_good ? "yes" : "", ev);
		}
		fflush(stdout);
		gdfo_plan_free(plan);
	}
	if (rc) {
		exit_code = gdfo__cli_fail("loop", rc);
		goto out;
	}
	if (!quiet)
		fprintf(stderr, "gdfo loop: %d runs: %d rollbacks, %d drift events, %d new known-good plans, %d held by gates%s%s\n",
			runs, n_rollback, n_drift, n_kg, n_held, tmp ? "" : "; audit: gdfo audit ", tmp ? "" : state);
out:
	gdfo_graph_free(g);
	gdfo_judge_free(judge);
	gdfo_optimizer_close(opt);
	for (i = 0; i < n_files; i++)
		gdfo_graph_free(inputs[i]);
	if (tmp)
		rm_state(tmpdir);
	return exit_code;
}
