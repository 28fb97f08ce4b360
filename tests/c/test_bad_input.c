/*
 * The malformed-input corpus (tests/bad/, written by tests/bad/make_corpus.py)
 * through the C API: every file in a reader's directory must be refused with
 * a negative status, *out left NULL, and a one-line message that says what
 * is wrong. Check runs each case in a forked child, so a crash fails the
 * case rather than the whole run.
 *
 * Files listed in tests/bad/KNOWN_ISSUES are skipped (and counted) here: they
 * are open library bugs, not part of the contract yet.
 *
 * The corpus directory is tests/bad relative to the project root, or
 * $GDFO_BAD_DIR.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdfo/gdfo.h"
#include "testutil.h"

#define MAX_FILES 512
#define MAX_MESSAGE 1024

static const char *bad_dir(void)
{
	const char *d = getenv("GDFO_BAD_DIR");
	return d && *d ? d : "tests/bad";
}

/* 1 if "<sub>/<name>" is listed (first word of a line) in KNOWN_ISSUES. */
static int known_issue(const char *sub, const char *name)
{
	char path[1024], line[1024], want[600];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "%s/KNOWN_ISSUES", bad_dir());
	snprintf(want, sizeof(want), "%s/%s", sub, name);
	if (!(f = fopen(path, "r")))
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, " \t\r\n");
		if (line[0] != '#' && n == strlen(want) && !strncmp(line, want, n))
			found = 1;
	}
	fclose(f);
	return found;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted regular file names of tests/bad/<sub>, without the known issues. */
static size_t list_files(char **names, const char *sub)
{
	char path[1024];
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", bad_dir(), sub);
	d = opendir(path);
	ck_assert_msg(d != NULL, "cannot open the corpus directory %s (run from the project root)", path);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || known_issue(sub, e->d_name))
			continue;
		ck_assert_uint_lt(n, MAX_FILES);
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	ck_assert_msg(n > 0, "%s holds no files", path);
	return n;
}

/*
 * Checks a refusal against the contract; appends a line to report (and
 * returns 1) when it falls short, so that one run lists every bad file.
 */
static int check_refusal(char *report, size_t cap, int rc, const void *out, const char *path,
			 const char *how)
{
	const char *msg = gdfo_last_error();
	char why[1400];

	why[0] = '\0';
	if (rc >= 0)
		snprintf(why, sizeof(why), "accepted (status %d)", rc);
	else if (out != NULL)
		snprintf(why, sizeof(why), "failed but left *out set");
	else if (!strcmp(gdfo_status_name(rc), "GDFO_UNKNOWN"))
		snprintf(why, sizeof(why), "returned %d, not a gdfo_status", rc);
	else if (!msg || !*msg || !strcmp(msg, "no error"))
		snprintf(why, sizeof(why), "failed without a message");
	else if (strchr(msg, '\n'))
		snprintf(why, sizeof(why), "message has a newline: %.1000s", msg);
	else if (strlen(msg) >= MAX_MESSAGE)
		snprintf(why, sizeof(why), "message is %zu bytes long", strlen(msg));
	if (!why[0])
		return 0;
	if (strlen(report) + strlen(path) + strlen(how) + strlen(why) + 8 < cap)
		sprintf(report + strlen(report), "\n  %s: %s %s", path, how, why);
	return 1;
}

typedef int (*load_fn)(void **out, const char *path);
typedef int (*parse_fn)(void **out, const char *json, size_t len);
typedef void (*free_fn)(void *p);

/* Each file through the file loader and, if given, the in-memory parser. */
static void run_dir(const char *sub, load_fn load, parse_fn parse, free_fn release)
{
	char *names[MAX_FILES];
	size_t n = list_files(names, sub), i, bad = 0;
	static char report[65536];

	report[0] = '\0';

	for (i = 0; i < n; i++) {
		char path[1024];
		void *obj = (void *)1;
		int rc;

		snprintf(path, sizeof(path), "%s/%s/%s", bad_dir(), sub, names[i]);
		rc = load(&obj, path);
		if (rc == 0)
			release(obj);
		bad += check_refusal(report, sizeof(report), rc, obj, path, "the loader");
		if (parse) {
			size_t len;
			char *text = tu_slurp(path, &len);
			obj = (void *)1;
			rc = parse(&obj, text, len);
			if (rc == 0)
				release(obj);
			bad += check_refusal(report, sizeof(report), rc, obj, path, "the parser");
			free(text);
		}
		free(names[i]);
	}
	ck_assert_msg(bad == 0, "%zu checks on the %zu files of %s/%s fell short:%s", bad, n,
		      bad_dir(), sub, report);
}

