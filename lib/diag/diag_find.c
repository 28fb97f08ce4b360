/*
 * The findings: each heuristic of docs/advisor.md ("Findings and their
 * thresholds") over the facts, one finding per kind (the worst stage
 * named, the others listed in the evidence), its predicted effect from
 * the replay model, and the ranking.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag/diag_internal.h"

int gdfo__severity_of(double v, const double t[4])
{
	int s = GDFO_SEVERITY_NONE, k;
	for (k = 0; k < 4; k++)
		if (v >= t[k])
			s = k + 1;
	return s;
}

/* Descending thresholds: smaller is worse. */
static int severity_below(double v, const double t[4])
{
	int s = GDFO_SEVERITY_NONE, k;
	for (k = 0; k < 4; k++)
		if (v < t[k])
			s = k + 1;
	return s;
}

/* Thresholds (docs/advisor.md keeps the same table). */
static const double T_TASK_SKEW[4] = {2, 4, 8, 16};            /* Dr. Elephant: max / median task time */
static const double T_DATA_SKEW[4] = {3, 5, 10, 20};           /* AutoTuner: 3x mean and > 100 MB */
static const double T_SPILL[4] = {0.01, 0.1, 0.25, 0.5};       /* Dr. Elephant: spill / max data processed */
static const double T_GC[4] = {0.08, 0.09, 0.1, 0.15};         /* Dr. Elephant (stage): GC / run time */
static const double T_HEAP[4] = {0.8, 0.85, 0.9, 0.95};        /* peak heap / executor memory */
static const double T_UNUSED[4] = {0.7, 0.6, 0.4, 0.2};        /* Dr. Elephant: peak / allocated, descending */
static const double T_FAIL_RATE[4] = {1e-9, 0.05, 0.1, 0.15};  /* Dr. Elephant 0.05/0.1/0.15/0.2, one level earlier */
static const double T_STAGE_FAIL[4] = {1e-9, 0.1, 0.3, 0.5};   /* Dr. Elephant stage/job failure rate 0.1/0.3/0.5 */
static const double T_LOST[4] = {1, 2, 4, 8};                 /* executors removed for a failure */
static const double T_STRAGGLE[4] = {3, 5, 10, 20};            /* slowdown of a straggler over its stage's median */
static const double T_IDLE[4] = {0.3, 0.5, 0.7, 0.85};         /* idle share of paid core time (Sparklens) */
static const double T_TINY[4] = {200, 100, 50, 20};            /* median task ms, descending */
static const double T_LONG[4] = {150e3, 300e3, 600e3, 900e3};  /* Dr. Elephant: median task time */
static const double T_FILES[4] = {64.0 * 1048576, 32.0 * 1048576, 8.0 * 1048576, 1048576}; /* mean file bytes, descending */
static const double T_DRIVER[4] = {0.2, 0.35, 0.5, 0.7};       /* share of the run with no stage running */
static const double T_IMBAL[4] = {1.334, 1.778, 3.162, 10};    /* Dr. Elephant: max / median over executors */
static const double T_MEM_CONF[4] = {10.0 * 1073741824, 15.0 * 1073741824, 20.0 * 1073741824, 25.0 * 1073741824};
static const double T_CORES_CONF[4] = {4, 6, 8, 10};           /* Dr. Elephant: executor cores (>=) */

#define MIB (1024.0 * 1024.0)

static char *vfmt(const char *fmt, va_list ap)
{
	gdfo__buf b = {0};
	char *out = NULL;
	char tmp[1024];
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	if (gdfo__buf_puts(&b, tmp) || gdfo__buf_detach(&b, &out))
		return NULL;
	return out;
}

