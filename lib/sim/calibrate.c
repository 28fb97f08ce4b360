/*
 * Calibration of the execution model to telemetry of a run of the same
 * pipeline (docs/simulator.md, "Calibration"): per stage, the measured task
 * times become a rate factor on the model's variable task work and a skew;
 * per run, the time the tasks do not account for becomes a fixed overhead.
 *
 * Telemetry gives per stage the task count, the median and the longest
 * task and the wall time from first task start to last task end; it does
 * not give the summed task time. The bulk task is estimated as the mean,
 * below the maximum, of a lognormal whose median is the measured one and
 * whose expected maximum over the stage's tasks is the measured maximum:
 * task times of a stage are right-skewed, and on the shared logs this
 * estimate of the stage's work has a median error of 3 % where the median
 * alone is 8 % low (up to 77 %). The measured wall time caps the estimate:
 * alone on the pipeline's cores the stage must not take longer than it did.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/abi.h"
#include "core/json_write.h"
#include "graph/graph_internal.h"
#include "sim/sim_internal.h"

const gdfo__cal_stage *gdfo__cal_find(const gdfo__cal *cal, int64_t id)
{
	size_t lo = 0, hi = cal->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cal->st[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < cal->n && cal->st[lo].id == id ? &cal->st[lo] : NULL;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = ((const gdfo__cal_stage *)a)->id, y = ((const gdfo__cal_stage *)b)->id;
	return x < y ? -1 : x > y;
}

/* The standard normal CDF and its inverse (Acklam's rational approximation, |error| < 1.2e-9 after a Newton step). */
static double norm_cdf(double x)
{
	return 0.5 * erfc(-x / sqrt(2.0));
}

static double norm_inv(double p)
{
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
				   1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
				   6.680131188771972e+01, -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
				   -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
				   3.754408661907416e+00};
	double q, r, x;

	if (p <= 0)
		return -INFINITY;
	if (p >= 1)
		return INFINITY;
	if (p < 0.02425) {
		q = sqrt(-2 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	} else if (p > 1 - 0.02425) {
		q = sqrt(-2 * log(1 - p));
		x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	} else {
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
		    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
	}
	/* one Newton step on the CDF */
	return x - (norm_cdf(x) - p) * sqrt(2 * M_PI) * exp(x * x / 2);
}

/*
 * The mean task below the maximum: a lognormal with median med whose
 * expected maximum of n draws (the 1 - 1/(n+1) quantile) is mx, truncated
 * at mx.
 */
static double bulk_task_ms(double n, double med, double mx)
{
	double z, sig, a;

	if (n <= 1)
		return mx;
	if (n < 3)
		return 2 * med - mx > 0 ? 2 * med - mx : 0;
	if (!(med > 0) || !(mx > med))
		return med;
	z = norm_inv(1 - 1 / (n + 1));
	sig = log(mx / med) / z;
	a = log(mx / med) / sig; /* = z */
	return med * exp(sig * sig / 2) * norm_cdf(a - sig) / norm_cdf(a);
}

/*
 * Wall time of T tasks (bulk tn, the first one tb) list-scheduled on P free
 * cores: the stage alone, its longest task placed where it delays the
 * stage least (the log does not say where it ran). heap holds min(T, P)
 * slots. Past 100,000 tasks the fluid bound stands in for the schedule.
 */
static double alone_ms(double T, double tn, double tb, double P, double *heap)
{
	size_t n = (size_t)T, p = (size_t)(P < T ? P : T), i, big = 0, k;
	double end = 0;

	if (n > 100000 || !heap) {
		double w = (T - 1) * tn + tb;
		return w / P > tb ? w / P : tb;
	}
	for (k = 0; k < p; k++)
		heap[k] = 0;
	for (i = 0; i < n; i++) {
		double t = heap[0] + (i == big ? tb : tn);
		size_t j = 0;
		/* the earliest free core (the root) takes the task: sift its new time down */
		for (;;) {
			size_t l = 2 * j + 1, r = l + 1, m = l;
			if (l >= p)
				break;
			if (r < p && heap[r] < heap[l])
				m = r;
			if (heap[m] >= t)
				break;
			heap[j] = heap[m];
			j = m;
		}
		heap[j] = t;
		if (t > end)
			end = t;
	}
	return end;
}

/*
 * Fitted bulk and largest task (ms) of a stage on P cores from its record,
 * and the task count n they refer to (the measured one, else the model's T).
 * 0: unusable.
 */
static int fit_tasks(double *tn, double *tb, double *n_out, const gdfo_stage_telemetry *rec, double T, double P,
		     double *heap)
{
	double n = rec->tasks >= 1 ? floor(rec->tasks) : T, D = rec->duration_ms;

	*n_out = n;
	T = n;

	if (rec->task_ms_median >= 0 && rec->task_ms_max >= 0) {
		double mx = rec->task_ms_max > rec->task_ms_median ? rec->task_ms_max : rec->task_ms_median;
		*tb = mx;
		*tn = bulk_task_ms(n, rec->task_ms_median, mx);
		if (T <= 1) {
			*tn = *tb;
		} else if (D >= 0 && T > P && alone_ms(T, *tn, *tb, P, heap) > D) {
			/* the stage ran faster than these tasks could: fewer bulk ms */
			double lo = 0, hi = *tn;
			int it;
			for (it = 0; it < 50; it++) {
				double mid = 0.5 * (lo + hi);
				if (alone_ms(T, mid, *tb, P, heap) > D)
					hi = mid;
				else
					lo = mid;
			}
			*tn = lo;
		}
		return 1;
	}
	if (D >= 0) {
		*tn = *tb = D / ceil(T / P);
		return 1;
	}
	return 0;
}

