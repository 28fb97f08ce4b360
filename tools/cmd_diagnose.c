/*
 * gdfo diagnose: ranked findings from a Spark event log, a job profile or
 * telemetry (docs/advisor.md). A table for people, --json for machines.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
	"usage: gdfo diagnose [--json] [--objective SPEC] [--min-severity LEVEL] LOG|PROFILE|TELEMETRY\n"
	"       gdfo diagnose --profile PROFILE.json [--json] ...\n"
	"       gdfo diagnose --telemetry TELEMETRY.json [--json] ...\n"
	"\n"
	"Finds what slowed a Spark run down or made it fail: task and data skew, spill,\n"
	"GC, memory pressure, task, stage and executor failures, stragglers, idle\n"
	"executors, tiny or huge tasks, small files, driver time, the broadcast\n"
	"threshold, executor imbalance and configuration. Each finding has a severity\n"
	"(thresholds in docs/advisor.md), its evidence, the fix and the latency the\n"
	"fix is predicted to save by a replay of the measured tasks; findings are\n"
	"ranked by that gain.\n"
	"\n"
	"  LOG                 a Spark event log (plain, .zstd or .gz); a gdfo-job-profile/1\n"
	"                      or gdfo-telemetry/1 document is recognised from its format\n"
	"  --profile FILE      a gdfo-job-profile/1 instead of a log\n"
	"  --telemetry FILE    a gdfo-telemetry/1 instead of a log\n"
	"  --json              one JSON document (gdfo-diagnosis/1) instead of the table\n"
	"  --objective SPEC    e.g. latency=1,cost=1 (keys throughput, latency, cost,\n"
	"                      slo_ms, cost_ceiling, failure_penalty)\n"
	"  --min-severity L    low (default), moderate, severe or critical\n"
	"\n"
	"Exit status: 0 success, 2 bad input or usage, 1 other failure.\n";

static int usage_error(const char *msg)
{
	fprintf(stderr, "gdfo diagnose: %s (try 'gdfo diagnose --help')\n", msg);
	return GDFO__EXIT_USAGE;
}

/*
 * What the file at path holds, from its first bytes: 1 a job profile, 2
 * telemetry (both gdfo JSON documents name their format near the start),
 * 0 anything else (an event log, plain or compressed).
 */
static int sniff(const char *path)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	if (strlen(buf) != n || buf[0] == 0)
		return 0; /* binary: a compressed log */
	if (strstr(buf, "\"gdfo-job-profile/"))
		return 1;
	if (strstr(buf, "\"gdfo-telemetry/"))
		return 2;
	return 0;
}

int gdfo__cli_diag_load(gdfo_diagnosis **out, const char *log, const char *profile, const char *telemetry,
			const gdfo_diag_options *o)
{
	int rc;
	if (log && !profile && !telemetry) {
		int kind = sniff(log);
		if (kind == 1)
			profile = log;
		else if (kind == 2)
			telemetry = log;
	}
	if (profile) {
		gdfo_profile *p = NULL;
		if ((rc = gdfo_profile_load(&p, profile)))
			return rc;
		rc = gdfo_diagnose_profile(out, p, o);
		gdfo_profile_free(p);
		return rc;
	}
	if (telemetry) {
		gdfo_telemetry *t = NULL;
		if ((rc = gdfo_telemetry_load(&t, telemetry)))
			return rc;
		rc = gdfo_diagnose_telemetry(out, t, o);
		gdfo_telemetry_free(t);
		return rc;
	}
	return gdfo_diagnose_eventlog(out, log, o);
}

