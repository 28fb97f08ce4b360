/*
 * The simulator's public API: options, the handle, graph and multi-job
 * runs, the run bookkeeping they share with profile replay (replay.c),
 * results and their JSON.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/abi.h"
#include "core/json_write.h"
#include "graph/graph_internal.h"
#include "sim/sim_internal.h"

int gdfo_sim_options_init(gdfo_sim_options *o, unsigned int version)
{
	gdfo_sim_options d;
	memset(&d, 0, sizeof(d));
	d.mode = GDFO_SIM_DES;
	d.seed = 1;
	d.runs = 1;
	d.replay = GDFO_REPLAY_EXACT;
	d.straggler_factor = 4;
	d.max_attempts = 4;
	d.backlog_timeout_ms = 1000;
	d.idle_timeout_ms = 60000;
	d.run_index = -1;
	return gdfo__abi_init(o, version, &d, GDFO__ABI_SIM_OPTIONS, "gdfo_sim_options_init");
}

int gdfo__sim_bad_option(const char *field, const char *why)
{
	return gdfo__error(GDFO_EINVAL, "simulation options: %s %s", field, why);
}

#define FIN_RANGE(v, lo, hi) (gdfo__finite(v) && (v) >= (lo) && (v) <= (hi))

int gdfo__sim_check_options(const gdfo_sim_options *o)
{
	if (o->mode != GDFO_SIM_DES && o->mode != GDFO_SIM_ANALYTIC && o->mode != GDFO_SIM_EXPECTED)
		return gdfo__sim_bad_option("mode", "must be GDFO_SIM_DES (0), GDFO_SIM_ANALYTIC (1) or GDFO_SIM_EXPECTED (2)");
	if (o->runs < 1 || o->runs > 100000)
		return gdfo__sim_bad_option("runs", "must be in 1..100000");
	if (o->replay != GDFO_REPLAY_EXACT && o->replay != GDFO_REPLAY_SAMPLED)
		return gdfo__sim_bad_option("replay", "must be GDFO_REPLAY_EXACT (0) or GDFO_REPLAY_SAMPLED (1)");
	if (o->executors < 0 || o->executors > 100000)
		return gdfo__sim_bad_option("executors", "must be in 0..100000");
	if (o->cores_per_executor < 0 || o->cores_per_executor > 1024)
		return gdfo__sim_bad_option("cores_per_executor", "must be in 0..1024");
	if (!FIN_RANGE(o->noise_sigma, 0, 3))
		return gdfo__sim_bad_option("noise_sigma", "must be in 0..3");
	if (!FIN_RANGE(o->straggler_prob, 0, 1))
		return gdfo__sim_bad_option("straggler_prob", "must be in 0..1");
	if (!FIN_RANGE(o->straggler_factor, 1, 1e6))
		return gdfo__sim_bad_option("straggler_factor", "must be in 1..1e6");
	if (!FIN_RANGE(o->failure_prob, 0, 0.99))
		return gdfo__sim_bad_option("failure_prob", "must be in 0..0.99");
	if (o->max_attempts < 1 || o->max_attempts > 100)
		return gdfo__sim_bad_option("max_attempts", "must be in 1..100");
	if (o->min_executors < 0 || o->max_executors < 0 || o->max_executors > 100000 ||
	    o->min_executors > 100000)
		return gdfo__sim_bad_option("min_executors/max_executors", "must be in 0..100000");
	if (!FIN_RANGE(o->backlog_timeout_ms, 0, 1e12) || !FIN_RANGE(o->idle_timeout_ms, 0, 1e12))
		return gdfo__sim_bad_option("backlog_timeout_ms/idle_timeout_ms", "must be finite and >= 0");
	if (o->run_index < -1)
		return gdfo__sim_bad_option("run_index", "must be -1 or >= 0");
	if (o->batches < 0 || o->batches > 1000000)
		return gdfo__sim_bad_option("batches", "must be in 0..1000000");
	if (!FIN_RANGE(o->batch_interval_ms, 0, 1e15))
		return gdfo__sim_bad_option("batch_interval_ms", "must be finite and >= 0");
	if (!FIN_RANGE(o->replay_stage_gap_ms, 0, 1e12))
		return gdfo__sim_bad_option("replay_stage_gap_ms", "must be finite and >= 0");
	return 0;
}

int gdfo_sim_create(gdfo_sim **out, const gdfo_sim_cluster *cluster)
{
	gdfo_sim_cluster full;
	gdfo_sim *s;
	int rc;
	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_create: out is NULL");
	*out = NULL;
	gdfo_sim_cluster_init(&full, GDFO_SIM_CLUSTER_VERSION);
	if (cluster && ((rc = gdfo__abi_in(&full, cluster, &full, GDFO__ABI_SIM_CLUSTER, "gdfo_sim_create")) ||
			(rc = gdfo_sim_cluster_validate(&full))))
		return rc;
	s = gdfo__calloc(1, sizeof(*s));
	if (!s)
		return GDFO_ENOMEM;
	s->cluster = full;
	gdfo__cal_reset(&s->cal);
	*out = s;
	return 0;
}

void gdfo_sim_free(gdfo_sim *s)
{
	if (!s)
		return;
	free(s->ms);
	free(s->topo);
	free(s->pos);
	free(s->indeg);
	free(s->ds);
	free(s->children);
	free(s->job_arrival);
	free(s->job_end);
	free(s->dur);
	free(s->sorted);
	free(s->acc);
	free(s->attempts);
	free(s->retry_next);
	free(s->heap);
	free(s->free_cores);
	free(s->core_exec);
	free(s->core_free);
	free(s->execs);
	free(s->runnable);
	free(s->run_ms);
	free(s->tmp);
	free(s->wheap);
	free(s->stack);
	free(s->sr);
	free(s->res_arrival);
	free(s->res_end);
	gdfo__cal_free(&s->cal);
	free(s);
}

int gdfo_sim_get_cluster(gdfo_sim_cluster *out, const gdfo_sim *sim)
{
	if (!out || !sim)
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_get_cluster: NULL argument");
	return gdfo__abi_out(out, &sim->cluster, GDFO__ABI_SIM_CLUSTER, "gdfo_sim_get_cluster");
}

/* ---- helpers ---------------------------------------------------------------- */

