/*
 * Spark event-log ingestion: the real logs in ../shared/data/spark-events
 * (exact known values), compressed variants made here with zlib and
 * libzstd, truncated and malformed input, skipped parents, and the graph,
 * telemetry and profile built from a log.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "gdfo/gdfo.h"
#include "testutil.h"
#include "io/ingest_internal.h"

static char data_dir[4096];

static const char *path_of(const char *rel)
{
	static char buf[8192];
	snprintf(buf, sizeof(buf), "%s/spark-events/%s", data_dir, rel);
	return buf;
}

static gdfo_eventlog_summary summary_of(const gdfo_eventlog *log)
{
	gdfo_eventlog_summary s = {.version = GDFO_EVENTLOG_SUMMARY_VERSION};
	memset(&s, 0, sizeof(s));
	s.version = GDFO_EVENTLOG_SUMMARY_VERSION;
	ck_assert_int_eq(gdfo_eventlog_get_summary(&s, log), 0);
	return s;
}

static gdfo_eventlog *read_mem(const char *text, size_t len, uint64_t max_line)
{
	gdfo_eventlog *log;
	gdfo_ingest_options o;
	gdfo_ingest_options_init(&o, GDFO_INGEST_OPTIONS_VERSION);
	if (max_line)
		o.max_line_bytes = max_line;
	ck_assert_int_eq(gdfo_eventlog_read_memory(&log, text, len, &o), 0);
	return log;
}

static void check_aqeshuffle(const gdfo_eventlog_summary *s)
{
	ck_assert_int_eq(s->stages_completed, 4);
	ck_assert_int_eq(s->stages_failed, 0);
	ck_assert_int_eq(s->stages_declared, 9);
	ck_assert_int_eq(s->stages_skipped, 5);
	ck_assert_int_eq(s->tasks, 26);
	ck_assert_int_eq(s->tasks_failed, 0);
	ck_assert_int_eq(s->executor_run_ms, 41388);
	ck_assert_int_eq(s->shuffle_write_bytes, 101410263);
	ck_assert_int_eq(s->shuffle_read_bytes, 101410263);
	ck_assert_int_eq(s->memory_spill_bytes, 553648128);
	ck_assert_int_eq(s->disk_spill_bytes, 118948980);
	ck_assert_int_eq(s->executors_added, 1);
	ck_assert_int_eq(s->executors_removed, 0);
	ck_assert_int_eq(s->malformed_lines, 0);
	ck_assert_int_eq(s->has_app_duration, 1);
	ck_assert_int_eq(s->app_duration_ms, 17896);
	ck_assert_int_eq(s->truncated, 0);
	ck_assert_int_eq(s->executors_max_live, 1);
	ck_assert_int_eq(s->executor_cores, 12);
	ck_assert_str_eq(s->spark_version, "3.2.1");
}

START_TEST(real_logs_known_values)
{
	gdfo_eventlog *log;
	gdfo_eventlog_summary s = {.version = GDFO_EVENTLOG_SUMMARY_VERSION};
	char *json;

	ck_assert_int_eq(gdfo_eventlog_read(&log, path_of("spark-rapids-tools/aqeshuffle_eventlog"), NULL), 0);
	s = summary_of(log);
	check_aqeshuffle(&s);
	ck_assert_int_eq(s.codec, GDFO_CODEC_NONE);
	ck_assert_str_eq(gdfo_eventlog_config(log, "spark.master"), "local[*]");
	ck_assert_ptr_null(gdfo_eventlog_config(log, "no.such.key"));
	ck_assert_int_eq(gdfo_eventlog_summary_json(&json, log), 0);
	ck_assert_str_eq(json, "{\"stages_completed\": 4, \"stages_failed\": 0, \"tasks\": 26, \"tasks_failed\": 0, "
			       "\"executor_run_ms\": 41388, \"shuffle_write_bytes\": 101410263, "
			       "\"shuffle_read_bytes\": 101410263, \"memory_spill_bytes\": 553648128, "
			       "\"disk_spill_bytes\": 118948980, \"executors_added\": 1, \"executors_removed\": 0, "
			       "\"malformed_lines\": 0, \"app_duration_ms\": 17896}");
	gdfo_free(json);
	gdfo_eventlog_free(log);

	ck_assert_int_eq(gdfo_eventlog_read(&log, path_of("spark-rapids-tools/aqeshuffle_eventlog.zstd"), NULL), 0);
	s = summary_of(log);
	check_aqeshuffle(&s);
	ck_assert_int_eq(s.codec, GDFO_CODEC_ZSTD);
	gdfo_eventlog_free(log);

	/* Spark 1.5: no CPU time, no peak memory, Host Name in Task Metrics */
	ck_assert_int_eq(gdfo_eventlog_read(&log, path_of("dr-elephant/event_log_1"), NULL), 0);
	s = summary_of(log);
	ck_assert_int_eq(s.stages_completed, 1);
	ck_assert_int_eq(s.tasks, 10);
	ck_assert_int_eq(s.executor_run_ms, 2470);
	ck_assert_int_eq(s.executor_cpu_ns, 0);
	ck_assert_int_eq(s.executors_added, 2);
	ck_assert_int_eq(s.app_duration_ms, 55273);
	ck_assert_str_eq(gdfo_eventlog_config(log, "spark.executor.instances"), "900");
	{
		gdfo_profile *p;
		gdfo_telemetry *t;
		gdfo_stage_telemetry st = {.version = GDFO_STAGE_TELEMETRY_VERSION};
		ck_assert_int_eq(gdfo_eventlog_profile(&p, log), 0);
		/* the executors seen, not the 900 asked for in the conf */
		ck_assert_int_eq(gdfo_profile_executors(p), 2);
		ck_assert_int_eq(gdfo_profile_cores_per_executor(p), 2);
		gdfo_profile_free(p);
		ck_assert_int_eq(gdfo_eventlog_telemetry(&t, log), 0);
		ck_assert_int_eq(gdfo_telemetry_stage_at(&st, t, 0), 0);
		ck_assert(st.cpu_ms == GDFO_UNKNOWN);
		ck_assert(st.peak_memory_bytes == GDFO_UNKNOWN);
		ck_assert(st.tasks == 10);
		/* telemetry belongs to the pipeline ingested from the same log */
		{
			gdfo_graph *g;
			uint64_t gfp, tfp;
			ck_assert_int_eq(gdfo_eventlog_graph(&g, log), 0);
			ck_assert_int_eq(gdfo_graph_fingerprint(&gfp, g), 0);
			ck_assert_int_eq(gdfo_telemetry_fingerprint(&tfp, t), 0);
			ck_assert(gfp == tfp);
			ck_assert_str_eq(st.name, tu_get(g, st.stage_id).name);
			gdfo_graph_free(g);
		}
		gdfo_telemetry_free(t);
	}
	gdfo_eventlog_free(log);

	/* Spark 1.4, incomplete: four events, no stage */
	ck_assert_int_eq(gdfo_eventlog_read(&log, path_of("dr-elephant/event_log_2"), NULL), 0);
	s = summary_of(log);
	ck_assert_int_eq(s.lines, 4);
	ck_assert_int_eq(s.events, 4);
	ck_assert_int_eq(s.stages_completed, 0);
	ck_assert_int_eq(s.tasks, 0);
	ck_assert_int_eq(s.has_app_duration, 0);
	ck_assert_int_eq(gdfo_eventlog_summary_json(&json, log), 0);
	ck_assert_ptr_nonnull(strstr(json, "\"app_duration_ms\": null}"));
	gdfo_free(json);
	{
		gdfo_graph *g;
		gdfo_profile *p;
		ck_assert_int_eq(gdfo_eventlog_graph(&g, log), GDFO_ENOTFOUND);
		ck_assert_ptr_null(g);
		ck_assert_int_eq(gdfo_eventlog_profile(&p, log), GDFO_ENOTFOUND);
	}
	gdfo_eventlog_free(log);
}
END_TEST

