/*
 * Job profiles: the measured per-stage task durations of a real job, in
 * the form the simulator replays ("format": "gdfo-job-profile/1", see
 * docs/formats.md and DESIGN.md section 7).
 *
 * A profile has a name, the executor count and cores per executor it was
 * measured at, and a list of stages. Each stage has a unique id >= 0, the
 * ids of its parents (which are in the same profile; the stages form a
 * DAG), a task count, and at least one of:
 *   - task_ms: the measured duration of each task at the profile's own
 *     executor count;
 *   - task_ms_by_executors: measurements at several executor counts, as
 *     (executors, task_ms list) pairs, kept sorted by executors.
 * Byte counters (input, shuffle read, shuffle write, spill) are optional;
 * a bit in gdfo_profile_stage.has_bytes says which are present.
 *
 * The only time unit is "ms". Every duration is finite and >= 0; every
 * byte count is an integer in 0..2^53-1.
 *
 * Ownership: a gdfo_profile owns copies of everything added to it.
 * gdfo_profile_stage_at fills a caller struct whose array pointers are
 * borrowed from the profile and stay valid until the next mutating call on
 * it (gdfo_profile_add_stage) or gdfo_profile_free.
 *
 * Thread safety: a profile may be read from several threads at once;
 * gdfo_profile_add_stage needs exclusive access.
 */
#ifndef GDFO_PROFILE_H
#define GDFO_PROFILE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The format tag written and accepted. */
#define GDFO_PROFILE_FORMAT "gdfo-job-profile/1"

/* Limits checked on every profile (read or built). */
#define GDFO_PROFILE_EXECUTORS_MAX 100000
#define GDFO_PROFILE_CORES_MAX 1024
#define GDFO_PROFILE_TASKS_MAX 1000000000LL
#define GDFO_PROFILE_NAME_MAX 255

/* Bits of gdfo_profile_stage.has_bytes. */
#define GDFO_PROFILE_INPUT_BYTES 0x1u
#define GDFO_PROFILE_SHUFFLE_READ_BYTES 0x2u
#define GDFO_PROFILE_SHUFFLE_WRITE_BYTES 0x4u
#define GDFO_PROFILE_SPILL_BYTES 0x8u

/*
 * Task durations measured at one executor count. A fixed record (it is
 * passed as an array, so it never grows; more would come as a new type).
 */
typedef struct gdfo_profile_measurement {
	int32_t executors;     /* 1..GDFO_PROFILE_EXECUTORS_MAX */
	int32_t reserved;      /* must be 0 */
	const double *task_ms; /* n_task_ms durations, each finite and >= 0 */
	size_t n_task_ms;      /* >= 1 */
} gdfo_profile_measurement;

#define GDFO_PROFILE_STAGE_VERSION (1 + GDFO__GROWTH)

/*
 * One stage, as passed to gdfo_profile_add_stage and filled by
 * gdfo_profile_stage_at. Initialize with gdfo_profile_stage_init.
 * A list is absent when its count is 0 (then its pointer may be NULL).
 */
typedef struct gdfo_profile_stage {
	uint32_t version;                 /* GDFO_PROFILE_STAGE_VERSION */
	uint32_t has_bytes;               /* GDFO_PROFILE_*_BYTES bits of the fields present */
	int64_t id;                       /* unique in the profile, 0..2^53-1 */
	const int64_t *parents;           /* ids of the stages it waits for, no repeats */
	size_t n_parents;
	int64_t num_tasks;                /* 0..GDFO_PROFILE_TASKS_MAX */
	const double *task_ms;            /* at the profile's executor count */
	size_t n_task_ms;
	const gdfo_profile_measurement *by_executors; /* strictly increasing executors */
	size_t n_by_executors;
	int64_t input_bytes;              /* each 0..2^53-1, meaningful when its bit is set */
	int64_t shuffle_read_bytes;
	int64_t shuffle_write_bytes;
	int64_t spill_bytes;
	GDFO__GROWTH_FIELD
} gdfo_profile_stage;

/*
 * Zeroes *stage and sets its version. Errors: GDFO_EINVAL (NULL),
 * GDFO_EVERSION (a version this library does not know).
 */
GDFO_API int gdfo_profile_stage_init(gdfo_profile_stage *stage, unsigned int version);

typedef struct gdfo_profile gdfo_profile;

