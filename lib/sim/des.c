/*
 * The discrete-event engine: tasks of stages on executors x cores.
 *
 * Events live in one binary min-heap keyed by time. A task end that frees
 * a core which immediately takes the next task replaces the heap's top in
 * place (one sift-down instead of a pop and a push): that is the hot path
 * of replay. Free cores take a task of the best runnable stage (highest
 * priority, then earliest job arrival, then lowest order); the runnable
 * stages are a heap with the best on top, so picking is O(1).
 * The schedule is a list schedule, hence work-conserving: a core is never
 * idle while a task is runnable on a live executor.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

/* ---- random numbers ------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void gdfo__rng_seed(gdfo__rng *r, uint64_t seed)
{
	uint64_t x = seed;
	int i;
	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t gdfo__rng_next(gdfo__rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

double gdfo__rng_normal(gdfo__rng *r)
{
	double u1 = gdfo__rng_uniform(r), u2 = gdfo__rng_uniform(r);
	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

int gdfo__sim_reserve(void **p, size_t *cap, size_t n, size_t elem)
{
	void *q;
	size_t ncap;
	if (n <= *cap && *p)
		return 0;
	ncap = n < 16 ? 16 : n;
	if (ncap > SIZE_MAX / elem)
		return gdfo__error(GDFO_ENOMEM, "simulator workspace of %zu elements is too large", n);
	q = gdfo__realloc(*p, ncap * elem);
	if (!q)
		return GDFO_ENOMEM;
	*p = q;
	*cap = ncap;
	return 0;
}

/* ---- events --------------------------------------------------------------- */

enum {
	EV_TASK_END = 0,
	EV_TASK_FAIL = 1,
	EV_STAGE_READY = 2,
	EV_EXEC_READY = 3,
	EV_ALLOC = 4,
	EV_IDLE = 5
};

typedef struct ev {
	double t;
	uint32_t a;   /* kind << 28 | core (tasks) or generation (idle) */
	uint32_t s;   /* stage, or executor */
	uint32_t i;   /* task index in the stage */
	uint32_t pad;
} ev;

#define EV_KIND(a) ((a) >> 28)
#define EV_LOW(a) ((a) & 0x0fffffffu)

typedef struct heap {
	ev *h;
	size_t n, cap;
	gdfo_sim *sim;   /* owner of the storage, for growth */
	int oom;
} heap;

static inline void sift_down(ev *h, size_t n, size_t i)
{
	ev x = h[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && h[c + 1].t < h[c].t)
			c++;
		if (!(h[c].t < x.t))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

static int heap_grow(heap *hp)
{
	if (gdfo__sim_reserve(&hp->sim->heap, &hp->sim->heap_cap, hp->cap * 2, sizeof(ev))) {
		hp->oom = 1;
		return -1;
	}
	hp->h = hp->sim->heap;
	hp->cap = hp->sim->heap_cap;
	return 0;
}

static inline void heap_push(heap *hp, ev e)
{
	size_t i;
	ev *h;
	if (hp->n >= hp->cap && heap_grow(hp))
		return;
	i = hp->n++;
	h = hp->h;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!(e.t < h[p].t))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = e;
}

static inline void heap_pop(heap *hp)
{
	hp->n--;
	if (hp->n > 0) {
		hp->h[0] = hp->h[hp->n];
		sift_down(hp->h, hp->n, 0);
	}
}

/* ---- executors ------------------------------------------------------------- */

typedef struct exec {
	uint32_t alive, starting, busy, idle_gen;
	double added_ms;
} exec;

/* ---- the run ---------------------------------------------------------------- */

typedef struct state {
	gdfo_sim *sim;
	gdfo__des_job *job;
	const gdfo_sim_options *o;
	gdfo__rng *rng;
	heap hp;
	exec *ex;
	uint32_t n_ex_slots, cores, alive, starting;
	uint32_t *free_stack;
	size_t n_free_stack, free_count;
	uint32_t *runnable;
	size_t n_runnable;
	uint64_t pending;        /* launchable tasks over runnable stages */
	uint64_t running;
	size_t stages_left;
	uint32_t *jobs_left;
	int noisy, failing, dyn, alloc_armed;
	uint32_t ramp;
	double executor_ms, work_ms, task_events;
	double now;
	int failed;
	int64_t failed_stage;
	uint32_t *stack;
} state;