/* Adapters to the void ** signatures (the out types differ per reader). */
static int graph_load(void **out, const char *path)
{
	gdfo_graph *g = (gdfo_graph *)*out;
	int rc = gdfo_graph_load(&g, path);
	*out = g;
	return rc;
}
static int graph_parse(void **out, const char *json, size_t len)
{
	gdfo_graph *g = (gdfo_graph *)*out;
	int rc = gdfo_graph_from_json(&g, json, len);
	*out = g;
	return rc;
}
static void graph_release(void *p) { gdfo_graph_free(p); }

static int telemetry_load(void **out, const char *path)
{
	gdfo_telemetry *t = (gdfo_telemetry *)*out;
	int rc = gdfo_telemetry_load(&t, path);
	*out = t;
	return rc;
}
static int telemetry_parse(void **out, const char *json, size_t len)
{
	gdfo_telemetry *t = (gdfo_telemetry *)*out;
	int rc = gdfo_telemetry_from_json(&t, json, len);
	*out = t;
	return rc;
}
static void telemetry_release(void *p) { gdfo_telemetry_free(p); }

static int profile_load(void **out, const char *path)
{
	gdfo_profile *p = (gdfo_profile *)*out;
	int rc = gdfo_profile_load(&p, path);
	*out = p;
	return rc;
}
static int profile_parse(void **out, const char *json, size_t len)
{
	gdfo_profile *p = (gdfo_profile *)*out;
	int rc = gdfo_profile_from_json(&p, json, len);
	*out = p;
	return rc;
}
static void profile_release(void *p) { gdfo_profile_free(p); }

static int plan_load(void **out, const char *path)
{
	gdfo_plan *p = (gdfo_plan *)*out;
	int rc = gdfo_plan_load(&p, path);
	*out = p;
	return rc;
}
static int plan_parse(void **out, const char *json, size_t len)
{
	gdfo_plan *p = (gdfo_plan *)*out;
	int rc = gdfo_plan_from_json(&p, json, len);
	*out = p;
	return rc;
}
static void plan_release(void *p) { gdfo_plan_free(p); }

START_TEST(pipelines)
{
	run_dir("pipeline", graph_load, graph_parse, graph_release);
}
END_TEST

START_TEST(telemetry)
{
	run_dir("telemetry", telemetry_load, telemetry_parse, telemetry_release);
}
END_TEST

START_TEST(plans)
{
	run_dir("plan", plan_load, plan_parse, plan_release);
}
END_TEST

START_TEST(profiles)
{
	run_dir("profile", profile_load, profile_parse, profile_release);
}
END_TEST

/*
 * Event logs with no completed stage: the reader may refuse them (corrupt
 * compression) or read them (it skips malformed lines and tolerates a cut),
 * but a pipeline or a profile built from them must be refused. Read from
 * the file and from memory.
 */
static int check_eventlog(char *report, size_t cap, gdfo_eventlog *log, int rc, const char *path,
			  const char *how)
{
	gdfo_graph *g = (gdfo_graph *)1;
	gdfo_profile *p = (gdfo_profile *)1;
	gdfo_eventlog_summary sum = {.version = GDFO_EVENTLOG_SUMMARY_VERSION};
	int bad = 0;

	if (rc < 0)
		return check_refusal(report, cap, rc, log, path, how);
	sum.version = GDFO_EVENTLOG_SUMMARY_VERSION;
	if (gdfo_eventlog_get_summary(&sum, log) != 0 || sum.stages_completed != 0) {
		size_t used = strlen(report);
		snprintf(report + used, cap - used, "\n  %s: %s: the summary counts completed stages",
			 path, how);
		bad++;
	}
	rc = gdfo_eventlog_graph(&g, log);
	if (rc == 0)
		gdfo_graph_free(g);
	bad += check_refusal(report, cap, rc, g, path, "gdfo_eventlog_graph");
	rc = gdfo_eventlog_profile(&p, log);
	if (rc == 0)
		gdfo_profile_free(p);
	bad += check_refusal(report, cap, rc, p, path, "gdfo_eventlog_profile");
	gdfo_eventlog_free(log);
	return bad;
}