/*
 * Creates a profile with no stages. name NULL means "job"; it must be
 * non-empty valid UTF-8 of at most GDFO_PROFILE_NAME_MAX bytes. executors in
 * 1..GDFO_PROFILE_EXECUTORS_MAX, cores_per_executor in 1..GDFO_PROFILE_CORES_MAX.
 * Errors: GDFO_EINVAL (out NULL or an argument out of range), GDFO_ENOMEM.
 */
GDFO_API int gdfo_profile_create(gdfo_profile **out, const char *name, int32_t executors,
				 int32_t cores_per_executor);

/* Frees a profile and everything it owns. NULL does nothing. */
GDFO_API void gdfo_profile_free(gdfo_profile *profile);

/*
 * Appends a copy of *stage. Its parents must already be in the profile,
 * so a profile built this way is always acyclic. by_executors entries
 * may come in any order; they are stored sorted by executors.
 * Errors: GDFO_EINVAL (a field is out of range, not finite, negative, a
 * list has a NULL pointer with a non-zero count, the stage has neither
 * task_ms nor by_executors, a parent repeats or an executor count
 * repeats; the message names the stage and field), GDFO_EVERSION,
 * GDFO_EEXISTS (id already present), GDFO_ENOTFOUND (a parent is not in
 * the profile), GDFO_ENOMEM. On failure the profile is unchanged.
 */
GDFO_API int gdfo_profile_add_stage(gdfo_profile *profile, const gdfo_profile_stage *stage);

/* Accessors. Strings are borrowed until the profile is freed. NULL profile: NULL or 0. */
GDFO_API const char *gdfo_profile_name(const gdfo_profile *profile);
GDFO_API const char *gdfo_profile_time_unit(const gdfo_profile *profile); /* always "ms" */
GDFO_API int32_t gdfo_profile_executors(const gdfo_profile *profile);
GDFO_API int32_t gdfo_profile_cores_per_executor(const gdfo_profile *profile);
GDFO_API size_t gdfo_profile_stage_count(const gdfo_profile *profile);

/*
 * Fills *out with the stage at index (0..count-1, the order of the file or
 * of add_stage). Pointers inside *out are borrowed (see top of file).
 * Errors: GDFO_EINVAL (NULL argument), GDFO_ERANGE (index out of range).
 */
GDFO_API int gdfo_profile_stage_at(gdfo_profile_stage *out, const gdfo_profile *profile,
				   size_t index);

/* Index of the stage with id. Errors: GDFO_EINVAL, GDFO_ENOTFOUND. */
GDFO_API int gdfo_profile_find(size_t *out, const gdfo_profile *profile, int64_t id);

/*
 * Parses a gdfo-job-profile/1 document of len bytes (need not be
 * NUL-terminated). Unknown fields are ignored; a key repeated in one
 * object is refused. Errors name the JSON path
 * ("profile: stages[3].parents[1]: stage 12 is not in the profile"):
 * GDFO_EFORMAT (not JSON, wrong type, missing field, NaN/inf/negative or
 * fractional where an integer is needed, duplicate id, unknown parent,
 * unsupported time_unit), GDFO_EVERSION (another gdfo-job-profile version),
 * GDFO_ECYCLE (names a stage on the cycle), GDFO_EINVAL (NULL argument),
 * GDFO_ENOMEM. On failure *out is NULL.
 */
GDFO_API int gdfo_profile_from_json(gdfo_profile **out, const char *json, size_t len);

/*
 * Writes the profile as a NUL-terminated JSON document (one stage per
 * line) for the caller to free with gdfo_free. Numbers are written so
 * that gdfo_profile_from_json gives back an identical profile.
 * Errors: GDFO_EINVAL, GDFO_ENOMEM.
 */
GDFO_API int gdfo_profile_to_json(char **out, const gdfo_profile *profile);

/*
 * Reads a profile file (at most 1 GiB) / writes one atomically (a
 * temporary file renamed over path). Errors: those of from_json / to_json,
 * and GDFO_EIO when the file cannot be read or written, GDFO_ERANGE when
 * it is too large.
 */
GDFO_API int gdfo_profile_load(gdfo_profile **out, const char *path);
GDFO_API int gdfo_profile_save(const gdfo_profile *profile, const char *path);

#ifdef __cplusplus
}
#endif

#endif