/* 1 when stage a should run before stage b. */
static inline int better(const state *st, uint32_t a, uint32_t b)
{
	const gdfo__des_stage *x = &st->job->stages[a], *y = &st->job->stages[b];
	double ax, ay;
	if (x->priority != y->priority)
		return x->priority > y->priority;
	ax = st->job->job_arrival[x->job];
	ay = st->job->job_arrival[y->job];
	if (ax != ay)
		return ax < ay;
	if (x->job != y->job)
		return x->job < y->job;
	return x->order < y->order;
}

/*
 * The runnable stages are a binary heap with the best on top: a sorted
 * list cost O(runnable) per insertion, quadratic when thousands of stages
 * become ready together (a stage with 10,000 consumers). better() is a
 * strict order (order is unique per stage), so the top is the same stage
 * a sorted list would pick.
 */
static void runnable_insert(state *st, uint32_t s)
{
	size_t i = st->n_runnable++;
	while (i > 0 && better(st, s, st->runnable[(i - 1) / 2])) {
		st->runnable[i] = st->runnable[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	st->runnable[i] = s;
	st->job->stages[s].runnable = 1;
}

static void runnable_pop(state *st)
{
	uint32_t last = st->runnable[--st->n_runnable];
	size_t i = 0, n = st->n_runnable;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && better(st, st->runnable[c + 1], st->runnable[c]))
			c++;
		if (!better(st, st->runnable[c], last))
			break;
		st->runnable[i] = st->runnable[c];
		i = c;
	}
	if (n)
		st->runnable[i] = last;
}

static inline double base_duration(const gdfo__des_stage *s, uint32_t i)
{
	if (s->dur)
		return s->dur[i];
	if (s->has_big && i == s->big_index)
		return s->t_big;
	if (i >= s->n_tasks - s->n_comp)
		return s->t_comp;
	return s->t_norm;
}

static void fail_run(state *st, uint32_t s)
{
	if (!st->failed) {
		st->failed = 1;
		st->failed_stage = s;
	}
}

/* Marks stage s and any zero-task descendants ready/complete as time allows. */
static void stage_complete(state *st, uint32_t s0);

static void stage_ready(state *st, uint32_t s)
{
	gdfo__des_stage *d = &st->job->stages[s];
	d->ready_ms = st->now;
	if (d->fails) {
		fail_run(st, s);
		return;
	}
	if (d->n_tasks == 0) {
		d->start_ms = st->now;
		stage_complete(st, s);
		return;
	}
	st->pending += d->n_tasks;
	runnable_insert(st, s);
}

static void make_ready_or_delay(state *st, uint32_t c)
{
	gdfo__des_stage *d = &st->job->stages[c];
	if (d->setup_ms > 0) {
		ev e = {st->now + d->setup_ms, (uint32_t)EV_STAGE_READY << 28, c, 0, 0};
		heap_push(&st->hp, e);
	} else {
		stage_ready(st, c);
	}
}

static void stage_complete(state *st, uint32_t s0)
{
	size_t top = 0, k;
	st->stack[top++] = s0;
	while (top > 0 && !st->failed) {
		uint32_t s = st->stack[--top];
		gdfo__des_stage *d = &st->job->stages[s];
		d->end_ms = st->now;
		st->stages_left--;
		if (--st->jobs_left[d->job] == 0)
			st->job->job_end[d->job] = st->now;
		for (k = 0; k < d->n_children; k++) {
			uint32_t c = st->job->children[d->child_off + k];
			gdfo__des_stage *dc = &st->job->stages[c];
			if (--dc->parents_left == 0) {
				if (dc->setup_ms > 0 || dc->fails || dc->n_tasks > 0) {
					make_ready_or_delay(st, c);
				} else {
					dc->ready_ms = dc->start_ms = st->now;
					st->stack[top++] = c;
				}
			}
		}
	}
}

