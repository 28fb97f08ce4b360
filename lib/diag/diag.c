/*
 * The diagnosis handle: the three entry points, the what-if table, the
 * getters and the JSON and conf renderings. docs/advisor.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/abi.h"
#include "core/json_write.h"
#include "diag/diag_internal.h"

static const char *const kind_names[GDFO_FINDING_KIND_COUNT] = {
	"task_skew", "data_skew", "spill", "gc", "memory_pressure", "memory_unused", "task_failures",
	"stage_failures", "executor_lost", "stragglers", "idle_executors", "tiny_tasks", "huge_tasks",
	"small_files", "driver_time", "broadcast", "executor_imbalance", "configuration", "engine",
	"long_tasks", "shuffle_partitions", "max_partition_bytes"};
static const char *const severity_names[] = {"none", "low", "moderate", "severe", "critical"};
static const char *const engine_names[] = {"spark", "rapids", "photon"};

const char *gdfo_finding_kind_name(int kind)
{
	return kind >= 0 && kind < GDFO_FINDING_KIND_COUNT ? kind_names[kind] : NULL;
}

const char *gdfo_severity_name(int severity)
{
	return severity >= 0 && severity <= GDFO_SEVERITY_CRITICAL ? severity_names[severity] : NULL;
}

const char *gdfo_engine_name(int engine)
{
	return engine >= 0 && engine <= GDFO_ENGINE_PHOTON ? engine_names[engine] : NULL;
}

static const gdfo_diag_options diag_defaults = {
	.version = GDFO_DIAG_OPTIONS_VERSION,
	.whatif_min_pct = 10,
	.whatif_max_pct = 500,
	.min_severity = GDFO_SEVERITY_LOW,
};

int gdfo_diag_options_init(gdfo_diag_options *opts, unsigned int version)
{
	return gdfo__abi_init(opts, version, &diag_defaults, GDFO__ABI_DIAG_OPTIONS, "gdfo_diag_options_init");
}

double gdfo__diag_score(const gdfo_objective *o, double lat, double cost, double lat0, double cost0)
{
	double s = 0, w = o->throughput_weight + o->latency_weight + o->cost_weight;
	if (lat > 0 && lat0 > 0)
		s += o->throughput_weight * (lat0 / lat - 1) - o->latency_weight * (lat / lat0 - 1);
	if (cost0 > 0)
		s -= o->cost_weight * (cost / cost0 - 1);
	if (o->slo_ms > 0 && lat > o->slo_ms)
		s -= o->failure_penalty;
	if (o->cost_ceiling > 0 && cost > o->cost_ceiling)
		s -= o->failure_penalty;
	return w > 0 ? s / w : s;
}

void gdfo_diagnosis_free(gdfo_diagnosis *d)
{
	size_t i;
	if (!d)
		return;
	for (i = 0; i < d->n_f; i++) {
		free(d->f[i].evidence);
		free(d->f[i].fix);
		free(d->f[i].key);
	}
	for (i = 0; i < d->n_a; i++) {
		free(d->a[i].key);
		free(d->a[i].value);
		free(d->a[i].log_value);
		free(d->a[i].comment);
	}
	for (i = 0; i < GDFO__TW_COUNT; i++)
		free(d->tw[i]);
	free(d->f);
	free(d->a);
	free(d->w);
	free(d->app_name);
	free(d->engine_note);
	free(d);
}

static int diag_new(gdfo_diagnosis **out, const gdfo_diag_options *opts, const char *func)
{
	gdfo_diagnosis *d;
	int rc;

	*out = NULL;
	if (!(d = gdfo__calloc(1, sizeof(*d))))
		return GDFO_ENOMEM;
	if ((rc = gdfo__abi_in(&d->opts, opts ? (const void *)opts : &diag_defaults, &diag_defaults,
			       GDFO__ABI_DIAG_OPTIONS, func))) {
		free(d);
		return rc;
	}
	if (d->opts.whatif_min_pct < 1 || d->opts.whatif_min_pct > 10000 || d->opts.whatif_max_pct < d->opts.whatif_min_pct ||
	    d->opts.whatif_max_pct > 10000) {
		int lo = d->opts.whatif_min_pct, hi = d->opts.whatif_max_pct;
		free(d);
		return gdfo__error(GDFO_EINVAL, "%s: whatif_min_pct and whatif_max_pct must satisfy 1 <= min <= max <= 10000 (got %d and %d)",
				   func, lo, hi);
	}
	if (d->opts.min_severity < GDFO_SEVERITY_NONE || d->opts.min_severity > GDFO_SEVERITY_CRITICAL) {
		int sv = d->opts.min_severity;
		free(d);
		return gdfo__error(GDFO_EINVAL, "%s: min_severity must be 0..4, not %d", func, sv);
	}
	gdfo_objective_init(&d->objective, GDFO_OBJECTIVE_VERSION);
	if (d->opts.objective) {
		if ((rc = gdfo_objective_validate(d->opts.objective)) ||
		    (rc = gdfo__abi_in(&d->objective, d->opts.objective, &d->objective, GDFO__ABI_OBJECTIVE, func))) {
			free(d);
			return gdfo__error_prefix(rc, "%s: objective", func);
		}
	}
	gdfo_sim_cluster_init(&d->cluster, GDFO_SIM_CLUSTER_VERSION);
	if (d->opts.cluster) {
		if ((rc = gdfo_sim_cluster_validate(d->opts.cluster)) ||
		    (rc = gdfo__abi_in(&d->cluster, d->opts.cluster, &d->cluster, GDFO__ABI_SIM_CLUSTER, func))) {
			free(d);
			return gdfo__error_prefix(rc, "%s: cluster", func);
		}
	}
	d->opts.objective = NULL;
	d->opts.cluster = NULL;
	d->sum.version = GDFO_DIAG_SUMMARY_VERSION;
	d->sum.executor_memory_bytes = -1;
	d->sum.measured_latency_ms = d->sum.measured_cost = d->sum.model_latency_ms = -1;
	d->sum.advised_latency_ms = d->sum.advised_cost = -1;
	*out = d;
	return 0;
}

/* ---- what-if ------------------------------------------------------------------------------ */

