/*
 * Diagnostics internals: the facts a diagnosis is judged on (diag_facts.c
 * reads them from an event log, a profile or telemetry), the replay model
 * (diag_model.c), the findings (diag_find.c), the advice (diag_advise.c)
 * and the outputs (diag_out.c). docs/advisor.md.
 */
#ifndef GDFO_DIAG_INTERNAL_H
#define GDFO_DIAG_INTERNAL_H

#include "core/internal.h"
#include "gdfo/diag.h"
#include "gdfo/ingest.h"

/* Task end reasons counted per stage. */
enum {
	GDFO__FAIL_OOM = 0,       /* java.lang.OutOfMemoryError in an ExceptionFailure */
	GDFO__FAIL_FETCH = 1,     /* FetchFailed */
	GDFO__FAIL_LOST = 2,      /* ExecutorLostFailure (not for memory) */
	GDFO__FAIL_OVERHEAD = 3,  /* container killed for exceeding memory limits */
	GDFO__FAIL_KILLED = 4,    /* TaskKilled (speculation, stage cancelled) */
	GDFO__FAIL_OTHER = 5,
	GDFO__FAIL_COUNT = 6
};

typedef struct gdfo__dstage {
	int64_t id;
	char name[96];
	double *task_ms;          /* successful attempts, Finish - Launch */
	double *task_bytes;       /* their input + shuffle read bytes */
	double *task_gc_ms;       /* their JVM GC time */
	double *task_run_ms;      /* their executor run time */
	size_t n, cap;
	int64_t tasks_failed;
	int64_t fail[GDFO__FAIL_COUNT];
	int64_t attempts_failed;  /* StageCompleted with a Failure Reason */
	int64_t completed;
	double failed_ms;         /* time of failed attempts */
	double run_ms, cpu_ms, gc_ms;
	double input_bytes, shuffle_read, shuffle_write, output_bytes, output_records;
	double mem_spill, disk_spill, peak_exec_max, remote_read, fetch_wait_ms;
	int64_t out_tasks;        /* successful tasks that wrote output */
	int64_t first_launch, last_finish;
	int has_gc, has_peak;
} gdfo__dstage;

typedef struct gdfo__dexec {
	char id[64];
	double task_ms, input, shuffle_read, shuffle_write, peak_heap;
	int64_t tasks;
} gdfo__dexec;

/* What a diagnosis is judged on. Unknown numbers are -1. */
typedef struct gdfo__facts {
	int source;               /* 0 log, 1 profile, 2 telemetry */
	char *app_name;
	int engine;
	char engine_evidence[160];
	double app_ms;            /* application duration, -1 unknown */
	double stage_span_ms;     /* union of stage run intervals */
	int32_t executors, cores;
	int64_t exec_mem, exec_overhead, driver_mem; /* bytes, -1 unset */
	double max_heap_peak;     /* largest JVM heap peak of an executor, -1 unknown */
	gdfo__dstage *st;
	size_t n_st, cap_st;
	gdfo__dexec *ex;
	size_t n_ex, cap_ex;
	int64_t exec_removed_failed, exec_removed_oom, exec_removed;
	int64_t jobs, jobs_failed;
	int64_t smj, bhj, shj, bcast_exchanges; /* operators in the SQL plans */
	double exec_time_ms;      /* sum over executors of their lifetime, -1 unknown */
	const gdfo_eventlog *log; /* for the configuration; NULL otherwise */
	int aqe_default;          /* 1 when the log's Spark (3.2 and later) has AQE on unless set off */
} gdfo__facts;

void gdfo__facts_free(gdfo__facts *f);
/* Reads path a second time for the per-task metrics ingestion does not keep. */
int gdfo__facts_from_log(gdfo__facts *f, const char *path, const gdfo_eventlog *log);
int gdfo__facts_from_profile(gdfo__facts *f, const gdfo_profile *p);
int gdfo__facts_from_telemetry(gdfo__facts *f, const gdfo_telemetry *t);
/* A Spark configuration value of the log, NULL when not set. */
const char *gdfo__facts_conf(const gdfo__facts *f, const char *key);
/* Spark size strings ("4g", "512m", "1024") to bytes; default_unit for bare numbers. -1 bad. */
int64_t gdfo__spark_bytes(const char *s, int64_t default_unit);

/* ---- the replay model (diag_model.c) ---------------------------------------- */

/* A per-stage change to replay: task time scaled, split, or shortened. */
typedef struct gdfo__tweak {
	double scale;             /* every task x scale (1) */
	double minus_ms;          /* every task - minus_ms, never below 10 % of itself (0) */
	double split_over;        /* > 0: a task longer than this x median becomes ceil(t / median) tasks */
	int64_t tasks;            /* > 0: repartition into this many tasks, work kept */
} gdfo__tweak;

