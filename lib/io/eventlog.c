/*
 * Spark event logs: the API (options, reading a file or memory, free), the
 * stage table and the simple getters. The events are read into the state
 * by eventlog_events.c; the graph, telemetry and profile are built from it
 * in eventlog_build.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/abi.h"
#include "io/ingest_internal.h"

/* ---- the stage table --------------------------------------------------------- */

gdfo__ev_stage *gdfo__eventlog_stage(gdfo_eventlog *log, int64_t id, int create)
{
	gdfo__ev_stage *s;
	size_t i = gdfo__idmap_get(&log->ids, id);

	if (i != (size_t)-1)
		return &log->stages[i];
	if (!create)
		return NULL;
	if (gdfo__grow((void **)&log->stages, &log->cap_stages, log->n_stages + 1, sizeof(*log->stages)) ||
	    gdfo__idmap_put(&log->ids, id, log->n_stages))
		return NULL;
	s = &log->stages[log->n_stages];
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->num_tasks = -1;
	s->max_rdd = -1;
	s->sql_exec = -1;
	s->submit_ms = s->complete_ms = -1;
	s->first_launch = s->last_finish = -1;
	log->n_stages++;
	return s;
}

void gdfo__eventlog_conf_free(gdfo__kv *kv, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

/* ---- reading ------------------------------------------------------------------------ */

int gdfo_ingest_options_init(gdfo_ingest_options *opts, unsigned int version)
{
	gdfo_ingest_options d;
	memset(&d, 0, sizeof(d));
	d.max_line_bytes = GDFO_INGEST_MAX_LINE_DEFAULT;
	d.progress_every_bytes = (uint64_t)16 << 20;
	return gdfo__abi_init(opts, version, &d, GDFO__ABI_INGEST_OPTIONS, "gdfo_ingest_options_init");
}

static int check_options(const gdfo_ingest_options *o)
{
	if (gdfo__abi_check(o, GDFO__ABI_INGEST_OPTIONS, "gdfo_eventlog_read"))
		return GDFO_EVERSION;
	if (o->reserved)
		return gdfo__error(GDFO_EINVAL, "gdfo_ingest_options.reserved must be 0");
	if (o->name && (!o->name[0] || strlen(o->name) > 255))
		return gdfo__error(GDFO_EINVAL, "gdfo_ingest_options.name must be 1 to 255 bytes");
	return 0;
}

static int read_common(gdfo_eventlog **out, gdfo__line_reader *rd, const gdfo_ingest_options *opts)
{
	gdfo_ingest_options defaults;
	gdfo_eventlog *log;
	int rc;

	gdfo_ingest_options_init(&defaults, GDFO_INGEST_OPTIONS_VERSION);
	if (opts && (rc = gdfo__abi_in(&defaults, opts, &defaults, GDFO__ABI_INGEST_OPTIONS, "gdfo_eventlog_read")))
		return rc;
	opts = &defaults;
	if ((rc = check_options(opts)))
		return rc;
	log = gdfo__calloc(1, sizeof(*log));
	if (!log)
		return GDFO_ENOMEM;
	log->sum.version = gdfo__abi_latest(GDFO__ABI_EVENTLOG_SUMMARY);
	log->first_submit = log->last_complete = -1;
	log->max_line = opts->max_line_bytes ? opts->max_line_bytes : GDFO_INGEST_MAX_LINE_DEFAULT;
	if (opts->name && !(log->name = gdfo__strdup(opts->name))) {
		gdfo_eventlog_free(log);
		return GDFO_ENOMEM;
	}
	rd->max_line = log->max_line;
	rd->events = &log->sum.events;
	rd->progress = opts->progress;
	rd->progress_user = opts->progress_user;
	rd->progress_every = opts->progress_every_bytes ? opts->progress_every_bytes : (uint64_t)16 << 20;
	rc = gdfo__lines_run(rd, gdfo__eventlog_line, log);
	if (rc) {
		gdfo_eventlog_free(log);
		return rc;
	}
	log->sum.codec = rd->codec;
	log->sum.truncated = rd->truncated;
	if (log->have_start && log->have_end) {
		log->sum.has_app_duration = 1;
		log->sum.app_duration_ms = log->app_end - log->app_start;
	}
	log->sum.app_start_ms = log->have_start ? log->app_start : -1;
	{
		size_t i;
		for (i = 0; i < log->n_stages; i++)
			if (!log->stages[i].completed)
				log->sum.stages_skipped++;
		log->sum.stages_declared = (int64_t)log->n_stages;
	}
	if (!log->sum.executor_cores) {
		const char *c = gdfo_eventlog_config(log, "spark.executor.cores");
		long v = c ? strtol(c, NULL, 10) : 0;
		if (v > 0 && v <= 100000)
			log->sum.executor_cores = (int32_t)v;
	}
	if (!log->name) {
		log->name = gdfo__strdup(log->app_name && log->app_name[0] && strlen(log->app_name) <= 255 ?
					 log->app_name : "spark-app");
		if (!log->name) {
			gdfo_eventlog_free(log);
			return GDFO_ENOMEM;
		}
	}
	*out = log;
	return 0;
}

int gdfo_eventlog_read(gdfo_eventlog **out, const char *path, const gdfo_ingest_options *opts)
{
	gdfo__line_reader rd;
	struct stat st;
	int fd, rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_eventlog_read: out is NULL");
	*out = NULL;
	if (!path)
		return gdfo__error(GDFO_EINVAL, "gdfo_eventlog_read: path is NULL");
	if (opts && (rc = check_options(opts)))
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gdfo__error(GDFO_EIO, "%s: cannot open: %s", path, strerror(errno));
	memset(&rd, 0, sizeof(rd));
	rd.fd = fd;
	rd.what = path;
	if (fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			close(fd);
			return gdfo__error(GDFO_EIO, "%s: is a directory, not an event log", path);
		}
		rd.total_bytes = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	}
	rc = read_common(out, &rd, opts);
	close(fd);
	return rc;
}