static const int whatif_pct[] = {10, 25, 50, 75, 100, 125, 150, 200, 250, 300, 400, 500};

int gdfo__diag_whatif(gdfo_diagnosis *d, gdfo__model *m)
{
	int32_t es[64];
	size_t n = 0, i, k, best = 0;
	double *plain, lat0 = 0, cost0 = 0, best_score = -1e300;
	int rc = 0, have_own = 0;

	for (i = 0; i < GDFO__ARRAY_LEN(whatif_pct); i++) {
		int pct = whatif_pct[i];
		int32_t e;
		if (pct < d->opts.whatif_min_pct || pct > d->opts.whatif_max_pct)
			continue;
		e = (int32_t)floor((double)m->E0 * pct / 100.0 + 0.5);
		if (e < 1)
			e = 1;
		if (e > GDFO_PROFILE_EXECUTORS_MAX)
			e = GDFO_PROFILE_EXECUTORS_MAX;
		if (n && es[n - 1] == e)
			continue;
		es[n++] = e;
	}
	/* the ends of a custom range and the observed count */
	for (k = 0; k < 3; k++) {
		int32_t e = k == 0 ? (int32_t)ceil((double)m->E0 * d->opts.whatif_min_pct / 100.0)
			  : k == 1 ? (int32_t)floor((double)m->E0 * d->opts.whatif_max_pct / 100.0)
				   : m->E0;
		int dup = 0;
		if (e < 1)
			e = 1;
		if (k < 2 && n >= 40)
			continue;
		if (k == 2 && (m->E0 * 100 < (int64_t)m->E0 * d->opts.whatif_min_pct ||
			       m->E0 * 100 > (int64_t)m->E0 * d->opts.whatif_max_pct))
			continue;
		for (i = 0; i < n; i++)
			dup |= es[i] == e;
		if (!dup)
			es[n++] = e;
	}
	for (i = 1; i < n; i++) /* insertion sort */
		for (k = i; k > 0 && es[k - 1] > es[k]; k--) {
			int32_t t = es[k];
			es[k] = es[k - 1];
			es[k - 1] = t;
		}
	if (!(d->w = gdfo__calloc(n ? n : 1, sizeof(*d->w))) || !(plain = gdfo__malloc((n ? n : 1) * sizeof(double))))
		return GDFO_ENOMEM;
	if ((rc = gdfo__model_eval(&lat0, &cost0, &plain[0], m, m->E0, m->C, NULL)))
		goto done;
	for (i = 0; i < n; i++) {
		double l, c, u, lp, cp, up, exec, exec_plain;
		gdfo_whatif_point *w = &d->w[i];
		m->no_net = 1;
		rc = gdfo__model_eval(&lp, &cp, &up, m, es[i], m->C, NULL);
		m->no_net = 0;
		if (rc || (rc = gdfo__model_eval(&l, &c, &u, m, es[i], m->C, NULL)))
			goto done;
		/*
		 * The replay schedules greedily, and greedy list schedules can get
		 * longer with more machines (Graham's anomaly); a scheduler with
		 * more executors can always do what it did with fewer, so the
		 * network-free execution time is made non-increasing in E and the
		 * network share applied to it as a factor.
		 */
		exec_plain = lp - m->fixed_ms;
		if (i > 0 && plain[i - 1] < exec_plain)
			exec_plain = plain[i - 1];
		plain[i] = exec_plain;
		exec = lp - m->fixed_ms > 0 ? exec_plain * (l - m->fixed_ms) / (lp - m->fixed_ms) : l - m->fixed_ms;
		w->version = GDFO_WHATIF_POINT_VERSION;
		w->executors = es[i];
		w->latency_ms = m->fixed_ms + exec;
		w->utilization = exec > 0 ? u * (l - m->fixed_ms) / exec : u;
		if (w->utilization > 1)
			w->utilization = 1;
		w->cost = (double)es[i] * (w->latency_ms + m->cluster.executor_start_ms) / 1000.0 * gdfo__model_price(m, m->C);
		w->observed = es[i] == m->E0;
		have_own |= w->observed;
		if (w->observed) {
			lat0 = w->latency_ms;
			cost0 = w->cost;
		}
	}
	for (i = 0; i < n; i++) {
		double s = gdfo__diag_score(&d->objective, d->w[i].latency_ms, d->w[i].cost, lat0, cost0);
		/* prefer the observed count on ties, then fewer executors */
		if (s > best_score + 1e-9 || (fabs(s - best_score) <= 1e-9 && d->w[i].observed)) {
			best_score = s;
			best = i;
		}
	}
	if (n)
		d->w[best].recommended = 1;
	d->n_w = n;
	(void)have_own;
done:
	free(plain);
	return rc;
}