START_TEST(dynamic_allocation_timeline)
{
	gdfo_eventlog *log;
	gdfo_eventlog_summary s = {.version = GDFO_EVENTLOG_SUMMARY_VERSION};
	gdfo_executor_event e = {.version = GDFO_EXECUTOR_EVENT_VERSION};
	gdfo_profile *p;
	size_t i, n;
	int max = 0;

	ck_assert_int_eq(gdfo_eventlog_read(&log, path_of("spark-rapids-tools/eventlog_4nodes_8cores_dynamic_alloc.zstd"),
					    NULL), 0);
	s = summary_of(log);
	ck_assert_int_eq(s.stages_completed, 20);
	ck_assert_int_eq(s.tasks, 235);
	ck_assert_int_eq(s.executors_added, 15);
	ck_assert_int_eq(s.executors_removed, 14);
	ck_assert_int_eq(s.executors_max_live, 7);
	ck_assert_int_eq(s.executor_cores, 4);
	n = gdfo_eventlog_executor_event_count(log);
	ck_assert_uint_eq(n, 29);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(gdfo_eventlog_executor_event_at(&e, log, i), 0);
		ck_assert(e.timestamp_ms > 0);
		ck_assert(e.executor_id[0]);
		if (e.added)
			ck_assert_int_eq(e.cores, 4);
		if (e.live > max)
			max = e.live;
	}
	ck_assert_int_eq(max, 7);
	ck_assert_int_eq(e.live, 1); /* 15 added, 14 removed */
	ck_assert_int_eq(gdfo_eventlog_executor_event_at(&e, log, n), GDFO_ERANGE);
	ck_assert_int_eq(gdfo_eventlog_profile(&p, log), 0);
	ck_assert_int_eq(gdfo_profile_executors(p), 7);
	ck_assert_int_eq(gdfo_profile_cores_per_executor(p), 4);
	ck_assert_uint_eq(gdfo_profile_stage_count(p), 20);
	gdfo_profile_free(p);
	gdfo_eventlog_free(log);
}
END_TEST

