/*
 * Telemetry: what one run of a pipeline measured, per stage and per run.
 *
 * A measurement that was not taken is GDFO_UNKNOWN (-1); every other
 * value is finite and >= 0. Getters fill caller structs; nothing they
 * return is borrowed.
 *
 * Thread safety: concurrent reads are safe; mutation needs exclusive access.
 */
#ifndef GDFO_TELEMETRY_H
#define GDFO_TELEMETRY_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The value of a measurement that was not taken. */
#define GDFO_UNKNOWN (-1.0)

#define GDFO_STAGE_TELEMETRY_VERSION (1 + GDFO__GROWTH)

/* Longest stage name a record holds (the pipeline's limit, graph.h). */
#define GDFO_TELEMETRY_NAME_MAX 255

typedef struct gdfo_stage_telemetry {
	uint32_t version;         /* GDFO_STAGE_TELEMETRY_VERSION */
	int64_t stage_id;         /* the pipeline stage it measures, >= 0 */
	double duration_ms;       /* wall time from first task start to last task end */
	double tasks;             /* number of tasks that ran */
	double task_ms_median;    /* median task duration */
	double task_ms_max;       /* longest task: max / median is the skew */
	double shuffle_read_bytes;
	double shuffle_write_bytes;
	double spill_bytes;       /* memory + disk spill */
	double peak_memory_bytes; /* largest per-task peak execution memory */
	double cpu_ms;            /* CPU time summed over tasks */
	double failures;          /* failed task attempts */
	char name[GDFO_TELEMETRY_NAME_MAX + 1]; /* the stage's name in the pipeline, NUL-terminated;
						   "" when not recorded (telemetry written
						   before names were, docs/formats.md) */
	GDFO__GROWTH_FIELD
} gdfo_stage_telemetry;

#define GDFO_RUN_TELEMETRY_VERSION (1 + GDFO__GROWTH)

typedef struct gdfo_run_telemetry {
	uint32_t version;     /* GDFO_RUN_TELEMETRY_VERSION */
	int32_t success;      /* 1 if the run succeeded, 0 if it failed */
	double latency_ms;    /* end-to-end latency */
	double records;       /* records processed */
	double throughput;    /* records per second */
	double cost;          /* currency units */
	GDFO__GROWTH_FIELD
} gdfo_run_telemetry;

/* Fill with GDFO_UNKNOWN everywhere (stage_id 0, success 1). GDFO_EVERSION on a bad version. */
GDFO_API int gdfo_stage_telemetry_init(gdfo_stage_telemetry *t, unsigned int version);
GDFO_API int gdfo_run_telemetry_init(gdfo_run_telemetry *t, unsigned int version);

typedef struct gdfo_telemetry gdfo_telemetry;

/* Creates empty telemetry (run fields unknown). Errors: GDFO_EINVAL, GDFO_ENOMEM. */
GDFO_API int gdfo_telemetry_create(gdfo_telemetry **out);
GDFO_API void gdfo_telemetry_free(gdfo_telemetry *telemetry);

/*
 * The run's record. set copies the fields of run->version (newer fields
 * stay unknown); get fills the fields of out->version (set it first).
 * Errors: GDFO_EINVAL (NULL, or a field negative other than GDFO_UNKNOWN,
 * or not finite; named), GDFO_EVERSION.
 */
GDFO_API int gdfo_telemetry_set_run(gdfo_telemetry *telemetry, const gdfo_run_telemetry *run);
GDFO_API int gdfo_telemetry_get_run(gdfo_run_telemetry *out, const gdfo_telemetry *telemetry);

/*
 * The fingerprint (gdfo_graph_fingerprint) of the pipeline the telemetry
 * measured: telemetry belongs to one pipeline, and gdfo_optimize_rules
 * refuses telemetry of another (include/gdfo/rules.h). get returns
 * GDFO_ENOTFOUND when none was recorded (telemetry written before
 * fingerprints were, or built by hand); *out is then 0. clear forgets it.
 * Errors: GDFO_EINVAL (NULL), GDFO_ENOTFOUND.
 */
GDFO_API int gdfo_telemetry_set_fingerprint(gdfo_telemetry *telemetry, uint64_t fingerprint);
GDFO_API int gdfo_telemetry_fingerprint(uint64_t *out, const gdfo_telemetry *telemetry);
GDFO_API int gdfo_telemetry_clear_fingerprint(gdfo_telemetry *telemetry);

/*
 * Adds the record for stage->stage_id, replacing an earlier one for the
 * same stage. name must be NUL-terminated within the array.
 * Errors: GDFO_EINVAL (bad field, named), GDFO_EVERSION, GDFO_ENOMEM.
 */
GDFO_API int gdfo_telemetry_set_stage(gdfo_telemetry *telemetry, const gdfo_stage_telemetry *stage);
/* Number of stage records (0 for NULL). */
GDFO_API size_t gdfo_telemetry_stage_count(const gdfo_telemetry *telemetry);
/*
 * Fill the fields of out->version (set it first) with the record at index
 * (insertion order) or the record of stage_id.
 * Errors: GDFO_EINVAL, GDFO_EVERSION, GDFO_ERANGE (index), GDFO_ENOTFOUND (stage_id).
 */
GDFO_API int gdfo_telemetry_stage_at(gdfo_stage_telemetry *out, const gdfo_telemetry *telemetry,
				     size_t index);
GDFO_API int gdfo_telemetry_find(gdfo_stage_telemetry *out, const gdfo_telemetry *telemetry,
				 int64_t stage_id);

/*
 * Telemetry JSON ("format": "gdfo-telemetry/1", docs/formats.md); same
 * conventions as the pipeline JSON functions in graph.h.
 */
GDFO_API int gdfo_telemetry_from_json(gdfo_telemetry **out, const char *json, size_t len);
GDFO_API int gdfo_telemetry_to_json(char **out, const gdfo_telemetry *telemetry);
GDFO_API int gdfo_telemetry_load(gdfo_telemetry **out, const char *path);
GDFO_API int gdfo_telemetry_save(const gdfo_telemetry *telemetry, const char *path);

#ifdef __cplusplus
}
#endif

#endif