/*
 * Starts a task of the best runnable stage on core c. Returns 0 when
 * nothing is runnable. With replace_top the new event overwrites the heap
 * top (the event being handled).
 */
static inline int launch(state *st, uint32_t core, int replace_top)
{
	uint32_t s, i;
	gdfo__des_stage *d;
	double dur;
	uint32_t kind = EV_TASK_END;
	ev e;

	if (st->n_runnable == 0)
		return 0;
	s = st->runnable[0];
	d = &st->job->stages[s];
	if (d->n_retry > 0) {
		i = d->retry_head;
		d->retry_head = st->sim->retry_next[d->task_base + i];
		d->n_retry--;
	} else {
		i = d->next_task++;
		d->launched++;
	}
	if (d->next_task == d->n_tasks && d->n_retry == 0) {
		runnable_pop(st);
		d->runnable = 0;
	}
	st->pending--;
	st->running++;
	if (d->launched == 1 && d->start_ms < 0)
		d->start_ms = st->now;
	dur = base_duration(d, i);
	if (st->noisy) {
		const gdfo_sim_options *o = st->o;
		if (o->noise_sigma > 0)
			dur *= exp(o->noise_sigma * gdfo__rng_normal(st->rng) -
				   0.5 * o->noise_sigma * o->noise_sigma);
		if (o->straggler_prob > 0 && gdfo__rng_uniform(st->rng) < o->straggler_prob)
			dur *= o->straggler_factor;
		if (o->failure_prob > 0 && gdfo__rng_uniform(st->rng) < o->failure_prob) {
			dur *= gdfo__rng_uniform(st->rng);
			kind = EV_TASK_FAIL;
		}
	}
	d->work_ms += dur;
	st->work_ms += dur;
	st->task_events += 1;
	if (st->failing) {
		uint64_t g = d->task_base + i;
		st->sim->acc[g] += dur;
		if (kind == EV_TASK_FAIL)
			st->sim->attempts[g]++;
	} else if (dur > d->max_chain_ms)
		d->max_chain_ms = dur;
	e.t = st->now + dur;
	e.a = (kind << 28) | core;
	e.s = s;
	e.i = i;
	e.pad = 0;
	if (replace_top) {
		st->hp.h[0] = e;
		sift_down(st->hp.h, st->hp.n, 0);
	} else {
		heap_push(&st->hp, e);
	}
	if (st->ex) {
		exec *x = &st->ex[core / st->cores];
		x->busy++;
	}
	return 1;
}

/* Takes a free core of a live executor, or UINT32_MAX. */
static inline uint32_t pop_free(state *st)
{
	while (st->n_free_stack > 0) {
		uint32_t c = st->free_stack[--st->n_free_stack];
		st->sim->core_free[c] = 0;
		if (!st->ex || st->ex[c / st->cores].alive) {
			st->free_count--;
			return c;
		}
	}
	return UINT32_MAX;
}

static inline void push_free(state *st, uint32_t c)
{
	if (!st->sim->core_free[c]) {
		st->sim->core_free[c] = 1;
		st->free_stack[st->n_free_stack++] = c;
	}
	st->free_count++;
}

static void dispatch_free(state *st)
{
	while (st->n_runnable > 0 && st->free_count > 0) {
		uint32_t c = pop_free(st);
		if (c == UINT32_MAX)
			break;
		launch(st, c, 0);
	}
}

static void exec_idle_maybe(state *st, uint32_t x)
{
	exec *e = &st->ex[x];
	if (st->dyn && e->busy == 0 && e->alive) {
		ev v;
		e->idle_gen = (e->idle_gen + 1) & 0x0fffffffu;
		v.t = st->now + st->o->idle_timeout_ms;
		v.a = ((uint32_t)EV_IDLE << 28) | e->idle_gen;
		v.s = x;
		v.i = 0;
		v.pad = 0;
		heap_push(&st->hp, v);
	}
}

static void arm_alloc(state *st)
{
	if (st->dyn && !st->alloc_armed && st->pending > 0 && st->free_count == 0) {
		ev v = {st->now + st->o->backlog_timeout_ms, (uint32_t)EV_ALLOC << 28, 0, 0, 0};
		heap_push(&st->hp, v);
		st->alloc_armed = 1;
	}
}

