/*
 * Profile replay: a measured job profile runs through the discrete-event
 * engine with the measured task durations (exact replay) or durations
 * sampled from the measured distributions, interpolated between executor
 * counts (sampled replay). docs/simulator.md, "Replaying a profile".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/topo.h"
#include "io/profile_internal.h"
#include "sim/sim_internal.h"

/* The measurement of stage s at executors E, or NULL. */
static const double *measured_at(const gdfo_profile *p, const gdfo__profile_stage *s, int32_t E, size_t *n)
{
	size_t k;
	if (E == p->executors && s->n_task_ms > 0) {
		*n = s->n_task_ms;
		return s->task_ms;
	}
	for (k = 0; k < s->n_by_exec; k++)
		if (s->by_exec[k].executors == E) {
			*n = s->by_exec[k].n_task_ms;
			return s->by_exec[k].task_ms;
		}
	return NULL;
}

/* Measured points of a stage, sorted by executors: (count, list). */
typedef struct mpoint {
	int32_t e;
	const double *v;
	size_t n;
} mpoint;

static size_t stage_points(const gdfo_profile *p, const gdfo__profile_stage *s, mpoint *pts)
{
	size_t k, m = 0;
	int own = s->n_task_ms > 0;
	for (k = 0; k < s->n_by_exec; k++) {
		if (own && s->by_exec[k].executors > p->executors) {
			pts[m++] = (mpoint){p->executors, s->task_ms, s->n_task_ms};
			own = 0;
		}
		if (s->n_task_ms > 0 && s->by_exec[k].executors == p->executors)
			continue; /* task_ms wins at the profile's own count */
		pts[m++] = (mpoint){s->by_exec[k].executors, s->by_exec[k].task_ms, s->by_exec[k].n_task_ms};
	}
	if (own)
		pts[m++] = (mpoint){p->executors, s->task_ms, s->n_task_ms};
	return m;
}

