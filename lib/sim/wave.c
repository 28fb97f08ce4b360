/*
 * Expected mode (GDFO_SIM_EXPECTED, docs/simulator.md "Expected mode"):
 * what the task-level simulator's mean makespan under task noise and
 * stragglers is, without simulating tasks one by one.
 *
 * The schedule is the DES's list schedule with every task at its mean
 * time (stragglers included: a task's mean is its time x g, g = 1 + p (f -
 * 1)). The tasks a stage starts at one instant all end together, so they
 * are one event (a group): a stage of T tasks on a cores is T / a events,
 * not T, and a 32-stage plan takes microseconds. What the means leave
 * out is the tail: a stage ends with the slowest task of its last wave,
 * and a straggler started in one of the last few waves ends after
 * everything else. When a stage's last group ends, its end is put off by
 * the expected excess of that tail (wave_tail), and its children wait for
 * it.
 */
#include <math.h>
#include <string.h>

#include "sim/sim_internal.h"

/* An event: a group of n tasks of stage s ends (kind TASKS, BIG), the stage's tail ends (END) or its setup (READY). */
typedef struct gdfo__wave_ev {
	double t;
	uint32_t s, n, kind, seq;
} gdfo__wave_ev;

enum { W_TASKS = 0, W_BIG = 1, W_END = 2, W_READY = 3 };

typedef struct wstate {
	gdfo_sim *sim;
	gdfo__des_job *job;
	const gdfo_sim_options *o;
	gdfo__wave_ev *h;
	size_t n, cap;
	uint32_t seq;
	uint32_t *ready; /* runnable stages, best first */
	size_t nr;
	uint32_t *stack;
	double now, free, g;
	size_t stages_left;
	int failed;
	int64_t failed_stage;
} wstate;

