/*
 * The execution model: a pipeline graph's stages on a cluster become task
 * sets with durations (docs/simulator.md, "The execution model").
 *
 * Volumes flow structurally: a non-source stage reads the sum of its
 * parents' simulated outputs, and its output is rows_in x selectivity. The
 * rows_in / bytes_in given on a non-source stage serve only as the
 * fallback when its parents carry no volume, and to measure how wide an
 * edge's rows are (bytes per row of the child's input relative to the
 * parent's), so that a rewrite that shrinks an upstream stage (a pushed
 * filter) shrinks everything downstream of it.
 */
#include <string.h>

#include "graph/graph_internal.h"
#include "sim/sim_internal.h"

int gdfo__model_topo(const gdfo_graph *g, size_t *topo, size_t *indeg)
{
	if (gdfo__graph_topo(topo, indeg, g, GDFO__TOPO_FIFO) != g->n)
		return gdfo__error(GDFO_ECYCLE, "pipeline '%s' has a cycle", g->name);
	return 0;
}

static int is_wide_op(int op)
{
	return op == GDFO_OP_AGGREGATE || op == GDFO_OP_SORT || op == GDFO_OP_WINDOW ||
	       op == GDFO_OP_JOIN;
}

static double given_width(const gdfo__stage *s)
{
	return s->stats.rows_in > 0 && s->stats.bytes_in > 0 ? s->stats.bytes_in / s->stats.rows_in : 0;
}

static double spill_of(double ws, double mem_core, double expansion)
{
	return ws > mem_core ? (ws - mem_core) / expansion : 0;
}

/* Cluster rates and budgets of one build, per ms of task time. */
typedef struct rates {
	const gdfo_sim_cluster *cl;
	double E, C;
	double exec_mem;      /* execution memory per executor */
	double cache_budget;  /* memory caches, whole cluster */
	double mem_core;      /* execution memory per core left by the caches */
	double scan, proc, wr, mat; /* ms per byte */
	double net_core, disk_core; /* ms per byte with C cores sharing the link / disk */
	double remote;        /* share of shuffle reads that cross the network */
	double xp;            /* memory expansion */
} rates;

static void rates_init(rates *r, const gdfo_sim_cluster *cl, int32_t executors, int32_t cores, double memory)
{
	memset(r, 0, sizeof(*r));
	r->cl = cl;
	r->E = executors;
	r->C = cores;
	r->exec_mem = memory * cl->memory_fraction;
	r->cache_budget = r->E * r->exec_mem * cl->storage_fraction;
	r->scan = 1000.0 / cl->scan_bytes_per_s;
	r->proc = 1000.0 / cl->process_bytes_per_s;
	r->net_core = 1000.0 * r->C / cl->network_bytes_per_s;
	r->disk_core = 1000.0 * r->C / cl->disk_bytes_per_s;
	r->wr = 1000.0 / cl->write_bytes_per_s;
	r->mat = 1000.0 / cl->materialize_bytes_per_s;
	r->remote = r->E > 1 ? (r->E - 1) / r->E : 0;
	r->xp = cl->memory_expansion;
}

/* The parent with the most output bytes (the first on ties), or 0 with *big -1 when none. */
static size_t biggest_parent(const gdfo__stage *s, const gdfo__mstage *ms, double *big)
{
	size_t k, bigp = 0;

	*big = -1;
	for (k = 0; k < s->n_parents; k++)
		if (ms[s->parents[k]].bytes_out > *big) {
			*big = ms[s->parents[k]].bytes_out;
			bigp = s->parents[k];
		}
	return bigp;
}

/* 1a. Input and output volumes: the parents' outputs, or the given stats. */
static void stage_volumes(gdfo__mstage *m, const gdfo_graph *g, const gdfo__stage *s, const gdfo__mstage *ms)
{
	double rows = 0, bytes = 0, wrat = 1;
	size_t k;

	for (k = 0; k < s->n_parents; k++) {
		rows += ms[s->parents[k]].rows_out;
		bytes += ms[s->parents[k]].bytes_out;
	}
	if (s->n_parents == 0 || (rows == 0 && bytes == 0)) {
		rows = s->stats.rows_in;
		bytes = s->stats.bytes_in;
	}
	m->rows_in = rows;
	m->bytes_in = bytes;
	m->rows_out = rows * s->stats.selectivity;
	/* bytes per output row relative to input: from the child's given stats */
	if (s->n_children >= 1) {
		const gdfo__stage *c = &g->stages[s->children[0]];
		double wc = given_width(c), ws = given_width(s);
		if (c->n_parents == 1 && wc > 0 && ws > 0)
			wrat = wc / ws;
	}
	m->bytes_out = bytes * s->stats.selectivity * wrat;
}

