/*
 * Internals of the simulator: the random source, the task-level job the
 * discrete-event engine runs, the stage-level model of a pipeline graph
 * and the workspace handle that owns all of it.
 */
#ifndef GDFO_SIM_INTERNAL_H
#define GDFO_SIM_INTERNAL_H

#include <math.h>

#include "core/internal.h"
#include "gdfo/generate.h"
#include "gdfo/sim.h"

/* ---- random numbers: xoshiro256** seeded by splitmix64 ------------------- */

typedef struct gdfo__rng {
	uint64_t s[4];
} gdfo__rng;

void gdfo__rng_seed(gdfo__rng *r, uint64_t seed);
uint64_t gdfo__rng_next(gdfo__rng *r);

/* Uniform in [0, 1). */
static inline double gdfo__rng_uniform(gdfo__rng *r)
{
	return (double)(gdfo__rng_next(r) >> 11) * 0x1.0p-53;
}

/* Standard normal (Box-Muller; one value per call, deterministic). */
double gdfo__rng_normal(gdfo__rng *r);

/* ---- the task-level job of the discrete-event engine ---------------------- */

/*
 * A stage as the DES sees it. Task i's base duration is dur[i] when dur is
 * set (profiles); otherwise it is computed: t_big for i == big_index when
 * has_big, t_comp for the last n_comp tasks, t_norm for the rest.
 */
typedef struct gdfo__des_stage {
	uint32_t n_tasks;
	uint32_t n_parents;
	uint32_t child_off, n_children; /* into gdfo__des_job.children */
	uint32_t job;
	uint32_t order;                  /* FIFO key within priority and job */
	int32_t priority;                /* higher first */
	int32_t fails;                   /* the run fails when this stage becomes ready */
	uint32_t big_index, has_big, n_comp;
	const double *dur;
	double t_norm, t_big, t_comp;
	double setup_ms;                 /* delay from parents done to runnable */
	/* run state */
	uint32_t parents_left, next_task, done, retry_head, n_retry, runnable;
	uint32_t launched;
	uint64_t task_base;               /* offset of its tasks in per-task arrays */
	double f_mean;                    /* fluid model: mean bulk task */
	double wave_a, last_m, norm_end_ms, var_ms2, grid[3]; /* expected mode (wave.c) */
	double ready_ms, start_ms, end_ms, work_ms, max_chain_ms, cp_ms;
} gdfo__des_stage;

typedef struct gdfo__des_job {
	gdfo__des_stage *stages;
	size_t n_stages;
	uint32_t *children;       /* stage indices */
	double *job_arrival;      /* per job */
	double *job_end;          /* per job, filled by the run */
	uint32_t n_jobs;
	uint64_t total_tasks;
	int32_t executors, cores;
	double startup_ms;        /* initial executors usable at this time */
} gdfo__des_job;

/* What one DES run measured. */
typedef struct gdfo__des_out {
	int success;
	int64_t failed_stage;     /* stage index or -1 */
	double makespan_ms, work_ms, critical_path_ms, executor_ms, task_events;
	double makespan_var;      /* expected mode: the makespan's variance along its critical chain */
} gdfo__des_out;

/* ---- the stage-level model of a graph -------------------------------------- */

typedef struct gdfo__mstage {
	double rows_in, bytes_in, rows_out, bytes_out, w_out;
	double tasks;             /* partitions (integer) */
	double skew;
	int32_t op, strategy, wide, bcast_small; /* bcast_small: output is broadcast by a child */
	int32_t shuffle_out, local_out;          /* some child reads it via shuffle / materialized */
	int32_t fails;
	double demand, executions, cache_frac;
	double shuffle_read, shuffle_write, spill, cache_bytes, files, comp_bytes, comp_tasks;
	double t_norm, t_big, t_comp, setup_ms;
	double extra_tasks;
	double storage_bytes, read_overhead_core_s;
	double fixed_ms;          /* per-task fixed part of t_norm / t_big (launch, files) */
	int32_t calibrated;       /* its task times come from a calibration record */
} gdfo__mstage;

/* ---- calibration from telemetry (calibrate.c) ------------------------------ */

/*
 * What telemetry fixed for one stage id. Its variable task work (task time
 * beyond the per-task fixed costs) is rate x the model's + add_ms (add_ms
 * only where the model saw no volume to scale); its largest task carries
 * skew x the mean variable work.
 */
typedef struct gdfo__cal_stage {
	int64_t id;
	double rate, add_ms, skew;
	double measured_ms, model_ms; /* the stage's fitted and uncalibrated task work at calibration */
} gdfo__cal_stage;