static int ev_before(const gdfo__wave_ev *a, const gdfo__wave_ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int push(wstate *w, double t, uint32_t s, uint32_t n, uint32_t kind)
{
	gdfo__wave_ev e = {t, s, n, kind, w->seq++};
	size_t i;
	int rc;

	if (w->n >= w->cap) {
		if ((rc = gdfo__sim_reserve((void **)&w->sim->wheap, &w->sim->wheap_cap, w->cap * 2 + 16, sizeof(*w->h))))
			return rc;
		w->h = w->sim->wheap;
		w->cap = w->sim->wheap_cap;
	}
	i = w->n++;
	while (i > 0 && ev_before(&e, &w->h[(i - 1) / 2])) {
		w->h[i] = w->h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	w->h[i] = e;
	return 0;
}

static gdfo__wave_ev pop(wstate *w)
{
	gdfo__wave_ev top = w->h[0], x = w->h[--w->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= w->n)
			break;
		if (c + 1 < w->n && ev_before(&w->h[c + 1], &w->h[c]))
			c++;
		if (!ev_before(&w->h[c], &x))
			break;
		w->h[i] = w->h[c];
		i = c;
	}
	if (w->n)
		w->h[i] = x;
	return top;
}

/* Phi^-1(q), 0 < q < 1: Acklam's rational approximation (relative error below 1.2e-9). */
static double normal_quantile(double q)
{
	static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
				    1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
				    6.680131188771972e+01, -1.328068155288572e+01};
	static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
				    -2.549671010229528e+00, 4.374664141464968e+00, 2.938163982698783e+00};
	static const double e[4] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
				    3.754408661907416e+00};
	double x, r;

	if (q < 0.02425) {
		x = sqrt(-2 * log(q));
		return (((((c[0] * x + c[1]) * x + c[2]) * x + c[3]) * x + c[4]) * x + c[5]) /
		       ((((e[0] * x + e[1]) * x + e[2]) * x + e[3]) * x + 1);
	}
	if (q > 1 - 0.02425) {
		x = sqrt(-2 * log(1 - q));
		return -(((((c[0] * x + c[1]) * x + c[2]) * x + c[3]) * x + c[4]) * x + c[5]) /
		       ((((e[0] * x + e[1]) * x + e[2]) * x + e[3]) * x + 1);
	}
	x = q - 0.5;
	r = x * x;
	return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * x /
	       (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/*
 * E[max of m mean-one lognormal task times], sigma: exp(sigma Z) of the
 * largest of m standard normals, whose mean is Blom's Phi^-1((m - 0.375) /
 * (m + 0.25)) and whose variance about 1 / (1 + 0.8 ln m).
 */
static double lognormal_max(double m, double sigma)
{
	double z, v;
	if (m <= 1 || sigma <= 0)
		return 1;
	z = normal_quantile((m - 0.375) / (m + 0.25));
	v = 1 / (1 + 0.8 * log(m));
	return exp(sigma * z - 0.5 * sigma * sigma * (1 - v));
}

/*
 * Expected mode: how much later than the deterministic end of its last
 * wave a stage ends, in units of its task time, under the options' task
 * noise. The last wave has m tasks; the earlier waves had a tasks each,
 * `earlier` of them. Without stragglers it is the largest of the last
 * wave's m noisy tasks. A straggler (straggler_factor f) that started k
 * waves before the last ends f x (the largest of that wave's stragglers'
 * noise) - k g later than the last wave's start (g, the mean task time
 * with stragglers), and the latest straggler decides when it ends after
 * that largest task. Within 5 % of the task-level model's mean over 400
 * runs from 1 to 8,000 tasks on 4 to 200 cores except one task left over
 * for a second wave (+9 %) (docs/simulator.md "Expected mode"). *var
 * receives the variance of that end, in task times squared.
 */
static double wave_tail(const gdfo_sim_options *o, double m, double a, double earlier, double g, double *var)
{
	double base = lognormal_max(m, o->noise_sigma), p = o->straggler_prob, f = o->straggler_factor;
	double e = 0, e2 = 0, none = 1, s = o->noise_sigma, v;
	int k;

	for (k = 0; p > 0 && k <= (int)earlier && k < 64; k++) {
		double n = k == 0 ? m : a, q = -expm1(n * log1p(-p)), c, end;
		/* the latest of the wave's stragglers: as many as n p / q given one */
		c = q > 0 && n * p > q ? n * p / q : 1;
		end = f * lognormal_max(c, o->noise_sigma) - k * g;
		if (end <= base)
			break;
		e += none * q * end;
		e2 += none * q * end * end;
		none *= 1 - q;
	}
	/* the largest of m lognormals: sd about base sigma sqrt(v_m) */
	v = m > 1 ? 1 / (1 + 0.8 * log(m)) : 1;
	e += none * base;
	e2 += none * base * base * (1 + s * s * v);
	*var = e2 > e * e ? e2 - e * e : 0;
	return e - g;
}

static int stage_complete(wstate *w, uint32_t s0);

/* Stage s is released (its parents are done and its setup is over). */
static int stage_ready(wstate *w, uint32_t s)
{
	gdfo__des_stage *d = &w->job->stages[s];
	d->ready_ms = w->now;
	if (d->fails) {
		if (!w->failed) {
			w->failed = 1;
			w->failed_stage = s;
		}
		return 0;
	}
	if (d->n_tasks == 0) {
		d->start_ms = w->now;
		return stage_complete(w, s);
	}
	gdfo__ready_insert(w->job, w->ready, &w->nr, s);
	return 0;
}

/* Stage s0 is done: its children are released (after their setup), zero-task ones at once. */
static int stage_complete(wstate *w, uint32_t s0)
{
	gdfo__des_job *job = w->job;
	size_t top = 0, k;
	int rc;

	w->stack[top++] = s0;
	while (top > 0 && !w->failed) {
		uint32_t s = w->stack[--top];
		gdfo__des_stage *d = &job->stages[s];
		d->end_ms = w->now;
		w->stages_left--;
		if (w->now > job->job_end[d->job])
			job->job_end[d->job] = w->now;
		for (k = 0; k < d->n_children; k++) {
			uint32_t c = job->children[d->child_off + k];
			gdfo__des_stage *dc = &job->stages[c];
			if (--dc->parents_left)
				continue;
			dc->var_ms2 = d->var_ms2;
			if (dc->setup_ms > 0) {
				if ((rc = push(w, w->now + dc->setup_ms, c, 0, W_READY)))
					return rc;
			} else if (dc->fails || dc->n_tasks > 0) {
				if ((rc = stage_ready(w, c)))
					return rc;
			} else {
				dc->ready_ms = dc->start_ms = w->now;
				w->stack[top++] = c;
			}
		}
	}
	return 0;
}

/* The last group of stage s ended now: the stage ends after the expected tail of its last wave. */
static int stage_tasks_done(wstate *w, uint32_t s)
{
	gdfo__des_stage *d = &w->job->stages[s];
	double t = d->t_norm, tail = 0, end, var = 0;

	if (d->last_m > 0 && t > 0) {
		double a = d->wave_a > d->last_m ? d->wave_a : d->last_m;
		double normal = (double)d->n_tasks - d->n_comp - (d->has_big ? 1 : 0);
		double earlier = ceil((normal - d->last_m) / a - 1e-9);
		tail = t * wave_tail(w->o, d->last_m, a, earlier > 0 ? earlier : 0, w->g, &var);
	}
	/* the spread of its end: its parent's that released it, and its own tail's */
	d->var_ms2 += t * t * var;
	end = d->norm_end_ms + (tail > 0 ? tail : 0);
	if (end > w->now)
		return push(w, end, s, 0, W_END);
	return stage_complete(w, s);
}

/*
 * When a group started now and lasting dur ends: now + dur on a grid of
 * 1/64 of dur's power of two, so that the groups of a stage (and of
 * stages with tasks of about its length) started within about 1 % of a
 * task of each other end together and their cores are handed out as one
 * group again. Without it, the groups split whenever a stage runs out of
 * tasks and never merge again: a 128-stage pipeline made 50,000 events.
 */
static double grid_of(double dur)
{
	return dur > 0 && isfinite(dur) ? ldexp(1, ilogb(dur) - 6) : 0;
}

static double group_end(double now, double dur, double q)
{
	if (!(q > 0))
		return now + (dur > 0 ? dur : 0);
	return now + dur > now + q ? nearbyint((now + dur) / q) * q : now + dur;
}

/* Hands the free cores to the runnable stages, best first; each start is one group. */
static int dispatch(wstate *w)
{
	gdfo__des_job *job = w->job;
	int rc;

	while (w->free >= 1 && w->nr > 0) {
		uint32_t s = w->ready[0];
		gdfo__des_stage *d = &job->stages[s];
		uint32_t left = d->n_tasks - d->next_task, k = w->free < left ? (uint32_t)w->free : left;
		uint32_t i0 = d->next_task, i1 = i0 + k, normal_end = d->n_tasks - d->n_comp, big = 0, normal, comp = 0;

		if (d->start_ms < 0)
			d->start_ms = w->now;
		if (d->has_big && d->big_index >= i0 && d->big_index < i1) {
			big = 1;
			if ((rc = push(w, group_end(w->now, d->t_big * w->g, d->grid[1]), s, 1, W_BIG)))
				return rc;
		}
		if (i1 > normal_end)
			comp = i1 - (i0 > normal_end ? i0 : normal_end);
		normal = k - big - comp;
		if (comp && (rc = push(w, group_end(w->now, d->t_comp * w->g, d->grid[2]), s, comp, W_TASKS)))
			return rc;
		if (normal) {
			if ((rc = push(w, group_end(w->now, d->t_norm * w->g, d->grid[0]), s, normal, W_TASKS)))
				return rc;
			d->last_m = normal;
			if (normal > d->wave_a)
				d->wave_a = normal;
		}
		d->next_task = i1;
		d->launched = i1;
		w->free -= k;
		if (d->next_task == d->n_tasks) {
			w->nr--;
			memmove(w->ready, w->ready + 1, w->nr * sizeof(*w->ready));
		}
	}
	return 0;
}

int gdfo__wave_run(gdfo_sim *sim, gdfo__des_job *job, const gdfo_sim_options *o, gdfo__des_out *out)
{
	size_t n = job->n_stages, k;
	wstate w;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	if ((rc = GDFO__SIM_RESERVE(sim, runnable, runnable_cap, n)) || (rc = GDFO__SIM_RESERVE(sim, stack, stack_cap, n)))
		return rc;
	w.sim = sim;
	w.job = job;
	w.o = o;
	w.h = sim->wheap;
	w.cap = sim->wheap_cap;
	w.ready = sim->runnable;
	w.stack = sim->stack;
	w.g = 1 + o->straggler_prob * (o->straggler_factor - 1);
	w.free = (double)job->executors * job->cores;
	w.failed_stage = -1;
	w.stages_left = n;
	for (k = 0; k < job->n_jobs; k++)
		job->job_end[k] = job->job_arrival[k];
	for (k = 0; k < n; k++) {
		gdfo__des_stage *d = &job->stages[k];
		double longest = d->has_big && d->t_big > d->t_norm ? d->t_big : d->t_norm;
		if (d->n_comp && d->t_comp > longest)
			longest = d->t_comp;
		d->parents_left = d->n_parents;
		d->next_task = d->done = d->launched = 0;
		d->ready_ms = d->start_ms = d->end_ms = d->norm_end_ms = -1;
		d->wave_a = d->last_m = 0;
		d->var_ms2 = 0;
		d->grid[0] = grid_of(d->t_norm * w.g);
		d->grid[1] = grid_of(d->t_big * w.g);
		d->grid[2] = grid_of(d->t_comp * w.g);
		d->cp_ms = 0;
		d->max_chain_ms = d->n_tasks ? longest * w.g : 0;
		d->work_ms = ((double)(d->n_tasks - d->n_comp) * d->t_norm + d->n_comp * d->t_comp +
			      (d->has_big ? d->t_big - d->t_norm : 0)) * w.g;
		out->work_ms += d->work_ms;
		out->task_events += d->n_tasks;
	}
	/* roots: released at their job's arrival (executors up at startup), after their setup */
	for (k = 0; k < n && !w.failed; k++) {
		gdfo__des_stage *d = &job->stages[k];
		double at;
		if (d->n_parents)
			continue;
		at = (job->job_arrival[d->job] > job->startup_ms ? job->job_arrival[d->job] : job->startup_ms) + d->setup_ms;
		if (at > 0)
			rc = push(&w, at, (uint32_t)k, 0, W_READY);
		else
			rc = stage_ready(&w, (uint32_t)k);
		if (rc)
			return rc;
	}
	if ((rc = dispatch(&w)))
		return rc;
	while (w.n > 0 && !w.failed) {
		gdfo__wave_ev e = pop(&w);
		gdfo__des_stage *d = &job->stages[e.s];
		w.now = e.t;
		switch (e.kind) {
		case W_TASKS:
		case W_BIG:
			w.free += e.n;
			d->done += e.n;
			if (e.kind == W_TASKS && e.t > d->norm_end_ms)
				d->norm_end_ms = e.t;
			if (d->done == d->n_tasks)
				rc = stage_tasks_done(&w, e.s);
			break;
		case W_END:
			rc = stage_complete(&w, e.s);
			break;
		default:
			rc = stage_ready(&w, e.s);
			break;
		}
		if (rc)
			return rc;
		/* everything that happens at this instant is in before cores are handed out */
		if (w.n > 0 && w.h[0].t == w.now)
			continue;
		if ((rc = dispatch(&w)))
			return rc;
		if (w.stages_left == 0)
			break;
	}
	if (!w.failed && w.stages_left > 0)
		return gdfo__error(GDFO_EINTERNAL, "simulator (expected mode): %zu stages never ran (please report)",
				   w.stages_left);
	out->success = !w.failed;
	out->failed_stage = w.failed_stage;
	if (w.failed) {
		out->makespan_ms = w.now;
	} else {
		for (k = 0; k < n; k++)
			if (job->stages[k].end_ms > out->makespan_ms) {
				out->makespan_ms = job->stages[k].end_ms;
				out->makespan_var = job->stages[k].var_ms2;
			}
	}
	out->executor_ms = (double)job->executors * out->makespan_ms;
	out->critical_path_ms = gdfo__des_critical_path(job);
	return 0;
}
