/*
 * The advisor: a Spark configuration for the next run of the application
 * (docs/advisor.md, "The advisor"). Each key starts at the log's value;
 * a change is kept only when a finding asks for it and the replay model
 * predicts it no worse under the objective; the changes together are
 * predicted once more, and when that is worse than the run's own
 * configuration every key falls back to the log's value.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag/diag_internal.h"

#define MIB (1024.0 * 1024.0)

static int add(gdfo_diagnosis *d, const char *key, const char *value, const char *log_value, int changed,
	       int64_t stage, const char *comment)
{
	gdfo__advice *a;
	if (gdfo__grow((void **)&d->a, &d->cap_a, d->n_a + 1, sizeof(*d->a)))
		return GDFO_ENOMEM;
	a = &d->a[d->n_a];
	memset(a, 0, sizeof(*a));
	a->key = gdfo__strdup(key);
	a->value = gdfo__strdup(value);
	a->log_value = gdfo__strdup(log_value ? log_value : "");
	a->comment = gdfo__strdup(comment);
	if (!a->key || !a->value || !a->log_value || !a->comment) {
		free(a->key);
		free(a->value);
		free(a->log_value);
		free(a->comment);
		return GDFO_ENOMEM;
	}
	a->pub.version = GDFO_ADVICE_VERSION;
	a->pub.changed = changed;
	a->pub.stage_id = stage;
	d->n_a++;
	return 0;
}

static const gdfo__finding *finding(const gdfo_diagnosis *d, int kind)
{
	size_t i;
	for (i = 0; i < d->n_f; i++)
		if (d->f[i].pub.kind == kind)
			return &d->f[i];
	return NULL;
}

/* "12g" style for bytes, rounded up to whole GiB above 1 GiB, else MiB. */
static void spark_size(char *buf, size_t cap, double bytes)
{
	if (bytes >= 1024 * MIB)
		snprintf(buf, cap, "%.0fg", ceil(bytes / (1024 * MIB)));
	else
		snprintf(buf, cap, "%.0fm", ceil(bytes / MIB));
}

/* Combined tweak arrays: a[i] then b[i] applied (scales multiply, minus add, the larger split / tasks). */
static void combine(gdfo__tweak *into, const gdfo__tweak *t, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		into[i].scale *= t[i].scale > 0 ? t[i].scale : 1;
		into[i].minus_ms += t[i].minus_ms;
		if (t[i].split_over > 0 && (into[i].split_over <= 0 || t[i].split_over < into[i].split_over))
			into[i].split_over = t[i].split_over;
		if (t[i].tasks > into[i].tasks)
			into[i].tasks = t[i].tasks;
	}
}

typedef struct cand {
	const char *key;
	char value[64];
	const char *log_value;
	char dflt[64];   /* the value kept when the change is not advised */
	int tw;          /* GDFO__TW_* the change brings, -1 none */
	double mem_mult; /* executor memory x this (cost) */
	int changed;
	char why[300];
} cand;

/* Evaluates the model with the candidate changes' tweaks on E executors. */
static int eval_with(double *lat, double *cost, gdfo_diagnosis *d, gdfo__model *m, const cand *c, size_t nc,
		     int32_t E, double mem_mult)
{
	gdfo__tweak *t = gdfo__calloc(m->n ? m->n : 1, sizeof(*t));
	double u, gib = m->gib_per_exec;
	size_t i;
	int rc;
	if (!t)
		return GDFO_ENOMEM;
	for (i = 0; i < m->n; i++)
		t[i].scale = 1;
	for (i = 0; i < nc; i++)
		if (c[i].changed && c[i].tw >= 0 && d->tw[c[i].tw])
			combine(t, d->tw[c[i].tw], m->n);
	m->gib_per_exec = gib * mem_mult;
	rc = gdfo__model_eval(lat, cost, &u, m, E, m->C, t);
	m->gib_per_exec = gib;
	free(t);
	return rc;
}

