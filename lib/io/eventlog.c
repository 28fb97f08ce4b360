/*
 * Spark event logs: reading the events into a gdfo_eventlog, the summary
 * and the simple getters. The graph, telemetry and profile are built from
 * this state in eventlog_build.c.
 *
 * Each line is scanned once to find its "Event"; events that nothing here
 * needs (TaskStart, block manager and SQL metric updates, ...) are only
 * validated. A handler parses its event into locals and commits them only
 * when the whole line is valid JSON, so a malformed line never leaves
 * half an event behind. Like Python's json module, a repeated key takes
 * its last value.
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

/* Events this file handles. */
enum {
	EV_OTHER = 0,
	EV_LOG_START,
	EV_ENV_UPDATE,
	EV_APP_START,
	EV_APP_END,
	EV_EXEC_ADDED,
	EV_EXEC_REMOVED,
	EV_JOB_START,
	EV_JOB_END,
	EV_STAGE_SUBMITTED,
	EV_STAGE_COMPLETED,
	EV_TASK_END,
	EV_COUNT
};

/* Handler results besides 0 and negative statuses. */
#define R_BAD 1                 /* the line is malformed */
#define R_KIND(k) (16 + (k))    /* the line's last "Event" names another kind */
#define KIND_NONE (-1)          /* no "Event" member seen */
#define KIND_NOT_STRING (-2)    /* the last "Event" is not a string */

static const struct {
	const char *name;
	size_t len;
	int kind;
} event_names[] = {
#define E(s, k) {s, sizeof(s) - 1, k}
	E("SparkListenerTaskEnd", EV_TASK_END),
	E("SparkListenerStageCompleted", EV_STAGE_COMPLETED),
	E("SparkListenerStageSubmitted", EV_STAGE_SUBMITTED),
	E("SparkListenerJobStart", EV_JOB_START),
	E("SparkListenerJobEnd", EV_JOB_END),
	E("SparkListenerExecutorAdded", EV_EXEC_ADDED),
	E("SparkListenerExecutorRemoved", EV_EXEC_REMOVED),
	E("SparkListenerEnvironmentUpdate", EV_ENV_UPDATE),
	E("SparkListenerApplicationStart", EV_APP_START),
	E("SparkListenerApplicationEnd", EV_APP_END),
	E("SparkListenerLogStart", EV_LOG_START),
#undef E
};

static int event_kind(const gdfo__jstr *s)
{
	size_t i;
	for (i = 0; i < GDFO__ARRAY_LEN(event_names); i++)
		if (gdfo__jstr_eq(s, event_names[i].name, event_names[i].len))
			return event_names[i].kind;
	return EV_OTHER;
}

/* Reads the value of an "Event" member into *last. */
static int read_event(gdfo__js *j, int *last)
{
	gdfo__jstr v;
	int ok;
	if (gdfo__js_str_or_skip(j, &v, &ok))
		return -1;
	*last = ok ? event_kind(&v) : KIND_NOT_STRING;
	return 0;
}

/* After the top-level object: only whitespace may follow. */
static int at_end(gdfo__js *j)
{
	gdfo__js_ws(j);
	return j->p == j->end;
}

/* The result for a line whose members were read and whose last Event is last. */
static int finish(gdfo__js *j, int r, int last, int mine)
{
	if (r < 0 || !at_end(j) || last == KIND_NONE || last == KIND_NOT_STRING)
		return R_BAD;
	return last == mine ? 0 : R_KIND(last);
}

/* Reads an integer member value; a non-integer leaves *v and clears *has. */
static int get_int(gdfo__js *j, int64_t *v, int *has)
{
	int64_t x;
	int ok;
	if (gdfo__js_int(j, &x, &ok))
		return -1;
	if (ok)
		*v = x;
	if (has)
		*has = ok;
	return 0;
}

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

/* ---- operator hints from names ------------------------------------------------ */

static int contains(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle), i;
	if (m > n)
		return 0;
	for (i = 0; i + m <= n; i++)
		if (s[i] == needle[0] && !memcmp(s + i, needle, m))
			return 1;
	return 0;
}

/*
 * Operators suggested by a Spark SQL plan node, RDD scope or RDD/stage
 * operation name. Order matters: "SortMergeJoin" is a join, not a sort.
 */
static uint32_t op_hint(const char *s, size_t n)
{
	if (contains(s, n, "Join") || contains(s, n, "join") || contains(s, n, "Cartesian") ||
	    contains(s, n, "cogroup") || contains(s, n, "ZippedPartitions"))
		return 1u << GDFO_OP_JOIN;
	if (contains(s, n, "Aggregate") || contains(s, n, "reduceByKey") || contains(s, n, "groupBy") ||
	    contains(s, n, "aggregateByKey") || contains(s, n, "combineByKey") || contains(s, n, "countByKey") ||
	    contains(s, n, "distinct"))
		return 1u << GDFO_OP_AGGREGATE;
	if (contains(s, n, "Window"))
		return 1u << GDFO_OP_WINDOW;
	if (contains(s, n, "InsertInto") || contains(s, n, "WriteFiles") || contains(s, n, "saveAs") ||
	    contains(s, n, "DataWritingCommand") || contains(s, n, "AppendData") || contains(s, n, "OverwriteByExpression"))
		return 1u << GDFO_OP_SINK;
	if (contains(s, n, "Sort") || contains(s, n, "sortBy") || contains(s, n, "TakeOrdered") ||
	    contains(s, n, "takeOrdered"))
		return 1u << GDFO_OP_SORT;
	if (contains(s, n, "Union") || contains(s, n, "union"))
		return 1u << GDFO_OP_UNION;
	if (contains(s, n, "Filter") || contains(s, n, "filter"))
		return 1u << GDFO_OP_FILTER;
	if (contains(s, n, "Scan") || contains(s, n, "FileScanRDD") || contains(s, n, "HadoopRDD") ||
	    contains(s, n, "textFile") || contains(s, n, "parallelize") || contains(s, n, "makeRDD") ||
	    contains(s, n, "ParallelCollectionRDD"))
		return 1u << GDFO_OP_SOURCE;
	if (contains(s, n, "Python") || contains(s, n, "ArrowEval") || contains(s, n, "BatchEval") ||
	    contains(s, n, "ScalaUDF"))
		return 1u << GDFO_OP_UDF;
	return 0;
}