/* 1b. A join's strategy: the knob, or broadcast when the small sides fit the threshold. */
static void stage_join_strategy(gdfo__mstage *m, const gdfo__stage *s, double big, const gdfo_sim_cluster *cl)
{
	double small = m->bytes_in - big;
	int st = s->knobs.join_strategy;

	if (s->op != GDFO_OP_JOIN || s->n_parents < 2)
		return;
	if (st == GDFO_JOIN_AUTO)
		st = small <= cl->broadcast_threshold_bytes ? GDFO_JOIN_BROADCAST : GDFO_JOIN_SORT_MERGE;
	m->strategy = st;
}

/* 1c. Partitions (tasks), and whether a shuffle produces them. */
static void stage_partitions(gdfo__mstage *m, const gdfo__stage *s, const gdfo__mstage *ms, size_t bigp,
			     const gdfo_sim_cluster *cl)
{
	double inherited = 0;
	size_t k;

	if (s->n_parents == 0) {
		inherited = m->bytes_in > 0 ? ceil(m->bytes_in / cl->split_bytes) : 1;
	} else if (s->op == GDFO_OP_UNION) {
		for (k = 0; k < s->n_parents; k++)
			inherited += ms[s->parents[k]].tasks;
	} else if (m->strategy == GDFO_JOIN_BROADCAST) {
		inherited = ms[bigp].tasks;
	} else {
		inherited = ms[s->parents[0]].tasks;
	}
	if (inherited < 1)
		inherited = 1;
	if (s->n_parents > 0 && is_wide_op(s->op) && m->strategy != GDFO_JOIN_BROADCAST) {
		m->wide = 1;
		m->tasks = s->knobs.partitions > 0 ? s->knobs.partitions : cl->shuffle_partitions;
	} else if (s->knobs.partitions > 0) {
		m->tasks = s->knobs.partitions;
		/* more partitions than the input has needs a shuffle; fewer is a coalesce */
		if (s->n_parents > 0 && m->tasks > inherited)
			m->wide = 1;
	} else if (s->op == GDFO_OP_SINK && s->knobs.target_file_bytes > 0 && s->n_parents > 0) {
		m->tasks = ceil(m->bytes_out / (double)s->knobs.target_file_bytes);
		if (m->tasks < 1)
			m->tasks = 1;
		if (m->tasks != inherited)
			m->wide = 1; /* a rebalancing shuffle before the write */
	} else {
		m->tasks = inherited;
	}
}

/* 2. How a stage reads each parent: broadcast, shuffle or locally. */
static void stage_consumes(const gdfo__mstage *m, const gdfo__stage *s, gdfo__mstage *ms)
{
	double big;
	size_t k, bigp = 0;

	if (m->strategy == GDFO_JOIN_BROADCAST)
		bigp = biggest_parent(s, ms, &big);
	for (k = 0; k < s->n_parents; k++) {
		gdfo__mstage *p = &ms[s->parents[k]];
		if (m->strategy == GDFO_JOIN_BROADCAST && s->parents[k] != bigp)
			p->bcast_small = 1;
		else if (m->wide)
			p->shuffle_out = 1;
		else
			p->local_out = 1;
	}
}

/* 3. A stage's cache: memory caches take what is left of the budget (*used). */
static void stage_cache(gdfo__mstage *m, const gdfo__stage *s, const rates *r, double *used)
{
	m->cache_frac = 0;
	if (s->knobs.cache == GDFO_CACHE_MEMORY) {
		double need = m->bytes_out * r->xp, left = r->cache_budget - *used;
		m->cache_frac = need <= 0 ? 1 : (left <= 0 ? 0 : (left >= need ? 1 : left / need));
		*used += m->cache_frac * need;
		m->cache_bytes = m->cache_frac * m->bytes_out;
	} else if (s->knobs.cache == GDFO_CACHE_DISK) {
		m->cache_frac = 1;
		m->cache_bytes = m->bytes_out;
		m->storage_bytes += m->bytes_out;
	}
}

