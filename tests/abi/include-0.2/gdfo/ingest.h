/*
 * Spark event-log ingestion: reads a Spark History Server event log (one
 * JSON event per line; plain, zstd or gzip, detected from the first bytes)
 * and turns it into the gdfo model: a summary, a pipeline graph of the
 * completed stages, per-stage and run telemetry, a job profile
 * (gdfo-job-profile/1), the executor timeline and the Spark configuration.
 * docs/ingest.md describes the mapping and the tolerance rules.
 *
 * The log is streamed: memory grows with the number of stages, tasks and
 * executors and with the longest line, never with the file size. Lines
 * that are not a JSON object with a string "Event" member, and lines longer
 * than gdfo_ingest_options.max_line_bytes, are counted as malformed and
 * skipped; unknown events and fields are ignored; a truncated last line or
 * a truncated compressed stream ends the log without an error.
 *
 * Ownership: a gdfo_eventlog owns everything it read. Strings returned by
 * its getters are borrowed until gdfo_eventlog_free. Graphs, telemetry and
 * profiles are built anew on each call and belong to the caller.
 *
 * Thread safety: gdfo_eventlog_read may run on several threads at once
 * (each with its own handle); a finished gdfo_eventlog is read-only and may
 * be queried from several threads at once.
 */
#ifndef GDFO_INGEST_H
#define GDFO_INGEST_H

#include "common.h"
#include "graph.h"
#include "profile.h"
#include "telemetry.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Progress report: bytes of the file consumed so far (compressed bytes for
 * a compressed log) and the file's size (0 when not known). Called from the
 * reading thread every progress_every_bytes and once at the end. It must
 * not call back into the gdfo_eventlog being read.
 */
typedef void (*gdfo_ingest_progress_fn)(void *user, uint64_t bytes_done, uint64_t bytes_total);

#define GDFO_INGEST_OPTIONS_VERSION (1 + GDFO__GROWTH)
#define GDFO_INGEST_MAX_LINE_DEFAULT ((uint64_t)256 << 20)

typedef struct gdfo_ingest_options {
	uint32_t version;               /* GDFO_INGEST_OPTIONS_VERSION */
	uint32_t reserved;              /* must be 0 */
	uint64_t max_line_bytes;        /* longer lines are malformed; 0 = 256 MiB */
	const char *name;               /* graph and profile name; NULL = the App Name, else "spark-app" */
	gdfo_ingest_progress_fn progress; /* may be NULL */
	void *progress_user;
	uint64_t progress_every_bytes;  /* 0 = every 16 MiB of file */
	GDFO__GROWTH_FIELD
} gdfo_ingest_options;

/* Fills *opts with defaults. Errors: GDFO_EINVAL (NULL), GDFO_EVERSION. */
GDFO_API int gdfo_ingest_options_init(gdfo_ingest_options *opts, unsigned int version);

typedef struct gdfo_eventlog gdfo_eventlog;

/*
 * Reads the event log at path. opts may be NULL (defaults).
 * Errors: GDFO_EINVAL (NULL argument, bad option), GDFO_EVERSION (options
 * version), GDFO_EIO (cannot open or read the file), GDFO_EFORMAT
 * (compressed data that is corrupt, as opposed to merely cut short; the
 * message names the file and the byte offset), GDFO_ENOMEM.
 * A file with no valid event at all is not an error: its summary says so.
 * On failure *out is NULL.
 */
GDFO_API int gdfo_eventlog_read(gdfo_eventlog **out, const char *path, const gdfo_ingest_options *opts);

/*
 * Same as gdfo_eventlog_read for a log held in memory (len bytes, plain or
 * compressed). The data is borrowed for the call only.
 */
GDFO_API int gdfo_eventlog_read_memory(gdfo_eventlog **out, const void *data, size_t len,
				       const gdfo_ingest_options *opts);

/* Frees the handle. NULL does nothing. */
GDFO_API void gdfo_eventlog_free(gdfo_eventlog *log);

/* How the file was compressed. */
typedef enum gdfo_ingest_codec {
	GDFO_CODEC_NONE = 0,
	GDFO_CODEC_ZSTD = 1,
	GDFO_CODEC_GZIP = 2
} gdfo_ingest_codec;

#define GDFO_EVENTLOG_SUMMARY_VERSION (1 + GDFO__GROWTH)

/*
 * Counts over the whole log. Every count covers all events of its kind,
 * whatever the stage or attempt. Byte and time sums add the integer values
 * present in Task Metrics (values that are missing, fractional or not
 * numbers are skipped).
 */
typedef struct gdfo_eventlog_summary {
	uint32_t version;            /* GDFO_EVENTLOG_SUMMARY_VERSION */
	int32_t codec;               /* gdfo_ingest_codec */
	int64_t lines;               /* non-blank lines, malformed ones included */
	int64_t malformed_lines;
	int64_t events;              /* valid events, known or not */
	int32_t truncated;           /* 1 if the last line or the compressed stream was cut short */
	int32_t has_app_duration;    /* app_duration_ms is meaningful */
	int64_t app_duration_ms;     /* ApplicationEnd - ApplicationStart */
	int64_t app_start_ms;        /* -1 if unknown */
	int64_t stages_completed;    /* StageCompleted events without a Failure Reason */
	int64_t stages_failed;       /* StageCompleted events with one */
	int64_t stages_declared;     /* distinct stage ids named by any event (JobStart Stage Infos, stage and task events) */
	int64_t stages_skipped;      /* declared stages with no StageCompleted event */
	int64_t jobs;                /* JobStart events */
	int64_t jobs_failed;         /* JobEnd events whose Job Result is not JobSucceeded */
	int64_t tasks;               /* TaskEnd events */
	int64_t tasks_failed;        /* TaskEnd events whose Task End Reason is not Success */
	int64_t executor_run_ms;     /* sum of Executor Run Time */
	int64_t executor_cpu_ns;     /* sum of Executor CPU Time (absent in Spark 1.x logs) */
	int64_t shuffle_write_bytes; /* sum of Shuffle Bytes Written */
	int64_t shuffle_read_bytes;  /* sum of Remote Bytes Read + Local Bytes Read */
	int64_t memory_spill_bytes;
	int64_t disk_spill_bytes;
	int64_t input_bytes;         /* sum of Input Metrics Bytes Read */
	int64_t output_bytes;        /* sum of Output Metrics Bytes Written */
	int64_t executors_added;     /* ExecutorAdded events */
	int64_t executors_removed;   /* ExecutorRemoved events */
	int32_t executors_max_live;  /* most executors alive at once */
	int32_t executor_cores;      /* cores per executor (ExecutorAdded, else spark.executor.cores), 0 unknown */
	const char *spark_version;   /* "" if unknown; borrowed */
	const char *app_name;        /* "" if unknown; borrowed */
	const char *app_id;          /* "" if unknown; borrowed */
	GDFO__GROWTH_FIELD
} gdfo_eventlog_summary;

