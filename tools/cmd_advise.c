/*
 * gdfo advise: the Spark configuration for the next run of an application,
 * and the what-if table over executor counts (docs/advisor.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

static const char usage_text[] =
	"usage: gdfo advise [--format conf|json|table] [--objective SPEC] LOG\n"
	"       gdfo advise --what-if [--json] [--plot FILE.png] [--min-pct P] [--max-pct P] LOG\n"
	"       gdfo advise --profile PROFILE.json --what-if --json [--objective SPEC]\n"
	"\n"
	"Prints the Spark configuration advised for the next run of the application\n"
	"that wrote LOG: a block of --conf lines for spark-submit, each key after a\n"
	"comment with the log's value, the evidence and the predicted effect; keys\n"
	"already right are kept and said to be; per-stage hints that no key expresses\n"
	"come as comments. The advised configuration is never predicted worse than\n"
	"the run's own under the objective (the log's values are kept otherwise).\n"
	"\n"
	"  --format F        conf (default): the spark-submit block; json: findings,\n"
	"                    advice and what-if as one document; table: the advice\n"
	"  --objective SPEC  e.g. latency=1,cost=1 (as for gdfo optimize; default\n"
	"                    throughput=1,latency=1,cost=1)\n"
	"  --what-if         the what-if table: latency, cost and utilization at 10 %\n"
	"                    to 500 % of the executors the run used, and the count the\n"
	"                    objective prefers\n"
	"  --json            with --what-if: {\"what_if\": [...], \"recommended\": {...}}\n"
	"  --profile FILE    a gdfo-job-profile/1 instead of a log (what-if only)\n"
	"  --min-pct P, --max-pct P  the what-if range in % of the observed count\n"
	"  --plot FILE       with --what-if: a PNG of the curve (needs /usr/bin/python3\n"
	"                    with matplotlib; the script is tools/plot_whatif.py, or\n"
	"                    $GDFO_PLOT_SCRIPT)\n"
	"\n"
	"Exit status: 0 success, 2 bad input or usage, 1 other failure.\n";

int gdfo__cli_diag_load(gdfo_diagnosis **out, const char *log, const char *profile, const char *telemetry,
			const gdfo_diag_options *o);

static int usage_error(const char *msg)
{
	fprintf(stderr, "gdfo advise: %s (try 'gdfo advise --help')\n", msg);
	return GDFO__EXIT_USAGE;
}

static void print_whatif(const gdfo_diagnosis *d)
{
	size_t i, n = gdfo_diagnosis_whatif_count(d);
	printf("%9s %12s %12s %11s\n", "executors", "latency (s)", "cost", "utilization");
	for (i = 0; i < n; i++) {
		gdfo_whatif_point p = {.version = GDFO_WHATIF_POINT_VERSION};
		if (gdfo_diagnosis_whatif_at(&p, d, i))
			continue;
		printf("%9d %12.1f %12.5f %10.0f%%%s%s\n", p.executors, p.latency_ms / 1000, p.cost, 100 * p.utilization,
		       p.observed ? "  observed" : "", p.recommended ? "  recommended" : "");
	}
}

static void print_advice_table(const gdfo_diagnosis *d)
{
	size_t i, n = gdfo_diagnosis_advice_count(d);
	printf("%-48s %-14s %-14s %s\n", "key", "log", "advised", "why");
	for (i = 0; i < n; i++) {
		gdfo_advice a = {.version = GDFO_ADVICE_VERSION};
		if (gdfo_diagnosis_advice_at(&a, d, i))
			continue;
		if (!strcmp(a.key, "hint"))
			printf("hint (stage %lld): %s\n    %s\n", (long long)a.stage_id, a.value, a.comment);
		else
			printf("%-48s %-14s %-14s %s%s\n", a.key, a.log_value[0] ? a.log_value : "-", a.value,
			       a.changed ? "" : "(kept) ", a.comment);
	}
}

/* The plotting script: $GDFO_PLOT_SCRIPT, else tools/plot_whatif.py beside the binary's tree. */
static int find_script(char *buf, size_t cap, const char *argv0)
{
	const char *env = getenv("GDFO_PLOT_SCRIPT");
	const char *slash;
	if (env && *env) {
		snprintf(buf, cap, "%s", env);
		return access(buf, R_OK);
	}
	slash = strrchr(argv0, '/');
	if (slash) {
		snprintf(buf, cap, "%.*s/../tools/plot_whatif.py", (int)(slash - argv0), argv0);
		if (!access(buf, R_OK))
			return 0;
	}
	snprintf(buf, cap, "tools/plot_whatif.py");
	return access(buf, R_OK);
}