/*
 * 4. How often an uncached stage runs: once per consumer that does not share a run;
 * once whatever its consumers when stage outputs are reused (Spark's shuffle files).
 */
static void stage_executions(gdfo__mstage *m, const gdfo__stage *s, const gdfo__mstage *ms, int reuse)
{
	double demand = 0;
	size_t k;

	for (k = 0; k < s->n_children; k++) {
		const gdfo__mstage *c = &ms[s->children[k]];
		demand += (c->wide || m->bcast_small) ? 1 : c->executions;
	}
	m->demand = demand;
	if (reuse)
		m->executions = 1;
	else if (s->knobs.cache != GDFO_CACHE_NONE)
		m->executions = 1 + (1 - m->cache_frac) * (demand > 1 ? demand - 1 : 0);
	else
		m->executions = demand > 1 ? demand : 1;
}

/* One stage's costs while its task durations are worked out (5a..5e). */
typedef struct cost {
	double T;                       /* tasks */
	double data;                    /* ms of data-proportional work, all tasks */
	double ws;                      /* working set per task, bytes */
	double fixed;                   /* ms per task regardless of data */
	double setup;                   /* ms before the first task can run */
	double small, small_rows, big_rows; /* broadcast join sides */
} cost;

/* 5a. Reading the input: scanned files, or each parent by how it is consumed (shuffle reads counted). */
static void cost_read(cost *c, gdfo__mstage *m, const gdfo_graph *g, const gdfo__stage *s,
		      const gdfo__mstage *ms, const rates *r)
{
	const gdfo_sim_cluster *cl = r->cl;
	double read = 0, big, cpu_ns;
	size_t k, bigp = 0;

	cpu_ns = s->stats.cpu_ns_per_row > 0 ? s->stats.cpu_ns_per_row : cl->cpu_ns_per_row;
	if (s->n_parents == 0) {
		double files = m->bytes_in > 0 ? ceil(m->bytes_in / cl->source_file_bytes) : 0;
		read = m->bytes_in * (r->scan + r->proc);
		if (files > 0)
			c->fixed += (files / c->T > 1 ? files / c->T : 1) * cl->file_open_ms;
	} else {
		if (m->strategy == GDFO_JOIN_BROADCAST)
			bigp = biggest_parent(s, ms, &big);
		for (k = 0; k < s->n_parents; k++) {
			const gdfo__stage *ps = &g->stages[s->parents[k]];
			const gdfo__mstage *p = &ms[s->parents[k]];
			double b = p->bytes_out;
			if (m->strategy == GDFO_JOIN_BROADCAST && s->parents[k] != bigp) {
				c->small += b;
				c->small_rows += p->rows_out;
				continue;
			}
			if (m->strategy == GDFO_JOIN_BROADCAST)
				c->big_rows += p->rows_out;
			if (m->wide) {
				read += b * (r->remote * r->net_core + r->disk_core + r->proc);
				m->shuffle_read += b;
			} else if (ps->knobs.cache == GDFO_CACHE_MEMORY)
				read += b * (r->mat + r->proc); /* a cached block is read like an intermediate */
			else if (ps->knobs.cache == GDFO_CACHE_DISK)
				read += b * (r->disk_core + r->proc);
			else
				read += b * (r->mat + r->proc);
		}
	}
	c->data = read + m->rows_in * cpu_ns * 1e-6;
}

static double sort_ms(const gdfo__mstage *m, double T, const gdfo_sim_cluster *cl)
{
	return m->rows_in * log2(m->rows_in / T > 2 ? m->rows_in / T : 2) * cl->sort_ns_per_row_log2 * 1e-6;
}