static void list_counts(char *buf, size_t cap, const mpoint *pts, size_t m)
{
	size_t k, len = 0;
	buf[0] = '\0';
	for (k = 0; k < m && len + 16 < cap; k++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%d", k ? ", " : "", pts[k].e);
}

/* gdfo__topo callbacks over the child lists in sim->ds / sim->children. */
static size_t des_n_children(const void *sim, size_t v)
{
	return ((const gdfo_sim *)sim)->ds[v].n_children;
}

static size_t des_child(const void *sim, size_t v, size_t k)
{
	const gdfo_sim *s = sim;
	return s->children[s->ds[v].child_off + k];
}

/*
 * Puts the DES stages in a topological order of the profile: pos maps a
 * profile index to its DES index, and ds[].child_off / n_children with
 * sim->children hold the children by DES index. ne is the edge count.
 */
static int replay_order(gdfo_sim *sim, const gdfo_profile *p, size_t ne)
{
	size_t n = p->n, i, k, head, *cnt = sim->pos, *offs;
	uint32_t *tmpc;
	gdfo__topo t = {n, sim, des_n_children, des_child, GDFO__TOPO_FIFO, 0};
	int rc;

	/* child adjacency by profile index: offsets in ds[].child_off, counts first in pos */
	for (i = 0; i < n; i++)
		cnt[i] = 0;
	for (i = 0; i < n; i++)
		for (k = 0; k < p->stages[i].n_parents; k++)
			cnt[p->stages[i].parent_idx[k]]++;
	for (i = 0, head = 0; i < n; i++) {
		sim->ds[i].child_off = (uint32_t)head;
		sim->ds[i].n_children = 0;
		head += cnt[i];
	}
	for (i = 0; i < n; i++)
		for (k = 0; k < p->stages[i].n_parents; k++) {
			size_t q = p->stages[i].parent_idx[k];
			sim->children[sim->ds[q].child_off + sim->ds[q].n_children++] = (uint32_t)i;
		}
	/* file order need not be a topological one */
	if (gdfo__topo_order(sim->topo, sim->indeg, &t) != n)
		return gdfo__error(GDFO_ECYCLE, "profile '%s' has a cycle", p->name);
	for (i = 0; i < n; i++)
		sim->pos[sim->topo[i]] = i;
	/* the children were built by profile index; rebuild them in DES order from a copy */
	if ((rc = GDFO__SIM_RESERVE(sim, stack, stack_cap, ne)))
		return rc;
	tmpc = sim->stack;
	offs = (size_t *)sim->indeg; /* n entries free again */
	for (i = 0; i < n; i++) {
		offs[i] = sim->ds[i].child_off;
		sim->tmp[i] = (double)sim->ds[i].n_children;
	}
	memcpy(tmpc, sim->children, ne * sizeof(*tmpc));
	for (i = 0, head = 0; i < n; i++) {
		size_t s = sim->topo[i], m = (size_t)sim->tmp[s];
		gdfo__des_stage *dd = &sim->ds[i];
		memset(dd, 0, sizeof(*dd));
		dd->child_off = (uint32_t)head;
		dd->n_children = (uint32_t)m;
		for (k = 0; k < m; k++)
			sim->children[head++] = (uint32_t)sim->pos[tmpc[offs[s] + k]];
	}
	return 0;
}

/*
 * Each DES stage's task count and, for exact replay, its measured
 * durations at E executors. *total counts the tasks, *total_sorted the
 * measurements sampled replay keeps sorted. pts holds max_pts points.
 */
static int replay_tasks(gdfo_sim *sim, const gdfo_profile *p, const gdfo_sim_options *opts, int32_t E,
			mpoint *pts, uint64_t *total, size_t *total_sorted)
{
	size_t i, k;

	for (i = 0; i < p->n; i++) {
		const gdfo__profile_stage *s = &p->stages[sim->topo[i]];
		gdfo__des_stage *dd = &sim->ds[i];
		dd->n_parents = (uint32_t)s->n_parents;
		dd->order = (uint32_t)i;
		dd->setup_ms = opts->replay_stage_gap_ms;
		if (opts->replay == GDFO_REPLAY_EXACT) {
			size_t m;
			const double *v = measured_at(p, s, E, &m);
			if (!v) {
				char buf[200];
				size_t np = stage_points(p, s, pts);
				list_counts(buf, sizeof(buf), pts, np);
				return gdfo__error(GDFO_ENOTFOUND, "profile '%s': stage %lld has no task durations measured at %d executors (measured: %s); use sampled replay",
						   p->name, (long long)s->id, E, buf);
			}
			dd->dur = v;
			dd->n_tasks = (uint32_t)m;
		} else {
			size_t np = stage_points(p, s, pts), nearest = 0;
			for (k = 0; k < np; k++) {
				*total_sorted += pts[k].n;
				if (labs((long)pts[k].e - E) < labs((long)pts[nearest].e - E))
					nearest = k;
			}
			dd->n_tasks = (uint32_t)(s->num_tasks > 0 ? (size_t)s->num_tasks : pts[nearest].n);
		}
		*total += dd->n_tasks;
	}
	if (*total > 0x7fffffffULL)
		return gdfo__error(GDFO_ERANGE, "profile '%s': %llu tasks is more than the simulator's 2^31",
				   p->name, (unsigned long long)*total);
	return 0;
}

/* Sampled replay: sorted copies of every measured list (stage then point order) and duration slots. */
static int replay_sort_measurements(gdfo_sim *sim, const gdfo_profile *p, mpoint *pts, uint64_t total,
				    size_t total_sorted)
{
	size_t so = 0, doff = 0, i, k;
	int rc;

	if ((rc = GDFO__SIM_RESERVE(sim, sorted, sorted_cap, total_sorted)) || (rc = GDFO__SIM_RESERVE(sim, dur, dur_cap, total)))
		return rc;
	for (i = 0; i < p->n; i++) {
		const gdfo__profile_stage *s = &p->stages[sim->topo[i]];
		size_t np = stage_points(p, s, pts);
		for (k = 0; k < np; k++) {
			memcpy(sim->sorted + so, pts[k].v, pts[k].n * sizeof(double));
			qsort(sim->sorted + so, pts[k].n, sizeof(double), gdfo__sim_cmp_double);
			so += pts[k].n;
		}
		sim->ds[i].dur = sim->dur + doff;
		doff += sim->ds[i].n_tasks;
	}
	return 0;
}

/*
 * Sampled replay, one run: each task's duration is the same quantile u of
 * the two measured lists that bracket E, interpolated linearly in E.
 */
static void replay_sample(gdfo_sim *sim, const gdfo_profile *p, int32_t E, mpoint *pts, gdfo__rng *rng)
{
	size_t so = 0, i, k;

	for (i = 0; i < p->n; i++) {
		const gdfo__profile_stage *s = &p->stages[sim->topo[i]];
		size_t np = stage_points(p, s, pts), lo = 0, hi = 0, t;
		double w = 0;
		size_t soff[2] = {0, 0}, q;
		/* bracket E */
		if (E <= pts[0].e) {
			lo = hi = 0;
		} else if (E >= pts[np - 1].e) {
			lo = hi = np - 1;
		} else {
			for (k = 0; k + 1 < np; k++)
				if (pts[k].e <= E && E <= pts[k + 1].e) {
					lo = k;
					hi = k + 1;
					break;
				}
			w = (double)(E - pts[lo].e) / (double)(pts[hi].e - pts[lo].e);
		}
		q = so;
		for (k = 0; k < np; k++) {
			if (k == lo)
				soff[0] = q;
			if (k == hi)
				soff[1] = q;
			q += pts[k].n;
		}
		for (t = 0; t < sim->ds[i].n_tasks; t++) {
			double u = gdfo__rng_uniform(rng);
			double a = gdfo__sim_quantile_sorted(sim->sorted + soff[0], pts[lo].n, u);
			double b = gdfo__sim_quantile_sorted(sim->sorted + soff[1], pts[hi].n, u);
			((double *)sim->ds[i].dur)[t] = (1 - w) * a + w * b;
		}
		so = q;
	}
}

/* The per-stage results the profile measured (bytes), in profile order. */
static void replay_stage_results(gdfo_sim *sim, const gdfo_profile *p, gdfo_sim_result *out)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		const gdfo__profile_stage *s = &p->stages[i];
		gdfo_sim_stage_result *rr = &sim->sr[i];
		rr->id = s->id;
		rr->executions = 1;
		if (s->has_bytes & GDFO_PROFILE_INPUT_BYTES)
			rr->bytes_in = (double)s->input_bytes;
		if (s->has_bytes & GDFO_PROFILE_SHUFFLE_READ_BYTES)
			rr->shuffle_read_bytes = (double)s->shuffle_read_bytes;
		if (s->has_bytes & GDFO_PROFILE_SHUFFLE_WRITE_BYTES) {
			rr->shuffle_write_bytes = (double)s->shuffle_write_bytes;
			out->shuffle_bytes += (double)s->shuffle_write_bytes;
		}
		if (s->has_bytes & GDFO_PROFILE_SPILL_BYTES) {
			rr->spill_bytes = (double)s->spill_bytes;
			out->spill_bytes += (double)s->spill_bytes;
		}
	}
}