void gdfo__cal_reset(gdfo__cal *cal)
{
	cal->n = 0;
	cal->active = 0;
	cal->rate = 1;
	memset(&cal->info, 0, sizeof(cal->info));
	cal->info.version = GDFO_SIM_CALIBRATION_VERSION;
	cal->info.measured_latency_ms = -1;
	cal->info.execution_ms = cal->info.uncalibrated_execution_ms = -1;
	cal->info.overhead_ms = -1;
	cal->info.rate = 1;
}

void gdfo__cal_free(gdfo__cal *cal)
{
	free(cal->st);
	cal->st = NULL;
	cal->cap = 0;
	gdfo__cal_reset(cal);
}

static int calibrate(gdfo_sim *sim, const gdfo_graph *g, const gdfo_telemetry *t, const gdfo_sim_options *opts)
{
	gdfo_sim_result res = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_run_telemetry run = {.version = GDFO_RUN_TELEMETRY_VERSION};
	gdfo__cal *cal = &sim->cal;
	double P, *heap = NULL, sum_meas = 0, sum_model = 0, uncal;
	size_t i, n, matched = 0;
	int rc;

	if ((rc = gdfo_sim_run_graph(&res, sim, g, opts)))
		return rc;
	uncal = res.execution_ms;
	P = (double)res.executors * res.cores_per_executor;
	n = g->n;
	if ((rc = gdfo__sim_reserve((void **)&cal->st, &cal->cap, n ? n : 1, sizeof(*cal->st))))
		return rc;
	heap = gdfo__calloc(P < 100000 ? (size_t)P : 100000, sizeof(double));
	if (!heap)
		return GDFO_ENOMEM;
	for (i = 0; i < gdfo_telemetry_stage_count(t); i++) {
		gdfo_stage_telemetry rec = {.version = GDFO_STAGE_TELEMETRY_VERSION};
		size_t gi;
		const gdfo__mstage *m;
		double tn, tb, nt, T, F, W, V, Vm;
		gdfo__cal_stage *e;

		if ((rc = gdfo_telemetry_stage_at(&rec, t, i)))
			goto out;
		gi = gdfo__graph_index(g, rec.stage_id);
		if (gi == (size_t)-1) {
			cal->info.records_unmatched++;
			continue;
		}
		m = &sim->ms[gi];
		T = m->tasks;
		if (gdfo__cal_find(cal, rec.stage_id) || !fit_tasks(&tn, &tb, &nt, &rec, T, P, heap))
			continue;
		F = m->fixed_ms;
		/* the measured work, whatever the model's partition count */
		W = nt > 1 ? (nt - 1) * tn + tb : tb;
		V = W - T * F > 0 ? W - T * F : 0;
		Vm = T > 1 ? (T - 1) * (m->t_norm - F) + (m->t_big - F) : m->t_big - F;
		if (Vm < 0)
			Vm = 0;
		e = &cal->st[cal->n];
		e->id = rec.stage_id;
		e->measured_ms = W;
		e->model_ms = Vm + T * F;
		if (Vm > 1e-6) {
			e->rate = V / Vm;
			e->add_ms = 0;
			sum_meas += V;
			sum_model += Vm;
		} else {
			e->rate = 1;
			e->add_ms = V - Vm;
		}
		e->skew = T > 1 && V > 0 ? (tb - F) / (V / T) : 1;
		if (!(e->skew >= 1))
			e->skew = 1;
		if (e->skew > T)
			e->skew = T;
		cal->n++;
		/* keep sorted for gdfo__cal_find (ids of a graph are unique) */
		qsort(cal->st, cal->n, sizeof(*cal->st), cmp_id);
		matched++;
	}
	if ((rc = gdfo_telemetry_get_run(&run, t)))
		goto out;
	if (matched == 0 && run.latency_ms < 0) {
		rc = gdfo__error(GDFO_ENOTFOUND, "telemetry: no stage record matches a stage of pipeline '%s' and the run's latency is unknown: nothing to calibrate",
				 g->name);
		goto out;
	}
	cal->rate = sum_model > 0 ? sum_meas / sum_model : 1;
	cal->overhead_ms = sim->cluster.executor_start_ms;
	cal->active = 1;
	if ((rc = gdfo_sim_run_graph(&res, sim, g, opts)))
		goto out;
	cal->info.active = 1;
	cal->info.stages = (int32_t)n;
	cal->info.stages_calibrated = (int32_t)matched;
	cal->info.rate = cal->rate;
	cal->info.uncalibrated_execution_ms = uncal;
	cal->info.execution_ms = res.execution_ms;
	cal->info.measured_latency_ms = run.latency_ms >= 0 ? run.latency_ms : -1;
	if (run.latency_ms >= 0) {
		cal->overhead_ms = run.latency_ms > res.execution_ms ? run.latency_ms - res.execution_ms : 0;
		cal->info.overhead_fitted = 1;
		/* the handle's last result is the calibrated run of g */
		if ((rc = gdfo_sim_run_graph(&res, sim, g, opts)))
			goto out;
	}
	cal->info.overhead_ms = cal->overhead_ms;
out:
	free(heap);
	return rc;
}

