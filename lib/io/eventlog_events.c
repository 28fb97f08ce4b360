/*
 * The events of a Spark event log, read into a gdfo_eventlog.
 *
 * Each line is scanned once to find its "Event"; events that nothing here
 * needs (TaskStart, block manager and SQL metric updates, ...) are only
 * validated. A handler reads its event into a struct of locals and commits
 * them only when the whole line is valid JSON, so a malformed line never
 * leaves half an event behind. What a handler reads is a member table
 * (key, type, where it goes in the locals): one walker, read_members,
 * reads every object. Like Python's json module, a repeated key takes its
 * last value, and a repeated object replaces the earlier one entirely.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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

/* Results besides 0 and negative statuses. */
#define R_BAD 1                 /* the line is malformed */
#define R_KIND(k) (16 + (k))    /* the line's last "Event" names another kind */
#define KIND_NONE (-1)          /* no "Event" member seen */
#define KIND_NOT_STRING (-2)    /* the last "Event" is not a string */

/* ---- the member walker ---------------------------------------------------------- */

enum {
	M_EVENT, /* "Event": the kind named (int at off) */
	M_INT,   /* an integer (int64_t at off); anything else clears has */
	M_STR,   /* a string (gdfo__jstr at off); anything else clears has */
	M_OBJ,   /* an object read with the table sub (its has flags cleared first) */
	M_FN,    /* fn reads the value */
};

typedef struct member {
	const char *key;
	size_t len;
	int type;
	size_t off;
	ptrdiff_t has;             /* offset of an int set when the value was read, or -1 */
	const struct member *sub;  /* M_OBJ; tables end with a NULL key */
	int (*fn)(gdfo__js *j, void *ctx); /* M_FN: 0, R_BAD or a negative status */
} member;

#define MEM(k, type, off, has, sub, fn) {k, sizeof(k) - 1, type, off, has, sub, fn}
#define M_EVENT_OF(T) MEM("Event", M_EVENT, offsetof(T, last), -1, NULL, NULL)
#define M_INT_OF(k, T, f, h) MEM(k, M_INT, offsetof(T, f), offsetof(T, h), NULL, NULL)
#define M_STR_OF(k, T, f, h) MEM(k, M_STR, offsetof(T, f), offsetof(T, h), NULL, NULL)
#define M_OBJ_OF(k, sub) MEM(k, M_OBJ, 0, -1, sub, NULL)
#define M_FN_OF(k, fn) MEM(k, M_FN, 0, -1, NULL, fn)
#define M_FN_HAS(k, T, h, fn) MEM(k, M_FN, 0, offsetof(T, h), NULL, fn)
#define M_END {NULL, 0, 0, 0, -1, NULL, NULL}