/* Parents of stage id in g, as a sorted list of ids. */
static size_t parent_ids(const gdfo_graph *g, int64_t id, int64_t *out)
{
	size_t idx, n, i, j;
	const size_t *par;
	gdfo_stage s = {.version = GDFO_STAGE_VERSION};
	ck_assert_int_eq(gdfo_graph_find(&idx, g, id), 0);
	ck_assert_int_eq(gdfo_graph_parents(&par, &n, g, idx), 0);
	for (i = 0; i < n; i++) {
		gdfo_graph_stage_at(&s, g, par[i]);
		out[i] = s.id;
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && out[j - 1] > out[j]; j--) {
			int64_t t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

START_TEST(skipped_parents_resolved)
{
	gdfo_eventlog *log;
	gdfo_graph *g;
	gdfo_profile *p;
	gdfo_profile_stage ps = {.version = GDFO_PROFILE_STAGE_VERSION};
	gdfo_stage st = {.version = GDFO_STAGE_VERSION};
	int64_t par[8];
	size_t idx;

	/* aqeshuffle: stage 4 lists skipped stages 2 and 3 (same RDDs as 0 and 1); 8 lists skipped 7 (same as 4) */
	ck_assert_int_eq(gdfo_eventlog_read(&log, path_of("spark-rapids-tools/aqeshuffle_eventlog"), NULL), 0);
	ck_assert_int_eq(gdfo_eventlog_graph(&g, log), 0);
	ck_assert_int_eq(gdfo_graph_validate(g), 0);
	ck_assert_uint_eq(gdfo_graph_stage_count(g), 4);
	ck_assert_uint_eq(parent_ids(g, 0, par), 0);
	ck_assert_uint_eq(parent_ids(g, 1, par), 0);
	ck_assert_uint_eq(parent_ids(g, 4, par), 2);
	ck_assert_int_eq(par[0], 0);
	ck_assert_int_eq(par[1], 1);
	ck_assert_uint_eq(parent_ids(g, 8, par), 1);
	ck_assert_int_eq(par[0], 4);
	ck_assert_int_eq(gdfo_graph_find(&idx, g, 4), 0);
	gdfo_graph_stage_at(&st, g, idx);
	ck_assert_int_eq(st.op, GDFO_OP_JOIN);
	ck_assert_int_eq(st.knobs->partitions, 13);
	ck_assert(st.stats->bytes_in > 1e8);
	ck_assert_int_eq(gdfo_graph_find(&idx, g, 0), 0);
	gdfo_graph_stage_at(&st, g, idx);
	ck_assert_int_eq(st.op, GDFO_OP_SOURCE);
	gdfo_graph_free(g);

	ck_assert_int_eq(gdfo_eventlog_profile(&p, log), 0);
	ck_assert_uint_eq(gdfo_profile_stage_count(p), 4);
	ck_assert_int_eq(gdfo_profile_executors(p), 1);
	ck_assert_int_eq(gdfo_profile_cores_per_executor(p), 12);
	ck_assert_int_eq(gdfo_profile_find(&idx, p, 4), 0);
	ck_assert_int_eq(gdfo_profile_stage_at(&ps, p, idx), 0);
	ck_assert_uint_eq(ps.n_parents, 2);
	ck_assert_int_eq(ps.num_tasks, 13);
	ck_assert_uint_eq(ps.n_task_ms, 13);
	ck_assert_int_eq(ps.shuffle_read_bytes, 101409496);
	gdfo_profile_free(p);
	gdfo_eventlog_free(log);
}
END_TEST

/*
 * A made-up log: job declares 0 -> 1 -> 2 and 0 -> 3; stage 1 is skipped
 * and no completed stage computed its RDD, so 2 hangs on 0 through it.
 * One task of stage 2 fails and is retried.
 */
static const char synthetic[] =
	"{\"Event\":\"SparkListenerLogStart\",\"Spark Version\":\"3.5.0\"}\n"
	"{\"Event\":\"SparkListenerApplicationStart\",\"App Name\":\"synthetic\",\"Timestamp\":1000}\n"
	"{\"Event\":\"SparkListenerEnvironmentUpdate\",\"Spark Properties\":{\"spark.executor.cores\":\"3\",\"spark.executor.instances\":\"5\",\"spark.executor.memory\":\"2g\"}}\n"
	"{\"Event\":\"SparkListenerJobStart\",\"Job ID\":0,\"Stage Infos\":["
	"{\"Stage ID\":0,\"Stage Name\":\"textFile at x.scala:1\",\"Number of Tasks\":2,\"Parent IDs\":[],\"RDD Info\":[{\"RDD ID\":1}]},"
	"{\"Stage ID\":1,\"Stage Name\":\"map at x.scala:2\",\"Number of Tasks\":2,\"Parent IDs\":[0],\"RDD Info\":[{\"RDD ID\":5}]},"
	"{\"Stage ID\":2,\"Stage Name\":\"reduceByKey at x.scala:3\",\"Number of Tasks\":2,\"Parent IDs\":[1],\"RDD Info\":[{\"RDD ID\":7}]},"
	"{\"Stage ID\":3,\"Stage Name\":\"saveAsTextFile at x.scala:4\",\"Number of Tasks\":1,\"Parent IDs\":[0],\"RDD Info\":[{\"RDD ID\":9}]}],"
	"\"Properties\":{}}\n"
	"{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":0,\"Task End Reason\":{\"Reason\":\"Success\"},\"Task Info\":{\"Launch Time\":1100,\"Finish Time\":1300},"
	"\"Task Metrics\":{\"Executor Run Time\":190,\"Input Metrics\":{\"Bytes Read\":1000,\"Records Read\":10},\"Shuffle Write Metrics\":{\"Shuffle Bytes Written\":400,\"Shuffle Records Written\":10}}}\n"
	"{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":0,\"Task End Reason\":{\"Reason\":\"Success\"},\"Task Info\":{\"Launch Time\":1100,\"Finish Time\":1500},"
	"\"Task Metrics\":{\"Executor Run Time\":390,\"Input Metrics\":{\"Bytes Read\":3000,\"Records Read\":30},\"Shuffle Write Metrics\":{\"Shuffle Bytes Written\":600,\"Shuffle Records Written\":30}}}\n"
	"{\"Event\":\"SparkListenerStageCompleted\",\"Stage Info\":{\"Stage ID\":0,\"Stage Name\":\"textFile at x.scala:1\",\"Number of Tasks\":2,\"Parent IDs\":[],"
	"\"RDD Info\":[{\"RDD ID\":1,\"Name\":\"HadoopRDD\"}],\"Submission Time\":1050,\"Completion Time\":1510}}\n"
	"{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":2,\"Task End Reason\":{\"Reason\":\"ExceptionFailure\"},\"Task Info\":{\"Launch Time\":1600,\"Finish Time\":1650},"
	"\"Task Metrics\":{\"Executor Run Time\":40}}\n"
	"{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":2,\"Task End Reason\":{\"Reason\":\"Success\"},\"Task Info\":{\"Launch Time\":1600,\"Finish Time\":1700},"
	"\"Task Metrics\":{\"Executor Run Time\":90,\"Memory Bytes Spilled\":5,\"Disk Bytes Spilled\":7,\"Shuffle Read Metrics\":{\"Remote Bytes Read\":300,\"Local Bytes Read\":200,\"Total Records Read\":20}}}\n"
	"{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":2,\"Task End Reason\":{\"Reason\":\"Success\"},\"Task Info\":{\"Launch Time\":1660,\"Finish Time\":1960},"
	"\"Task Metrics\":{\"Executor Run Time\":290,\"Shuffle Read Metrics\":{\"Remote Bytes Read\":500,\"Local Bytes Read\":0,\"Total Records Read\":20}}}\n"
	"{\"Event\":\"SparkListenerStageCompleted\",\"Stage Info\":{\"Stage ID\":2,\"Stage Name\":\"reduceByKey at x.scala:3\",\"Number of Tasks\":2,\"Parent IDs\":[1],"
	"\"Submission Time\":1590,\"Completion Time\":1970}}\n"
	"{\"Event\":\"SparkListenerStageCompleted\",\"Stage Info\":{\"Stage ID\":3,\"Stage Name\":\"saveAsTextFile at x.scala:4\",\"Number of Tasks\":1,\"Parent IDs\":[0],"
	"\"Failure Reason\":\"Job aborted\"}}\n"
	"{\"Event\":\"SparkListenerJobEnd\",\"Job ID\":0,\"Job Result\":{\"Result\":\"JobFailed\"}}\n"
	"{\"Event\":\"SparkListenerApplicationEnd\",\"Timestamp\":3000}\n";

START_TEST(synthetic_log)
{
	gdfo_eventlog *log = read_mem(synthetic, strlen(synthetic), 0);
	gdfo_eventlog_summary s = summary_of(log);
	gdfo_graph *g;
	gdfo_graph_knobs k = {.version = GDFO_GRAPH_KNOBS_VERSION};
	gdfo_telemetry *t;
	gdfo_stage_telemetry st = {.version = GDFO_STAGE_TELEMETRY_VERSION};
	gdfo_run_telemetry run = {.version = GDFO_RUN_TELEMETRY_VERSION};
	gdfo_profile *p;
	gdfo_profile_stage ps = {.version = GDFO_PROFILE_STAGE_VERSION};
	gdfo_stage gs = {.version = GDFO_STAGE_VERSION};
	gdfo_stage_stats gs_st;
	gdfo_stage_knobs gs_kn;
	int64_t par[4];
	size_t idx;
	char *json;

	ck_assert_int_eq(s.stages_completed, 2);
	ck_assert_int_eq(s.stages_failed, 1);
	ck_assert_int_eq(s.tasks, 5);
	ck_assert_int_eq(s.tasks_failed, 1);
	ck_assert_int_eq(s.executor_run_ms, 190 + 390 + 40 + 90 + 290);
	ck_assert_int_eq(s.shuffle_read_bytes, 1000);
	ck_assert_int_eq(s.shuffle_write_bytes, 1000);
	ck_assert_int_eq(s.memory_spill_bytes, 5);
	ck_assert_int_eq(s.disk_spill_bytes, 7);
	ck_assert_int_eq(s.app_duration_ms, 2000);
	ck_assert_int_eq(s.jobs, 1);
	ck_assert_int_eq(s.jobs_failed, 1);
	ck_assert_int_eq(s.executor_cores, 3);
	ck_assert_str_eq(s.app_name, "synthetic");

	ck_assert_int_eq(gdfo_eventlog_graph(&g, log), 0);
	ck_assert_str_eq(gdfo_graph_name(g), "synthetic");
	ck_assert_uint_eq(gdfo_graph_stage_count(g), 2);
	ck_assert_uint_eq(parent_ids(g, 2, par), 1);
	ck_assert_int_eq(par[0], 0); /* through skipped stage 1 */
	ck_assert_int_eq(gdfo_graph_find(&idx, g, 2), 0);
	gdfo_graph_stage_at(&gs, g, idx); tu_own(&gs, &gs_st, &gs_kn);
	ck_assert_int_eq(gs.op, GDFO_OP_AGGREGATE);
	ck_assert(gs_st.bytes_in == 1000);
	ck_assert(gs_st.rows_in == 40);
	ck_assert_int_eq(gdfo_graph_find(&idx, g, 0), 0);
	gdfo_graph_stage_at(&gs, g, idx); tu_own(&gs, &gs_st, &gs_kn);
	ck_assert_int_eq(gs.op, GDFO_OP_SOURCE);
	ck_assert(gs_st.bytes_in == 4000);
	ck_assert(gs_st.rows_in == 40);
	ck_assert(gs_st.selectivity == 1.0);
	ck_assert(gs_st.skew == 1.5); /* 3000 / mean 2000 */
	gdfo_graph_get_knobs(&k, g);
	ck_assert_int_eq(k.executors, 5); /* no executor events: spark.executor.instances */
	ck_assert_int_eq(k.cores_per_executor, 3);
	ck_assert_int_eq(k.memory_per_executor_bytes, 2LL << 30);
	gdfo_graph_free(g);

	ck_assert_int_eq(gdfo_eventlog_telemetry(&t, log), 0);
	ck_assert_int_eq(gdfo_telemetry_find(&st, t, 2), 0);
	ck_assert(st.tasks == 3);
	ck_assert(st.failures == 1);
	ck_assert(st.duration_ms == 360);
	ck_assert(st.task_ms_median == 200);
	ck_assert(st.task_ms_max == 300);
	ck_assert(st.shuffle_read_bytes == 1000);
	ck_assert(st.spill_bytes == 12);
	ck_assert_int_eq(gdfo_telemetry_get_run(&run, t), 0);
	ck_assert_int_eq(run.success, 0);
	ck_assert(run.latency_ms == 2000);
	ck_assert(run.records == 40);
	ck_assert(run.throughput == 20);
	gdfo_telemetry_free(t);

	ck_assert_int_eq(gdfo_eventlog_profile(&p, log), 0);
	ck_assert_uint_eq(gdfo_profile_stage_count(p), 2);
	ck_assert_int_eq(gdfo_profile_stage_at(&ps, p, 1), 0);
	ck_assert_int_eq(ps.id, 2);
	ck_assert_uint_eq(ps.n_parents, 1);
	ck_assert_int_eq(ps.parents[0], 0);
	ck_assert_uint_eq(ps.n_task_ms, 2); /* the failed attempt is left out */
	ck_assert(ps.task_ms[0] == 100 && ps.task_ms[1] == 300);
	/* the profile survives its own JSON */
	ck_assert_int_eq(gdfo_profile_to_json(&json, p), 0);
	gdfo_profile_free(p);
	ck_assert_int_eq(gdfo_profile_from_json(&p, json, strlen(json)), 0);
	ck_assert_uint_eq(gdfo_profile_stage_count(p), 2);
	gdfo_profile_free(p);
	gdfo_free(json);
	gdfo_eventlog_free(log);
}
END_TEST

/*
 * The shape of the tasks_executors_fail log (issue 9): job 0 runs map stage 0
 * and its consumer 1; jobs 1 to 4 each list a stage over the same RDD
 * (skipped: its shuffle output exists) and a consumer of it. Ingested, stage
 * 0 has five consumers; Spark computed it once, so the model must too, and
 * the rules must not cache it.
 */
static char *reuse_log(void)
{
	gdfo__buf b = {0};
	int j;

	gdfo__buf_printf(&b, "{\"Event\":\"SparkListenerApplicationStart\",\"App Name\":\"reuse\",\"Timestamp\":0}\n"
		"{\"Event\":\"SparkListenerEnvironmentUpdate\",\"Spark Properties\":{\"spark.executor.cores\":\"4\","
		"\"spark.executor.instances\":\"4\",\"spark.executor.memory\":\"4g\",\"spark.sql.autoBroadcastJoinThreshold\":\"200m\","
		"\"spark.sql.shuffle.partitions\":\"64\",\"spark.sql.adaptive.enabled\":\"true\",\"spark.dynamicAllocation.enabled\":\"false\","
		"\"spark.dynamicAllocation.minExecutors\":\"1\",\"spark.dynamicAllocation.maxExecutors\":\"2147483647\"}}\n");
	for (j = 0; j < 5; j++) {
		int map = j ? 2 * j : 0, use = 2 * j + 1;
		gdfo__buf_printf(&b, "{\"Event\":\"SparkListenerJobStart\",\"Job ID\":%d,\"Stage Infos\":["
			"{\"Stage ID\":%d,\"Stage Name\":\"map at x.scala:1\",\"Number of Tasks\":8,\"Parent IDs\":[],\"RDD Info\":[{\"RDD ID\":3}]},"
			"{\"Stage ID\":%d,\"Stage Name\":\"count at x.scala:%d\",\"Number of Tasks\":8,\"Parent IDs\":[%d],\"RDD Info\":[{\"RDD ID\":%d}]}]}\n",
			j, map, use, 10 + j, map, 10 + j);
		if (!j)
			gdfo__buf_printf(&b, "{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":0,\"Task End Reason\":{\"Reason\":\"Success\"},"
				"\"Task Info\":{\"Launch Time\":10,\"Finish Time\":5010},\"Task Metrics\":{\"Executor Run Time\":5000,"
				"\"Input Metrics\":{\"Bytes Read\":8000000000,\"Records Read\":80000000},"
				"\"Shuffle Write Metrics\":{\"Shuffle Bytes Written\":200000000,\"Shuffle Records Written\":8000000}}}\n"
				"{\"Event\":\"SparkListenerStageCompleted\",\"Stage Info\":{\"Stage ID\":0,\"Stage Name\":\"map at x.scala:1\","
				"\"Number of Tasks\":8,\"Parent IDs\":[],\"RDD Info\":[{\"RDD ID\":3}],\"Submission Time\":5,\"Completion Time\":5020}}\n");
		gdfo__buf_printf(&b, "{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":%d,\"Task End Reason\":{\"Reason\":\"Success\"},"
			"\"Task Info\":{\"Launch Time\":6000,\"Finish Time\":6100},\"Task Metrics\":{\"Executor Run Time\":100,"
			"\"Shuffle Read Metrics\":{\"Remote Bytes Read\":2000000000,\"Local Bytes Read\":0,\"Total Records Read\":80000000}}}\n"
			"{\"Event\":\"SparkListenerStageCompleted\",\"Stage Info\":{\"Stage ID\":%d,\"Stage Name\":\"count at x.scala:%d\","
			"\"Number of Tasks\":8,\"Parent IDs\":[%d],\"RDD Info\":[{\"RDD ID\":%d}],\"Submission Time\":5990,\"Completion Time\":6110}}\n"
			"{\"Event\":\"SparkListenerJobEnd\",\"Job ID\":%d,\"Job Result\":{\"Result\":\"JobSucceeded\"}}\n",
			use, use, 10 + j, map, 10 + j, j);
	}
	gdfo__buf_printf(&b, "{\"Event\":\"SparkListenerApplicationEnd\",\"Timestamp\":9000}\n");
	ck_assert_ptr_nonnull(b.data);
	return b.data;
}

START_TEST(shuffle_reuse_and_settings)
{
	char *text = reuse_log();
	gdfo_eventlog *log = read_mem(text, strlen(text), 0);
	gdfo_eventlog_summary s = summary_of(log);
	gdfo_graph_knobs k = {.version = GDFO_GRAPH_KNOBS_VERSION};
	gdfo_sim_stage_result sr = {.version = GDFO_SIM_STAGE_RESULT_VERSION};
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_rules_options o;
	gdfo_graph *g;
	gdfo_plan *p;
	gdfo_sim *sim;
	const size_t *children;
	size_t idx, n, i, caches;
	char *json;

	ck_assert_int_eq(s.stages_completed, 6);
	ck_assert_int_eq(s.stages_skipped, 4);
	ck_assert_int_eq(gdfo_eventlog_graph(&g, log), 0);
	ck_assert_int_eq(gdfo_graph_find(&idx, g, 0), 0);
	ck_assert_int_eq(gdfo_graph_children(&children, &n, g, idx), 0);
	ck_assert_uint_eq(n, 5); /* one consumer in its own job, four through skipped stages */
	ck_assert_int_eq(gdfo_graph_get_knobs(&k, g), 0);
	ck_assert_int_eq(k.shuffle_reuse, GDFO_SWITCH_ON);
	ck_assert_int_eq(k.broadcast_threshold_bytes, 200LL << 20);
	ck_assert_int_eq(k.shuffle_partitions, 64);
	ck_assert_int_eq(k.adaptive, GDFO_SWITCH_ON);
	ck_assert_int_eq(k.dynamic_allocation, GDFO_SWITCH_OFF);
	ck_assert_int_eq(k.min_executors, 1);
	ck_assert_int_eq(k.max_executors, 0); /* Int.MaxValue: unbounded */
	ck_assert_int_eq(k.executors, 4);
	ck_assert_int_eq(k.memory_per_executor_bytes, 4LL << 30);
	/* the settings survive the pipeline JSON */
	ck_assert_int_eq(gdfo_graph_to_json(&json, g), 0);
	ck_assert_ptr_nonnull(strstr(json, "\"shuffle_reuse\":\t\"on\""));
	ck_assert_ptr_nonnull(strstr(json, "\"broadcast_threshold_bytes\":\t209715200"));
	gdfo_graph_free(g);
	ck_assert_int_eq(gdfo_graph_from_json(&g, json, strlen(json)), 0);
	gdfo_free(json);
	gdfo_graph_get_knobs(&k, g);
	ck_assert_int_eq(k.shuffle_reuse, GDFO_SWITCH_ON);
	ck_assert_int_eq(k.adaptive, GDFO_SWITCH_ON);
	ck_assert_int_eq(k.shuffle_partitions, 64);

	/* the model runs stage 0 once, like Spark; without the knob, once per consumer */
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g, NULL), 0);
		ck_assert_int_eq(gdfo_sim_stage_at(&sr, sim, idx), 0);
		ck_assert_int_eq(sr.id, 0);
		ck_assert(sr.executions == (i ? 5.0 : 1.0));
		ck_assert(sr.tasks == (i ? 40.0 : 8.0));
		k.shuffle_reuse = GDFO_SWITCH_DEFAULT;
		ck_assert_int_eq(gdfo_graph_set_knobs(g, &k), 0);
	}
	gdfo_sim_free(sim);

	/* the rules cache it only when it would be recomputed */
	gdfo_rules_options_init(&o, GDFO_RULES_OPTIONS_VERSION);
	o.check_changes = 0;
	for (i = 0; i < 2; i++) {
		size_t c;
		ck_assert_int_eq(gdfo_optimize_rules(&p, g, NULL, &o), 0);
		for (c = caches = 0; c < gdfo_plan_change_count(p); c++) {
			gdfo_change ch = {.version = GDFO_CHANGE_VERSION};
			ck_assert_int_eq(gdfo_plan_change_at(&ch, p, c), 0);
			caches += ch.kind == GDFO_CHANGE_CACHE;
		}
		ck_assert_uint_eq(caches, i ? 0 : 1);
		gdfo_plan_free(p);
		k.shuffle_reuse = GDFO_SWITCH_ON;
		ck_assert_int_eq(gdfo_graph_set_knobs(g, &k), 0);
	}
	gdfo_graph_free(g);
	gdfo_eventlog_free(log);
	free(text);
}
END_TEST