/* 5b. The operator's own work and working set (sorts, hash tables, broadcasts). */
static void cost_operator(cost *c, gdfo__mstage *m, const gdfo__stage *s, const gdfo__mstage *ms, const rates *r)
{
	const gdfo_sim_cluster *cl = r->cl;
	double T = c->T;
	size_t k;

	switch (s->op) {
	case GDFO_OP_SORT:
	case GDFO_OP_WINDOW:
		c->data += sort_ms(m, T, cl);
		c->ws = m->bytes_in / T * r->xp;
		break;
	case GDFO_OP_AGGREGATE:
		c->data += m->rows_in * cl->hash_ns_per_row * 1e-6;
		c->ws = m->bytes_out / T * r->xp;
		break;
	case GDFO_OP_JOIN:
		if (m->strategy == GDFO_JOIN_BROADCAST) {
			c->data += c->big_rows * cl->hash_ns_per_row * 1e-6;
			c->setup += c->small * 1000.0 / cl->network_bytes_per_s * (1 + ceil(log2(r->E + 1))) +
				    c->small_rows * cl->hash_ns_per_row * 1e-6;
			/* the hash table is built whole in every executor and cannot spill: Spark's OOM */
			if (c->small > cl->broadcast_max_bytes || c->small * r->xp > r->exec_mem)
				m->fails = 1;
		} else if (m->strategy == GDFO_JOIN_SHUFFLE_HASH) {
			double b2 = 0, bmax = 0;
			for (k = 0; k < s->n_parents; k++) {
				double b = ms[s->parents[k]].bytes_out;
				b2 += b;
				if (b > bmax)
					bmax = b;
			}
			c->data += m->rows_in * cl->hash_ns_per_row * 1e-6;
			c->ws = (b2 - bmax) / T * r->xp;
		} else {
			c->data += sort_ms(m, T, cl);
			c->ws = m->bytes_in / T * r->xp;
		}
		break;
	default:
		break;
	}
}

/* 5c. Writing the output: shuffle files, materialized output, a disk cache. */
static void cost_output(cost *c, gdfo__mstage *m, const gdfo__stage *s, const rates *r)
{
	if (m->shuffle_out) {
		c->data += m->bytes_out * (r->disk_core + r->proc);
		m->shuffle_write = m->bytes_out;
	}
	/* a memory cache stores its blocks as an intermediate would be written: caching saves recomputation, not I/O */
	if ((m->local_out && s->knobs.cache == GDFO_CACHE_NONE) || s->knobs.cache == GDFO_CACHE_MEMORY)
		c->data += m->bytes_out * r->mat;
	if (s->knobs.cache == GDFO_CACHE_DISK)
		c->data += m->bytes_out * r->disk_core;
}

/* 5d. A sink's files, their commits, compaction and what later reads of the table pay. */
static void cost_sink(cost *c, gdfo__mstage *m, const gdfo__stage *s, const rates *r,
		      const gdfo_sim_options *opts)
{
	const gdfo_sim_cluster *cl = r->cl;
	double T = c->T, per_task = m->bytes_out / T, fpt = 1;

	if (s->op != GDFO_OP_SINK)
		return;
	if (s->knobs.target_file_bytes > 0 && per_task > (double)s->knobs.target_file_bytes)
		fpt = ceil(per_task / (double)s->knobs.target_file_bytes);
	m->files = fpt * T;
	c->data += m->bytes_out * r->wr;
	c->fixed += fpt * cl->file_commit_ms;
	m->storage_bytes += m->bytes_out;
	if (s->knobs.compaction_every > 0) {
		double N = s->knobs.compaction_every, rewrite, per;
		double target = s->knobs.target_file_bytes > 0 ? (double)s->knobs.target_file_bytes
								: cl->source_file_bytes;
		if (opts->run_index < 0)
			rewrite = m->bytes_out;
		else
			rewrite = ((opts->run_index + 1) % s->knobs.compaction_every) == 0 ? N * m->bytes_out : 0;
		if (rewrite > 0) {
			double in_files = opts->run_index < 0 ? m->files : N * m->files;
			m->comp_tasks = ceil(rewrite / cl->split_bytes);
			m->comp_bytes = rewrite;
			per = rewrite / m->comp_tasks;
			m->t_comp = cl->task_launch_ms + per * (r->scan + r->proc + r->wr) +
				    in_files / m->comp_tasks * cl->file_open_ms + ceil(per / target) * cl->file_commit_ms;
		}
		m->read_overhead_core_s = cl->table_reads_per_run * cl->file_open_ms / 1000.0 *
					  (m->files / N + ceil(m->bytes_out / target));
	} else {
		m->read_overhead_core_s = cl->table_reads_per_run * cl->file_open_ms / 1000.0 * m->files;
	}
}