int gdfo__sim_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The q-quantile of v[0..n) (sorted in place), linear interpolation. */
double gdfo__sim_quantile_sorted(const double *v, size_t n, double q)
{
	double p, f;
	size_t i;
	if (n == 0)
		return 0;
	p = q * (double)(n - 1);
	i = (size_t)p;
	if (i + 1 >= n)
		return v[n - 1];
	f = p - (double)i;
	return v[i] + f * (v[i + 1] - v[i]);
}

/*
 * Moves the k-th smallest of v[0..n) to v[k], none larger before it and
 * none smaller after (Wirth's selection). Returns 0 when v holds a NaN,
 * which has no place in the order (the caller sorts then).
 */
static int select_kth(double *v, size_t n, size_t k)
{
	ptrdiff_t l = 0, m = (ptrdiff_t)n - 1, i, j, kk = (ptrdiff_t)k;
	size_t q;

	for (q = 0; q < n; q++)
		if (v[q] != v[q])
			return 0;
	while (l < m) {
		double x = v[kk], t;
		i = l;
		j = m;
		do {
			while (v[i] < x)
				i++;
			while (x < v[j])
				j--;
			if (i <= j) {
				t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				j--;
			}
		} while (i <= j);
		if (j < kk)
			l = i;
		if (kk < i)
			m = j;
	}
	return 1;
}

/*
 * The 0.95-quantile of v[0..n) (reordered), as gdfo__sim_quantile_sorted
 * gives it on the sorted values: it needs only the two order statistics
 * around the quantile, which a selection finds in linear time (each
 * simulation asks for this over every stage).
 */
static double p95(double *v, size_t n)
{
	double p, f, lo, hi;
	size_t i, j;

	if (n == 0)
		return 0;
	p = 0.95 * (double)(n - 1);
	i = (size_t)p;
	if (i + 1 >= n)
		i = n - 1;
	if (!select_kth(v, n, i)) {
		qsort(v, n, sizeof(*v), gdfo__sim_cmp_double);
		return gdfo__sim_quantile_sorted(v, n, 0.95);
	}
	lo = v[i];
	if (i + 1 >= n)
		return lo;
	hi = v[i + 1];
	for (j = i + 2; j < n; j++)
		if (v[j] < hi)
			hi = v[j];
	f = p - (double)i;
	return lo + f * (hi - lo);
}

uint64_t gdfo__sim_run_seed(uint64_t seed, uint64_t r)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (r + 1);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The price of an executor-second with C cores and mem bytes: the graph cluster's prices when set, else the simulator's. */
static double price_of(const gdfo_sim *sim, const gdfo_graph *g, int32_t C, double mem)
{
	const gdfo_cluster *gc = &g->cluster;
	if (gc->price_per_executor_s > 0 || gc->price_per_core_s > 0 || gc->price_per_gib_s > 0)
		return gc->price_per_executor_s + C * gc->price_per_core_s + mem / 1073741824.0 * gc->price_per_gib_s;
	return sim->cluster.price_per_executor_s + C * sim->cluster.price_per_core_s +
	       mem / 1073741824.0 * sim->cluster.price_per_gib_s;
}

static void resolve_graph(const gdfo_sim *sim, const gdfo_graph *g, const gdfo_sim_options *o,
			  int32_t *E, int32_t *C, double *mem, double *price)
{
	*E = o->executors > 0 ? o->executors : g->knobs.executors > 0 ? g->knobs.executors : sim->cluster.executors;
	if (o->executors <= 0 && g->cluster.executors_available > 0 && *E > g->cluster.executors_available)
		*E = g->cluster.executors_available;
	*C = o->cores_per_executor > 0 ? o->cores_per_executor
	     : g->knobs.cores_per_executor > 0 ? g->knobs.cores_per_executor : sim->cluster.cores_per_executor;
	*mem = g->knobs.memory_per_executor_bytes > 0 ? (double)g->knobs.memory_per_executor_bytes
						       : (double)sim->cluster.memory_per_executor_bytes;
	*price = price_of(sim, g, *C, *mem);
}