START_TEST(malformed_lines_counted)
{
	static const char text[] =
		"{\"Event\":\"SparkListenerApplicationStart\",\"Timestamp\":10}\n"
		"\n"                                                      /* blank: ignored */
		"   \t \r\n"                                              /* blank */
		"not json at all\n"                                       /* 1 */
		"[1, 2, 3]\n"                                             /* 2: not an object */
		"{\"Event\": 5}\n"                                        /* 3: Event not a string */
		"{\"x\": 1}\n"                                            /* 4: no Event */
		"{\"Event\":\"SparkListenerTaskEnd\",\"Task Metrics\":{\"Executor Run Time\":NaN}}\n" /* 5 */
		"{\"Event\":\"SparkListenerTaskEnd\",\"Task Metrics\":{\"Executor Run Time\":7}} trailing\n" /* 6 */
		"{\"Event\":\"SparkListenerTaskEnd\",\"Task Metrics\":{\"Executor Run Time\":007}}\n" /* 7 */
		"{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":\"a\\q\"}\n" /* 8: bad escape */
		"{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":\"\xc3\x28\"}\n" /* 9: bad UTF-8 */
		"{\"Event\":\"SparkListenerTaskEnd\",\"Stage ID\":\"a\tb\"}\n" /* 10: raw tab in a string */
		"{\"Event\":\"SparkListenerTaskEnd\",\"Task Metrics\":{\"Executor Run Time\":5,}}\n" /* 11 */
		"{\"Event\":\"SparkListenerTaskEnd\",\"Task End Reason\":{\"Reason\":\"Success\"},"
		"\"Task Metrics\":{\"Executor Run Time\":100,\"Executor Run Time\":1.5,\"Disk Bytes Spilled\":true}}\n"
		/* valid: the repeated key's last value (1.5) is not an integer; true is not one either */
		"{\"Event\":\"SparkListenerTaskEnd\",\"Task End Reason\":{\"Reason\":\"Success\"},"
		"\"Task Metrics\":{\"Executor Run Time\":1000}}\n"
		"{\"Event\":\"SparkListenerTaskStart\",\"Event\":\"SparkListenerTaskEnd\",\"Task Metrics\":{\"Executor Run Time\":20}}\n"
		/* valid, a TaskEnd (last Event wins), failed: no Task End Reason */
		"{\"Event\":\"SparkListenerTaskEnd\",\"Event\":\"SparkListenerTaskStart\",\"Task Metrics\":{\"Executor Run Time\":30}}\n"
		/* valid, a TaskStart */
		"{\"Event\":\"Sp\\u0061rkListenerExecutorAdded\",\"Executor ID\":\"\\u00e9\\ud83d\\ude00\"}\n" /* valid, escaped */
		"{\"Event\":\"SomethingNew\",\"deep\":[[[[{\"a\":[1e5,-0.5e-3,\"\\u0041\"]}]]]]}\n" /* valid, unknown */
		"{\"Event\":\"SparkListenerApplicationEnd\",\"Timestamp\":110}\n"
		"{\"Event\":\"SparkListenerTaskEnd\",\"Task Metrics\":{\"Executor Run Time\":9"; /* 12: cut short */
	gdfo_eventlog *log = read_mem(text, strlen(text), 0);
	gdfo_eventlog_summary s = summary_of(log);
	gdfo_executor_event e = {.version = GDFO_EXECUTOR_EVENT_VERSION};

	ck_assert_int_eq(s.malformed_lines, 12);
	ck_assert_int_eq(s.lines, 20);
	ck_assert_int_eq(s.events, 8);
	ck_assert_int_eq(s.truncated, 1);
	ck_assert_int_eq(s.tasks, 3);
	ck_assert_int_eq(s.tasks_failed, 1);
	ck_assert_int_eq(s.executor_run_ms, 1020);
	ck_assert_int_eq(s.disk_spill_bytes, 0);
	ck_assert_int_eq(s.executors_added, 1);
	ck_assert_int_eq(s.app_duration_ms, 100);
	ck_assert_int_eq(gdfo_eventlog_executor_event_at(&e, log, 0), 0);
	ck_assert_str_eq(e.executor_id, "\xc3\xa9\xf0\x9f\x98\x80");
	gdfo_eventlog_free(log);

	/* nesting deeper than the limit is malformed, and does not crash */
	{
		size_t depth = 100000, i;
		char *deep = malloc(2 * depth + 64);
		size_t n = 0;
		n += (size_t)sprintf(deep, "{\"Event\":\"X\",\"a\":");
		for (i = 0; i < depth; i++)
			deep[n++] = '[';
		for (i = 0; i < depth; i++)
			deep[n++] = ']';
		deep[n++] = '}';
		log = read_mem(deep, n, 0);
		s = summary_of(log);
		ck_assert_int_eq(s.malformed_lines, 1);
		gdfo_eventlog_free(log);
		free(deep);
	}
}
END_TEST