/* The "name" inside an RDD Scope string such as {"id":"2","name":"Exchange"}. */
static uint32_t scope_hint(const gdfo__jstr *scope)
{
	char buf[1024];
	long n = gdfo__jstr_decode(scope, buf, sizeof(buf));
	gdfo__js j;
	gdfo__jstr k, v;
	int r, ok;
	uint32_t bits = 0;

	if (n < 0)
		return 0;
	j.p = (const unsigned char *)buf;
	j.end = j.p + n;
	r = gdfo__js_obj_begin(&j);
	while (r == 1) {
		if (gdfo__js_obj_key(&j, &k))
			return bits;
		if (GDFO__KEY(&k, "name")) {
			if (gdfo__js_str_or_skip(&j, &v, &ok))
				return bits;
			if (ok) {
				char name[256];
				long m = gdfo__jstr_decode(&v, name, sizeof(name));
				if (m > 0)
					bits = op_hint(name, (size_t)m);
			}
		} else if (gdfo__js_skip(&j)) {
			return bits;
		}
		r = gdfo__js_obj_next(&j);
	}
	return bits;
}

/* ---- Stage Info ------------------------------------------------------------------ */

typedef struct stage_info {
	int64_t id;
	int has_id;
	gdfo__jstr name;
	int has_name;
	int64_t num_tasks;
	int has_tasks;
	int64_t parents[64];    /* the first 64 distinct parents */
	int64_t *more;          /* all parents when there are more than 64 */
	size_t n_parents, cap_more;
	int64_t max_rdd;
	uint32_t op_bits;
	int64_t submit, complete;
	int has_submit, has_complete;
	int failure;
} stage_info;

static void stage_info_init(stage_info *si)
{
	memset(si, 0, sizeof(*si));
	si->max_rdd = -1;
}

static const int64_t *stage_info_parents(const stage_info *si)
{
	return si->more ? si->more : si->parents;
}

static int add_parent(stage_info *si, int64_t p)
{
	const int64_t *cur = stage_info_parents(si);
	size_t i;
	for (i = 0; i < si->n_parents; i++)
		if (cur[i] == p)
			return 0;
	if (si->n_parents < GDFO__ARRAY_LEN(si->parents) && !si->more) {
		si->parents[si->n_parents++] = p;
		return 0;
	}
	if (!si->more) {
		si->cap_more = 2 * GDFO__ARRAY_LEN(si->parents);
		si->more = gdfo__malloc(si->cap_more * sizeof(*si->more));
		if (!si->more)
			return GDFO_ENOMEM;
		memcpy(si->more, si->parents, sizeof(si->parents));
	}
	if (gdfo__grow((void **)&si->more, &si->cap_more, si->n_parents + 1, sizeof(*si->more)))
		return GDFO_ENOMEM;
	si->more[si->n_parents++] = p;
	return 0;
}