/* ---- entry points ----------------------------------------------------------------------- */

static int cmp_finding(const void *a, const void *b)
{
	const gdfo__finding *x = a, *y = b;
	/* gains closer than a tenth of a second are a tie */
	double gx = floor(x->pub.gain_ms / 100), gy = floor(y->pub.gain_ms / 100);
	if (gx != gy)
		return gx > gy ? -1 : 1;
	if (x->pub.severity != y->pub.severity)
		return x->pub.severity > y->pub.severity ? -1 : 1;
	if (x->pub.gain_cost != y->pub.gain_cost)
		return x->pub.gain_cost > y->pub.gain_cost ? -1 : 1;
	return x->pub.kind < y->pub.kind ? -1 : x->pub.kind > y->pub.kind;
}

static const char *engine_note(int engine, int has_model)
{
	switch (engine) {
	case GDFO_ENGINE_RAPIDS:
		return "RAPIDS (GPU) run: the advice covers Spark's own keys (executors, memory, partitions, AQE) from the measured GPU task times; GPU keys (spark.rapids.*, GPU counts, concurrent GPU tasks, pinned memory) are not advised: use the spark-rapids AutoTuner for them";
	case GDFO_ENGINE_PHOTON:
		return "Photon run: the advice covers Spark's own keys from the measured task times; Photon's native engine and its memory are not modelled";
	default:
		return has_model ? "Spark run: the advice covers executors, memory, partitions, broadcast and AQE settings"
				 : "no task times: findings only";
	}
}

