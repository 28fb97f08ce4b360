/*
 * Fills a plan's predictions by simulating its graph and the pipeline it
 * was made from on the same cluster, with the same options.
 */
#include "plan/plan_internal.h"
#include "sim/sim_internal.h"

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
	return gdfo__plan_set_prediction(plan, &p);
}