/* Parses a Stage Info object. Returns 0, R_BAD or GDFO_ENOMEM. */
static int parse_stage_info(gdfo__js *j, stage_info *si)
{
	gdfo__jstr k, v;
	int r, ok, rc;

	r = gdfo__js_obj_begin(j);
	if (r < 0)
		return R_BAD;
	si->has_id = 0;
	while (r == 1) {
		if (gdfo__js_obj_key(j, &k))
			return R_BAD;
		if (GDFO__KEY(&k, "Stage ID")) {
			if (get_int(j, &si->id, &si->has_id))
				return R_BAD;
		} else if (GDFO__KEY(&k, "Stage Name")) {
			if (gdfo__js_str_or_skip(j, &v, &ok))
				return R_BAD;
			si->has_name = ok;
			if (ok)
				si->name = v;
		} else if (GDFO__KEY(&k, "Number of Tasks")) {
			if (get_int(j, &si->num_tasks, &si->has_tasks))
				return R_BAD;
		} else if (GDFO__KEY(&k, "Parent IDs")) {
			int a = gdfo__js_arr_begin(j);
			if (a < 0)
				return R_BAD;
			si->n_parents = 0;
			while (a == 1) {
				int64_t p;
				int has;
				if (get_int(j, &p, &has))
					return R_BAD;
				if (has && p >= 0 && (rc = add_parent(si, p)))
					return rc;
				a = gdfo__js_arr_next(j);
			}
			if (a < 0)
				return R_BAD;
		} else if (GDFO__KEY(&k, "RDD Info")) {
			int a = gdfo__js_arr_begin(j);
			if (a < 0)
				return R_BAD;
			si->max_rdd = -1;
			si->op_bits = 0;
			while (a == 1) {
				int o = gdfo__js_obj_begin(j);
				if (o < 0)
					return R_BAD;
				while (o == 1) {
					gdfo__jstr rk;
					if (gdfo__js_obj_key(j, &rk))
						return R_BAD;
					if (GDFO__KEY(&rk, "RDD ID")) {
						int64_t id;
						int has;
						if (get_int(j, &id, &has))
							return R_BAD;
						if (has && id > si->max_rdd)
							si->max_rdd = id;
					} else if (GDFO__KEY(&rk, "Scope")) {
						if (gdfo__js_str_or_skip(j, &v, &ok))
							return R_BAD;
						if (ok)
							si->op_bits |= scope_hint(&v);
					} else if (GDFO__KEY(&rk, "Name")) {
						if (gdfo__js_str_or_skip(j, &v, &ok))
							return R_BAD;
						if (ok && !v.esc)
							si->op_bits |= op_hint(v.s, v.n);
					} else if (gdfo__js_skip(j)) {
						return R_BAD;
					}
					o = gdfo__js_obj_next(j);
				}
				if (o < 0)
					return R_BAD;
				a = gdfo__js_arr_next(j);
			}
			if (a < 0)
				return R_BAD;
		} else if (GDFO__KEY(&k, "Submission Time")) {
			if (get_int(j, &si->submit, &si->has_submit))
				return R_BAD;
		} else if (GDFO__KEY(&k, "Completion Time")) {
			if (get_int(j, &si->complete, &si->has_complete))
				return R_BAD;
		} else if (GDFO__KEY(&k, "Failure Reason")) {
			gdfo__js_ws(j);
			si->failure = !(j->p < j->end && *j->p == 'n');
			if (gdfo__js_skip(j))
				return R_BAD;
		} else if (gdfo__js_skip(j)) {
			return R_BAD;
		}
		r = gdfo__js_obj_next(j);
	}
	return r < 0 ? R_BAD : 0;
}

/* Copies a parsed Stage Info into the stage table. full = from a stage event. */
static int stage_info_commit(gdfo_eventlog *log, const stage_info *si, int full, int64_t sql_exec)
{
	gdfo__ev_stage *s;
	uint32_t name_bits = 0;

	if (!si->has_id || si->id < 0)
		return 0;
	s = gdfo__eventlog_stage(log, si->id, 1);
	if (!s)
		return GDFO_ENOMEM;
	if (sql_exec >= 0)
		s->sql_exec = sql_exec;
	if (s->has_info && !full)
		return 0; /* a stage event already described it */
	if (si->has_name) {
		char *name = gdfo__jstr_dup(&si->name);
		char *at;
		if (!name)
			return GDFO_ENOMEM;
		free(s->name);
		s->name = name;
		at = strstr(name, " at ");
		name_bits = op_hint(name, at ? (size_t)(at - name) : strlen(name));
	}
	if (si->has_tasks)
		s->num_tasks = si->num_tasks;
	if (si->n_parents || full || !s->n_parents) {
		int64_t *p = NULL;
		if (si->n_parents) {
			p = gdfo__malloc(si->n_parents * sizeof(*p));
			if (!p)
				return GDFO_ENOMEM;
			memcpy(p, stage_info_parents(si), si->n_parents * sizeof(*p));
		}
		free(s->parents);
		s->parents = p;
		s->n_parents = si->n_parents;
	}
	if (si->max_rdd >= 0)
		s->max_rdd = si->max_rdd;
	s->op_bits = si->op_bits | name_bits;
	if (full) {
		s->has_info = 1;
		if (si->has_submit)
			s->submit_ms = si->submit;
		if (si->has_complete)
			s->complete_ms = si->complete;
	}
	return 0;
}

/* ---- handlers ------------------------------------------------------------------------ */

typedef int (*handler_fn)(gdfo_eventlog *log, gdfo__js *j);

/* StageSubmitted and StageCompleted. */
static int stage_event(gdfo_eventlog *log, gdfo__js *j, int mine)
{
	stage_info si;
	gdfo__jstr k;
	int r, last = KIND_NONE, rc = 0, has_si = 0;

	stage_info_init(&si);
	r = gdfo__js_obj_begin(j);
	if (r != 1) {
		rc = R_BAD;
		goto out;
	}
	while (r == 1) {
		if (gdfo__js_obj_key(j, &k)) {
			rc = R_BAD;
			goto out;
		}
		if (GDFO__KEY(&k, "Event")) {
			if (read_event(j, &last)) {
				rc = R_BAD;
				goto out;
			}
		} else if (GDFO__KEY(&k, "Stage Info")) {
			free(si.more);
			stage_info_init(&si);
			gdfo__js_ws(j);
			has_si = j->p < j->end && *j->p == '{';
			if ((rc = parse_stage_info(j, &si)))
				goto out;
		} else if (gdfo__js_skip(j)) {
			rc = R_BAD;
			goto out;
		}
		r = gdfo__js_obj_next(j);
	}
	if ((rc = finish(j, r, last, mine)))
		goto out;
	if (mine == EV_STAGE_COMPLETED) {
		if (si.failure)
			log->sum.stages_failed++;
		else
			log->sum.stages_completed++;
	}
	if (has_si) {
		gdfo__ev_stage *s;
		if ((rc = stage_info_commit(log, &si, 1, -1)))
			goto out;
		if (mine == EV_STAGE_COMPLETED && si.has_id && si.id >= 0 &&
		    (s = gdfo__eventlog_stage(log, si.id, 0))) {
			if (si.failure)
				s->failed++;
			else
				s->completed++;
			if (!si.failure && si.has_submit && (log->first_submit < 0 || si.submit < log->first_submit))
				log->first_submit = si.submit;
			if (!si.failure && si.has_complete && si.complete > log->last_complete)
				log->last_complete = si.complete;
		}
	}
out:
	free(si.more);
	return rc;
}

