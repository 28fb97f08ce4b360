/*
 * The replay model behind every prediction of the advisor (docs/advisor.md,
 * "The scaling model"): the measured tasks of each stage replayed on the
 * discrete-event simulator at E executors x C cores (exact replay: every
 * task its measured time, launched in order, one core each, a stage when
 * its parents are done), with
 *   - the fixed per-run time kept: the measured latency minus the replay
 *     at the observed count (driver, planning, gaps between jobs), so the
 *     model matches the run at the observed count;
 *   - the network share of shuffle reads scaled: a task's remote fraction
 *     of its shuffle read is (E - 1) / E, each byte at the per-core share
 *     of the executor's network bandwidth;
 *   - executor start-up priced: each executor is paid from its request,
 *     executor_start_ms before it runs tasks.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diag/diag_internal.h"

static double remote_share(int32_t E)
{
	return E <= 1 ? 0.0 : (double)(E - 1) / (double)E;
}

void gdfo__model_free(gdfo__model *m)
{
	if (!m)
		return;
	gdfo_sim_free(m->sim);
	free(m->net_ms);
	free(m->scale);
	free(m->bytes);
	free(m->n0);
	memset(m, 0, sizeof(*m));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The measured task list of a profile stage closest to E executors. */
static const double *tasks_of(const gdfo_profile_stage *ps, int32_t own, int32_t E, size_t *n, int32_t *at)
{
	size_t k, best = 0;
	long d_own = labs((long)own - E);
	*at = own;
	if (ps->n_task_ms && (!ps->n_by_executors || d_own <= labs((long)ps->by_executors[0].executors - E))) {
		int better = 0;
		for (k = 0; k < ps->n_by_executors; k++)
			if (labs((long)ps->by_executors[k].executors - E) < d_own)
				better = 1;
		if (!better) {
			*n = ps->n_task_ms;
			return ps->task_ms;
		}
	}
	for (k = 1; k < ps->n_by_executors; k++)
		if (labs((long)ps->by_executors[k].executors - E) < labs((long)ps->by_executors[best].executors - E))
			best = k;
	if (!ps->n_by_executors) {
		*n = ps->n_task_ms;
		return ps->task_ms;
	}
	*n = ps->by_executors[best].n_task_ms;
	*at = ps->by_executors[best].executors;
	return ps->by_executors[best].task_ms;
}

#define MIB (1024.0 * 1024.0)

/*
 * A profile records no duration: its fixed time is this much per stage,
 * the time inside Spark jobs with no task of theirs running, per stage, on
 * the shared logs with static executors (NDS q72 104 ms, aqeshuffle 77 ms).
 */
#define GDFO__PROFILE_STAGE_GAP_MS 100.0

/* File scans: Spark splits files into min(maxPartitionBytes, max(openCost, bytes / cores)). */
static double scan_tasks(const gdfo__model *m, double bytes, int32_t E, int32_t C)
{
	double split = bytes / ((double)E * C);
	if (split < 4 * MIB)
		split = 4 * MIB;
	if (split > m->max_partition_bytes)
		split = m->max_partition_bytes;
	return ceil(bytes / split);
}

/*
 * AQE's coalescing with parallelismFirst (Spark's default): a target of
 * min(advisory 64 MiB, bytes / cores), at least 1 MiB, at most the
 * shuffle's partitions.
 */
static double coalesced_tasks(const gdfo__model *m, double bytes, int32_t E, int32_t C, double P)
{
	double target = bytes / ((double)E * C), n;
	if (target > 64 * MIB)
		target = 64 * MIB;
	if (target < MIB)
		target = MIB;
	n = ceil(bytes / target);
	return n < 1 ? 1 : n > P ? P : n;
}

static double partitions_of(const gdfo__model *m, int64_t n0)
{
	double P = m->shuffle_partitions > 0 ? m->shuffle_partitions : 200;
	return (double)n0 > P ? (double)n0 : P;
}

/*
 * The task count of profile stage si at E x C executors: the count
 * measured at Em executors scaled as Spark would.
 */