/* Sizes every per-stage workspace for n stages in n_jobs jobs. */
int gdfo__sim_reserve_stages(gdfo_sim *sim, size_t n, size_t n_edges, size_t n_jobs)
{
	int rc;
	if ((rc = GDFO__SIM_RESERVE(sim, ms, ms_cap, n)) || (rc = GDFO__SIM_RESERVE(sim, topo, topo_cap, n)) ||
	    (rc = GDFO__SIM_RESERVE(sim, pos, pos_cap, n)) || (rc = GDFO__SIM_RESERVE(sim, indeg, indeg_cap, n + n_jobs)) ||
	    (rc = GDFO__SIM_RESERVE(sim, ds, ds_cap, n)) || (rc = GDFO__SIM_RESERVE(sim, children, children_cap, n_edges)) ||
	    (rc = GDFO__SIM_RESERVE(sim, job_arrival, job_cap, n_jobs)) ||
	    (rc = GDFO__SIM_RESERVE(sim, job_end, job_end_cap, n_jobs)) ||
	    (rc = GDFO__SIM_RESERVE(sim, sr, sr_cap, n)) || (rc = GDFO__SIM_RESERVE(sim, runnable, runnable_cap, n)) ||
	    (rc = GDFO__SIM_RESERVE(sim, stack, stack_cap, n)) ||
	    (rc = GDFO__SIM_RESERVE(sim, tmp, tmp_cap, n)))
		return rc;
	return 0;
}

void gdfo__sim_acc_reset(gdfo_sim *sim, size_t n)
{
	memset(sim->sr, 0, n * sizeof(*sim->sr));
}

void gdfo__sim_job_init(gdfo__des_job *job, gdfo_sim *sim, size_t n, uint32_t n_jobs, int32_t E, int32_t C,
			double startup_ms)
{
	size_t i;

	memset(job, 0, sizeof(*job));
	job->stages = sim->ds;
	job->n_stages = n;
	job->children = sim->children;
	job->job_arrival = sim->job_arrival;
	job->job_end = sim->job_end;
	job->n_jobs = n_jobs;
	job->executors = E;
	job->cores = C;
	job->startup_ms = startup_ms;
	for (i = 0; i < n; i++)
		job->total_tasks += sim->ds[i].n_tasks;
}

/* Adds one run's per-stage figures (DES index k -> result slot map[k]). */
static void stage_acc_add(gdfo_sim *sim, const gdfo__des_job *job, const size_t *slot)
{
	size_t k;
	for (k = 0; k < job->n_stages; k++) {
		const gdfo__des_stage *d = &job->stages[k];
		gdfo_sim_stage_result *r = &sim->sr[slot[k]];
		/* a stage a failed run never finished adds no duration (it was < 0 then) */
		double end = d->end_ms >= 0 ? d->end_ms : 0, ready = d->ready_ms >= 0 && d->end_ms >= 0 ? d->ready_ms : end;
		r->start_ms += d->start_ms >= 0 ? d->start_ms : end;
		r->end_ms += end;
		r->duration_ms += end - ready;
		r->work_ms += d->work_ms;
		r->tasks += d->launched;
		if (d->max_chain_ms > r->task_ms_max)
			r->task_ms_max = d->max_chain_ms;
	}
}

static void stage_acc_finish(gdfo_sim *sim, size_t n, int runs)
{
	size_t k;
	for (k = 0; k < n; k++) {
		gdfo_sim_stage_result *r = &sim->sr[k];
		r->start_ms /= runs;
		r->end_ms /= runs;
		r->duration_ms /= runs;
		r->work_ms /= runs;
		r->tasks /= runs;
	}
}

/* Adds simulated run r to the sums in out and to the executor time. */
void gdfo__sim_run_add(gdfo_sim *sim, const gdfo__des_job *job, const gdfo__des_out *d, int r,
		    gdfo_sim_result *out, double *exec_ms)
{
	stage_acc_add(sim, job, sim->topo);
	sim->run_ms[r] = d->makespan_ms;
	out->makespan_ms += d->makespan_ms;
	out->work_ms += d->work_ms;
	out->critical_path_ms += d->critical_path_ms;
	out->task_events += d->task_events;
	*exec_ms += d->executor_ms;
}

/* Turns the sums of gdfo__sim_run_add over runs into means, with the makespan's p95. */
void gdfo__sim_runs_mean(gdfo_sim *sim, size_t n, int runs, gdfo_sim_result *out, double *exec_ms)
{
	out->makespan_ms /= runs;
	out->work_ms /= runs;
	out->critical_path_ms /= runs;
	out->makespan_ms_p95 = p95(sim->run_ms, (size_t)runs);
	*exec_ms /= runs;
	stage_acc_finish(sim, n, runs);
}

void gdfo__sim_stage_p95(gdfo_sim *sim, size_t n, gdfo_sim_result *res)
{
	size_t k;
	for (k = 0; k < n; k++)
		sim->tmp[k] = sim->sr[k].duration_ms;
	res->stage_ms_p95 = p95(sim->tmp, n);
}