static void do_alloc(state *st)
{
	uint64_t target, have;
	uint32_t k, add, x;
	st->alloc_armed = 0;
	if (st->pending == 0 || st->free_count > 0) {
		st->ramp = 1;
		return;
	}
	target = (st->pending + st->running + st->cores - 1) / st->cores;
	have = st->alive + st->starting;
	if (target > st->n_ex_slots)
		target = st->n_ex_slots;
	add = target > have ? (uint32_t)(target - have) : 0;
	if (add > st->ramp)
		add = st->ramp;
	for (x = 0, k = 0; x < st->n_ex_slots && k < add; x++) {
		if (!st->ex[x].alive && !st->ex[x].starting) {
			ev v = {st->now + st->sim->cluster.executor_start_ms, (uint32_t)EV_EXEC_READY << 28, x, 0, 0};
			st->ex[x].starting = 1;
			st->starting++;
			heap_push(&st->hp, v);
			k++;
		}
	}
	st->ramp = st->ramp < (1u << 20) ? st->ramp * 2 : st->ramp;
	/* keep checking while the backlog lasts */
	{
		ev v = {st->now + st->o->backlog_timeout_ms, (uint32_t)EV_ALLOC << 28, 0, 0, 0};
		heap_push(&st->hp, v);
		st->alloc_armed = 1;
	}
}

static void exec_up(state *st, uint32_t x)
{
	uint32_t c;
	st->ex[x].alive = 1;
	st->ex[x].starting = 0;
	st->ex[x].busy = 0;
	st->ex[x].added_ms = st->now;
	st->alive++;
	for (c = x * st->cores; c < (x + 1) * st->cores; c++)
		push_free(st, c);
}

double gdfo__des_critical_path(gdfo__des_job *job)
{
	size_t k, j, n = job->n_stages;
	double cp = 0;

	for (k = 0; k < n; k++)
		job->stages[k].cp_ms = 0;
	for (k = 0; k < n; k++) {
		gdfo__des_stage *d = &job->stages[k];
		double base = job->job_arrival[d->job], end;
		if (job->startup_ms > base)
			base = job->startup_ms;
		if (d->cp_ms < base)
			d->cp_ms = base;
		end = d->cp_ms + d->setup_ms + d->max_chain_ms;
		if (end > cp)
			cp = end;
		for (j = 0; j < d->n_children; j++) {
			gdfo__des_stage *dc = &job->stages[job->children[d->child_off + j]];
			if (dc->cp_ms < end)
				dc->cp_ms = end;
		}
	}
	return cp;
}