int gdfo_eventlog_read_memory(gdfo_eventlog **out, const void *data, size_t len,
			      const gdfo_ingest_options *opts)
{
	gdfo__line_reader rd;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_eventlog_read_memory: out is NULL");
	*out = NULL;
	if (!data && len)
		return gdfo__error(GDFO_EINVAL, "gdfo_eventlog_read_memory: data is NULL");
	memset(&rd, 0, sizeof(rd));
	rd.fd = -1;
	rd.mem = data ? data : (const void *)"";
	rd.mem_len = len;
	rd.what = "event log in memory";
	rd.total_bytes = len;
	return read_common(out, &rd, opts);
}

void gdfo_eventlog_free(gdfo_eventlog *log)
{
	size_t i;
	if (!log)
		return;
	for (i = 0; i < log->n_stages; i++) {
		free(log->stages[i].name);
		free(log->stages[i].parents);
		free(log->stages[i].task_ms);
	}
	free(log->stages);
	gdfo__idmap_free(&log->ids);
	for (i = 0; i < log->n_execs; i++)
		free(log->execs[i].id);
	free(log->execs);
	for (i = 0; i < log->n_live; i++)
		free(log->live[i]);
	free(log->live);
	gdfo__eventlog_conf_free(log->conf, log->n_conf);
	free(log->spark_version);
	free(log->app_name);
	free(log->app_id);
	free(log->name);
	free(log);
}

/* ---- getters ----------------------------------------------------------------------- */

int gdfo_eventlog_get_summary(gdfo_eventlog_summary *out, const gdfo_eventlog *log)
{
	gdfo_eventlog_summary full;

	if (!out || !log)
		return gdfo__error(GDFO_EINVAL, "gdfo_eventlog_get_summary: %s is NULL", out ? "log" : "out");
	full = log->sum;
	full.spark_version = log->spark_version ? log->spark_version : "";
	full.app_name = log->app_name ? log->app_name : "";
	full.app_id = log->app_id ? log->app_id : "";
	return gdfo__abi_out(out, &full, GDFO__ABI_EVENTLOG_SUMMARY, "gdfo_eventlog_get_summary");
}