int gdfo__diag_add_finding(gdfo_diagnosis *d, int kind, int severity, int64_t stage, double value,
			   double threshold, double gain_ms, double gain_cost, const char *key,
			   const char *fix, const char *evidence_fmt, ...)
{
	gdfo__finding *x;
	va_list ap;

	if (severity < d->opts.min_severity || severity == GDFO_SEVERITY_NONE)
		return 0;
	if (gdfo__grow((void **)&d->f, &d->cap_f, d->n_f + 1, sizeof(*d->f)))
		return GDFO_ENOMEM;
	x = &d->f[d->n_f];
	memset(x, 0, sizeof(*x));
	va_start(ap, evidence_fmt);
	x->evidence = vfmt(evidence_fmt, ap);
	va_end(ap);
	x->fix = gdfo__strdup(fix ? fix : "");
	x->key = gdfo__strdup(key ? key : "");
	if (!x->evidence || !x->fix || !x->key) {
		free(x->evidence);
		free(x->fix);
		free(x->key);
		return GDFO_ENOMEM;
	}
	x->pub.version = GDFO_FINDING_VERSION;
	x->pub.kind = kind;
	x->pub.severity = severity;
	x->pub.stage_id = stage;
	x->pub.value = value;
	x->pub.threshold = threshold;
	x->pub.gain_ms = gain_ms > 0 ? gain_ms : 0;
	x->pub.gain_cost = gain_cost;
	d->n_f++;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Median of v[0..n), sorted in c (room for n; the caller's scratch, so that it cannot fail). */
static double median(double *c, const double *v, size_t n)
{
	if (!n)
		return 0;
	memcpy(c, v, n * sizeof(double));
	qsort(c, n, sizeof(double), cmp_double);
	return n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
}

static double vmax(const double *v, size_t n)
{
	double m = 0;
	size_t i;
	for (i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

static double vsum(const double *v, size_t n)
{
	double s = 0;
	size_t i;
	for (i = 0; i < n; i++)
		s += v[i];
	return s;
}

/* The per-kind accumulation: the worst stage and a list of the flagged ones. */
typedef struct acc {
	int sev;
	double worst;
	int64_t stage;
	size_t count;
	char list[160];
	char detail[400];
} acc;

static void acc_add(acc *a, int sev, double v, int64_t stage, int higher_worse, const char *detail)
{
	size_t len = strlen(a->list);
	if (sev <= GDFO_SEVERITY_NONE)
		return;
	if (a->count < 8 && len + 24 < sizeof(a->list))
		snprintf(a->list + len, sizeof(a->list) - len, "%s%lld", a->count ? ", " : "", (long long)stage);
	a->count++;
	if (!a->sev || sev > a->sev || (sev == a->sev && (higher_worse ? v > a->worst : v < a->worst))) {
		a->sev = sev > a->sev ? sev : a->sev;
		a->worst = v;
		a->stage = stage;
		snprintf(a->detail, sizeof(a->detail), "%s", detail);
	}
}

static const char *more(const acc *a)
{
	static _Thread_local char buf[32];
	if (a->count <= 8)
		return "";
	snprintf(buf, sizeof(buf), " (+%zu more)", a->count - 8);
	return buf;
}

/* Latency and cost gains of a set of tweaks against the model at the observed count. */
static int gain_of(double *gain_ms, double *gain_cost, gdfo__model *m, const gdfo__tweak *tw)
{
	double l0, c0, u, l, c;
	int rc;
	*gain_ms = *gain_cost = 0;
	if (!m)
		return 0;
	if ((rc = gdfo__model_eval(&l0, &c0, &u, m, m->E0, m->C, NULL)) ||
	    (rc = gdfo__model_eval(&l, &c, &u, m, m->E0, m->C, tw)))
		return rc;
	*gain_ms = l0 - l;
	*gain_cost = c0 - c;
	return 0;
}

/* Index in the model's profile of stage id, or -1. */
static long prof_index(const gdfo__model *m, int64_t id)
{
	size_t at;
	if (!m || gdfo_profile_find(&at, m->prof, id))
		return -1;
	return (long)at;
}

static gdfo__tweak *tweaks_new(const gdfo__model *m)
{
	size_t i, n = m ? m->n : 0;
	gdfo__tweak *t = gdfo__calloc(n ? n : 1, sizeof(*t));
	if (t)
		for (i = 0; i < n; i++)
			t[i].scale = 1;
	return t;
}

static void fmt_bytes(char *buf, size_t cap, double b)
{
	if (b >= 1024.0 * MIB)
		snprintf(buf, cap, "%.2f GiB", b / (1024.0 * MIB));
	else if (b >= MIB)
		snprintf(buf, cap, "%.1f MiB", b / MIB);
	else
		snprintf(buf, cap, "%.0f KiB", b / 1024.0);
}

int gdfo__diag_find(gdfo_diagnosis *d, const gdfo__facts *f, gdfo__model *m)
{
	acc a_skew = {0}, a_data = {0}, a_spill = {0}, a_gc = {0}, a_fail = {0}, a_strag = {0}, a_tiny = {0},
	    a_long = {0}, a_huge = {0}, a_files = {0}, a_sp = {0}, a_mpb = {0};
	gdfo__tweak *t_skew = tweaks_new(m), *t_spill = tweaks_new(m), *t_gc = tweaks_new(m),
		    *t_strag = tweaks_new(m), *t_tiny = tweaks_new(m), *t_huge = tweaks_new(m),
		    *t_sp = tweaks_new(m);
	int slots = (f->executors > 0 ? f->executors : 1) * (f->cores > 0 ? f->cores : 1);
	double failed_ms = 0, g, gc, *scratch = NULL;
	size_t most = f->n_ex;
	int64_t fails[GDFO__FAIL_COUNT] = {0}, tasks_all = 0, tasks_failed = 0, stage_attempts_failed = 0,
		stages_done = 0;
	double files_saved = 0, scan_in_sum = 0, all_in = 0;
	size_t all_tasks = 0;
	size_t scan_stages = 0, i, k;
	int spill_shuffle_skewed = 0, rc = 0;
	char b1[32], b2[32], txt[400];

	for (i = 0; i < f->n_st; i++)
		if (f->st[i].n > most)
			most = f->st[i].n;
	if (!t_skew || !t_spill || !t_gc || !t_strag || !t_tiny || !t_huge || !t_sp ||
	    !(scratch = gdfo__malloc((most ? most : 1) * sizeof(*scratch)))) {
		rc = GDFO_ENOMEM;
		goto done;
	}
	for (i = 0; i < f->n_st; i++) {
		const gdfo__dstage *s = &f->st[i];
		long pi = prof_index(m, s->id);
		double med = median(scratch, s->task_ms, s->n), mx = vmax(s->task_ms, s->n);
		double work = vsum(s->task_ms, s->n);
		double data = s->input_bytes, mean_b = s->n ? vsum(s->task_bytes, s->n) / (double)s->n : 0;
		double max_b = vmax(s->task_bytes, s->n);
		char sn[112] = "";
		int sev;

		if (s->name[0])
			snprintf(sn, sizeof(sn), " '%.60s'", s->name);

		tasks_all += (int64_t)s->n + s->tasks_failed;
		tasks_failed += s->tasks_failed;
		stage_attempts_failed += s->attempts_failed;
		stages_done += s->completed;
		failed_ms += s->failed_ms;
		for (k = 0; k < GDFO__FAIL_COUNT; k++)
			fails[k] += s->fail[k];
		if (s->output_bytes > data)
			data = s->output_bytes;
		if (s->shuffle_read > data)
			data = s->shuffle_read;
		if (s->shuffle_write > data)
			data = s->shuffle_write;
		/* task skew: max / median task time, the longest task over a second */
		if (s->n >= 2 && med > 0 && mx >= 1000) {
			sev = gdfo__severity_of(mx / med, T_TASK_SKEW);
			snprintf(txt, sizeof(txt), "stage %lld%s: longest task %.1f s, median %.2f s (%.1fx) over %zu tasks",
				 (long long)s->id, sn, mx / 1000, med / 1000, mx / med, s->n);
			acc_add(&a_skew, sev, mx / med, s->id, 1, txt);
			if (sev && pi >= 0)
				t_skew[pi].split_over = T_TASK_SKEW[0];
		}
		/* data skew, the AutoTuner's way: a task reads 3x the stage mean and over 100 MB */
		if (s->n >= 2 && mean_b > 0 && max_b > 100 * MIB) {
			sev = gdfo__severity_of(max_b / mean_b, T_DATA_SKEW);
			fmt_bytes(b1, sizeof(b1), max_b);
			fmt_bytes(b2, sizeof(b2), mean_b);
			snprintf(txt, sizeof(txt), "stage %lld%s: a task reads %s against a mean of %s (%.1fx)",
				 (long long)s->id, sn, b1, b2, max_b / mean_b);
			acc_add(&a_data, sev, max_b / mean_b, s->id, 1, txt);
			if (sev && pi >= 0)
				t_skew[pi].split_over = T_TASK_SKEW[0];
		}
		/* spill against the largest volume the stage processed */
		if (s->mem_spill + s->disk_spill > 0) {
			double ratio = data > 0 ? s->mem_spill / data : 1;
			sev = gdfo__severity_of(ratio, T_SPILL);
			if (sev < GDFO_SEVERITY_LOW && s->disk_spill > 0)
				sev = GDFO_SEVERITY_LOW; /* any disk spill costs a disk round trip */
			fmt_bytes(b1, sizeof(b1), s->mem_spill);
			fmt_bytes(b2, sizeof(b2), s->disk_spill);
			snprintf(txt, sizeof(txt), "stage %lld%s: %s memory and %s disk spill (%.0f%% of its largest volume)",
				 (long long)s->id, sn, b1, b2, 100 * ratio);
			acc_add(&a_spill, sev, ratio, s->id, 1, txt);
			if (sev && pi >= 0 && s->n) {
				double per_core_disk = d->cluster.disk_bytes_per_s / (f->cores > 0 ? f->cores : 1);
				t_spill[pi].minus_ms = (s->disk_spill * d->cluster.spill_penalty / per_core_disk +
							s->mem_spill / d->cluster.process_bytes_per_s) *
						       1000.0 / (double)s->n;
			}
			/* AutoTuner: shuffle stages with disk spill ask for twice the shuffle partitions */
			if (s->disk_spill > 0 && s->shuffle_read + s->shuffle_write > 0) {
				int skewed = s->n >= 2 && mean_b > 0 && max_b > 3 * mean_b && max_b > 100 * MIB;
				spill_shuffle_skewed |= skewed;
				snprintf(txt, sizeof(txt), "stage %lld: shuffle stage spilled %s to disk%s", (long long)s->id, b2,
					 skewed ? " but is skewed (more partitions would not split the hot key)" : "");
				acc_add(&a_sp, GDFO_SEVERITY_LOW + (ratio >= T_SPILL[1]), ratio, s->id, 1, txt);
				if (pi >= 0 && s->shuffle_read > 0 && !skewed)
					t_sp[pi].tasks = (int64_t)s->n * 2;
			}
		}
		/* GC: total and median ratios of GC to run time, the larger */
		if (s->has_gc && s->run_ms > 0) {
			double r_tot = s->gc_ms / s->run_ms, mg = median(scratch, s->task_gc_ms, s->n), mr = median(scratch, s->task_run_ms, s->n);
			double r = mr > 0 && mg / mr > r_tot ? mg / mr : r_tot;
			/* the AutoTuner's 0.3 of CPU time, scaled onto the run-time scale */
			if (s->cpu_ms > 0 && s->gc_ms / s->cpu_ms >= 0.3 && r < T_GC[0])
				r = T_GC[0];
			if (r > 1)
				r = 1; /* GC is part of run time; more is rounding in the log */
			sev = gdfo__severity_of(r, T_GC);
			snprintf(txt, sizeof(txt), "stage %lld: %.0f%% of task run time in JVM GC (%.0f ms of %.0f ms)",
				 (long long)s->id, 100 * r, s->gc_ms, s->run_ms);
			acc_add(&a_gc, sev, r, s->id, 1, txt);
			if (sev && pi >= 0)
				t_gc[pi].scale = 1 - (r > 0.9 ? 0.85 : r - 0.05 > 0 ? r - 0.05 : 0);
		}
		/* failed task attempts: any failure is low, Dr. Elephant's rates above */
		if (s->tasks_failed > 0) {
			double rate = (double)s->tasks_failed / (double)(s->n + (size_t)s->tasks_failed);
			sev = gdfo__severity_of(rate, T_FAIL_RATE);
			snprintf(txt, sizeof(txt), "stage %lld: %lld of %lld task attempts failed (%.0f%%)", (long long)s->id,
				 (long long)s->tasks_failed, (long long)(s->n + (size_t)s->tasks_failed), 100 * rate);
			acc_add(&a_fail, sev, rate, s->id, 1, txt);
		}
		/* stragglers: tasks 3x the median time for no more than 1.5x the median data */
		if (s->n >= 4 && med > 0) {
			double mb = median(scratch, s->task_bytes, s->n), worst = 0;
			size_t cnt = 0;
			for (k = 0; k < s->n; k++)
				if (s->task_ms[k] >= 3 * med && s->task_ms[k] >= 1000 && s->task_bytes[k] <= 1.5 * mb + 1) {
					cnt++;
					if (s->task_ms[k] / med > worst)
						worst = s->task_ms[k] / med;
				}
			if (cnt) {
				sev = gdfo__severity_of(worst, T_STRAGGLE);
				snprintf(txt, sizeof(txt), "stage %lld: %zu task(s) up to %.1fx the median time with no more data",
					 (long long)s->id, cnt, worst);
				acc_add(&a_strag, sev, worst, s->id, 1, txt);
				if (sev && pi >= 0)
					t_strag[pi].split_over = 3;
			}
		}
		/* many tiny tasks: more than two waves of tasks whose median is too short */
		if ((int)s->n > 2 * slots && s->n >= 50 && med > 0) {
			sev = severity_below(med, T_TINY);
			snprintf(txt, sizeof(txt), "stage %lld%s: %zu tasks with a median of %.0f ms on %d cores",
				 (long long)s->id, sn, s->n, med, slots);
			acc_add(&a_tiny, sev, med, s->id, 0, txt);
			if (sev && pi >= 0) {
				double target = work / 500.0; /* tasks of about half a second */
				int64_t nt = (int64_t)ceil(target);
				if (nt < slots)
					nt = slots;
				if (nt < (int64_t)s->n)
					t_tiny[pi].tasks = nt;
			}
		}
		/* long tasks (Dr. Elephant) */
		if (s->n && med > 0) {
			sev = gdfo__severity_of(med, T_LONG);
			snprintf(txt, sizeof(txt), "stage %lld: median task %.1f min", (long long)s->id, med / 60000);
			acc_add(&a_long, sev, med, s->id, 1, txt);
		}
		/* too few huge tasks: fewer tasks than half the cores, each long or large */
		if (s->n >= 1 && (int)s->n * 2 <= slots && slots >= 4 && (med >= 30000 || mean_b > 512 * MIB) && mx >= 10000) {
			sev = GDFO_SEVERITY_LOW + (med >= 120000) + ((int)s->n * 8 <= slots);
			fmt_bytes(b1, sizeof(b1), mean_b);
			snprintf(txt, sizeof(txt), "stage %lld%s: %zu task(s) of %.1f s and %s each on %d cores",
				 (long long)s->id, sn, s->n, med / 1000, b1, slots);
			acc_add(&a_huge, sev, (double)s->n, s->id, 0, txt);
			if (pi >= 0)
				t_huge[pi].tasks = slots;
		}
		/* small files written */
		if (s->out_tasks >= 10 && s->output_bytes > 0) {
			double mean_file = s->output_bytes / (double)s->out_tasks;
			sev = severity_below(mean_file, T_FILES);
			fmt_bytes(b1, sizeof(b1), mean_file);
			snprintf(txt, sizeof(txt), "stage %lld%s: %lld files of %s on average", (long long)s->id, sn,
				 (long long)s->out_tasks, b1);
			acc_add(&a_files, sev, mean_file, s->id, 0, txt);
			if (sev) {
				double files = ceil(s->output_bytes / (128 * MIB));
				files_saved += (double)s->out_tasks - (files < 1 ? 1 : files);
			}
		}
		/* scan stages: the AutoTuner's per-task input range 128..256 MB */
		if (s->input_bytes > 0 && s->n) {
			scan_in_sum += s->input_bytes / (double)s->n;
			scan_stages++;
		}
		all_in += s->input_bytes;
		all_tasks += s->n;
	}
#define EMIT(a, kind, key, fix, tweaks)                                                                \
	do {                                                                                          \
		if ((a).sev) {                                                                        \
			if ((rc = gain_of(&g, &gc, m, (tweaks))))                                     \
				goto done;                                                            \
			if ((rc = gdfo__diag_add_finding(d, (kind), (a).sev, (a).stage, (a).worst, 0, g, gc, (key), \
							 (fix), "%s%s%s%s", (a).detail, (a).count > 1 ? "; stages " : "", (a).count > 1 ? (a).list : "", more(&(a))))) \
				goto done;                                                            \
			d->f[d->n_f - 1].pub.threshold = threshold_of(kind);                          \
		}                                                                                     \
	} while (0)
#define threshold_of(kind)                                                                          \
	((kind) == GDFO_FINDING_TASK_SKEW ? T_TASK_SKEW[0] : (kind) == GDFO_FINDING_DATA_SKEW ? T_DATA_SKEW[0] \
	 : (kind) == GDFO_FINDING_SPILL ? T_SPILL[0] : (kind) == GDFO_FINDING_GC ? T_GC[0]                  \
	 : (kind) == GDFO_FINDING_STRAGGLERS ? T_STRAGGLE[0] : (kind) == GDFO_FINDING_TINY_TASKS ? T_TINY[0] \
	 : (kind) == GDFO_FINDING_LONG_TASKS ? T_LONG[0] : (kind) == GDFO_FINDING_SMALL_FILES ? T_FILES[0]   \
	 : (kind) == GDFO_FINDING_TASK_FAILURES ? T_FAIL_RATE[0] : 0)

	EMIT(a_skew, GDFO_FINDING_TASK_SKEW, "spark.sql.adaptive.skewJoin.enabled",
	     "split the hot partitions: spark.sql.adaptive.skewJoin.enabled=true for joins, else salt or repartition the key",
	     t_skew);
	EMIT(a_data, GDFO_FINDING_DATA_SKEW, "spark.sql.adaptive.skewJoin.enabled",
	     "spark.sql.adaptive.skewJoin.enabled=true with skewedPartitionThresholdInBytes below the hot partition, or salt the key",
	     t_skew);
	EMIT(a_spill, GDFO_FINDING_SPILL, "spark.executor.memory",
	     "give each task more execution memory: more spark.sql.shuffle.partitions (smaller tasks) or spark.executor.memory",
	     t_spill);
	EMIT(a_sp, GDFO_FINDING_SHUFFLE_PARTITIONS, "spark.sql.shuffle.partitions",
	     spill_shuffle_skewed ? "shuffle spill comes with skew: fix the skew first (more partitions keep the hot key together)"
				  : "double spark.sql.shuffle.partitions (AutoTuner's rule for shuffle stages that spill)",
	     t_sp);
	EMIT(a_gc, GDFO_FINDING_GC, "spark.executor.memory",
	     "more heap per task (spark.executor.memory up or spark.executor.cores down), fewer cached objects, G1GC",
	     t_gc);
	EMIT(a_strag, GDFO_FINDING_STRAGGLERS, "spark.speculation",
	     "spark.speculation=true re-launches slow tasks elsewhere; check the hosts they ran on", t_strag);
	EMIT(a_tiny, GDFO_FINDING_TINY_TASKS, "spark.sql.adaptive.coalescePartitions.enabled",
	     "fewer, larger tasks: AQE partition coalescing for shuffles, a larger spark.sql.files.maxPartitionBytes for scans",
	     t_tiny);
	EMIT(a_long, GDFO_FINDING_LONG_TASKS, "spark.sql.shuffle.partitions",
	     "more partitions so that tasks take under 2.5 min (Dr. Elephant's target)", t_huge);
	EMIT(a_huge, GDFO_FINDING_HUGE_TASKS, "spark.sql.shuffle.partitions",
	     "repartition the stage to at least one task per core (more partitions, smaller maxPartitionBytes)", t_huge);
	if (a_files.sev) {
		double gain = files_saved * d->cluster.file_commit_ms / (slots > 0 ? slots : 1);
		if ((rc = gdfo__diag_add_finding(d, GDFO_FINDING_SMALL_FILES, a_files.sev, a_files.stage, a_files.worst,
						 T_FILES[0], gain, 0, "spark.sql.adaptive.coalescePartitions.enabled",
						 "coalesce or repartition before the write (files of 128 MiB or more); AQE coalescing for shuffled writes",
						 "%s; stages %s%s", a_files.detail, a_files.list, more(&a_files))))
			goto done;
	}
	/* failures by reason */
	if (a_fail.sev) {
		int top = GDFO__FAIL_OTHER;
		static const char *const names[GDFO__FAIL_COUNT] = {"out of memory", "FetchFailed", "executor lost",
								     "killed for exceeding memory limits", "killed", "other"};
		static const char *const fixes[GDFO__FAIL_COUNT] = {
			"more memory per task: spark.executor.memory up, or more spark.sql.shuffle.partitions",
			"shuffle fetches failed (lost executors or overloaded shuffle service): keep executors alive, spark.shuffle.io.maxRetries/retryWait up, the external shuffle service",
			"executors were lost: check preemption and node health; spark.task.maxFailures does not fix the cause",
			"containers exceeded their memory limit: raise spark.executor.memoryOverhead",
			"tasks were killed (speculation or cancelled stages): usually benign",
			"see the failed tasks' exceptions"};
		static const char *const keys[GDFO__FAIL_COUNT] = {"spark.executor.memory", "spark.shuffle.io.maxRetries", "",
								    "spark.executor.memoryOverhead", "", ""};
		gdfo__buf b = {0};
		char *ev = NULL;
		for (k = 0; k < GDFO__FAIL_COUNT; k++)
			if (fails[k] > fails[top] || (fails[k] == fails[top] && k < (size_t)top))
				top = (int)k;
		for (k = 0; k < GDFO__FAIL_COUNT; k++)
			if (fails[k] && gdfo__buf_printf(&b, "%s%lld %s", b.len ? ", " : "", (long long)fails[k], names[k])) {
				gdfo__buf_free(&b);
				rc = GDFO_ENOMEM;
				goto done;
			}
		if (gdfo__buf_detach(&b, &ev)) {
			rc = GDFO_ENOMEM;
			goto done;
		}
		rc = gdfo__diag_add_finding(d, GDFO_FINDING_TASK_FAILURES, a_fail.sev, a_fail.stage, a_fail.worst, T_FAIL_RATE[1],
					    failed_ms / (slots > 0 ? slots : 1), 0, keys[top], fixes[top],
					    "%lld of %lld task attempts failed (%s); worst %s; stages %s%s", (long long)tasks_failed,
					    (long long)tasks_all, ev, a_fail.detail, a_fail.list, more(&a_fail));
		free(ev);
		if (rc)
			goto done;
	}
	if (stage_attempts_failed > 0 || f->jobs_failed > 0) {
		double rate = stages_done + stage_attempts_failed > 0
				      ? (double)stage_attempts_failed / (double)(stages_done + stage_attempts_failed)
				      : 0;
		double jrate = f->jobs > 0 ? (double)f->jobs_failed / (double)f->jobs : 0;
		int sev = gdfo__severity_of(rate > jrate ? rate : jrate, T_STAGE_FAIL);
		if ((rc = gdfo__diag_add_finding(d, GDFO_FINDING_STAGE_FAILURES, sev, -1, rate > jrate ? rate : jrate, 0.1, 0, 0,
						 "", "the task failures above are the cause; stage retries recompute lost shuffle output",
						 "%lld failed stage attempts, %lld of %lld jobs failed", (long long)stage_attempts_failed,
						 (long long)f->jobs_failed, (long long)f->jobs)))
			goto done;
	}
	if (f->exec_removed_failed > 0) {
		int sev = gdfo__severity_of((double)f->exec_removed_failed, T_LOST);
		if ((rc = gdfo__diag_add_finding(d, GDFO_FINDING_EXECUTOR_LOST, sev, -1, (double)f->exec_removed_failed, 1, 0, 0,
						 f->exec_removed_oom ? "spark.executor.memoryOverhead" : "",
						 f->exec_removed_oom ? "executors were killed for memory: raise spark.executor.memoryOverhead"
								     : "executors were lost: check node health and preemption",
						 "%lld of %lld executor removals were failures (%lld for memory)",
						 (long long)f->exec_removed_failed, (long long)f->exec_removed, (long long)f->exec_removed_oom)))
			goto done;
	}
	/* memory: peak JVM heap against the executor's memory */
	if (f->max_heap_peak > 0 && f->exec_mem > 0) {
		double r = f->max_heap_peak / (double)f->exec_mem;
		int sev = gdfo__severity_of(r, T_HEAP), sev_u = severity_below(r, T_UNUSED);
		fmt_bytes(b1, sizeof(b1), f->max_heap_peak);
		fmt_bytes(b2, sizeof(b2), (double)f->exec_mem);
		if (sev || fails[GDFO__FAIL_OOM] || fails[GDFO__FAIL_OVERHEAD]) {
			if (!sev)
				sev = GDFO_SEVERITY_MODERATE;
			if ((rc = gdfo__diag_add_finding(d, GDFO_FINDING_MEMORY_PRESSURE, sev, -1, r, T_HEAP[0], 0, 0,
							 "spark.executor.memory", "raise spark.executor.memory (and memoryOverhead) by a quarter",
							 "JVM heap peaked at %s of %s (%.0f%%)", b1, b2, 100 * r)))
				goto done;
		} else if (sev_u && f->exec_mem >= ((int64_t)2 << 30)) {
			double gib_saved = ((double)f->exec_mem - 1.3 * f->max_heap_peak) / 1073741824.0;
			double save = 0;
			if (m && f->app_ms > 0)
				save = gib_saved * d->cluster.price_per_gib_s * f->executors * (f->app_ms + d->cluster.executor_start_ms) / 1000.0;
			if ((rc = gdfo__diag_add_finding(d, GDFO_FINDING_MEMORY_UNUSED, sev_u, -1, r, T_UNUSED[0], 0, save,
							 "spark.executor.memory", "lower spark.executor.memory towards 1.3x the peak heap",
							 "JVM heap peaked at %s of %s (%.0f%% used)", b1, b2, 100 * r)))
				goto done;
		}
	} else if (fails[GDFO__FAIL_OOM] || fails[GDFO__FAIL_OVERHEAD]) {
		if ((rc = gdfo__diag_add_finding(d, GDFO_FINDING_MEMORY_PRESSURE, GDFO_SEVERITY_SEVERE, -1,
						 (double)(fails[GDFO__FAIL_OOM] + fails[GDFO__FAIL_OVERHEAD]), 1, 0, 0,
						 fails[GDFO__FAIL_OVERHEAD] ? "spark.executor.memoryOverhead" : "spark.executor.memory",
						 "raise spark.executor.memory or memoryOverhead, or use more partitions",
						 "%lld tasks ran out of memory, %lld containers exceeded their limit",
						 (long long)fails[GDFO__FAIL_OOM], (long long)fails[GDFO__FAIL_OVERHEAD])))
			goto done;
	}
	/* idle executors: Sparklens' wasted core time */
	if (f->exec_time_ms > 0 && f->cores > 0) {
		double busy = 0, idle;
		for (i = 0; i < f->n_st; i++)
			busy += vsum(f->st[i].task_ms, f->st[i].n) + f->st[i].failed_ms;
		idle = 1 - busy / (f->exec_time_ms * f->cores);
		if (idle < 0)
			idle = 0;
		{
			int sev = gdfo__severity_of(idle, T_IDLE);
			if ((rc = gdfo__diag_add_finding(d, GDFO_FINDING_IDLE_EXECUTORS, sev, -1, idle, T_IDLE[0], 0, 0,
							 "spark.executor.instances",
							 "fewer executors or dynamic allocation (see the what-if table for the count)",
							 "%.0f%% of %.2f paid core-hours ran no task (%.2f core-hours busy)", 100 * idle,
							 f->exec_time_ms * f->cores / 3.6e6, busy / 3.6e6)))
				goto done;
		}
	}
	/* driver time: the share of the run with no stage running */
	if (f->app_ms > 0 && f->stage_span_ms >= 0) {
		double share = 1 - f->stage_span_ms / f->app_ms;
		int sev = gdfo__severity_of(share, T_DRIVER);
		if ((rc = gdfo__diag_add_finding(d, GDFO_FINDING_DRIVER_TIME, sev, -1, share, T_DRIVER[0], 0, 0, "",
						 "driver-side work: planning, collect() or toPandas(), listing files, many small jobs; cache or batch them",
						 "%.1f s of the %.1f s run had no stage running (%.0f%%)", (f->app_ms - f->stage_span_ms) / 1000,
						 f->app_ms / 1000, 100 * share)))
			goto done;
	}
	/* executor imbalance (Dr. Elephant's ExecutorsHeuristic) */
	if (f->n_ex >= 2) {
		static const char *const what[4] = {"task time", "input bytes", "shuffle read bytes", "shuffle write bytes"};
		double *v = gdfo__malloc(f->n_ex * sizeof(double)), worst = 0;
		int wi = -1;
		if (!v) {
			rc = GDFO_ENOMEM;
			goto done;
		}
		for (k = 0; k < 4; k++) {
			double mx, md;
			for (i = 0; i < f->n_ex; i++)
				v[i] = k == 0 ? f->ex[i].task_ms : k == 1 ? f->ex[i].input : k == 2 ? f->ex[i].shuffle_read : f->ex[i].shuffle_write;
			mx = vmax(v, f->n_ex);
			md = median(scratch, v, f->n_ex);
			if ((k == 0 ? mx < 5 * 60000.0 : mx < 100 * MIB) || md <= 0)
				continue;
			if (mx / md > worst) {
				worst = mx / md;
				wi = (int)k;
			}
		}
		free(v);
		if (wi >= 0) {
			int sev = gdfo__severity_of(worst, T_IMBAL);
			if ((rc = gdfo__diag_add_finding(d, GDFO_FINDING_EXECUTOR_IMBALANCE, sev, -1, worst, T_IMBAL[0], 0, 0, "",
							 "uneven work across executors: data locality or skewed partitions; see task skew",
							 "max / median %s over %zu executors is %.2f", what[wi], f->n_ex, worst)))
				goto done;
		}
	}
	/* configuration (Dr. Elephant's ConfigurationHeuristic), when the log recorded its settings */
	if (f->log && gdfo_eventlog_config_count(f->log)) {
		const char *ser = gdfo__facts_conf(f, "spark.serializer");
		const char *da = gdfo__facts_conf(f, "spark.dynamicAllocation.enabled");
		const char *ess = gdfo__facts_conf(f, "spark.shuffle.service.enabled");
		const char *track = gdfo__facts_conf(f, "spark.dynamicAllocation.shuffleTracking.enabled");
		int sev_mem = f->exec_mem > 0 ? gdfo__severity_of((double)f->exec_mem, T_MEM_CONF) : 0;
		int sev_cores = gdfo__severity_of((double)f->cores, T_CORES_CONF);
		int sev_ser = (!ser || !strstr(ser, "KryoSerializer")) ? GDFO_SEVERITY_MODERATE : 0;
		int sev_da = da && !strcmp(da, "true") && !(ess && !strcmp(ess, "true")) && !(track && !strcmp(track, "true"))
				     ? GDFO_SEVERITY_SEVERE
				     : 0;
		int sev = sev_mem;
		gdfo__buf b = {0};
		char *ev = NULL;
		if (sev_cores > sev)
			sev = sev_cores;
		if (sev_ser > sev)
			sev = sev_ser;
		if (sev_da > sev)
			sev = sev_da;
		if ((sev_mem && gdfo__buf_printf(&b, "spark.executor.memory=%s (10 GiB and more is large); ",
						 gdfo__facts_conf(f, "spark.executor.memory"))) ||
		    (sev_cores && gdfo__buf_printf(&b, "%d cores per executor (4 and more); ", f->cores)) ||
		    (sev_ser && gdfo__buf_printf(&b, "spark.serializer=%s (not Kryo); ", ser ? ser : "unset")) ||
		    (sev_da && gdfo__buf_puts(&b, "dynamic allocation without the external shuffle service or shuffle tracking; "))) {
			gdfo__buf_free(&b);
			rc = GDFO_ENOMEM;
			goto done;
		}
		if (b.len) {
			b.data[b.len - 2] = 0;
			b.len -= 2;
		}
		if (gdfo__buf_detach(&b, &ev)) {
			rc = GDFO_ENOMEM;
			goto done;
		}
		rc = gdfo__diag_add_finding(d, GDFO_FINDING_CONFIGURATION, sev, -1, (double)sev, 1, 0, 0,
					    sev_da ? "spark.shuffle.service.enabled" : sev_ser ? "spark.serializer" : "",
					    sev_da ? "enable spark.shuffle.service.enabled or spark.dynamicAllocation.shuffleTracking.enabled"
						   : "review the settings named (Dr. Elephant's configuration ranges)",
					    "%s", ev ? ev : "");
		free(ev);
		if (rc)
			goto done;
	}
	/* broadcast threshold */
	if (f->log) {
		const char *bt = gdfo__facts_conf(f, "spark.sql.autoBroadcastJoinThreshold");
		double thr = bt ? (double)gdfo__spark_bytes(bt, 1) : 10 * MIB;
		double small = -1;
		int64_t small_id = -1;
		for (i = 0; i < f->n_st; i++)
			if (f->st[i].shuffle_write > thr && f->st[i].shuffle_write <= 100 * MIB &&
			    (small < 0 || f->st[i].shuffle_write < small)) {
				small = f->st[i].shuffle_write;
				small_id = f->st[i].id;
			}
		if (bt && thr < 0 && f->smj > 0 && small > 0) {
			if ((rc = gdfo__diag_add_finding(d, GDFO_FINDING_BROADCAST, GDFO_SEVERITY_LOW, -1, thr, 0, 0, 0,
							 "spark.sql.autoBroadcastJoinThreshold",
							 "broadcast joins are disabled (-1) while sort-merge joins shuffle small sides; allow them",
							 "%lld sort-merge joins; smallest shuffled side %.1f MiB", (long long)f->smj, small / MIB)))
				goto done;
		} else if (thr >= 0 && f->smj > 0 && small > 0) {
			if ((rc = gdfo__diag_add_finding(d, GDFO_FINDING_BROADCAST, GDFO_SEVERITY_LOW, small_id, thr, thr, 0, 0,
							 "spark.sql.autoBroadcastJoinThreshold",
							 "raise spark.sql.autoBroadcastJoinThreshold above the small side (at most 100 MiB)",
							 "%lld sort-merge joins in the plans; stage %lld wrote only %.1f MiB of shuffle (threshold %.1f MiB)",
							 (long long)f->smj, (long long)small_id, small / MIB, thr / MIB)))
				goto done;
		} else if (thr > 512 * MIB || (f->bcast_exchanges > 0 && (fails[GDFO__FAIL_OOM] || fails[GDFO__FAIL_OVERHEAD]))) {
			if ((rc = gdfo__diag_add_finding(d, GDFO_FINDING_BROADCAST, GDFO_SEVERITY_MODERATE, -1, thr, 512 * MIB, 0, 0,
							 "spark.sql.autoBroadcastJoinThreshold",
							 "lower spark.sql.autoBroadcastJoinThreshold: large broadcasts strain the driver and every executor",
							 "threshold %.0f MiB, %lld broadcast exchanges, %lld out-of-memory failures", thr / MIB,
							 (long long)f->bcast_exchanges, (long long)(fails[GDFO__FAIL_OOM] + fails[GDFO__FAIL_OVERHEAD]))))
				goto done;
		}
	}
	/* the AutoTuner's maxPartitionBytes rule: mean scan task input in 128..256 MB */
	if (scan_stages && f->log) {
		/* over the scan stages, and over every task as the AutoTuner's per-query averages do */
		double avg = scan_in_sum / (double)scan_stages, avg_all = all_tasks ? all_in / (double)all_tasks : 0;
		if (avg < 128 * MIB || avg > 256 * MIB || (avg_all > 0 && (avg_all < 128 * MIB || avg_all > 256 * MIB))) {
			if (avg >= 128 * MIB && avg <= 256 * MIB)
				avg = avg_all;
			const char *mpb = gdfo__facts_conf(f, "spark.sql.files.maxPartitionBytes");
			double cur = mpb ? (double)gdfo__spark_bytes(mpb, 1) : 128 * MIB;
			double want = avg < 128 * MIB ? cur * (128 * MIB / (avg > 0 ? avg : 1)) : cur / (avg / (256 * MIB));
			if (want > 4096 * MIB)
				want = 4096 * MIB;
			a_mpb.sev = GDFO_SEVERITY_LOW;
			if ((rc = gdfo__diag_add_finding(d, GDFO_FINDING_MAX_PARTITION_BYTES, GDFO_SEVERITY_LOW, -1, avg, 128 * MIB, 0, 0,
							 "spark.sql.files.maxPartitionBytes",
							 "the AutoTuner's rule would set spark.sql.files.maxPartitionBytes; the advisor applies it only where the model predicts a gain",
							 "scan tasks read %.1f MiB on average over %zu scan stages (AutoTuner's range 128-256 MiB; it would set %.0f MiB)",
							 avg / MIB, scan_stages, want / MIB)))
				goto done;
		}
	}
	/* engines the advice does not cover in full */
	if (f->engine != GDFO_ENGINE_SPARK) {
		if ((rc = gdfo__diag_add_finding(d, GDFO_FINDING_ENGINE, GDFO_SEVERITY_LOW, -1, f->engine, 0, 0, 0, "",
						 f->engine == GDFO_ENGINE_RAPIDS
							 ? "GPU settings (spark.rapids.*, concurrentGpuTasks, pinned memory, GPU counts) are not advised: use the spark-rapids AutoTuner for those"
							 : "Photon's native engine is not modelled: Spark-level keys only",
						 "%s run (%s); task times are the accelerated ones and spill includes device memory spill",
						 gdfo_engine_name(f->engine), f->engine_evidence)))
			goto done;
	}
done:
	free(scratch);
	if (!rc && m) {
		d->tw[GDFO__TW_SKEW] = t_skew;
		d->tw[GDFO__TW_SPILL] = t_spill;
		d->tw[GDFO__TW_GC] = t_gc;
		d->tw[GDFO__TW_STRAG] = t_strag;
		d->tw[GDFO__TW_TINY] = t_tiny;
		d->tw[GDFO__TW_HUGE] = t_huge;
		d->tw[GDFO__TW_SP] = t_sp;
		d->has_tw[GDFO__TW_SKEW] = a_skew.sev || a_data.sev;
		d->has_tw[GDFO__TW_SPILL] = a_spill.sev > 0;
		d->has_tw[GDFO__TW_GC] = a_gc.sev > 0;
		d->has_tw[GDFO__TW_STRAG] = a_strag.sev > 0;
		d->has_tw[GDFO__TW_TINY] = a_tiny.sev > 0;
		d->has_tw[GDFO__TW_HUGE] = a_huge.sev || a_long.sev;
		d->has_tw[GDFO__TW_SP] = a_sp.sev > 0 && !spill_shuffle_skewed;
		return 0;
	}
	free(t_skew);
	free(t_spill);
	free(t_gc);
	free(t_strag);
	free(t_tiny);
	free(t_huge);
	free(t_sp);
	(void)a_mpb;
	return rc;
}
