/*
 * From the ingested event-log state to the gdfo model: the pipeline graph,
 * telemetry and job profile.
 *
 * Edges. A stage's Parent IDs may name stages that never completed: with
 * AQE and reused shuffles, Spark declares a new stage for an exchange that
 * an earlier job already computed and then skips it. Such a parent is
 * replaced by the completed stage that computed the same RDD (same largest
 * RDD ID in RDD Info); when there is none, by that parent's own parents,
 * recursively. Edges that would close a cycle are dropped.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/topo.h"
#include "graph/graph_internal.h"
#include "io/ingest_internal.h"

typedef int (*include_fn)(const gdfo__ev_stage *s);

static int completed(const gdfo__ev_stage *s)
{
	return s->completed > 0;
}

static int profiled(const gdfo__ev_stage *s)
{
	return s->completed > 0 && s->n_task_ms > 0;
}

/* Resolved DAG over the included stages, in a topological order. */
typedef struct dag {
	size_t *order;    /* stage indices, parents first, ties by stage id */
	size_t n;
	size_t **parents; /* per stage index: resolved parent stage indices */
	size_t *n_parents;
} dag;

static void dag_free(dag *d, size_t n_stages)
{
	size_t i;
	if (d->parents)
		for (i = 0; i < n_stages; i++)
			free(d->parents[i]);
	free(d->parents);
	free(d->n_parents);
	free(d->order);
	memset(d, 0, sizeof(*d));
}

typedef struct id_idx {
	int64_t id;
	size_t idx;
} id_idx;

