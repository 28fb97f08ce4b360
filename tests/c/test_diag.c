/*
 * Diagnostics and the advisor (issue 13): every shared event log gives
 * findings and a paste-ready conf block; the advised configuration is
 * never predicted worse than the run's own; the what-if table matches the
 * measured run at the observed count, is monotone where it must be, and
 * prints exactly the documented JSON; options are checked with messages.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "gdfo/gdfo.h"
#include "testutil.h"

static const char *const logs[] = {
	"dr-elephant/event_log_1",
	"dr-elephant/event_log_2",
	"sparklens/local-1532512550423",
	"spark-rapids-tools/aqeshuffle_eventlog",
	"spark-rapids-tools/aqeshuffle_eventlog.zstd",
	"spark-rapids-tools/rapids_join_eventlog.zstd",
	"spark-rapids-tools/eventlog_4nodes_8cores_dynamic_alloc.zstd",
	"spark-rapids-tools/nds_q72_dataproc_2_2.zstd",
};

static const char *log_path(const char *rel)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf), "%s/spark-events/%s", tu_shared_data(), rel);
	return buf;
}

static gdfo_diagnosis *diagnose(const char *rel)
{
	gdfo_diagnosis *d = NULL;
	int rc = gdfo_diagnose_eventlog(&d, log_path(rel), NULL);
	ck_assert_msg(rc == 0, "%s: %s", rel, gdfo_last_error());
	return d;
}

static int has_kind(const gdfo_diagnosis *d, int kind)
{
	size_t i;
	for (i = 0; i < gdfo_diagnosis_finding_count(d); i++) {
		gdfo_finding f = {.version = GDFO_FINDING_VERSION};
		ck_assert_int_eq(gdfo_diagnosis_finding_at(&f, d, i), 0);
		if (f.kind == kind)
			return 1;
	}
	return 0;
}

static double score(double lat, double cost, double lat0, double cost0)
{
	/* the default objective: throughput, latency and cost weighted 1 */
	return ((lat0 / lat - 1) - (lat / lat0 - 1) - (cost / cost0 - 1)) / 3;
}

