/*
 * The execution model and the discrete-event simulator: what a pipeline
 * (or a plan's rewritten graph, or a measured job profile) costs on a
 * cluster. docs/simulator.md explains the model, its constants and how
 * faithful it is to real Spark logs.
 *
 * Three entry points share one handle (gdfo_sim), which owns every
 * workspace the simulation needs, so that repeated calls on graphs of the
 * same size allocate nothing:
 *   - gdfo_sim_run_graph: a pipeline graph on a cluster. Each stage becomes
 *     a set of tasks whose durations the execution model derives from the
 *     stage's statistics and knobs; mode GDFO_SIM_DES schedules every task
 *     on executors x cores, GDFO_SIM_ANALYTIC is a stage-level fluid
 *     approximation (no per-task work, for training loops).
 *   - gdfo_sim_run_jobs: several graphs sharing one cluster, each arriving
 *     at its own time (always DES).
 *   - gdfo_sim_run_profile: replay of a gdfo-job-profile/1 (DESIGN.md
 *     section 7), exact or sampled.
 * Every call fills a gdfo_sim_result; per-stage results and a JSON
 * rendering of the last call are read back from the handle.
 *
 * Thread safety: a gdfo_sim is used by one thread at a time; separate
 * handles are independent. Inputs (graphs, profiles) are only read and
 * may be shared between threads. Results are deterministic for a seed.
 */
#ifndef GDFO_SIM_H
#define GDFO_SIM_H

#include "common.h"
#include "graph.h"
#include "plan.h"
#include "profile.h"
#include "telemetry.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The format tag of cluster files. */
#define GDFO_SIM_CLUSTER_FORMAT "gdfo-cluster/1"

#define GDFO_SIM_CLUSTER_VERSION (1 + GDFO__GROWTH)

/*
 * Cluster parameters of the execution model. Bandwidths are bytes per
 * second, times milliseconds. gdfo_sim_cluster_init sets the documented
 * defaults (docs/simulator.md, calibrated where the logs allow); a cluster
 * file overrides any subset. Every double is finite and >= 0 unless said.
 */
typedef struct gdfo_sim_cluster {
	uint32_t version;                   /* GDFO_SIM_CLUSTER_VERSION */
	int32_t executors;                  /* used when the graph's knob is 0; >= 1 (default 8) */
	int32_t cores_per_executor;         /* used when the graph's knob is 0; >= 1 (4) */
	int32_t shuffle_partitions;         /* wide stages' default partitions, >= 1 (200) */
	int64_t memory_per_executor_bytes;  /* used when the graph's knob is 0; >= 64 MiB (8 GiB) */
	double memory_fraction;             /* share of executor memory for execution and cache, (0,1] (0.6) */
	double storage_fraction;            /* share of that which caches may hold, [0,1] (0.5) */
	double scan_bytes_per_s;            /* per core: reading and decoding source data (150e6) */
	double process_bytes_per_s;         /* per core: moving bytes through an operator (400e6) */
	double network_bytes_per_s;         /* per executor NIC (1.25e9 = 10 Gbit/s) */
	double disk_bytes_per_s;            /* per executor local disk: shuffle files, spill (400e6) */
	double write_bytes_per_s;           /* per core: writing sink output to storage (80e6) */
	double materialize_bytes_per_s;     /* per core: writing or reading an unfused intermediate (500e6) */
	double cpu_ns_per_row;              /* per-row CPU when a stage's statistic is 0 (50) */
	double sort_ns_per_row_log2;        /* sorting: per row per log2(rows in the task) (8) */
	double hash_ns_per_row;             /* hash build / probe / aggregate per row (40) */
	double task_launch_ms;              /* per task: scheduling, deserialization (10) */
	double stage_overhead_ms;           /* per stage: DAG scheduler, task-set creation (50) */
	double executor_start_ms;           /* from request to usable executor (3000) */
	double file_open_ms;                /* per file read: open, footer, listing (15) */
	double file_commit_ms;              /* per file written: create, rename/commit (40) */
	double split_bytes;                 /* source split size per task when partitions is 0 (128 MiB) */
	double source_file_bytes;           /* size of the files sources read (128 MiB) */
	double broadcast_threshold_bytes;   /* AUTO joins broadcast a side at most this big (10 MiB) */
	double broadcast_max_bytes;         /* a larger broadcast fails the run (8 GiB) */
	double memory_expansion;            /* in-memory bytes per serialized byte of hash tables,
					       sort buffers and memory caches, >= 1 (2) */
	double spill_penalty;               /* disk passes per spilled byte (write + read) (2) */
	double price_per_executor_s;        /* per executor-second on top of its cores and memory (0;
					       the pre-0.2 model: this alone, the two below 0) */
	double storage_price_per_byte;      /* per byte sinks write and disk caches hold (2.3e-11) */
	double table_reads_per_run;         /* reads of each sink's table per run, for the
					       small-file read cost (1) */
	double price_per_core_s;            /* per core-second of an executor (8.7808e-6: GCP N2,
					       $0.031611 per vCPU-hour) */
	double price_per_gib_s;             /* per GiB-second of executor memory (1.17694e-6: GCP N2,
					       $0.004237 per GiB-hour) */
	GDFO__GROWTH_FIELD
} gdfo_sim_cluster;