START_TEST(overlong_lines)
{
	/* with a 64-byte cap, the long line (in the middle and at the end) is malformed */
	static const char text[] =
		"{\"Event\":\"SparkListenerExecutorAdded\"}\n"
		"{\"Event\":\"SparkListenerExecutorAdded\",\"padding\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n"
		"{\"Event\":\"SparkListenerExecutorRemoved\"}\n"
		"{\"Event\":\"SparkListenerExecutorAdded\",\"padding\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}";
	gdfo_eventlog *log = read_mem(text, strlen(text), 64);
	gdfo_eventlog_summary s = summary_of(log);
	ck_assert_int_eq(s.malformed_lines, 2);
	ck_assert_int_eq(s.lines, 4);
	ck_assert_int_eq(s.executors_added, 1);
	ck_assert_int_eq(s.executors_removed, 1);
	gdfo_eventlog_free(log);
}
END_TEST

START_TEST(truncated_log)
{
	size_t len, cut, k, lines_before = 0, tasks_before = 0;
	char *text = tu_slurp(path_of("spark-rapids-tools/aqeshuffle_eventlog"), &len);
	gdfo_eventlog *log;
	gdfo_eventlog_summary s = {.version = GDFO_EVENTLOG_SUMMARY_VERSION};
	char *nl;

	/* cut in the middle of line 50 */
	for (nl = text, k = 0; k < 49; k++) {
		char *e = strchr(nl, '\n');
		if (strstr(nl, "\"SparkListenerTaskEnd\"") && strstr(nl, "\"SparkListenerTaskEnd\"") < e)
			tasks_before++;
		lines_before++;
		nl = e + 1;
	}
	cut = (size_t)(nl - text) + (size_t)(strchr(nl, '\n') - nl) / 2;
	log = read_mem(text, cut, 0);
	s = summary_of(log);
	ck_assert_int_eq(s.lines, (int64_t)lines_before + 1);
	ck_assert_int_eq(s.malformed_lines, 1);
	ck_assert_int_eq(s.truncated, 1);
	ck_assert_int_eq(s.tasks, (int64_t)tasks_before);
	ck_assert_int_eq(s.has_app_duration, 0);
	gdfo_eventlog_free(log);
	free(text);
}
END_TEST