static int h_stage_submitted(gdfo_eventlog *log, gdfo__js *j)
{
	return stage_event(log, j, EV_STAGE_SUBMITTED);
}

static int h_stage_completed(gdfo_eventlog *log, gdfo__js *j)
{
	return stage_event(log, j, EV_STAGE_COMPLETED);
}

typedef struct task_metrics {
	int64_t run_ms, cpu_ns, peak_mem, mem_spill, disk_spill;
	int has_run, has_cpu, has_peak, has_mem_spill, has_disk_spill;
	int64_t remote_read, local_read, records_read;
	int has_remote, has_local, has_records_read;
	int64_t write_bytes, records_written;
	int has_write, has_records_written;
	int64_t in_bytes, in_records, out_bytes, out_records;
	int has_in_bytes, has_in_records, has_out_bytes, has_out_records;
} task_metrics;

/* Reads an object of integer members listed in fields (name, value, has). */
typedef struct int_field {
	const char *name;
	size_t len;
	int64_t *v;
	int *has;
} int_field;

static int read_int_fields(gdfo__js *j, const int_field *f, size_t n)
{
	gdfo__jstr k;
	size_t i;
	int r = gdfo__js_obj_begin(j);

	if (r < 0)
		return -1;
	for (i = 0; i < n; i++) /* a repeated member replaces the earlier one entirely */
		*f[i].has = 0;
	while (r == 1) {
		if (gdfo__js_obj_key(j, &k))
			return -1;
		for (i = 0; i < n; i++)
			if (gdfo__jstr_eq(&k, f[i].name, f[i].len))
				break;
		if (i < n) {
			if (get_int(j, f[i].v, f[i].has))
				return -1;
		} else if (gdfo__js_skip(j)) {
			return -1;
		}
		r = gdfo__js_obj_next(j);
	}
	return r < 0 ? -1 : 0;
}

#define F(s, v, h) {s, sizeof(s) - 1, &(v), &(h)}

static int parse_task_metrics(gdfo__js *j, task_metrics *m)
{
	gdfo__jstr k;
	int r;

	memset(m, 0, sizeof(*m));
	r = gdfo__js_obj_begin(j);
	if (r < 0)
		return -1;
	while (r == 1) {
		if (gdfo__js_obj_key(j, &k))
			return -1;
		if (GDFO__KEY(&k, "Executor Run Time")) {
			if (get_int(j, &m->run_ms, &m->has_run))
				return -1;
		} else if (GDFO__KEY(&k, "Executor CPU Time")) {
			if (get_int(j, &m->cpu_ns, &m->has_cpu))
				return -1;
		} else if (GDFO__KEY(&k, "Peak Execution Memory")) {
			if (get_int(j, &m->peak_mem, &m->has_peak))
				return -1;
		} else if (GDFO__KEY(&k, "Memory Bytes Spilled")) {
			if (get_int(j, &m->mem_spill, &m->has_mem_spill))
				return -1;
		} else if (GDFO__KEY(&k, "Disk Bytes Spilled")) {
			if (get_int(j, &m->disk_spill, &m->has_disk_spill))
				return -1;
		} else if (GDFO__KEY(&k, "Shuffle Read Metrics")) {
			const int_field f[] = {F("Remote Bytes Read", m->remote_read, m->has_remote),
					       F("Local Bytes Read", m->local_read, m->has_local),
					       F("Total Records Read", m->records_read, m->has_records_read)};
			if (read_int_fields(j, f, GDFO__ARRAY_LEN(f)))
				return -1;
		} else if (GDFO__KEY(&k, "Shuffle Write Metrics")) {
			const int_field f[] = {F("Shuffle Bytes Written", m->write_bytes, m->has_write),
					       F("Shuffle Records Written", m->records_written, m->has_records_written)};
			if (read_int_fields(j, f, GDFO__ARRAY_LEN(f)))
				return -1;
		} else if (GDFO__KEY(&k, "Input Metrics")) {
			const int_field f[] = {F("Bytes Read", m->in_bytes, m->has_in_bytes),
					       F("Records Read", m->in_records, m->has_in_records)};
			if (read_int_fields(j, f, GDFO__ARRAY_LEN(f)))
				return -1;
		} else if (GDFO__KEY(&k, "Output Metrics")) {
			const int_field f[] = {F("Bytes Written", m->out_bytes, m->has_out_bytes),
					       F("Records Written", m->out_records, m->has_out_records)};
			if (read_int_fields(j, f, GDFO__ARRAY_LEN(f)))
				return -1;
		} else if (gdfo__js_skip(j)) {
			return -1;
		}
		r = gdfo__js_obj_next(j);
	}
	return r < 0 ? -1 : 0;
}

/*
 * Reads an object and sets *out to 1 when its string member key equals
 * want ({"Reason": "Success"}), 0 otherwise. Returns nonzero on bad JSON.
 */