static int cmp_id_idx(const void *a, const void *b)
{
	const id_idx *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* The included stage that computed the same RDD as stage t, or -1. */
static long same_rdd(const gdfo_eventlog *log, include_fn incl, size_t t, size_t consumer)
{
	const gdfo__ev_stage *s = &log->stages[t];
	long best = -1;
	size_t i;

	if (s->max_rdd < 0)
		return -1;
	for (i = 0; i < log->n_stages; i++) {
		const gdfo__ev_stage *c = &log->stages[i];
		if (i == consumer || !incl(c) || c->max_rdd != s->max_rdd)
			continue;
		/* prefer the latest one that ran before the consumer */
		if (best < 0 || (c->id < log->stages[consumer].id &&
				 (log->stages[best].id > log->stages[consumer].id || c->id > log->stages[best].id)))
			best = (long)i;
	}
	return best;
}

static int push_unique(size_t **v, size_t *n, size_t *cap, size_t x)
{
	size_t i;
	for (i = 0; i < *n; i++)
		if ((*v)[i] == x)
			return 0;
	if (gdfo__grow((void **)v, cap, *n + 1, sizeof(**v)))
		return GDFO_ENOMEM;
	(*v)[(*n)++] = x;
	return 0;
}

/* The DAG over included stages numbered by rank of id, for gdfo__topo. */
typedef struct ranked {
	const dag *d;
	const size_t *by_id; /* rank -> stage index */
	const size_t *rank;  /* stage index -> rank */
} ranked;

static size_t ranked_n_parents(const void *u, size_t r)
{
	const ranked *x = u;
	return x->d->n_parents[x->by_id[r]];
}

static size_t ranked_parent(const void *u, size_t r, size_t k)
{
	const ranked *x = u;
	return x->rank[x->d->parents[x->by_id[r]][k]];
}

/*
 * Orders the included stages, smallest id first among the ready ones;
 * stages left on a cycle are placed smallest id first and lose their
 * edges from parents not yet placed. by_id is scratch of n entries.
 */
static int order_dag(dag *d, const gdfo_eventlog *log, include_fn incl, size_t *by_id)
{
	size_t n = log->n_stages, m = 0, i, k, *rank, *order;
	id_idx *pairs;
	gdfo__topo_csr csr = {0};
	ranked x;
	gdfo__topo t = {0, &csr, gdfo__topo_csr_n_children, gdfo__topo_csr_child, GDFO__TOPO_SMALLEST, 1};
	int rc = GDFO_ENOMEM;

	pairs = gdfo__malloc((n ? n : 1) * sizeof(*pairs));
	rank = gdfo__malloc((n ? n : 1) * sizeof(*rank));
	order = gdfo__malloc((n ? 3 * n : 1) * sizeof(*order));
	if (!pairs || !rank || !order)
		goto out;
	for (i = 0; i < n; i++)
		if (incl(&log->stages[i])) {
			pairs[m].id = log->stages[i].id;
			pairs[m++].idx = i;
		}
	qsort(pairs, m, sizeof(*pairs), cmp_id_idx);
	for (i = 0; i < m; i++) {
		by_id[i] = pairs[i].idx;
		rank[pairs[i].idx] = i;
	}
	x = (ranked){d, by_id, rank};
	if (gdfo__topo_csr_from_parents(&csr, m, ranked_n_parents, ranked_parent, &x))
		goto out;
	t.n = m;
	gdfo__topo_order(order, order + m, &t);
	for (i = 0; i < m; i++) {
		size_t s = by_id[order[i]];
		d->order[i] = s;
		rank[s] = i; /* now: stage index -> position in the order */
	}
	for (i = 0; i < m; i++) {
		size_t s = d->order[i];
		for (k = 0; k < d->n_parents[s];) {
			if (rank[d->parents[s][k]] > i)
				d->parents[s][k] = d->parents[s][--d->n_parents[s]];
			else
				k++;
		}
	}
	d->n = m;
	rc = 0;
out:
	free(pairs);
	free(rank);
	free(order);
	gdfo__topo_csr_free(&csr);
	return rc;
}

static int build_dag(dag *d, const gdfo_eventlog *log, include_fn incl)
{
	size_t n = log->n_stages, i, k;
	size_t *stack = NULL, n_stack = 0, cap_stack = 0;
	unsigned *seen = NULL;
	size_t *by_id = NULL;
	unsigned gen = 0;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	d->parents = gdfo__calloc(n ? n : 1, sizeof(*d->parents));
	d->n_parents = gdfo__calloc(n ? n : 1, sizeof(*d->n_parents));
	d->order = gdfo__malloc((n ? n : 1) * sizeof(*d->order));
	seen = gdfo__calloc(n ? n : 1, sizeof(*seen));
	by_id = gdfo__malloc((n ? n : 1) * sizeof(*by_id));
	if (!d->parents || !d->n_parents || !d->order || !seen || !by_id) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const gdfo__ev_stage *s = &log->stages[i];
		size_t cap = 0;
		if (!incl(s))
			continue;
		gen++;
		seen[i] = gen;
		n_stack = 0;
		for (k = 0; k < s->n_parents; k++) {
			const gdfo__ev_stage *p = gdfo__eventlog_stage((gdfo_eventlog *)log, s->parents[k], 0);
			if (p && gdfo__grow((void **)&stack, &cap_stack, n_stack + 1, sizeof(*stack))) {
				rc = GDFO_ENOMEM;
				goto out;
			}
			if (p)
				stack[n_stack++] = (size_t)(p - log->stages);
		}
		/* reverse so that parents are resolved in their listed order */
		for (k = 0; k < n_stack / 2; k++) {
			size_t t = stack[k];
			stack[k] = stack[n_stack - 1 - k];
			stack[n_stack - 1 - k] = t;
		}
		while (n_stack) {
			size_t t = stack[--n_stack];
			const gdfo__ev_stage *p = &log->stages[t];
			long sub;
			if (seen[t] == gen)
				continue;
			seen[t] = gen;
			if (incl(p)) {
				if ((rc = push_unique(&d->parents[i], &d->n_parents[i], &cap, t)))
					goto out;
				continue;
			}
			sub = same_rdd(log, incl, t, i);
			if (sub >= 0) {
				if ((size_t)sub != i && (rc = push_unique(&d->parents[i], &d->n_parents[i], &cap, (size_t)sub)))
					goto out;
				continue;
			}
			for (k = p->n_parents; k-- > 0;) {
				const gdfo__ev_stage *q = gdfo__eventlog_stage((gdfo_eventlog *)log, p->parents[k], 0);
				if (!q || seen[q - log->stages] == gen)
					continue;
				if (gdfo__grow((void **)&stack, &cap_stack, n_stack + 1, sizeof(*stack))) {
					rc = GDFO_ENOMEM;
					goto out;
				}
				stack[n_stack++] = (size_t)(q - log->stages);
			}
		}
	}
	if ((rc = order_dag(d, log, incl, by_id)))
		goto out;
out:
	free(stack);
	free(seen);
	free(by_id);
	if (rc)
		dag_free(d, n);
	return rc;
}