START_TEST(every_log_gives_findings_and_a_conf_block)
{
	gdfo_diagnosis *d = diagnose(logs[_i]);
	gdfo_diag_summary s = {.version = GDFO_DIAG_SUMMARY_VERSION};
	char *conf = NULL, *json = NULL, *line, *save = NULL;
	size_t i, n_conf = 0, n_lines = 0;
	double prev_gain = 1e300;

	ck_assert_int_eq(gdfo_diagnosis_summary(&s, d), 0);
	ck_assert_ptr_nonnull(s.engine_note);
	/* ranked by predicted gain (a tenth of a second apart), every finding explained */
	for (i = 0; i < gdfo_diagnosis_finding_count(d); i++) {
		gdfo_finding f = {.version = GDFO_FINDING_VERSION};
		ck_assert_int_eq(gdfo_diagnosis_finding_at(&f, d, i), 0);
		ck_assert_int_ge(f.severity, GDFO_SEVERITY_LOW);
		ck_assert_msg(f.evidence[0] && f.fix[0], "%s: finding %zu has no evidence or fix", logs[_i], i);
		ck_assert(floor(f.gain_ms / 100) <= floor(prev_gain / 100));
		prev_gain = f.gain_ms;
	}
	ck_assert_int_eq(gdfo_diagnosis_conf(&conf, d), 0);
	/* comments first, then --conf lines continued with a backslash but the last */
	for (line = strtok_r(conf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		n_lines++;
		if (line[0] == '#') {
			ck_assert_msg(n_conf == 0, "%s: a comment after the --conf lines breaks the command", logs[_i]);
			continue;
		}
		ck_assert_msg(!strncmp(line, "--conf spark.", 13), "%s: '%s'", logs[_i], line);
		ck_assert_ptr_nonnull(strchr(line, '='));
		n_conf++;
	}
	ck_assert_int_gt((int)n_lines, 0);
	gdfo_free(conf);
	ck_assert_int_eq(gdfo_diagnosis_conf(&conf, d), 0);
	if (n_conf) {
		size_t len = strlen(conf);
		ck_assert_msg(conf[len - 1] == '\n' && conf[len - 2] != '\\', "%s: the last --conf line continues", logs[_i]);
	}
	gdfo_free(conf);
	/* never predicted worse than the run's own configuration */
	if (s.model_latency_ms > 0)
		ck_assert_msg(score(s.advised_latency_ms, s.advised_cost, s.model_latency_ms, s.measured_cost) >= -1e-9,
			      "%s: advised %.0f ms %.5f against %.0f ms %.5f", logs[_i], s.advised_latency_ms, s.advised_cost,
			      s.model_latency_ms, s.measured_cost);
	ck_assert_int_eq(gdfo_diagnosis_to_json(&json, d, GDFO_DIAG_JSON_FINDINGS | GDFO_DIAG_JSON_ADVICE | GDFO_DIAG_JSON_WHATIF), 0);
	ck_assert_ptr_nonnull(strstr(json, "\"format\": \"gdfo-diagnosis/1\""));
	gdfo_free(json);
	gdfo_diagnosis_free(d);
}
END_TEST

START_TEST(findings_name_what_the_logs_show)
{
	gdfo_diagnosis *d = diagnose("spark-rapids-tools/aqeshuffle_eventlog.zstd");
	ck_assert(has_kind(d, GDFO_FINDING_SPILL));
	ck_assert(has_kind(d, GDFO_FINDING_SHUFFLE_PARTITIONS));
	gdfo_diagnosis_free(d);
	d = diagnose("spark-rapids-tools/nds_q72_dataproc_2_2.zstd");
	ck_assert(has_kind(d, GDFO_FINDING_TINY_TASKS));
	ck_assert(has_kind(d, GDFO_FINDING_TASK_SKEW));
	gdfo_diagnosis_free(d);
	d = diagnose("spark-rapids-tools/eventlog_4nodes_8cores_dynamic_alloc.zstd");
	ck_assert(has_kind(d, GDFO_FINDING_IDLE_EXECUTORS));
	ck_assert(has_kind(d, GDFO_FINDING_MEMORY_UNUSED));
	gdfo_diagnosis_free(d);
	d = diagnose("dr-elephant/event_log_2"); /* no completed stage: no table, no error */
	ck_assert_int_eq((int)gdfo_diagnosis_whatif_count(d), 0);
	gdfo_diagnosis_free(d);
}
END_TEST

/* The what-if table of a log: the observed count reproduces the measured run. */
START_TEST(whatif_matches_the_run_at_the_observed_count)
{
	gdfo_diagnosis *d = diagnose(logs[_i]);
	gdfo_diag_summary s = {.version = GDFO_DIAG_SUMMARY_VERSION};
	size_t i, n = gdfo_diagnosis_whatif_count(d), observed = 0, recommended = 0;

	ck_assert_int_eq(gdfo_diagnosis_summary(&s, d), 0);
	for (i = 0; i < n; i++) {
		gdfo_whatif_point p = {.version = GDFO_WHATIF_POINT_VERSION};
		ck_assert_int_eq(gdfo_diagnosis_whatif_at(&p, d, i), 0);
		ck_assert(p.latency_ms > 0 && p.cost > 0 && p.utilization > 0 && p.utilization <= 1);
		if (p.observed) {
			observed++;
			ck_assert_int_eq(p.executors, s.executors);
			if (s.measured_latency_ms > 0)
				ck_assert_msg(fabs(p.latency_ms - s.measured_latency_ms) <= 1 + 0.001 * s.measured_latency_ms,
					      "%s: %.0f ms at the observed count, %.0f measured", logs[_i], p.latency_ms,
					      s.measured_latency_ms);
		}
		recommended += (size_t)p.recommended;
	}
	if (n) {
		ck_assert_int_eq((int)observed, 1);
		ck_assert_int_eq((int)recommended, 1);
	}
	gdfo_diagnosis_free(d);
}
END_TEST

/* A profile: 2 stages, the second reads a shuffle; one measured run at 10 executors. */
static gdfo_profile *profile(int with_shuffle)
{
	gdfo_profile *p = NULL;
	gdfo_profile_stage st;
	double a[400], b[100];
	int64_t parent = 0;
	size_t i;
	for (i = 0; i < 400; i++)
		a[i] = 1000 + 37 * (double)(i % 13);
	for (i = 0; i < 100; i++)
		b[i] = 4000 + 101 * (double)(i % 7);
	ck_assert_int_eq(gdfo_profile_create(&p, "q", 10, 4), 0);
	gdfo_profile_stage_init(&st, GDFO_PROFILE_STAGE_VERSION);
	st.id = 0;
	st.num_tasks = 400;
	st.task_ms = a;
	st.n_task_ms = 400;
	ck_assert_int_eq(gdfo_profile_add_stage(p, &st), 0);
	gdfo_profile_stage_init(&st, GDFO_PROFILE_STAGE_VERSION);
	st.id = 1;
	st.parents = &parent;
	st.n_parents = 1;
	st.num_tasks = 100;
	st.task_ms = b;
	st.n_task_ms = 100;
	if (with_shuffle) {
		st.has_bytes = GDFO_PROFILE_SHUFFLE_READ_BYTES;
		st.shuffle_read_bytes = (int64_t)50e9;
	}
	ck_assert_int_eq(gdfo_profile_add_stage(p, &st), 0);
	return p;
}

START_TEST(whatif_scales_sensibly)
{
	gdfo_profile *p = profile(0), *q = profile(1);
	gdfo_diagnosis *d = NULL, *e = NULL;
	gdfo_diag_options o;
	size_t i, n;
	double prev_lat = 1e300, lat10 = 0, lat10_net = 0, lat1 = 0, lat1_net = 0, lat_hi = 0, lat_hi_net = 0;

	gdfo_diag_options_init(&o, GDFO_DIAG_OPTIONS_VERSION);
	ck_assert_int_eq(gdfo_diagnose_profile(&d, p, &o), 0);
	ck_assert_int_eq(gdfo_diagnose_profile(&e, q, &o), 0);
	n = gdfo_diagnosis_whatif_count(d);
	ck_assert_int_eq((int)n, (int)gdfo_diagnosis_whatif_count(e));
	ck_assert_int_ge((int)n, 8);
	for (i = 0; i < n; i++) {
		gdfo_whatif_point x = {.version = GDFO_WHATIF_POINT_VERSION}, y = {.version = GDFO_WHATIF_POINT_VERSION};
		ck_assert_int_eq(gdfo_diagnosis_whatif_at(&x, d, i), 0);
		ck_assert_int_eq(gdfo_diagnosis_whatif_at(&y, e, i), 0);
		/* without shuffle: more executors never slow it down; busy cores never exceed the paid ones */
		ck_assert_msg(x.latency_ms <= prev_lat + 1e-6, "latency rises at %d executors", x.executors);
		ck_assert(x.utilization > 0 && x.utilization <= 1);
		prev_lat = x.latency_ms;
		if (i == 0) {
			ck_assert_int_eq(x.executors, 1);
			lat1 = x.latency_ms;
			lat1_net = y.latency_ms;
		}
		if (x.executors == 10) {
			lat10 = x.latency_ms;
			lat10_net = y.latency_ms;
		}
		lat_hi = x.latency_ms;
		lat_hi_net = y.latency_ms;
	}
	ck_assert_int_eq((int)(gdfo_diagnosis_whatif_at(&(gdfo_whatif_point){.version = GDFO_WHATIF_POINT_VERSION}, d, n - 1)), 0);
	/* at the observed count the network share is what was measured */
	ck_assert(fabs(lat10 - lat10_net) < 1e-6);
	/* on one executor every read is local: faster than the shuffle-free replay says; more executors: slower */
	ck_assert(lat1_net < lat1);
	ck_assert(lat_hi_net > lat_hi);
	/* one executor runs the whole work on its 4 cores: (400 x ~1.2 s + 100 x ~4.3 s) / 4 */
	ck_assert(lat1 > 200e3 && lat1 < 260e3);
	gdfo_diagnosis_free(d);
	gdfo_diagnosis_free(e);
	gdfo_profile_free(p);
	gdfo_profile_free(q);
}
END_TEST

/* A skewed stage: the split predicted by the model shortens the run. */
START_TEST(a_skew_fix_is_predicted_to_help)
{
	gdfo_profile *p = NULL;
	gdfo_profile_stage st;
	gdfo_diagnosis *d = NULL;
	double v[64];
	size_t i;
	int found = 0;
	for (i = 0; i < 64; i++)
		v[i] = i == 5 ? 60000 : 1000;
	ck_assert_int_eq(gdfo_profile_create(&p, "skewed", 4, 4), 0);
	gdfo_profile_stage_init(&st, GDFO_PROFILE_STAGE_VERSION);
	st.id = 7;
	st.num_tasks = 64;
	st.task_ms = v;
	st.n_task_ms = 64;
	ck_assert_int_eq(gdfo_profile_add_stage(p, &st), 0);
	ck_assert_int_eq(gdfo_diagnose_profile(&d, p, NULL), 0);
	for (i = 0; i < gdfo_diagnosis_finding_count(d); i++) {
		gdfo_finding f = {.version = GDFO_FINDING_VERSION};
		ck_assert_int_eq(gdfo_diagnosis_finding_at(&f, d, i), 0);
		if (f.kind == GDFO_FINDING_TASK_SKEW) {
			found = 1;
			ck_assert_int_eq((int)f.stage_id, 7);
			ck_assert_int_eq(f.severity, GDFO_SEVERITY_CRITICAL); /* 60x */
			/* one 60 s task on 16 cores: split into 1 s tasks the stage takes about 8 s */
			ck_assert_msg(f.gain_ms > 40000 && f.gain_ms < 60000, "gain %.0f ms", f.gain_ms);
		}
	}
	ck_assert(found);
	gdfo_diagnosis_free(d);
	gdfo_profile_free(p);
}
END_TEST

START_TEST(whatif_json_is_exactly_the_documented_shape)
{
	gdfo_profile *p = profile(1);
	gdfo_diagnosis *d = NULL;
	char *json = NULL;
	ck_assert_int_eq(gdfo_diagnose_profile(&d, p, NULL), 0);
	ck_assert_int_eq(gdfo_diagnosis_to_json(&json, d, GDFO_DIAG_JSON_WHATIF), 0);
	ck_assert_msg(!strncmp(json, "{\"what_if\": [{\"executors\": 1, \"latency_ms\": ", 44), "%s", json);
	ck_assert_ptr_nonnull(strstr(json, "\"utilization\": "));
	ck_assert_ptr_nonnull(strstr(json, "], \"recommended\": {\"executors\": "));
	ck_assert_ptr_null(strstr(json, "format"));
	gdfo_free(json);
	gdfo_diagnosis_free(d);
	gdfo_profile_free(p);
}
END_TEST

START_TEST(the_objective_moves_the_recommendation)
{
	gdfo_diagnosis *d = NULL;
	gdfo_diag_options o;
	gdfo_objective obj;
	gdfo_profile *p = profile(0);
	size_t i;
	int32_t fast = 0, cheap = 0;
	gdfo_diag_options_init(&o, GDFO_DIAG_OPTIONS_VERSION);
	gdfo_objective_init(&obj, GDFO_OBJECTIVE_VERSION);
	o.objective = &obj;
	obj.throughput_weight = 0;
	obj.cost_weight = 0;
	ck_assert_int_eq(gdfo_diagnose_profile(&d, p, &o), 0);
	for (i = 0; i < gdfo_diagnosis_whatif_count(d); i++) {
		gdfo_whatif_point x = {.version = GDFO_WHATIF_POINT_VERSION};
		gdfo_diagnosis_whatif_at(&x, d, i);
		if (x.recommended)
			fast = x.executors;
	}
	gdfo_diagnosis_free(d);
	obj.latency_weight = 0;
	obj.cost_weight = 1;
	ck_assert_int_eq(gdfo_diagnose_profile(&d, p, &o), 0);
	for (i = 0; i < gdfo_diagnosis_whatif_count(d); i++) {
		gdfo_whatif_point x = {.version = GDFO_WHATIF_POINT_VERSION};
		gdfo_diagnosis_whatif_at(&x, d, i);
		if (x.recommended)
			cheap = x.executors;
	}
	gdfo_diagnosis_free(d);
	gdfo_profile_free(p);
	ck_assert_msg(fast > cheap, "latency alone picks %d executors, cost alone %d", fast, cheap);
}
END_TEST

START_TEST(telemetry_gives_what_it_records)
{
	gdfo_telemetry *t = NULL;
	gdfo_stage_telemetry s;
	gdfo_diagnosis *d = NULL;
	ck_assert_int_eq(gdfo_telemetry_create(&t), 0);
	gdfo_stage_telemetry_init(&s, GDFO_STAGE_TELEMETRY_VERSION);
	s.stage_id = 3;
	s.tasks = 50;
	s.task_ms_median = 1000;
	s.task_ms_max = 20000;
	s.spill_bytes = 0;
	ck_assert_int_eq(gdfo_telemetry_set_stage(t, &s), 0);
	ck_assert_int_eq(gdfo_diagnose_telemetry(&d, t, NULL), 0);
	ck_assert(has_kind(d, GDFO_FINDING_TASK_SKEW));
	ck_assert_int_eq((int)gdfo_diagnosis_whatif_count(d), 0);
	gdfo_diagnosis_free(d);
	gdfo_telemetry_free(t);
}
END_TEST

START_TEST(bad_arguments_are_refused_with_a_message)
{
	gdfo_diagnosis *d = (gdfo_diagnosis *)1;
	gdfo_diag_options o;
	gdfo_finding f = {.version = GDFO_FINDING_VERSION};
	gdfo_diag_options_init(&o, GDFO_DIAG_OPTIONS_VERSION);
	o.whatif_min_pct = 0;
	ck_assert_int_eq(gdfo_diagnose_eventlog(&d, log_path(logs[0]), &o), GDFO_EINVAL);
	ck_assert_ptr_null(d);
	ck_assert_str_eq(gdfo_last_error(),
			 "gdfo_diagnose_eventlog: whatif_min_pct and whatif_max_pct must satisfy 1 <= min <= max <= 10000 (got 0 and 500)");
	ck_assert_int_eq(gdfo_diagnose_eventlog(&d, "/nonexistent/log", NULL), GDFO_EIO);
	ck_assert_int_eq(gdfo_diagnose_eventlog(NULL, "x", NULL), GDFO_EINVAL);
	d = diagnose(logs[0]);
	ck_assert_int_eq(gdfo_diagnosis_finding_at(&f, d, 1000), GDFO_ERANGE);
	f.version = 999;
	ck_assert_int_eq(gdfo_diagnosis_finding_at(&f, d, 0), GDFO_EVERSION);
	gdfo_diagnosis_free(d);
	gdfo_diagnosis_free(NULL);
	ck_assert_str_eq(gdfo_finding_kind_name(GDFO_FINDING_SPILL), "spill");
	ck_assert_ptr_null(gdfo_finding_kind_name(GDFO_FINDING_KIND_COUNT));
}
END_TEST

/*
 * A hand-written log with the failures the shared logs lack: an
 * OutOfMemoryError, a FetchFailed, a container killed for exceeding its
 * memory limit and the executor removed for it.
 */
static const char failing_log[] =
	"{\"Event\":\"SparkListenerLogStart\",\"Spark Version\":\"3.3.0\"}\n"
	"{\"Event\":\"SparkListenerEnvironmentUpdate\",\"Spark Properties\":{\"spark.master\":\"yarn\","
	"\"spark.executor.memory\":\"4g\",\"spark.executor.cores\":\"2\",\"spark.executor.instances\":\"2\"}}\n"
	"{\"Event\":\"SparkListenerApplicationStart\",\"App Name\":\"failing\",\"App ID\":\"app-1\",\"Timestamp\":1000}\n"
	"{\"Event\":\"SparkListenerExecutorAdded\",\"Timestamp\":1000,\"Executor ID\":\"1\",\"Executor Info\":{\"Total Cores\":2}}\n"
	"{\"Event\":\"SparkListenerExecutorAdded\",\"Timestamp\":1000,\"Executor ID\":\"2\",\"Executor Info\":{\"Total Cores\":2}}\n"
	"{\"Event\":\"SparkListenerJobStart\",\"Job ID\":0,\"Submission Time\":1100,\"Stage Infos\":[{\"Stage ID\":0,"
	"\"Stage Attempt ID\":0,\"Stage Name\":\"map\",\"Number of Tasks\":4,\"Parent IDs\":[],\"RDD Info\":[]}],\"Stage IDs\":[0]}\n"
#define OK_TASK(id, exec, launch, finish) \
	"{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":0,\"Stage Attempt ID\":0,\"Task End Reason\":{\"Reason\":\"Success\"}," \
	"\"Task Info\":{\"Task ID\":" #id ",\"Executor ID\":\"" exec "\",\"Launch Time\":" #launch ",\"Finish Time\":" #finish "}," \
	"\"Task Metrics\":{\"Executor Run Time\":1900,\"JVM GC Time\":10}}\n"
#define FAILED_TASK(id, reason) \
	"{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":0,\"Stage Attempt ID\":0,\"Task End Reason\":" reason "," \
	"\"Task Info\":{\"Task ID\":" #id ",\"Executor ID\":\"2\",\"Launch Time\":1200,\"Finish Time\":2200,\"Failed\":true}}\n"
	OK_TASK(1, "1", 1200, 3200) OK_TASK(2, "1", 1200, 3300) OK_TASK(3, "1", 3300, 5300) OK_TASK(4, "1", 3300, 5400)
	FAILED_TASK(5, "{\"Reason\":\"ExceptionFailure\",\"Class Name\":\"java.lang.OutOfMemoryError\",\"Description\":\"Java heap space\"}")
	FAILED_TASK(6, "{\"Reason\":\"FetchFailed\",\"Shuffle ID\":0,\"Message\":\"Failed to connect\"}")
	FAILED_TASK(7, "{\"Reason\":\"ExecutorLostFailure\",\"Executor ID\":\"2\",\"Exit Caused By App\":true,"
		       "\"Loss Reason\":\"Container killed by YARN for exceeding memory limits. 4.5 GB of 4.4 GB physical memory used\"}")
	"{\"Event\":\"SparkListenerExecutorRemoved\",\"Timestamp\":2200,\"Executor ID\":\"2\","
	"\"Removed Reason\":\"Container killed by YARN for exceeding memory limits.\"}\n"
	"{\"Event\":\"SparkListenerStageCompleted\",\"Stage Info\":{\"Stage ID\":0,\"Stage Attempt ID\":0,\"Stage Name\":\"map\","
	"\"Number of Tasks\":4,\"Parent IDs\":[],\"RDD Info\":[],\"Submission Time\":1100,\"Completion Time\":5400}}\n"
	"{\"Event\":\"SparkListenerJobEnd\",\"Job ID\":0,\"Completion Time\":5500,\"Job Result\":{\"Result\":\"JobSucceeded\"}}\n"
	"{\"Event\":\"SparkListenerApplicationEnd\",\"Timestamp\":6000}\n";

START_TEST(failures_are_found_by_reason)
{
	char path[] = "/tmp/gdfo-test-diag-XXXXXX", *conf = NULL;
	gdfo_diagnosis *d = NULL;
	size_t i;
	int fd = mkstemp(path), lost = 0, tasks = 0, memory = 0;
	FILE *f;
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(failing_log, f);
	fclose(f);
	ck_assert_msg(gdfo_diagnose_eventlog(&d, path, NULL) == 0, "%s", gdfo_last_error());
	unlink(path);
	for (i = 0; i < gdfo_diagnosis_finding_count(d); i++) {
		gdfo_finding x = {.version = GDFO_FINDING_VERSION};
		ck_assert_int_eq(gdfo_diagnosis_finding_at(&x, d, i), 0);
		if (x.kind == GDFO_FINDING_TASK_FAILURES) {
			tasks = 1;
			ck_assert_int_eq(x.severity, GDFO_SEVERITY_CRITICAL); /* 3 of 7 attempts */
			ck_assert_msg(strstr(x.evidence, "3 of 7 task attempts failed (1 out of memory, 1 FetchFailed, "
						       "1 killed for exceeding memory limits)") != NULL, "%s", x.evidence);
		} else if (x.kind == GDFO_FINDING_EXECUTOR_LOST) {
			lost = 1;
			ck_assert_str_eq(x.key, "spark.executor.memoryOverhead");
			ck_assert_str_eq(x.evidence, "1 of 1 executor removals were failures (1 for memory)");
		} else if (x.kind == GDFO_FINDING_MEMORY_PRESSURE) {
			memory = 1;
		}
	}
	ck_assert(tasks && lost && memory);
	ck_assert_int_eq(gdfo_diagnosis_conf(&conf, d), 0);
	ck_assert_msg(strstr(conf, "--conf spark.executor.memoryOverhead=") != NULL, "%s", conf);
	gdfo_free(conf);
	gdfo_diagnosis_free(d);
}
END_TEST

/* The whole result (findings, advice, what-if, conf) as one text, or NULL on failure. */
static int render(char **out, const gdfo_diagnosis *d)
{
	char *json = NULL, *conf = NULL;
	int rc;
	*out = NULL;
	if ((rc = gdfo_diagnosis_to_json(&json, d, GDFO_DIAG_JSON_FINDINGS | GDFO_DIAG_JSON_ADVICE | GDFO_DIAG_JSON_WHATIF)) ||
	    (rc = gdfo_diagnosis_conf(&conf, d))) {
		gdfo_free(json);
		return rc;
	}
	*out = malloc(strlen(json) + strlen(conf) + 2);
	sprintf(*out, "%s\n%s", json, conf);
	gdfo_free(json);
	gdfo_free(conf);
	return 0;
}

/* Every allocation failing in turn: ENOMEM with *out NULL, or the same result. */
START_TEST(allocation_failures_are_reported)
{
	static const char *const small[] = {"dr-elephant/event_log_1", "sparklens/local-1532512550423"};
	gdfo_diagnosis *d = NULL;
	char *want = NULL, *got = NULL;
	unsigned long k, n;
	int rc;

	gdfo__alloc_test_arm(0);
	rc = gdfo_diagnose_eventlog(&d, log_path(small[_i]), NULL);
	k = gdfo__alloc_test_disarm();
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(render(&want, d), 0);
	gdfo_diagnosis_free(d);
	for (n = 1; n <= k; n += (k > 400 ? 3 : 1)) {
		d = (gdfo_diagnosis *)1;
		gdfo__alloc_test_arm(n);
		rc = gdfo_diagnose_eventlog(&d, log_path(small[_i]), NULL);
		gdfo__alloc_test_disarm();
		if (rc) {
			ck_assert_msg(rc == GDFO_ENOMEM, "%s: allocation %lu of %lu: %s", small[_i], n, k, gdfo_last_error());
			ck_assert_ptr_null(d);
			continue;
		}
		ck_assert_int_eq(render(&got, d), 0);
		ck_assert_msg(!strcmp(got, want), "%s: allocation %lu failed, the call succeeded with another result", small[_i], n);
		free(got);
		gdfo_diagnosis_free(d);
	}
	/* and the renderings of a finished diagnosis */
	d = diagnose(small[_i]);
	for (n = 1;; n++) {
		gdfo__alloc_test_arm(n);
		rc = render(&got, d);
		k = gdfo__alloc_test_disarm();
		if (!rc) {
			ck_assert_str_eq(got, want);
			free(got);
			if (k < n)
				break;
			continue;
		}
		ck_assert_int_eq(rc, GDFO_ENOMEM);
	}
	gdfo_diagnosis_free(d);
	free(want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("diag");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 120);
	tcase_add_loop_test(t, every_log_gives_findings_and_a_conf_block, 0, (int)(sizeof(logs) / sizeof(logs[0])));
	tcase_add_test(t, findings_name_what_the_logs_show);
	tcase_add_loop_test(t, whatif_matches_the_run_at_the_observed_count, 0, (int)(sizeof(logs) / sizeof(logs[0])));
	tcase_add_test(t, whatif_scales_sensibly);
	tcase_add_test(t, whatif_json_is_exactly_the_documented_shape);
	tcase_add_test(t, a_skew_fix_is_predicted_to_help);
	tcase_add_test(t, failures_are_found_by_reason);
	tcase_add_test(t, the_objective_moves_the_recommendation);
	tcase_add_test(t, telemetry_gives_what_it_records);
	tcase_add_test(t, bad_arguments_are_refused_with_a_message);
	tcase_add_loop_test(t, allocation_failures_are_reported, 0, 2);
	suite_add_tcase(s, t);
	{
		SRunner *sr = srunner_create(s);
		int failed;
		srunner_run_all(sr, CK_NORMAL);
		failed = srunner_ntests_failed(sr);
		srunner_free(sr);
		return failed ? 1 : 0;
	}
}
