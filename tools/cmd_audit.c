/*
 * gdfo audit STATE: the audit log of a state directory; gdfo feedback
 * STATE PLAN_ID TELEMETRY.json: report a run (docs/loop.md).
 */
#define _XOPEN_SOURCE 700
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"

static const char audit_help[] =
	"usage: gdfo audit [--pipeline FP] [--since T] [--json] STATE\n"
	"\n"
	"Prints the audit log of the optimizer state directory STATE (every plan,\n"
	"approval, feedback, rollback, drift, gate, forecast, policy and open):\n"
	"a table for people, or with --json the records as one JSON array.\n"
	"Reads the log without opening the state, so it may run beside a host\n"
	"that has it open.\n"
	"\n"
	"  --pipeline FP   only this pipeline (its fingerprint, 16 hex digits)\n"
	"  --since T       only events at or after T: seconds since the epoch, or\n"
	"                  a UTC time YYYY-MM-DD[THH:MM[:SS]]\n"
	"  --json          JSON instead of the table\n"
	"\n"
	"Exit status: 0 success, 2 bad input or usage, 1 other failure.\n";

static const char feedback_help[] =
	"usage: gdfo feedback [--json] STATE PLAN_ID TELEMETRY.json\n"
	"\n"
	"Reports what a run of the plan PLAN_ID (the \"id\" of a plan the state's\n"
	"optimizer made) measured: TELEMETRY.json is a gdfo-telemetry/1 record\n"
	"with the run's latency. The record is on stable storage when the command\n"
	"exits 0. Prints the reward against the pipeline's known-good plan and\n"
	"what the loop did (rollback, known-good, drift, ...).\n"
	"\n"
	"Exit status: 0 success, 2 bad input or usage, 1 other failure.\n";

static int parse_since(const char *s, double *out)
{
	struct tm tm;
	char *end;
	double v = strtod(s, &end);
	if (end != s && !*end && isfinite(v) && v >= 0) {
		*out = v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	}
	if (!end || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (!end || *end)
		return -1;
	*out = (double)timegm(&tm);
	return 0;
}

static const char *str_of(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

int gdfo__cli_audit(int argc, char **argv)
{
	const char *state = NULL, *fp = NULL;
	double since = 0;
	int json = 0, i, rc;
	char *text = NULL;
	cJSON *arr, *e;

	if (gdfo__cli_wants_help(argc, argv)) {
		fputs(audit_help, stdout);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if ((!strcmp(argv[i], "--pipeline") || !strcmp(argv[i], "--since")) && i + 1 < argc) {
			if (argv[i][2] == 'p') {
				fp = argv[++i];
			} else if (parse_since(argv[++i], &since)) {
				fprintf(stderr, "gdfo audit: --since takes seconds since the epoch or YYYY-MM-DD[THH:MM[:SS]], not '%s'\n",
					gdfo__cli_quote(argv[i]));
				return GDFO__EXIT_USAGE;
			}
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "gdfo audit: unknown option or missing value '%s' (see --help)\n",
				gdfo__cli_quote(argv[i]));
			return GDFO__EXIT_USAGE;
		} else if (!state) {
			state = argv[i];
		} else {
			fprintf(stderr, "gdfo audit: one state directory, not also '%s'\n", gdfo__cli_quote(argv[i]));
			return GDFO__EXIT_USAGE;
		}
	}
	if (!state) {
		fprintf(stderr, "gdfo audit: no state directory given (see --help)\n");
		return GDFO__EXIT_USAGE;
	}
	if ((rc = gdfo_audit_read(&text, state, fp, since)))
		return gdfo__cli_fail("audit", rc);
	if (json) {
		fputs(text, stdout);
		gdfo_free(text);
		return 0;
	}
	if (!(arr = cJSON_Parse(text))) {
		gdfo_free(text);
		fprintf(stderr, "gdfo audit: out of memory\n");
		return GDFO__EXIT_FAIL;
	}
	gdfo_free(text);
	printf("%-20s  %-17s  %-16s  %-22s  %s\n", "time", "event", "pipeline", "plan", "detail");
	cJSON_ArrayForEach(e, arr) {
		const char *ev = str_of(e, "event");
		const char *plan = str_of(e, "plan");
		const char *pipe = str_of(e, "pipeline");
		char detail[512];
		const cJSON *x;
		detail[0] = 0;
		if (!strcmp(ev, "plan")) {
			x = cJSON_GetObjectItemCaseSensitive(e, "predicted");
			snprintf(detail, sizeof(detail), "%s, %s, risk %s%s: %s", str_of(e, "step"), str_of(e, "source"),
				 str_of(e, "risk"),
				 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "needs_approval")) ? " (needs approval)" : "",
				 str_of(e, "why"));
			(void)x;
		} else if (!strcmp(ev, "feedback")) {
			const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "reward");
			const cJSON *l = cJSON_GetObjectItemCaseSensitive(e, "latency_ms");
			snprintf(detail, sizeof(detail), "%s run: %.0f ms, reward %+.3f against the known-good plan (%s)%s",
				 str_of(e, "step"), cJSON_IsNumber(l) ? l->valuedouble : -1,
				 cJSON_IsNumber(r) ? r->valuedouble : 0, str_of(e, "baseline"),
				 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "known_good")) ? ", known-good" : "");
		} else if (!strcmp(ev, "approval")) {
			snprintf(detail, sizeof(detail), "by %s: %s", str_of(e, "who"), str_of(e, "note"));
		} else if (!strcmp(ev, "gate")) {
			snprintf(detail, sizeof(detail), "%s%s: %s", str_of(e, "severity"),
				 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "held")) ? ", run held" : "",
				 str_of(e, "finding"));
		} else {
			char *p = cJSON_PrintUnformatted(e);
			if (!p) {
				cJSON_Delete(arr);
				fprintf(stderr, "gdfo audit: out of memory\n");
				return GDFO__EXIT_FAIL;
			}
			snprintf(detail, sizeof(detail), "%s", p);
			free(p);
		}
		printf("%-20s  %-17s  %-16s  %-22s  %s\n", str_of(e, "time"), ev, pipe, plan, detail);
	}
	cJSON_Delete(arr);
	return 0;
}