static int finish(gdfo_diagnosis *d, const gdfo__facts *f, gdfo__model *m)
{
	int rc;
	if ((rc = gdfo__diag_find(d, f, m)))
		return rc;
	if (d->n_f)
		qsort(d->f, d->n_f, sizeof(*d->f), cmp_finding);
	if (m && (rc = gdfo__diag_whatif(d, m)))
		return rc;
	/* idle executors: the effect of the recommended count */
	if (d->n_w) {
		size_t i, k, obs = 0, rec = 0;
		for (k = 0; k < d->n_w; k++) {
			if (d->w[k].observed)
				obs = k;
			if (d->w[k].recommended)
				rec = k;
		}
		for (i = 0; i < d->n_f; i++)
			if (d->f[i].pub.kind == GDFO_FINDING_IDLE_EXECUTORS && d->w[obs].observed) {
				double g = d->w[obs].latency_ms - d->w[rec].latency_ms;
				d->f[i].pub.gain_ms = g > 0 ? g : 0;
				d->f[i].pub.gain_cost = d->w[obs].cost - d->w[rec].cost;
			}
		if (d->n_f)
			qsort(d->f, d->n_f, sizeof(*d->f), cmp_finding);
	}
	if ((rc = gdfo__diag_advise(d, f, m)))
		return rc;
	d->sum.engine = f->engine;
	d->sum.executors = f->executors;
	d->sum.cores_per_executor = f->cores;
	d->sum.executor_memory_bytes = f->exec_mem;
	d->sum.measured_latency_ms = f->app_ms;
	d->sum.findings = (int32_t)d->n_f;
	if (!(d->app_name = gdfo__strdup(f->app_name ? f->app_name : "")) ||
	    !(d->engine_note = gdfo__strdup(f->source == 1 ? "job profile: findings from the task times and byte counters; the advice covers the executor count only"
							 : f->source == 2 ? "telemetry: findings from the stage records; no task times, no advice"
									  : engine_note(f->engine, m != NULL))))
		return GDFO_ENOMEM;
	return 0;
}

int gdfo_diagnose_eventlog(gdfo_diagnosis **out, const char *path, const gdfo_diag_options *opts)
{
	gdfo_diagnosis *d = NULL;
	gdfo_eventlog *log = NULL;
	gdfo_profile *prof = NULL;
	gdfo__facts f;
	gdfo__model m;
	int rc, have_model = 0;

	memset(&f, 0, sizeof(f));
	memset(&m, 0, sizeof(m));
	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_diagnose_eventlog: out is NULL");
	*out = NULL;
	if (!path)
		return gdfo__error(GDFO_EINVAL, "gdfo_diagnose_eventlog: path is NULL");
	if ((rc = diag_new(&d, opts, "gdfo_diagnose_eventlog")))
		return rc;
	if ((rc = gdfo_eventlog_read(&log, path, NULL)) || (rc = gdfo__facts_from_log(&f, path, log)))
		goto fail;
	rc = gdfo_eventlog_profile(&prof, log);
	if (rc == GDFO_ENOTFOUND) {
		rc = 0;
	} else if (rc) {
		goto fail;
	} else {
		const char *aqe = gdfo_eventlog_config(log, "spark.sql.adaptive.enabled");
		const char *co = gdfo_eventlog_config(log, "spark.sql.adaptive.coalescePartitions.enabled");
		const char *pf = gdfo_eventlog_config(log, "spark.sql.adaptive.coalescePartitions.parallelismFirst");
		const char *sp = gdfo_eventlog_config(log, "spark.sql.shuffle.partitions");
		const char *mpb = gdfo_eventlog_config(log, "spark.sql.files.maxPartitionBytes");
		/* AQE coalescing that follows the cores: on unless a key turns it off; unknown when unset */
		int on = aqe ? !strcmp(aqe, "true") : f.aqe_default ? 1 : -1;
		if ((co && !strcmp(co, "false")) || (pf && !strcmp(pf, "false")))
			on = 0;
		if ((rc = gdfo__model_init(&m, prof, &d->cluster, f.app_ms, f.exec_mem > 0 ? f.exec_mem : -1, on,
					   sp && atoi(sp) > 0 ? atoi(sp) : 0, mpb ? (double)gdfo__spark_bytes(mpb, 1) : 0)))
			goto fail;
		have_model = 1;
	}
	if ((rc = finish(d, &f, have_model ? &m : NULL)))
		goto fail;
	gdfo__model_free(&m);
	gdfo_profile_free(prof);
	gdfo__facts_free(&f);
	gdfo_eventlog_free(log);
	*out = d;
	return 0;
fail:
	gdfo__model_free(&m);
	gdfo_profile_free(prof);
	gdfo__facts_free(&f);
	gdfo_eventlog_free(log);
	gdfo_diagnosis_free(d);
	return rc;
}

