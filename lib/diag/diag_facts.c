/*
 * The facts a diagnosis is judged on. From an event log: the public
 * ingestion (summary, configuration, executor timeline) plus one more
 * pass over the file for what ingestion does not keep per task (GC time,
 * run time, spill, peak memory, input bytes per task, failure reasons,
 * executor removal reasons, the operators of the SQL plans). From a
 * profile or telemetry: what they record.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag/diag_internal.h"
#include "io/ingest_internal.h"

/* ---- one line of the log ---------------------------------------------------------- */

/* Where a member sits: the object that holds it. */
enum { C_TOP, C_REASON, C_INFO, C_METRICS, C_IN, C_OUT, C_SR, C_SW, C_TEM, C_STAGE, C_JOB, C_OTHER };

enum {
	V_STAGE_ID, V_LAUNCH, V_FINISH, V_FAILED, V_KILLED, V_RUN, V_CPU, V_GC, V_PEAK, V_MSPILL, V_DSPILL,
	V_IN, V_OUT, V_OUTREC, V_REMOTE, V_LOCAL, V_WAIT, V_SWRITE, V_HEAP, V_SUBMIT, V_COMPLETE,
	V_COUNT
};

enum { S_EVENT, S_REASON, S_CLASS, S_DESC, S_LOSS, S_EXEC, S_REMOVED, S_FAILURE, S_STAGE_NAME, S_RESULT, S_PLAN, S_COUNT };

typedef struct line {
	int64_t v[V_COUNT];
	int has[V_COUNT];
	gdfo__jstr s[S_COUNT];
	int has_s[S_COUNT];
	int bool_failed, bool_killed;
} line;

static int ctx_of(int ctx, const gdfo__jstr *k)
{
	switch (ctx) {
	case C_TOP:
		if (GDFO__KEY(k, "Task End Reason"))
			return C_REASON;
		if (GDFO__KEY(k, "Task Info"))
			return C_INFO;
		if (GDFO__KEY(k, "Task Metrics"))
			return C_METRICS;
		if (GDFO__KEY(k, "Task Executor Metrics"))
			return C_TEM;
		if (GDFO__KEY(k, "Stage Info"))
			return C_STAGE;
		if (GDFO__KEY(k, "Job Result"))
			return C_JOB;
		return C_OTHER;
	case C_METRICS:
		if (GDFO__KEY(k, "Input Metrics"))
			return C_IN;
		if (GDFO__KEY(k, "Output Metrics"))
			return C_OUT;
		if (GDFO__KEY(k, "Shuffle Read Metrics"))
			return C_SR;
		if (GDFO__KEY(k, "Shuffle Write Metrics"))
			return C_SW;
		return C_OTHER;
	default:
		return C_OTHER;
	}
}

/* The integer slot of key k in ctx, -1 none. */
static int int_slot(int ctx, const gdfo__jstr *k)
{
	switch (ctx) {
	case C_TOP:
		return GDFO__KEY(k, "Stage ID") ? V_STAGE_ID : -1;
	case C_INFO:
		return GDFO__KEY(k, "Launch Time") ? V_LAUNCH : GDFO__KEY(k, "Finish Time") ? V_FINISH : -1;
	case C_METRICS:
		if (GDFO__KEY(k, "Executor Run Time"))
			return V_RUN;
		if (GDFO__KEY(k, "Executor CPU Time"))
			return V_CPU;
		if (GDFO__KEY(k, "JVM GC Time"))
			return V_GC;
		if (GDFO__KEY(k, "Peak Execution Memory"))
			return V_PEAK;
		if (GDFO__KEY(k, "Memory Bytes Spilled"))
			return V_MSPILL;
		if (GDFO__KEY(k, "Disk Bytes Spilled"))
			return V_DSPILL;
		return -1;
	case C_IN:
		return GDFO__KEY(k, "Bytes Read") ? V_IN : -1;
	case C_OUT:
		return GDFO__KEY(k, "Bytes Written") ? V_OUT : GDFO__KEY(k, "Records Written") ? V_OUTREC : -1;
	case C_SR:
		if (GDFO__KEY(k, "Remote Bytes Read"))
			return V_REMOTE;
		if (GDFO__KEY(k, "Local Bytes Read"))
			return V_LOCAL;
		return GDFO__KEY(k, "Fetch Wait Time") ? V_WAIT : -1;
	case C_SW:
		return GDFO__KEY(k, "Shuffle Bytes Written") ? V_SWRITE : -1;
	case C_TEM:
		return GDFO__KEY(k, "JVMHeapMemory") ? V_HEAP : -1;
	case C_STAGE:
		if (GDFO__KEY(k, "Stage ID"))
			return V_STAGE_ID;
		if (GDFO__KEY(k, "Submission Time"))
			return V_SUBMIT;
		return GDFO__KEY(k, "Completion Time") ? V_COMPLETE : -1;
	default:
		return -1;
	}
}