typedef struct gdfo__cal {
	gdfo__cal_stage *st; size_t n, cap; /* sorted by id */
	double rate;              /* stages without a record: the work-weighted rate of those with one */
	double overhead_ms;       /* fixed per-run overhead; replaces executor_start_ms */
	int active;
	gdfo_sim_calibration info;
} gdfo__cal;

/* Uncalibrated, keeping the record array; free releases it. */
void gdfo__cal_reset(gdfo__cal *cal);
void gdfo__cal_free(gdfo__cal *cal);
/* The calibration as a JSON object (no newline). */
struct gdfo__jsonw;
void gdfo__cal_json(struct gdfo__jsonw *w, const gdfo__cal *cal);
/* The record of stage id, or NULL. */
const gdfo__cal_stage *gdfo__cal_find(const gdfo__cal *cal, int64_t id);

/* ---- the handle ---------------------------------------------------------- */

struct gdfo_sim {
	gdfo_sim_cluster cluster;
	/* workspaces, grown on demand and reused */
	gdfo__mstage *ms; size_t ms_cap;
	size_t *topo; size_t topo_cap;
	size_t *pos; size_t pos_cap;            /* graph index -> DES index */
	size_t *indeg; size_t indeg_cap;
	gdfo__des_stage *ds; size_t ds_cap;
	uint32_t *children; size_t children_cap;
	double *job_arrival, *job_end; size_t job_cap, job_end_cap;
	double *dur; size_t dur_cap;            /* sampled replay durations */
	double *sorted; size_t sorted_cap;      /* sorted measurements for quantiles */
	double *acc; size_t acc_cap;            /* per-task attempt chains */
	uint8_t *attempts; size_t attempts_cap;
	uint32_t *retry_next; size_t retry_next_cap;
	void *heap; size_t heap_cap;
	uint32_t *free_cores; size_t free_cap;
	uint32_t *core_exec; uint8_t *core_free; size_t core_cap;
	void *execs; size_t exec_cap;
	uint32_t *runnable; size_t runnable_cap;
	uint32_t *stack; size_t stack_cap;
	double *run_ms; size_t run_ms_cap;      /* per-run makespans */
	double *tmp; size_t tmp_cap;
	struct gdfo__wave_ev *wheap; size_t wheap_cap; /* expected mode's events (wave.c) */
	/* results of the last call */
	int have_result;
	gdfo_sim_result result;
	gdfo_sim_stage_result *sr; size_t n_sr, sr_cap;
	size_t n_jobs_res;
	double *res_arrival, *res_end; size_t res_job_cap, res_end_cap;
	int kind; /* 0 graph, 1 jobs, 2 profile */
	gdfo__cal cal;            /* calibration of graph runs (gdfo_sim_calibrate) */
	double last_overhead_ms;  /* the fixed overhead inside the last graph run's makespan */
	int last_calibrated;      /* stages of the last graph run that had a calibration record */
};

/* Grows a workspace array to hold n elements; never shrinks. */
int gdfo__sim_reserve(void **p, size_t *cap, size_t n, size_t elem);
/* GDFO__SIM_RESERVE(sim, field, capf, n): gdfo__sim_reserve of one workspace field of the handle. */
#define GDFO__SIM_RESERVE(sim, field, capf, n) \
	gdfo__sim_reserve((void **)&(sim)->field, &(sim)->capf, (n), sizeof(*(sim)->field))

/* ---- what graph, multi-job and profile runs share (sim.c) -------------------- */

/* GDFO_EINVAL "simulation options: <field> <why>". */
int gdfo__sim_bad_option(const char *field, const char *why);
/* Checks every option's range. Errors: GDFO_EVERSION, GDFO_EINVAL. */
int gdfo__sim_check_options(const gdfo_sim_options *o);

/* gdfo_sim_run_profile on full (latest-version) structs; opts already checked. */
int gdfo__sim_run_profile(gdfo_sim *sim, gdfo_sim_result *out, const gdfo_profile *p,
			  const gdfo_sim_options *opts);
/* Sizes every per-stage workspace for n stages and n_edges edges in n_jobs jobs. */
int gdfo__sim_reserve_stages(gdfo_sim *sim, size_t n, size_t n_edges, size_t n_jobs);
/* qsort comparator of doubles, ascending. */
int gdfo__sim_cmp_double(const void *a, const void *b);
/* The q-quantile of sorted v[0..n), linear interpolation (0 when n is 0). */
double gdfo__sim_quantile_sorted(const double *v, size_t n, double q);
/* The RNG seed of run r (splitmix64 of seed and r). */
uint64_t gdfo__sim_run_seed(uint64_t seed, uint64_t r);
/*
 * A DES job over the handle's workspaces (ds, children, job_arrival,
 * job_end): n stages in n_jobs jobs on E executors of C cores, the
 * initial executors usable at startup_ms; total_tasks summed.
 */