/* Fills *c with the defaults above. Errors: GDFO_EINVAL (NULL), GDFO_EVERSION. */
GDFO_API int gdfo_sim_cluster_init(gdfo_sim_cluster *c, unsigned int version);

/*
 * Checks every field's range; the message names the field.
 * Errors: GDFO_EINVAL, GDFO_EVERSION.
 */
GDFO_API int gdfo_sim_cluster_validate(const gdfo_sim_cluster *c);

/*
 * Cluster JSON: {"format": "gdfo-cluster/1", "name": ..., <field>: value...}
 * with the field names of gdfo_sim_cluster (without version); fields not
 * given keep their defaults; unknown fields are refused (a misspelt
 * constant must not be silently ignored). from_json parses len bytes.
 * Errors: GDFO_EFORMAT (not JSON, wrong type or range, unknown field; the
 * message names the field), GDFO_EVERSION (another gdfo-cluster version),
 * GDFO_EINVAL (NULL), GDFO_ENOMEM; load adds GDFO_EIO and GDFO_ERANGE.
 * to_json writes every field; the caller frees the text with gdfo_free.
 */
GDFO_API int gdfo_sim_cluster_from_json(gdfo_sim_cluster *out, const char *json, size_t len);
GDFO_API int gdfo_sim_cluster_load(gdfo_sim_cluster *out, const char *path);
GDFO_API int gdfo_sim_cluster_to_json(char **out, const gdfo_sim_cluster *c);

/* Simulation modes. */
typedef enum gdfo_sim_mode {
	GDFO_SIM_DES = 0,      /* every task scheduled on a core (the reference) */
	GDFO_SIM_ANALYTIC = 1, /* stage-level fluid model; graphs only; deterministic */
	GDFO_SIM_EXPECTED = 2  /* the DES's expected makespan under the options' task noise and
				  stragglers, computed at the stage level: waves of tasks and the
				  expected tails of the last ones; graphs only; deterministic
				  (docs/simulator.md "Expected mode") */
} gdfo_sim_mode;

/* Replay modes for profiles. */
typedef enum gdfo_sim_replay {
	GDFO_REPLAY_EXACT = 0,   /* the recorded task list at a measured executor count */
	GDFO_REPLAY_SAMPLED = 1  /* quantile draws interpolated between the bracketing counts */
} gdfo_sim_replay;

#define GDFO_SIM_OPTIONS_VERSION (1 + GDFO__GROWTH)

/*
 * Options of one simulation call. Initialize with gdfo_sim_options_init;
 * the defaults are deterministic (no noise, no failures, one run).
 */