/* Prints s wrapped at width columns, continuation lines indented by indent. */
static void wrap(const char *s, int first_col, int indent, int width)
{
	int col = first_col;
	while (*s) {
		const char *sp = s;
		int len;
		while (*sp && *sp != ' ')
			sp++;
		len = (int)(sp - s);
		if (col > indent && col + 1 + len > width) {
			printf("\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			putchar(' ');
			col++;
		}
		printf("%.*s", len, s);
		col += len;
		s = *sp ? sp + 1 : sp;
	}
	putchar('\n');
}

static void print_table(const gdfo_diagnosis *d)
{
	gdfo_diag_summary s = {.version = GDFO_DIAG_SUMMARY_VERSION};
	size_t i, n = gdfo_diagnosis_finding_count(d);

	gdfo_diagnosis_summary(&s, d);
	printf("%s: %s, %d executors x %d cores", s.app_name[0] ? s.app_name : "(unnamed)", gdfo_engine_name(s.engine),
	       s.executors, s.cores_per_executor);
	if (s.measured_latency_ms >= 0)
		printf(", %.1f s", s.measured_latency_ms / 1000);
	printf("\n%s\n\n", s.engine_note);
	if (!n) {
		printf("no findings at or above the severity asked for\n");
		return;
	}
	printf("%-3s %-9s %-20s %6s %10s  %s\n", "#", "severity", "kind", "stage", "gain (s)", "evidence / fix");
	for (i = 0; i < n; i++) {
		gdfo_finding f = {.version = GDFO_FINDING_VERSION};
		char stage[24];
		if (gdfo_diagnosis_finding_at(&f, d, i))
			continue;
		if (f.stage_id >= 0)
			snprintf(stage, sizeof(stage), "%lld", (long long)f.stage_id);
		else
			snprintf(stage, sizeof(stage), "app");
		printf("%-3zu %-9s %-20s %6s %10.1f  ", i + 1, gdfo_severity_name(f.severity), gdfo_finding_kind_name(f.kind), stage,
		       f.gain_ms / 1000);
		wrap(f.evidence, 56, 56, 120);
		printf("%56s", "");
		printf("fix: ");
		wrap(f.fix, 61, 61, 120);
	}
}

int gdfo__cli_severity(const char *s)
{
	int k;
	for (k = GDFO_SEVERITY_NONE; k <= GDFO_SEVERITY_CRITICAL; k++)
		if (!strcmp(s, gdfo_severity_name(k)))
			return k;
	return -1;
}

int gdfo__cli_diagnose(int argc, char **argv)
{
	const char *log = NULL, *profile = NULL, *telemetry = NULL;
	gdfo_diag_options o;
	gdfo_objective obj;
	gdfo_diagnosis *d = NULL;
	int json = 0, i, rc;

	if (gdfo__cli_wants_help(argc, argv)) {
		fputs(usage_text, stdout);
		return 0;
	}
	gdfo_diag_options_init(&o, GDFO_DIAG_OPTIONS_VERSION);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--profile") || !strcmp(a, "--telemetry") || !strcmp(a, "--objective") ||
			   !strcmp(a, "--min-severity")) {
			if (i + 1 >= argc)
				return usage_error("an option needs a value");
			if (!strcmp(a, "--profile"))
				profile = argv[++i];
			else if (!strcmp(a, "--telemetry"))
				telemetry = argv[++i];
			else if (!strcmp(a, "--objective")) {
				if (gdfo__cli_parse_objective(argv[++i], &obj) || gdfo_objective_validate(&obj))
					return usage_error("--objective needs key=value pairs, e.g. latency=1,cost=1");
				o.objective = &obj;
			} else {
				o.min_severity = gdfo__cli_severity(argv[++i]);
				if (o.min_severity < 0)
					return usage_error("--min-severity is none, low, moderate, severe or critical");
			}
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "gdfo diagnose: unknown option '%s' (try 'gdfo diagnose --help')\n", gdfo__cli_quote(a));
			return GDFO__EXIT_USAGE;
		} else if (!log) {
			log = a;
		} else {
			return usage_error("give one log");
		}
	}
	if (!!log + !!profile + !!telemetry != 1)
		return usage_error("give exactly one of LOG, --profile or --telemetry");
	if ((rc = gdfo__cli_diag_load(&d, log, profile, telemetry, &o)))
		return gdfo__cli_fail("diagnose", rc);
	if (json) {
		char *text = NULL;
		if ((rc = gdfo_diagnosis_to_json(&text, d, GDFO_DIAG_JSON_FINDINGS))) {
			gdfo_diagnosis_free(d);
			return gdfo__cli_fail("diagnose", rc);
		}
		printf("%s\n", text);
		gdfo_free(text);
	} else {
		print_table(d);
	}
	gdfo_diagnosis_free(d);
	return fflush(stdout) ? GDFO__EXIT_FAIL : 0;
}