int gdfo_sim_calibrate(gdfo_sim_calibration *out, gdfo_sim *sim, const gdfo_graph *graph,
		       const gdfo_telemetry *telemetry, const gdfo_sim_options *opts)
{
	gdfo_sim_options o;
	int rc;

	if (!sim || (!graph && telemetry))
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_calibrate: %s is NULL", sim ? "graph" : "sim");
	if (out && (rc = gdfo__abi_check(out, GDFO__ABI_SIM_CALIBRATION, "gdfo_sim_calibrate")))
		return rc;
	gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
	if (opts && (rc = gdfo__abi_in(&o, opts, &o, GDFO__ABI_SIM_OPTIONS, "gdfo_sim_calibrate")))
		return rc;
	if ((rc = gdfo__sim_check_options(&o)))
		return rc;
	o.batches = 0; /* telemetry measures one run */
	gdfo__cal_reset(&sim->cal);
	if (telemetry && (rc = calibrate(sim, graph, telemetry, &o))) {
		gdfo__cal_reset(&sim->cal);
		sim->have_result = 0;
		return rc;
	}
	return out ? gdfo__abi_out(out, &sim->cal.info, GDFO__ABI_SIM_CALIBRATION, "gdfo_sim_calibrate") : 0;
}

int gdfo_sim_get_calibration(gdfo_sim_calibration *out, const gdfo_sim *sim)
{
	gdfo_sim_calibration none;

	if (!out || !sim)
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_get_calibration: NULL argument");
	if (sim->cal.info.version)
		return gdfo__abi_out(out, &sim->cal.info, GDFO__ABI_SIM_CALIBRATION, "gdfo_sim_get_calibration");
	memset(&none, 0, sizeof(none));
	none.version = GDFO_SIM_CALIBRATION_VERSION;
	none.measured_latency_ms = none.execution_ms = none.uncalibrated_execution_ms = none.overhead_ms = -1;
	none.rate = 1;
	return gdfo__abi_out(out, &none, GDFO__ABI_SIM_CALIBRATION, "gdfo_sim_get_calibration");
}

static void jnum(gdfo__jsonw *w, const char *key, double v)
{
	gdfo__jsonw_raw(w, ", \"%s\": ", key);
	gdfo__jsonw_number(w, v, 10, key);
}

void gdfo__cal_json(gdfo__jsonw *w, const gdfo__cal *cal)
{
	size_t i;

	gdfo__jsonw_raw(w, "{\"calibrated\": %s", cal->active ? "true" : "false");
	if (!cal->active) {
		gdfo__jsonw_raw(w, "}");
		return;
	}
	gdfo__jsonw_raw(w, ", \"stages\": %d, \"stages_calibrated\": %d, \"records_unmatched\": %d",
			cal->info.stages, cal->info.stages_calibrated, cal->info.records_unmatched);
	gdfo__jsonw_raw(w, ", \"overhead\": \"%s\"", cal->info.overhead_fitted ? "fitted" : "model");
	jnum(w, "overhead_ms", cal->info.overhead_ms);
	if (cal->info.measured_latency_ms >= 0)
		jnum(w, "measured_latency_ms", cal->info.measured_latency_ms);
	jnum(w, "execution_ms", cal->info.execution_ms);
	jnum(w, "uncalibrated_execution_ms", cal->info.uncalibrated_execution_ms);
	jnum(w, "rate", cal->info.rate);
	gdfo__jsonw_raw(w, ", \"stage_factors\": [");
	for (i = 0; i < cal->n; i++) {
		const gdfo__cal_stage *e = &cal->st[i];
		gdfo__jsonw_raw(w, "%s\n  {\"id\": %lld", i ? "," : "", (long long)e->id);
		jnum(w, "rate", e->rate);
		jnum(w, "added_ms", e->add_ms);
		jnum(w, "skew", e->skew);
		jnum(w, "fitted_work_ms", e->measured_ms);
		jnum(w, "model_work_ms", e->model_ms);
		gdfo__jsonw_raw(w, "}");
	}
	gdfo__jsonw_raw(w, "]}");
}

int gdfo_sim_calibration_to_json(char **out, const gdfo_sim *sim)
{
	gdfo__jsonw w = {0};
	int rc;

	if (out)
		*out = NULL;
	if (!out || !sim)
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_calibration_to_json: NULL argument");
	gdfo__cal_json(&w, &sim->cal);
	gdfo__jsonw_raw(&w, "\n");
	if ((rc = gdfo__jsonw_finish(&w, out)))
		return gdfo__error_prefix(rc, "calibration");
	return 0;
}
