/*
 * Fills a plan's predictions by simulating its graph and the pipeline it
 * was made from on the same cluster, with the same options.
 */
#include <stdio.h>
#include <string.h>

#include "plan/plan_internal.h"
#include "sim/sim_internal.h"

#define SLOWER_NOTE "predicted slower than its input"

/*
 * A plan the model predicts slower than its input (or failing where the input
 * runs) needs a human's approval whatever its changes are: risk high, and a
 * note says why (once, however often the plan is predicted).
 */
static int flag_slower(gdfo_plan *plan, const gdfo_prediction *p)
{
	char note[256];
	size_t i;

	if (p->baseline_latency_ms < 0 || (p->latency_ms >= 0 && p->latency_ms <= p->baseline_latency_ms * (1 + 1e-9)))
		return 0;
	for (i = 0; i < gdfo_plan_note_count(plan); i++)
		if (!strncmp(gdfo_plan_note_at(plan, i), SLOWER_NOTE, strlen(SLOWER_NOTE)))
			return gdfo__plan_set_risk(plan, GDFO_RISK_HIGH);
	if (p->latency_ms < 0)
		snprintf(note, sizeof(note), SLOWER_NOTE ": the model expects it to fail where the input runs in %.1f ms; risk high",
			 p->baseline_latency_ms);
	else
		snprintf(note, sizeof(note), SLOWER_NOTE ": %.1f ms against %.1f ms (%+.1f %%); risk high", p->latency_ms,
			 p->baseline_latency_ms, 100.0 * (p->latency_ms / p->baseline_latency_ms - 1));
	return gdfo__plan_set_risk(plan, GDFO_RISK_HIGH) || gdfo__plan_add_note(plan, note);
}

int gdfo_sim_predict_plan(gdfo_sim *sim, gdfo_plan *plan, const gdfo_graph *input,
			  const gdfo_sim_options *opts)
{
	gdfo_sim_result base = {.version = GDFO_SIM_RESULT_VERSION}, planned = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_prediction p = {.version = GDFO_PREDICTION_VERSION};
	int rc;

	if (!sim || !plan || !input)
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_predict_plan: %s is NULL",
				   !sim ? "sim" : !plan ? "plan" : "input");
	if ((rc = gdfo_sim_run_graph(&base, sim, input, opts)))
		return gdfo__error_prefix(rc, "simulating the input pipeline");
	if ((rc = gdfo_sim_run_graph(&planned, sim, plan->graph, opts)))
		return gdfo__error_prefix(rc, "simulating the plan");
	/* A run the model expects to fail has no latency to predict. */
	p.latency_ms = planned.success ? planned.makespan_ms : -1;
	p.throughput = planned.success ? planned.throughput : -1;
	p.cost = planned.success ? planned.cost : -1;
	p.baseline_latency_ms = base.success ? base.makespan_ms : -1;
	p.baseline_cost = base.success ? base.cost : -1;
	p.execution_ms = planned.success ? planned.execution_ms : -1;
	p.baseline_execution_ms = base.success ? base.execution_ms : -1;
	p.overhead_ms = planned.overhead_ms;
	p.calibrated = sim->cal.active;
	p.measured_latency_ms = sim->cal.active ? sim->cal.info.measured_latency_ms : -1;
	p.stages_calibrated = planned.stages_calibrated;
	p.baseline_stages_calibrated = base.stages_calibrated;
	if ((rc = gdfo__plan_set_prediction(plan, &p)))
		return rc;
	return flag_slower(plan, &p);
}