typedef struct gdfo_sim_options {
	uint32_t version;           /* GDFO_SIM_OPTIONS_VERSION */
	int32_t mode;               /* gdfo_sim_mode (GDFO_SIM_DES) */
	uint64_t seed;              /* random seed (1) */
	int32_t runs;               /* independent runs averaged, 1..100000 (1) */
	int32_t replay;             /* gdfo_sim_replay for profiles (GDFO_REPLAY_EXACT) */
	int32_t executors;          /* > 0 overrides the graph knob / profile count (0) */
	int32_t cores_per_executor; /* > 0 overrides the graph knob / profile count (0) */
	double noise_sigma;         /* sigma of mean-one lognormal task noise, 0..3 (0) */
	double straggler_prob;      /* chance a task attempt is a straggler, 0..1 (0) */
	double straggler_factor;    /* a straggler takes this many times longer, >= 1 (4) */
	double failure_prob;        /* chance a task attempt fails part-way, 0..1 (0) */
	int32_t max_attempts;       /* attempts per task before the run fails, 1..100 (4) */
	int32_t dynamic_allocation; /* 1: executors added on backlog, removed when idle (0) */
	int32_t min_executors;      /* dynamic allocation floor (0; at least one is kept) */
	int32_t max_executors;      /* dynamic allocation ceiling, 0 = the executor count */
	double backlog_timeout_ms;  /* pending tasks this long trigger a request (1000) */
	double idle_timeout_ms;     /* an executor idle this long is removed (60000) */
	int32_t run_index;          /* position in a sequence of runs, for compaction
				       cadence; -1 = amortize compaction over its period (-1) */
	int32_t batches;            /* graphs: > 0 simulates this many micro-batches (0) */
	double batch_interval_ms;   /* micro-batch trigger interval; 0 = the graph's slo_ms */
	double replay_stage_gap_ms; /* profiles: delay between a stage's parents finishing
				       and its first task (driver overhead) (0) */
	GDFO__GROWTH_FIELD
} gdfo_sim_options;

/* Fills *o with the defaults. Errors: GDFO_EINVAL (NULL), GDFO_EVERSION. */
GDFO_API int gdfo_sim_options_init(gdfo_sim_options *o, unsigned int version);

/*
 * What a call measured. Times are milliseconds from the start of the run
 * (executors are requested at 0); with runs > 1 the values are means over
 * the runs, and makespan_ms_p95 the 95th percentile. In expected mode
 * makespan_ms is the DES's mean and makespan_ms_p95 its normal
 * approximation, mean + 1.645 sd, the sd from the spread of each stage's
 * last wave along the chain of stages that released each other.
 */
#define GDFO_SIM_RESULT_VERSION (1 + GDFO__GROWTH)

typedef struct gdfo_sim_result {
	uint32_t version;           /* GDFO_SIM_RESULT_VERSION */
	int32_t success;            /* 1, or 0 when some run failed (see failed_stage_id) */
	int32_t runs;
	int64_t failed_stage_id;    /* stage whose failure ended a run, -1 if none */
	int32_t executors;          /* executors (initial count with dynamic allocation) */
	int32_t cores_per_executor;
	double makespan_ms;         /* end-to-end latency (mean over runs) */
	double makespan_ms_p95;
	double work_ms;             /* sum of task attempt durations */
	double critical_path_ms;    /* longest chain: start-up, setups, longest task per stage */
	double stage_ms_p95;        /* 95th percentile of the stages' durations */
	double records;             /* rows read by sources */
	double throughput;          /* records per second of makespan */
	double cost;                /* compute + storage */
	double compute_cost;        /* executor-seconds x (per executor + cores + GiB prices) */
	double storage_cost;        /* bytes written and held on disk x storage price,
				       plus the small-file read cost of sink tables */
	double executor_seconds;
	double spill_bytes;
	double shuffle_bytes;       /* bytes written to shuffle */
	double utilization;         /* work / (executor lifetime x cores), 0..1 */
	double task_events;         /* task attempts simulated, over all runs */
	/* Streaming (options.batches > 0); otherwise 0. */
	int32_t batches;
	int32_t reserved;
	double batch_interval_ms;
	double batch_latency_ms_mean; /* batch arrival to batch end */
	double batch_latency_ms_p95;
	double batch_latency_ms_max;
	double backlog_batches;     /* batches waiting when the last one arrived */
	/* Graph runs; 0 for jobs and profiles. makespan_ms = overhead_ms + execution_ms. */
	double execution_ms;        /* makespan without the fixed per-run overhead */
	double overhead_ms;         /* the fixed per-run overhead: the calibration's fitted
				       value, else the cluster's executor_start_ms */
	int32_t stages_calibrated;  /* stages whose task times came from a calibration record */
	int32_t reserved2;
	GDFO__GROWTH_FIELD
} gdfo_sim_result;

