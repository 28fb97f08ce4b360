/*
 * Diagnostics and the Spark advisor: from a Spark event log (or a job
 * profile, or telemetry) to ranked findings, a paste-ready Spark
 * configuration for the next run, and a what-if table over executor
 * counts. docs/advisor.md gives every threshold, the scaling model of the
 * what-if table and how the findings compare with Dr. Elephant's Spark
 * heuristics and the spark-rapids AutoTuner.
 *
 * One call (gdfo_diagnose_eventlog, _profile or _telemetry) does all the
 * work and returns a gdfo_diagnosis handle; the getters read from it.
 *
 *   - Findings: a kind, a severity (gdfo_severity; thresholds documented
 *     in docs/advisor.md), the stage it concerns (-1: the application),
 *     the measured value and the threshold it crossed, the evidence and
 *     the fix as one line of text each, and the predicted effect of the
 *     fix (latency gain and cost gain) from the calibrated replay model.
 *     Findings are ranked by predicted latency gain, then by severity.
 *   - Advice: one entry per Spark key the advisor considers, with the
 *     log's own value, the advised value, whether it changed and a
 *     comment; per-stage hints no global key expresses come as entries
 *     whose key is "hint".
 *   - What-if: estimated latency, cost and utilization at executor counts
 *     from whatif_min_pct to whatif_max_pct of the observed count, and the
 *     count the objective prefers.
 *
 * Predictions come from a replay of the measured task times (the job
 * profile of the log) on the discrete-event simulator, with the fixed
 * per-run overhead (driver, planning, gaps; the measured latency minus
 * the replay at the observed count) kept, the remote share of shuffle
 * reads scaled with the executor count and executor start-up priced.
 *
 * Ownership: strings returned by the getters are borrowed from the
 * handle until gdfo_diagnosis_free. JSON and conf text belong to the
 * caller (gdfo_free).
 *
 * Thread safety: the diagnose calls may run on several threads at once
 * (each makes its own handle); a finished gdfo_diagnosis is read-only and
 * may be read from several threads at once.
 */
#ifndef GDFO_DIAG_H
#define GDFO_DIAG_H

#include "common.h"
#include "objective.h"
#include "profile.h"
#include "sim.h"
#include "telemetry.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Finding kinds. Append-only; gdfo_finding_kind_name gives the JSON name. */
typedef enum gdfo_finding_kind {
	GDFO_FINDING_TASK_SKEW = 0,         /* max / median task time in a stage */
	GDFO_FINDING_DATA_SKEW = 1,         /* a task reads 3x the stage mean and over 100 MB */
	GDFO_FINDING_SPILL = 2,             /* memory and disk spill against the data processed */
	GDFO_FINDING_GC = 3,                /* JVM GC time against task run time */
	GDFO_FINDING_MEMORY_PRESSURE = 4,   /* peak memory against the executor's allocation */
	GDFO_FINDING_MEMORY_UNUSED = 5,     /* executors allocated far more memory than used */
	GDFO_FINDING_TASK_FAILURES = 6,     /* failed task attempts, by reason */
	GDFO_FINDING_STAGE_FAILURES = 7,    /* failed stage attempts and failed jobs */
	GDFO_FINDING_EXECUTOR_LOST = 8,     /* executors removed for a failure */
	GDFO_FINDING_STRAGGLERS = 9,        /* tasks far slower than their stage for no more data */
	GDFO_FINDING_IDLE_EXECUTORS = 10,   /* wasted core time (Sparklens) */
	GDFO_FINDING_TINY_TASKS = 11,       /* many tasks too short for their launch overhead */
	GDFO_FINDING_HUGE_TASKS = 12,       /* too few, too long or too large tasks */
	GDFO_FINDING_SMALL_FILES = 13,      /* output written as many small files */
	GDFO_FINDING_DRIVER_TIME = 14,      /* time with no stage running */
	GDFO_FINDING_BROADCAST = 15,        /* broadcast threshold too low or too high */
	GDFO_FINDING_EXECUTOR_IMBALANCE = 16, /* max / median over executors (Dr. Elephant) */
	GDFO_FINDING_CONFIGURATION = 17,    /* settings out of the usual ranges */
	GDFO_FINDING_ENGINE = 18,           /* RAPIDS or Photon: what the advice covers */
	GDFO_FINDING_LONG_TASKS = 19,       /* median task time in minutes (Dr. Elephant) */
	GDFO_FINDING_SHUFFLE_PARTITIONS = 20, /* spill in shuffle stages (AutoTuner's rule) */
	GDFO_FINDING_MAX_PARTITION_BYTES = 21 /* scan task input out of 128..256 MB (AutoTuner) */
} gdfo_finding_kind;
#define GDFO_FINDING_KIND_COUNT 22

/* Severities, as Dr. Elephant's five levels. */
typedef enum gdfo_severity {
	GDFO_SEVERITY_NONE = 0,
	GDFO_SEVERITY_LOW = 1,
	GDFO_SEVERITY_MODERATE = 2,
	GDFO_SEVERITY_SEVERE = 3,
	GDFO_SEVERITY_CRITICAL = 4
} gdfo_severity;