START_TEST(eventlogs)
{
	char *names[MAX_FILES];
	size_t n = list_files(names, "eventlog"), i, bad = 0;
	static char report[65536];

	report[0] = '\0';
	for (i = 0; i < n; i++) {
		char path[1024];
		gdfo_eventlog *log = (gdfo_eventlog *)1;
		size_t len;
		char *data;
		int rc;

		snprintf(path, sizeof(path), "%s/eventlog/%s", bad_dir(), names[i]);
		rc = gdfo_eventlog_read(&log, path, NULL);
		bad += check_eventlog(report, sizeof(report), log, rc, path, "gdfo_eventlog_read");
		data = tu_slurp(path, &len);
		log = (gdfo_eventlog *)1;
		rc = gdfo_eventlog_read_memory(&log, data, len, NULL);
		bad += check_eventlog(report, sizeof(report), log, rc, path, "gdfo_eventlog_read_memory");
		free(data);
		free(names[i]);
	}
	ck_assert_msg(bad == 0, "%zu checks on the %zu files of %s/eventlog fell short:%s", bad, n,
		      bad_dir(), report);
}
END_TEST

/* The documents the corpus mutates are themselves accepted. */
START_TEST(good_documents)
{
	char path[1024];
	gdfo_graph *g = NULL;
	gdfo_telemetry *t = NULL;
	gdfo_plan *pl = NULL;
	gdfo_profile *p = NULL;

	snprintf(path, sizeof(path), "%s/good/pipeline.json", bad_dir());
	ck_assert_msg(gdfo_graph_load(&g, path) == 0, "%s: %s", path, gdfo_last_error());
	snprintf(path, sizeof(path), "%s/good/telemetry.json", bad_dir());
	ck_assert_msg(gdfo_telemetry_load(&t, path) == 0, "%s: %s", path, gdfo_last_error());
	snprintf(path, sizeof(path), "%s/good/plan.json", bad_dir());
	ck_assert_msg(gdfo_plan_load(&pl, path) == 0, "%s: %s", path, gdfo_last_error());
	snprintf(path, sizeof(path), "%s/good/profile.json", bad_dir());
	ck_assert_msg(gdfo_profile_load(&p, path) == 0, "%s: %s", path, gdfo_last_error());
	gdfo_graph_free(g);
	gdfo_telemetry_free(t);
	gdfo_plan_free(pl);
	gdfo_profile_free(p);
}
END_TEST

/* Files that are not there or not files get GDFO_EIO with the path in the message. */
START_TEST(missing_and_directories)
{
	const char *paths[] = {"tests/bad/no-such-file.json", "tests/bad", ""};
	static char report[8192];
	size_t i, bad = 0;

	report[0] = '\0';
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		gdfo_graph *g = NULL;
		gdfo_telemetry *t = NULL;
		gdfo_profile *p = NULL;
		gdfo_plan *pl = NULL;
		gdfo_eventlog *log = NULL;
		int rc;

		rc = gdfo_graph_load(&g, paths[i]);
		bad += check_refusal(report, sizeof(report), rc, g, paths[i], "gdfo_graph_load");
		rc = gdfo_telemetry_load(&t, paths[i]);
		bad += check_refusal(report, sizeof(report), rc, t, paths[i], "gdfo_telemetry_load");
		rc = gdfo_plan_load(&pl, paths[i]);
		bad += check_refusal(report, sizeof(report), rc, pl, paths[i], "gdfo_plan_load");
		rc = gdfo_eventlog_read(&log, paths[i], NULL);
		bad += check_refusal(report, sizeof(report), rc, log, paths[i], "gdfo_eventlog_read");
		rc = gdfo_profile_load(&p, paths[i]);
		bad += check_refusal(report, sizeof(report), rc, p, paths[i], "gdfo_profile_load");
	}
	ck_assert_msg(bad == 0, "missing files and directories were not refused properly:%s", report);
	ck_assert_int_eq(gdfo_graph_load(NULL, "x"), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_graph_from_json(NULL, "{}", 2), GDFO_EINVAL);
	{
		gdfo_graph *g = (gdfo_graph *)1;
		ck_assert_int_eq(gdfo_graph_load(&g, NULL), GDFO_EINVAL);
		ck_assert_ptr_null(g);
		g = (gdfo_graph *)1;
		ck_assert_int_eq(gdfo_graph_from_json(&g, NULL, 5), GDFO_EINVAL);
		ck_assert_ptr_null(g);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bad_input");
	TCase *tc = tcase_create("corpus");

	/* A whole directory is one case; under ASan it takes a few seconds. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, good_documents);
	tcase_add_test(tc, pipelines);
	tcase_add_test(tc, telemetry);
	tcase_add_test(tc, plans);
	tcase_add_test(tc, profiles);
	tcase_add_test(tc, eventlogs);
	tcase_add_test(tc, missing_and_directories);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