int gdfo_diagnose_profile(gdfo_diagnosis **out, const gdfo_profile *profile, const gdfo_diag_options *opts)
{
	gdfo_diagnosis *d = NULL;
	gdfo__facts f;
	gdfo__model m;
	int rc;

	memset(&f, 0, sizeof(f));
	memset(&m, 0, sizeof(m));
	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_diagnose_profile: out is NULL");
	*out = NULL;
	if (!profile)
		return gdfo__error(GDFO_EINVAL, "gdfo_diagnose_profile: profile is NULL");
	if (!gdfo_profile_stage_count(profile))
		return gdfo__error(GDFO_EINVAL, "gdfo_diagnose_profile: profile '%s' has no stages", gdfo_profile_name(profile));
	if ((rc = diag_new(&d, opts, "gdfo_diagnose_profile")))
		return rc;
	if ((rc = gdfo__facts_from_profile(&f, profile)) ||
	    (rc = gdfo__model_init(&m, profile, &d->cluster, -1, -1, -1, 0, 0)) || (rc = finish(d, &f, &m)))
		goto fail;
	gdfo__model_free(&m);
	gdfo__facts_free(&f);
	*out = d;
	return 0;
fail:
	gdfo__model_free(&m);
	gdfo__facts_free(&f);
	gdfo_diagnosis_free(d);
	return rc;
}

int gdfo_diagnose_telemetry(gdfo_diagnosis **out, const gdfo_telemetry *telemetry, const gdfo_diag_options *opts)
{
	gdfo_diagnosis *d = NULL;
	gdfo__facts f;
	int rc;

	memset(&f, 0, sizeof(f));
	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_diagnose_telemetry: out is NULL");
	*out = NULL;
	if (!telemetry)
		return gdfo__error(GDFO_EINVAL, "gdfo_diagnose_telemetry: telemetry is NULL");
	if ((rc = diag_new(&d, opts, "gdfo_diagnose_telemetry")))
		return rc;
	if ((rc = gdfo__facts_from_telemetry(&f, telemetry)) || (rc = finish(d, &f, NULL))) {
		gdfo__facts_free(&f);
		gdfo_diagnosis_free(d);
		return rc;
	}
	gdfo__facts_free(&f);
	*out = d;
	return 0;
}

/* ---- getters ------------------------------------------------------------------------------- */

int gdfo_diagnosis_summary(gdfo_diag_summary *out, const gdfo_diagnosis *d)
{
	gdfo_diag_summary s;
	if (!d)
		return gdfo__error(GDFO_EINVAL, "gdfo_diagnosis_summary: diagnosis is NULL");
	s = d->sum;
	s.app_name = d->app_name;
	s.engine_note = d->engine_note;
	return gdfo__abi_out(out, &s, GDFO__ABI_DIAG_SUMMARY, "gdfo_diagnosis_summary");
}

size_t gdfo_diagnosis_finding_count(const gdfo_diagnosis *d)
{
	return d ? d->n_f : 0;
}