/* ---- shared numbers ------------------------------------------------------------- */

static int32_t profile_executors(const gdfo_eventlog *log)
{
	const char *v;
	long n;
	if (log->sum.executors_max_live > 0)
		return log->sum.executors_max_live > GDFO_PROFILE_EXECUTORS_MAX ? GDFO_PROFILE_EXECUTORS_MAX
										   : log->sum.executors_max_live;
	v = gdfo_eventlog_config(log, "spark.executor.instances");
	n = v ? strtol(v, NULL, 10) : 0;
	if (n > 0)
		return n > GDFO_PROFILE_EXECUTORS_MAX ? GDFO_PROFILE_EXECUTORS_MAX : (int32_t)n;
	return 1;
}

static int32_t profile_cores(const gdfo_eventlog *log)
{
	const char *m;
	int32_t c = log->sum.executor_cores;
	if (c <= 0 && (m = gdfo_eventlog_config(log, "spark.master")) && !strncmp(m, "local[", 6)) {
		long n = strtol(m + 6, NULL, 10);
		if (n > 0)
			c = n > GDFO_PROFILE_CORES_MAX ? GDFO_PROFILE_CORES_MAX : (int32_t)n;
	}
	if (c <= 0)
		c = 1;
	return c > GDFO_PROFILE_CORES_MAX ? GDFO_PROFILE_CORES_MAX : c;
}

/*
 * A byte size with Spark's suffixes ("40G", "512m", "200mb", "10b"); a plain
 * number is in unit (MiB for executor memory, bytes for the broadcast
 * threshold); 0 if unparseable.
 */
static int64_t size_bytes(const char *v, int64_t unit)
{
	char *end;
	double x;

	if (!v)
		return 0;
	x = strtod(v, &end);
	if (end == v || !isfinite(x) || x <= 0)
		return 0;
	switch (*end) {
	case 'b': case 'B': unit = 1; break;
	case 'k': case 'K': unit = 1 << 10; break;
	case 'm': case 'M': unit = 1 << 20; break;
	case 'g': case 'G': unit = 1 << 30; break;
	case 't': case 'T': unit = (int64_t)1 << 40; break;
	case 0: break;
	default: return 0;
	}
	if (x * (double)unit > 1e18)
		return 0;
	return (int64_t)(x * (double)unit);
}

/* An integer setting in lo..hi, else 0 (the engine default). */
static int32_t config_int(const gdfo_eventlog *log, const char *key, double lo, double hi)
{
	const char *v = gdfo_eventlog_config(log, key);
	char *end;
	double x;

	if (!v)
		return 0;
	x = strtod(v, &end);
	return end != v && !*end && x >= lo && x <= hi && x == floor(x) ? (int32_t)x : 0;
}

static int32_t config_switch(const gdfo_eventlog *log, const char *key)
{
	const char *v = gdfo_eventlog_config(log, key);

	if (v && !strcmp(v, "true"))
		return GDFO_SWITCH_ON;
	if (v && !strcmp(v, "false"))
		return GDFO_SWITCH_OFF;
	return GDFO_SWITCH_DEFAULT;
}

/*
 * The application's Spark settings the model and the rules use (docs/ingest.md);
 * a setting that is absent or unreadable stays 0, the engine default.
 */
