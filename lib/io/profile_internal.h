/*
 * The job profile's representation, for parts of libgdfo that read it in
 * hot loops (the simulator's replay mode). Everything outside lib/ goes
 * through include/gdfo/profile.h.
 *
 * Invariants kept by every constructor (from_json, add_stage):
 * ids unique; parent ids present in the profile and parent_idx[k] is the
 * index of parents[k]; the stages form a DAG; each stage has n_task_ms > 0
 * or n_by_exec > 0; by_exec is sorted by strictly increasing executors;
 * every duration finite and >= 0.
 */
#ifndef GDFO_PROFILE_INTERNAL_H
#define GDFO_PROFILE_INTERNAL_H

#include "core/idmap.h"
#include "core/internal.h"
#include "gdfo/profile.h"

typedef struct gdfo__profile_meas {
	int32_t executors;
	double *task_ms;
	size_t n_task_ms;
} gdfo__profile_meas;

typedef struct gdfo__profile_stage {
	int64_t id;
	int64_t *parents;        /* ids, in file order */
	size_t *parent_idx;      /* stage indices of the same parents */
	size_t n_parents;
	int64_t num_tasks;
	double *task_ms;
	size_t n_task_ms;
	gdfo__profile_meas *by_exec;
	gdfo_profile_measurement *by_exec_view; /* public view handed out by stage_at */
	size_t n_by_exec;
	uint32_t has_bytes;      /* GDFO_PROFILE_*_BYTES */
	int64_t input_bytes;
	int64_t shuffle_read_bytes;
	int64_t shuffle_write_bytes;
	int64_t spill_bytes;
} gdfo__profile_stage;

struct gdfo_profile {
	char *name;
	int32_t executors;
	int32_t cores_per_executor;
	gdfo__profile_stage *stages;
	size_t n, cap;
	gdfo__idmap ids;  /* stage id -> index */
};

/* Index of the stage with id, or (size_t)-1. */
size_t gdfo__profile_index(const gdfo_profile *p, int64_t id);

#endif
