/*
 * gdfo_objective: defaults and checks (include/gdfo/objective.h).
 */
#include <math.h>
#include <string.h>

#include "core/abi.h"
#include "core/internal.h"
#include "gdfo/objective.h"

int gdfo_objective_init(gdfo_objective *out, unsigned int version)
{
	gdfo_objective d;

	memset(&d, 0, sizeof(d));
	d.throughput_weight = 1;
	d.latency_weight = 1;
	d.cost_weight = 1;
	d.failure_penalty = 1;
	return gdfo__abi_init(out, version, &d, GDFO__ABI_OBJECTIVE, "gdfo_objective_init");
}

static int check(const char *name, double v, double max)
{
	if (!isfinite(v) || v < 0 || v > max)
		return gdfo__error(GDFO_EINVAL, "objective: %s is %g; allowed 0 to %g", name, v, max);
	return 0;
}

int gdfo_objective_validate(const gdfo_objective *objective)
{
	gdfo_objective o;
	int rc;

	if ((rc = gdfo_objective_init(&o, GDFO_OBJECTIVE_VERSION)) ||
	    (rc = gdfo__abi_in(&o, objective, &o, GDFO__ABI_OBJECTIVE, "gdfo_objective_validate")))
		return rc;
	if (check("throughput_weight", o.throughput_weight, GDFO_OBJECTIVE_WEIGHT_MAX) ||
	    check("latency_weight", o.latency_weight, GDFO_OBJECTIVE_WEIGHT_MAX) ||
	    check("cost_weight", o.cost_weight, GDFO_OBJECTIVE_WEIGHT_MAX) ||
	    check("slo_ms", o.slo_ms, 1e15) || check("cost_ceiling", o.cost_ceiling, 1e15) ||
	    check("failure_penalty", o.failure_penalty, GDFO_OBJECTIVE_WEIGHT_MAX))
		return GDFO_EINVAL;
	if (o.throughput_weight + o.latency_weight + o.cost_weight <= 0)
		return gdfo__error(GDFO_EINVAL, "objective: every weight is 0; at least one must be above 0");
	return 0;
}