/* Fills the model's per-stage fields into result slots. */
static void stage_model_fields(gdfo_sim *sim, const gdfo_graph *g, const gdfo__mstage *ms,
			       gdfo_sim_stage_result *sr, int32_t job, gdfo_sim_result *res,
			       double *storage_bytes, double *read_core_s)
{
	size_t i;
	for (i = 0; i < g->n; i++) {
		const gdfo__mstage *m = &ms[i];
		gdfo_sim_stage_result *r = &sr[i];
		r->id = g->stages[i].id;
		r->job = job;
		r->join_strategy = m->strategy;
		r->rows_in = m->rows_in;
		r->rows_out = m->rows_out;
		r->bytes_in = m->bytes_in;
		r->bytes_out = m->bytes_out;
		r->shuffle_read_bytes = m->shuffle_read;
		r->shuffle_write_bytes = m->shuffle_write;
		r->spill_bytes = m->spill;
		r->cache_bytes = m->cache_bytes;
		r->files_written = m->files;
		r->executions = m->executions;
		res->spill_bytes += m->spill;
		res->shuffle_bytes += m->shuffle_write;
		if (g->stages[i].n_parents == 0)
			res->records += m->rows_in;
		*storage_bytes += m->storage_bytes;
		*read_core_s += m->read_overhead_core_s;
	}
	(void)sim;
}

void gdfo__sim_finish_totals(gdfo_sim *sim, gdfo_sim_result *res, double price, double storage_bytes,
			  double read_core_s, double exec_ms_total, int32_t C)
{
	res->executor_seconds = exec_ms_total / 1000.0;
	res->compute_cost = res->executor_seconds * price;
	res->storage_cost = storage_bytes * sim->cluster.storage_price_per_byte + read_core_s / C * price;
	res->cost = res->compute_cost + res->storage_cost;
	res->throughput = res->makespan_ms > 0 ? res->records / (res->makespan_ms / 1000.0) : 0;
	res->utilization = exec_ms_total > 0 ? res->work_ms / (exec_ms_total * C) : 0;
	if (res->utilization > 1)
		res->utilization = 1;
}

/* ---- graphs ------------------------------------------------------------------ */

static int build_graph_job(gdfo_sim *sim, const gdfo_graph *g, const gdfo_sim_options *o,
			   int32_t E, int32_t C, double mem, gdfo__des_job *job)
{
	size_t ne = 0, n = g->n, i, nc = 0;
	int rc;
	for (i = 0; i < n; i++)
		ne += g->stages[i].n_children;
	if ((rc = gdfo__sim_reserve_stages(sim, n, ne, 1)))
		return rc;
	if ((rc = gdfo__model_topo(g, sim->topo, sim->indeg)))
		return rc;
	gdfo__model_build(&sim->cluster, g, sim->ms, sim->topo, sim->pos, sim->ds, 0, sim->children, &nc, 0,
			  E, C, mem, o, &sim->cal);
	gdfo__sim_job_init(job, sim, n, 1, E, C, sim->cluster.executor_start_ms);
	job->job_arrival[0] = 0;
	if (job->total_tasks > 0x7fffffffULL)
		return gdfo__error(GDFO_ERANGE, "pipeline '%s': %llu tasks is more than the simulator's 2^31",
				   g->name, (unsigned long long)job->total_tasks);
	return 0;
}

static int check_graph_arg(const gdfo_graph *g, const char *fn)
{
	if (!g)
		return gdfo__error(GDFO_EINVAL, "%s: graph is NULL", fn);
	if (g->n == 0)
		return gdfo__error(GDFO_EINVAL, "%s: pipeline '%s' has no stages", fn, g->name);
	return 0;
}

void gdfo__sim_set_result(gdfo_sim *sim, int kind, size_t n_stages, size_t n_jobs)
{
	sim->have_result = 1;
	sim->kind = kind;
	sim->n_sr = n_stages;
	sim->n_jobs_res = n_jobs;
}