/* Errors: GDFO_EINVAL (NULL argument), GDFO_EVERSION (out->version is not one this library knows; set it first). */
GDFO_API int gdfo_eventlog_get_summary(gdfo_eventlog_summary *out, const gdfo_eventlog *log);

/*
 * The summary as one JSON object with exactly these keys: stages_completed,
 * stages_failed, tasks, tasks_failed, executor_run_ms, shuffle_write_bytes,
 * shuffle_read_bytes, memory_spill_bytes, disk_spill_bytes,
 * executors_added, executors_removed, malformed_lines, app_duration_ms
 * (null when unknown). NUL-terminated, no trailing newline; free with
 * gdfo_free. Errors: GDFO_EINVAL, GDFO_ENOMEM.
 */
GDFO_API int gdfo_eventlog_summary_json(char **out, const gdfo_eventlog *log);

/*
 * A pipeline graph of the completed stages (ids are Spark stage ids, names
 * the Spark stage names), edges from Parent IDs with skipped stages
 * resolved (docs/ingest.md), operators inferred from stage and RDD names,
 * statistics from task metrics, partitions = number of tasks, and graph
 * knobs from the executors seen and the Spark configuration. The graph is
 * validated before it is returned.
 * Errors: GDFO_EINVAL (NULL argument), GDFO_ENOTFOUND (the log has no
 * completed stage), GDFO_ENOMEM.
 */
GDFO_API int gdfo_eventlog_graph(gdfo_graph **out, const gdfo_eventlog *log);

/*
 * Telemetry: one record per completed stage (duration from first task
 * launch to last task finish, task count, median and max task time of the
 * successful attempts, shuffle bytes, spill, peak execution memory, CPU
 * time, failed attempts) and the run (success unless a job failed,
 * latency = application duration or the span of the stages, records read,
 * throughput; cost unknown). Errors: GDFO_EINVAL, GDFO_ENOMEM.
 */
GDFO_API int gdfo_eventlog_telemetry(gdfo_telemetry **out, const gdfo_eventlog *log);

/*
 * A job profile of the completed stages: task_ms = Finish Time - Launch
 * Time of every successful task attempt, parents as in the graph, num_tasks,
 * the four byte counters; executors = most executors alive at once (else
 * spark.executor.instances, else 1) and cores per executor from the log.
 * Stages without a successful task are left out (their children keep the
 * edge to the nearest included ancestors).
 * Errors: GDFO_EINVAL, GDFO_ENOTFOUND (no stage has a successful task),
 * GDFO_ENOMEM.
 */
GDFO_API int gdfo_eventlog_profile(gdfo_profile **out, const gdfo_eventlog *log);

/*
 * Spark Properties from the last EnvironmentUpdate event.
 * gdfo_eventlog_config returns the value of key, or NULL when absent.
 * config_at gives the index-th pair in file order (borrowed strings).
 * Errors of config_at: GDFO_EINVAL, GDFO_ERANGE.
 */
GDFO_API const char *gdfo_eventlog_config(const gdfo_eventlog *log, const char *key);
GDFO_API size_t gdfo_eventlog_config_count(const gdfo_eventlog *log);
GDFO_API int gdfo_eventlog_config_at(const char **key, const char **value, const gdfo_eventlog *log,
				     size_t index);

#define GDFO_EXECUTOR_EVENT_VERSION (1 + GDFO__GROWTH)

/* One ExecutorAdded or ExecutorRemoved event, in file order. */
typedef struct gdfo_executor_event {
	uint32_t version;        /* GDFO_EXECUTOR_EVENT_VERSION */
	int64_t timestamp_ms;    /* -1 if the event had none */
	const char *executor_id; /* borrowed; "" if the event had none */
	int32_t added;           /* 1 added, 0 removed */
	int32_t cores;           /* Total Cores of an added executor, 0 if unknown */
	int32_t live;            /* executors alive after this event */
	GDFO__GROWTH_FIELD
} gdfo_executor_event;

/* Number of ExecutorAdded and ExecutorRemoved events (0 for NULL). */
GDFO_API size_t gdfo_eventlog_executor_event_count(const gdfo_eventlog *log);
/*
 * Fills the fields of out->version (set it first) with event index, in
 * file order; executor_id is borrowed until the log is freed.
 * Errors: GDFO_EINVAL, GDFO_EVERSION, GDFO_ERANGE.
 */
GDFO_API int gdfo_eventlog_executor_event_at(gdfo_executor_event *out, const gdfo_eventlog *log,
					     size_t index);

#ifdef __cplusplus
}
#endif

#endif