int gdfo_diagnosis_finding_at(gdfo_finding *out, const gdfo_diagnosis *d, size_t index)
{
	gdfo_finding x;
	if (!d)
		return gdfo__error(GDFO_EINVAL, "gdfo_diagnosis_finding_at: diagnosis is NULL");
	if (index >= d->n_f)
		return gdfo__error(GDFO_ERANGE, "gdfo_diagnosis_finding_at: index %zu, the diagnosis has %zu findings", index, d->n_f);
	x = d->f[index].pub;
	x.evidence = d->f[index].evidence;
	x.fix = d->f[index].fix;
	x.key = d->f[index].key;
	return gdfo__abi_out(out, &x, GDFO__ABI_FINDING, "gdfo_diagnosis_finding_at");
}

size_t gdfo_diagnosis_advice_count(const gdfo_diagnosis *d)
{
	return d ? d->n_a : 0;
}

int gdfo_diagnosis_advice_at(gdfo_advice *out, const gdfo_diagnosis *d, size_t index)
{
	gdfo_advice x;
	if (!d)
		return gdfo__error(GDFO_EINVAL, "gdfo_diagnosis_advice_at: diagnosis is NULL");
	if (index >= d->n_a)
		return gdfo__error(GDFO_ERANGE, "gdfo_diagnosis_advice_at: index %zu, the diagnosis has %zu advice entries", index, d->n_a);
	x = d->a[index].pub;
	x.key = d->a[index].key;
	x.value = d->a[index].value;
	x.log_value = d->a[index].log_value;
	x.comment = d->a[index].comment;
	return gdfo__abi_out(out, &x, GDFO__ABI_ADVICE, "gdfo_diagnosis_advice_at");
}

size_t gdfo_diagnosis_whatif_count(const gdfo_diagnosis *d)
{
	return d ? d->n_w : 0;
}

int gdfo_diagnosis_whatif_at(gdfo_whatif_point *out, const gdfo_diagnosis *d, size_t index)
{
	if (!d)
		return gdfo__error(GDFO_EINVAL, "gdfo_diagnosis_whatif_at: diagnosis is NULL");
	if (index >= d->n_w)
		return gdfo__error(GDFO_ERANGE, "gdfo_diagnosis_whatif_at: index %zu, the table has %zu points", index, d->n_w);
	return gdfo__abi_out(out, &d->w[index], GDFO__ABI_WHATIF_POINT, "gdfo_diagnosis_whatif_at");
}

/* ---- renderings ---------------------------------------------------------------------------- */

static void num_or_null(gdfo__jsonw *w, double v, const char *what)
{
	if (v < 0)
		gdfo__jsonw_raw(w, "null");
	else
		gdfo__jsonw_number(w, v, 6, what);
}

static void write_whatif(gdfo__jsonw *w, const gdfo_diagnosis *d)
{
	size_t i, rec = 0;
	gdfo__jsonw_raw(w, "\"what_if\": [");
	for (i = 0; i < d->n_w; i++) {
		const gdfo_whatif_point *p = &d->w[i];
		if (p->recommended)
			rec = i;
		gdfo__jsonw_raw(w, "%s{\"executors\": %d, \"latency_ms\": ", i ? ", " : "", p->executors);
		gdfo__jsonw_number(w, floor(p->latency_ms + 0.5), 0, "latency_ms");
		gdfo__jsonw_raw(w, ", \"cost\": ");
		gdfo__jsonw_number(w, p->cost, 6, "cost");
		gdfo__jsonw_raw(w, ", \"utilization\": ");
		gdfo__jsonw_number(w, p->utilization, 4, "utilization");
		gdfo__jsonw_raw(w, "}");
	}
	gdfo__jsonw_raw(w, "], \"recommended\": ");
	if (!d->n_w) {
		gdfo__jsonw_raw(w, "null");
		return;
	}
	gdfo__jsonw_raw(w, "{\"executors\": %d, \"latency_ms\": ", d->w[rec].executors);
	gdfo__jsonw_number(w, floor(d->w[rec].latency_ms + 0.5), 0, "latency_ms");
	gdfo__jsonw_raw(w, ", \"cost\": ");
	gdfo__jsonw_number(w, d->w[rec].cost, 6, "cost");
	gdfo__jsonw_raw(w, "}");
}