static int run_graph(gdfo_sim *sim, gdfo_sim_result *out, const gdfo_graph *g,
		       const gdfo_sim_options *opts)
{
	gdfo__des_job job;
	gdfo__des_out d;
	gdfo__rng rng;
	int32_t E, C;
	double mem, price, storage = 0, read_core_s = 0, exec_ms = 0, overhead, shift = 0;
	int rc, r, runs;
	size_t n, i;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!sim || !out)
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_run_graph: NULL argument");
	sim->have_result = 0;
	if ((rc = check_graph_arg(g, "gdfo_sim_run_graph")))
		return rc;
	resolve_graph(sim, g, opts, &E, &C, &mem, &price);
	if ((rc = build_graph_job(sim, g, opts, E, C, mem, &job)))
		return rc;
	n = g->n;
	/*
	 * Calibrated, the fitted overhead stands for the start-up. A single run
	 * adds it after the schedule (executors up at 0, as in the measured
	 * tasks' replay); micro-batches keep it before the first batch.
	 */
	if (sim->cal.active) {
		job.startup_ms = opts->batches > 0 ? sim->cal.overhead_ms : 0;
		shift = opts->batches > 0 ? 0 : sim->cal.overhead_ms;
	}
	overhead = sim->cal.active ? sim->cal.overhead_ms : job.startup_ms;
	if ((rc = GDFO__SIM_RESERVE(sim, run_ms, run_ms_cap, (size_t)opts->runs * (opts->batches > 0 ? opts->batches : 1))))
		return rc;
	gdfo__sim_acc_reset(sim, n);
	out->success = 1;
	out->failed_stage_id = -1;
	out->executors = E;
	out->cores_per_executor = C;
	runs = opts->mode != GDFO_SIM_DES ? 1 : opts->runs;

	if (opts->batches > 0) {
		double interval = opts->batch_interval_ms > 0 ? opts->batch_interval_ms : g->cluster.slo_ms;
		size_t nb = (size_t)opts->batches, nlat = 0;
		double lat_sum = 0, lat_max = 0, backlog = 0, proc_sum = 0;
		if (!(interval > 0))
			return gdfo__error(GDFO_EINVAL, "pipeline '%s': micro-batches need an interval (options.batch_interval_ms or the cluster's slo_ms)",
					   g->name);
		for (r = 0; r < runs; r++) {
			double prev_end = 0, last_arrival = (double)(nb - 1) * interval;
			size_t b, waiting = 0;
			gdfo__rng_seed(&rng, gdfo__sim_run_seed(opts->seed, (uint64_t)r));
			for (b = 0; b < nb; b++) {
				double arrival = (double)b * interval, start, lat;
				job.startup_ms = b == 0 ? overhead : 0;
				if (opts->mode == GDFO_SIM_ANALYTIC)
					gdfo__fluid_run(sim, &job, &d);
				else if (opts->mode == GDFO_SIM_EXPECTED ? (rc = gdfo__wave_run(sim, &job, opts, &d))
									 : (rc = gdfo__des_run(sim, &job, opts, &rng, &d)))
					return rc;
				stage_acc_add(sim, &job, sim->topo);
				if (!d.success && out->success) {
					out->success = 0;
					out->failed_stage_id = g->stages[sim->topo[d.failed_stage]].id;
				}
				start = arrival > prev_end ? arrival : prev_end;
				if (start > last_arrival)
					waiting++;
				prev_end = start + d.makespan_ms;
				lat = prev_end - arrival;
				sim->run_ms[nlat++] = lat;
				lat_sum += lat;
				if (lat > lat_max)
					lat_max = lat;
				proc_sum += d.makespan_ms;
				out->work_ms += d.work_ms;
				out->critical_path_ms += d.critical_path_ms;
				out->task_events += d.task_events;
			}
			backlog += (double)waiting;
			exec_ms += (double)E * prev_end;
		}
		out->batches = (int32_t)nb;
		out->batch_interval_ms = interval;
		out->batch_latency_ms_mean = lat_sum / (double)nlat;
		out->batch_latency_ms_p95 = p95(sim->run_ms, nlat);
		out->batch_latency_ms_max = lat_max;
		out->backlog_batches = backlog / runs;
		out->makespan_ms = proc_sum / (double)nlat;
		out->makespan_ms_p95 = out->batch_latency_ms_p95;
		out->work_ms /= runs;
		out->critical_path_ms /= (double)nlat;
		stage_acc_finish(sim, n, (int)nlat);
		exec_ms /= runs;
	} else {
		for (r = 0; r < runs; r++) {
			if (opts->mode == GDFO_SIM_ANALYTIC) {
				gdfo__fluid_run(sim, &job, &d);
			} else if (opts->mode == GDFO_SIM_EXPECTED) {
				if ((rc = gdfo__wave_run(sim, &job, opts, &d)))
					return rc;
			} else {
				gdfo__rng_seed(&rng, gdfo__sim_run_seed(opts->seed, (uint64_t)r));
				if ((rc = gdfo__des_run(sim, &job, opts, &rng, &d)))
					return rc;
			}
			gdfo__sim_run_add(sim, &job, &d, r, out, &exec_ms);
			if (!d.success && out->success) {
				out->success = 0;
				out->failed_stage_id = g->stages[sim->topo[d.failed_stage]].id;
			}
		}
		gdfo__sim_runs_mean(sim, n, runs, out, &exec_ms);
		/* expected mode: the normal approximation from the tails' spread */
		if (opts->mode == GDFO_SIM_EXPECTED)
			out->makespan_ms_p95 = out->makespan_ms + 1.6449 * sqrt(d.makespan_var);
		if (shift > 0) {
			out->makespan_ms += shift;
			out->makespan_ms_p95 += shift;
			out->critical_path_ms += shift;
			exec_ms += (double)E * shift;
			for (i = 0; i < n; i++) {
				sim->sr[i].start_ms += shift;
				sim->sr[i].end_ms += shift;
			}
		}
	}
	out->runs = runs;
	stage_model_fields(sim, g, sim->ms, sim->sr, 0, out, &storage, &read_core_s);
	if (opts->batches > 0) {
		out->records *= opts->batches;
		storage *= opts->batches;
		read_core_s *= opts->batches;
	}
	gdfo__sim_stage_p95(sim, n, out);
	gdfo__sim_finish_totals(sim, out, price, storage, read_core_s, exec_ms, C);
	if (opts->batches > 0)
		out->throughput = out->records / ((exec_ms / E) / 1000.0);
	/* the start-up (or the calibrated overhead) is in the first run or batch only */
	out->overhead_ms = overhead;
	out->execution_ms = out->makespan_ms - overhead / (opts->batches > 0 ? opts->batches : 1);
	if (out->execution_ms < 0)
		out->execution_ms = 0;
	for (i = 0; i < n; i++)
		out->stages_calibrated += sim->ms[i].calibrated;
	sim->result = *out;
	gdfo__sim_set_result(sim, 0, n, 1);
	return 0;
}