START_TEST(compressed_variants)
{
	size_t len, zcap, zlen;
	char *text = tu_slurp(path_of("spark-rapids-tools/aqeshuffle_eventlog"), &len);
	unsigned char *z;
	gdfo_eventlog *log;
	gdfo_eventlog_summary s = {.version = GDFO_EVENTLOG_SUMMARY_VERSION};
	z_stream zs;
	char path[] = "/tmp/gdfo_ingest_XXXXXX";
	int fd;

	/* zstd, written to a file without a telling extension */
	zcap = ZSTD_compressBound(len);
	z = malloc(zcap);
	zlen = ZSTD_compress(z, zcap, text, len, 3);
	ck_assert(!ZSTD_isError(zlen));
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, z, zlen), (ssize_t)zlen);
	close(fd);
	ck_assert_int_eq(gdfo_eventlog_read(&log, path, NULL), 0);
	s = summary_of(log);
	check_aqeshuffle(&s);
	ck_assert_int_eq(s.codec, GDFO_CODEC_ZSTD);
	gdfo_eventlog_free(log);

	/* zstd cut short: what was decoded is kept, the log is marked truncated */
	log = read_mem((const char *)z, zlen * 9 / 10, 0);
	s = summary_of(log);
	ck_assert_int_eq(s.truncated, 1);
	ck_assert_msg(s.lines > 5 && s.lines < 86, "lines %lld", (long long)s.lines);
	ck_assert_int_le(s.malformed_lines, 1);
	gdfo_eventlog_free(log);

	/* zstd magic followed by garbage: corrupt, an error naming the source */
	memset(z + 4, 0xff, 64);
	ck_assert_int_eq(gdfo_eventlog_read_memory(&log, z, 68, NULL), GDFO_EFORMAT);
	ck_assert_ptr_null(log);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "zstd data is corrupt"));
	free(z);

	/* gzip, two members concatenated (as `cat a.gz b.gz` makes) */
	zcap = compressBound(len) + 64;
	z = malloc(2 * zcap);
	{
		size_t half = len / 2, off = 0;
		const char *parts[2] = {text, text + half};
		size_t sizes[2] = {half, len - half};
		int i;
		for (i = 0; i < 2; i++) {
			memset(&zs, 0, sizeof(zs));
			ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
			zs.next_in = (unsigned char *)parts[i];
			zs.avail_in = (uInt)sizes[i];
			zs.next_out = z + off;
			zs.avail_out = (uInt)zcap;
			ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
			off += zs.total_out;
			deflateEnd(&zs);
		}
		zlen = off;
	}
	ck_assert_int_eq(gdfo_eventlog_read_memory(&log, z, zlen, NULL), 0);
	s = summary_of(log);
	check_aqeshuffle(&s);
	ck_assert_int_eq(s.codec, GDFO_CODEC_GZIP);
	gdfo_eventlog_free(log);

	/* gzip cut short */
	log = read_mem((const char *)z, zlen / 3, 0);
	s = summary_of(log);
	ck_assert_int_eq(s.truncated, 1);
	ck_assert_int_eq(s.codec, GDFO_CODEC_GZIP);
	ck_assert(s.lines > 0);
	gdfo_eventlog_free(log);
	free(z);
	unlink(path);
	free(text);
}
END_TEST