static void app_settings(gdfo_graph_knobs *k, const gdfo_eventlog *log)
{
	const char *bt = gdfo_eventlog_config(log, "spark.sql.autoBroadcastJoinThreshold");
	int64_t b = size_bytes(bt, 1);
	char *end;

	if (bt && strtod(bt, &end) < 0 && end != bt && !*end)
		k->broadcast_threshold_bytes = -1; /* Spark: any negative value disables broadcast */
	else if (b > 0 && b <= ((int64_t)1 << 50))
		k->broadcast_threshold_bytes = b;
	k->shuffle_partitions = config_int(log, "spark.sql.shuffle.partitions", 1, GDFO_PARTITIONS_MAX);
	k->adaptive = config_switch(log, "spark.sql.adaptive.enabled");
	k->dynamic_allocation = config_switch(log, "spark.dynamicAllocation.enabled");
	k->min_executors = config_int(log, "spark.dynamicAllocation.minExecutors", 1, 100000);
	k->max_executors = config_int(log, "spark.dynamicAllocation.maxExecutors", 1, 100000);
	/* every stage of the graph is a Spark stage: its shuffle output is written once and reused */
	k->shuffle_reuse = GDFO_SWITCH_ON;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median and max of a stage's successful task durations; -1 when none. */
static int task_spread(const gdfo__ev_stage *s, double *median, double *max)
{
	double *v;
	size_t n = s->n_task_ms;
	*median = *max = GDFO_UNKNOWN;
	if (!n)
		return 0;
	v = gdfo__malloc(n * sizeof(*v));
	if (!v)
		return GDFO_ENOMEM;
	memcpy(v, s->task_ms, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_double);
	*median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
	*max = v[n - 1];
	free(v);
	return 0;
}

/* A stage name for the graph: Spark's, cut to 255 bytes on a UTF-8 boundary. */
static void stage_name(char *buf, size_t cap, const gdfo__ev_stage *s)
{
	size_t n;
	if (!s->name || !s->name[0]) {
		snprintf(buf, cap, "stage %lld", (long long)s->id);
		return;
	}
	n = strlen(s->name);
	if (n > cap - 1) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)s->name[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(buf, s->name, n);
	buf[n] = 0;
}

/* ---- graph ---------------------------------------------------------------------- */

int gdfo_eventlog_graph(gdfo_graph **out, const gdfo_eventlog *log)
{
	gdfo_graph *g = NULL;
	gdfo_graph_knobs knobs;
	dag d;
	size_t i, k;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_eventlog_graph: out is NULL");
	*out = NULL;
	if (!log)
		return gdfo__error(GDFO_EINVAL, "gdfo_eventlog_graph: log is NULL");
	if ((rc = build_dag(&d, log, completed)))
		return rc;
	if (d.n == 0) {
		dag_free(&d, log->n_stages);
		return gdfo__error(GDFO_ENOTFOUND, "the event log has no completed stage to build a pipeline from");
	}
	if ((rc = gdfo_graph_create(&g, log->name)))
		goto fail;
	for (k = 0; k < d.n; k++) {
		const gdfo__ev_stage *s = &log->stages[d.order[k]];
		gdfo_stage st;
		gdfo_stage_stats stats;
		gdfo_stage_knobs sk;
		char name[256];
		double rows_in = (double)(s->input_records + s->shuffle_records_read);
		double rows_out = (double)(s->shuffle_records_written + s->output_records);

		gdfo__stage_defaults(&st, &stats, &sk);
		stage_name(name, sizeof(name), s);
		st.id = s->id;
		st.name = name;
		st.op = gdfo__eventlog_pick_op(s->op_bits, d.n_parents[d.order[k]]);
		if (st.op == GDFO_OP_JOIN && d.n_parents[d.order[k]] < 2)
			st.op = GDFO_OP_PROJECT;
		st.fused_ops = s->op_bits | (1u << st.op);
		stats.rows_in = rows_in > 0 ? rows_in : 0;
		stats.bytes_in = s->ok_read_bytes_sum > 0 ? s->ok_read_bytes_sum : 0;
		if (rows_in > 0 && rows_out > 0)
			stats.selectivity = rows_out / rows_in;
		if (s->ok_read_bytes_sum > 0 && s->ok_tasks > 0) {
			double mean = s->ok_read_bytes_sum / (double)s->ok_tasks;
			stats.skew = s->ok_read_bytes_max / mean;
		} else if (s->n_task_ms > 0) {
			double sum = 0, mx = 0;
			for (i = 0; i < s->n_task_ms; i++) {
				sum += s->task_ms[i];
				if (s->task_ms[i] > mx)
					mx = s->task_ms[i];
			}
			if (sum > 0)
				stats.skew = mx / (sum / (double)s->n_task_ms);
		}
		if (!(stats.skew >= 1.0) || !isfinite(stats.skew))
			stats.skew = 1.0;
		if (s->has_cpu && s->cpu_ns > 0 && rows_in > 0)
			stats.cpu_ns_per_row = (double)s->cpu_ns / rows_in;
		if (s->num_tasks > 0)
			sk.partitions = s->num_tasks > GDFO_PARTITIONS_MAX ? GDFO_PARTITIONS_MAX : (int32_t)s->num_tasks;
		if ((rc = gdfo_graph_add_stage(g, &st)))
			goto fail;
	}
	for (k = 0; k < d.n; k++) {
		size_t c = d.order[k];
		for (i = 0; i < d.n_parents[c]; i++) {
			rc = gdfo_graph_add_edge(g, log->stages[d.parents[c][i]].id, log->stages[c].id);
			if (rc == GDFO_ENOMEM)
				goto fail;
		}
	}
	gdfo_graph_knobs_init(&knobs, GDFO_GRAPH_KNOBS_VERSION);
	gdfo_graph_get_knobs(&knobs, g);
	knobs.executors = profile_executors(log);
	knobs.cores_per_executor = profile_cores(log);
	{
		/* Spark's default unit for executor memory is MiB */
		int64_t mem = size_bytes(gdfo_eventlog_config(log, "spark.executor.memory"), 1 << 20);
		if (mem >= ((int64_t)64 << 20))
			knobs.memory_per_executor_bytes = mem;
	}
	app_settings(&knobs, log);
	if ((rc = gdfo_graph_set_knobs(g, &knobs)))
		goto fail;
	if ((rc = gdfo_graph_validate(g))) {
		rc = gdfo__error_prefix(GDFO_EINTERNAL, "the graph built from the event log is invalid");
		goto fail;
	}
	dag_free(&d, log->n_stages);
	*out = g;
	return 0;
fail:
	dag_free(&d, log->n_stages);
	gdfo_graph_free(g);
	return rc;
}

/* ---- telemetry ------------------------------------------------------------------- */

static double known(int64_t v)
{
	return v >= 0 ? (double)v : GDFO_UNKNOWN;
}

int gdfo_eventlog_telemetry(gdfo_telemetry **out, const gdfo_eventlog *log)
{
	gdfo_telemetry *t = NULL;
	gdfo_graph *g = NULL; /* the pipeline it measured: fingerprint and stage names */
	gdfo_run_telemetry run;
	uint64_t fp;
	dag d;
	size_t k;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_eventlog_telemetry: out is NULL");
	*out = NULL;
	if (!log)
		return gdfo__error(GDFO_EINVAL, "gdfo_eventlog_telemetry: log is NULL");
	/* No completed stage, no pipeline (GDFO_ENOTFOUND): then no fingerprint either. */
	rc = gdfo_eventlog_graph(&g, log);
	if ((rc && rc != GDFO_ENOTFOUND) || (g && (rc = gdfo_graph_fingerprint(&fp, g)))) {
		gdfo_graph_free(g);
		return rc;
	}
	if ((rc = build_dag(&d, log, completed))) {
		gdfo_graph_free(g);
		return rc;
	}
	if ((rc = gdfo_telemetry_create(&t)) || (g && (rc = gdfo_telemetry_set_fingerprint(t, fp))))
		goto fail;
	for (k = 0; k < d.n; k++) {
		const gdfo__ev_stage *s = &log->stages[d.order[k]];
		gdfo_stage_telemetry st;
		size_t gi = g ? gdfo__graph_index(g, s->id) : (size_t)-1;
		gdfo_stage_telemetry_init(&st, GDFO_STAGE_TELEMETRY_VERSION);
		st.stage_id = s->id;
		if (gi != (size_t)-1)
			snprintf(st.name, sizeof(st.name), "%s", g->stages[gi].name);
		if (s->first_launch >= 0 && s->last_finish >= s->first_launch)
			st.duration_ms = (double)(s->last_finish - s->first_launch);
		else if (s->submit_ms >= 0 && s->complete_ms >= s->submit_ms)
			st.duration_ms = (double)(s->complete_ms - s->submit_ms);
		st.tasks = (double)s->tasks;
		if ((rc = task_spread(s, &st.task_ms_median, &st.task_ms_max)))
			goto fail;
		st.shuffle_read_bytes = known(s->shuffle_read);
		st.shuffle_write_bytes = known(s->shuffle_write);
		st.spill_bytes = known(s->mem_spill + s->disk_spill);
		st.peak_memory_bytes = s->has_peak ? known(s->peak_mem) : GDFO_UNKNOWN;
		st.cpu_ms = s->has_cpu && s->cpu_ns >= 0 ? (double)s->cpu_ns / 1e6 : GDFO_UNKNOWN;
		st.failures = (double)s->tasks_failed;
		if ((rc = gdfo_telemetry_set_stage(t, &st)))
			goto fail;
	}
	gdfo_run_telemetry_init(&run, GDFO_RUN_TELEMETRY_VERSION);
	run.success = log->sum.jobs_failed == 0;
	if (log->sum.has_app_duration && log->sum.app_duration_ms >= 0)
		run.latency_ms = (double)log->sum.app_duration_ms;
	else if (log->first_submit >= 0 && log->last_complete >= log->first_submit)
		run.latency_ms = (double)(log->last_complete - log->first_submit);
	if (log->records_in >= 0)
		run.records = (double)log->records_in;
	if (run.latency_ms > 0 && run.records >= 0)
		run.throughput = run.records / (run.latency_ms / 1000.0);
	if ((rc = gdfo_telemetry_set_run(t, &run)))
		goto fail;
	dag_free(&d, log->n_stages);
	gdfo_graph_free(g);
	*out = t;
	return 0;
fail:
	dag_free(&d, log->n_stages);
	gdfo_graph_free(g);
	gdfo_telemetry_free(t);
	return rc;
}

/* ---- profile ---------------------------------------------------------------------- */

int gdfo_eventlog_profile(gdfo_profile **out, const gdfo_eventlog *log)
{
	gdfo_profile *p = NULL;
	int64_t *parents = NULL;
	dag d;
	size_t k, i;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_eventlog_profile: out is NULL");
	*out = NULL;
	if (!log)
		return gdfo__error(GDFO_EINVAL, "gdfo_eventlog_profile: log is NULL");
	if ((rc = build_dag(&d, log, profiled)))
		return rc;
	if (d.n == 0) {
		dag_free(&d, log->n_stages);
		return gdfo__error(GDFO_ENOTFOUND, "the event log has no completed stage with a successful task");
	}
	if ((rc = gdfo_profile_create(&p, log->name, profile_executors(log), profile_cores(log))))
		goto fail;
	for (k = 0; k < d.n; k++) {
		size_t si = d.order[k];
		const gdfo__ev_stage *s = &log->stages[si];
		gdfo_profile_stage ps;
		if (d.n_parents[si]) {
			int64_t *np = gdfo__realloc(parents, d.n_parents[si] * sizeof(*parents));
			if (!np) {
				rc = GDFO_ENOMEM;
				goto fail;
			}
			parents = np;
		}
		for (i = 0; i < d.n_parents[si]; i++)
			parents[i] = log->stages[d.parents[si][i]].id;
		gdfo_profile_stage_init(&ps, GDFO_PROFILE_STAGE_VERSION);
		ps.id = s->id;
		ps.parents = parents;
		ps.n_parents = d.n_parents[si];
		ps.num_tasks = s->num_tasks >= 0 ? s->num_tasks : (int64_t)s->n_task_ms;
		if (ps.num_tasks > GDFO_PROFILE_TASKS_MAX)
			ps.num_tasks = GDFO_PROFILE_TASKS_MAX;
		ps.task_ms = s->task_ms;
		ps.n_task_ms = s->n_task_ms;
		if (s->input_bytes >= 0) {
			ps.has_bytes |= GDFO_PROFILE_INPUT_BYTES;
			ps.input_bytes = s->input_bytes;
		}
		if (s->shuffle_read >= 0) {
			ps.has_bytes |= GDFO_PROFILE_SHUFFLE_READ_BYTES;
			ps.shuffle_read_bytes = s->shuffle_read;
		}
		if (s->shuffle_write >= 0) {
			ps.has_bytes |= GDFO_PROFILE_SHUFFLE_WRITE_BYTES;
			ps.shuffle_write_bytes = s->shuffle_write;
		}
		if (s->mem_spill + s->disk_spill >= 0) {
			ps.has_bytes |= GDFO_PROFILE_SPILL_BYTES;
			ps.spill_bytes = s->mem_spill + s->disk_spill;
		}
		if ((rc = gdfo_profile_add_stage(p, &ps)))
			goto fail;
	}
	free(parents);
	dag_free(&d, log->n_stages);
	*out = p;
	return 0;
fail:
	free(parents);
	dag_free(&d, log->n_stages);
	gdfo_profile_free(p);
	return rc;
}