int gdfo__des_run(gdfo_sim *sim, gdfo__des_job *job, const gdfo_sim_options *o, gdfo__rng *rng,
		  gdfo__des_out *out)
{
	state st;
	size_t n = job->n_stages, k;
	uint32_t slots, init, x, c;
	uint64_t ncores;
	int rc;

	memset(&st, 0, sizeof(st));
	memset(out, 0, sizeof(*out));
	st.sim = sim;
	st.job = job;
	st.o = o;
	st.rng = rng;
	st.cores = (uint32_t)job->cores;
	st.dyn = o->dynamic_allocation != 0;
	st.noisy = o->noise_sigma > 0 || o->straggler_prob > 0 || o->failure_prob > 0;
	st.failing = o->failure_prob > 0;
	st.failed_stage = -1;
	st.ramp = 1;
	init = (uint32_t)job->executors;
	slots = init;
	if (st.dyn) {
		uint32_t mx = o->max_executors > 0 ? (uint32_t)o->max_executors : init;
		uint32_t mn = o->min_executors > 0 ? (uint32_t)o->min_executors : 1;
		if (mx < mn)
			mx = mn;
		if (init > mx)
			init = mx;
		if (init < mn)
			init = mn;
		slots = mx;
	}
	ncores = (uint64_t)slots * st.cores;
	if (ncores >= (1u << 28))
		return gdfo__error(GDFO_ERANGE, "simulator: %llu cores is more than the engine's 2^28",
				   (unsigned long long)ncores);
	if ((rc = GDFO__SIM_RESERVE(sim, free_cores, free_cap, ncores)) || (rc = GDFO__SIM_RESERVE(sim, core_free, core_cap, ncores)) ||
	    (rc = gdfo__sim_reserve(&sim->execs, &sim->exec_cap, slots, sizeof(exec))) ||
	    (rc = GDFO__SIM_RESERVE(sim, runnable, runnable_cap, n)) || (rc = GDFO__SIM_RESERVE(sim, indeg, indeg_cap, n + job->n_jobs)) ||
	    (rc = gdfo__sim_reserve(&sim->heap, &sim->heap_cap, ncores + 2 * n + 2 * slots + 8, sizeof(ev))) ||
	    (rc = GDFO__SIM_RESERVE(sim, stack, stack_cap, n)))
		return rc;
	if (st.failing) {
		uint64_t i;
		if ((rc = GDFO__SIM_RESERVE(sim, acc, acc_cap, job->total_tasks)) ||
		    (rc = GDFO__SIM_RESERVE(sim, attempts, attempts_cap, job->total_tasks)) ||
		    (rc = GDFO__SIM_RESERVE(sim, retry_next, retry_next_cap, job->total_tasks)))
			return rc;
		for (i = 0; i < job->total_tasks; i++) {
			sim->acc[i] = 0;
			sim->attempts[i] = 0;
		}
	}
	st.free_stack = sim->free_cores;
	st.runnable = sim->runnable;
	st.hp.h = sim->heap;
	st.hp.cap = sim->heap_cap;
	st.hp.sim = sim;
	st.jobs_left = (uint32_t *)sim->indeg; /* reuse: n_jobs counters fit in size_t slots */
	st.stack = sim->stack;
	memset(sim->core_free, 0, ncores);
	st.ex = sim->execs;
	for (x = 0; x < slots; x++)
		memset(&st.ex[x], 0, sizeof(exec));
	st.n_ex_slots = slots;
	for (k = 0; k < job->n_jobs; k++) {
		st.jobs_left[k] = 0;
		job->job_end[k] = job->job_arrival[k];
	}
	{
		uint64_t base = 0;
		for (k = 0; k < n; k++) {
			job->stages[k].task_base = base;
			base += job->stages[k].n_tasks;
		}
	}
	for (k = 0; k < n; k++) {
		gdfo__des_stage *d = &job->stages[k];
		d->parents_left = d->n_parents;
		d->next_task = d->done = d->n_retry = d->runnable = d->launched = 0;
		d->retry_head = 0;
		d->ready_ms = d->start_ms = d->end_ms = -1;
		d->work_ms = d->max_chain_ms = d->cp_ms = 0;
		st.jobs_left[d->job]++;
	}
	st.stages_left = n;

	/* executors: the initial ones are usable at startup_ms */
	st.now = 0;
	if (job->startup_ms > 0) {
		for (x = 0; x < init; x++) {
			ev v = {job->startup_ms, (uint32_t)EV_EXEC_READY << 28, x, 0, 0};
			st.ex[x].starting = 1;
			st.starting++;
			heap_push(&st.hp, v);
		}
	} else {
		/* push in reverse so that core 0 is taken first */
		for (x = init; x-- > 0;) {
			st.ex[x].alive = 1;
			st.alive++;
			for (c = (x + 1) * st.cores; c-- > x * st.cores;)
				push_free(&st, c);
		}
	}
	/* roots: ready at their job's arrival */
	for (k = 0; k < n && !st.failed; k++) {
		gdfo__des_stage *d = &job->stages[k];
		if (d->n_parents == 0 && d->parents_left == 0 && d->ready_ms < 0) {
			double at = (job->job_arrival[d->job] > job->startup_ms ? job->job_arrival[d->job]
										 : job->startup_ms) + d->setup_ms;
			if (at > 0) {
				ev v = {at, (uint32_t)EV_STAGE_READY << 28, (uint32_t)k, 0, 0};
				heap_push(&st.hp, v);
			} else {
				stage_ready(&st, (uint32_t)k);
			}
		}
	}
	dispatch_free(&st);
	arm_alloc(&st);

	while (st.hp.n > 0 && !st.failed && !st.hp.oom) {
		ev e = st.hp.h[0];
		uint32_t kind = EV_KIND(e.a);
		st.now = e.t;
		if (kind == EV_TASK_END || kind == EV_TASK_FAIL) {
			uint32_t core = EV_LOW(e.a);
			gdfo__des_stage *d = &job->stages[e.s];
			st.running--;
			if (st.ex)
				st.ex[core / st.cores].busy--;
			if (kind == EV_TASK_FAIL) {
				uint64_t g = d->task_base + e.i;
				if (sim->attempts[g] >= (uint32_t)o->max_attempts) {
					fail_run(&st, e.s);
					break;
				}
				/* retry: back into the stage's queue */
				sim->retry_next[g] = d->retry_head;
				d->retry_head = e.i;
				d->n_retry++;
				st.pending++;
				if (!d->runnable)
					runnable_insert(&st, e.s);
			} else {
				if (st.failing) {
					double ch = sim->acc[d->task_base + e.i];
					if (ch > d->max_chain_ms)
						d->max_chain_ms = ch;
				}
				if (++d->done == d->n_tasks)
					stage_complete(&st, e.s);
			}
			if (st.failed)
				break;
			if (launch(&st, core, 1)) {
				if (st.free_count > 0 && st.n_runnable > 0)
					dispatch_free(&st);
				continue;
			}
			heap_pop(&st.hp);
			push_free(&st, core);
			if (st.ex)
				exec_idle_maybe(&st, core / st.cores);
			dispatch_free(&st);
			arm_alloc(&st);
			continue;
		}
		heap_pop(&st.hp);
		switch (kind) {
		case EV_STAGE_READY:
			stage_ready(&st, e.s);
			break;
		case EV_EXEC_READY:
			st.starting--;
			exec_up(&st, e.s);
			break;
		case EV_ALLOC:
			do_alloc(&st);
			break;
		case EV_IDLE: {
			exec *xe = &st.ex[e.s];
			uint32_t floor = st.o->min_executors > 0 ? (uint32_t)st.o->min_executors : 1;
			if (xe->alive && xe->busy == 0 && xe->idle_gen == EV_LOW(e.a) && st.alive > floor &&
			    (st.n_runnable == 0)) {
				xe->alive = 0;
				st.alive--;
				st.free_count -= st.cores;
				st.executor_ms += st.now - xe->added_ms;
			}
			break;
		}
		default:
			break;
		}
		/*
		 * Stages and executors that become ready at the same instant are
		 * all in before cores are handed out, so that priority and FIFO
		 * order, not the heap's order among equal times, decide.
		 */
		if ((kind == EV_STAGE_READY || kind == EV_EXEC_READY) && st.hp.n > 0 && st.hp.h[0].t == e.t &&
		    (EV_KIND(st.hp.h[0].a) == EV_STAGE_READY || EV_KIND(st.hp.h[0].a) == EV_EXEC_READY))
			continue;
		dispatch_free(&st);
		arm_alloc(&st);
		if (st.stages_left == 0)
			break;
	}
	if (st.hp.oom)
		return gdfo__error(GDFO_ENOMEM, "simulator: out of memory growing the event queue");
	if (!st.failed && st.stages_left > 0)
		return gdfo__error(GDFO_EINTERNAL, "simulator: %zu stages never ran (please report)",
				   st.stages_left);
	out->success = !st.failed;
	out->failed_stage = st.failed_stage;
	if (st.failed) {
		out->makespan_ms = st.now;
	} else {
		double end = 0;
		for (k = 0; k < n; k++)
			if (job->stages[k].end_ms > end)
				end = job->stages[k].end_ms;
		out->makespan_ms = end;
	}
	if (st.dyn) {
		for (x = 0; x < slots; x++)
			if (st.ex[x].alive)
				st.executor_ms += out->makespan_ms - st.ex[x].added_ms;
	} else {
		st.executor_ms = (double)init * out->makespan_ms;
	}
	out->critical_path_ms = gdfo__des_critical_path(job);
	out->executor_ms = st.executor_ms;
	out->work_ms = st.work_ms;
	out->task_events = st.task_events;
	return 0;
}