int gdfo_diagnosis_to_json(char **out, const gdfo_diagnosis *d, unsigned int parts)
{
	gdfo__jsonw w = {0};
	size_t i;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_diagnosis_to_json: out is NULL");
	*out = NULL;
	if (!d || !(parts & 7u))
		return gdfo__error(GDFO_EINVAL, "gdfo_diagnosis_to_json: %s", d ? "parts names no part" : "diagnosis is NULL");
	if (parts == GDFO_DIAG_JSON_WHATIF) {
		gdfo__jsonw_raw(&w, "{");
		write_whatif(&w, d);
		gdfo__jsonw_raw(&w, "}");
		return gdfo__jsonw_finish(&w, out);
	}
	gdfo__jsonw_raw(&w, "{\"format\": \"gdfo-diagnosis/1\", \"summary\": {\"app_name\": ");
	gdfo__jsonw_string(&w, d->app_name ? d->app_name : "");
	gdfo__jsonw_raw(&w, ", \"engine\": \"%s\", \"engine_note\": ", gdfo_engine_name(d->sum.engine));
	gdfo__jsonw_string(&w, d->engine_note ? d->engine_note : "");
	gdfo__jsonw_raw(&w, ", \"executors\": %d, \"cores_per_executor\": %d, \"executor_memory_bytes\": ", d->sum.executors,
			d->sum.cores_per_executor);
	num_or_null(&w, (double)d->sum.executor_memory_bytes, "executor_memory_bytes");
	gdfo__jsonw_raw(&w, ", \"measured_latency_ms\": ");
	num_or_null(&w, d->sum.measured_latency_ms, "measured_latency_ms");
	gdfo__jsonw_raw(&w, ", \"measured_cost\": ");
	num_or_null(&w, d->sum.measured_cost, "measured_cost");
	gdfo__jsonw_raw(&w, ", \"model_latency_ms\": ");
	num_or_null(&w, d->sum.model_latency_ms, "model_latency_ms");
	gdfo__jsonw_raw(&w, ", \"advised_latency_ms\": ");
	num_or_null(&w, d->sum.advised_latency_ms, "advised_latency_ms");
	gdfo__jsonw_raw(&w, ", \"advised_cost\": ");
	num_or_null(&w, d->sum.advised_cost, "advised_cost");
	gdfo__jsonw_raw(&w, ", \"advised_executors\": %d}", d->sum.advised_executors);
	if (parts & GDFO_DIAG_JSON_FINDINGS) {
		gdfo__jsonw_raw(&w, ", \"findings\": [");
		for (i = 0; i < d->n_f; i++) {
			const gdfo__finding *x = &d->f[i];
			gdfo__jsonw_raw(&w, "%s{\"kind\": \"%s\", \"severity\": \"%s\", \"stage_id\": %lld, \"value\": ",
					i ? ", " : "", gdfo_finding_kind_name(x->pub.kind), gdfo_severity_name(x->pub.severity),
					(long long)x->pub.stage_id);
			gdfo__jsonw_number(&w, x->pub.value, 6, "value");
			gdfo__jsonw_raw(&w, ", \"threshold\": ");
			gdfo__jsonw_number(&w, x->pub.threshold, 6, "threshold");
			gdfo__jsonw_raw(&w, ", \"gain_ms\": ");
			gdfo__jsonw_number(&w, floor(x->pub.gain_ms + 0.5), 0, "gain_ms");
			gdfo__jsonw_raw(&w, ", \"gain_cost\": ");
			gdfo__jsonw_number(&w, x->pub.gain_cost, 6, "gain_cost");
			gdfo__jsonw_raw(&w, ", \"key\": ");
			gdfo__jsonw_string(&w, x->key);
			gdfo__jsonw_raw(&w, ", \"evidence\": ");
			gdfo__jsonw_string(&w, x->evidence);
			gdfo__jsonw_raw(&w, ", \"fix\": ");
			gdfo__jsonw_string(&w, x->fix);
			gdfo__jsonw_raw(&w, "}");
		}
		gdfo__jsonw_raw(&w, "]");
	}
	if (parts & GDFO_DIAG_JSON_ADVICE) {
		gdfo__jsonw_raw(&w, ", \"advice\": [");
		for (i = 0; i < d->n_a; i++) {
			const gdfo__advice *x = &d->a[i];
			gdfo__jsonw_raw(&w, "%s{\"key\": ", i ? ", " : "");
			gdfo__jsonw_string(&w, x->key);
			gdfo__jsonw_raw(&w, ", \"value\": ");
			gdfo__jsonw_string(&w, x->value);
			gdfo__jsonw_raw(&w, ", \"log_value\": ");
			if (x->log_value[0])
				gdfo__jsonw_string(&w, x->log_value);
			else
				gdfo__jsonw_raw(&w, "null");
			gdfo__jsonw_raw(&w, ", \"changed\": %s, \"stage_id\": %lld, \"comment\": ", x->pub.changed ? "true" : "false",
					(long long)x->pub.stage_id);
			gdfo__jsonw_string(&w, x->comment);
			gdfo__jsonw_raw(&w, "}");
		}
		gdfo__jsonw_raw(&w, "]");
	}
	if (parts & GDFO_DIAG_JSON_WHATIF) {
		gdfo__jsonw_raw(&w, ", ");
		write_whatif(&w, d);
	}
	gdfo__jsonw_raw(&w, "}");
	return gdfo__jsonw_finish(&w, out);
}