/* Engines the log ran on. */
typedef enum gdfo_engine {
	GDFO_ENGINE_SPARK = 0,
	GDFO_ENGINE_RAPIDS = 1, /* NVIDIA spark-rapids GPU plugin */
	GDFO_ENGINE_PHOTON = 2  /* Databricks Photon */
} gdfo_engine;

/* "task_skew", "low", "rapids"...; NULL out of range. Static strings. Thread-safe. */
GDFO_API const char *gdfo_finding_kind_name(int kind);
GDFO_API const char *gdfo_severity_name(int severity);
GDFO_API const char *gdfo_engine_name(int engine);

#define GDFO_DIAG_OPTIONS_VERSION (1 + GDFO__GROWTH)

typedef struct gdfo_diag_options {
	uint32_t version;                 /* GDFO_DIAG_OPTIONS_VERSION */
	int32_t whatif_min_pct;           /* smallest executor count, % of the observed, 1..10000 (10) */
	int32_t whatif_max_pct;           /* largest, >= whatif_min_pct, 1..10000 (500) */
	int32_t min_severity;             /* findings below this are dropped (GDFO_SEVERITY_LOW) */
	const gdfo_objective *objective;  /* what the advice and the recommended count optimize;
					     NULL = gdfo_objective_init's defaults; copied */
	const gdfo_sim_cluster *cluster;  /* prices, network and disk bandwidths, executor
					     start-up; NULL = gdfo_sim_cluster_init's; copied */
	GDFO__GROWTH_FIELD
} gdfo_diag_options;

/* Fills *opts with the defaults above. Errors: GDFO_EINVAL (NULL), GDFO_EVERSION. */
GDFO_API int gdfo_diag_options_init(gdfo_diag_options *opts, unsigned int version);

typedef struct gdfo_diagnosis gdfo_diagnosis;

/*
 * Diagnoses the Spark event log at path (plain, zstd or gzip): reads it
 * (gdfo_eventlog_read), collects per-task metrics (GC time, spill, peak
 * memory, failure reasons, executor removals, the SQL plans' operators),
 * finds, advises and builds the what-if table. opts may be NULL.
 * A log with no completed stage is not an error: the diagnosis then has
 * only application-level findings and no what-if table.
 * Errors: GDFO_EINVAL (NULL argument, bad option named), GDFO_EVERSION,
 * GDFO_EIO, GDFO_EFORMAT (those of gdfo_eventlog_read), GDFO_ENOMEM.
 * On failure *out is NULL.
 */
GDFO_API int gdfo_diagnose_eventlog(gdfo_diagnosis **out, const char *path,
				    const gdfo_diag_options *opts);

/*
 * Diagnoses a job profile: the findings its task times and byte counters
 * support (skew, stragglers, tiny or huge tasks, spill, idle executors)
 * and the what-if table (the profile records no run latency: the fixed
 * overhead is 100 ms per stage, docs/advisor.md). No advice but
 * the executor count. Errors: GDFO_EINVAL, GDFO_EVERSION, GDFO_ENOMEM,
 * those of gdfo_sim_run_profile. The profile is borrowed for the call.
 */
GDFO_API int gdfo_diagnose_profile(gdfo_diagnosis **out, const gdfo_profile *profile,
				   const gdfo_diag_options *opts);

/*
 * Diagnoses telemetry (gdfo-telemetry/1): the findings its stage records
 * support (skew from median and max task time, spill, failures, peak
 * memory). No what-if table and no advice. Errors: GDFO_EINVAL,
 * GDFO_EVERSION, GDFO_ENOMEM.
 */
GDFO_API int gdfo_diagnose_telemetry(gdfo_diagnosis **out, const gdfo_telemetry *telemetry,
				     const gdfo_diag_options *opts);

/* Frees the handle. NULL does nothing. */
GDFO_API void gdfo_diagnosis_free(gdfo_diagnosis *diagnosis);

#define GDFO_DIAG_SUMMARY_VERSION (1 + GDFO__GROWTH)

/* The run as measured and the advised configuration as predicted. -1: unknown. */
typedef struct gdfo_diag_summary {
	uint32_t version;               /* GDFO_DIAG_SUMMARY_VERSION */
	int32_t engine;                 /* gdfo_engine */
	int32_t executors;              /* observed (most alive at once) */
	int32_t cores_per_executor;
	int64_t executor_memory_bytes;  /* spark.executor.memory, -1 unknown */
	double measured_latency_ms;     /* the application's duration */
	double measured_cost;           /* the run's executors priced as the what-if prices them */
	double model_latency_ms;        /* the model at the observed configuration */
	double advised_latency_ms;      /* the model at the advised configuration */
	double advised_cost;
	int32_t advised_executors;
	int32_t findings;               /* number of findings */
	const char *app_name;           /* borrowed; "" unknown */
	const char *engine_note;        /* what the advice covers on this engine; borrowed */
	GDFO__GROWTH_FIELD
} gdfo_diag_summary;