static int str_slot(int ctx, const gdfo__jstr *k)
{
	switch (ctx) {
	case C_TOP:
		if (GDFO__KEY(k, "Event"))
			return S_EVENT;
		if (GDFO__KEY(k, "Executor ID"))
			return S_EXEC;
		if (GDFO__KEY(k, "Removed Reason"))
			return S_REMOVED;
		return GDFO__KEY(k, "physicalPlanDescription") ? S_PLAN : -1;
	case C_REASON:
		if (GDFO__KEY(k, "Reason"))
			return S_REASON;
		if (GDFO__KEY(k, "Class Name"))
			return S_CLASS;
		if (GDFO__KEY(k, "Description"))
			return S_DESC;
		return GDFO__KEY(k, "Loss Reason") ? S_LOSS : -1;
	case C_INFO:
		return GDFO__KEY(k, "Executor ID") ? S_EXEC : -1;
	case C_STAGE:
		if (GDFO__KEY(k, "Failure Reason"))
			return S_FAILURE;
		return GDFO__KEY(k, "Stage Name") ? S_STAGE_NAME : -1;
	case C_JOB:
		return GDFO__KEY(k, "Result") ? S_RESULT : -1;
	default:
		return -1;
	}
}

static int walk(gdfo__js *j, int ctx, line *ln, int depth)
{
	gdfo__jstr k;
	int r = gdfo__js_obj_begin(j);

	if (r < 0)
		return -1;
	while (r == 1) {
		int slot;
		if (gdfo__js_obj_key(j, &k))
			return -1;
		gdfo__js_ws(j);
		if (j->p < j->end && *j->p == '{' && depth < 3) {
			int c = ctx_of(ctx, &k);
			if (c == C_OTHER ? gdfo__js_skip(j) : walk(j, c, ln, depth + 1))
				return -1;
		} else if ((slot = int_slot(ctx, &k)) >= 0) {
			int64_t x;
			int ok;
			if (gdfo__js_int(j, &x, &ok))
				return -1;
			if (ok) {
				ln->v[slot] = x;
				ln->has[slot] = 1;
			}
		} else if ((slot = str_slot(ctx, &k)) >= 0) {
			int ok;
			if (gdfo__js_str_or_skip(j, &ln->s[slot], &ok))
				return -1;
			ln->has_s[slot] = ok;
		} else if (ctx == C_INFO && (GDFO__KEY(&k, "Failed") || GDFO__KEY(&k, "Killed"))) {
			int is_failed = GDFO__KEY(&k, "Failed");
			if (j->end - j->p >= 4 && !memcmp(j->p, "true", 4))
				*(is_failed ? &ln->bool_failed : &ln->bool_killed) = 1;
			if (gdfo__js_skip(j))
				return -1;
		} else if (gdfo__js_skip(j)) {
			return -1;
		}
		r = gdfo__js_obj_next(j);
	}
	return r < 0 ? -1 : 0;
}

/*
 * 1 if the string s contains lit, searched in its text as written: the
 * literals looked for have no character JSON escapes, and a word split by
 * an escape is not the word.
 */
static int jstr_has(const gdfo__jstr *s, const char *lit)
{
	size_t n = strlen(lit), i;
	if (s->n < n)
		return 0;
	for (i = 0; i + n <= s->n; i++)
		if (s->s[i] == lit[0] && !memcmp(s->s + i, lit, n))
			return 1;
	return 0;
}

