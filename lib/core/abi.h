/*
 * Versioned public structs. Every struct a caller allocates or fills
 * starts with `uint32_t version` and only ever gains fields at its end,
 * so version v of a struct is a prefix of every later version. The
 * library keeps its own copy at the latest version and moves exactly
 * the bytes of the caller's version across: a program built against an
 * older header neither reads nor writes past the struct it allocated.
 * docs/developing.md says how to add a field.
 */
#ifndef GDFO_ABI_H
#define GDFO_ABI_H

#include <stddef.h>
#include <stdint.h>

/* The public structs that carry a version. Internal numbering only. */
typedef enum gdfo__abi_type {
	GDFO__ABI_STAGE,
	GDFO__ABI_STAGE_STATS,
	GDFO__ABI_STAGE_KNOBS,
	GDFO__ABI_GRAPH_KNOBS,
	GDFO__ABI_CLUSTER,
	GDFO__ABI_STAGE_TELEMETRY,
	GDFO__ABI_RUN_TELEMETRY,
	GDFO__ABI_CHANGE,
	GDFO__ABI_PREDICTION,
	GDFO__ABI_OBJECTIVE,
	GDFO__ABI_RULES_OPTIONS,
	GDFO__ABI_SIM_CLUSTER,
	GDFO__ABI_SIM_OPTIONS,
	GDFO__ABI_SIM_RESULT,
	GDFO__ABI_SIM_STAGE_RESULT,
	GDFO__ABI_GEN_OPTIONS,
	GDFO__ABI_PROFILE_STAGE,
	GDFO__ABI_INGEST_OPTIONS,
	GDFO__ABI_EVENTLOG_SUMMARY,
	GDFO__ABI_EXECUTOR_EVENT,
	GDFO__ABI_NN_OPTIONS,
	GDFO__ABI_NN_TENSOR,
	GDFO__ABI_NN_OUTPUTS,
	GDFO__ABI_NN_OUTPUT_GRADS,
	GDFO__ABI_NN_ADAMW,
	GDFO__ABI_FIELD_INFO,
	GDFO__ABI_SIM_CALIBRATION,
	GDFO__ABI_SPACE_OPTIONS,
	GDFO__ABI_DECISION,
	GDFO__ABI_OUTCOME,
	GDFO__ABI_REWARD,
	GDFO__ABI_JUDGE_OPTIONS,
	GDFO__ABI_DIAG_OPTIONS,
	GDFO__ABI_DIAG_SUMMARY,
	GDFO__ABI_FINDING,
	GDFO__ABI_ADVICE,
	GDFO__ABI_WHATIF_POINT,
	GDFO__ABI_OPTIMIZER_OPTIONS,
	GDFO__ABI_TRAIN_OPTIONS,
	GDFO__ABI_TRAIN_PROGRESS,
	GDFO__ABI_PLAN_LOOP,
	GDFO__ABI_FEEDBACK,
	GDFO__ABI_LOOP_STATS,
	GDFO__ABI_COUNT
} gdfo__abi_type;

/* The struct's public name ("gdfo_stage") and the newest version this library knows. */
const char *gdfo__abi_name(int type);
unsigned gdfo__abi_latest(int type);

/* Bytes of version v of type, 0 when v is not a version this library knows. */
size_t gdfo__abi_size(int type, uint32_t v);

/*
 * Checks that s (a caller's struct) has a version this library knows;
 * GDFO_EVERSION naming the struct and func otherwise, GDFO_EINVAL when s
 * is NULL.
 */
int gdfo__abi_check(const void *s, int type, const char *func);

/*
 * The library's full copy of a caller's struct: *full becomes defaults
 * (NULL: zeroes; may be full itself when it already holds them) overlaid
 * with the bytes the caller's version has, and full->version the latest
 * version. Errors as gdfo__abi_check.
 */
int gdfo__abi_in(void *full, const void *caller, const void *defaults, int type, const char *func);

/*
 * Fills a caller's struct from the library's full one, only the bytes
 * of out->version (which stays as the caller set it). Errors as
 * gdfo__abi_check.
 */
int gdfo__abi_out(void *out, const void *full, int type, const char *func);

/*
 * The body of every *_init(out, version): checks version, zeroes the
 * bytes of that version, copies the defaults' prefix (NULL: zeroes) and
 * sets out->version.
 */
int gdfo__abi_init(void *out, unsigned version, const void *defaults, int type, const char *func);

#endif