/* 5e. Task times with skew: the largest partition is skew x the mean (at most all the data), with spills. */
static double cost_task_times(const cost *c, gdfo__mstage *m, const rates *r)
{
	double T = c->T, kk = m->skew < T ? m->skew : T;
	double dbig = c->data / T * kk, dsm = T > 1 ? (c->data - dbig) / (T - 1) : dbig;
	double wbig = c->ws * kk, wsm = T > 1 ? (c->ws * T - wbig) / (T - 1) : wbig;
	double sp_b = spill_of(wbig, r->mem_core, r->xp), sp_s = spill_of(wsm, r->mem_core, r->xp);

	m->spill += sp_b + (T - 1) * sp_s;
	m->t_big = c->fixed + dbig + sp_b * r->cl->spill_penalty * r->disk_core;
	m->t_norm = c->fixed + dsm + sp_s * r->cl->spill_penalty * r->disk_core;
	m->fixed_ms = c->fixed;
	m->setup_ms = c->setup;
	m->extra_tasks = floor((m->executions - 1) * T + 0.5);
	return kk;
}

/*
 * 5f. Calibration: the stage's variable work (beyond the per-task fixed
 * part) scaled by the measured rate, or the run-wide rate when the stage
 * has no record; a record's skew replaces the model's.
 */
static double cost_calibrate(gdfo__mstage *m, const gdfo__stage *s, const gdfo__cal *cal, double kk)
{
	const gdfo__cal_stage *e = gdfo__cal_find(cal, s->id);
	double T = m->tasks, F = m->fixed_ms, v, vb;

	v = T > 1 ? (T - 1) * (m->t_norm - F) + (m->t_big - F) : m->t_big - F;
	if (v < 0)
		v = 0;
	if (!e) {
		m->t_norm = F + (m->t_norm - F) * cal->rate;
		m->t_big = F + (m->t_big - F) * cal->rate;
		return kk;
	}
	m->calibrated = 1;
	v = v * e->rate + e->add_ms;
	kk = e->skew < T ? e->skew : T;
	if (kk < 1)
		kk = 1;
	vb = v / T * kk;
	m->t_big = F + vb;
	m->t_norm = T > 1 ? F + (v - vb) / (T - 1) : m->t_big;
	return kk;
}

/* 6. The DES stage of model stage m at DES index off + t, its children appended to children. */
static void des_stage_fill(gdfo__des_stage *d, const gdfo__mstage *m, const gdfo__stage *s, double kk,
			   uint32_t job, uint32_t off, size_t t, const size_t *pos, uint32_t *children,
			   size_t *n_children)
{
	double T = m->tasks;
	size_t k;

	d->n_tasks = (uint32_t)(T + m->extra_tasks + m->comp_tasks);
	d->n_parents = (uint32_t)s->n_parents;
	d->job = job;
	d->order = off + (uint32_t)t;
	d->priority = s->knobs.priority;
	d->fails = m->fails;
	d->has_big = T > 1 && kk > 1;
	d->big_index = (uint32_t)(T / 2);
	d->n_comp = (uint32_t)m->comp_tasks;
	d->dur = NULL;
	d->t_norm = m->t_norm;
	d->t_big = T > 1 ? m->t_big : m->t_norm;
	if (T <= 1)
		d->t_norm = m->t_big;
	d->t_comp = m->t_comp;
	d->setup_ms = m->setup_ms;
	d->child_off = (uint32_t)*n_children;
	d->n_children = (uint32_t)s->n_children;
	for (k = 0; k < s->n_children; k++)
		children[(*n_children)++] = off + (uint32_t)pos[s->children[k]];
}