static size_t jstr_count(const gdfo__jstr *s, const char *lit)
{
	size_t n = strlen(lit), i, c = 0;
	if (s->n < n)
		return 0;
	for (i = 0; i + n <= s->n; i++)
		if (s->s[i] == lit[0] && !memcmp(s->s + i, lit, n))
			c++;
	return c;
}

static int is_event(const line *ln, const char *name)
{
	return ln->has_s[S_EVENT] && gdfo__jstr_eq(&ln->s[S_EVENT], name, strlen(name));
}

/* ---- the facts being gathered ----------------------------------------------------- */

static gdfo__dstage *stage_of(gdfo__facts *f, int64_t id)
{
	size_t i;
	for (i = f->n_st; i-- > 0;)
		if (f->st[i].id == id)
			return &f->st[i];
	if (gdfo__grow((void **)&f->st, &f->cap_st, f->n_st + 1, sizeof(*f->st)))
		return NULL;
	memset(&f->st[f->n_st], 0, sizeof(*f->st));
	f->st[f->n_st].id = id;
	f->st[f->n_st].first_launch = -1;
	f->st[f->n_st].last_finish = -1;
	return &f->st[f->n_st++];
}

static gdfo__dexec *exec_of(gdfo__facts *f, const gdfo__jstr *id)
{
	char buf[64];
	size_t i;
	long n = gdfo__jstr_decode(id, buf, sizeof(buf));
	if (n < 0)
		snprintf(buf, sizeof(buf), "?");
	for (i = 0; i < f->n_ex; i++)
		if (!strcmp(f->ex[i].id, buf))
			return &f->ex[i];
	if (gdfo__grow((void **)&f->ex, &f->cap_ex, f->n_ex + 1, sizeof(*f->ex)))
		return NULL;
	memset(&f->ex[f->n_ex], 0, sizeof(*f->ex));
	snprintf(f->ex[f->n_ex].id, sizeof(f->ex[f->n_ex].id), "%s", buf);
	return &f->ex[f->n_ex++];
}

#define V(slot) (ln->has[slot] ? (double)ln->v[slot] : 0.0)

