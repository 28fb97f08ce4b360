/*
 * The last simulated run of a pipeline as telemetry (gdfo_sim_telemetry):
 * what a host would report after running the plan, so that a simulated
 * run can stand in for a real one (the benchmark's drift scenarios, the
 * closed loop's tests).
 */
#include <stdio.h>
#include <string.h>

#include "gdfo/sim.h"
#include "gdfo/telemetry.h"
#include "graph/graph_internal.h"
#include "sim/sim_internal.h"

int gdfo_sim_telemetry(gdfo_telemetry **out, const gdfo_sim *sim, const gdfo_graph *graph)
{
	gdfo_telemetry *t;
	gdfo_run_telemetry run;
	uint64_t fp;
	size_t i;
	int rc;

	if (out)
		*out = NULL;
	if (!out || !sim || !graph)
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_telemetry: %s is NULL", !out ? "out" : !sim ? "sim" : "graph");
	if (!sim->have_result || sim->kind != 0 || sim->n_sr != graph->n)
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_telemetry: the simulator's last call was not gdfo_sim_run_graph of this graph");
	for (i = 0; i < graph->n; i++)
		if (sim->sr[i].id != graph->stages[i].id)
			return gdfo__error(GDFO_EINVAL, "gdfo_sim_telemetry: the simulator's last run was of another graph (stage %zu is %lld there, %lld here)",
					   i, (long long)sim->sr[i].id, (long long)graph->stages[i].id);
	if ((rc = gdfo_graph_fingerprint(&fp, graph)) || (rc = gdfo_telemetry_create(&t)))
		return rc;
	if ((rc = gdfo_telemetry_set_fingerprint(t, fp)))
		goto fail;
	gdfo_run_telemetry_init(&run, GDFO_RUN_TELEMETRY_VERSION);
	run.success = sim->result.success;
	run.latency_ms = sim->result.makespan_ms;
	run.records = sim->result.records;
	run.throughput = sim->result.throughput;
	run.cost = sim->result.cost;
	if ((rc = gdfo_telemetry_set_run(t, &run)))
		goto fail;
	for (i = 0; i < graph->n; i++) {
		const gdfo_sim_stage_result *r = &sim->sr[i];
		gdfo_stage_telemetry st;
		gdfo_stage_telemetry_init(&st, GDFO_STAGE_TELEMETRY_VERSION);
		st.stage_id = r->id;
		snprintf(st.name, sizeof(st.name), "%s", graph->stages[i].name);
		st.duration_ms = r->duration_ms;
		st.tasks = r->tasks;
		/* the simulator keeps the mean, not the median, of a stage's tasks */
		st.task_ms_median = r->tasks > 0 ? r->work_ms / r->tasks : GDFO_UNKNOWN;
		st.task_ms_max = r->task_ms_max;
		st.shuffle_read_bytes = r->shuffle_read_bytes;
		st.shuffle_write_bytes = r->shuffle_write_bytes;
		st.spill_bytes = r->spill_bytes;
		st.cpu_ms = r->work_ms;
		if ((rc = gdfo_telemetry_set_stage(t, &st)))
			goto fail;
	}
	*out = t;
	return 0;
fail:
	gdfo_telemetry_free(t);
	return rc;
}