int gdfo__sim_run_profile(gdfo_sim *sim, gdfo_sim_result *out, const gdfo_profile *p,
			  const gdfo_sim_options *opts)
{
	gdfo__des_job job;
	gdfo__des_out d;
	gdfo__rng rng;
	int32_t E, C;
	size_t n, ne = 0, i, total_sorted = 0, max_pts = 2;
	uint64_t total = 0;
	double exec_ms = 0;
	mpoint *pts = NULL;
	int rc = 0, r;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!sim || !out || !p)
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_run_profile: NULL argument");
	sim->have_result = 0;
	if (opts->batches > 0)
		return gdfo__sim_bad_option("batches", "applies to pipeline graphs, not profiles");
	n = p->n;
	if (n == 0)
		return gdfo__error(GDFO_EINVAL, "profile '%s' has no stages", p->name);
	E = opts->executors > 0 ? opts->executors : p->executors;
	C = opts->cores_per_executor > 0 ? opts->cores_per_executor : p->cores_per_executor;
	for (i = 0; i < n; i++) {
		ne += p->stages[i].n_parents;
		if (p->stages[i].n_by_exec + 1 > max_pts)
			max_pts = p->stages[i].n_by_exec + 1;
	}
	if ((rc = gdfo__sim_reserve_stages(sim, n, ne, 1)) ||
	    (rc = GDFO__SIM_RESERVE(sim, run_ms, run_ms_cap, (size_t)opts->runs)) || (rc = replay_order(sim, p, ne)))
		return rc;
	pts = gdfo__malloc(max_pts * sizeof(*pts));
	if (!pts)
		return GDFO_ENOMEM;
	if ((rc = replay_tasks(sim, p, opts, E, pts, &total, &total_sorted)) ||
	    (opts->replay == GDFO_REPLAY_SAMPLED &&
	     (rc = replay_sort_measurements(sim, p, pts, total, total_sorted)))) {
		free(pts);
		return rc;
	}
	gdfo__sim_job_init(&job, sim, n, 1, E, C, 0);
	job.job_arrival[0] = 0;
	gdfo__sim_acc_reset(sim, n);
	out->success = 1;
	out->failed_stage_id = -1;
	out->executors = E;
	out->cores_per_executor = C;
	for (r = 0; r < opts->runs; r++) {
		gdfo__rng_seed(&rng, gdfo__sim_run_seed(opts->seed, (uint64_t)r));
		if (opts->replay == GDFO_REPLAY_SAMPLED)
			replay_sample(sim, p, E, pts, &rng);
		if ((rc = gdfo__des_run(sim, &job, opts, &rng, &d))) {
			free(pts);
			return rc;
		}
		gdfo__sim_run_add(sim, &job, &d, r, out, &exec_ms);
		if (!d.success && out->success) {
			out->success = 0;
			out->failed_stage_id = p->stages[sim->topo[d.failed_stage]].id;
		}
	}
	free(pts);
	out->runs = opts->runs;
	gdfo__sim_runs_mean(sim, n, opts->runs, out, &exec_ms);
	replay_stage_results(sim, p, out);
	gdfo__sim_stage_p95(sim, n, out);
	/* profiles record no memory: the cluster's is priced */
	gdfo__sim_finish_totals(sim, out,
				sim->cluster.price_per_executor_s + C * sim->cluster.price_per_core_s +
					(double)sim->cluster.memory_per_executor_bytes / 1073741824.0 *
						sim->cluster.price_per_gib_s,
				0, 0, exec_ms, C);
	sim->result = *out;
	gdfo__sim_set_result(sim, 2, n, 1);
	return 0;
}