static int task_end(gdfo__facts *f, const line *ln)
{
	gdfo__dstage *s;
	double ms;
	int ok;

	if (!ln->has[V_STAGE_ID])
		return 0;
	if (!(s = stage_of(f, ln->v[V_STAGE_ID])))
		return GDFO_ENOMEM;
	ok = ln->has_s[S_REASON] ? gdfo__jstr_eq(&ln->s[S_REASON], "Success", 7) : !ln->bool_failed;
	ms = ln->has[V_LAUNCH] && ln->has[V_FINISH] && ln->v[V_FINISH] >= ln->v[V_LAUNCH]
		     ? (double)(ln->v[V_FINISH] - ln->v[V_LAUNCH])
		     : 0;
	if (ln->has[V_LAUNCH] && (s->first_launch < 0 || ln->v[V_LAUNCH] < s->first_launch))
		s->first_launch = ln->v[V_LAUNCH];
	if (ln->has[V_FINISH] && ln->v[V_FINISH] > s->last_finish)
		s->last_finish = ln->v[V_FINISH];
	s->run_ms += V(V_RUN);
	s->cpu_ms += V(V_CPU) / 1e6;
	s->gc_ms += V(V_GC);
	s->has_gc |= ln->has[V_GC];
	s->mem_spill += V(V_MSPILL);
	s->disk_spill += V(V_DSPILL);
	if (ln->has[V_PEAK]) {
		s->has_peak = 1;
		if (V(V_PEAK) > s->peak_exec_max)
			s->peak_exec_max = V(V_PEAK);
	}
	if (ln->has[V_HEAP] && V(V_HEAP) > f->max_heap_peak)
		f->max_heap_peak = V(V_HEAP);
	if (!ok) {
		int why = GDFO__FAIL_OTHER;
		const gdfo__jstr *r = &ln->s[S_REASON];
		s->tasks_failed++;
		s->failed_ms += ms;
		if (ln->has_s[S_REASON]) {
			if (gdfo__jstr_eq(r, "FetchFailed", 11))
				why = GDFO__FAIL_FETCH;
			else if (gdfo__jstr_eq(r, "TaskKilled", 10))
				why = GDFO__FAIL_KILLED;
			else if (gdfo__jstr_eq(r, "ExecutorLostFailure", 19))
				why = ln->has_s[S_LOSS] && (jstr_has(&ln->s[S_LOSS], "memory limits") ||
							    jstr_has(&ln->s[S_LOSS], "OOMKilled") ||
							    jstr_has(&ln->s[S_LOSS], "exit code 137"))
					      ? GDFO__FAIL_OVERHEAD
					      : GDFO__FAIL_LOST;
			else if ((ln->has_s[S_CLASS] && jstr_has(&ln->s[S_CLASS], "OutOfMemory")) ||
				 (ln->has_s[S_DESC] && (jstr_has(&ln->s[S_DESC], "OutOfMemory") ||
							jstr_has(&ln->s[S_DESC], "RetryOOM") ||
							jstr_has(&ln->s[S_DESC], "SplitAndRetryOOM"))))
				why = GDFO__FAIL_OOM;
		}
		s->fail[why]++;
		return 0;
	}
	{
		double bytes = V(V_IN) + V(V_REMOTE) + V(V_LOCAL);
		gdfo__dexec *e;
		if (s->n == s->cap) {
			size_t cap = s->cap ? 2 * s->cap : 16;
			double *a = gdfo__realloc(s->task_ms, cap * sizeof(double));
			if (!a)
				return GDFO_ENOMEM;
			s->task_ms = a;
			if (!(a = gdfo__realloc(s->task_bytes, cap * sizeof(double))))
				return GDFO_ENOMEM;
			s->task_bytes = a;
			if (!(a = gdfo__realloc(s->task_gc_ms, cap * sizeof(double))))
				return GDFO_ENOMEM;
			s->task_gc_ms = a;
			if (!(a = gdfo__realloc(s->task_run_ms, cap * sizeof(double))))
				return GDFO_ENOMEM;
			s->task_run_ms = a;
			s->cap = cap;
		}
		s->task_ms[s->n] = ms;
		s->task_bytes[s->n] = bytes;
		s->task_gc_ms[s->n] = V(V_GC);
		s->task_run_ms[s->n] = V(V_RUN);
		s->n++;
		s->input_bytes += V(V_IN);
		s->shuffle_read += V(V_REMOTE) + V(V_LOCAL);
		s->remote_read += V(V_REMOTE);
		s->fetch_wait_ms += V(V_WAIT);
		s->shuffle_write += V(V_SWRITE);
		s->output_bytes += V(V_OUT);
		s->output_records += V(V_OUTREC);
		if (V(V_OUT) > 0)
			s->out_tasks++;
		if (ln->has_s[S_EXEC]) {
			if (!(e = exec_of(f, &ln->s[S_EXEC])))
				return GDFO_ENOMEM;
			e->tasks++;
			e->task_ms += ms;
			e->input += V(V_IN);
			e->shuffle_read += V(V_REMOTE) + V(V_LOCAL);
			e->shuffle_write += V(V_SWRITE);
			if (V(V_HEAP) > e->peak_heap)
				e->peak_heap = V(V_HEAP);
		}
	}
	return 0;
}