int gdfo__cli_feedback(int argc, char **argv)
{
	const char *args[3];
	int n = 0, json = 0, i, rc;
	gdfo_optimizer_options oo;
	gdfo_optimizer *opt = NULL;
	gdfo_telemetry *t = NULL;
	gdfo_feedback fb = {.version = GDFO_FEEDBACK_VERSION};
	char ev[256];
	size_t at = 0;

	if (gdfo__cli_wants_help(argc, argv)) {
		fputs(feedback_help, stdout);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "gdfo feedback: unknown option '%s' (see --help)\n", gdfo__cli_quote(argv[i]));
			return GDFO__EXIT_USAGE;
		} else if (n < 3)
			args[n++] = argv[i];
		else {
			fprintf(stderr, "gdfo feedback: too many arguments (see --help)\n");
			return GDFO__EXIT_USAGE;
		}
	}
	if (n != 3) {
		fprintf(stderr, "gdfo feedback: needs STATE PLAN_ID TELEMETRY.json (see --help)\n");
		return GDFO__EXIT_USAGE;
	}
	if ((rc = gdfo_telemetry_load(&t, args[2])))
		return gdfo__cli_fail("feedback", rc);
	gdfo_optimizer_options_init(&oo, GDFO_OPTIMIZER_OPTIONS_VERSION);
	oo.model_path = ""; /* feedback needs no model */
	if ((rc = gdfo_optimizer_open(&opt, args[0], &oo)) ||
	    (rc = gdfo_optimizer_feedback(&fb, opt, args[1], t))) {
		gdfo_telemetry_free(t);
		gdfo_optimizer_close(opt);
		return gdfo__cli_fail("feedback", rc);
	}
	gdfo_telemetry_free(t);
	gdfo_optimizer_close(opt);
	ev[0] = 0;
	for (i = 0; i < GDFO_LOOP_EVENT_COUNT; i++)
		if (fb.events & (1 << i))
			at += (size_t)snprintf(ev + at, sizeof(ev) - at, json ? "%s\"%s\"" : "%s%s",
					       at ? (json ? "," : " ") : "", gdfo_loop_event_name(1 << i));
	if (json)
		printf("{\"plan\": \"%s\", \"reward\": %.6g, \"baseline_latency_ms\": %.6g, \"baseline_measured\": %s, "
		       "\"known_good\": %s, \"runs\": %d, \"exploring\": %s, \"residual\": %.6g, \"events\": [%s]}\n",
		       args[1], fb.reward, fb.baseline_latency_ms, fb.baseline_measured ? "true" : "false",
		       fb.known_good ? "true" : "false", fb.runs, fb.exploring ? "true" : "false", fb.residual, ev);
	else
		printf("plan %s: reward %+.4f against the known-good plan (%s %.0f ms)%s%s; run %d of the pipeline%s%s\n",
		       args[1], fb.reward, fb.baseline_measured ? "measured" : "estimated", fb.baseline_latency_ms,
		       fb.known_good ? "; it is the known-good plan" : "", fb.exploring ? "" : "; exploration is off",
		       fb.runs, *ev ? "; events: " : "", ev);
	return 0;
}