static void count_progress(void *user, uint64_t done, uint64_t total)
{
	int *calls = user;
	ck_assert(done <= total);
	(*calls)++;
}

START_TEST(api_errors_and_progress)
{
	gdfo_eventlog *log = (gdfo_eventlog *)1;
	gdfo_ingest_options o;
	int calls = 0;

	ck_assert_int_eq(gdfo_eventlog_read(&log, "/nonexistent/event_log", NULL), GDFO_EIO);
	ck_assert_ptr_null(log);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "/nonexistent/event_log"));
	ck_assert_int_eq(gdfo_eventlog_read(&log, "/tmp", NULL), GDFO_EIO);
	ck_assert_int_eq(gdfo_eventlog_read(NULL, "/tmp/x", NULL), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_ingest_options_init(&o, 99), GDFO_EVERSION);
	gdfo_ingest_options_init(&o, GDFO_INGEST_OPTIONS_VERSION);
	o.version = 7;
	ck_assert_int_eq(gdfo_eventlog_read(&log, path_of("dr-elephant/event_log_2"), &o), GDFO_EVERSION);

	gdfo_ingest_options_init(&o, GDFO_INGEST_OPTIONS_VERSION);
	o.progress = count_progress;
	o.progress_user = &calls;
	o.progress_every_bytes = 1 << 16;
	o.name = "renamed";
	ck_assert_int_eq(gdfo_eventlog_read(&log, path_of("spark-rapids-tools/aqeshuffle_eventlog"), &o), 0);
	ck_assert_int_ge(calls, 2);
	{
		gdfo_graph *g;
		ck_assert_int_eq(gdfo_eventlog_graph(&g, log), 0);
		ck_assert_str_eq(gdfo_graph_name(g), "renamed");
		gdfo_graph_free(g);
	}
	{
		const char *k, *v;
		ck_assert_uint_gt(gdfo_eventlog_config_count(log), 10);
		ck_assert_int_eq(gdfo_eventlog_config_at(&k, &v, log, 0), 0);
		ck_assert_ptr_nonnull(k);
		ck_assert_int_eq(gdfo_eventlog_config_at(&k, &v, log, 100000), GDFO_ERANGE);
	}
	{
		gdfo_eventlog_summary s = {.version = GDFO_EVENTLOG_SUMMARY_VERSION};
		s.version = 0;
		ck_assert_int_eq(gdfo_eventlog_get_summary(&s, log), GDFO_EVERSION);
	}
	gdfo_eventlog_free(log);
	gdfo_eventlog_free(NULL);

	/* an empty file is an empty log */
	ck_assert_int_eq(gdfo_eventlog_read_memory(&log, "", 0, NULL), 0);
	ck_assert_int_eq(summary_of(log).lines, 0);
	gdfo_eventlog_free(log);
}
END_TEST