/* GDFO__KEY for a run-time string. */
static int str_is(const gdfo__jstr *s, const char *lit)
{
	size_t n = strlen(lit);
	return s->esc ? gdfo__jstr_eq(s, lit, n) : s->n == n && !memcmp(s->s, lit, n);
}

static int member_is(gdfo__js *j, const char *key, const char *want, int *out)
{
	gdfo__jstr k, v;
	int o = gdfo__js_obj_begin(j), ok;

	*out = 0;
	while (o == 1) {
		if (gdfo__js_obj_key(j, &k))
			return 1;
		if (str_is(&k, key)) {
			if (gdfo__js_str_or_skip(j, &v, &ok))
				return 1;
			*out = ok && str_is(&v, want);
		} else if (gdfo__js_skip(j)) {
			return 1;
		}
		o = gdfo__js_obj_next(j);
	}
	return o < 0;
}

static int h_task_end(gdfo_eventlog *log, gdfo__js *j)
{
	gdfo__jstr k;
	task_metrics m;
	int64_t stage_id = -1, launch = 0, finish_t = 0;
	int has_stage = 0, success = 0, has_launch = 0, has_finish = 0;
	int r, last = KIND_NONE, rc;

	memset(&m, 0, sizeof(m));
	r = gdfo__js_obj_begin(j);
	if (r != 1)
		return R_BAD;
	while (r == 1) {
		if (gdfo__js_obj_key(j, &k))
			return R_BAD;
		if (GDFO__KEY(&k, "Event")) {
			if (read_event(j, &last))
				return R_BAD;
		} else if (GDFO__KEY(&k, "Stage ID")) {
			if (get_int(j, &stage_id, &has_stage))
				return R_BAD;
		} else if (GDFO__KEY(&k, "Task End Reason")) {
			if (member_is(j, "Reason", "Success", &success))
				return R_BAD;
		} else if (GDFO__KEY(&k, "Task Info")) {
			const int_field f[] = {F("Launch Time", launch, has_launch),
					       F("Finish Time", finish_t, has_finish)};
			if (read_int_fields(j, f, GDFO__ARRAY_LEN(f)))
				return R_BAD;
		} else if (GDFO__KEY(&k, "Task Metrics")) {
			if (parse_task_metrics(j, &m))
				return R_BAD;
		} else if (gdfo__js_skip(j)) {
			return R_BAD;
		}
		r = gdfo__js_obj_next(j);
	}
	if ((rc = finish(j, r, last, EV_TASK_END)))
		return rc;

	log->sum.tasks++;
	if (!success)
		log->sum.tasks_failed++;
	if (m.has_run)
		log->sum.executor_run_ms += m.run_ms;
	if (m.has_cpu)
		log->sum.executor_cpu_ns += m.cpu_ns;
	if (m.has_write)
		log->sum.shuffle_write_bytes += m.write_bytes;
	if (m.has_remote)
		log->sum.shuffle_read_bytes += m.remote_read;
	if (m.has_local)
		log->sum.shuffle_read_bytes += m.local_read;
	if (m.has_mem_spill)
		log->sum.memory_spill_bytes += m.mem_spill;
	if (m.has_disk_spill)
		log->sum.disk_spill_bytes += m.disk_spill;
	if (m.has_in_bytes)
		log->sum.input_bytes += m.in_bytes;
	if (m.has_out_bytes)
		log->sum.output_bytes += m.out_bytes;
	if (m.has_in_records)
		log->records_in += m.in_records;

	if (has_stage && stage_id >= 0) {
		gdfo__ev_stage *s = gdfo__eventlog_stage(log, stage_id, 1);
		int64_t read = (m.has_in_bytes ? m.in_bytes : 0) + (m.has_remote ? m.remote_read : 0) +
			       (m.has_local ? m.local_read : 0);
		if (!s)
			return GDFO_ENOMEM;
		s->tasks++;
		if (!success)
			s->tasks_failed++;
		if (has_launch && (s->first_launch < 0 || launch < s->first_launch))
			s->first_launch = launch;
		if (has_finish && finish_t > s->last_finish)
			s->last_finish = finish_t;
		s->run_ms += m.has_run ? m.run_ms : 0;
		if (m.has_cpu) {
			s->cpu_ns += m.cpu_ns;
			s->has_cpu = 1;
		}
		if (m.has_peak) {
			if (!s->has_peak || m.peak_mem > s->peak_mem)
				s->peak_mem = m.peak_mem;
			s->has_peak = 1;
		}
		s->shuffle_read += (m.has_remote ? m.remote_read : 0) + (m.has_local ? m.local_read : 0);
		s->shuffle_write += m.has_write ? m.write_bytes : 0;
		s->mem_spill += m.has_mem_spill ? m.mem_spill : 0;
		s->disk_spill += m.has_disk_spill ? m.disk_spill : 0;
		if (success) {
			double ms = -1;
			s->ok_tasks++;
			if (has_launch && has_finish && finish_t >= launch)
				ms = (double)(finish_t - launch);
			else if (m.has_run && m.run_ms >= 0)
				ms = (double)m.run_ms;
			if (ms >= 0) {
				if (gdfo__grow((void **)&s->task_ms, &s->cap_task_ms, s->n_task_ms + 1,
					       sizeof(*s->task_ms)))
					return GDFO_ENOMEM;
				s->task_ms[s->n_task_ms++] = ms;
			}
			s->input_bytes += m.has_in_bytes ? m.in_bytes : 0;
			s->input_records += m.has_in_records ? m.in_records : 0;
			s->shuffle_records_read += m.has_records_read ? m.records_read : 0;
			s->shuffle_records_written += m.has_records_written ? m.records_written : 0;
			s->output_records += m.has_out_records ? m.out_records : 0;
			if (read > 0) {
				s->ok_read_bytes_sum += (double)read;
				if ((double)read > s->ok_read_bytes_max)
					s->ok_read_bytes_max = (double)read;
			}
		}
	}
	return 0;
}