/* ---- several jobs on one cluster ---------------------------------------------- */

static int run_jobs(gdfo_sim *sim, gdfo_sim_result *out, const gdfo_graph *const *graphs,
		      const double *arrival_ms, size_t n_graphs, const gdfo_sim_options *opts)
{
	gdfo__des_job job;
	gdfo__des_out d;
	gdfo__rng rng;
	int32_t E, C;
	double mem, price, storage = 0, read_core_s = 0, exec_ms = 0;
	size_t n = 0, ne = 0, i, j, off, nc = 0;
	int rc, r;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!sim || !out || !graphs || n_graphs == 0)
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_run_jobs: NULL argument or no graphs");
	sim->have_result = 0;
	if (opts->batches > 0)
		return gdfo__sim_bad_option("batches", "is not supported with several jobs");
	for (j = 0; j < n_graphs; j++) {
		char what[64];
		snprintf(what, sizeof(what), "gdfo_sim_run_jobs: job %zu", j);
		if ((rc = check_graph_arg(graphs[j], what)))
			return rc;
		if (arrival_ms && !(gdfo__finite(arrival_ms[j]) && arrival_ms[j] >= 0))
			return gdfo__error(GDFO_EINVAL, "gdfo_sim_run_jobs: job %zu arrival_ms must be finite and >= 0", j);
		n += graphs[j]->n;
		for (i = 0; i < graphs[j]->n; i++)
			ne += graphs[j]->stages[i].n_children;
	}
	if (n > 0x7fffffff || n_graphs > 0x7fffffff)
		return gdfo__error(GDFO_ERANGE, "gdfo_sim_run_jobs: too many stages");
	/*
	 * One shared cluster whatever the order of the jobs: the largest of
	 * their blueprints (options override), at the highest of their prices.
	 */
	resolve_graph(sim, graphs[0], opts, &E, &C, &mem, &price);
	for (j = 1; j < n_graphs; j++) {
		int32_t e2, c2;
		double m2, p2;
		resolve_graph(sim, graphs[j], opts, &e2, &c2, &m2, &p2);
		E = e2 > E ? e2 : E;
		C = c2 > C ? c2 : C;
		mem = m2 > mem ? m2 : mem;
	}
	for (j = 0, price = 0; j < n_graphs; j++)
		if (price_of(sim, graphs[j], C, mem) > price)
			price = price_of(sim, graphs[j], C, mem);
	if ((rc = gdfo__sim_reserve_stages(sim, n, ne, n_graphs)) || (rc = GDFO__SIM_RESERVE(sim, res_arrival, res_job_cap, n_graphs)) ||
	    (rc = gdfo__sim_reserve((void **)&sim->res_end, &sim->res_end_cap, n_graphs, sizeof(double))) ||
	    (rc = GDFO__SIM_RESERVE(sim, run_ms, run_ms_cap, (size_t)opts->runs)))
		return rc;
	/* each job's stages are contiguous and topologically ordered */
	for (j = 0, off = 0; j < n_graphs; j++) {
		const gdfo_graph *g = graphs[j];
		if ((rc = gdfo__model_topo(g, sim->topo + off, sim->indeg)))
			return gdfo__error_prefix(rc, "job %zu", j);
		gdfo__model_build(&sim->cluster, g, sim->ms + off, sim->topo + off, sim->pos + off, sim->ds,
				  (uint32_t)off, sim->children, &nc, (uint32_t)j, E, C, mem, opts, NULL);
		sim->job_arrival[j] = arrival_ms ? arrival_ms[j] : 0;
		off += g->n;
	}
	/* result slots: graph order within each job */
	for (j = 0, off = 0; j < n_graphs; j++) {
		for (i = 0; i < graphs[j]->n; i++)
			sim->topo[off + i] += off;
		off += graphs[j]->n;
	}
	gdfo__sim_job_init(&job, sim, n, (uint32_t)n_graphs, E, C, sim->cluster.executor_start_ms);
	if (job.total_tasks > 0x7fffffffULL)
		return gdfo__error(GDFO_ERANGE, "gdfo_sim_run_jobs: more than 2^31 tasks");
	gdfo__sim_acc_reset(sim, n);
	for (j = 0; j < n_graphs; j++)
		sim->res_end[j] = 0;
	out->success = 1;
	out->failed_stage_id = -1;
	out->executors = E;
	out->cores_per_executor = C;
	for (r = 0; r < opts->runs; r++) {
		gdfo__rng_seed(&rng, gdfo__sim_run_seed(opts->seed, (uint64_t)r));
		if ((rc = gdfo__des_run(sim, &job, opts, &rng, &d)))
			return rc;
		gdfo__sim_run_add(sim, &job, &d, r, out, &exec_ms);
		if (!d.success && out->success) {
			size_t slot = sim->topo[d.failed_stage], jj = sim->ds[d.failed_stage].job, base = 0;
			for (i = 0; i < jj; i++)
				base += graphs[i]->n;
			out->success = 0;
			out->failed_stage_id = graphs[jj]->stages[slot - base].id;
		}
		for (j = 0; j < n_graphs; j++)
			sim->res_end[j] += sim->job_end[j];
	}
	out->runs = opts->runs;
	gdfo__sim_runs_mean(sim, n, opts->runs, out, &exec_ms);
	for (j = 0, off = 0; j < n_graphs; j++) {
		sim->res_arrival[j] = sim->job_arrival[j];
		sim->res_end[j] /= opts->runs;
		stage_model_fields(sim, graphs[j], sim->ms + off, sim->sr + off, (int32_t)j, out, &storage,
				   &read_core_s);
		off += graphs[j]->n;
	}
	gdfo__sim_stage_p95(sim, n, out);
	gdfo__sim_finish_totals(sim, out, price, storage, read_core_s, exec_ms, C);
	sim->result = *out;
	gdfo__sim_set_result(sim, 1, n, n_graphs);
	return 0;
}

