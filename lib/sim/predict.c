/*
 * Fills a plan's predictions by simulating its graph and the pipeline it
 * was made from on the same cluster, with the same options.
 */
#include "gdfo/sim.h"
#include "plan/plan_internal.h"

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
	return gdfo__plan_set_prediction(plan, &p);
}
