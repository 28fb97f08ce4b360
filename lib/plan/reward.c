/*
 * The reward (include/gdfo/reward.h): the one definition every optimizer
 * and the benchmark score plans with.
 */
#include <math.h>

#include "core/abi.h"
#include "core/internal.h"
#include "gdfo/reward.h"

int gdfo_outcome_init(gdfo_outcome *out, unsigned int version)
{
	gdfo_outcome d = {0};
	d.version = GDFO_OUTCOME_VERSION;
	d.success = 1;
	return gdfo__abi_init(out, version, &d, GDFO__ABI_OUTCOME, "gdfo_outcome_init");
}

static int check_outcome(const gdfo_outcome *o, const char *which)
{
	if (o->success != 0 && o->success != 1)
		return gdfo__error(GDFO_EINVAL, "gdfo_reward_compute: %s.success must be 0 or 1", which);
	if (!isfinite(o->latency_ms) || o->latency_ms < 0)
		return gdfo__error(GDFO_EINVAL, "gdfo_reward_compute: %s.latency_ms must be finite and >= 0", which);
	if (!isfinite(o->throughput) || o->throughput < 0)
		return gdfo__error(GDFO_EINVAL, "gdfo_reward_compute: %s.throughput must be finite and >= 0", which);
	if (!isfinite(o->cost) || o->cost < 0)
		return gdfo__error(GDFO_EINVAL, "gdfo_reward_compute: %s.cost must be finite and >= 0", which);
	return 0;
}

int gdfo_reward_compute(gdfo_reward *out, const gdfo_outcome *run, const gdfo_outcome *baseline,
			const gdfo_objective *objective)
{
	gdfo_outcome r, b;
	gdfo_objective o;
	gdfo_reward x = {0};
	int rc;

	if (!out || !run || !baseline)
		return gdfo__error(GDFO_EINVAL, "gdfo_reward_compute: %s is NULL", !out ? "out" : !run ? "run" : "baseline");
	if ((rc = gdfo__abi_in(&r, run, NULL, GDFO__ABI_OUTCOME, "gdfo_reward_compute run")) ||
	    (rc = gdfo__abi_in(&b, baseline, NULL, GDFO__ABI_OUTCOME, "gdfo_reward_compute baseline")) ||
	    (rc = check_outcome(&r, "run")) || (rc = check_outcome(&b, "baseline")))
		return rc;
	gdfo_objective_init(&o, GDFO_OBJECTIVE_VERSION);
	if (objective) {
		if ((rc = gdfo__abi_in(&o, objective, &o, GDFO__ABI_OBJECTIVE, "gdfo_reward_compute objective")) ||
		    (rc = gdfo_objective_validate(&o)))
			return gdfo__error_prefix(rc, "gdfo_reward_compute");
	}
	x.version = GDFO_REWARD_VERSION;
	x.throughput_gain = b.throughput > 0 ? r.throughput / b.throughput - 1 : 0;
	x.latency_increase = b.latency_ms > 0 ? r.latency_ms / b.latency_ms - 1 : 0;
	x.cost_overhead = b.cost > 0 ? r.cost / b.cost - 1 : 0;
	x.failed = !r.success;
	x.slo_missed = o.slo_ms > 0 && r.latency_ms > o.slo_ms;
	x.over_budget = o.cost_ceiling > 0 && r.cost > o.cost_ceiling;
	x.penalized = x.failed || x.slo_missed || x.over_budget;
	x.penalty = x.penalized ? o.failure_penalty : 0;
	x.reward = o.throughput_weight * x.throughput_gain - o.latency_weight * x.latency_increase -
		   o.cost_weight * x.cost_overhead - x.penalty;
	return gdfo__abi_out(out, &x, GDFO__ABI_REWARD, "gdfo_reward_compute");
}