/* ---- results ------------------------------------------------------------------- */

/* ---- the public entry points: caller structs of any known version ---------------- */

/* Zeroes the caller's result (its own version's bytes) and resolves the options. */
static int begin(gdfo_sim_result *out, gdfo_sim_options *o, const gdfo_sim_options *opts, const char *func)
{
	gdfo_sim_result zero;
	int rc;

	memset(&zero, 0, sizeof(zero));
	if ((rc = gdfo__abi_out(out, &zero, GDFO__ABI_SIM_RESULT, func)))
		return rc;
	gdfo_sim_options_init(o, GDFO_SIM_OPTIONS_VERSION);
	if (opts && (rc = gdfo__abi_in(o, opts, o, GDFO__ABI_SIM_OPTIONS, func)))
		return rc;
	return gdfo__sim_check_options(o);
}

static int end(gdfo_sim_result *out, const gdfo_sim_result *full, int rc, const char *func)
{
	return rc ? rc : gdfo__abi_out(out, full, GDFO__ABI_SIM_RESULT, func);
}

int gdfo_sim_run_graph(gdfo_sim_result *out, gdfo_sim *sim, const gdfo_graph *graph,
		       const gdfo_sim_options *opts)
{
	gdfo_sim_result full;
	gdfo_sim_options o;
	int rc;

	if (sim)
		sim->have_result = 0;
	if ((rc = begin(out, &o, opts, "gdfo_sim_run_graph")))
		return rc;
	return end(out, &full, run_graph(sim, &full, graph, &o), "gdfo_sim_run_graph");
}

int gdfo_sim_run_jobs(gdfo_sim_result *out, gdfo_sim *sim, const gdfo_graph *const *graphs,
		      const double *arrival_ms, size_t n_graphs, const gdfo_sim_options *opts)
{
	gdfo_sim_result full;
	gdfo_sim_options o;
	int rc;

	if (sim)
		sim->have_result = 0;
	if ((rc = begin(out, &o, opts, "gdfo_sim_run_jobs")))
		return rc;
	return end(out, &full, run_jobs(sim, &full, graphs, arrival_ms, n_graphs, &o), "gdfo_sim_run_jobs");
}

int gdfo_sim_run_profile(gdfo_sim_result *out, gdfo_sim *sim, const gdfo_profile *profile,
			 const gdfo_sim_options *opts)
{
	gdfo_sim_result full;
	gdfo_sim_options o;
	int rc;

	if (sim)
		sim->have_result = 0;
	if ((rc = begin(out, &o, opts, "gdfo_sim_run_profile")))
		return rc;
	return end(out, &full, gdfo__sim_run_profile(sim, &full, profile, &o), "gdfo_sim_run_profile");
}

size_t gdfo_sim_stage_count(const gdfo_sim *sim)
{
	return sim && sim->have_result ? sim->n_sr : 0;
}

int gdfo_sim_stage_at(gdfo_sim_stage_result *out, const gdfo_sim *sim, size_t index)
{
	if (!out || !sim)
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_stage_at: NULL argument");
	if (!sim->have_result || index >= sim->n_sr)
		return gdfo__error(GDFO_ERANGE, "gdfo_sim_stage_at: index %zu is out of range (%zu stages)",
				   index, sim->have_result ? sim->n_sr : 0);
	return gdfo__abi_out(out, &sim->sr[index], GDFO__ABI_SIM_STAGE_RESULT, "gdfo_sim_stage_at");
}

size_t gdfo_sim_job_count(const gdfo_sim *sim)
{
	return sim && sim->have_result ? sim->n_jobs_res : 0;
}

int gdfo_sim_job_result(double *arrival_ms, double *end_ms, const gdfo_sim *sim, size_t index)
{
	if (!sim)
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_job_result: sim is NULL");
	if (!sim->have_result || index >= sim->n_jobs_res)
		return gdfo__error(GDFO_ERANGE, "gdfo_sim_job_result: index %zu is out of range", index);
	if (sim->kind == 1) {
		if (arrival_ms)
			*arrival_ms = sim->res_arrival[index];
		if (end_ms)
			*end_ms = sim->res_end[index];
	} else {
		if (arrival_ms)
			*arrival_ms = 0;
		if (end_ms)
			*end_ms = sim->result.makespan_ms;
	}
	return 0;
}

/* , "key": number (ten significant digits); NaN and infinity fail the document. */
static void jnum(gdfo__jsonw *w, const char *key, double v)
{
	gdfo__jsonw_raw(w, ", \"%s\": ", key);
	gdfo__jsonw_number(w, v, 10, key);
}

