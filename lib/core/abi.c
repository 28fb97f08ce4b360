/*
 * The sizes of every version of every versioned public struct, and the
 * copies between a caller's struct and the library's full one.
 *
 * Adding a field to a struct: append it before GDFO__GROWTH_FIELD in the
 * header, bump the struct's GDFO_*_VERSION, and append the new field's
 * end to its row here (END(type, new_last_field)). tests/abi/ proves old
 * clients keep working.
 */
#include <stddef.h>
#include <string.h>

#include "core/abi.h"
#include "core/internal.h"
#include "gdfo/gdfo.h"

#define END(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/* Up to this many versions per struct; raise it when a struct reaches it. */
#define MAX_VERSIONS 8

typedef struct abi_row {
	const char *name;
	size_t sizes[MAX_VERSIONS]; /* sizes[v - 1]: bytes of version v; 0 ends the list */
} abi_row;

#ifdef GDFO_TEST_STRUCT_GROWTH
#define GROW(type) , END(type, abi_test_extra)
#else
#define GROW(type)
#endif

#define ROW(type, ...) {#type, {__VA_ARGS__ GROW(type)}}

static const abi_row rows[GDFO__ABI_COUNT] = {
	[GDFO__ABI_STAGE] = ROW(gdfo_stage, END(gdfo_stage, n_columns_written)),
	[GDFO__ABI_STAGE_STATS] = ROW(gdfo_stage_stats, END(gdfo_stage_stats, cpu_ns_per_row)),
	[GDFO__ABI_STAGE_KNOBS] = ROW(gdfo_stage_knobs, END(gdfo_stage_knobs, target_file_bytes)),
	[GDFO__ABI_GRAPH_KNOBS] = ROW(gdfo_graph_knobs, END(gdfo_graph_knobs, memory_per_executor_bytes),
					    END(gdfo_graph_knobs, shuffle_reuse)),
	[GDFO__ABI_CLUSTER] = ROW(gdfo_cluster, END(gdfo_cluster, price_per_gib_s)),
	[GDFO__ABI_STAGE_TELEMETRY] = ROW(gdfo_stage_telemetry, END(gdfo_stage_telemetry, name)),
	[GDFO__ABI_RUN_TELEMETRY] = ROW(gdfo_run_telemetry, END(gdfo_run_telemetry, cost)),
	[GDFO__ABI_CHANGE] = ROW(gdfo_change, END(gdfo_change, n_attended_ids), END(gdfo_change, new_label)),
	[GDFO__ABI_PREDICTION] = ROW(gdfo_prediction, END(gdfo_prediction, reserved)),
	[GDFO__ABI_OBJECTIVE] = ROW(gdfo_objective, END(gdfo_objective, failure_penalty)),
	[GDFO__ABI_RULES_OPTIONS] = ROW(gdfo_rules_options, END(gdfo_rules_options, cluster)),
	[GDFO__ABI_SIM_CLUSTER] = ROW(gdfo_sim_cluster, END(gdfo_sim_cluster, price_per_gib_s)),
	[GDFO__ABI_SIM_OPTIONS] = ROW(gdfo_sim_options, END(gdfo_sim_options, replay_stage_gap_ms)),
	[GDFO__ABI_SIM_RESULT] = ROW(gdfo_sim_result, END(gdfo_sim_result, reserved2)),
	[GDFO__ABI_SIM_STAGE_RESULT] = ROW(gdfo_sim_stage_result, END(gdfo_sim_stage_result, executions)),
	[GDFO__ABI_GEN_OPTIONS] = ROW(gdfo_gen_options, END(gdfo_gen_options, reserved)),
	[GDFO__ABI_PROFILE_STAGE] = ROW(gdfo_profile_stage, END(gdfo_profile_stage, spill_bytes)),
	[GDFO__ABI_INGEST_OPTIONS] = ROW(gdfo_ingest_options, END(gdfo_ingest_options, progress_every_bytes)),
	[GDFO__ABI_EVENTLOG_SUMMARY] = ROW(gdfo_eventlog_summary, END(gdfo_eventlog_summary, app_id)),
	[GDFO__ABI_EXECUTOR_EVENT] = ROW(gdfo_executor_event, END(gdfo_executor_event, live)),
	[GDFO__ABI_NN_OPTIONS] = ROW(gdfo_nn_options, END(gdfo_nn_options, seed)),
	[GDFO__ABI_NN_TENSOR] = ROW(gdfo_nn_tensor, END(gdfo_nn_tensor, reserved)),
	[GDFO__ABI_NN_OUTPUTS] = ROW(gdfo_nn_outputs, END(gdfo_nn_outputs, pipeline_heads)),
	[GDFO__ABI_NN_OUTPUT_GRADS] = ROW(gdfo_nn_output_grads, END(gdfo_nn_output_grads, pipeline_heads)),
	[GDFO__ABI_NN_ADAMW] = ROW(gdfo_nn_adamw, END(gdfo_nn_adamw, max_grad_norm)),
	[GDFO__ABI_FIELD_INFO] = ROW(gdfo_field_info, END(gdfo_field_info, doc)),
	[GDFO__ABI_SIM_CALIBRATION] = ROW(gdfo_sim_calibration, END(gdfo_sim_calibration, rate)),
	[GDFO__ABI_SPACE_OPTIONS] = ROW(gdfo_space_options, END(gdfo_space_options, cluster)),
	[GDFO__ABI_DECISION] = ROW(gdfo_decision, END(gdfo_decision, n_legal)),
	[GDFO__ABI_OUTCOME] = ROW(gdfo_outcome, END(gdfo_outcome, cost)),
	[GDFO__ABI_REWARD] = ROW(gdfo_reward, END(gdfo_reward, reserved)),
	[GDFO__ABI_JUDGE_OPTIONS] = ROW(gdfo_judge_options, END(gdfo_judge_options, telemetry)),
	[GDFO__ABI_DIAG_OPTIONS] = ROW(gdfo_diag_options, END(gdfo_diag_options, cluster)),
	[GDFO__ABI_DIAG_SUMMARY] = ROW(gdfo_diag_summary, END(gdfo_diag_summary, engine_note)),
	[GDFO__ABI_FINDING] = ROW(gdfo_finding, END(gdfo_finding, key)),
	[GDFO__ABI_ADVICE] = ROW(gdfo_advice, END(gdfo_advice, stage_id)),
	[GDFO__ABI_WHATIF_POINT] = ROW(gdfo_whatif_point, END(gdfo_whatif_point, observed)),
	[GDFO__ABI_OPTIMIZER_OPTIONS] = ROW(gdfo_optimizer_options, END(gdfo_optimizer_options, reserved2),
					    END(gdfo_optimizer_options, clock_ctx)),
	[GDFO__ABI_TRAIN_OPTIONS] = ROW(gdfo_train_options, END(gdfo_train_options, reserved)),
	[GDFO__ABI_TRAIN_PROGRESS] = ROW(gdfo_train_progress, END(gdfo_train_progress, eta_s)),
	[GDFO__ABI_PLAN_LOOP] = ROW(gdfo_plan_loop, END(gdfo_plan_loop, reserved)),
	[GDFO__ABI_FEEDBACK] = ROW(gdfo_feedback, END(gdfo_feedback, residual)),
	[GDFO__ABI_LOOP_STATS] = ROW(gdfo_loop_stats, END(gdfo_loop_stats, reserved)),
};