static const struct {
	const char *name;
	size_t len;
	int kind;
} event_names[] = {
#define E(s, k) {s, sizeof(s) - 1, k}
	E("SparkListenerTaskEnd", EV_TASK_END), /* the most frequent first */
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

/* The result for a line whose members were all read and whose last Event is last. */
static int finish(gdfo__js *j, int last, int mine)
{
	if (!at_end(j) || last == KIND_NONE || last == KIND_NOT_STRING)
		return R_BAD;
	return last == mine ? 0 : R_KIND(last);
}

/* k equals lit[0..n) (n > 0); the length and first byte reject most keys before memcmp. */
static int key_is(const gdfo__jstr *k, const char *lit, size_t n)
{
	if (k->esc)
		return gdfo__jstr_eq(k, lit, n);
	return k->n == n && k->s[0] == lit[0] && !memcmp(k->s, lit, n);
}

static int *has_of(const member *m, void *ctx)
{
	return (int *)((char *)ctx + m->has);
}

/* Clears the has flags of t and of the tables nested in it. */
static void clear_members(const member *t, void *ctx)
{
	for (; t->key; t++) {
		if (t->has >= 0)
			*has_of(t, ctx) = 0;
		if (t->type == M_OBJ)
			clear_members(t->sub, ctx);
	}
}

static int read_members(gdfo__js *j, const member *t, void *ctx, int top);

static int read_member(gdfo__js *j, const member *m, void *ctx)
{
	void *at = (char *)ctx + m->off;
	gdfo__jstr v;
	int64_t x;
	int ok;

	switch (m->type) {
	case M_EVENT:
		return read_event(j, at) ? R_BAD : 0;
	case M_INT:
		if (gdfo__js_int(j, &x, &ok))
			return R_BAD;
		if (ok)
			*(int64_t *)at = x;
		*has_of(m, ctx) = ok;
		return 0;
	case M_STR:
		if (gdfo__js_str_or_skip(j, &v, &ok))
			return R_BAD;
		if (ok)
			*(gdfo__jstr *)at = v;
		*has_of(m, ctx) = ok;
		return 0;
	case M_OBJ:
		return read_members(j, m->sub, ctx, 0);
	default:
		return m->fn(j, ctx);
	}
}

/*
 * Reads an object member by member as the table t says; members it does
 * not list are validated and skipped. top: the line's object, which must
 * have members. A nested value that is not an object is skipped (its
 * fields stay unset). Returns 0, R_BAD or a negative status.
 */
static int read_members(gdfo__js *j, const member *t, void *ctx, int top)
{
	gdfo__jstr k;
	int r = gdfo__js_obj_begin(j), rc;

	if (top ? r != 1 : r < 0)
		return R_BAD;
	if (!top)
		clear_members(t, ctx);
	while (r == 1) {
		const member *m;
		if (gdfo__js_obj_key(j, &k))
			return R_BAD;
		for (m = t; m->key && !key_is(&k, m->key, m->len); m++)
			;
		if (m->key) {
			if ((rc = read_member(j, m, ctx)))
				return rc;
		} else if (gdfo__js_skip(j)) {
			return R_BAD;
		}
		r = gdfo__js_obj_next(j);
	}
	return r < 0 ? R_BAD : 0;
}

/* Reads an array, each element with fn(j, ctx). */
static int read_array(gdfo__js *j, int (*fn)(gdfo__js *j, void *ctx), void *ctx)
{
	int a = gdfo__js_arr_begin(j), rc;

	if (a < 0)
		return R_BAD;
	while (a == 1) {
		if ((rc = fn(j, ctx)))
			return rc;
		a = gdfo__js_arr_next(j);
	}
	return a < 0 ? R_BAD : 0;
}

/* s equals the literal (escapes decoded). */
static int str_is(const gdfo__jstr *s, const char *lit)
{
	return key_is(s, lit, strlen(lit));
}

/* ---- Stage Info ---------------------------------------------------------------------- */

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

static int parent_id(gdfo__js *j, void *ctx)
{
	int64_t p;
	int has;
	if (gdfo__js_int(j, &p, &has))
		return R_BAD;
	return has && p >= 0 ? add_parent(ctx, p) : 0;
}

static int parent_ids(gdfo__js *j, void *ctx)
{
	((stage_info *)ctx)->n_parents = 0;
	return read_array(j, parent_id, ctx);
}

static int rdd_id(gdfo__js *j, void *ctx)
{
	stage_info *si = ctx;
	int64_t id;
	int has;
	if (gdfo__js_int(j, &id, &has))
		return R_BAD;
	if (has && id > si->max_rdd)
		si->max_rdd = id;
	return 0;
}

static int rdd_scope(gdfo__js *j, void *ctx)
{
	gdfo__jstr v;
	int ok;
	if (gdfo__js_str_or_skip(j, &v, &ok))
		return R_BAD;
	if (ok)
		((stage_info *)ctx)->op_bits |= gdfo__eventlog_scope_hint(&v);
	return 0;
}

static int rdd_name(gdfo__js *j, void *ctx)
{
	gdfo__jstr v;
	int ok;
	if (gdfo__js_str_or_skip(j, &v, &ok))
		return R_BAD;
	if (ok && !v.esc)
		((stage_info *)ctx)->op_bits |= gdfo__eventlog_op_hint(v.s, v.n);
	return 0;
}

static const member rdd_members[] = {
	M_FN_OF("RDD ID", rdd_id),
	M_FN_OF("Scope", rdd_scope),
	M_FN_OF("Name", rdd_name),
	M_END,
};

static int rdd(gdfo__js *j, void *ctx)
{
	return read_members(j, rdd_members, ctx, 0);
}

static int rdd_info(gdfo__js *j, void *ctx)
{
	stage_info *si = ctx;
	si->max_rdd = -1;
	si->op_bits = 0;
	return read_array(j, rdd, ctx);
}

/* Any value but null is a failure. */
static int failure_reason(gdfo__js *j, void *ctx)
{
	gdfo__js_ws(j);
	((stage_info *)ctx)->failure = !(j->p < j->end && *j->p == 'n');
	return gdfo__js_skip(j) ? R_BAD : 0;
}

static const member stage_info_members[] = {
	M_INT_OF("Stage ID", stage_info, id, has_id),
	M_STR_OF("Stage Name", stage_info, name, has_name),
	M_INT_OF("Number of Tasks", stage_info, num_tasks, has_tasks),
	M_FN_OF("Parent IDs", parent_ids),
	M_FN_OF("RDD Info", rdd_info),
	M_INT_OF("Submission Time", stage_info, submit, has_submit),
	M_INT_OF("Completion Time", stage_info, complete, has_complete),
	M_FN_OF("Failure Reason", failure_reason),
	M_END,
};

/* Parses a Stage Info object into a fresh si. Returns 0, R_BAD or GDFO_ENOMEM. */
static int parse_stage_info(gdfo__js *j, stage_info *si)
{
	return read_members(j, stage_info_members, si, 0);
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
		name_bits = gdfo__eventlog_op_hint(name, at ? (size_t)(at - name) : strlen(name));
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

/* ---- StageSubmitted, StageCompleted ------------------------------------------------ */

typedef struct stage_event {
	int last;
	stage_info si;
	int has_si;   /* "Stage Info" is an object */
} stage_event;

static int stage_event_info(gdfo__js *j, void *ctx)
{
	stage_event *e = ctx;
	free(e->si.more);
	stage_info_init(&e->si);
	gdfo__js_ws(j);
	e->has_si = j->p < j->end && *j->p == '{';
	return parse_stage_info(j, &e->si);
}

static const member stage_event_members[] = {
	M_EVENT_OF(stage_event),
	M_FN_OF("Stage Info", stage_event_info),
	M_END,
};

/* A stage event's Stage Info into the stage table; a completion into the stage's counts. */
static int stage_event_commit(gdfo_eventlog *log, const stage_info *si, int mine)
{
	gdfo__ev_stage *s;
	int rc;

	if ((rc = stage_info_commit(log, si, 1, -1)))
		return rc;
	if (mine == EV_STAGE_COMPLETED && si->has_id && si->id >= 0 && (s = gdfo__eventlog_stage(log, si->id, 0))) {
		if (si->failure)
			s->failed++;
		else
			s->completed++;
		if (!si->failure && si->has_submit && (log->first_submit < 0 || si->submit < log->first_submit))
			log->first_submit = si->submit;
		if (!si->failure && si->has_complete && si->complete > log->last_complete)
			log->last_complete = si->complete;
	}
	return 0;
}

static int h_stage(gdfo_eventlog *log, gdfo__js *j, int mine)
{
	stage_event e = {.last = KIND_NONE};
	int rc;

	stage_info_init(&e.si);
	if (!(rc = read_members(j, stage_event_members, &e, 1)) && !(rc = finish(j, e.last, mine))) {
		if (mine == EV_STAGE_COMPLETED) {
			if (e.si.failure)
				log->sum.stages_failed++;
			else
				log->sum.stages_completed++;
		}
		if (e.has_si)
			rc = stage_event_commit(log, &e.si, mine);
	}
	free(e.si.more);
	return rc;
}

/* ---- TaskEnd --------------------------------------------------------------------------- */

typedef struct task_end {
	int last;
	int64_t stage_id;
	int has_stage_id;
	gdfo__jstr reason;
	int has_reason;
	int64_t launch, finish;
	int has_launch, has_finish;
	int64_t run_ms, cpu_ns, peak_mem, mem_spill, disk_spill;
	int has_run, has_cpu, has_peak, has_mem_spill, has_disk_spill;
	int64_t remote_read, local_read, records_read;
	int has_remote, has_local, has_records_read;
	int64_t write_bytes, records_written;
	int has_write, has_records_written;
	int64_t in_bytes, in_records, out_bytes, out_records;
	int has_in_bytes, has_in_records, has_out_bytes, has_out_records;
} task_end;

static const member task_reason_members[] = {
	M_STR_OF("Reason", task_end, reason, has_reason),
	M_END,
};

static const member task_info_members[] = {
	M_INT_OF("Launch Time", task_end, launch, has_launch),
	M_INT_OF("Finish Time", task_end, finish, has_finish),
	M_END,
};

static const member shuffle_read_members[] = {
	M_INT_OF("Remote Bytes Read", task_end, remote_read, has_remote),
	M_INT_OF("Local Bytes Read", task_end, local_read, has_local),
	M_INT_OF("Total Records Read", task_end, records_read, has_records_read),
	M_END,
};

static const member shuffle_write_members[] = {
	M_INT_OF("Shuffle Bytes Written", task_end, write_bytes, has_write),
	M_INT_OF("Shuffle Records Written", task_end, records_written, has_records_written),
	M_END,
};

static const member input_members[] = {
	M_INT_OF("Bytes Read", task_end, in_bytes, has_in_bytes),
	M_INT_OF("Records Read", task_end, in_records, has_in_records),
	M_END,
};

static const member output_members[] = {
	M_INT_OF("Bytes Written", task_end, out_bytes, has_out_bytes),
	M_INT_OF("Records Written", task_end, out_records, has_out_records),
	M_END,
};

static const member task_metrics_members[] = {
	M_INT_OF("Executor Run Time", task_end, run_ms, has_run),
	M_INT_OF("Executor CPU Time", task_end, cpu_ns, has_cpu),
	M_INT_OF("Peak Execution Memory", task_end, peak_mem, has_peak),
	M_INT_OF("Memory Bytes Spilled", task_end, mem_spill, has_mem_spill),
	M_INT_OF("Disk Bytes Spilled", task_end, disk_spill, has_disk_spill),
	M_OBJ_OF("Shuffle Read Metrics", shuffle_read_members),
	M_OBJ_OF("Shuffle Write Metrics", shuffle_write_members),
	M_OBJ_OF("Input Metrics", input_members),
	M_OBJ_OF("Output Metrics", output_members),
	M_END,
};

static const member task_end_members[] = {
	M_EVENT_OF(task_end),
	M_INT_OF("Stage ID", task_end, stage_id, has_stage_id),
	M_OBJ_OF("Task End Reason", task_reason_members),
	M_OBJ_OF("Task Info", task_info_members),
	M_OBJ_OF("Task Metrics", task_metrics_members),
	M_END,
};

static void task_end_summary(gdfo_eventlog *log, const task_end *m, int success)
{
	log->sum.tasks++;
	if (!success)
		log->sum.tasks_failed++;
	if (m->has_run)
		log->sum.executor_run_ms += m->run_ms;
	if (m->has_cpu)
		log->sum.executor_cpu_ns += m->cpu_ns;
	if (m->has_write)
		log->sum.shuffle_write_bytes += m->write_bytes;
	if (m->has_remote)
		log->sum.shuffle_read_bytes += m->remote_read;
	if (m->has_local)
		log->sum.shuffle_read_bytes += m->local_read;
	if (m->has_mem_spill)
		log->sum.memory_spill_bytes += m->mem_spill;
	if (m->has_disk_spill)
		log->sum.disk_spill_bytes += m->disk_spill;
	if (m->has_in_bytes)
		log->sum.input_bytes += m->in_bytes;
	if (m->has_out_bytes)
		log->sum.output_bytes += m->out_bytes;
	if (m->has_in_records)
		log->records_in += m->in_records;
}

/* A successful task's duration and volumes; the durations make the profile. */
static int task_end_success(gdfo__ev_stage *s, const task_end *m)
{
	int64_t read = (m->has_in_bytes ? m->in_bytes : 0) + (m->has_remote ? m->remote_read : 0) +
		       (m->has_local ? m->local_read : 0);
	double ms = -1;

	s->ok_tasks++;
	if (m->has_launch && m->has_finish && m->finish >= m->launch)
		ms = (double)(m->finish - m->launch);
	else if (m->has_run && m->run_ms >= 0)
		ms = (double)m->run_ms;
	if (ms >= 0) {
		if (gdfo__grow((void **)&s->task_ms, &s->cap_task_ms, s->n_task_ms + 1, sizeof(*s->task_ms)))
			return GDFO_ENOMEM;
		s->task_ms[s->n_task_ms++] = ms;
	}
	s->input_bytes += m->has_in_bytes ? m->in_bytes : 0;
	s->input_records += m->has_in_records ? m->in_records : 0;
	s->shuffle_records_read += m->has_records_read ? m->records_read : 0;
	s->shuffle_records_written += m->has_records_written ? m->records_written : 0;
	s->output_records += m->has_out_records ? m->out_records : 0;
	if (read > 0) {
		s->ok_read_bytes_sum += (double)read;
		if ((double)read > s->ok_read_bytes_max)
			s->ok_read_bytes_max = (double)read;
	}
	return 0;
}

static int h_task_end(gdfo_eventlog *log, gdfo__js *j, int mine)
{
	task_end m = {.last = KIND_NONE};
	gdfo__ev_stage *s;
	int rc, success;

	if ((rc = read_members(j, task_end_members, &m, 1)) || (rc = finish(j, m.last, mine)))
		return rc;
	success = m.has_reason && str_is(&m.reason, "Success");
	task_end_summary(log, &m, success);
	if (!m.has_stage_id || m.stage_id < 0)
		return 0;
	if (!(s = gdfo__eventlog_stage(log, m.stage_id, 1)))
		return GDFO_ENOMEM;
	s->tasks++;
	if (!success)
		s->tasks_failed++;
	if (m.has_launch && (s->first_launch < 0 || m.launch < s->first_launch))
		s->first_launch = m.launch;
	if (m.has_finish && m.finish > s->last_finish)
		s->last_finish = m.finish;
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
	return success ? task_end_success(s, &m) : 0;
}

/* ---- JobStart, JobEnd ----------------------------------------------------------------- */

typedef struct job_start {
	int last;
	stage_info *infos;
	size_t n_infos, cap_infos;
	int64_t sql_exec;
	int has_sql_exec;
} job_start;

static void job_start_free_infos(job_start *e)
{
	size_t i;
	for (i = 0; i < e->n_infos; i++)
		free(e->infos[i].more);
	e->n_infos = 0;
}

static int job_stage_info(gdfo__js *j, void *ctx)
{
	job_start *e = ctx;
	if (gdfo__grow((void **)&e->infos, &e->cap_infos, e->n_infos + 1, sizeof(*e->infos)))
		return GDFO_ENOMEM;
	stage_info_init(&e->infos[e->n_infos]);
	e->n_infos++;
	return parse_stage_info(j, &e->infos[e->n_infos - 1]);
}

static int job_stage_infos(gdfo__js *j, void *ctx)
{
	job_start_free_infos(ctx);
	return read_array(j, job_stage_info, ctx);
}

/* A decimal string of up to 18 digits; anything else means no SQL execution. */
static int job_sql_exec(gdfo__js *j, void *ctx)
{
	job_start *e = ctx;
	gdfo__jstr v;
	size_t q;
	int ok;

	if (gdfo__js_str_or_skip(j, &v, &ok))
		return R_BAD;
	if (!ok || v.esc || v.n == 0 || v.n >= 19)
		return 0; /* keeps an earlier value */
	e->sql_exec = 0;
	for (q = 0; q < v.n && v.s[q] >= '0' && v.s[q] <= '9'; q++)
		e->sql_exec = e->sql_exec * 10 + (v.s[q] - '0');
	e->has_sql_exec = q == v.n;
	return 0;
}

static const member job_properties_members[] = {
	M_FN_HAS("spark.sql.execution.id", job_start, has_sql_exec, job_sql_exec),
	M_END,
};

static const member job_start_members[] = {
	M_EVENT_OF(job_start),
	M_FN_OF("Stage Infos", job_stage_infos),
	M_OBJ_OF("Properties", job_properties_members),
	M_END,
};

static int h_job_start(gdfo_eventlog *log, gdfo__js *j, int mine)
{
	job_start e = {.last = KIND_NONE};
	size_t i;
	int rc;

	if (!(rc = read_members(j, job_start_members, &e, 1)) && !(rc = finish(j, e.last, mine))) {
		log->sum.jobs++;
		for (i = 0; i < e.n_infos && !rc; i++)
			rc = stage_info_commit(log, &e.infos[i], 0, e.has_sql_exec ? e.sql_exec : -1);
	}
	job_start_free_infos(&e);
	free(e.infos);
	return rc;
}

typedef struct job_end {
	int last;
	gdfo__jstr result;
	int has_result;
} job_end;

static const member job_result_members[] = {
	M_STR_OF("Result", job_end, result, has_result),
	M_END,
};

static const member job_end_members[] = {
	M_EVENT_OF(job_end),
	M_OBJ_OF("Job Result", job_result_members),
	M_END,
};

static int h_job_end(gdfo_eventlog *log, gdfo__js *j, int mine)
{
	job_end e = {.last = KIND_NONE};
	int rc;

	if ((rc = read_members(j, job_end_members, &e, 1)) || (rc = finish(j, e.last, mine)))
		return rc;
	if (!(e.has_result && str_is(&e.result, "JobSucceeded")))
		log->sum.jobs_failed++;
	return 0;
}

/* ---- ExecutorAdded, ExecutorRemoved ------------------------------------------------ */

typedef struct executor_event {
	int last;
	int64_t ts;
	int has_ts;
	gdfo__jstr id;
	int has_id;
	int64_t cores;
	int has_cores;
} executor_event;

static const member executor_info_members[] = {
	M_INT_OF("Total Cores", executor_event, cores, has_cores),
	M_END,
};

static const member executor_event_members[] = {
	M_EVENT_OF(executor_event),
	M_INT_OF("Timestamp", executor_event, ts, has_ts),
	M_STR_OF("Executor ID", executor_event, id, has_id),
	M_OBJ_OF("Executor Info", executor_info_members),
	M_END,
};

static int live_index(const gdfo_eventlog *log, const char *id)
{
	size_t i;
	for (i = 0; i < log->n_live; i++)
		if (!strcmp(log->live[i], id))
			return (int)i;
	return -1;
}

static int h_executor(gdfo_eventlog *log, gdfo__js *j, int mine)
{
	executor_event x = {.last = KIND_NONE};
	const gdfo__jstr none = {"", 0, 0};
	gdfo__ev_exec *e;
	char *sid;
	int rc;

	if ((rc = read_members(j, executor_event_members, &x, 1)) || (rc = finish(j, x.last, mine)))
		return rc;
	if (mine == EV_EXEC_ADDED)
		log->sum.executors_added++;
	else
		log->sum.executors_removed++;
	if (gdfo__grow((void **)&log->execs, &log->cap_execs, log->n_execs + 1, sizeof(*log->execs)))
		return GDFO_ENOMEM;
	if (!(sid = gdfo__jstr_dup(x.has_id ? &x.id : &none)))
		return GDFO_ENOMEM;
	e = &log->execs[log->n_execs++];
	e->ts = x.has_ts ? x.ts : -1;
	e->id = sid;
	e->added = mine == EV_EXEC_ADDED;
	e->cores = x.has_cores && x.cores > 0 && x.cores <= INT32_MAX ? (int32_t)x.cores : 0;
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

/* ---- EnvironmentUpdate ------------------------------------------------------------------ */

typedef struct env_update {
	int last;
	gdfo__kv *kv;
	size_t n, cap;
	int seen;  /* "Spark Properties" was an object */
} env_update;

/* One property; a repeated key keeps its last value. */
static int env_put(env_update *e, const gdfo__jstr *k, const gdfo__jstr *v)
{
	char *key = gdfo__jstr_dup(k), *val = key ? gdfo__jstr_dup(v) : NULL;
	size_t i;

	if (!val) {
		free(key);
		return GDFO_ENOMEM;
	}
	for (i = 0; i < e->n && strcmp(e->kv[i].key, key); i++)
		;
	if (i < e->n) {
		free(e->kv[i].value);
		e->kv[i].value = val;
		free(key);
		return 0;
	}
	if (gdfo__grow((void **)&e->kv, &e->cap, e->n + 1, sizeof(*e->kv))) {
		free(key);
		free(val);
		return GDFO_ENOMEM;
	}
	e->kv[e->n].key = key;
	e->kv[e->n].value = val;
	e->n++;
	return 0;
}

/* Every string member (the keys are open-ended); other values are skipped. */
static int env_spark_properties(gdfo__js *j, void *ctx)
{
	env_update *e = ctx;
	gdfo__jstr k, v;
	int o = gdfo__js_obj_begin(j), ok, rc;

	gdfo__eventlog_conf_free(e->kv, e->n);
	e->kv = NULL;
	e->n = e->cap = 0;
	if (o < 0)
		return R_BAD;
	e->seen = o != 2;
	while (o == 1) {
		if (gdfo__js_obj_key(j, &k) || gdfo__js_str_or_skip(j, &v, &ok))
			return R_BAD;
		if (ok && (rc = env_put(e, &k, &v)))
			return rc;
		o = gdfo__js_obj_next(j);
	}
	return o < 0 ? R_BAD : 0;
}

static const member env_update_members[] = {
	M_EVENT_OF(env_update),
	M_FN_OF("Spark Properties", env_spark_properties),
	M_END,
};

static int h_env_update(gdfo_eventlog *log, gdfo__js *j, int mine)
{
	env_update e = {.last = KIND_NONE};
	int rc;

	if (!(rc = read_members(j, env_update_members, &e, 1)) && !(rc = finish(j, e.last, mine)) && e.seen) {
		gdfo__eventlog_conf_free(log->conf, log->n_conf);
		log->conf = e.kv;
		log->n_conf = e.n;
		log->cap_conf = e.cap;
		e.kv = NULL;
		e.n = 0;
	}
	gdfo__eventlog_conf_free(e.kv, e.n);
	return rc;
}

/* ---- LogStart, ApplicationStart, ApplicationEnd ---------------------------------------- */

typedef struct app_event {
	int last;
	gdfo__jstr version, name, id;
	int has_version, has_name, has_id;
	int64_t ts;
	int has_ts;
} app_event;

static const member app_event_members[] = {
	M_EVENT_OF(app_event),
	M_STR_OF("Spark Version", app_event, version, has_version),
	M_STR_OF("App Name", app_event, name, has_name),
	M_STR_OF("App ID", app_event, id, has_id),
	M_INT_OF("Timestamp", app_event, ts, has_ts),
	M_END,
};

static int h_app(gdfo_eventlog *log, gdfo__js *j, int mine)
{
	app_event e = {.last = KIND_NONE};
	int rc;

	if ((rc = read_members(j, app_event_members, &e, 1)) || (rc = finish(j, e.last, mine)))
		return rc;
	if (mine == EV_LOG_START && e.has_version) {
		char *s = gdfo__jstr_dup(&e.version);
		if (!s)
			return GDFO_ENOMEM;
		free(log->spark_version);
		log->spark_version = s;
	}
	if (mine == EV_APP_START) {
		if (e.has_name && !log->app_name && !(log->app_name = gdfo__jstr_dup(&e.name)))
			return GDFO_ENOMEM;
		if (e.has_id && !log->app_id && !(log->app_id = gdfo__jstr_dup(&e.id)))
			return GDFO_ENOMEM;
		if (e.has_ts && !log->have_start) {
			log->have_start = 1;
			log->app_start = e.ts;
		}
	}
	if (mine == EV_APP_END && e.has_ts) {
		log->have_end = 1;
		log->app_end = e.ts;
	}
	return 0;
}

/* ---- dispatch --------------------------------------------------------------------------- */

/* Reads the whole line as event kind mine: 0, R_BAD, R_KIND(other) or a negative status. */
typedef int (*handler_fn)(gdfo_eventlog *log, gdfo__js *j, int mine);

static const handler_fn handlers[EV_COUNT] = {
	[EV_LOG_START] = h_app,
	[EV_ENV_UPDATE] = h_env_update,
	[EV_APP_START] = h_app,
	[EV_APP_END] = h_app,
	[EV_EXEC_ADDED] = h_executor,
	[EV_EXEC_REMOVED] = h_executor,
	[EV_JOB_START] = h_job_start,
	[EV_JOB_END] = h_job_end,
	[EV_STAGE_SUBMITTED] = h_stage,
	[EV_STAGE_COMPLETED] = h_stage,
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
		rc = handlers[kind](log, &j, kind);
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