/* Errors: GDFO_EINVAL, GDFO_EVERSION (set out->version first). */
GDFO_API int gdfo_diagnosis_summary(gdfo_diag_summary *out, const gdfo_diagnosis *diagnosis);

#define GDFO_FINDING_VERSION (1 + GDFO__GROWTH)

typedef struct gdfo_finding {
	uint32_t version;            /* GDFO_FINDING_VERSION */
	int32_t kind;                /* gdfo_finding_kind */
	int32_t severity;            /* gdfo_severity */
	int32_t reserved;
	int64_t stage_id;            /* Spark stage id, -1 for the application */
	double value;                /* the measured quantity the severity was judged on */
	double threshold;            /* the threshold of the LOW level for that quantity */
	double gain_ms;              /* predicted latency saved by the fix, >= 0 (0 unknown) */
	double gain_cost;            /* predicted cost saved, may be < 0 when the fix costs more */
	const char *evidence;        /* one line: stages, metrics, values; borrowed */
	const char *fix;             /* one line: the knob or configuration change; borrowed */
	const char *key;             /* the Spark key the fix sets, "" none; borrowed */
	GDFO__GROWTH_FIELD
} gdfo_finding;

/* Number of findings (0 for NULL). */
GDFO_API size_t gdfo_diagnosis_finding_count(const gdfo_diagnosis *diagnosis);
/* Ranked order. Errors: GDFO_EINVAL, GDFO_EVERSION, GDFO_ERANGE. */
GDFO_API int gdfo_diagnosis_finding_at(gdfo_finding *out, const gdfo_diagnosis *diagnosis,
				       size_t index);

#define GDFO_ADVICE_VERSION (1 + GDFO__GROWTH)

typedef struct gdfo_advice {
	uint32_t version;            /* GDFO_ADVICE_VERSION */
	int32_t changed;             /* 1: value differs from the log's; 0: kept */
	const char *key;             /* "spark.executor.instances", or "hint" */
	const char *value;           /* advised value (a hint: the hint text) */
	const char *log_value;       /* the log's value, "" when the log did not set it */
	const char *comment;         /* evidence and predicted effect; one line */
	int64_t stage_id;            /* hints: the stage, else -1 */
	GDFO__GROWTH_FIELD
} gdfo_advice;

GDFO_API size_t gdfo_diagnosis_advice_count(const gdfo_diagnosis *diagnosis);
/* Errors: GDFO_EINVAL, GDFO_EVERSION, GDFO_ERANGE. */
GDFO_API int gdfo_diagnosis_advice_at(gdfo_advice *out, const gdfo_diagnosis *diagnosis,
				      size_t index);

#define GDFO_WHATIF_POINT_VERSION (1 + GDFO__GROWTH)

typedef struct gdfo_whatif_point {
	uint32_t version;            /* GDFO_WHATIF_POINT_VERSION */
	int32_t executors;
	double latency_ms;
	double cost;
	double utilization;          /* task time / (executors x cores x latency), 0..1 */
	int32_t recommended;         /* 1 for the count the objective prefers */
	int32_t observed;            /* 1 for the observed count */
	GDFO__GROWTH_FIELD
} gdfo_whatif_point;

GDFO_API size_t gdfo_diagnosis_whatif_count(const gdfo_diagnosis *diagnosis);
/* Increasing executors. Errors: GDFO_EINVAL, GDFO_EVERSION, GDFO_ERANGE. */
GDFO_API int gdfo_diagnosis_whatif_at(gdfo_whatif_point *out, const gdfo_diagnosis *diagnosis,
				      size_t index);

/* Parts of gdfo_diagnosis_to_json. */
#define GDFO_DIAG_JSON_FINDINGS 0x1u
#define GDFO_DIAG_JSON_ADVICE 0x2u
#define GDFO_DIAG_JSON_WHATIF 0x4u

/*
 * The diagnosis as one JSON object with the parts asked for:
 * "format": "gdfo-diagnosis/1" and "summary" unless parts is exactly
 * GDFO_DIAG_JSON_WHATIF, which writes only
 * {"what_if": [{"executors", "latency_ms", "cost", "utilization"}...],
 *  "recommended": {"executors", "latency_ms", "cost"}}.
 * Caller frees with gdfo_free. Errors: GDFO_EINVAL (NULL, parts 0),
 * GDFO_ENOMEM.
 */
GDFO_API int gdfo_diagnosis_to_json(char **out, const gdfo_diagnosis *diagnosis, unsigned int parts);

/*
 * The advice as a paste-ready block of spark-submit arguments: "# "
 * comment lines first (the predicted latency and cost against the run's,
 * one line per key with the log's value, the evidence and the predicted
 * effect, keys left at Spark's default, the per-stage hints), then one
 * "--conf key=value" line per key the log set or the advice changes, each
 * but the last ending in " \" so that the lines continue one command.
 * Caller frees with gdfo_free. Errors: GDFO_EINVAL, GDFO_ENOMEM.
 */
GDFO_API int gdfo_diagnosis_conf(char **out, const gdfo_diagnosis *diagnosis);

#ifdef __cplusplus
}
#endif

#endif