void gdfo__model_build(const gdfo_sim_cluster *cl, const gdfo_graph *g, gdfo__mstage *ms,
		       const size_t *topo, size_t *pos, gdfo__des_stage *ds, uint32_t off,
		       uint32_t *children, size_t *n_children, uint32_t job, int32_t executors,
		       int32_t cores, double memory, const gdfo_sim_options *opts, const gdfo__cal *cal)
{
	size_t n = g->n, t;
	double cache_used = 0;
	gdfo_sim_cluster app;
	rates r;

	/*
	 * The application's shuffle partitions over the cluster model's, as for executors. Its
	 * broadcast threshold is left to the rules: an ingested join stage read its inputs
	 * through shuffles whatever the threshold said (docs/simulator.md).
	 */
	if (g->knobs.shuffle_partitions > 0) {
		app = *cl;
		app.shuffle_partitions = g->knobs.shuffle_partitions;
		cl = &app;
	}
	rates_init(&r, cl, executors, cores, memory);
	for (t = 0; t < n; t++)
		pos[topo[t]] = t;
	/* 1. volumes, join strategies, partitions (parents first) */
	for (t = 0; t < n; t++) {
		const gdfo__stage *s = &g->stages[topo[t]];
		gdfo__mstage *m = &ms[topo[t]];
		double big;
		size_t bigp = biggest_parent(s, ms, &big);
		memset(m, 0, sizeof(*m));
		m->op = s->op;
		m->skew = s->stats.skew >= 1 ? s->stats.skew : 1;
		stage_volumes(m, g, s, ms);
		stage_join_strategy(m, s, big, cl);
		stage_partitions(m, s, ms, bigp, cl);
	}
	/* 2. how each stage's output is consumed */
	for (t = 0; t < n; t++)
		stage_consumes(&ms[topo[t]], &g->stages[topo[t]], ms);
	/* 3. caches, in topological order; what they take leaves less execution memory */
	for (t = 0; t < n; t++)
		stage_cache(&ms[topo[t]], &g->stages[topo[t]], &r, &cache_used);
	r.mem_core = r.exec_mem * (1 - cl->storage_fraction * (r.cache_budget > 0 ? cache_used / r.cache_budget : 0)) / r.C;
	/* 4. recomputation of uncached lineage with several consumers (children first) */
	for (t = n; t-- > 0;)
		stage_executions(&ms[topo[t]], &g->stages[topo[t]], ms, g->knobs.shuffle_reuse == GDFO_SWITCH_ON);
	/* 5. task durations; 6. DES stages */
	for (t = 0; t < n; t++) {
		const gdfo__stage *s = &g->stages[topo[t]];
		gdfo__mstage *m = &ms[topo[t]];
		/* calibrated: the gaps between stages are measured in the run's fixed overhead */
		cost c = {.T = m->tasks, .fixed = cl->task_launch_ms,
			  .setup = cal && cal->active ? 0 : cl->stage_overhead_ms};
		double kk;
		cost_read(&c, m, g, s, ms, &r);
		cost_operator(&c, m, s, ms, &r);
		cost_output(&c, m, s, &r);
		cost_sink(&c, m, s, &r, opts);
		kk = cost_task_times(&c, m, &r);
		if (cal && cal->active)
			kk = cost_calibrate(m, s, cal, kk);
		des_stage_fill(&ds[off + t], m, s, kk, job, off, t, pos, children, n_children);
		/* calibrated: Spark's FIFO order, the pipeline's stage order, as in the measured run */
		if (cal && cal->active)
			ds[off + t].order = off + (uint32_t)topo[t];
	}
}

/* ---- the stage-level fluid model (analytic mode) -------------------------- */