int gdfo_diagnosis_conf(char **out, const gdfo_diagnosis *d)
{
	gdfo__buf b = {0};
	size_t i, nconf = 0, k = 0;
	int rc = 0;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_diagnosis_conf: out is NULL");
	*out = NULL;
	if (!d)
		return gdfo__error(GDFO_EINVAL, "gdfo_diagnosis_conf: diagnosis is NULL");
	rc |= gdfo__buf_printf(&b, "# gdfo advise: %s\n", d->app_name && d->app_name[0] ? d->app_name : "(unnamed application)");
	rc |= gdfo__buf_printf(&b, "# %s\n", d->engine_note ? d->engine_note : "");
	if (d->sum.measured_latency_ms >= 0 && d->sum.advised_latency_ms >= 0)
		rc |= gdfo__buf_printf(&b, "# predicted: %.1f s and %.4f for the advised configuration; the run as measured: %.1f s, %.4f (model at its own configuration: %.1f s)\n",
				       d->sum.advised_latency_ms / 1000, d->sum.advised_cost, d->sum.measured_latency_ms / 1000,
				       d->sum.measured_cost, d->sum.model_latency_ms / 1000);
	for (i = 0; i < d->n_a; i++) {
		const gdfo__advice *a = &d->a[i];
		if (!strcmp(a->key, "hint"))
			rc |= gdfo__buf_printf(&b, "# hint (stage %lld): %s. %s\n", (long long)a->pub.stage_id, a->value, a->comment);
		else if (!a->pub.changed && !a->log_value[0])
			rc |= gdfo__buf_printf(&b, "# %s: not set in the log and left so (%s): %s\n", a->key, a->value, a->comment);
		else {
			rc |= gdfo__buf_printf(&b, "# %s: %s\n", a->key, a->comment);
			nconf++;
		}
	}
	for (i = 0; i < d->n_a; i++) {
		const gdfo__advice *a = &d->a[i];
		if (!strcmp(a->key, "hint") || (!a->pub.changed && !a->log_value[0]))
			continue;
		k++;
		rc |= gdfo__buf_printf(&b, "--conf %s=%s%s\n", a->key, a->value, k < nconf ? " \\" : "");
	}
	if (rc) {
		gdfo__buf_free(&b);
		return GDFO_ENOMEM;
	}
	return gdfo__buf_detach(&b, out);
}