typedef struct gdfo__model {
	const gdfo_profile *prof; /* the measured profile (borrowed) */
	gdfo_sim *sim;
	gdfo_sim_cluster cluster;
	int32_t E0, C;
	double fixed_ms;          /* latency outside the replayed stages */
	double base_exec_ms;      /* replay at E0 */
	double gib_per_exec;      /* memory priced per executor */
	double *net_ms;           /* per profile stage: network time of a task at all-remote reads */
	int no_net;               /* 1: leave the network share out (the what-if's monotone envelope) */
	/* how task counts follow the executor count (docs/advisor.md, step 2 of the model) */
	int aqe;                  /* coalescing of shuffle partitions: 1 on, 0 off, -1 unknown */
	int32_t shuffle_partitions; /* spark.sql.shuffle.partitions, 0 unknown */
	double max_partition_bytes; /* spark.sql.files.maxPartitionBytes */
	int *scale;               /* per stage: 0 fixed count, 1 file scan split, 2 coalesced shuffle */
	double *bytes;            /* per stage: the bytes its split or coalescing divides */
	int64_t *n0;              /* per stage: the measured task count */
	size_t n;
} gdfo__model;

/*
 * aqe, shuffle_partitions and max_partition_bytes as in the struct (-1, 0
 * and 0 when unknown: inferred from the measured counts, 128 MiB).
 */
int gdfo__model_init(gdfo__model *m, const gdfo_profile *p, const gdfo_sim_cluster *cluster,
		     double measured_ms, int64_t exec_mem, int aqe, int32_t shuffle_partitions,
		     double max_partition_bytes);
void gdfo__model_free(gdfo__model *m);
/*
 * Latency (ms), cost and utilization at E executors x C cores with the
 * tweaks (NULL: none; else one per profile stage).
 */
/* Price of one executor-second with C cores. */
double gdfo__model_price(const gdfo__model *m, int32_t C);
int gdfo__model_eval(double *latency_ms, double *cost, double *util, gdfo__model *m, int32_t E,
		     int32_t C, const gdfo__tweak *tweaks);

/* ---- the diagnosis ------------------------------------------------------------------- */

typedef struct gdfo__finding {
	gdfo_finding pub;
	char *evidence, *fix, *key;
} gdfo__finding;

typedef struct gdfo__advice {
	gdfo_advice pub;
	char *key, *value, *log_value, *comment;
} gdfo__advice;

/* The tweaks of the findings, kept for the advisor. */
enum { GDFO__TW_SKEW, GDFO__TW_SPILL, GDFO__TW_GC, GDFO__TW_STRAG, GDFO__TW_TINY, GDFO__TW_HUGE, GDFO__TW_SP, GDFO__TW_COUNT };

struct gdfo_diagnosis {
	gdfo__tweak *tw[GDFO__TW_COUNT]; /* one per model stage, NULL without a model */
	int has_tw[GDFO__TW_COUNT];      /* the finding that made it was emitted */
	gdfo_diag_options opts;
	gdfo_objective objective;
	gdfo_sim_cluster cluster;
	gdfo_diag_summary sum;
	char *app_name, *engine_note;
	gdfo__finding *f;
	size_t n_f, cap_f;
	gdfo__advice *a;
	size_t n_a, cap_a;
	gdfo_whatif_point *w;
	size_t n_w;
};

/* Findings from facts (and the model, when m is not NULL). */
int gdfo__diag_find(gdfo_diagnosis *d, const gdfo__facts *f, gdfo__model *m);
int gdfo__diag_add_finding(gdfo_diagnosis *d, int kind, int severity, int64_t stage, double value,
			   double threshold, double gain_ms, double gain_cost, const char *key,
			   const char *fix, const char *evidence_fmt, ...) GDFO__PRINTF(11, 12);
/* The what-if table and the recommended count. */
int gdfo__diag_whatif(gdfo_diagnosis *d, gdfo__model *m);
/* The advice (after the findings and the what-if table). */
int gdfo__diag_advise(gdfo_diagnosis *d, const gdfo__facts *f, gdfo__model *m);
/* The objective's score of (latency, cost) against a baseline; higher is better. */
double gdfo__diag_score(const gdfo_objective *o, double lat, double cost, double lat0, double cost0);

/* Severity of v against ascending thresholds t[0..3]. */
int gdfo__severity_of(double v, const double t[4]);

#endif