#define GDFO_SIM_STAGE_RESULT_VERSION (1 + GDFO__GROWTH)

/* Per-stage result (means over runs for times). */
typedef struct gdfo_sim_stage_result {
	uint32_t version;           /* GDFO_SIM_STAGE_RESULT_VERSION */
	int32_t job;                /* index of its graph in run_jobs, else 0 */
	int64_t id;                 /* the stage's id in its graph or profile */
	int32_t join_strategy;      /* the strategy the model used (joins), else 0 */
	double tasks;               /* task attempts started, excluding retries (incl. recomputation) */
	double start_ms;            /* first task start */
	double end_ms;              /* last task end */
	double duration_ms;         /* end_ms - ready time (parents done) */
	double work_ms;             /* sum of task attempt durations */
	double task_ms_max;         /* longest task */
	double rows_in, rows_out, bytes_in, bytes_out; /* as propagated by the model */
	double shuffle_read_bytes, shuffle_write_bytes, spill_bytes;
	double cache_bytes;         /* bytes its cache holds (0 if not cached or evicted) */
	double files_written;       /* sinks */
	double executions;          /* times its output is computed (recomputation of uncached
				       multi-consumer lineage; fractional for partly evicted caches) */
	GDFO__GROWTH_FIELD
} gdfo_sim_stage_result;

typedef struct gdfo_sim gdfo_sim;

/*
 * Creates a simulator for a cluster (NULL = gdfo_sim_cluster_init defaults;
 * the struct is copied). Errors: GDFO_EINVAL (out NULL or a bad cluster
 * field, named), GDFO_EVERSION, GDFO_ENOMEM.
 */
GDFO_API int gdfo_sim_create(gdfo_sim **out, const gdfo_sim_cluster *cluster);
GDFO_API void gdfo_sim_free(gdfo_sim *sim);

/* Copies the simulator's cluster into *out. Errors: GDFO_EINVAL. */
GDFO_API int gdfo_sim_get_cluster(gdfo_sim_cluster *out, const gdfo_sim *sim);

/*
 * Simulates one pipeline graph (validated first). opts NULL = defaults.
 * Graph knobs give executors, cores and memory (0: the cluster's), capped
 * by the graph cluster's executors_available when that is known. An
 * executor-second costs price_per_executor_s + cores x price_per_core_s +
 * GiB x price_per_gib_s: the graph cluster's prices when any is > 0, else
 * the simulator's. A broadcast hash table larger than an executor's
 * execution memory fails the run (Spark's OOM; failed_stage_id names it).
 * A run that fails (a broadcast over broadcast_max_bytes or executor
 * memory, a task out of attempts) is not an error: result->success is 0.
 * Errors: GDFO_EINVAL (NULL, bad option named), GDFO_ECYCLE, GDFO_EVERSION,
 * GDFO_ERANGE (more than 2^31 tasks), GDFO_ENOMEM. On error *out is zeroed.
 */
GDFO_API int gdfo_sim_run_graph(gdfo_sim_result *out, gdfo_sim *sim, const gdfo_graph *graph,
				const gdfo_sim_options *opts);

/*
 * Several graphs on one shared cluster (DES; Decima's setting): graph i
 * arrives at arrival_ms[i] (>= 0; NULL = all at 0). The shared cluster
 * does not depend on the order of the graphs: executors, cores and memory
 * per executor are opts->executors / cores_per_executor when set, else the
 * largest of the graphs' (each its knob, else the cluster's), priced at the
 * highest of their prices. The calibration is not applied.
 * Stages of all jobs compete by priority, then by arrival, then by order.
 * Per-job completion: gdfo_sim_job_result. Errors: as run_graph, naming
 * the job.
 */
GDFO_API int gdfo_sim_run_jobs(gdfo_sim_result *out, gdfo_sim *sim,
			       const gdfo_graph *const *graphs, const double *arrival_ms,
			       size_t n_graphs, const gdfo_sim_options *opts);