void gdfo__sim_job_init(gdfo__des_job *job, gdfo_sim *sim, size_t n, uint32_t n_jobs, int32_t E, int32_t C,
			double startup_ms);
/* Zeroes the per-stage result sums of n stages. */
void gdfo__sim_acc_reset(gdfo_sim *sim, size_t n);
/* Adds simulated run r to the sums in out and to the executor time. */
void gdfo__sim_run_add(gdfo_sim *sim, const gdfo__des_job *job, const gdfo__des_out *d, int r,
		       gdfo_sim_result *out, double *exec_ms);
/* Turns the sums of gdfo__sim_run_add over runs into means, with the makespan's p95. */
void gdfo__sim_runs_mean(gdfo_sim *sim, size_t n, int runs, gdfo_sim_result *out, double *exec_ms);
/* The p95 of the n stages' mean durations into res->stage_ms_p95. */
void gdfo__sim_stage_p95(gdfo_sim *sim, size_t n, gdfo_sim_result *res);
/* Executor seconds, costs, throughput and utilization from the means. */
void gdfo__sim_finish_totals(gdfo_sim *sim, gdfo_sim_result *res, double price, double storage_bytes,
			     double read_core_s, double exec_ms_total, int32_t C);
/* Marks the handle's result valid: kind 0 graph, 1 jobs, 2 profile. */
void gdfo__sim_set_result(gdfo_sim *sim, int kind, size_t n_stages, size_t n_jobs);

/*
 * Runs the DES on job (stages' run state is reset first). Noise, stragglers,
 * failures and dynamic allocation come from opts. Needs the handle's
 * workspaces. Errors: GDFO_ENOMEM.
 */
int gdfo__des_run(gdfo_sim *sim, gdfo__des_job *job, const gdfo_sim_options *opts,
		  gdfo__rng *rng, gdfo__des_out *out);

/*
 * Builds the stage model of graph g into ms[0..n) (indexed like the
 * graph) and its DES stages into ds[off..off+n) in the topological order
 * topo[0..n), with children indices (offset by off) appended to
 * children[*n_children..]. All arrays are sized by the caller.
 * executors, cores and memory are the resolved resources.
 */
void gdfo__model_build(const gdfo_sim_cluster *cl, const gdfo_graph *g, gdfo__mstage *ms,
		       const size_t *topo, size_t *pos, gdfo__des_stage *ds, uint32_t off,
		       uint32_t *children, size_t *n_children, uint32_t job, int32_t executors,
		       int32_t cores, double memory, const gdfo_sim_options *opts, const gdfo__cal *cal);

/* Kahn's order of g into topo (FIFO by insertion index); needs n scratch in indeg. */
int gdfo__model_topo(const gdfo_graph *g, size_t *topo, size_t *indeg);

/*
 * The critical path of a job whose stages are in topological order: the
 * latest end of a chain of setups and longest tasks from each job's
 * arrival (or the executors' startup). Uses the stages' cp_ms.
 */
double gdfo__des_critical_path(gdfo__des_job *job);

/* 1 when stage a runs before stage b: higher priority, earlier job, lower order (the DES's order). */
static inline int gdfo__stage_before(const gdfo__des_job *job, const gdfo__des_stage *a, const gdfo__des_stage *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority;
	if (job->job_arrival[a->job] != job->job_arrival[b->job])
		return job->job_arrival[a->job] < job->job_arrival[b->job];
	return a->order < b->order;
}

/* Puts stage k into ready (*nr stages, kept best first by gdfo__stage_before). */
static inline void gdfo__ready_insert(const gdfo__des_job *job, uint32_t *ready, size_t *nr, uint32_t k)
{
	size_t i = *nr;
	while (i > 0 && gdfo__stage_before(job, &job->stages[k], &job->stages[ready[i - 1]])) {
		ready[i] = ready[i - 1];
		i--;
	}
	ready[i] = k;
	++*nr;
}

/*
 * The stage-level fluid schedule of a DES job built from a model
 * (analytic mode): stage start/end and the run's totals, no per-task work.
 * Needs sim->runnable and sim->stack (n) as scratch.
 */
void gdfo__fluid_run(gdfo_sim *sim, gdfo__des_job *job, gdfo__des_out *out);

/*
 * Expected mode (lib/sim/wave.c): the DES's schedule with every task at
 * its mean time, tasks launched in groups (all the tasks a stage starts at
 * one instant end together), and each stage's end delayed by the expected
 * tail of o's task noise and stragglers over its last wave.
 */
int gdfo__wave_run(gdfo_sim *sim, gdfo__des_job *job, const gdfo_sim_options *o, gdfo__des_out *out);

#endif