static int h_job_start(gdfo_eventlog *log, gdfo__js *j)
{
	gdfo__jstr k, v;
	stage_info *infos = NULL;
	size_t n_infos = 0, cap_infos = 0, i;
	int64_t sql_exec = -1;
	int r, last = KIND_NONE, rc = 0, ok;

	r = gdfo__js_obj_begin(j);
	if (r != 1)
		return R_BAD;
	while (r == 1) {
		if (gdfo__js_obj_key(j, &k)) {
			rc = R_BAD;
			goto out;
		}
		if (GDFO__KEY(&k, "Event")) {
			if (read_event(j, &last)) {
				rc = R_BAD;
				goto out;
			}
		} else if (GDFO__KEY(&k, "Stage Infos")) {
			int a = gdfo__js_arr_begin(j);
			for (i = 0; i < n_infos; i++)
				free(infos[i].more);
			n_infos = 0;
			if (a < 0) {
				rc = R_BAD;
				goto out;
			}
			while (a == 1) {
				if (gdfo__grow((void **)&infos, &cap_infos, n_infos + 1, sizeof(*infos))) {
					rc = GDFO_ENOMEM;
					goto out;
				}
				stage_info_init(&infos[n_infos]);
				n_infos++;
				if ((rc = parse_stage_info(j, &infos[n_infos - 1])))
					goto out;
				a = gdfo__js_arr_next(j);
			}
			if (a < 0) {
				rc = R_BAD;
				goto out;
			}
		} else if (GDFO__KEY(&k, "Properties")) {
			int o = gdfo__js_obj_begin(j);
			if (o < 0) {
				rc = R_BAD;
				goto out;
			}
			sql_exec = -1;
			while (o == 1) {
				if (gdfo__js_obj_key(j, &k)) {
					rc = R_BAD;
					goto out;
				}
				if (GDFO__KEY(&k, "spark.sql.execution.id")) {
					if (gdfo__js_str_or_skip(j, &v, &ok)) {
						rc = R_BAD;
						goto out;
					}
					if (ok && !v.esc && v.n > 0 && v.n < 19) {
						size_t q;
						sql_exec = 0;
						for (q = 0; q < v.n && v.s[q] >= '0' && v.s[q] <= '9'; q++)
							sql_exec = sql_exec * 10 + (v.s[q] - '0');
						if (q < v.n)
							sql_exec = -1;
					}
				} else if (gdfo__js_skip(j)) {
					rc = R_BAD;
					goto out;
				}
				o = gdfo__js_obj_next(j);
			}
			if (o < 0) {
				rc = R_BAD;
				goto out;
			}
		} else if (gdfo__js_skip(j)) {
			rc = R_BAD;
			goto out;
		}
		r = gdfo__js_obj_next(j);
	}
	if ((rc = finish(j, r, last, EV_JOB_START)))
		goto out;
	log->sum.jobs++;
	for (i = 0; i < n_infos; i++)
		if ((rc = stage_info_commit(log, &infos[i], 0, sql_exec)))
			goto out;
out:
	for (i = 0; i < n_infos; i++)
		free(infos[i].more);
	free(infos);
	return rc;
}

static int h_job_end(gdfo_eventlog *log, gdfo__js *j)
{
	gdfo__jstr k;
	int r, last = KIND_NONE, rc, succeeded = 0;

	r = gdfo__js_obj_begin(j);
	if (r != 1)
		return R_BAD;
	while (r == 1) {
		if (gdfo__js_obj_key(j, &k))
			return R_BAD;
		if (GDFO__KEY(&k, "Event")) {
			if (read_event(j, &last))
				return R_BAD;
		} else if (GDFO__KEY(&k, "Job Result")) {
			if (member_is(j, "Result", "JobSucceeded", &succeeded))
				return R_BAD;
		} else if (gdfo__js_skip(j)) {
			return R_BAD;
		}
		r = gdfo__js_obj_next(j);
	}
	if ((rc = finish(j, r, last, EV_JOB_END)))
		return rc;
	if (!succeeded)
		log->sum.jobs_failed++;
	return 0;
}

static int live_index(const gdfo_eventlog *log, const char *id)
{
	size_t i;
	for (i = 0; i < log->n_live; i++)
		if (!strcmp(log->live[i], id))
			return (int)i;
	return -1;
}