static size_t tasks_at(const gdfo__model *m, size_t si, int32_t E, int32_t C, size_t measured, int32_t Em)
{
	double f0, f, n;
	if (!m->scale || !m->scale[si] || (E == Em && C == m->C) || !measured)
		return measured;
	if (m->scale[si] == 1) {
		f0 = scan_tasks(m, m->bytes[si], Em, m->C);
		f = scan_tasks(m, m->bytes[si], E, C);
	} else {
		double P = partitions_of(m, m->n0[si]);
		f0 = coalesced_tasks(m, m->bytes[si], Em, m->C, P);
		f = coalesced_tasks(m, m->bytes[si], E, C, P);
	}
	n = floor((double)measured * f / f0 + 0.5);
	if (m->scale[si] == 2 && n > partitions_of(m, m->n0[si]))
		n = partitions_of(m, m->n0[si]);
	return n < 1 ? 1 : (size_t)n;
}

static size_t gcd(size_t a, size_t b)
{
	while (b) {
		size_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/*
 * Re-cut tasks come out sorted by duration; Spark launches partitions in
 * index order, which is not sorted, so they are spread by a fixed stride
 * (coprime to nn, near the golden ratio) before the replay launches them
 * in list order. tmp holds nn doubles.
 */
static void spread(double *buf, double *tmp, size_t nn)
{
	size_t k, step;
	if (nn < 3)
		return;
	memcpy(tmp, buf, nn * sizeof(double));
	step = (size_t)((double)nn * 0.618) | 1;
	while (gcd(step, nn) != 1)
		step++;
	for (k = 0; k < nn; k++)
		buf[k] = tmp[(k * step) % nn];
}

/* Topological order of the profile's stages (a loaded profile need not be in one). */
static int topo(size_t *order, const gdfo_profile *p, size_t n)
{
	unsigned char *done = gdfo__calloc(n ? n : 1, 1);
	size_t placed = 0, i, k, pass;
	if (!done)
		return GDFO_ENOMEM;
	for (pass = 0; placed < n && pass <= n; pass++)
		for (i = 0; i < n; i++) {
			gdfo_profile_stage ps = {.version = GDFO_PROFILE_STAGE_VERSION};
			int ready = 1;
			if (done[i] || gdfo_profile_stage_at(&ps, p, i))
				continue;
			for (k = 0; k < ps.n_parents && ready; k++) {
				size_t at;
				ready = !gdfo_profile_find(&at, p, ps.parents[k]) && done[at];
			}
			if (ready) {
				done[i] = 1;
				order[placed++] = i;
			}
		}
	free(done);
	return placed == n ? 0 : gdfo__error(GDFO_ECYCLE, "profile '%s' has a cycle", gdfo_profile_name(p));
}

int gdfo__model_eval(double *latency_ms, double *cost, double *util, gdfo__model *m, int32_t E,
		     int32_t C, const gdfo__tweak *tweaks)
{
	gdfo_profile *q = NULL;
	gdfo_sim_options o;
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	size_t *order = NULL, i, k, cap = 0;
	double *buf = NULL, *sorted = NULL;
	int rc;

	if (E < 1)
		E = 1;
	if (C < 1)
		C = 1;
	if ((rc = gdfo_profile_create(&q, gdfo_profile_name(m->prof), E, C)))
		return rc;
	if (!(order = gdfo__malloc((m->n ? m->n : 1) * sizeof(*order)))) {
		rc = GDFO_ENOMEM;
		goto done;
	}
	if ((rc = topo(order, m->prof, m->n)))
		goto done;
	for (i = 0; i < m->n; i++) {
		size_t si = order[i], n, nn;
		gdfo_profile_stage ps = {.version = GDFO_PROFILE_STAGE_VERSION}, qs;
		const double *v;
		const gdfo__tweak *tw = tweaks ? &tweaks[si] : NULL;
		double dnet, med = 0;
		int32_t Em;
		int recut;

		if ((rc = gdfo_profile_stage_at(&ps, m->prof, si)))
			goto done;
		v = tasks_of(&ps, m->E0, E, &n, &Em);
		nn = tasks_at(m, si, E, C, n, Em);
		if (tw && tw->tasks > 0)
			nn = (size_t)tw->tasks;
		recut = nn != n && n;
		if (recut || (tw && tw->split_over > 0)) {
			if (!(sorted = gdfo__realloc(sorted, (n > nn ? n : nn ? nn : 1) * sizeof(double)))) {
				rc = GDFO_ENOMEM;
				goto done;
			}
			if (n)
				memcpy(sorted, v, n * sizeof(double));
			qsort(sorted, n, sizeof(double), cmp_double);
			med = n ? sorted[n / 2] : 0;
			if (tw && tw->split_over > 0 && med > 0 && !recut)
				for (k = 0, nn = 0; k < n; k++)
					nn += v[k] > tw->split_over * med ? (size_t)ceil(v[k] / med) : 1;
		}
		if (nn + 1 > cap) {
			cap = 2 * (nn + 1);
			if (!(buf = gdfo__realloc(buf, cap * sizeof(double)))) {
				rc = GDFO_ENOMEM;
				goto done;
			}
		}
		dnet = m->no_net ? 0 : m->net_ms[si] * (remote_share(E) - remote_share(m->E0));
		if (recut) {
			double L = m->cluster.task_launch_ms;
			dnet *= (double)n / (double)nn;
			/* repartitioned: the same work in nn tasks of the same shape */
			for (k = 0; k < nn; k++) {
				size_t at = (size_t)(((double)k + 0.5) / (double)nn * (double)n);
				double t = sorted[at < n ? at : n - 1], l = t < L ? t : L;
				/* the variable part is divided, the launch cost is paid once per task */
				buf[k] = (t - l) * (double)n / (double)nn + l;
			}
			spread(buf, sorted, nn);
		} else if (tw && tw->split_over > 0 && med > 0) {
			size_t w = 0;
			for (k = 0; k < n; k++) {
				if (v[k] > tw->split_over * med) {
					size_t parts = (size_t)ceil(v[k] / med), p;
					for (p = 0; p < parts; p++)
						buf[w++] = v[k] / (double)parts;
				} else {
					buf[w++] = v[k];
				}
			}
			nn = w;
		} else {
			if (n)
				memcpy(buf, v, n * sizeof(double));
		}
		for (k = 0; k < nn; k++) {
			double t = buf[k], t0 = t;
			if (tw) {
				t = t * (tw->scale > 0 ? tw->scale : 1.0) - tw->minus_ms;
				if (t < 0.1 * t0)
					t = 0.1 * t0;
			}
			t += dnet;
			buf[k] = t < 0.1 * t0 ? 0.1 * t0 : t;
		}
		gdfo_profile_stage_init(&qs, GDFO_PROFILE_STAGE_VERSION);
		qs.id = ps.id;
		qs.parents = ps.parents;
		qs.n_parents = ps.n_parents;
		qs.num_tasks = (int64_t)nn;
		qs.task_ms = buf;
		qs.n_task_ms = nn;
		if (!nn) { /* a stage with no measured task: one empty task keeps the edges */
			buf[0] = 0;
			qs.n_task_ms = 1;
			qs.num_tasks = 1;
		}
		if ((rc = gdfo_profile_add_stage(q, &qs)))
			goto done;
	}
	gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
	o.replay = GDFO_REPLAY_EXACT;
	if ((rc = gdfo_sim_run_profile(&r, m->sim, q, &o)))
		goto done;
	*latency_ms = m->fixed_ms + r.makespan_ms;
	*util = r.makespan_ms > 0 ? r.work_ms / ((double)E * C * r.makespan_ms) : 0;
	if (*util > 1)
		*util = 1;
	*cost = (double)E * (*latency_ms + m->cluster.executor_start_ms) / 1000.0 * gdfo__model_price(m, C);
done:
	free(order);
	free(buf);
	free(sorted);
	gdfo_profile_free(q);
	return rc;
}

double gdfo__model_price(const gdfo__model *m, int32_t C)
{
	return m->cluster.price_per_executor_s + C * m->cluster.price_per_core_s + m->gib_per_exec * m->cluster.price_per_gib_s;
}

int gdfo__model_init(gdfo__model *m, const gdfo_profile *p, const gdfo_sim_cluster *cluster,
		     double measured_ms, int64_t exec_mem, int aqe, int32_t shuffle_partitions,
		     double max_partition_bytes)
{
	size_t i, n = gdfo_profile_stage_count(p);
	double lat, cost, util;
	int32_t em;
	int rc;

	memset(m, 0, sizeof(*m));
	m->prof = p;
	m->cluster = *cluster;
	m->E0 = gdfo_profile_executors(p);
	m->C = gdfo_profile_cores_per_executor(p);
	m->n = n;
	m->gib_per_exec = (double)(exec_mem > 0 ? exec_mem : cluster->memory_per_executor_bytes) / 1073741824.0;
	if ((rc = gdfo_sim_create(&m->sim, cluster)))
		return rc;
	m->aqe = aqe;
	m->shuffle_partitions = shuffle_partitions;
	m->max_partition_bytes = max_partition_bytes > 0 ? max_partition_bytes : 128 * MIB;
	if (!(m->net_ms = gdfo__calloc(n ? n : 1, sizeof(double))) || !(m->scale = gdfo__calloc(n ? n : 1, sizeof(int))) ||
	    !(m->bytes = gdfo__calloc(n ? n : 1, sizeof(double))) || !(m->n0 = gdfo__calloc(n ? n : 1, sizeof(int64_t))))
		return GDFO_ENOMEM;
	for (i = 0; i < n; i++) {
		gdfo_profile_stage ps = {.version = GDFO_PROFILE_STAGE_VERSION};
		size_t nt;
		double in, sr;
		if (gdfo_profile_stage_at(&ps, p, i))
			continue;
		tasks_of(&ps, m->E0, m->E0, &nt, &em);
		m->n0[i] = (int64_t)nt;
		in = ps.has_bytes & GDFO_PROFILE_INPUT_BYTES ? (double)ps.input_bytes : 0;
		sr = ps.has_bytes & GDFO_PROFILE_SHUFFLE_READ_BYTES ? (double)ps.shuffle_read_bytes : 0;
		if (in > 0 && sr <= 0 && !ps.n_parents) {
			m->scale[i] = 1;
			m->bytes[i] = in;
		} else if (sr > 0 && aqe != 0 && nt > 0) {
			/* coalesced by AQE when the measured count is what coalescing gives at E0 */
			double g = coalesced_tasks(m, sr, m->E0, m->C, partitions_of(m, (int64_t)nt));
			if (fabs((double)nt - g) <= 0.25 * g) {
				m->scale[i] = 2;
				m->bytes[i] = sr;
			}
		}
	}
	for (i = 0; i < n; i++) {
		gdfo_profile_stage ps = {.version = GDFO_PROFILE_STAGE_VERSION};
		size_t nt, k;
		const double *v;
		double mean = 0, per_task, net;
		if (gdfo_profile_stage_at(&ps, p, i) || !(ps.has_bytes & GDFO_PROFILE_SHUFFLE_READ_BYTES))
			continue;
		v = tasks_of(&ps, m->E0, m->E0, &nt, &em);
		for (k = 0; k < nt; k++)
			mean += v[k];
		if (!nt)
			continue;
		mean /= (double)nt;
		per_task = (double)ps.shuffle_read_bytes / (double)nt;
		/* the executor's NIC is shared by its C running tasks */
		net = per_task / (cluster->network_bytes_per_s / (double)m->C) * 1000.0;
		/* what the measured tasks spent on remote reads cannot exceed half of them */
		if (net * remote_share(m->E0) > 0.5 * mean)
			net = remote_share(m->E0) > 0 ? 0.5 * mean / remote_share(m->E0) : net;
		m->net_ms[i] = net;
	}
	m->fixed_ms = 0;
	if ((rc = gdfo__model_eval(&lat, &cost, &util, m, m->E0, m->C, NULL)))
		return rc;
	m->base_exec_ms = lat;
	if (measured_ms >= 0)
		m->fixed_ms = measured_ms > lat ? measured_ms - lat : 0;
	else
		m->fixed_ms = GDFO__PROFILE_STAGE_GAP_MS * (double)n;
	return 0;
}