static int on_line(void *user, const char *text, size_t len)
{
	gdfo__facts *f = user;
	gdfo__js j;
	line ln;

	if (!text || len < 20)
		return 0;
	memset(&ln, 0, sizeof(ln));
	j.p = (const unsigned char *)text;
	j.end = j.p + len;
	if (walk(&j, C_TOP, &ln, 0) || !ln.has_s[S_EVENT])
		return 0; /* malformed: ingestion counts it */
	if (is_event(&ln, "SparkListenerTaskEnd"))
		return task_end(f, &ln);
	if (is_event(&ln, "SparkListenerStageCompleted") && ln.has[V_STAGE_ID]) {
		gdfo__dstage *s = stage_of(f, ln.v[V_STAGE_ID]);
		if (!s)
			return GDFO_ENOMEM;
		if (ln.has_s[S_FAILURE])
			s->attempts_failed++;
		else
			s->completed++;
		if (ln.has_s[S_STAGE_NAME] && !s->name[0] &&
		    gdfo__jstr_decode(&ln.s[S_STAGE_NAME], s->name, sizeof(s->name)) < 0) {
			memcpy(s->name, ln.s[S_STAGE_NAME].s, sizeof(s->name) - 1 < ln.s[S_STAGE_NAME].n ? sizeof(s->name) - 1 : ln.s[S_STAGE_NAME].n);
			s->name[sizeof(s->name) - 1] = 0;
		}
		return 0;
	}
	if (is_event(&ln, "SparkListenerJobStart")) {
		f->jobs++;
		return 0;
	}
	if (is_event(&ln, "SparkListenerJobEnd")) {
		if (ln.has_s[S_RESULT] && !gdfo__jstr_eq(&ln.s[S_RESULT], "JobSucceeded", 12))
			f->jobs_failed++;
		return 0;
	}
	if (is_event(&ln, "SparkListenerExecutorRemoved")) {
		f->exec_removed++;
		if (ln.has_s[S_REMOVED]) {
			const gdfo__jstr *r = &ln.s[S_REMOVED];
			if (jstr_has(r, "memory limits") || jstr_has(r, "OOM") || jstr_has(r, "OutOfMemory") ||
			    jstr_has(r, "exit code 137")) {
				f->exec_removed_oom++;
				f->exec_removed_failed++;
			} else if (!jstr_has(r, "killed by driver") && !jstr_has(r, "idle") &&
				   !jstr_has(r, "decommission") && !jstr_has(r, "Decommission")) {
				f->exec_removed_failed++;
			}
		}
		return 0;
	}
	if (ln.has_s[S_PLAN] && jstr_has(&ln.s[S_EVENT], "SQLExecutionStart")) {
		const gdfo__jstr *p = &ln.s[S_PLAN];
		f->smj += (int64_t)jstr_count(p, "SortMergeJoin");
		f->bhj += (int64_t)jstr_count(p, "BroadcastHashJoin");
		f->shj += (int64_t)jstr_count(p, "ShuffledHashJoin");
		f->bcast_exchanges += (int64_t)jstr_count(p, "BroadcastExchange");
		if (f->engine == GDFO_ENGINE_SPARK && (jstr_has(p, "GpuColumnarToRow") || jstr_has(p, "GpuProject") ||
						       jstr_has(p, "GpuFilter") || jstr_has(p, "GpuShuffle") ||
						       jstr_has(p, "GpuHashAggregate") || jstr_has(p, "GpuScan"))) {
			f->engine = GDFO_ENGINE_RAPIDS;
			snprintf(f->engine_evidence, sizeof(f->engine_evidence), "Gpu* operators in the SQL plans");
		}
		if (f->engine == GDFO_ENGINE_SPARK && jstr_has(p, "Photon")) {
			f->engine = GDFO_ENGINE_PHOTON;
			snprintf(f->engine_evidence, sizeof(f->engine_evidence), "Photon operators in the SQL plans");
		}
	}
	return 0;
}

/* ---- public-ish helpers ------------------------------------------------------------ */

int64_t gdfo__spark_bytes(const char *s, int64_t default_unit)
{
	char *end;
	double v;
	int64_t unit = default_unit;

	if (!s)
		return -1;
	v = strtod(s, &end);
	if (end == s || !isfinite(v) || v < 0)
		return -1;
	while (*end == ' ')
		end++;
	switch (*end) {
	case 'k': case 'K': unit = (int64_t)1 << 10; break;
	case 'm': case 'M': unit = (int64_t)1 << 20; break;
	case 'g': case 'G': unit = (int64_t)1 << 30; break;
	case 't': case 'T': unit = (int64_t)1 << 40; break;
	case 'b': case 'B': case '\0': break;
	default: return -1;
	}
	return (int64_t)(v * (double)unit);
}