static int executor_event(gdfo_eventlog *log, gdfo__js *j, int mine)
{
	gdfo__jstr k, id = {"", 0, 0};
	int64_t ts = -1, cores = 0;
	int has_ts = 0, has_cores = 0, ok;
	int r, last = KIND_NONE, rc;
	gdfo__ev_exec *e;
	char *sid;

	r = gdfo__js_obj_begin(j);
	if (r != 1)
		return R_BAD;
	while (r == 1) {
		if (gdfo__js_obj_key(j, &k))
			return R_BAD;
		if (GDFO__KEY(&k, "Event")) {
			if (read_event(j, &last))
				return R_BAD;
		} else if (GDFO__KEY(&k, "Timestamp")) {
			if (get_int(j, &ts, &has_ts))
				return R_BAD;
		} else if (GDFO__KEY(&k, "Executor ID")) {
			if (gdfo__js_str_or_skip(j, &id, &ok))
				return R_BAD;
			if (!ok)
				id.s = "", id.n = 0, id.esc = 0;
		} else if (GDFO__KEY(&k, "Executor Info")) {
			const int_field f[] = {F("Total Cores", cores, has_cores)};
			if (read_int_fields(j, f, 1))
				return R_BAD;
		} else if (gdfo__js_skip(j)) {
			return R_BAD;
		}
		r = gdfo__js_obj_next(j);
	}
	if ((rc = finish(j, r, last, mine)))
		return rc;
	if (mine == EV_EXEC_ADDED)
		log->sum.executors_added++;
	else
		log->sum.executors_removed++;
	if (gdfo__grow((void **)&log->execs, &log->cap_execs, log->n_execs + 1, sizeof(*log->execs)))
		return GDFO_ENOMEM;
	if (!(sid = gdfo__jstr_dup(&id)))
		return GDFO_ENOMEM;
	e = &log->execs[log->n_execs++];
	e->ts = has_ts ? ts : -1;
	e->id = sid;
	e->added = mine == EV_EXEC_ADDED;
	e->cores = has_cores && cores > 0 && cores <= INT32_MAX ? (int32_t)cores : 0;
	if (e->added) {
		if (live_index(log, sid) < 0) {
			char *copy;
			if (gdfo__grow((void **)&log->live, &log->cap_live, log->n_live + 1, sizeof(*log->live)) ||
			    !(copy = gdfo__strdup(sid)))
				return GDFO_ENOMEM;
			log->live[log->n_live++] = copy;
		}
		if (e->cores > log->sum.executor_cores)
			log->sum.executor_cores = e->cores;
	} else {
		int i = live_index(log, sid);
		if (i >= 0) {
			free(log->live[i]);
			log->live[i] = log->live[--log->n_live];
		}
	}
	e->live = (int32_t)log->n_live;
	if (e->live > log->sum.executors_max_live)
		log->sum.executors_max_live = e->live;
	return 0;
}

static int h_exec_added(gdfo_eventlog *log, gdfo__js *j)
{
	return executor_event(log, j, EV_EXEC_ADDED);
}

static int h_exec_removed(gdfo_eventlog *log, gdfo__js *j)
{
	return executor_event(log, j, EV_EXEC_REMOVED);
}

