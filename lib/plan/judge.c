/*
 * The judge (include/gdfo/judge.h): the noisy DES, several runs on fixed
 * seeds, scored by the one reward.
 */
#include <math.h>
#include <stdlib.h>

#include "core/abi.h"
#include "core/internal.h"
#include "gdfo/judge.h"

struct gdfo_judge {
	gdfo_sim *sim;
	gdfo_sim_options so;
	gdfo_objective objective;
	gdfo_outcome baseline;
	uint64_t count;
};

int gdfo_judge_options_init(gdfo_judge_options *o, unsigned int version)
{
	gdfo_judge_options d = {0};
	d.version = GDFO_JUDGE_OPTIONS_VERSION;
	d.runs = 5;
	d.seed = 1;
	d.noise_sigma = 0.1;
	d.straggler_prob = 0.01;
	d.straggler_factor = 4;
	return gdfo__abi_init(o, version, &d, GDFO__ABI_JUDGE_OPTIONS, "gdfo_judge_options_init");
}

void gdfo_judge_free(gdfo_judge *j)
{
	if (!j)
		return;
	gdfo_sim_free(j->sim);
	free(j);
}

static int run(gdfo_outcome *out, gdfo_judge *j, const gdfo_graph *g)
{
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	int rc;

	if ((rc = gdfo_sim_run_graph(&r, j->sim, g, &j->so)))
		return rc;
	gdfo_outcome_init(out, GDFO_OUTCOME_VERSION);
	out->success = r.success;
	out->latency_ms = r.makespan_ms;
	out->throughput = r.throughput;
	out->cost = r.cost;
	return 0;
}

int gdfo_judge_create(gdfo_judge **out, const gdfo_graph *input, const gdfo_judge_options *opts)
{
	gdfo_judge_options o;
	gdfo_sim_cluster cl;
	gdfo_judge *j;
	int rc;

	if (out)
		*out = NULL;
	if (!out || !input)
		return gdfo__error(GDFO_EINVAL, "gdfo_judge_create: %s is NULL", out ? "input" : "out");
	gdfo_judge_options_init(&o, GDFO_JUDGE_OPTIONS_VERSION);
	if (opts && (rc = gdfo__abi_in(&o, opts, &o, GDFO__ABI_JUDGE_OPTIONS, "gdfo_judge_create")))
		return rc;
	if (o.runs < 1 || o.runs > 1000)
		return gdfo__error(GDFO_EINVAL, "gdfo_judge_create: runs %d is outside 1..1000", (int)o.runs);
	if (!(j = gdfo__calloc(1, sizeof(*j))))
		return GDFO_ENOMEM;
	gdfo_objective_init(&j->objective, GDFO_OBJECTIVE_VERSION);
	if (o.objective && ((rc = gdfo__abi_in(&j->objective, o.objective, &j->objective, GDFO__ABI_OBJECTIVE,
					       "gdfo_judge_create")) ||
			    (rc = gdfo_objective_validate(&j->objective)))) {
		rc = gdfo__error_prefix(rc, "gdfo_judge_create: objective");
		goto fail;
	}
	gdfo_sim_cluster_init(&cl, GDFO_SIM_CLUSTER_VERSION);
	if (o.cluster && (rc = gdfo__abi_in(&cl, o.cluster, &cl, GDFO__ABI_SIM_CLUSTER, "gdfo_judge_create")))
		goto fail;
	if ((rc = gdfo_sim_create(&j->sim, &cl))) {
		rc = gdfo__error_prefix(rc, "gdfo_judge_create: cluster");
		goto fail;
	}
	gdfo_sim_options_init(&j->so, GDFO_SIM_OPTIONS_VERSION);
	if (o.telemetry) {
		gdfo_sim_calibration cal = {.version = GDFO_SIM_CALIBRATION_VERSION};
		uint64_t tfp, gfp;
		rc = gdfo_sim_calibrate(&cal, j->sim, input, o.telemetry, &j->so);
		if (rc == GDFO_ENOTFOUND) {
			/* no record names a stage here and there is no run latency */
			cal.stages_calibrated = 0;
			cal.records_unmatched = (int32_t)gdfo_telemetry_stage_count(o.telemetry);
		} else if (rc) {
			rc = gdfo__error_prefix(rc, "gdfo_judge_create: calibrating to the telemetry");
			goto fail;
		}
		/* Telemetry of another pipeline: none of its records names a stage here. */
		if (gdfo_telemetry_stage_count(o.telemetry) > 0 && cal.stages_calibrated == 0 &&
		    cal.records_unmatched > 0) {
			int has_fp = gdfo_telemetry_fingerprint(&tfp, o.telemetry) == 0;
			if ((rc = gdfo_graph_fingerprint(&gfp, input)))
				goto fail;
			if (has_fp && tfp != gfp)
				rc = gdfo__error(GDFO_EINVAL, "gdfo_judge_create: telemetry of another pipeline: its pipeline fingerprint is %016llx, pipeline '%s' has %016llx, and none of its %d stage records matches a stage",
						 (unsigned long long)tfp, gdfo_graph_name(input), (unsigned long long)gfp,
						 (int)cal.records_unmatched);
			else
				rc = gdfo__error(GDFO_EINVAL, "gdfo_judge_create: telemetry of another pipeline: none of its %d stage records matches a stage of pipeline '%s'",
						 (int)cal.records_unmatched, gdfo_graph_name(input));
			goto fail;
		}
	}
	j->so.runs = o.runs;
	j->so.seed = o.seed;
	j->so.noise_sigma = o.noise_sigma;
	j->so.straggler_prob = o.straggler_prob;
	j->so.straggler_factor = o.straggler_factor;
	if ((rc = run(&j->baseline, j, input))) {
		rc = gdfo__error_prefix(rc, "gdfo_judge_create: running the input");
		goto fail;
	}
	*out = j;
	return 0;
fail:
	gdfo_judge_free(j);
	return rc;
}

int gdfo_judge_baseline(gdfo_outcome *out, const gdfo_judge *j)
{
	if (!out || !j)
		return gdfo__error(GDFO_EINVAL, "gdfo_judge_baseline: %s is NULL", out ? "judge" : "out");
	return gdfo__abi_out(out, &j->baseline, GDFO__ABI_OUTCOME, "gdfo_judge_baseline");
}

int gdfo_judge_graph(gdfo_reward *reward, gdfo_outcome *outcome, gdfo_judge *j, const gdfo_graph *g)
{
	gdfo_outcome o;
	gdfo_reward r = {.version = GDFO_REWARD_VERSION};
	int rc;

	if (!j || !g)
		return gdfo__error(GDFO_EINVAL, "gdfo_judge_graph: %s is NULL", j ? "graph" : "judge");
	if ((reward && (rc = gdfo__abi_check(reward, GDFO__ABI_REWARD, "gdfo_judge_graph"))) ||
	    (outcome && (rc = gdfo__abi_check(outcome, GDFO__ABI_OUTCOME, "gdfo_judge_graph"))))
		return rc;
	if ((rc = run(&o, j, g)) || (rc = gdfo_reward_compute(&r, &o, &j->baseline, &j->objective)))
		return rc;
	j->count++;
	if (reward && (rc = gdfo__abi_out(reward, &r, GDFO__ABI_REWARD, "gdfo_judge_graph")))
		return rc;
	if (outcome && (rc = gdfo__abi_out(outcome, &o, GDFO__ABI_OUTCOME, "gdfo_judge_graph")))
		return rc;
	return 0;
}

uint64_t gdfo_judge_count(const gdfo_judge *j)
{
	return j ? j->count : 0;
}