int gdfo_eventlog_summary_json(char **out, const gdfo_eventlog *log)
{
	gdfo__buf b = {0};
	const gdfo_eventlog_summary *s;
	char dur[32];
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_eventlog_summary_json: out is NULL");
	*out = NULL;
	if (!log)
		return gdfo__error(GDFO_EINVAL, "gdfo_eventlog_summary_json: log is NULL");
	s = &log->sum;
	if (s->has_app_duration)
		snprintf(dur, sizeof(dur), "%lld", (long long)s->app_duration_ms);
	else
		strcpy(dur, "null");
	rc = gdfo__buf_printf(&b,
			      "{\"stages_completed\": %lld, \"stages_failed\": %lld, \"tasks\": %lld, "
			      "\"tasks_failed\": %lld, \"executor_run_ms\": %lld, \"shuffle_write_bytes\": %lld, "
			      "\"shuffle_read_bytes\": %lld, \"memory_spill_bytes\": %lld, \"disk_spill_bytes\": %lld, "
			      "\"executors_added\": %lld, \"executors_removed\": %lld, \"malformed_lines\": %lld, "
			      "\"app_duration_ms\": %s}",
			      (long long)s->stages_completed, (long long)s->stages_failed, (long long)s->tasks,
			      (long long)s->tasks_failed, (long long)s->executor_run_ms,
			      (long long)s->shuffle_write_bytes, (long long)s->shuffle_read_bytes,
			      (long long)s->memory_spill_bytes, (long long)s->disk_spill_bytes,
			      (long long)s->executors_added, (long long)s->executors_removed,
			      (long long)s->malformed_lines, dur);
	if (rc) {
		gdfo__buf_free(&b);
		return gdfo__error(GDFO_ENOMEM, "out of memory writing the event-log summary");
	}
	return gdfo__buf_detach(&b, out);
}

const char *gdfo_eventlog_config(const gdfo_eventlog *log, const char *key)
{
	size_t i;
	if (!log || !key)
		return NULL;
	for (i = 0; i < log->n_conf; i++)
		if (!strcmp(log->conf[i].key, key))
			return log->conf[i].value;
	return NULL;
}

size_t gdfo_eventlog_config_count(const gdfo_eventlog *log)
{
	return log ? log->n_conf : 0;
}

int gdfo_eventlog_config_at(const char **key, const char **value, const gdfo_eventlog *log, size_t index)
{
	if (!key || !value || !log)
		return gdfo__error(GDFO_EINVAL, "gdfo_eventlog_config_at: an argument is NULL");
	*key = *value = NULL;
	if (index >= log->n_conf)
		return gdfo__error(GDFO_ERANGE, "configuration index %zu is out of range (the log has %zu properties)",
				   index, log->n_conf);
	*key = log->conf[index].key;
	*value = log->conf[index].value;
	return 0;
}

size_t gdfo_eventlog_executor_event_count(const gdfo_eventlog *log)
{
	return log ? log->n_execs : 0;
}

int gdfo_eventlog_executor_event_at(gdfo_executor_event *out, const gdfo_eventlog *log, size_t index)
{
	const gdfo__ev_exec *e;
	gdfo_executor_event full;

	if (!out || !log)
		return gdfo__error(GDFO_EINVAL, "gdfo_eventlog_executor_event_at: %s is NULL", out ? "log" : "out");
	if (index >= log->n_execs)
		return gdfo__error(GDFO_ERANGE, "executor event index %zu is out of range (the log has %zu)", index,
				   log->n_execs);
	e = &log->execs[index];
	memset(&full, 0, sizeof(full));
	full.timestamp_ms = e->ts;
	full.executor_id = e->id;
	full.added = e->added;
	full.cores = e->cores;
	full.live = e->live;
	return gdfo__abi_out(out, &full, GDFO__ABI_EXECUTOR_EVENT, "gdfo_eventlog_executor_event_at");
}