static void free_conf(gdfo__kv *kv, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static int h_env_update(gdfo_eventlog *log, gdfo__js *j)
{
	gdfo__jstr k, v;
	gdfo__kv *kv = NULL;
	size_t n = 0, cap = 0;
	int r, last = KIND_NONE, rc = 0, ok, seen = 0;

	r = gdfo__js_obj_begin(j);
	if (r != 1)
		return R_BAD;
	while (r == 1) {
		if (gdfo__js_obj_key(j, &k)) {
			rc = R_BAD;
			goto out;
		}
		if (GDFO__KEY(&k, "Event")) {
			if (read_event(j, &last)) {
				rc = R_BAD;
				goto out;
			}
		} else if (GDFO__KEY(&k, "Spark Properties")) {
			int o = gdfo__js_obj_begin(j);
			free_conf(kv, n);
			kv = NULL;
			n = cap = 0;
			if (o < 0) {
				rc = R_BAD;
				goto out;
			}
			seen = o != 2;
			while (o == 1) {
				if (gdfo__js_obj_key(j, &k) || gdfo__js_str_or_skip(j, &v, &ok)) {
					rc = R_BAD;
					goto out;
				}
				if (ok) {
					size_t i;
					char *key = gdfo__jstr_dup(&k), *val = key ? gdfo__jstr_dup(&v) : NULL;
					if (!val) {
						free(key);
						rc = GDFO_ENOMEM;
						goto out;
					}
					for (i = 0; i < n && strcmp(kv[i].key, key); i++)
						;
					if (i < n) { /* a repeated key keeps its last value */
						free(kv[i].value);
						kv[i].value = val;
						free(key);
					} else {
						if (gdfo__grow((void **)&kv, &cap, n + 1, sizeof(*kv))) {
							free(key);
							free(val);
							rc = GDFO_ENOMEM;
							goto out;
						}
						kv[n].key = key;
						kv[n].value = val;
						n++;
					}
				}
				o = gdfo__js_obj_next(j);
			}
			if (o < 0) {
				rc = R_BAD;
				goto out;
			}
		} else if (gdfo__js_skip(j)) {
			rc = R_BAD;
			goto out;
		}
		r = gdfo__js_obj_next(j);
	}
	if ((rc = finish(j, r, last, EV_ENV_UPDATE)))
		goto out;
	if (seen) {
		free_conf(log->conf, log->n_conf);
		log->conf = kv;
		log->n_conf = n;
		log->cap_conf = cap;
		kv = NULL;
		n = 0;
	}
out:
	free_conf(kv, n);
	return rc;
}

/* LogStart, ApplicationStart and ApplicationEnd: a few scalar members. */
static int app_event(gdfo_eventlog *log, gdfo__js *j, int mine)
{
	gdfo__jstr k, version = {0}, name = {0}, id = {0};
	int has_version = 0, has_name = 0, has_id = 0, has_ts = 0;
	int64_t ts = 0;
	int r, last = KIND_NONE, rc;

	r = gdfo__js_obj_begin(j);
	if (r != 1)
		return R_BAD;
	while (r == 1) {
		if (gdfo__js_obj_key(j, &k))
			return R_BAD;
		if (GDFO__KEY(&k, "Event")) {
			if (read_event(j, &last))
				return R_BAD;
		} else if (GDFO__KEY(&k, "Spark Version")) {
			if (gdfo__js_str_or_skip(j, &version, &has_version))
				return R_BAD;
		} else if (GDFO__KEY(&k, "App Name")) {
			if (gdfo__js_str_or_skip(j, &name, &has_name))
				return R_BAD;
		} else if (GDFO__KEY(&k, "App ID")) {
			if (gdfo__js_str_or_skip(j, &id, &has_id))
				return R_BAD;
		} else if (GDFO__KEY(&k, "Timestamp")) {
			if (get_int(j, &ts, &has_ts))
				return R_BAD;
		} else if (gdfo__js_skip(j)) {
			return R_BAD;
		}
		r = gdfo__js_obj_next(j);
	}
	if ((rc = finish(j, r, last, mine)))
		return rc;
	if (mine == EV_LOG_START && has_version) {
		char *s = gdfo__jstr_dup(&version);
		if (!s)
			return GDFO_ENOMEM;
		free(log->spark_version);
		log->spark_version = s;
	}
	if (mine == EV_APP_START) {
		if (has_name && !log->app_name && !(log->app_name = gdfo__jstr_dup(&name)))
			return GDFO_ENOMEM;
		if (has_id && !log->app_id && !(log->app_id = gdfo__jstr_dup(&id)))
			return GDFO_ENOMEM;
		if (has_ts && !log->have_start) {
			log->have_start = 1;
			log->app_start = ts;
		}
	}
	if (mine == EV_APP_END && has_ts) {
		log->have_end = 1;
		log->app_end = ts;
	}
	return 0;
}

static int h_log_start(gdfo_eventlog *log, gdfo__js *j)
{
	return app_event(log, j, EV_LOG_START);
}

static int h_app_start(gdfo_eventlog *log, gdfo__js *j)
{
	return app_event(log, j, EV_APP_START);
}

static int h_app_end(gdfo_eventlog *log, gdfo__js *j)
{
	return app_event(log, j, EV_APP_END);
}

static const handler_fn handlers[EV_COUNT] = {
	[EV_LOG_START] = h_log_start,
	[EV_ENV_UPDATE] = h_env_update,
	[EV_APP_START] = h_app_start,
	[EV_APP_END] = h_app_end,
	[EV_EXEC_ADDED] = h_exec_added,
	[EV_EXEC_REMOVED] = h_exec_removed,
	[EV_JOB_START] = h_job_start,
	[EV_JOB_END] = h_job_end,
	[EV_STAGE_SUBMITTED] = h_stage_submitted,
	[EV_STAGE_COMPLETED] = h_stage_completed,
	[EV_TASK_END] = h_task_end,
};

/*
 * First pass: the kind named by the first "Event" member. If nothing here
 * handles it, the rest of the line is validated and the last "Event"
 * decides. Returns a kind, KIND_* or R_BAD (as -100).
 */
#define FIRST_BAD (-100)
static int first_pass(const char *line, size_t len)
{
	gdfo__js j = {(const unsigned char *)line, (const unsigned char *)line + len};
	gdfo__jstr k;
	int r, last = KIND_NONE;

	r = gdfo__js_obj_begin(&j);
	if (r != 1)
		return FIRST_BAD;
	while (r == 1) {
		if (gdfo__js_obj_key(&j, &k))
			return FIRST_BAD;
		if (GDFO__KEY(&k, "Event")) {
			if (read_event(&j, &last))
				return FIRST_BAD;
			if (last > EV_OTHER)
				return last; /* its handler reads the whole line */
		} else if (gdfo__js_skip(&j)) {
			return FIRST_BAD;
		}
		r = gdfo__js_obj_next(&j);
	}
	if (r < 0 || !at_end(&j) || last == KIND_NONE || last == KIND_NOT_STRING)
		return FIRST_BAD;
	return last;
}

int gdfo__eventlog_line(void *user, const char *line, size_t len)
{
	gdfo_eventlog *log = user;
	gdfo__js j;
	int kind, rc, tries;

	if (!line) { /* longer than max_line */
		log->sum.lines++;
		log->sum.malformed_lines++;
		return 0;
	}
	j.p = (const unsigned char *)line;
	j.end = j.p + len;
	gdfo__js_ws(&j);
	if (j.p == j.end)
		return 0; /* blank */
	log->sum.lines++;
	kind = first_pass(line, len);
	for (tries = 0; tries < 3; tries++) {
		if (kind == FIRST_BAD) {
			log->sum.malformed_lines++;
			return 0;
		}
		if (kind == EV_OTHER) {
			log->sum.events++;
			return 0;
		}
		j.p = (const unsigned char *)line;
		rc = handlers[kind](log, &j);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			log->sum.events++;
			return 0;
		}
		kind = rc == R_BAD ? FIRST_BAD : rc - 16;
	}
	log->sum.malformed_lines++; /* cannot happen: the second handler sees the same last Event */
	return 0;
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
	free_conf(log->conf, log->n_conf);
	free(log->codegen);
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