const char *gdfo__abi_name(int type)
{
	return rows[type].name;
}

unsigned gdfo__abi_latest(int type)
{
	unsigned v = 0;
	while (v < MAX_VERSIONS && rows[type].sizes[v])
		v++;
	return v;
}

size_t gdfo__abi_size(int type, uint32_t v)
{
	return v >= 1 && v <= gdfo__abi_latest(type) ? rows[type].sizes[v - 1] : 0;
}

static uint32_t version_of(const void *s)
{
	uint32_t v;
	memcpy(&v, s, sizeof(v));
	return v;
}

static int bad_version(int type, uint32_t v, const char *func)
{
	return gdfo__error(GDFO_EVERSION,
			   "%s: %s version %u is not supported (this library knows 1 to %u); set version first",
			   func, rows[type].name, v, gdfo__abi_latest(type));
}

int gdfo__abi_check(const void *s, int type, const char *func)
{
	if (!s)
		return gdfo__error(GDFO_EINVAL, "%s: %s is NULL", func, rows[type].name);
	if (!gdfo__abi_size(type, version_of(s)))
		return bad_version(type, version_of(s), func);
	return 0;
}

int gdfo__abi_in(void *full, const void *caller, const void *defaults, int type, const char *func)
{
	uint32_t latest = gdfo__abi_latest(type);
	int rc;

	if ((rc = gdfo__abi_check(caller, type, func)))
		return rc;
	if (!defaults)
		memset(full, 0, rows[type].sizes[latest - 1]);
	else if (defaults != full) /* full may already hold the defaults */
		memcpy(full, defaults, rows[type].sizes[latest - 1]);
	if (caller != full)
		memcpy(full, caller, gdfo__abi_size(type, version_of(caller)));
	memcpy(full, &latest, sizeof(latest));
	return 0;
}

int gdfo__abi_out(void *out, const void *full, int type, const char *func)
{
	uint32_t v;
	int rc;

	if ((rc = gdfo__abi_check(out, type, func)))
		return rc;
	v = version_of(out);
	memcpy(out, full, gdfo__abi_size(type, v));
	memcpy(out, &v, sizeof(v));
	return 0;
}

int gdfo__abi_init(void *out, unsigned version, const void *defaults, int type, const char *func)
{
	uint32_t v = (uint32_t)version;
	size_t n = gdfo__abi_size(type, v);

	if (!out)
		return gdfo__error(GDFO_EINVAL, "%s: %s is NULL", func, rows[type].name);
	if (!n || v != version)
		return bad_version(type, v, func);
	if (defaults)
		memcpy(out, defaults, n);
	else
		memset(out, 0, n);
	memcpy(out, &v, sizeof(v));
	return 0;
}