/*
 * Replays a job profile (DESIGN.md section 7) on opts->executors (0 = the
 * profile's own count) x opts->cores_per_executor (0 = the profile's).
 * Exact: each stage's tasks are the list recorded at that executor count
 * (task_ms at the profile's count, else the by-executors entry), each
 * taking exactly its recorded time, launched in list order. Sampled: each
 * stage runs num_tasks tasks (else the measured list's length); a task's
 * duration is the u-quantile (u uniform) of the measurement at the nearest
 * measured count, interpolated linearly between the quantiles at the two
 * counts that bracket the requested one. Tasks take one core each.
 * Errors: GDFO_EINVAL, GDFO_ENOTFOUND (exact replay at a count that was
 * not measured for some stage; names it and the measured counts),
 * GDFO_ERANGE, GDFO_ENOMEM.
 */
GDFO_API int gdfo_sim_run_profile(gdfo_sim_result *out, gdfo_sim *sim,
				  const gdfo_profile *profile, const gdfo_sim_options *opts);

/*
 * Results of the last successful run call: per stage (graph insertion
 * order, jobs concatenated; profile order) and per job (arrival and end,
 * ms). Errors: GDFO_EINVAL, GDFO_ERANGE.
 */
GDFO_API size_t gdfo_sim_stage_count(const gdfo_sim *sim);
GDFO_API int gdfo_sim_stage_at(gdfo_sim_stage_result *out, const gdfo_sim *sim, size_t index);
GDFO_API size_t gdfo_sim_job_count(const gdfo_sim *sim);
GDFO_API int gdfo_sim_job_result(double *arrival_ms, double *end_ms, const gdfo_sim *sim,
				 size_t index);

/*
 * The last call's result as one JSON object: the gdfo_sim_result fields,
 * "stages" (per-stage results) and, for run_jobs, "jobs". Caller frees
 * with gdfo_free. Errors: GDFO_EINVAL (NULL, or no call made yet), GDFO_ERANGE
 * (a result is not a finite number; the message names it), GDFO_ENOMEM.
 */
GDFO_API int gdfo_sim_result_to_json(char **out, const gdfo_sim *sim);

/*
 * Calibration: telemetry of a run of the same pipeline (a previous run, or
 * what gdfo_eventlog_telemetry / `gdfo ingest --telemetry` made of a Spark
 * event log) fits the model to what was measured (docs/simulator.md,
 * "Calibration"):
 *   - per stage id, the task times: the model's bulk task and its largest
 *     task are replaced by the measured ones (the bulk task is the mean of
 *     a lognormal fitted to the measured median and maximum, capped so the
 *     stage alone on the pipeline's cores takes no longer than measured).
 *     They are kept as a rate factor on the stage's variable work (what a
 *     task does beyond launch and file costs) and a skew, so a plan that
 *     changes partitions, volumes or operators of that stage still scales
 *     them; stages with no record get the work-weighted rate of the others;
 *   - one fixed per-run overhead (driver time, executor start-up, planning,
 *     gaps between jobs and stages): the measured run latency minus the
 *     calibrated model's execution of the pipeline (never below 0). It
 *     replaces executor_start_ms and stage_overhead_ms: a calibrated run is
 *     scheduled from executors up at 0, stages in the pipeline's order
 *     (Spark's FIFO by stage id), and the overhead is added to its latency
 *     and executor time (micro-batches: before the first batch).
 * Afterwards every gdfo_sim_run_graph and gdfo_sim_predict_plan on the
 * handle uses the calibrated model; run_jobs and run_profile do not. The
 * handle's last result is then the calibrated run of graph.
 */
#define GDFO_SIM_CALIBRATION_VERSION (1 + GDFO__GROWTH)

typedef struct gdfo_sim_calibration {
	uint32_t version;            /* GDFO_SIM_CALIBRATION_VERSION */
	int32_t active;              /* 1 after gdfo_sim_calibrate, 0: the uncalibrated model */
	int32_t stages;              /* stages of the calibrating pipeline */
	int32_t stages_calibrated;   /* of those, stages whose task times were fitted */
	int32_t records_unmatched;   /* telemetry stage records naming no stage of the pipeline */
	int32_t overhead_fitted;     /* 1: overhead_ms fitted to the run's latency; 0: no
					latency was measured, the cluster's executor_start_ms */
	double overhead_ms;          /* fixed per-run overhead */
	double measured_latency_ms;  /* the telemetry's run latency, -1 unknown */
	double execution_ms;         /* the calibrated model's execution of the pipeline */
	double uncalibrated_execution_ms; /* the same before calibration */
	double rate;                 /* rate factor of stages without a record (1 if none fitted) */
	GDFO__GROWTH_FIELD
} gdfo_sim_calibration;