void gdfo__fluid_run(gdfo_sim *sim, gdfo__des_job *job, gdfo__des_out *out)
{
	size_t n = job->n_stages, k, nr = 0, nd, w, left = n;
	uint32_t *ready = sim->runnable; /* stages released (setup may still run), best first */
	uint32_t *done = sim->stack;     /* stages retired at this step */
	double C = (double)job->executors * job->cores, now = job->startup_ms;
	gdfo__des_stage *st = job->stages;

	memset(out, 0, sizeof(*out));
	out->success = 1;
	out->failed_stage = -1;
	/* per stage: work_ms = remaining bulk work, cp_ms = remaining big task,
	   max_chain_ms = longest task, ready_ms = release time */
	for (k = 0; k < n; k++) {
		gdfo__des_stage *d = &st[k];
		double bulk = (double)(d->n_tasks - d->n_comp) * d->t_norm + d->n_comp * d->t_comp;
		double bigt = 0;
		if (d->has_big) {
			bulk -= d->t_norm;
			bigt = d->t_big;
		}
		d->parents_left = d->n_parents;
		d->launched = d->next_task = d->done = 0;
		d->ready_ms = d->start_ms = d->end_ms = -1;
		d->work_ms = bulk;
		d->cp_ms = bigt;
		{
			double nb = (double)d->n_tasks - (d->has_big ? 1 : 0);
			d->f_mean = nb > 0 ? bulk / nb : 0;
		}
		d->max_chain_ms = d->t_norm > bigt ? d->t_norm : bigt;
		if (d->n_comp && d->t_comp > d->max_chain_ms)
			d->max_chain_ms = d->t_comp;
		if (d->n_tasks == 0)
			d->max_chain_ms = 0;
		out->work_ms += bulk + bigt;
		out->task_events += d->n_tasks;
		d->runnable = 0;
		if (d->n_parents == 0) {
			double at = job->job_arrival[d->job] > now ? job->job_arrival[d->job] : now;
			d->ready_ms = at + d->setup_ms;
			gdfo__ready_insert(job, ready, &nr, (uint32_t)k);
		}
	}
	while (left > 0) {
		double free = C, dt = INFINITY;
		size_t j;
		/* allocate cores in priority order among released stages */
		for (j = 0; j < nr; j++) {
			gdfo__des_stage *d = &st[ready[j]];
			d->launched = 0;
			d->next_task = 0;
			if (d->ready_ms > now) {
				if (d->ready_ms - now < dt)
					dt = d->ready_ms - now;
				continue;
			}
			if (d->fails) {
				out->success = 0;
				out->failed_stage = ready[j];
				out->makespan_ms = now;
				left = 0;
				break;
			}
			if (d->start_ms < 0)
				d->start_ms = now;
		}
		if (left == 0)
			break;
		/* best first: the released set is kept in that order */
		for (j = 0; j < nr; j++) {
			gdfo__des_stage *b = &st[ready[j]];
			double mean, want, a;
			if (b->ready_ms > now || free <= 0)
				continue;
			if (b->cp_ms > 0) {
				b->launched = 1;
				free -= 1;
				if (b->cp_ms < dt)
					dt = b->cp_ms;
			}
			if (b->work_ms <= 0 || free <= 0)
				continue;
			mean = b->f_mean;
			want = mean > 0 ? ceil(b->work_ms / mean - 1e-9) : 1;
			a = want < free ? want : free;
			if (a < 1)
				a = 1;
			b->next_task = (uint32_t)a;
			free -= a;
			if (b->work_ms / a < dt)
				dt = b->work_ms / a;
		}
		/* stages with nothing left complete now (dt 0) */
		for (j = 0; j < nr; j++) {
			gdfo__des_stage *d = &st[ready[j]];
			if (d->ready_ms <= now && d->work_ms <= 0 && d->cp_ms <= 0)
				dt = 0;
		}
		if (dt == INFINITY)
			break; /* cannot happen: every released stage has work or a release time */
		now += dt;
		/* advance and retire, then release the retired stages' children */
		nd = 0;
		for (j = 0, w = 0; j < nr; j++) {
			gdfo__des_stage *d = &st[ready[j]];
			d->cp_ms -= dt * d->launched;
			d->work_ms -= dt * d->next_task;
			if (d->cp_ms < 1e-9 * (1 + now))
				d->cp_ms = 0;
			if (d->work_ms < 1e-9 * (1 + now))
				d->work_ms = 0;
			if (d->ready_ms <= now && d->work_ms <= 0 && d->cp_ms <= 0) {
				d->end_ms = now;
				if (d->start_ms < 0)
					d->start_ms = now;
				left--;
				done[nd++] = ready[j];
			} else {
				ready[w++] = ready[j];
			}
		}
		nr = w;
		for (j = 0; j < nd; j++) {
			const gdfo__des_stage *d = &st[done[j]];
			for (k = 0; k < d->n_children; k++) {
				uint32_t ci = job->children[d->child_off + k];
				if (--st[ci].parents_left == 0) {
					st[ci].ready_ms = now + st[ci].setup_ms;
					gdfo__ready_insert(job, ready, &nr, ci);
				}
			}
		}
	}
	if (out->success) {
		for (k = 0; k < n; k++)
			if (st[k].end_ms > out->makespan_ms)
				out->makespan_ms = st[k].end_ms;
	}
	out->executor_ms = (double)job->executors * out->makespan_ms;
	out->critical_path_ms = gdfo__des_critical_path(job);
	/* per-stage work for results: recompute from the task durations */
	for (k = 0; k < n; k++) {
		gdfo__des_stage *d = &st[k];
		d->work_ms = (double)(d->n_tasks - d->n_comp) * d->t_norm + d->n_comp * d->t_comp +
			     (d->has_big ? d->t_big - d->t_norm : 0);
		d->launched = d->n_tasks;
	}
}