int gdfo_sim_result_to_json(char **out, const gdfo_sim *sim)
{
	gdfo__jsonw w = {0};
	const gdfo_sim_result *r;
	size_t i;
	int rc;

	if (out)
		*out = NULL;
	if (!out || !sim)
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_result_to_json: NULL argument");
	if (!sim->have_result)
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_result_to_json: no simulation has run on this handle");
	r = &sim->result;
	gdfo__jsonw_raw(&w, "{\"success\": %s, \"runs\": %d, \"failed_stage_id\": %lld, \"executors\": %d, \"cores_per_executor\": %d",
			r->success ? "true" : "false", r->runs, (long long)r->failed_stage_id, r->executors,
			r->cores_per_executor);
	jnum(&w, "makespan_ms", r->makespan_ms);
	jnum(&w, "makespan_ms_p95", r->makespan_ms_p95);
	jnum(&w, "work_ms", r->work_ms);
	jnum(&w, "critical_path_ms", r->critical_path_ms);
	jnum(&w, "stage_ms_p95", r->stage_ms_p95);
	jnum(&w, "records", r->records);
	jnum(&w, "throughput", r->throughput);
	jnum(&w, "cost", r->cost);
	jnum(&w, "compute_cost", r->compute_cost);
	jnum(&w, "storage_cost", r->storage_cost);
	jnum(&w, "executor_seconds", r->executor_seconds);
	jnum(&w, "spill_bytes", r->spill_bytes);
	jnum(&w, "shuffle_bytes", r->shuffle_bytes);
	jnum(&w, "utilization", r->utilization);
	jnum(&w, "task_events", r->task_events);
	if (sim->kind == 0 && sim->cal.active) {
		jnum(&w, "execution_ms", r->execution_ms);
		jnum(&w, "overhead_ms", r->overhead_ms);
		gdfo__jsonw_raw(&w, ", \"stages_calibrated\": %d, \"calibration\": ", r->stages_calibrated);
		gdfo__cal_json(&w, &sim->cal);
	}
	if (r->batches > 0) {
		gdfo__jsonw_raw(&w, ", \"batches\": %d", r->batches);
		jnum(&w, "batch_interval_ms", r->batch_interval_ms);
		jnum(&w, "batch_latency_ms_mean", r->batch_latency_ms_mean);
		jnum(&w, "batch_latency_ms_p95", r->batch_latency_ms_p95);
		jnum(&w, "batch_latency_ms_max", r->batch_latency_ms_max);
		jnum(&w, "backlog_batches", r->backlog_batches);
	}
	if (sim->kind == 1) {
		gdfo__jsonw_raw(&w, ", \"jobs\": [");
		for (i = 0; i < sim->n_jobs_res; i++) {
			gdfo__jsonw_raw(&w, "%s{\"job\": %zu", i ? ", " : "", i);
			jnum(&w, "arrival_ms", sim->res_arrival[i]);
			jnum(&w, "end_ms", sim->res_end[i]);
			jnum(&w, "latency_ms", sim->res_end[i] - sim->res_arrival[i]);
			gdfo__jsonw_raw(&w, "}");
		}
		gdfo__jsonw_raw(&w, "]");
	}
	gdfo__jsonw_raw(&w, ", \"stages\": [");
	for (i = 0; i < sim->n_sr; i++) {
		const gdfo_sim_stage_result *s = &sim->sr[i];
		gdfo__jsonw_raw(&w, "%s\n  {\"id\": %lld", i ? "," : "", (long long)s->id);
		if (sim->kind == 1)
			gdfo__jsonw_raw(&w, ", \"job\": %d", s->job);
		if (sim->kind != 2 && s->join_strategy) {
			gdfo__jsonw_raw(&w, ", \"join_strategy\": ");
			gdfo__jsonw_string(&w, gdfo_join_strategy_name(s->join_strategy));
		}
		jnum(&w, "tasks", s->tasks);
		jnum(&w, "start_ms", s->start_ms);
		jnum(&w, "end_ms", s->end_ms);
		jnum(&w, "duration_ms", s->duration_ms);
		jnum(&w, "work_ms", s->work_ms);
		jnum(&w, "task_ms_max", s->task_ms_max);
		if (sim->kind != 2) {
			jnum(&w, "rows_in", s->rows_in);
			jnum(&w, "rows_out", s->rows_out);
			jnum(&w, "bytes_in", s->bytes_in);
			jnum(&w, "bytes_out", s->bytes_out);
			jnum(&w, "cache_bytes", s->cache_bytes);
			jnum(&w, "files_written", s->files_written);
			jnum(&w, "executions", s->executions);
		} else {
			jnum(&w, "input_bytes", s->bytes_in);
		}
		jnum(&w, "shuffle_read_bytes", s->shuffle_read_bytes);
		jnum(&w, "shuffle_write_bytes", s->shuffle_write_bytes);
		jnum(&w, "spill_bytes", s->spill_bytes);
		gdfo__jsonw_raw(&w, "}");
	}
	gdfo__jsonw_raw(&w, "]}\n");
	if ((rc = gdfo__jsonw_finish(&w, out)))
		return gdfo__error_prefix(rc, "simulation result");
	return 0;
}