const char *gdfo__facts_conf(const gdfo__facts *f, const char *key)
{
	return f->log ? gdfo_eventlog_config(f->log, key) : NULL;
}

void gdfo__facts_free(gdfo__facts *f)
{
	size_t i;
	if (!f)
		return;
	for (i = 0; i < f->n_st; i++) {
		free(f->st[i].task_ms);
		free(f->st[i].task_bytes);
		free(f->st[i].task_gc_ms);
		free(f->st[i].task_run_ms);
	}
	free(f->st);
	free(f->ex);
	free(f->app_name);
	memset(f, 0, sizeof(*f));
}

static void facts_reset(gdfo__facts *f, int source)
{
	memset(f, 0, sizeof(*f));
	f->source = source;
	f->app_ms = -1;
	f->stage_span_ms = -1;
	f->exec_mem = f->exec_overhead = f->driver_mem = -1;
	f->max_heap_peak = -1;
	f->exec_time_ms = -1;
}

/* Union of the stages' [first launch, last finish] intervals. */
static int cmp_pair(const void *a, const void *b)
{
	const double *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

static int stage_span(gdfo__facts *f)
{
	size_t i, m = 0;
	double *iv, span = 0, lo = 0, hi = -1;
	if (!f->n_st)
		return 0;
	if (!(iv = gdfo__malloc(2 * f->n_st * sizeof(double))))
		return GDFO_ENOMEM;
	for (i = 0; i < f->n_st; i++)
		if (f->st[i].first_launch >= 0 && f->st[i].last_finish >= f->st[i].first_launch) {
			iv[2 * m] = (double)f->st[i].first_launch;
			iv[2 * m + 1] = (double)f->st[i].last_finish;
			m++;
		}
	qsort(iv, m, 2 * sizeof(double), cmp_pair);
	for (i = 0; i < m; i++) {
		if (hi < lo || iv[2 * i] > hi) {
			if (hi >= lo)
				span += hi - lo;
			lo = iv[2 * i];
			hi = iv[2 * i + 1];
		} else if (iv[2 * i + 1] > hi) {
			hi = iv[2 * i + 1];
		}
	}
	if (hi >= lo && m)
		span += hi - lo;
	f->stage_span_ms = m ? span : -1;
	free(iv);
	return 0;
}

static int detect_engine_conf(gdfo__facts *f)
{
	const char *plugins = gdfo__facts_conf(f, "spark.plugins");
	const char *rapids = gdfo__facts_conf(f, "spark.rapids.sql.enabled");
	const char *photon = gdfo__facts_conf(f, "spark.databricks.photon.enabled");
	if (f->engine != GDFO_ENGINE_SPARK)
		return 0;
	if ((plugins && strstr(plugins, "com.nvidia.spark.SQLPlugin")) || (rapids && !strcmp(rapids, "true") && plugins)) {
		f->engine = GDFO_ENGINE_RAPIDS;
		snprintf(f->engine_evidence, sizeof(f->engine_evidence), "spark.plugins=com.nvidia.spark.SQLPlugin");
	} else if (photon && !strcmp(photon, "true")) {
		f->engine = GDFO_ENGINE_PHOTON;
		snprintf(f->engine_evidence, sizeof(f->engine_evidence), "spark.databricks.photon.enabled=true");
	}
	return 0;
}

int gdfo__facts_from_log(gdfo__facts *f, const char *path, const gdfo_eventlog *log)
{
	gdfo_eventlog_summary sum = {.version = GDFO_EVENTLOG_SUMMARY_VERSION};
	gdfo__line_reader rd;
	size_t i, ne;
	int fd, rc;
	double start = -1, end = -1;

	facts_reset(f, 0);
	f->log = log;
	if ((rc = gdfo_eventlog_get_summary(&sum, log)))
		return rc;
	if (!(f->app_name = gdfo__strdup(sum.app_name ? sum.app_name : "")))
		return GDFO_ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gdfo__error(GDFO_EIO, "%s: cannot open", path);
	memset(&rd, 0, sizeof(rd));
	rd.fd = fd;
	rd.what = path;
	rd.max_line = GDFO_INGEST_MAX_LINE_DEFAULT;
	rc = gdfo__lines_run(&rd, on_line, f);
	close(fd);
	if (rc)
		return rc;
	if (sum.has_app_duration)
		f->app_ms = (double)sum.app_duration_ms;
	if (sum.spark_version && sum.spark_version[0]) {
		int major = 0, minor = 0;
		if (sscanf(sum.spark_version, "%d.%d", &major, &minor) == 2)
			f->aqe_default = major > 3 || (major == 3 && minor >= 2);
	}
	f->executors = sum.executors_max_live > 0 ? sum.executors_max_live : 0;
	f->cores = sum.executor_cores > 0 ? sum.executor_cores : 0;
	if (!f->executors) {
		const char *inst = gdfo_eventlog_config(log, "spark.executor.instances");
		f->executors = inst && atoi(inst) > 0 ? atoi(inst) : 1;
	}
	if (!f->cores) {
		const char *c = gdfo_eventlog_config(log, "spark.executor.cores");
		f->cores = c && atoi(c) > 0 ? atoi(c) : 1;
	}
	f->exec_mem = gdfo__spark_bytes(gdfo_eventlog_config(log, "spark.executor.memory"), (int64_t)1 << 20);
	f->exec_overhead = gdfo__spark_bytes(gdfo_eventlog_config(log, "spark.executor.memoryOverhead"), (int64_t)1 << 20);
	f->driver_mem = gdfo__spark_bytes(gdfo_eventlog_config(log, "spark.driver.memory"), (int64_t)1 << 20);
	/* executor lifetimes from the timeline; executors alive at the end live to the app's end */
	ne = gdfo_eventlog_executor_event_count(log);
	if (sum.app_start_ms >= 0) {
		start = (double)sum.app_start_ms;
		if (sum.has_app_duration)
			end = start + (double)sum.app_duration_ms;
	}
	if (ne && start >= 0 && end >= start) {
		double live_since_sum = 0, t_total = 0;
		int live = 0;
		double last_t = start;
		for (i = 0; i < ne; i++) {
			gdfo_executor_event ev = {.version = GDFO_EXECUTOR_EVENT_VERSION};
			double t;
			if (gdfo_eventlog_executor_event_at(&ev, log, i))
				continue;
			t = ev.timestamp_ms >= 0 ? (double)ev.timestamp_ms : last_t;
			if (t < last_t)
				t = last_t;
			if (t > end)
				t = end;
			t_total += live * (t - last_t);
			last_t = t;
			live = ev.live;
		}
		t_total += live * (end - last_t);
		(void)live_since_sum;
		f->exec_time_ms = t_total;
	}
	if ((rc = stage_span(f)))
		return rc;
	return detect_engine_conf(f);
}

int gdfo__facts_from_profile(gdfo__facts *f, const gdfo_profile *p)
{
	size_t i, k, n = gdfo_profile_stage_count(p);

	facts_reset(f, 1);
	if (!(f->app_name = gdfo__strdup(gdfo_profile_name(p))))
		return GDFO_ENOMEM;
	f->executors = gdfo_profile_executors(p);
	f->cores = gdfo_profile_cores_per_executor(p);
	for (i = 0; i < n; i++) {
		gdfo_profile_stage ps = {.version = GDFO_PROFILE_STAGE_VERSION};
		gdfo__dstage *s;
		const double *v;
		size_t m;
		if (gdfo_profile_stage_at(&ps, p, i))
			continue;
		if (!(s = stage_of(f, ps.id)))
			return GDFO_ENOMEM;
		v = ps.n_task_ms ? ps.task_ms : ps.n_by_executors ? ps.by_executors[0].task_ms : NULL;
		m = ps.n_task_ms ? ps.n_task_ms : ps.n_by_executors ? ps.by_executors[0].n_task_ms : 0;
		s->cap = m ? m : 1;
		s->task_ms = gdfo__calloc(s->cap, sizeof(double));
		s->task_bytes = gdfo__calloc(s->cap, sizeof(double));
		s->task_gc_ms = gdfo__calloc(s->cap, sizeof(double));
		s->task_run_ms = gdfo__calloc(s->cap, sizeof(double));
		if (!s->task_ms || !s->task_bytes || !s->task_gc_ms || !s->task_run_ms)
			return GDFO_ENOMEM;
		for (k = 0; k < m; k++)
			s->task_ms[k] = s->task_run_ms[k] = v[k];
		s->n = m;
		s->completed = 1;
		snprintf(s->name, sizeof(s->name), "stage %lld", (long long)ps.id);
		if (ps.has_bytes & GDFO_PROFILE_INPUT_BYTES)
			s->input_bytes = (double)ps.input_bytes;
		if (ps.has_bytes & GDFO_PROFILE_SHUFFLE_READ_BYTES)
			s->shuffle_read = (double)ps.shuffle_read_bytes;
		if (ps.has_bytes & GDFO_PROFILE_SHUFFLE_WRITE_BYTES)
			s->shuffle_write = (double)ps.shuffle_write_bytes;
		if (ps.has_bytes & GDFO_PROFILE_SPILL_BYTES)
			s->disk_spill = (double)ps.spill_bytes;
	}
	return 0;
}

int gdfo__facts_from_telemetry(gdfo__facts *f, const gdfo_telemetry *t)
{
	gdfo_run_telemetry run = {.version = GDFO_RUN_TELEMETRY_VERSION};
	size_t i, n = gdfo_telemetry_stage_count(t);

	facts_reset(f, 2);
	if (!(f->app_name = gdfo__strdup("")))
		return GDFO_ENOMEM;
	if (!gdfo_telemetry_get_run(&run, t) && run.latency_ms >= 0)
		f->app_ms = run.latency_ms;
	f->executors = 0;
	f->cores = 0;
	for (i = 0; i < n; i++) {
		gdfo_stage_telemetry st = {.version = GDFO_STAGE_TELEMETRY_VERSION};
		gdfo__dstage *s;
		if (gdfo_telemetry_stage_at(&st, t, i))
			continue;
		if (!(s = stage_of(f, st.stage_id)))
			return GDFO_ENOMEM;
		snprintf(s->name, sizeof(s->name), "%.90s", st.name[0] ? st.name : "stage");
		s->completed = 1;
		/* two synthetic tasks carry the median and the maximum */
		if (st.task_ms_median >= 0 && st.task_ms_max >= 0) {
			size_t m = st.tasks > 2 ? (size_t)st.tasks : 2, k;
			if (m > 100000)
				m = 100000;
			s->cap = m;
			s->task_ms = gdfo__calloc(m, sizeof(double));
			s->task_bytes = gdfo__calloc(m, sizeof(double));
			s->task_gc_ms = gdfo__calloc(m, sizeof(double));
			s->task_run_ms = gdfo__calloc(m, sizeof(double));
			if (!s->task_ms || !s->task_bytes || !s->task_gc_ms || !s->task_run_ms)
				return GDFO_ENOMEM;
			for (k = 0; k + 1 < m; k++)
				s->task_ms[k] = s->task_run_ms[k] = st.task_ms_median;
			s->task_ms[m - 1] = s->task_run_ms[m - 1] = st.task_ms_max;
			s->n = m;
		}
		if (st.shuffle_read_bytes >= 0)
			s->shuffle_read = st.shuffle_read_bytes;
		if (st.shuffle_write_bytes >= 0)
			s->shuffle_write = st.shuffle_write_bytes;
		if (st.spill_bytes >= 0)
			s->mem_spill = st.spill_bytes; /* memory and disk together */
		if (st.peak_memory_bytes >= 0) {
			s->peak_exec_max = st.peak_memory_bytes;
			s->has_peak = 1;
		}
		if (st.cpu_ms >= 0)
			s->cpu_ms = st.cpu_ms;
		if (st.failures > 0) {
			s->tasks_failed = (int64_t)st.failures;
			s->fail[GDFO__FAIL_OTHER] = (int64_t)st.failures;
		}
	}
	return 0;
}