/*
 * Calibrates sim to telemetry of graph's pipeline (replacing an earlier
 * calibration) and, when out is not NULL, fills the fields of out->version
 * (set it first) with the summary. Telemetry stage records are matched to
 * graph stages by id; records of other ids are counted and ignored (a
 * caller that must refuse foreign telemetry checks that first). A record
 * needs its duration or its task median and maximum. opts (NULL =
 * defaults) are those of the run the overhead is fitted against; the fit
 * itself is deterministic. telemetry NULL clears the calibration.
 * Errors: GDFO_EINVAL (NULL sim or graph, a bad option), GDFO_ENOTFOUND (no
 * record matches a stage of the graph and the run latency is unknown:
 * nothing to calibrate; the handle stays uncalibrated), GDFO_EVERSION,
 * GDFO_ECYCLE, GDFO_ENOMEM. On error the handle is left uncalibrated.
 * The telemetry and graph are borrowed for the call. Not thread-safe on one sim.
 */
GDFO_API int gdfo_sim_calibrate(gdfo_sim_calibration *out, gdfo_sim *sim, const gdfo_graph *graph,
				const gdfo_telemetry *telemetry, const gdfo_sim_options *opts);

/* The handle's calibration summary (active 0 when uncalibrated). Errors: GDFO_EINVAL, GDFO_EVERSION. */
GDFO_API int gdfo_sim_get_calibration(gdfo_sim_calibration *out, const gdfo_sim *sim);

/*
 * The calibration as JSON: the summary fields and "stages": per calibrated
 * stage its id, rate factor (or added work), skew, and fitted and model task
 * work (ms). Caller frees with gdfo_free. Errors: GDFO_EINVAL, GDFO_ENOMEM.
 */
GDFO_API int gdfo_sim_calibration_to_json(char **out, const gdfo_sim *sim);

/*
 * Predicts a plan's outcome: simulates the plan's graph and input (the
 * pipeline the plan was made from) on sim's cluster with opts (NULL =
 * defaults) and stores latency, throughput and cost of the plan and the
 * baseline latency and cost of the input in the plan (gdfo_plan_prediction),
 * with their execution parts (latency without the fixed per-run overhead)
 * and what was calibrated: on a calibrated handle (gdfo_sim_calibrate) the
 * prediction is the calibrated model's and says so.
 * A run the model expects to fail (an oversized broadcast, a task out of
 * attempts) leaves the corresponding values unknown (-1). A plan predicted
 * slower than its input, or failing where the input runs, is made high
 * risk (needs human approval) with a note saying so (docs/rules.md, "Risk
 * policy").
 * Errors: GDFO_EINVAL (NULL argument, bad option), plus those of
 * gdfo_sim_run_graph. Not thread-safe on one sim; the plan is mutated.
 */
GDFO_API int gdfo_sim_predict_plan(gdfo_sim *sim, gdfo_plan *plan, const gdfo_graph *input,
				   const gdfo_sim_options *opts);

/*
 * The last gdfo_sim_run_graph of graph as telemetry a host would report
 * after the run (the pipeline's fingerprint, every stage by id and name,
 * the run's latency, records, throughput, cost and success; with runs > 1
 * the means): a simulated run stands in for a real one (the benchmark's
 * drift scenarios, the closed loop's tests). task_ms_median holds the
 * mean task time (the simulator keeps no median); cpu_ms the stage's task
 * time; peak memory and failures are unknown. The caller frees *out with
 * gdfo_telemetry_free.
 * Errors: GDFO_EINVAL (NULL; the last call was not run_graph of this
 * graph), GDFO_ENOMEM. On failure *out is NULL.
 */
GDFO_API int gdfo_sim_telemetry(gdfo_telemetry **out, const gdfo_sim *sim, const gdfo_graph *graph);

#ifdef __cplusplus
}
#endif

#endif