int gdfo__diag_advise(gdfo_diagnosis *d, const gdfo__facts *f, gdfo__model *m)
{
	cand c[16];
	size_t nc = 0, i;
	int32_t rec = f->executors;
	double lat0 = -1, cost0 = -1, lat = -1, cost = -1, rec_lat = -1, rec_cost = -1, mem_mult = 1;
	const char *da = gdfo__facts_conf(f, "spark.dynamicAllocation.enabled");
	const char *master = gdfo__facts_conf(f, "spark.master");
	int local = master && !strncmp(master, "local", 5);
	int dyn = da && !strcmp(da, "true");
	char buf[600];
	int rc;

	if (!m)
		return 0;
	if ((rc = gdfo__model_eval(&lat0, &cost0, &lat, m, m->E0, m->C, NULL)))
		return rc;
	d->sum.model_latency_ms = lat0;
	d->sum.measured_cost = cost0;
	d->sum.advised_latency_ms = lat0;
	d->sum.advised_cost = cost0;
	d->sum.advised_executors = m->E0;
	for (i = 0; i < d->n_w; i++)
		if (d->w[i].recommended) {
			rec = d->w[i].executors;
			rec_lat = d->w[i].latency_ms;
			rec_cost = d->w[i].cost;
		}
	if (!f->log) { /* profiles: the executor count only */
		snprintf(buf, sizeof(buf), "observed %d; what-if: %.1f s, %.4f at %d executors against %.1f s, %.4f at %d",
			 m->E0, rec_lat / 1000, rec_cost, rec, lat0 / 1000, cost0, m->E0);
		snprintf(c[0].value, sizeof(c[0].value), "%d", rec);
		if ((rc = add(d, "spark.executor.instances", c[0].value, "", rec != m->E0, -1, buf)))
			return rc;
		d->sum.advised_executors = rec;
		d->sum.advised_latency_ms = rec_lat;
		d->sum.advised_cost = rec_cost;
		return 0;
	}
	memset(c, 0, sizeof(c));
	/* executors */
	{
		cand *x = &c[nc++];
		x->key = dyn ? "spark.dynamicAllocation.maxExecutors" : "spark.executor.instances";
		x->log_value = gdfo__facts_conf(f, x->key);
		x->tw = -1;
		x->mem_mult = 1;
		snprintf(x->value, sizeof(x->value), "%d", rec);
		x->changed = rec != m->E0 || (!dyn && !local && (!x->log_value || atoi(x->log_value) != rec));
		if (rec != m->E0)
			snprintf(x->why, sizeof(x->why), "%d executors were used; the what-if table predicts %.1f s and %.4f at %d against %.1f s and %.4f",
				 m->E0, rec_lat / 1000, rec_cost, rec, lat0 / 1000, cost0);
		else
			snprintf(x->why, sizeof(x->why), "kept at the %d executors used: no count in the what-if table does better under the objective (%.1f s, %.4f)",
				 m->E0, lat0 / 1000, cost0);
		if (local) {
			size_t len = strlen(x->why);
			snprintf(x->why + len, sizeof(x->why) - len, "; local mode (%s): the count applies when the job moves to a cluster",
				 master);
		} else if (x->log_value && atoi(x->log_value) != m->E0 && !dyn) {
			size_t len = strlen(x->why);
			snprintf(x->why + len, sizeof(x->why) - len, "; the log asked for %s but ran %d", x->log_value, m->E0);
		}
	}
	/* executor memory: up for pressure, GC or spill; down when mostly unused */
	{
		const gdfo__finding *press = finding(d, GDFO_FINDING_MEMORY_PRESSURE), *gc = finding(d, GDFO_FINDING_GC),
				    *unused = finding(d, GDFO_FINDING_MEMORY_UNUSED), *sp = finding(d, GDFO_FINDING_SPILL);
		cand *x = &c[nc++];
		double mem = f->exec_mem > 0 ? (double)f->exec_mem : 1024 * MIB;
		x->key = "spark.executor.memory";
		x->log_value = gdfo__facts_conf(f, x->key);
		x->tw = -1;
		x->mem_mult = 1;
		spark_size(x->value, sizeof(x->value), mem);
		if (x->log_value)
			snprintf(x->value, sizeof(x->value), "%s", x->log_value);
		snprintf(x->dflt, sizeof(x->dflt), "%s", x->value);
		snprintf(x->why, sizeof(x->why), "kept: no memory pressure, GC or spill finding calls for a change");
		if (press || (gc && gc->pub.severity >= GDFO_SEVERITY_MODERATE) || (sp && sp->pub.severity >= GDFO_SEVERITY_MODERATE)) {
			x->mem_mult = 1.5;
			spark_size(x->value, sizeof(x->value), mem * 1.5);
			x->tw = sp ? GDFO__TW_SPILL : GDFO__TW_GC;
			x->changed = 1;
			snprintf(x->why, sizeof(x->why), "%s -> %s: %s", x->log_value ? x->log_value : "1g (default)", x->value,
				 press ? press->evidence : sp ? sp->evidence : gc->evidence);
		} else if (unused && f->max_heap_peak > 0) {
			double want = 1.3 * f->max_heap_peak;
			if (want < 1024 * MIB)
				want = 1024 * MIB;
			spark_size(x->value, sizeof(x->value), want);
			x->mem_mult = want / mem;
			x->changed = x->mem_mult < 0.95;
			snprintf(x->why, sizeof(x->why), "%s -> %s: %s", x->log_value ? x->log_value : "default", x->value, unused->evidence);
		}
	}
	/* memory overhead: containers killed for memory */
	{
		cand *x = &c[nc++];
		const gdfo__finding *lost = finding(d, GDFO_FINDING_EXECUTOR_LOST), *fail = finding(d, GDFO_FINDING_TASK_FAILURES);
		double mem = f->exec_mem > 0 ? (double)f->exec_mem : 1024 * MIB;
		double cur = f->exec_overhead > 0 ? (double)f->exec_overhead : fmax(384 * MIB, 0.1 * mem);
		int need = (lost && !strcmp(lost->key, "spark.executor.memoryOverhead")) ||
			   (fail && !strcmp(fail->key, "spark.executor.memoryOverhead"));
		x->key = "spark.executor.memoryOverhead";
		x->log_value = gdfo__facts_conf(f, x->key);
		x->tw = -1;
		x->mem_mult = 1;
		spark_size(x->dflt, sizeof(x->dflt), cur);
		if (x->log_value)
			snprintf(x->dflt, sizeof(x->dflt), "%s", x->log_value);
		spark_size(x->value, sizeof(x->value), need ? cur * 1.5 : cur);
		if (!need && x->log_value)
			snprintf(x->value, sizeof(x->value), "%s", x->log_value);
		x->changed = need;
		snprintf(x->why, sizeof(x->why), need ? "containers were killed for exceeding memory limits: one and a half times the overhead"
						      : "kept: no container was killed for memory");
	}
	/* shuffle partitions: the AutoTuner's spill rule, when the model agrees */
	{
		cand *x = &c[nc++];
		const gdfo__finding *sp = finding(d, GDFO_FINDING_SHUFFLE_PARTITIONS);
		const char *cur = gdfo__facts_conf(f, "spark.sql.shuffle.partitions");
		int n = cur && atoi(cur) > 0 ? atoi(cur) : 200;
		x->key = "spark.sql.shuffle.partitions";
		x->log_value = cur;
		x->tw = -1;
		x->mem_mult = 1;
		snprintf(x->value, sizeof(x->value), "%d", n);
		snprintf(x->dflt, sizeof(x->dflt), "%d", n);
		snprintf(x->why, sizeof(x->why), "kept: no shuffle stage spilled to disk");
		if (sp && d->has_tw[GDFO__TW_SP]) {
			snprintf(x->value, sizeof(x->value), "%d", 2 * n);
			x->tw = GDFO__TW_SP;
			x->changed = 1;
			snprintf(x->why, sizeof(x->why), "%d -> %d: %s", n, 2 * n, sp->evidence);
		} else if (sp) {
			snprintf(x->why, sizeof(x->why), "kept: %s", sp->fix);
		}
	}
	/* scans: maxPartitionBytes where tiny scan tasks waste launches */
	{
		cand *x = &c[nc++];
		const gdfo__finding *mp = finding(d, GDFO_FINDING_MAX_PARTITION_BYTES), *tiny = finding(d, GDFO_FINDING_TINY_TASKS);
		const char *cur = gdfo__facts_conf(f, "spark.sql.files.maxPartitionBytes");
		double curb = cur ? (double)gdfo__spark_bytes(cur, 1) : 128 * MIB;
		x->key = "spark.sql.files.maxPartitionBytes";
		x->log_value = cur;
		x->tw = -1;
		x->mem_mult = 1;
		spark_size(x->value, sizeof(x->value), curb);
		if (cur)
			snprintf(x->value, sizeof(x->value), "%s", cur);
		snprintf(x->dflt, sizeof(x->dflt), "%s", x->value);
		snprintf(x->why, sizeof(x->why), "kept: %s", mp ? "scan tasks are below the AutoTuner's 128 MiB, but the model predicts no gain from fewer scan tasks on this cluster" : "scan task input is in range");
		if (tiny && d->has_tw[GDFO__TW_TINY] && tiny->pub.gain_ms > 0) {
			spark_size(x->value, sizeof(x->value), curb * 2);
			x->tw = GDFO__TW_TINY;
			x->changed = 1;
			snprintf(x->why, sizeof(x->why), "%s -> %s: %s", cur ? cur : "128m (default)", x->value, tiny->evidence);
		}
	}
	/* broadcast threshold */
	{
		cand *x = &c[nc++];
		const gdfo__finding *bc = finding(d, GDFO_FINDING_BROADCAST);
		const char *cur = gdfo__facts_conf(f, "spark.sql.autoBroadcastJoinThreshold");
		x->key = "spark.sql.autoBroadcastJoinThreshold";
		x->log_value = cur;
		x->tw = -1;
		x->mem_mult = 1;
		snprintf(x->value, sizeof(x->value), "%s", cur ? cur : "10m");
		snprintf(x->dflt, sizeof(x->dflt), "%s", x->value);
		snprintf(x->why, sizeof(x->why), "kept: no sort-merge join with a small side, no oversized broadcast");
		if (bc && bc->pub.threshold >= 0 && bc->pub.severity == GDFO_SEVERITY_LOW) {
			/* the evidence has the small side in MiB */
			const char *p = strstr(bc->evidence, "only ");
			double mib = p ? atof(p + 5) : 0;
			if (mib > 0) {
				double want = pow(2, ceil(log2(mib * 1.25)));
				if (want > 100)
					want = 100;
				snprintf(x->value, sizeof(x->value), "%.0fm", want);
				x->changed = 1;
				snprintf(x->why, sizeof(x->why), "%s -> %s: %s (not modelled: the replay cannot change join strategies)",
					 cur ? cur : "10m (default)", x->value, bc->evidence);
			}
		} else if (bc) {
			snprintf(x->value, sizeof(x->value), "%s", bc->pub.severity == GDFO_SEVERITY_MODERATE ? "100m" : "10m");
			x->changed = 1;
			snprintf(x->why, sizeof(x->why), "%s", bc->evidence);
		}
	}
	/* AQE */
	{
		const char *ver = f->log ? NULL : NULL;
		const char *aqe = gdfo__facts_conf(f, "spark.sql.adaptive.enabled");
		const gdfo__finding *skew = finding(d, GDFO_FINDING_TASK_SKEW), *dskew = finding(d, GDFO_FINDING_DATA_SKEW);
		const gdfo__finding *tiny = finding(d, GDFO_FINDING_TINY_TASKS), *strag = finding(d, GDFO_FINDING_STRAGGLERS);
		cand *x = &c[nc++];
		(void)ver;
		x->key = "spark.sql.adaptive.enabled";
		x->log_value = aqe;
		x->tw = -1;
		x->mem_mult = 1;
		snprintf(x->value, sizeof(x->value), "true");
		x->changed = aqe ? strcmp(aqe, "true") != 0 : !f->aqe_default;
		snprintf(x->why, sizeof(x->why), x->changed ? "adaptive execution re-plans joins and partitions from the shuffle sizes (Spark 3.0 and later; not modelled)"
							    : aqe ? "kept: adaptive execution is on" : "kept: adaptive execution is on by default since Spark 3.2");
		x = &c[nc++];
		x->key = "spark.sql.adaptive.coalescePartitions.enabled";
		x->log_value = gdfo__facts_conf(f, x->key);
		x->tw = -1;
		x->mem_mult = 1;
		snprintf(x->value, sizeof(x->value), "true");
		x->changed = x->log_value && strcmp(x->log_value, "true");
		snprintf(x->why, sizeof(x->why), "%s", tiny ? tiny->evidence : "kept: coalescing small shuffle partitions is Spark's default");
		x = &c[nc++];
		x->key = "spark.sql.adaptive.skewJoin.enabled";
		x->log_value = gdfo__facts_conf(f, x->key);
		x->tw = -1;
		x->mem_mult = 1;
		snprintf(x->value, sizeof(x->value), "true");
		x->changed = x->log_value && strcmp(x->log_value, "true");
		if ((skew || dskew) && d->has_tw[GDFO__TW_SKEW]) {
			x->tw = GDFO__TW_SKEW;
			x->changed = 1;
			snprintf(x->why, sizeof(x->why), "%s", (dskew ? dskew : skew)->evidence);
		} else {
			snprintf(x->why, sizeof(x->why), "kept: no skewed stage");
		}
		x = &c[nc++];
		x->key = "spark.sql.adaptive.advisoryPartitionSizeInBytes";
		x->log_value = gdfo__facts_conf(f, x->key);
		x->tw = -1;
		x->mem_mult = 1;
		snprintf(x->value, sizeof(x->value), "%s", x->log_value ? x->log_value : "64m");
		snprintf(x->dflt, sizeof(x->dflt), "%s", x->value);
		snprintf(x->why, sizeof(x->why), "kept: coalesced partitions of this size suit the tasks measured");
		if (finding(d, GDFO_FINDING_SPILL) && d->has_tw[GDFO__TW_SP]) {
			snprintf(x->value, sizeof(x->value), "32m");
			x->changed = 1;
			snprintf(x->why, sizeof(x->why), "halved with the shuffle partitions: shuffle stages spilled");
		}
		x = &c[nc++];
		x->key = "spark.speculation";
		x->log_value = gdfo__facts_conf(f, x->key);
		x->tw = -1;
		x->mem_mult = 1;
		snprintf(x->value, sizeof(x->value), "%s", x->log_value ? x->log_value : "false");
		snprintf(x->dflt, sizeof(x->dflt), "%s", x->value);
		snprintf(x->why, sizeof(x->why), "kept: no straggler");
		if (strag && d->has_tw[GDFO__TW_STRAG] && (!x->log_value || strcmp(x->log_value, "true"))) {
			snprintf(x->value, sizeof(x->value), "true");
			x->tw = GDFO__TW_STRAG;
			x->changed = 1;
			snprintf(x->why, sizeof(x->why), "%s", strag->evidence);
		}
	}
	/* each change on its own must not be worse under the objective */
	for (i = 0; i < nc; i++)
		if (!c[i].dflt[0])
			snprintf(c[i].dflt, sizeof(c[i].dflt), "%s", c[i].log_value ? c[i].log_value : c[i].value);
	for (i = 1; i < nc; i++) {
		double l, co;
		if (!c[i].changed || (c[i].tw < 0 && c[i].mem_mult == 1))
			continue;
		if ((rc = eval_with(&l, &co, d, m, &c[i], 1, m->E0, c[i].mem_mult)))
			return rc;
		/* a change must be predicted better, not merely no worse: a key with no effect stays */
		if (gdfo__diag_score(&d->objective, l, co, lat0, cost0) <= 1e-4) {
			char was[sizeof(c[i].why)];
			snprintf(was, sizeof(was), "%s", c[i].why);
			c[i].changed = 0;
			snprintf(c[i].value, sizeof(c[i].value), "%s", c[i].dflt);
			snprintf(c[i].why, sizeof(c[i].why), "kept: the change considered was predicted %.1f s, %.4f against %.1f s, %.4f (%.200s)",
				 l / 1000, co, lat0 / 1000, cost0, was);
		} else {
			size_t len = strlen(c[i].why);
			snprintf(c[i].why + len, sizeof(c[i].why) - len, "; predicted %+.1f s, %+.4f on its own", (l - lat0) / 1000, co - cost0);
		}
	}
	/* the advisory partition size follows the shuffle partitions */
	for (i = 0; i < nc; i++)
		if (!strcmp(c[i].key, "spark.sql.adaptive.advisoryPartitionSizeInBytes") && c[i].changed) {
			size_t k;
			for (k = 0; k < nc; k++)
				if (!strcmp(c[k].key, "spark.sql.shuffle.partitions") && !c[k].changed) {
					c[i].changed = 0;
					snprintf(c[i].value, sizeof(c[i].value), "%s", c[i].dflt);
					snprintf(c[i].why, sizeof(c[i].why), "kept with the shuffle partitions");
				}
		}
	for (i = 0; i < nc; i++)
		if (c[i].changed)
			mem_mult *= c[i].mem_mult;
	if ((rc = eval_with(&lat, &cost, d, m, c, nc, c[0].changed ? rec : m->E0, mem_mult)))
		return rc;
	if (gdfo__diag_score(&d->objective, lat, cost, lat0, cost0) < -1e-9) {
		/* together worse: keep the run's own configuration */
		for (i = 0; i < nc; i++)
			if (c[i].changed) {
				size_t len = strlen(c[i].why);
				c[i].changed = 0;
				snprintf(c[i].value, sizeof(c[i].value), "%s", c[i].dflt);
				snprintf(c[i].why + len, sizeof(c[i].why) - len, "; kept: the changes together were predicted worse");
			}
		lat = lat0;
		cost = cost0;
		rec = m->E0;
	}
	d->sum.advised_latency_ms = lat;
	d->sum.advised_cost = cost;
	d->sum.advised_executors = c[0].changed ? rec : m->E0;
	for (i = 0; i < nc; i++) {
		const char *lv = c[i].log_value;
		int changed = c[i].changed && !(lv && !strcmp(lv, c[i].value));
		if (changed && lv) {
			size_t len = strlen(c[i].why);
			(void)len;
		}
		snprintf(buf, sizeof(buf), "%s%s", changed ? "" : (lv ? "" : ""), c[i].why);
		if ((rc = add(d, c[i].key, c[i].value, lv, changed, -1, buf)))
			return rc;
	}
	if (dyn) {
		const char *ess = gdfo__facts_conf(f, "spark.shuffle.service.enabled");
		const char *tr = gdfo__facts_conf(f, "spark.dynamicAllocation.shuffleTracking.enabled");
		if (!(ess && !strcmp(ess, "true")) && !(tr && !strcmp(tr, "true")) &&
		    (rc = add(d, "spark.dynamicAllocation.shuffleTracking.enabled", "true", tr, 1, -1,
			      "dynamic allocation needs the external shuffle service or shuffle tracking to remove executors safely")))
			return rc;
	}
	/* per-stage hints no global key expresses */
	for (i = 0; i < d->n_f; i++) {
		const gdfo__finding *x = &d->f[i];
		const char *hint = NULL;
		switch (x->pub.kind) {
		case GDFO_FINDING_TASK_SKEW:
		case GDFO_FINDING_DATA_SKEW:
			hint = "skewed key: salt it (add a random suffix and aggregate twice) or broadcast the small side of its join";
			break;
		case GDFO_FINDING_SMALL_FILES:
			hint = "small files: .coalesce(n) or .repartition(n) (or a REPARTITION hint) before the write so each file is 128 MiB or more";
			break;
		case GDFO_FINDING_HUGE_TASKS:
		case GDFO_FINDING_LONG_TASKS:
			hint = "too few tasks: .repartition(cores x 2) after reading, or split the input files";
			break;
		case GDFO_FINDING_DRIVER_TIME:
			hint = "driver time: avoid collect()/toPandas() of large results, cache what several jobs reread, batch small jobs";
			break;
		case GDFO_FINDING_BROADCAST:
			if (x->pub.severity == GDFO_SEVERITY_LOW)
				hint = "a /*+ BROADCAST(small_table) */ hint forces the broadcast of the small side for this query only";
			break;
		default:
			break;
		}
		if (hint) {
			snprintf(buf, sizeof(buf), "%s (%s)", x->evidence, gdfo_finding_kind_name(x->pub.kind));
			if ((rc = add(d, "hint", hint, NULL, 0, x->pub.stage_id, buf)))
				return rc;
		}
	}
	return 0;
}