static int plot(const gdfo_diagnosis *d, const char *png, const char *argv0)
{
	char script[4096], tmp[] = "/tmp/gdfo-whatif-XXXXXX";
	char *json = NULL;
	int fd, rc, status;
	pid_t pid;
	FILE *f;
	gdfo_diag_summary s = {.version = GDFO_DIAG_SUMMARY_VERSION};

	if (find_script(script, sizeof(script), argv0)) {
		fprintf(stderr, "gdfo advise: --plot: cannot find plot_whatif.py (set GDFO_PLOT_SCRIPT)\n");
		return GDFO__EXIT_FAIL;
	}
	if ((rc = gdfo_diagnosis_to_json(&json, d, GDFO_DIAG_JSON_WHATIF)))
		return gdfo__cli_fail("advise", rc);
	gdfo_diagnosis_summary(&s, d);
	if ((fd = mkstemp(tmp)) < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "gdfo advise: --plot: cannot write a temporary file: %s\n", strerror(errno));
		gdfo_free(json);
		return GDFO__EXIT_FAIL;
	}
	fputs(json, f);
	gdfo_free(json);
	if (fclose(f)) {
		unlink(tmp);
		return GDFO__EXIT_FAIL;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/usr/bin/python3", "python3", script, tmp, png, s.app_name, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		unlink(tmp);
		fprintf(stderr, "gdfo advise: --plot: %s failed (it needs /usr/bin/python3 with matplotlib: apt-get install python3-matplotlib)\n",
			script);
		return GDFO__EXIT_FAIL;
	}
	unlink(tmp);
	return 0;
}

int gdfo__cli_advise(int argc, char **argv)
{
	const char *log = NULL, *profile = NULL, *format = "conf", *png = NULL;
	gdfo_diag_options o;
	gdfo_objective obj;
	gdfo_diagnosis *d = NULL;
	int json = 0, whatif = 0, i, rc, exit_code = 0;
	char *text = NULL;

	if (gdfo__cli_wants_help(argc, argv)) {
		fputs(usage_text, stdout);
		return 0;
	}
	gdfo_diag_options_init(&o, GDFO_DIAG_OPTIONS_VERSION);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--what-if")) {
			whatif = 1;
		} else if (!strcmp(a, "--profile") || !strcmp(a, "--objective") || !strcmp(a, "--format") ||
			   !strcmp(a, "--plot") || !strcmp(a, "--min-pct") || !strcmp(a, "--max-pct")) {
			const char *v;
			if (i + 1 >= argc)
				return usage_error("an option needs a value");
			v = argv[++i];
			if (!strcmp(a, "--profile"))
				profile = v;
			else if (!strcmp(a, "--plot"))
				png = v;
			else if (!strcmp(a, "--format")) {
				if (strcmp(v, "conf") && strcmp(v, "json") && strcmp(v, "table"))
					return usage_error("--format is conf, json or table");
				format = v;
			} else if (!strcmp(a, "--objective")) {
				if (gdfo__cli_parse_objective(v, &obj) || gdfo_objective_validate(&obj))
					return usage_error("--objective needs key=value pairs, e.g. latency=1,cost=1");
				o.objective = &obj;
			} else {
				char *end;
				long p = strtol(v, &end, 10);
				if (end == v || *end || p < 1 || p > 10000)
					return usage_error("--min-pct and --max-pct are whole percentages, 1..10000");
				*(!strcmp(a, "--min-pct") ? &o.whatif_min_pct : &o.whatif_max_pct) = (int32_t)p;
			}
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "gdfo advise: unknown option '%s' (try 'gdfo advise --help')\n", gdfo__cli_quote(a));
			return GDFO__EXIT_USAGE;
		} else if (!log) {
			log = a;
		} else {
			return usage_error("give one log");
		}
	}
	if (!!log + !!profile != 1)
		return usage_error("give exactly one of LOG or --profile");
	if (profile && !whatif)
		return usage_error("--profile goes with --what-if");
	if (png && !whatif)
		return usage_error("--plot goes with --what-if");
	if (o.whatif_max_pct < o.whatif_min_pct)
		return usage_error("--max-pct is below --min-pct");
	if ((rc = gdfo__cli_diag_load(&d, log, profile, NULL, &o)))
		return gdfo__cli_fail("advise", rc);
	if (whatif) {
		if (!gdfo_diagnosis_whatif_count(d)) {
			gdfo_diagnosis_free(d);
			fprintf(stderr, "gdfo advise: the log has no completed stage: no what-if table\n");
			return GDFO__EXIT_USAGE;
		}
		if (json || !strcmp(format, "json")) {
			rc = gdfo_diagnosis_to_json(&text, d, GDFO_DIAG_JSON_WHATIF);
		} else {
			print_whatif(d);
		}
		if (!rc && png)
			exit_code = plot(d, png, argv[-1] ? argv[-1] : "gdfo");
	} else if (!strcmp(format, "json") || json) {
		rc = gdfo_diagnosis_to_json(&text, d, GDFO_DIAG_JSON_FINDINGS | GDFO_DIAG_JSON_ADVICE | GDFO_DIAG_JSON_WHATIF);
	} else if (!strcmp(format, "table")) {
		print_advice_table(d);
	} else {
		rc = gdfo_diagnosis_conf(&text, d);
	}
	if (rc) {
		gdfo_diagnosis_free(d);
		return gdfo__cli_fail("advise", rc);
	}
	if (text) {
		fputs(text, stdout);
		if (text[0] && text[strlen(text) - 1] != '\n')
			putchar('\n');
		gdfo_free(text);
	}
	gdfo_diagnosis_free(d);
	if (fflush(stdout))
		return GDFO__EXIT_FAIL;
	return exit_code;
}