START_TEST(nds_q72_graph_and_profile)
{
	gdfo_eventlog *log;
	gdfo_graph *g;
	gdfo_profile *p;
	gdfo_telemetry *t;
	gdfo_profile_stage ps = {.version = GDFO_PROFILE_STAGE_VERSION};
	gdfo_stage_telemetry st = {.version = GDFO_STAGE_TELEMETRY_VERSION};
	int64_t par[4];
	size_t idx, total = 0, i;

	ck_assert_int_eq(gdfo_eventlog_read(&log, path_of("spark-rapids-tools/nds_q72_dataproc_2_2.zstd"), NULL), 0);
	ck_assert_int_eq(summary_of(log).tasks, 13504);
	ck_assert_int_eq(gdfo_eventlog_graph(&g, log), 0);
	ck_assert_int_eq(gdfo_graph_validate(g), 0);
	ck_assert_uint_eq(gdfo_graph_stage_count(g), 49);
	/* q72's joins: 50 <- {45, 46}, 55 <- {47, 50} */
	ck_assert_uint_eq(parent_ids(g, 50, par), 2);
	ck_assert_int_eq(par[0], 45);
	ck_assert_int_eq(par[1], 46);
	ck_assert_uint_eq(parent_ids(g, 55, par), 2);
	ck_assert_int_eq(par[0], 47);
	ck_assert_int_eq(par[1], 50);
	gdfo_graph_free(g);

	ck_assert_int_eq(gdfo_eventlog_profile(&p, log), 0);
	ck_assert_int_eq(gdfo_profile_executors(p), 8);
	ck_assert_int_eq(gdfo_profile_cores_per_executor(p), 16);
	ck_assert_uint_eq(gdfo_profile_stage_count(p), 49);
	for (i = 0; i < gdfo_profile_stage_count(p); i++) {
		gdfo_profile_stage_at(&ps, p, i);
		total += ps.n_task_ms;
	}
	ck_assert_uint_eq(total, 13504); /* no task failed in this log */
	ck_assert_int_eq(gdfo_profile_find(&idx, p, 45), 0);
	gdfo_profile_stage_at(&ps, p, idx);
	ck_assert_int_eq(ps.num_tasks, 580);
	ck_assert_uint_eq(ps.n_task_ms, 580);
	gdfo_profile_free(p);

	ck_assert_int_eq(gdfo_eventlog_telemetry(&t, log), 0);
	ck_assert_uint_eq(gdfo_telemetry_stage_count(t), 49);
	ck_assert_int_eq(gdfo_telemetry_find(&st, t, 45), 0);
	ck_assert(st.tasks == 580);
	ck_assert(st.duration_ms > 10000 && st.duration_ms < 40000);
	ck_assert(st.task_ms_max >= st.task_ms_median);
	gdfo_telemetry_free(t);
	gdfo_eventlog_free(log);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ingest");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, real_logs_known_values);
	tcase_add_test(tc, dynamic_allocation_timeline);
	tcase_add_test(tc, skipped_parents_resolved);
	tcase_add_test(tc, synthetic_log);
	tcase_add_test(tc, shuffle_reuse_and_settings);
	tcase_add_test(tc, malformed_lines_counted);
	tcase_add_test(tc, overlong_lines);
	tcase_add_test(tc, truncated_log);
	tcase_add_test(tc, compressed_variants);
	tcase_add_test(tc, api_errors_and_progress);
	tcase_add_test(tc, nds_q72_graph_and_profile);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *env = getenv("GDFO_SHARED_DATA");
	SRunner *sr;
	int failed;

	snprintf(data_dir, sizeof(data_dir), "%s", env && env[0] ? env : "../shared/data");
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
