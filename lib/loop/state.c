/*
 * The closed loop (include/gdfo/loop.h, docs/loop.md): the optimizer
 * handle's public calls, the per-pipeline state, and the transitions
 * that plan, feedback and approval records make.
 *
 * Every change of state comes from a journal record: a plan call decides
 * (reading the state), writes a plan record and applies it; feedback and
 * approval write their record, make it durable and apply it. Opening
 * applies the journal's records again in order, through the same
 * functions, so the state after a crash is the state the records say.
 * Audit lines are written only when a record is first applied.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/abi.h"
#include "core/idmap.h"
#include "core/json_write.h"
#include "io/json_util.h"
#include "gdfo/loop.h"
#include "loop/loop_state.h"
#include "plan/plan_internal.h"
#include "rl/rl_internal.h"

#define KG_RUNS 5        /* known-good runs whose median is the baseline */
#define HISTORY 64       /* source volumes kept for the forecast */
#define EPSILON 0.1      /* exploration of a neighbour other than the best by Q */
#define ALPHA 0.3        /* Q correction step */
#define STATS 5          /* rows, bytes, selectivity, key cardinality, skew */
#define POLICY_MAX ((size_t)1 << 20)
#define ONLINE_LR 1e-4f  /* the online step's learning rate: small, bounded steps */
#define CHECKPOINT_EVERY 10 /* online steps between model checkpoints (and at close) */

static const char *const stat_names[STATS] = {"rows_in", "bytes_in", "selectivity", "key_cardinality", "skew"};

/* A plan given an id: what its feedback needs. */
typedef struct lplan {
	int64_t seq;
	uint64_t fp;
	int32_t step;
	int32_t kind;            /* bit per decision kind an exploration changed from the known-good plan */
	int32_t needs_approval;
	int32_t approved;
	int32_t fed;
	int32_t structural;      /* the point makes structural edits */
	int32_t drift_seen;      /* the plan call saw drift in the input (and re-planned for it) */
	int32_t calibrated;      /* its prediction was calibrated to a run of the pipeline */
	int32_t *point;          /* freed after feedback */
	size_t dim;
	double ts;
	double pred[3];          /* latency, cost, throughput predicted for it */
	double kg_pred[3];       /* the same for the known-good plan */
	double pred_gain;        /* its predicted reward against the known-good plan */
	gdfo_objective obj;
	double volume[3];        /* source bytes, source rows, largest skew of the input */
	double columns;          /* columns the input's stages write (schema changes) */
	gdfo_graph *input;       /* the graph planned (live plans only, until feedback): the online step's */
	double kg_reward;        /* the known-good plan's predicted reward against the input */
	int64_t *stat_ids;       /* per stage of the input: id and STATS values; freed after feedback */
	double *stats;
	size_t n_stats;
} lplan;

typedef struct lpipe {
	uint64_t fp;
	size_t kg_dim, cand_dim;  /* decisions of kg and cand (a pipeline's inputs may differ in them) */
	int32_t *kg;             /* known-good point; NULL: the input as given */
	int64_t kg_seq;          /* plan that made it known-good (0: the input) */
	double kg_runs[KG_RUNS][3];
	int32_t kg_n, kg_at;
	int32_t *cand;           /* candidate that did better, being confirmed; NULL: none */
	int32_t cand_wins, cand_approved, cand_needs_approval;
	int32_t cand_pending;    /* its run awaits a measured known-good run to be judged against */
	double cand_pending_gain;
	int32_t cand_pending_kinds, cand_pending_explore;
	int32_t measure_kg;      /* the next plan is the known-good one, to measure the baseline */
	int64_t cand_seq;
	double cand_runs[KG_RUNS][3];
	int32_t rollback;        /* the next plan is the known-good one */
	double noise2;           /* the engine's run-to-run variance of the reward (EWMA) */
	double err2;             /* Q's mean squared error against observed rewards (EWMA) */
	double resid_mean, resid2; /* the calibrated model's residuals: mean and variance (EWMA) */
	int32_t explore_off;
	int32_t since_gain;
	int32_t runs, plans, explores, drifts;
	int32_t runs_since, explores_since; /* since the last drift: the exploration budget's */
	int32_t drift_fresh;     /* drift seen, no plan made since: re-plan from scratch */
	uint64_t *bad, *tried;
	size_t n_bad, cap_bad, n_tried, cap_tried;
	double corr[GDFO_DECISION_KIND_COUNT];
	gdfo__ph ph[4];          /* ln source bytes, ln source rows, ln skew, residual */
	double columns;          /* -1 until known */
	double hist_t[HISTORY], hist_v[HISTORY], hist_r[HISTORY]; /* run times, source bytes and rows */
	int32_t hist_n;
	int64_t *bound_ids;
	gdfo__bound *bounds;     /* STATS per id */
	size_t n_bounds, cap_bound_ids, cap_bounds;
	gdfo__idmap bmap;
	char *calib;             /* telemetry JSON of the latest run the model may calibrate to */
	int32_t *calib_pt;       /* the point of the plan that run measured */
	size_t calib_dim;
} lpipe;

typedef struct gdfo__loop gdfo__loop;

struct gdfo__loop {
	char *dir;
	int lock_fd;
	pthread_mutex_t mu;
	gdfo__journal j;
	gdfo__audit audit;
	gdfo__policy policy;
	lpipe *pipes;
	size_t n_pipes, cap_pipes;
	gdfo__idmap pmap;        /* fingerprint -> pipe */
	lplan *plans;
	size_t n_plans, cap_plans;
	gdfo__idmap plmap;       /* seq -> plan */
	int64_t next_seq;
	int replaying;
	gdfo_loop_stats stats;
	double (*clock)(void *);
	void *clock_ctx;
	int32_t sync_every;
	pthread_rwlock_t model_lock; /* plan calls read the model; feedback's online step writes it */
	/* what a feedback's transition may need, allocated before its record is
	 * written (feedback_prepare): the transition itself cannot fail */
	int32_t *spare_point, *spare_calib_pt;
	char *spare_calib;
	int64_t updates, updates_saved;
	char *model_ckpt;        /* STATE/model.gdfonn */
};

/* ---- names --------------------------------------------------------------- */

static const char *const event_names[GDFO_LOOP_EVENT_COUNT] = {
	"rollback", "known_good", "drift", "auto_off", "gate", "approval", "forecast", "explore", "failed"};
static const char *const step_names[] = {"none", "known_good", "explore", "confirm", "rollback"};

const char *gdfo_loop_event_name(int event)
{
	int i;
	for (i = 0; i < GDFO_LOOP_EVENT_COUNT; i++)
		if (event == 1 << i)
			return event_names[i];
	return NULL;
}

const char *gdfo_loop_step_name(int step)
{
	return step >= 0 && step < (int)GDFO__ARRAY_LEN(step_names) ? step_names[step] : NULL;
}

static int step_of(const char *name)
{
	int i;
	for (i = 1; i < (int)GDFO__ARRAY_LEN(step_names); i++)
		if (!strcmp(name, step_names[i]))
			return i;
	return -1;
}

/* ---- small helpers ------------------------------------------------------- */

static double now(const gdfo__loop *L)
{
	struct timeval tv;
	if (L->clock) {
		double t = L->clock(L->clock_ctx);
		if (isfinite(t) && t >= 0)
			return t;
	}
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
}

static uint64_t hash_point(const int32_t *pt, size_t dim)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;
	for (i = 0; i < dim; i++) {
		h ^= (uint64_t)(uint32_t)(pt ? pt[i] : 0);
		h *= 1099511628211ULL;
	}
	return h ^ dim;
}

static int point_is(const int32_t *a, const int32_t *b, size_t dim)
{
	size_t i;
	for (i = 0; i < dim; i++)
		if ((a ? a[i] : 0) != (b ? b[i] : 0))
			return 0;
	return 1;
}

/* The pipeline's candidate is plan pl's point (same decisions, same choices). */
#define CAND_IS(p, pl) ((p)->cand && (p)->cand_dim == (pl)->dim && point_is((p)->cand, (pl)->point, (pl)->dim))

static int has_hash(const uint64_t *set, size_t n, uint64_t h)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (set[i] == h)
			return 1;
	return 0;
}

static int add_hash(uint64_t **set, size_t *n, size_t *cap, uint64_t h)
{
	if (has_hash(*set, *n, h))
		return 0;
	if (gdfo__grow((void **)set, cap, *n + 1, sizeof(**set)))
		return GDFO_ENOMEM;
	(*set)[(*n)++] = h;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int32_t kinds_changed(const int32_t *pt, const int32_t *kg, const gdfo_space *space, size_t *first)
{
	int32_t bits = 0;
	size_t d, n = 0;
	for (d = 0; d < space->dim; d++)
		if (pt[d] != kg[d]) {
			bits |= 1 << space->d[d].kind;
			if (!n++ && first)
				*first = d;
		}
	return bits;
}

/* Q's correction of a plan changing these kinds of decision: the mean of theirs. */
static double corr_of(const double *corr, int32_t bits)
{
	double c = 0;
	int k, n = 0;
	for (k = 0; k < GDFO_DECISION_KIND_COUNT; k++)
		if (bits & (1 << k)) {
			c += corr[k];
			n++;
		}
	return n ? c / n : 0;
}

/* Median of metric m over the n runs. */
static double median_of(double runs[][3], int32_t n, int m)
{
	double v[KG_RUNS];
	int32_t i;
	for (i = 0; i < n; i++)
		v[i] = runs[i][m];
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void add_run(double runs[][3], int32_t *n, int32_t *at, const double m[3])
{
	memcpy(runs[*at], m, sizeof(runs[0]));
	*at = (*at + 1) % KG_RUNS;
	if (*n < KG_RUNS)
		(*n)++;
}

static int32_t *dup_point(const int32_t *pt, size_t dim)
{
	int32_t *p;
	if (!pt)
		return NULL;
	if (!(p = gdfo__malloc((dim ? dim : 1) * sizeof(*p))))
		return NULL;
	memcpy(p, pt, dim * sizeof(*p));
	return p;
}

static void pipe_free(lpipe *p)
{
	free(p->kg);
	free(p->cand);
	free(p->bad);
	free(p->tried);
	free(p->bound_ids);
	free(p->bounds);
	gdfo__idmap_free(&p->bmap);
	free(p->calib);
	free(p->calib_pt);
}

static void plan_release(lplan *pl)
{
	gdfo_graph_free(pl->input);
	pl->input = NULL;
	free(pl->point);
	free(pl->stat_ids);
	free(pl->stats);
	pl->point = NULL;
	pl->stat_ids = NULL;
	pl->stats = NULL;
	pl->n_stats = 0;
}

static lpipe *pipe_find(gdfo__loop *L, uint64_t fp)
{
	size_t i = gdfo__idmap_get(&L->pmap, (int64_t)fp);
	return i == (size_t)-1 ? NULL : &L->pipes[i];
}

static int pipe_get(lpipe **out, gdfo__loop *L, uint64_t fp)
{
	lpipe *p;
	int k;
	if ((*out = pipe_find(L, fp)))
		return 0;
	if (gdfo__grow((void **)&L->pipes, &L->cap_pipes, L->n_pipes + 1, sizeof(*L->pipes)) ||
	    gdfo__idmap_put(&L->pmap, (int64_t)fp, L->n_pipes))
		return GDFO_ENOMEM;
	p = &L->pipes[L->n_pipes++];
	memset(p, 0, sizeof(*p));
	p->fp = fp;
	p->columns = -1;
	p->noise2 = 0.1 * 0.1;
	p->err2 = 0.3 * 0.3;
	p->resid2 = 0.1 * 0.1;
	/* volumes: a tenfold step is ln 10 = 2.3; residuals: noise about 0.1 */
	for (k = 0; k < 3; k++)
		gdfo__ph_init(&p->ph[k], GDFO__PH_DELTA, GDFO__PH_LAMBDA, GDFO__PH_MIN_N);
	gdfo__ph_init(&p->ph[3], GDFO__PH_DELTA, GDFO__PH_LAMBDA, GDFO__PH_MIN_N);
	L->stats.pipelines = (int32_t)L->n_pipes;
	*out = p;
	return 0;
}

static lplan *plan_find(gdfo__loop *L, int64_t seq)
{
	size_t i = gdfo__idmap_get(&L->plmap, seq);
	return i == (size_t)-1 ? NULL : &L->plans[i];
}

static int bound_slot(gdfo__bound **out, lpipe *p, int64_t id)
{
	size_t i = gdfo__idmap_get(&p->bmap, id);
	if (i == (size_t)-1) {
		if (gdfo__grow((void **)&p->bound_ids, &p->cap_bound_ids, p->n_bounds + 1, sizeof(*p->bound_ids)) ||
		    gdfo__grow((void **)&p->bounds, &p->cap_bounds, (p->n_bounds + 1) * STATS, sizeof(*p->bounds)) ||
		    gdfo__idmap_put(&p->bmap, id, p->n_bounds))
			return GDFO_ENOMEM;
		i = p->n_bounds++;
		p->bound_ids[i] = id;
		memset(&p->bounds[i * STATS], 0, STATS * sizeof(*p->bounds));
	}
	*out = &p->bounds[i * STATS];
	return 0;
}

/*
 * The value the drift test of input series k reads: for the volumes (k 0
 * bytes, 1 rows) ln(v / forecast from the earlier runs), so that a trend
 * or a season is not a shift (detect.c); for the skew (k 2) ln of it.
 * NAN when there is nothing to compare with.
 */
static double series_value(int k, double v, const double *t, const double *hv, const double *hr, int32_t n,
			   double ts)
{
	gdfo__forecast f;
	if (!(v > 0))
		return NAN;
	if (k == 2)
		return log(v);
	if (n < 1)
		return NAN;
	gdfo__forecast_next(&f, t, k == 0 ? hv : hr, (size_t)n, ts);
	return f.value > 0 ? log(v / f.value) : NAN;
}

/* ---- the input's summary ------------------------------------------------- */

typedef struct summary {
	double volume[3];   /* source bytes, source rows, largest skew */
	double columns;
	int64_t *ids;
	double *stats;      /* STATS per stage */
	size_t n;
} summary;

static void summary_free(summary *s)
{
	free(s->ids);
	free(s->stats);
	memset(s, 0, sizeof(*s));
}

static int summarize(summary *s, const gdfo_graph *g)
{
	size_t i, n = gdfo_graph_stage_count(g);
	memset(s, 0, sizeof(*s));
	s->volume[2] = 1;
	if (!(s->ids = gdfo__calloc(n ? n : 1, sizeof(*s->ids))) ||
	    !(s->stats = gdfo__calloc((n ? n : 1) * STATS, sizeof(*s->stats)))) {
		summary_free(s);
		return GDFO_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		gdfo_stage st = {.version = GDFO_STAGE_VERSION};
		const size_t *par;
		size_t np = 0;
		gdfo_graph_stage_at(&st, g, i);
		gdfo_graph_parents(&par, &np, g, st.id);
		s->ids[i] = st.id;
		s->stats[i * STATS + 0] = st.stats->rows_in;
		s->stats[i * STATS + 1] = st.stats->bytes_in;
		s->stats[i * STATS + 2] = st.stats->selectivity;
		s->stats[i * STATS + 3] = st.stats->key_cardinality;
		s->stats[i * STATS + 4] = st.stats->skew;
		if (!np) {
			s->volume[0] += st.stats->bytes_in > 0 ? st.stats->bytes_in : 0;
			s->volume[1] += st.stats->rows_in > 0 ? st.stats->rows_in : 0;
		}
		if (st.stats->skew > s->volume[2])
			s->volume[2] = st.stats->skew;
		s->columns += (double)st.n_columns_written + (double)st.n_columns_read;
	}
	s->n = n;
	return 0;
}

/* ---- records -------------------------------------------------------------- */

static void put_numbers(gdfo__jsonw *w, const double *v, size_t n)
{
	size_t i;
	gdfo__jsonw_raw(w, "[");
	for (i = 0; i < n; i++) {
		if (i)
			gdfo__jsonw_raw(w, ",");
		gdfo__jsonw_number(w, isfinite(v[i]) ? v[i] : -1, 0, "journal value");
	}
	gdfo__jsonw_raw(w, "]");
}

static int plan_record(char **out, const lplan *pl)
{
	gdfo__jsonw w = {0};
	double o[6];
	size_t i;

	gdfo__jsonw_raw(&w, "{\"type\":\"plan\",\"seq\":%lld,\"fp\":\"%016llx\",\"ts\":", (long long)pl->seq,
			(unsigned long long)pl->fp);
	gdfo__jsonw_number(&w, pl->ts, 0, "time");
	gdfo__jsonw_raw(&w, ",\"step\":\"%s\",\"kind\":%d,\"approval\":%d,\"structural\":%d,\"drift_seen\":%d,\"calibrated\":%d,\"point\":[",
			step_names[pl->step], pl->kind, pl->needs_approval, pl->structural, pl->drift_seen, pl->calibrated);
	for (i = 0; i < pl->dim; i++)
		gdfo__jsonw_raw(&w, "%s%d", i ? "," : "", pl->point ? pl->point[i] : 0);
	gdfo__jsonw_raw(&w, "],\"pred\":");
	put_numbers(&w, pl->pred, 3);
	gdfo__jsonw_raw(&w, ",\"kg_pred\":");
	put_numbers(&w, pl->kg_pred, 3);
	gdfo__jsonw_raw(&w, ",\"pred_gain\":");
	gdfo__jsonw_number(&w, isfinite(pl->pred_gain) ? pl->pred_gain : 0, 0, "gain");
	o[0] = pl->obj.throughput_weight;
	o[1] = pl->obj.latency_weight;
	o[2] = pl->obj.cost_weight;
	o[3] = pl->obj.slo_ms;
	o[4] = pl->obj.cost_ceiling;
	o[5] = pl->obj.failure_penalty;
	gdfo__jsonw_raw(&w, ",\"objective\":");
	put_numbers(&w, o, 6);
	gdfo__jsonw_raw(&w, ",\"volume\":");
	put_numbers(&w, pl->volume, 3);
	gdfo__jsonw_raw(&w, ",\"columns\":");
	gdfo__jsonw_number(&w, pl->columns, 0, "columns");
	gdfo__jsonw_raw(&w, ",\"stats\":[");
	for (i = 0; i < pl->n_stats; i++) {
		double v[1 + STATS];
		v[0] = (double)pl->stat_ids[i];
		memcpy(v + 1, pl->stats + i * STATS, STATS * sizeof(double));
		if (i)
			gdfo__jsonw_raw(&w, ",");
		put_numbers(&w, v, 1 + STATS);
	}
	gdfo__jsonw_raw(&w, "]}");
	return gdfo__jsonw_finish(&w, out);
}

static int get_numbers(double *v, size_t n, const cJSON *obj, const char *key)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key), *x;
	size_t i = 0;
	if (!cJSON_IsArray(a) || (size_t)cJSON_GetArraySize(a) != n)
		return gdfo__error(GDFO_EFORMAT, "journal: %s: expected %zu numbers", key, n);
	cJSON_ArrayForEach(x, a) {
		if (!cJSON_IsNumber(x))
			return gdfo__error(GDFO_EFORMAT, "journal: %s[%zu] is not a number", key, i);
		v[i++] = x->valuedouble;
	}
	return 0;
}

/* A journal number that must be an integer in lo..hi (casts of others are undefined). */
static int int_in(double v, double lo, double hi)
{
	return v >= lo && v <= hi && v == floor(v);
}

#define SEQ_MAX 9007199254740992.0 /* 2^53 */

static int get_num(double *v, const cJSON *obj, const char *key)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsNumber(x))
		return gdfo__error(GDFO_EFORMAT, "journal: %s is missing or not a number", key);
	*v = x->valuedouble;
	return 0;
}

static int parse_plan_record(lplan *pl, const cJSON *r)
{
	const cJSON *x, *a;
	double v = 0, o[6];
	size_t i;
	int rc;

	memset(pl, 0, sizeof(*pl));
	if ((rc = get_num(&v, r, "seq")))
		return rc;
	if (!int_in(v, 1, SEQ_MAX))
		return gdfo__error(GDFO_EFORMAT, "journal: a plan's seq is not an integer in 1..2^53");
	pl->seq = (int64_t)v;
	x = cJSON_GetObjectItemCaseSensitive(r, "fp");
	if (!cJSON_IsString(x) || sscanf(x->valuestring, "%16llx", (unsigned long long *)&pl->fp) != 1)
		return gdfo__error(GDFO_EFORMAT, "journal: plan %lld: bad fp", (long long)pl->seq);
	x = cJSON_GetObjectItemCaseSensitive(r, "step");
	if (!cJSON_IsString(x) || (pl->step = step_of(x->valuestring)) < 0)
		return gdfo__error(GDFO_EFORMAT, "journal: plan %lld: bad step", (long long)pl->seq);
	if ((rc = get_num(&pl->ts, r, "ts")) || (rc = get_num(&v, r, "kind")))
		return rc;
	if (!int_in(v, 0, (1 << GDFO_DECISION_KIND_COUNT) - 1))
		return gdfo__error(GDFO_EFORMAT, "journal: plan %lld: kind out of range", (long long)pl->seq);
	pl->kind = (int32_t)v;
	if ((rc = get_num(&v, r, "approval")))
		return rc;
	pl->needs_approval = v != 0;
	if ((rc = get_num(&v, r, "structural")))
		return rc;
	pl->structural = v != 0;
	if ((rc = get_num(&v, r, "drift_seen")))
		return rc;
	pl->drift_seen = v != 0;
	if ((rc = get_num(&v, r, "calibrated")))
		return rc;
	pl->calibrated = v != 0;
	if ((rc = get_numbers(pl->pred, 3, r, "pred")) || (rc = get_numbers(pl->kg_pred, 3, r, "kg_pred")) ||
	    (rc = get_num(&pl->pred_gain, r, "pred_gain")) || (rc = get_numbers(o, 6, r, "objective")) ||
	    (rc = get_numbers(pl->volume, 3, r, "volume")) || (rc = get_num(&pl->columns, r, "columns")))
		return rc;
	gdfo_objective_init(&pl->obj, GDFO_OBJECTIVE_VERSION);
	pl->obj.throughput_weight = o[0];
	pl->obj.latency_weight = o[1];
	pl->obj.cost_weight = o[2];
	pl->obj.slo_ms = o[3];
	pl->obj.cost_ceiling = o[4];
	pl->obj.failure_penalty = o[5];
	a = cJSON_GetObjectItemCaseSensitive(r, "point");
	if (!cJSON_IsArray(a))
		return gdfo__error(GDFO_EFORMAT, "journal: plan %lld: no point", (long long)pl->seq);
	pl->dim = (size_t)cJSON_GetArraySize(a);
	if (!(pl->point = gdfo__calloc(pl->dim ? pl->dim : 1, sizeof(*pl->point))))
		return GDFO_ENOMEM;
	i = 0;
	cJSON_ArrayForEach(x, a) {
		if (!cJSON_IsNumber(x) || !int_in(x->valuedouble, 0, INT32_MAX)) {
			plan_release(pl);
			return gdfo__error(GDFO_EFORMAT, "journal: plan %lld: point[%zu] is not a choice", (long long)pl->seq, i);
		}
		pl->point[i++] = (int32_t)x->valuedouble;
	}
	a = cJSON_GetObjectItemCaseSensitive(r, "stats");
	if (!cJSON_IsArray(a)) {
		plan_release(pl);
		return gdfo__error(GDFO_EFORMAT, "journal: plan %lld: no stats", (long long)pl->seq);
	}
	pl->n_stats = (size_t)cJSON_GetArraySize(a);
	if (!(pl->stat_ids = gdfo__calloc(pl->n_stats ? pl->n_stats : 1, sizeof(*pl->stat_ids))) ||
	    !(pl->stats = gdfo__calloc((pl->n_stats ? pl->n_stats : 1) * STATS, sizeof(*pl->stats)))) {
		plan_release(pl);
		return GDFO_ENOMEM;
	}
	i = 0;
	cJSON_ArrayForEach(x, a) {
		double row[1 + STATS];
		const cJSON *y;
		size_t k = 0;
		if (!cJSON_IsArray(x) || cJSON_GetArraySize(x) != 1 + STATS) {
			plan_release(pl);
			return gdfo__error(GDFO_EFORMAT, "journal: plan %lld: stats[%zu]", (long long)pl->seq, i);
		}
		cJSON_ArrayForEach(y, x) row[k++] = cJSON_IsNumber(y) ? y->valuedouble : -1;
		if (!int_in(row[0], 0, SEQ_MAX)) {
			plan_release(pl);
			return gdfo__error(GDFO_EFORMAT, "journal: plan %lld: stats[%zu] has no stage id", (long long)pl->seq, i);
		}
		pl->stat_ids[i] = (int64_t)row[0];
		memcpy(pl->stats + i * STATS, row + 1, STATS * sizeof(double));
		i++;
	}
	return 0;
}

/* ---- audit helpers -------------------------------------------------------- */

static void audit(gdfo__loop *L, double ts, const char *event, uint64_t fp, const char *plan_id, const char *fmt, ...)
	GDFO__PRINTF(6, 7);

/* Audit lines are best effort after the journal record that caused them
 * is written: a failure to write one does not undo the record. */
static void audit(gdfo__loop *L, double ts, const char *event, uint64_t fp, const char *plan_id, const char *fmt, ...)
{
	char *buf = NULL;
	va_list ap;
	int n = 0;
	if (L->replaying)
		return;
	if (fmt) {
		va_start(ap, fmt);
		n = vsnprintf(NULL, 0, fmt, ap);
		va_end(ap);
		if (n < 0 || !(buf = gdfo__malloc((size_t)n + 1)))
			return;
		va_start(ap, fmt);
		vsnprintf(buf, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	(void)gdfo__audit_write(&L->audit, ts, event, fp, fp != 0, plan_id, buf);
	free(buf);
}

/* s as a JSON string literal (quoted, escaped) in buf; "\"\"" when it does not fit. */
static const char *jstr(char *buf, size_t n, const char *s)
{
	gdfo__jsonw w = {0};
	char *t = NULL;
	gdfo__jsonw_string(&w, s ? s : "");
	if (gdfo__jsonw_finish(&w, &t) || strlen(t) >= n)
		snprintf(buf, n, "\"\"");
	else
		memcpy(buf, t, strlen(t) + 1);
	free(t);
	return buf;
}

static void id_of(char *buf, uint64_t fp, int64_t seq)
{
	snprintf(buf, GDFO_PLAN_ID_MAX + 1, "%016llx-%lld", (unsigned long long)fp, (long long)seq);
}

static int parse_id(uint64_t *fp, int64_t *seq, const char *id)
{
	unsigned long long f;
	long long s;
	int n = 0;
	if (!id || strlen(id) > GDFO_PLAN_ID_MAX || strlen(id) < 18 || strspn(id, "0123456789abcdef") != 16 ||
	    id[16] != '-' || id[17] == '0' || strspn(id + 17, "0123456789") != strlen(id + 17) ||
	    sscanf(id, "%16llx-%lld%n", &f, &s, &n) != 2 || id[n] || s <= 0)
		return gdfo__error(GDFO_EINVAL, "plan id '%.48s' is not an id this library gives (<16 hex digits>-<number>)",
				   id ? id : "(null)");
	*fp = f;
	*seq = s;
	return 0;
}

/* ---- transitions ---------------------------------------------------------- */

static int apply_plan(gdfo__loop *L, lplan *in)
{
	lpipe *p;
	lplan *pl;
	int rc;

	if (plan_find(L, in->seq))
		return gdfo__error(GDFO_EFORMAT, "journal: plan %lld appears twice", (long long)in->seq);
	if ((rc = pipe_get(&p, L, in->fp)))
		return rc;
	if (gdfo__grow((void **)&L->plans, &L->cap_plans, L->n_plans + 1, sizeof(*L->plans)) ||
	    gdfo__idmap_put(&L->plmap, in->seq, L->n_plans))
		return GDFO_ENOMEM;
	pl = &L->plans[L->n_plans++];
	*pl = *in; /* takes the arrays */
	memset(in, 0, sizeof(*in));
	if (pl->seq >= L->next_seq)
		L->next_seq = pl->seq + 1;
	p->plans++;
	p->drift_fresh = 0;
	if (pl->step == GDFO_STEP_EXPLORE) {
		p->explores++;
		p->explores_since++;
		if (add_hash(&p->tried, &p->n_tried, &p->cap_tried, hash_point(pl->point, pl->dim)))
			return GDFO_ENOMEM;
	}
	L->stats.plans++;
	return 0;
}

static void promote(gdfo__loop *L, lpipe *p, int64_t seq, double ts)
{
	char id[GDFO_PLAN_ID_MAX + 1];
	free(p->kg);
	p->kg = p->cand;
	p->kg_dim = p->cand_dim;
	p->cand = NULL;
	p->kg_seq = p->cand_seq;
	memcpy(p->kg_runs, p->cand_runs, sizeof(p->kg_runs));
	p->kg_n = p->cand_wins < KG_RUNS ? p->cand_wins : KG_RUNS;
	p->kg_at = p->kg_n % KG_RUNS;
	p->cand_wins = 0;
	p->since_gain = 0;
	p->n_tried = 0;
	/* the model errs differently on the new plan: its residuals start afresh */
	gdfo__ph_init(&p->ph[3], p->ph[3].delta, p->ph[3].lambda, p->ph[3].min_n);
	p->resid_mean = 0;
	p->resid2 = 0.1 * 0.1;
	id_of(id, p->fp, p->kg_seq);
	audit(L, ts, "known_good", p->fp, id, "\"after_plan\":%lld,\"runs\":%d", (long long)seq, p->kg_n);
}

/* The baseline of a run of pl: the known-good plan's measured median, or
 * estimated from this run and the predicted ratio. */
static int baseline_of(gdfo_outcome *b, const lpipe *p, const lplan *pl, const gdfo_outcome *run)
{
	int m;
	gdfo_outcome_init(b, GDFO_OUTCOME_VERSION);
	if (p->kg_n > 0) {
		b->latency_ms = median_of((double(*)[3])p->kg_runs, p->kg_n, 0);
		b->cost = median_of((double(*)[3])p->kg_runs, p->kg_n, 1);
		b->throughput = median_of((double(*)[3])p->kg_runs, p->kg_n, 2);
		return 1;
	}
	for (m = 0; m < 3; m++) {
		double x = m == 0 ? run->latency_ms : m == 1 ? run->cost : run->throughput;
		double r = pl->pred[m] > 0 && pl->kg_pred[m] > 0 ? pl->kg_pred[m] / pl->pred[m] : 1;
		if (m == 0)
			b->latency_ms = x * r;
		else if (m == 1)
			b->cost = x * r;
		else
			b->throughput = x * r;
	}
	return 0;
}

static int telemetry_outcome(gdfo_outcome *o, const gdfo_telemetry *t)
{
	gdfo_run_telemetry run = {.version = GDFO_RUN_TELEMETRY_VERSION};
	gdfo_outcome_init(o, GDFO_OUTCOME_VERSION);
	if (gdfo_telemetry_get_run(&run, t) || !(run.latency_ms > 0) || !isfinite(run.latency_ms))
		return gdfo__error(GDFO_EINVAL, "feedback telemetry has no run latency (gdfo_telemetry_set_run: latency_ms > 0)");
	o->success = run.success != 0;
	o->latency_ms = run.latency_ms;
	o->cost = run.cost >= 0 ? run.cost : 0;
	o->throughput = run.throughput >= 0 ? run.throughput
					    : run.records > 0 ? run.records / (run.latency_ms / 1000.0) : 0;
	if (!isfinite(o->throughput)) /* records over a vanishing latency: not a measurement */
		o->throughput = 0;
	return 0;
}

/* A copy of pt from the spare feedback_prepare made (NULL for an empty point). */
static int32_t *take_point(gdfo__loop *L, const int32_t *pt, size_t dim)
{
	int32_t *c = L->spare_point;
	L->spare_point = NULL;
	if (c && dim)
		memcpy(c, pt, dim * sizeof(*c));
	return c;
}

/*
 * Allocates what applying a feedback of plan pl may need, so that the
 * transition, once its record is written, cannot fail half way: a point,
 * the calibration's copies, room for one more bad point and for the
 * bounds of every stage of the plan's input.
 */
static int feedback_prepare(gdfo__loop *L, const lplan *pl, const char *tjson)
{
	lpipe *p = pipe_find(L, pl->fp);
	size_t i, fresh = 0, need;
	if (!p)
		return gdfo__error(GDFO_EINTERNAL, "loop: plan %lld has no pipeline", (long long)pl->seq);
	/* sized for this plan's point (a spare left from another may be smaller) */
	free(L->spare_point);
	if (!(L->spare_point = gdfo__malloc((pl->dim ? pl->dim : 1) * sizeof(int32_t))))
		return GDFO_ENOMEM;
	free(L->spare_calib_pt);
	free(L->spare_calib);
	L->spare_calib = NULL;
	if (!(L->spare_calib_pt = gdfo__malloc((pl->dim ? pl->dim : 1) * sizeof(int32_t))))
		return GDFO_ENOMEM;
	if (tjson && !(L->spare_calib = gdfo__strdup(tjson)))
		return GDFO_ENOMEM;
	if (gdfo__grow((void **)&p->bad, &p->cap_bad, p->n_bad + 1, sizeof(*p->bad)))
		return GDFO_ENOMEM;
	for (i = 0; i < pl->n_stats; i++)
		fresh += gdfo__idmap_get(&p->bmap, pl->stat_ids[i]) == (size_t)-1;
	need = p->n_bounds + fresh;
	if (gdfo__grow((void **)&p->bound_ids, &p->cap_bound_ids, need ? need : 1, sizeof(*p->bound_ids)) ||
	    gdfo__grow((void **)&p->bounds, &p->cap_bounds, (need ? need : 1) * STATS, sizeof(*p->bounds)) ||
	    gdfo__idmap_reserve(&p->bmap, need))
		return GDFO_ENOMEM;
	return 0;
}

/*
 * Judges a candidate's run (its plan pl, reward against the known-good
 * plan's measured median) and moves the pipeline on: a rollback, a win
 * toward known-good, or no gain.
 */
static int judge_candidate(gdfo__loop *L, lpipe *p, const lplan *pl, int64_t seq, double ts, const char *id,
			   const gdfo_reward *rwp, int success, const double m[3], int32_t *evp, double *decided)
{
	gdfo_reward rw = *rwp;
	int32_t ev = 0;
	int k;

	/* The decision weighs the observed reward against the model's (Q's)
	 * prediction by their variances: one run's noise (the spread of the
	 * known-good plan's own runs) against the model's error (the spread of
	 * Q's residuals less that noise). With a quiet engine it is the observed
	 * reward; with a noisy one the prediction counts for more. */
	double q = pl->pred_gain + corr_of(p->corr, pl->kind);
	double vo = p->noise2 > 1e-6 ? p->noise2 : 1e-6;
	double vp = p->err2 - vo > 0.0025 ? p->err2 - vo : 0.0025;
	double v = success ? (q / vp + rw.reward / vo) / (1 / vp + 1 / vo) : rw.reward;
	int bad = !success || v < -L->policy.rollback_margin;
	*decided = v;
	if (success) {
		double e = rw.reward - q;
		p->err2 = 0.8 * p->err2 + 0.2 * e * e;
	}
	if (pl->kind > 0 && success) {
		/* Q's corrections: each kind changed moves toward the error of
		 * pred_gain + their mean (normalized least mean squares) */
		double err = rw.reward - pl->pred_gain - corr_of(p->corr, pl->kind);
		for (k = 0; k < GDFO_DECISION_KIND_COUNT; k++)
			if (pl->kind & (1 << k))
				p->corr[k] += ALPHA * err;
	}
	if (bad) {
		ev |= GDFO_EVENT_ROLLBACK;
		p->rollback = 1;
		p->since_gain++;
		if (add_hash(&p->bad, &p->n_bad, &p->cap_bad, hash_point(pl->point, pl->dim)))
			return GDFO_ENOMEM;
		if (CAND_IS(p, pl)) {
			free(p->cand);
			p->cand = NULL;
			p->cand_wins = 0;
		}
		audit(L, ts, "rollback", p->fp, id, "\"reward\":%.4f,\"margin\":%.4f,\"next\":\"known_good\"",
		      rw.reward, L->policy.rollback_margin);
	} else if (v > L->policy.min_gain) {
		if (CAND_IS(p, pl)) {
			p->cand_wins++;
		} else {
			free(p->cand);
			p->cand = take_point(L, pl->point, pl->dim);
			p->cand_dim = pl->dim;
			p->cand_wins = 1;
			p->cand_seq = seq;
			p->cand_approved = 0;
			p->cand_needs_approval = 0;
		}
		if (pl->needs_approval)
			p->cand_needs_approval = 1;
		if (pl->approved)
			p->cand_approved = 1;
		memcpy(p->cand_runs[(p->cand_wins - 1) % KG_RUNS], m, sizeof(p->cand_runs[0]));
		if (p->cand_wins >= L->policy.confirm_runs) {
			if (p->cand_needs_approval && !p->cand_approved) {
				ev |= GDFO_EVENT_APPROVAL;
				audit(L, ts, "awaiting_approval", p->fp, id,
				      "\"reward\":%.4f,\"runs\":%d,\"why\":\"better on enough runs, but it needs approval (gdfo_optimizer_approve) before it can become known-good\"",
				      rw.reward, p->cand_wins);
			} else {
				ev |= GDFO_EVENT_KNOWN_GOOD;
				promote(L, p, seq, ts);
			}
		}
	} else {
		p->since_gain++;
		if (CAND_IS(p, pl)) {
			free(p->cand);
			p->cand = NULL;
			p->cand_wins = 0;
		}
	}
	if (pl->step == GDFO_STEP_EXPLORE && !p->explore_off && p->since_gain >= L->policy.auto_off_runs) {
		p->explore_off = 1;
		ev |= GDFO_EVENT_AUTO_OFF;
		audit(L, ts, "auto_off", p->fp, id, "\"runs_without_gain\":%d", p->since_gain);
	}
	*evp |= ev;
	return 0;
}

static int apply_feedback(gdfo__loop *L, int64_t seq, double ts, const gdfo_telemetry *t, const char *tjson,
			  gdfo_feedback *fb)
{
	char id[GDFO_PLAN_ID_MAX + 1];
	lplan *pl = plan_find(L, seq);
	lpipe *p;
	gdfo_outcome run, base;
	gdfo_reward rw = {.version = GDFO_REWARD_VERSION};
	double m[3], resid = 0, decided = NAN;
	int32_t ev = 0, k;
	int measured, is_kg, rc, drift = 0;
	size_t i;

	if (!pl)
		return gdfo__error(GDFO_EFORMAT, "journal: feedback for plan %lld, which it does not hold", (long long)seq);
	if (pl->fed)
		return gdfo__error(GDFO_EFORMAT, "journal: a second feedback for plan %lld", (long long)seq);
	if (!(p = pipe_find(L, pl->fp)))
		return gdfo__error(GDFO_EINTERNAL, "loop: plan %lld has no pipeline", (long long)seq);
	if ((rc = telemetry_outcome(&run, t)))
		return rc;
	id_of(id, pl->fp, seq);
	pl->fed = 1;
	p->runs++;
	p->runs_since++;
	L->stats.feedback++;

	/* drift: the input's volumes and skew, its schema, the model's residual */
	for (k = 0; k < 3; k++)
		if (gdfo__ph_update(&p->ph[k], series_value(k, pl->volume[k], p->hist_t, p->hist_v, p->hist_r, p->hist_n, pl->ts)))
			drift |= 1 << k;
	if (p->columns >= 0 && pl->columns != p->columns)
		drift |= 1 << 4;
	if (pl->drift_seen)
		drift |= 1 << 5; /* the plan call saw it in the input (statistics out of their bounds) */
	p->columns = pl->columns;
	if (pl->pred[0] > 0 && run.success) {
		resid = log(run.latency_ms / pl->pred[0]);
		/* only the known-good plan's runs (the model errs differently on
		 * different plans: that is not drift) with calibrated predictions (an
		 * uncalibrated model's error is its own); scaled by the residuals' own
		 * spread to the detectors' noise of 0.1 (an engine noisier than that
		 * is not drifting) */
		if (pl->calibrated && (pl->step == GDFO_STEP_KNOWN_GOOD || pl->step == GDFO_STEP_ROLLBACK)) {
			double sd = sqrt(p->resid2) > 0.1 ? sqrt(p->resid2) : 0.1, e;
			if (gdfo__ph_update(&p->ph[3], resid * 0.1 / sd))
				drift |= 1 << 3;
			e = resid - p->resid_mean;
			p->resid_mean += 0.2 * e;
			p->resid2 = 0.8 * p->resid2 + 0.2 * e * e;
		}
	}
	if (drift) {
		ev |= GDFO_EVENT_DRIFT;
		p->drifts++;
		p->kg_n = p->kg_at = 0;
		p->explore_off = 0;
		p->since_gain = 0;
		p->n_tried = 0;
		p->n_bad = 0;
		for (k = 0; k < GDFO_DECISION_KIND_COUNT; k++)
			p->corr[k] *= 0.5;
		free(p->cand);
		p->cand = NULL;
		p->cand_wins = 0;
		p->cand_pending = 0;
		p->measure_kg = 0;
		/* re-plan from scratch unless the plan call saw it and did */
		p->drift_fresh = !pl->drift_seen;
		p->runs_since = 1;
		p->explores_since = pl->step == GDFO_STEP_EXPLORE;
		/* the volume history restarts at this run (its forecast is of the new level) */
		p->hist_n = 0;
		/* the detectors restart from this run: one shift, one event */
		for (k = 0; k < 4; k++) {
			gdfo__ph_init(&p->ph[k], p->ph[k].delta, p->ph[k].lambda, p->ph[k].min_n);
			if (k == 2 && pl->volume[k] > 0)
				gdfo__ph_update(&p->ph[k], log(pl->volume[k]));
		}
		free(p->calib);
		p->calib = NULL;
		free(p->calib_pt);
		p->calib_pt = NULL;
		audit(L, ts, "drift", p->fp, id, "\"in\":[\"%s%s%s%s%s%s\"],\"residual\":%.4f,\"action\":\"known-good runs reset, calibration refit, exploration restarted\"",
		      drift & 1 ? "source_bytes " : "", drift & 2 ? "source_rows " : "", drift & 4 ? "skew " : "",
		      drift & 16 ? "schema " : "", drift & 32 ? "stage statistics " : "", drift & 8 ? "residual" : "",
		      resid);
	}
	m[0] = run.latency_ms;
	m[1] = run.cost;
	m[2] = run.throughput;
	is_kg = pl->step == GDFO_STEP_KNOWN_GOOD || pl->step == GDFO_STEP_ROLLBACK;
	measured = baseline_of(&base, p, pl, &run);
	if (is_kg && !measured)
		base = run;
	if ((rc = gdfo_reward_compute(&rw, &run, &base, &pl->obj)))
		return rc;
	/* no known-good run measured and the known-good plan predicted to fail
	 * on this input: a successful run gains what that failure would cost */
	if (!measured && !is_kg && !(pl->kg_pred[0] > 0) && run.success)
		rw.reward = pl->obj.failure_penalty;
	if (!run.success)
		ev |= GDFO_EVENT_BAD;
	if (is_kg) {
		if (run.success && measured) /* the engine's noise: a known-good run against its median */
			p->noise2 = 0.8 * p->noise2 + 0.2 * rw.reward * rw.reward;
		if (run.success)
			add_run(p->kg_runs, &p->kg_n, &p->kg_at, m);
		p->rollback = 0;
		if (run.success)
			p->measure_kg = 0;
		if (run.success && p->cand_pending && p->cand) {
			/* the deferred candidate against this measured run */
			lplan c;
			gdfo_outcome co, kb;
			gdfo_reward crw = {.version = GDFO_REWARD_VERSION};
			char cid[GDFO_PLAN_ID_MAX + 1];
			memset(&c, 0, sizeof(c));
			c.point = p->cand;
			c.dim = p->cand_dim;
			c.pred_gain = p->cand_pending_gain;
			c.kind = p->cand_pending_kinds;
			c.step = p->cand_pending_explore ? GDFO_STEP_EXPLORE : GDFO_STEP_CONFIRM;
			c.needs_approval = p->cand_needs_approval;
			c.approved = p->cand_approved;
			gdfo_outcome_init(&co, GDFO_OUTCOME_VERSION);
			co.latency_ms = p->cand_runs[0][0];
			co.cost = p->cand_runs[0][1];
			co.throughput = p->cand_runs[0][2];
			baseline_of(&kb, p, pl, &run);
			if ((rc = gdfo_reward_compute(&crw, &co, &kb, &pl->obj)))
				return rc;
			p->cand_pending = 0;
			id_of(cid, p->fp, p->cand_seq);
			{
				double cm[3] = {co.latency_ms, co.cost, co.throughput};
				int32_t cev = 0;
				if ((rc = judge_candidate(L, p, &c, p->cand_seq, ts, cid, &crw, 1, cm, &cev, &decided)))
					return rc;
				ev |= cev & (GDFO_EVENT_KNOWN_GOOD | GDFO_EVENT_AUTO_OFF | GDFO_EVENT_APPROVAL);
				audit(L, ts, "judged", p->fp, cid, "\"reward\":%.4f,\"decided_on\":%.4f,\"against\":\"the known-good run of plan %lld\",\"outcome\":\"%s\"",
				      crw.reward, decided, (long long)seq,
				      cev & GDFO_EVENT_ROLLBACK ? "worse: marked bad" : p->cand ? "better: to be confirmed" : "no gain");
				/* a worse candidate was already replaced by this known-good run: no rollback run needed */
				if (cev & GDFO_EVENT_ROLLBACK)
					p->rollback = 0;
			}
		}
		if (!run.success && p->kg) {
			/* the known-good plan failed on this input: the input as the host gives it is the safe plan */
			free(p->kg);
			p->kg = NULL;
			p->kg_dim = 0;
			p->kg_seq = 0;
			p->kg_n = p->kg_at = 0;
			p->n_tried = 0;
			gdfo__ph_init(&p->ph[3], p->ph[3].delta, p->ph[3].lambda, p->ph[3].min_n);
			audit(L, ts, "known_good", p->fp, NULL,
			      "\"reset\":true,\"why\":\"the known-good plan (from plan %lld) failed on this run: the input as given is known-good again\"",
			      (long long)seq);
		}
	} else if (run.success && !measured) {
		/* No known-good run measured on this input (a new pipeline, or one
		 * that drifted): the baseline is only the model's estimate. Keep the
		 * run, measure the known-good plan next, and judge the candidate
		 * against that run then. */
		free(p->cand);
		p->cand = take_point(L, pl->point, pl->dim);
		p->cand_dim = pl->dim;
		p->cand_wins = 0;
		p->cand_seq = seq;
		p->cand_pending = 1;
		p->cand_pending_gain = pl->pred_gain;
		p->cand_pending_kinds = pl->kind;
		p->cand_pending_explore = pl->step == GDFO_STEP_EXPLORE;
		p->cand_approved = pl->approved;
		p->cand_needs_approval = pl->needs_approval;
		memcpy(p->cand_runs[0], m, sizeof(p->cand_runs[0]));
		p->measure_kg = 1;
		audit(L, ts, "deferred", p->fp, id,
		      "\"estimated_reward\":%.4f,\"next\":\"the known-good plan, to measure the baseline this run is judged against\"",
		      rw.reward);
	} else {
		if ((rc = judge_candidate(L, p, pl, seq, ts, id, &rw, run.success, m, &ev, &decided)))
			return rc;
	}
	/* history: the forecast's volumes, the gates' bounds, the calibration */
	if (pl->volume[0] > 0) {
		if (p->hist_n == HISTORY) {
			memmove(p->hist_t, p->hist_t + 1, (HISTORY - 1) * sizeof(double));
			memmove(p->hist_v, p->hist_v + 1, (HISTORY - 1) * sizeof(double));
			memmove(p->hist_r, p->hist_r + 1, (HISTORY - 1) * sizeof(double));
			p->hist_n--;
		}
		p->hist_t[p->hist_n] = pl->ts;
		p->hist_v[p->hist_n] = pl->volume[0];
		p->hist_r[p->hist_n] = pl->volume[1] > 0 ? pl->volume[1] : 1;
		p->hist_n++;
	}
	if (run.success)
		for (i = 0; i < pl->n_stats; i++) {
			gdfo__bound *b;
			int s;
			if ((rc = bound_slot(&b, p, pl->stat_ids[i])))
				return rc;
			for (s = 0; s < STATS; s++)
				gdfo__bound_add(&b[s], pl->stats[i * STATS + s]);
		}
	if (run.success && tjson && L->spare_calib) {
		free(p->calib);
		free(p->calib_pt);
		p->calib = L->spare_calib;
		p->calib_pt = L->spare_calib_pt;
		if (pl->dim)
			memcpy(p->calib_pt, pl->point, pl->dim * sizeof(*p->calib_pt));
		L->spare_calib = NULL;
		L->spare_calib_pt = NULL;
		p->calib_dim = pl->dim;
	}
	audit(L, ts, "feedback", p->fp, id,
	      "\"step\":\"%s\",\"success\":%s,\"latency_ms\":%.6g,\"cost\":%.6g,\"throughput\":%.6g,\"reward\":%.4f,\"decided_on\":%.4f,\"noise\":%.4f,\"baseline\":\"%s\",\"baseline_latency_ms\":%.6g,\"residual\":%.4f,\"known_good\":%s",
	      step_names[pl->step], run.success ? "true" : "false", run.latency_ms, run.cost, run.throughput, rw.reward,
	      isfinite(decided) ? decided : rw.reward, sqrt(p->noise2),
	      measured ? "measured" : "estimated", base.latency_ms, resid,
	      is_kg || (ev & GDFO_EVENT_KNOWN_GOOD) ? "true" : "false");
	if (fb) {
		memset(fb, 0, sizeof(*fb));
		fb->version = GDFO_FEEDBACK_VERSION;
		fb->events = ev;
		fb->reward = rw.reward;
		fb->baseline_latency_ms = base.latency_ms;
		fb->baseline_cost = base.cost;
		fb->baseline_measured = measured;
		fb->known_good = is_kg || (ev & GDFO_EVENT_KNOWN_GOOD) ? 1 : 0;
		fb->runs = p->runs;
		fb->exploring = !p->explore_off;
		fb->residual = resid;
	}
	return 0;
}

static int apply_approve(gdfo__loop *L, int64_t seq, double ts, const char *who, const char *note)
{
	char id[GDFO_PLAN_ID_MAX + 1];
	lplan *pl = plan_find(L, seq);
	lpipe *p;
	if (!pl)
		return gdfo__error(GDFO_EFORMAT, "journal: approval of plan %lld, which it does not hold", (long long)seq);
	pl->approved = 1;
	id_of(id, pl->fp, seq);
	p = pipe_find(L, pl->fp);
	if (!L->replaying) {
		gdfo__jsonw w = {0};
		char *f = NULL;
		gdfo__jsonw_raw(&w, "\"who\":");
		gdfo__jsonw_string(&w, who);
		gdfo__jsonw_raw(&w, ",\"note\":");
		gdfo__jsonw_string(&w, note ? note : "");
		if (!gdfo__jsonw_finish(&w, &f))
			(void)gdfo__audit_write(&L->audit, ts, "approval", pl->fp, 1, id, f);
		free(f);
	}
	/* a candidate that did better and only waited for this becomes known-good */
	if (p && pl->point && CAND_IS(p, pl)) {
		p->cand_approved = 1;
		if (p->cand_wins >= L->policy.confirm_runs)
			promote(L, p, seq, ts);
	} else if (p && p->cand && p->cand_seq == seq) {
		p->cand_approved = 1;
		if (p->cand_wins >= L->policy.confirm_runs)
			promote(L, p, seq, ts);
	}
	return 0;
}

/* One journal record at open. */
static int replay_one(void *ctx, const char *payload, size_t len)
{
	gdfo__loop *L = ctx;
	cJSON *r;
	const cJSON *type;
	double seq = 0, ts = 0;
	int rc;

	if ((rc = gdfo__json_parse(&r, payload, len, "journal record")))
		return rc;
	type = cJSON_GetObjectItemCaseSensitive(r, "type");
	if (!cJSON_IsString(type)) {
		rc = gdfo__error(GDFO_EFORMAT, "journal record %lld has no type", (long long)L->j.records);
		goto out;
	}
	if (!strcmp(type->valuestring, "plan")) {
		lplan pl;
		if ((rc = parse_plan_record(&pl, r)))
			goto out;
		rc = apply_plan(L, &pl);
		plan_release(&pl);
	} else if (!strcmp(type->valuestring, "feedback")) {
		const cJSON *tj = cJSON_GetObjectItemCaseSensitive(r, "telemetry");
		gdfo_telemetry *t = NULL;
		char *text = NULL;
		if ((rc = get_num(&seq, r, "seq")) || (rc = get_num(&ts, r, "ts")))
			goto out;
		if (!int_in(seq, 1, SEQ_MAX)) {
			rc = gdfo__error(GDFO_EFORMAT, "journal: a feedback's seq is not an integer in 1..2^53");
			goto out;
		}
		if (!tj || (rc = gdfo__json_print(&text, tj)) || (rc = gdfo_telemetry_from_json(&t, text, strlen(text)))) {
			free(text);
			if (rc == GDFO_EVERSION) /* the journal's content, not a caller's struct */
				rc = gdfo__error(GDFO_EFORMAT, "journal: feedback %lld: %s", (long long)seq, gdfo_last_error());
			rc = rc ? rc : gdfo__error(GDFO_EFORMAT, "journal: feedback %lld has no telemetry", (long long)seq);
			goto out;
		}
		{
			lplan *fpl = plan_find(L, (int64_t)seq);
			rc = fpl && !fpl->fed ? feedback_prepare(L, fpl, text) : 0;
		}
		if (!rc)
			rc = apply_feedback(L, (int64_t)seq, ts, t, text, NULL);
		if (!rc)
			plan_release(plan_find(L, (int64_t)seq));
		gdfo_telemetry_free(t);
		free(text);
	} else if (!strcmp(type->valuestring, "policy")) {
		/* the policy in force from here on (the decisions after it used it) */
		const cJSON *pj = cJSON_GetObjectItemCaseSensitive(r, "policy");
		char *text = NULL;
		gdfo__policy np;
		if (!pj || (rc = gdfo__json_print(&text, pj))) {
			rc = rc ? rc : gdfo__error(GDFO_EFORMAT, "journal: a policy record has no policy");
			goto out;
		}
		rc = gdfo__policy_parse(&np, text, strlen(text));
		free(text);
		if (rc) {
			if (rc != GDFO_ENOMEM)
				rc = gdfo__error(GDFO_EFORMAT, "journal: a policy record: %s", gdfo_last_error());
			goto out;
		}
		gdfo__policy_clear(&L->policy);
		L->policy = np;
	} else if (!strcmp(type->valuestring, "approve")) {
		const cJSON *who = cJSON_GetObjectItemCaseSensitive(r, "who");
		const cJSON *note = cJSON_GetObjectItemCaseSensitive(r, "note");
		if ((rc = get_num(&seq, r, "seq")) || (rc = get_num(&ts, r, "ts")))
			goto out;
		if (!int_in(seq, 1, SEQ_MAX)) {
			rc = gdfo__error(GDFO_EFORMAT, "journal: an approval's seq is not an integer in 1..2^53");
			goto out;
		}
		rc = apply_approve(L, (int64_t)seq, ts, cJSON_IsString(who) ? who->valuestring : "",
				   cJSON_IsString(note) ? note->valuestring : NULL);
	} else {
		rc = gdfo__error(GDFO_EFORMAT, "journal record type '%.32s' is not one this library writes",
				 type->valuestring);
	}
out:
	cJSON_Delete(r);
	return rc;
}

/* ---- open and close ------------------------------------------------------- */

/* A deep copy of a policy (a plan call's own, taken under the lock). */
static int policy_copy(gdfo__policy *dst, const gdfo__policy *src)
{
	size_t i;
	*dst = *src;
	dst->protected_stages = NULL;
	dst->n_protected = 0;
	if (!src->n_protected)
		return 0;
	if (!(dst->protected_stages = gdfo__calloc(src->n_protected, sizeof(char *))))
		return GDFO_ENOMEM;
	for (i = 0; i < src->n_protected; i++) {
		if (!(dst->protected_stages[i] = gdfo__strdup(src->protected_stages[i]))) {
			gdfo__policy_clear(dst);
			return GDFO_ENOMEM;
		}
		dst->n_protected++;
	}
	return 0;
}

/* Journals and installs policy p (taken) under the lock; from: where it came from. */
static int install_policy(gdfo__loop *L, gdfo__policy *p, const char *from)
{
	gdfo__jsonw w = {0};
	char *pj = NULL, *text = NULL, q[1200];
	double ts = now(L);
	int rc;
	if ((rc = gdfo__policy_to_json(&pj, p)))
		return rc;
	gdfo__jsonw_raw(&w, "{\"type\":\"policy\",\"ts\":");
	gdfo__jsonw_number(&w, ts, 0, "time");
	gdfo__jsonw_raw(&w, ",\"policy\":%s}", pj);
	free(pj);
	if ((rc = gdfo__jsonw_finish(&w, &text)) || (rc = gdfo__journal_append(&L->j, text, strlen(text), 1))) {
		free(text);
		return rc;
	}
	free(text);
	gdfo__policy_clear(&L->policy);
	L->policy = *p;
	memset(p, 0, sizeof(*p));
	gdfo__policy_defaults(p);
	audit(L, ts, "policy", 0, NULL, "\"from\":%s", jstr(q, sizeof(q), from));
	(void)gdfo__audit_sync(&L->audit);
	return 0;
}

static int load_policy(gdfo__policy *out, const char *dir)
{
	char path[4096], *text;
	size_t len;
	int rc;
	gdfo__policy_defaults(out);
	snprintf(path, sizeof(path), "%s/policy.json", dir);
	if (access(path, F_OK) != 0)
		return 0;
	if ((rc = gdfo__file_read_text(&text, &len, path, POLICY_MAX)))
		return rc;
	rc = gdfo__policy_parse(out, text, len);
	free(text);
	if (rc) {
		gdfo__policy_defaults(out);
		return gdfo__error_prefix(rc, "'%s'", path);
	}
	return 0;
}

static void loop_free(gdfo__loop *L)
{
	size_t i;
	if (!L)
		return;
	gdfo__journal_close(&L->j);
	gdfo__audit_close(&L->audit);
	if (L->lock_fd >= 0)
		close(L->lock_fd);
	for (i = 0; i < L->n_pipes; i++)
		pipe_free(&L->pipes[i]);
	free(L->pipes);
	for (i = 0; i < L->n_plans; i++)
		plan_release(&L->plans[i]);
	free(L->plans);
	gdfo__idmap_free(&L->pmap);
	gdfo__idmap_free(&L->plmap);
	gdfo__policy_clear(&L->policy);
	pthread_mutex_destroy(&L->mu);
	pthread_rwlock_destroy(&L->model_lock);
	free(L->model_ckpt);
	free(L->spare_point);
	free(L->spare_calib_pt);
	free(L->spare_calib);
	free(L->dir);
	free(L);
}

static int loop_open(gdfo__loop **out, gdfo_optimizer *opt, const char *dir)
{
	const gdfo_optimizer_options *o = &opt->o;
	gdfo__loop *L;
	char path[4096];
	struct stat st;
	int rc;

	*out = NULL;
	if (!*dir)
		return gdfo__error(GDFO_EINVAL, "gdfo_optimizer_open: the state directory is an empty path");
	if (strlen(dir) > 3000)
		return gdfo__error(GDFO_EINVAL, "gdfo_optimizer_open: the state directory path is too long");
	if (mkdir(dir, 0777) && errno != EEXIST)
		return gdfo__error(GDFO_EIO, "state directory '%.200s': %s", dir, strerror(errno));
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return gdfo__error(GDFO_EIO, "state directory '%.200s' is not a directory", dir);
	if (!(L = gdfo__calloc(1, sizeof(*L))))
		return GDFO_ENOMEM;
	L->lock_fd = -1;
	L->j.fd = -1;
	L->audit.fd = -1;
	pthread_mutex_init(&L->mu, NULL);
	pthread_rwlock_init(&L->model_lock, NULL);
	L->next_seq = 1;
	L->stats.version = GDFO_LOOP_STATS_VERSION;
	L->clock = o->clock;
	L->clock_ctx = o->clock_ctx;
	L->sync_every = o->sync_every;
	gdfo__policy_defaults(&L->policy);
	if (!(L->dir = gdfo__strdup(dir))) {
		rc = GDFO_ENOMEM;
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/lock", dir);
	if ((L->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0) {
		rc = gdfo__error(GDFO_EIO, "state directory '%.200s': lock: %s", dir, strerror(errno));
		goto fail;
	}
	if (flock(L->lock_fd, LOCK_EX | LOCK_NB)) {
		rc = gdfo__error(GDFO_EIO, "state directory '%.200s' is open in another handle or process", dir);
		goto fail;
	}

	/* the model the loop has learned online, when it holds one, continues */
	snprintf(path, sizeof(path), "%s/model.gdfonn", dir);
	if (!(L->model_ckpt = gdfo__strdup(path))) {
		rc = GDFO_ENOMEM;
		goto fail;
	}
	if (opt->enc && access(path, F_OK) == 0) {
		gdfo_nn_encoder *enc;
		char *mp;
		if ((rc = gdfo_nn_load(&enc, path))) {
			gdfo__error_prefix(rc, "state model '%.200s'", path);
			goto fail;
		}
		if ((rc = gdfo__pol_check_model(enc, path)) || !(mp = gdfo__strdup(path))) {
			gdfo_nn_free(enc);
			rc = rc ? rc : GDFO_ENOMEM;
			goto fail;
		}
		gdfo_nn_free(opt->enc);
		opt->enc = enc;
		free(opt->model_path);
		opt->model_path = mp;
	}
	snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
	if ((rc = gdfo__audit_open(&L->audit, path)))
		goto fail;
	snprintf(path, sizeof(path), "%s/journal", dir);
	L->replaying = 1;
	rc = gdfo__journal_open(&L->j, path, replay_one, L, &L->stats.torn);
	L->replaying = 0;
	if (rc)
		goto fail;
	/* policy.json as it is now: in force from this open on, journaled when it
	 * differs from the policy the journal's records were decided under */
	{
		gdfo__policy fp;
		if ((rc = load_policy(&fp, dir)))
			goto fail;
		rc = gdfo__policy_equal(&fp, &L->policy) ? 0 : install_policy(L, &fp, "policy.json at open");
		gdfo__policy_clear(&fp);
		if (rc)
			goto fail;
	}
	audit(L, now(L), "open", 0, NULL, "\"records\":%lld,\"torn\":%d,\"pipelines\":%zu", (long long)L->j.records,
	      L->stats.torn, L->n_pipes);
	*out = L;
	return 0;
fail:
	loop_free(L);
	return rc;
}

int gdfo_optimizer_open(gdfo_optimizer **out, const char *state_dir, const gdfo_optimizer_options *opts)
{
	gdfo_optimizer *opt;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_optimizer_open: out is NULL");
	*out = NULL;
	if ((rc = gdfo__optimizer_create(&opt, opts)))
		return rc;
	if (state_dir && (rc = loop_open(&opt->loop, opt, state_dir))) {
		gdfo__optimizer_destroy(opt);
		return rc;
	}
	*out = opt;
	return 0;
}

void gdfo_optimizer_close(gdfo_optimizer *opt)
{
	if (!opt)
		return;
	if (opt->loop && opt->enc && opt->loop->updates > opt->loop->updates_saved)
		(void)gdfo_nn_save(opt->enc, opt->loop->model_ckpt);
	loop_free(opt->loop);
	gdfo__optimizer_destroy(opt);
}

const char *gdfo_optimizer_model(const gdfo_optimizer *opt)
{
	return opt ? opt->model_path : NULL;
}

/* ---- the plan call -------------------------------------------------------- */

/* What a plan call reads of its pipeline, copied under the lock. */
typedef struct snap {
	int known;               /* the pipeline was planned before */
	size_t kg_dim, cand_dim;
	int32_t *kg, *cand;
	int32_t cand_wins, cand_needs_approval, cand_approved, measure_kg, kg_n;
	int32_t rollback, explore_off, since_gain, runs, plans, explores, drift_fresh, runs_since, explores_since;
	uint64_t *bad, *tried;
	size_t n_bad, n_tried;
	double corr[GDFO_DECISION_KIND_COUNT];
	gdfo__ph ph[3];
	double columns;
	double hist_t[HISTORY], hist_v[HISTORY], hist_r[HISTORY];
	int32_t hist_n;
	char *calib;
	int32_t *calib_pt;
	size_t calib_dim;
	/* gates */
	int32_t gate_sev;
	char gate_why[512];
	int32_t gate_findings;
} snap;

static void snap_free(snap *s)
{
	free(s->kg);
	free(s->cand);
	free(s->bad);
	free(s->tried);
	free(s->calib);
	free(s->calib_pt);
}

static int snap_take(snap *s, const gdfo__loop *L, const lpipe *p, const summary *sum, const gdfo_graph *g)
{
	size_t i;
	memset(s, 0, sizeof(*s));
	s->columns = -1;
	if (!p)
		return 0;
	s->known = 1;
	s->kg_dim = p->kg_dim;
	s->cand_dim = p->cand_dim;
	if ((p->kg && !(s->kg = dup_point(p->kg, p->kg_dim))) || (p->cand && !(s->cand = dup_point(p->cand, p->cand_dim))))
		return GDFO_ENOMEM;
	s->cand_wins = p->cand_wins;
	s->cand_needs_approval = p->cand_needs_approval;
	s->cand_approved = p->cand_approved;
	s->measure_kg = p->measure_kg;
	s->kg_n = p->kg_n;
	s->rollback = p->rollback;
	s->explore_off = p->explore_off;
	s->since_gain = p->since_gain;
	s->runs = p->runs;
	s->plans = p->plans;
	s->explores = p->explores;
	s->runs_since = p->runs_since;
	s->explores_since = p->explores_since;
	s->drift_fresh = p->drift_fresh;
	if (p->n_bad && !(s->bad = gdfo__malloc(p->n_bad * sizeof(*s->bad))))
		return GDFO_ENOMEM;
	if (p->n_tried && !(s->tried = gdfo__malloc(p->n_tried * sizeof(*s->tried))))
		return GDFO_ENOMEM;
	if (p->n_bad)
		memcpy(s->bad, p->bad, p->n_bad * sizeof(*s->bad));
	if (p->n_tried)
		memcpy(s->tried, p->tried, p->n_tried * sizeof(*s->tried));
	s->n_bad = p->n_bad;
	s->n_tried = p->n_tried;
	memcpy(s->corr, p->corr, sizeof(s->corr));
	memcpy(s->ph, p->ph, sizeof(s->ph));
	s->columns = p->columns;
	memcpy(s->hist_t, p->hist_t, sizeof(s->hist_t));
	memcpy(s->hist_v, p->hist_v, sizeof(s->hist_v));
	memcpy(s->hist_r, p->hist_r, sizeof(s->hist_r));
	s->hist_n = p->hist_n;
	if (p->calib && !(s->calib = gdfo__strdup(p->calib)))
		return GDFO_ENOMEM;
	if (p->calib_pt && !(s->calib_pt = dup_point(p->calib_pt, p->calib_dim)))
		return GDFO_ENOMEM;
	s->calib_dim = p->calib_dim;
	/* gates: the input's statistics against the bounds of past runs */
	for (i = 0; i < sum->n; i++) {
		size_t at = gdfo__idmap_get(&p->bmap, sum->ids[i]);
		int k;
		if (at == (size_t)-1)
			continue;
		for (k = 0; k < STATS; k++) {
			const gdfo__bound *b = &p->bounds[at * STATS + k];
			double z = 0, x = sum->stats[i * STATS + k];
			int sev;
			if (!(x >= 0))
				continue;
			sev = gdfo__bound_check(b, x, L->policy.gate_min_runs, &z);
			if (!sev)
				continue;
			s->gate_findings++;
			if (sev > s->gate_sev) {
				gdfo_stage st = {.version = GDFO_STAGE_VERSION};
				size_t ix;
				s->gate_sev = sev;
				gdfo_graph_find(&ix, g, sum->ids[i]);
				gdfo_graph_stage_at(&st, g, ix);
				snprintf(s->gate_why, sizeof(s->gate_why),
					 "stage %lld '%.64s' %s is %.4g, outside %.4g..%.4g seen in %d runs (%.1f deviations of its log)",
					 (long long)sum->ids[i], st.name, stat_names[k], x, b->min, b->max, b->n, z);
			}
		}
	}
	return 0;
}

static const char *const sev_names[] = {"none", "low", "medium", "high"};

/* A candidate of the plan call. */
typedef struct pick {
	int32_t *point;
	gdfo_plan *plan;         /* when it came whole from the learned optimizer */
	int32_t step, kind;      /* kind: bits of the decision kinds changed */
	const char *source;      /* gdfo_plan_source of the plan */
	double r;                /* predicted reward against the input */
	gdfo_outcome o;
	char why[512];
} pick;

static int predict_point(double *r, gdfo_outcome *o, gdfo__pol *pol, const gdfo_space *space, const int32_t *pt,
			 gdfo_plan **keep)
{
	gdfo_plan *pl = NULL;
	gdfo_reward rw = {.version = GDFO_REWARD_VERSION};
	size_t d;
	int rc, zero = 1;
	for (d = 0; d < space->dim; d++)
		zero &= pt[d] == 0;
	if ((rc = gdfo_space_apply(&pl, space, pt, space->dim, zero ? "input" : "known-good")))
		return rc;
	rc = gdfo__pol_predict(&rw, o, pol, gdfo_plan_graph(pl));
	if (!rc)
		*r = gdfo__pol_score(&rw);
	if (keep && !rc)
		*keep = pl;
	else
		gdfo_plan_free(pl);
	return rc;
}

/* The known-good point made legal in this space: a choice the new
 * statistics mask falls back to keep. */
static void sanitize(int32_t *pt, const gdfo_space *space, int *changed)
{
	size_t d;
	for (d = 0; d < space->dim; d++) {
		int legal = 0;
		if (pt[d] < 0 || (size_t)pt[d] >= space->d[d].n ||
		    gdfo_space_choice(NULL, NULL, &legal, space, d, (size_t)pt[d]) || !legal) {
			if (pt[d])
				*changed = 1;
			pt[d] = 0;
		}
	}
}

static int structural_point(const int32_t *pt, const gdfo_space *space)
{
	size_t d;
	for (d = 0; d < space->dim; d++)
		if (pt[d] && gdfo__pol_structural(space->d[d].kind))
			return 1;
	return 0;
}

static int policy_ok(const gdfo__policy *pol, const gdfo_graph *input, const gdfo_plan *plan, const gdfo_outcome *o,
		     char *why, size_t n)
{
	if (gdfo__policy_check_plan(pol, input, plan, why, n))
		return 0;
	if (pol->slo_ms > 0 && o->success && o->latency_ms > pol->slo_ms) {
		snprintf(why, n, "predicted latency %.0f ms is over the policy's SLO %.0f ms", o->latency_ms, pol->slo_ms);
		return 0;
	}
	if (pol->cost_ceiling > 0 && o->success && o->cost > pol->cost_ceiling) {
		snprintf(why, n, "predicted cost %.4g is over the policy's ceiling %.4g", o->cost, pol->cost_ceiling);
		return 0;
	}
	return 1;
}

static int scale_sources(gdfo_graph **out, const gdfo_graph *g, double f)
{
	gdfo_graph *c;
	size_t i, n = gdfo_graph_stage_count(g);
	int rc;
	if ((rc = gdfo_graph_clone(&c, g)))
		return rc;
	for (i = 0; i < n; i++) {
		gdfo_stage st = {.version = GDFO_STAGE_VERSION};
		gdfo_stage_stats ss;
		gdfo_graph_stage_at(&st, c, i);
		ss = *st.stats;
		if (ss.rows_in > 0)
			ss.rows_in *= f;
		if (ss.bytes_in > 0)
			ss.bytes_in *= f;
		if (ss.key_cardinality > 0 && ss.key_cardinality * f >= 1)
			ss.key_cardinality *= f;
		st.stats = &ss;
		if ((rc = gdfo_graph_update_stage(c, &st))) {
			gdfo_graph_free(c);
			return rc;
		}
	}
	*out = c;
	return 0;
}

static int set_pred(gdfo_plan *plan, const gdfo__pol *pol, const gdfo_outcome *o)
{
	gdfo_prediction pr;
	memset(&pr, 0, sizeof(pr));
	pr.version = GDFO_PREDICTION_VERSION;
	pr.latency_ms = o->success ? o->latency_ms : -1;
	pr.throughput = o->success ? o->throughput : -1;
	pr.cost = o->success ? o->cost : -1;
	pr.baseline_latency_ms = pol->base_latency_ms;
	pr.baseline_cost = pol->base_cost;
	pr.execution_ms = pr.baseline_execution_ms = pr.overhead_ms = pr.measured_latency_ms = -1;
	pr.calibrated = pol->telemetry ? 1 : 0;
	pr.stages_calibrated = pr.baseline_stages_calibrated = -1;
	return gdfo__plan_set_prediction(plan, &pr);
}

/* A candidate of the model search. */
typedef struct mcand {
	int32_t *pt;
	double r, q;
	gdfo_outcome o;
	int32_t kinds;     /* bit per decision kind changed from the known-good plan */
	char what[320];
} mcand;

#define MOVES 24

#define FINALISTS 4
#define STARTS 7         /* known-good, learned, input, 4 random points */

/* The checked score of a point: its reward by the expected mode with task noise and stragglers (gdfo__pol_predict_check). */
static int check_score(double *r, gdfo_outcome *o, gdfo__pol *pol, const gdfo_space *space, const int32_t *pt)
{
	gdfo_plan *pl = NULL;
	gdfo_reward rw = {.version = GDFO_REWARD_VERSION};
	int rc;
	if ((rc = gdfo_space_apply(&pl, space, pt, space->dim, "loop")))
		return rc;
	rc = gdfo__pol_predict_check(&rw, o, pol, gdfo_plan_graph(pl));
	if (!rc)
		*r = gdfo__pol_score(&rw);
	gdfo_plan_free(pl);
	return rc;
}

/*
 * Hill climbing from the known-good point with the calibrated model: at
 * most MOVES moves, each to the neighbour with the best Q (the predicted
 * reward over the known-good plan plus the corrections learned for the
 * kinds of change made), within the regret bound and never through a
 * point marked bad. The FINALISTS best untried points met are then
 * checked, with the known-good plan, by the check (the simulator's
 * expected mode with task noise and stragglers, as the learned optimizer
 * checks its finalists): the analytic model alone prefers plans that end
 * on one wave of long tasks. With probability EPSILON a random untried
 * first neighbour is explored instead.
 */
static int model_search(mcand *out, gdfo__pol *pol, const gdfo_space *space, const int32_t *kg, double kg_r,
			const int32_t *learned, const snap *s, const gdfo__policy *P, const gdfo_graph *input,
			uint64_t *rng)
{
	size_t dim = space->dim, n = 0, i, d, n_first = 0, cap_first = 0, n_fin = 0;
	int32_t *cur = NULL, *nb = NULL, *first = NULL, *fin = NULL;
	double cur_q = 0, fin_q[FINALISTS], fin_r[FINALISTS];
	gdfo_outcome fin_o[FINALISTS];
	int rc = 0, move, start;

	memset(out, 0, sizeof(*out));
	out->q = -INFINITY;
	if (!(cur = dup_point(kg, dim)) || !(fin = gdfo__calloc(FINALISTS * (dim ? dim : 1), sizeof(*fin)))) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	/* starts: the known-good point, the learned plan's, the input, random points */
	for (start = 0; start < STARTS; start++) {
	if (start == 0) {
		memcpy(cur, kg, dim * sizeof(*cur));
	} else if (start == 1) {
		if (!learned)
			continue;
		memcpy(cur, learned, dim * sizeof(*cur));
	} else if (start == 2) {
		memset(cur, 0, dim * sizeof(*cur));
	} else if ((rc = gdfo_space_sample(cur, dim, space, rng))) {
		goto out;
	}
	if (start) {
		double r;
		gdfo_outcome o;
		if ((rc = predict_point(&r, &o, pol, space, cur, NULL)))
			goto out;
		cur_q = r - kg_r + corr_of(s->corr, kinds_changed(cur, kg, space, NULL));
	} else {
		cur_q = 0;
	}
	for (move = 0; move < MOVES; move++) {
		size_t best_i = (size_t)-1;
		double best_q = cur_q + 1e-6;
		if ((rc = gdfo_space_neighbours(NULL, 0, &n, space, cur, dim)))
			goto out;
		free(nb);
		if (!(nb = gdfo__malloc((n ? n : 1) * dim * sizeof(*nb)))) {
			rc = GDFO_ENOMEM;
			goto out;
		}
		if ((rc = gdfo_space_neighbours(nb, n, &n, space, cur, dim)))
			goto out;
		for (i = 0; i < n; i++) {
			const int32_t *pt = nb + i * dim;
			uint64_t h = hash_point(pt, dim);
			gdfo_outcome o;
			double r, q;
			size_t f, worst = 0;
			if (has_hash(s->bad, s->n_bad, h) || point_is(pt, kg, dim))
				continue;
			if ((rc = predict_point(&r, &o, pol, space, pt, NULL)))
				goto out;
			if (!(r > kg_r - P->max_regret))
				continue;
			q = r - kg_r + corr_of(s->corr, kinds_changed(pt, kg, space, NULL));
			if (!has_hash(s->tried, s->n_tried, h)) {
				if (move == 0 && start == 0) {
					if (gdfo__grow((void **)&first, &cap_first, (n_first + 1) * dim, sizeof(*first))) {
						rc = GDFO_ENOMEM;
						goto out;
					}
					memcpy(first + n_first++ * dim, pt, dim * sizeof(*first));
				}
				/* keep the FINALISTS best distinct untried points */
				for (f = 0; f < n_fin && !point_is(fin + f * dim, pt, dim); f++)
					if (fin_q[f] < fin_q[worst])
						worst = f;
				if (f == n_fin) {
					if (n_fin < FINALISTS)
						worst = n_fin++;
					else if (!(q > fin_q[worst]))
						worst = (size_t)-1;
					if (worst != (size_t)-1) {
						memcpy(fin + worst * dim, pt, dim * sizeof(*fin));
						fin_q[worst] = q;
						fin_r[worst] = r;
						fin_o[worst] = o;
					}
				}
			}
			if (q > best_q) {
				best_q = q;
				best_i = i;
			}
		}
		if (best_i == (size_t)-1)
			break;
		memcpy(cur, nb + best_i * dim, dim * sizeof(*cur));
		cur_q = best_q;
	}
	}
	if (n_first && gdfo__rl_uniform(rng) < EPSILON) {
		const int32_t *pt = first + (size_t)(gdfo__rl_uniform(rng) * (double)n_first) % n_first * dim;
		if (!(out->pt = dup_point(pt, dim))) {
			rc = GDFO_ENOMEM;
			goto out;
		}
		if ((rc = predict_point(&out->r, &out->o, pol, space, pt, NULL)))
			goto out;
		out->kinds = kinds_changed(pt, kg, space, NULL);
		out->q = out->r - kg_r + corr_of(s->corr, out->kinds);
		snprintf(out->what, sizeof(out->what), "a random neighbour of the known-good plan (epsilon %.2f)", EPSILON);
		{
			gdfo_plan *ep = NULL;
			char why[256];
			if ((rc = gdfo_space_apply(&ep, space, pt, dim, "loop")))
				goto out;
			if (!policy_ok(P, input, ep, &out->o, why, sizeof(why))) {
				free(out->pt);
				out->pt = NULL;
			}
			gdfo_plan_free(ep);
		}
	} else if (n_fin) {
		/* the finalists and the known-good plan by the check */
		double kg_des, best_des = -INFINITY;
		gdfo_outcome kg_o;
		size_t f, at = (size_t)-1;
		if ((rc = check_score(&kg_des, &kg_o, pol, space, kg)))
			goto out;
		for (f = 0; f < n_fin; f++) {
			double r, q;
			gdfo_outcome o;
			int32_t bits = kinds_changed(fin + f * dim, kg, space, NULL);
			gdfo_plan *fp = NULL;
			gdfo_reward rw = {.version = GDFO_REWARD_VERSION};
			char why[256];
			int ok;
			/* the check, and the policy: a finalist that breaks it is dropped */
			if ((rc = gdfo_space_apply(&fp, space, fin + f * dim, dim, "loop")) ||
			    (rc = gdfo__pol_predict_check(&rw, &o, pol, gdfo_plan_graph(fp)))) {
				gdfo_plan_free(fp);
				goto out;
			}
			ok = policy_ok(P, input, fp, &o, why, sizeof(why));
			gdfo_plan_free(fp);
			if (!ok)
				continue;
			r = gdfo__pol_score(&rw);
			q = r - kg_des + corr_of(s->corr, bits);
			if (q > best_des) {
				best_des = q;
				at = f;
			}
		}
		if (at != (size_t)-1 && best_des > P->min_gain / 2) {
			if (!(out->pt = dup_point(fin + at * dim, dim))) {
				rc = GDFO_ENOMEM;
				goto out;
			}
			out->q = best_des;
			out->r = kg_r + (best_des - corr_of(s->corr, kinds_changed(out->pt, kg, space, NULL)));
			out->o = fin_o[at];
			out->kinds = kinds_changed(out->pt, kg, space, NULL);
			(void)fin_r;
		}
	}
	if (out->pt && !out->what[0]) {
		size_t at = 0, k = 0;
		at += (size_t)snprintf(out->what, sizeof(out->what), "the model's best plan within %d steps of the known-good one (checked by the expected mode with task noise):", MOVES);
		for (d = 0; d < dim && at < sizeof(out->what) - 8; d++) {
			gdfo_decision dd = {.version = GDFO_DECISION_VERSION};
			const char *label = "?";
			if (out->pt[d] == kg[d])
				continue;
			if (k++ == 3) {
				at += (size_t)snprintf(out->what + at, sizeof(out->what) - at, " ...");
				break;
			}
			gdfo_space_decision_at(&dd, space, d);
			gdfo_space_choice(NULL, &label, NULL, space, d, (size_t)out->pt[d]);
			at += (size_t)snprintf(out->what + at, sizeof(out->what) - at, "%s %.80s -> %.40s", k > 1 ? ";" : "",
					       dd.name ? dd.name : "?", label ? label : "?");
		}
	}
out:
	if (rc) {
		free(out->pt);
		out->pt = NULL;
	}
	free(cur);
	free(nb);
	free(first);
	free(fin);
	return rc;
}

static int loop_plan(gdfo_plan **out, gdfo_optimizer *opt, const gdfo_graph *graph, const gdfo_telemetry *telemetry,
		     const gdfo_objective *objective)
{
	gdfo__loop *L = opt->loop;
	gdfo__policy pc, *P = &pc;
	gdfo_objective obj;
	summary sum = {0};
	snap s;
	lplan rec;
	lpipe *p;
	uint64_t fp;
	double ts, fscale = 1, regret = 0;
	gdfo_graph *scaled = NULL;
	const gdfo_graph *work;
	gdfo_telemetry *calib = NULL;
	const gdfo_telemetry *tel = telemetry, *learned_tel;
	gdfo_plan *calib_plan = NULL;
	gdfo_space_options so;
	gdfo_space *space = NULL;
	gdfo__pol pol;
	int32_t *kg = NULL, ev = 0;
	pick best;
	gdfo_plan *plan = NULL, *kg_plan = NULL;
	gdfo_outcome kg_o;
	double kg_r = 0;
	gdfo__forecast fc;
	char id[GDFO_PLAN_ID_MAX + 1], why[512], *text = NULL, qbuf[1200];
	int rc, drift_now = 0, seen, kg_changed = 0, k;
	size_t i;

	memset(&pol, 0, sizeof(pol));
	memset(&best, 0, sizeof(best));
	memset(&rec, 0, sizeof(rec));
	gdfo_objective_init(&obj, GDFO_OBJECTIVE_VERSION);
	if (objective) {
		if ((rc = gdfo_objective_validate(objective)))
			return gdfo__error_prefix(rc, "gdfo_optimizer_plan");
		gdfo__abi_in(&obj, objective, &obj, GDFO__ABI_OBJECTIVE, "gdfo_optimizer_plan");
	}
	if ((rc = gdfo_graph_fingerprint(&fp, graph)) || (rc = summarize(&sum, graph)))
		return rc;
	ts = now(L);

	gdfo__policy_defaults(&pc);
	pthread_mutex_lock(&L->mu);
	p = pipe_find(L, fp);
	rc = snap_take(&s, L, p, &sum, graph);
	if (!rc)
		rc = policy_copy(&pc, &L->policy); /* set_policy may replace it meanwhile */
	pthread_mutex_unlock(&L->mu);
	if (rc)
		goto out;

	/* data-contract gates */
	if (s.gate_sev) {
		ev |= GDFO_EVENT_GATE;
		if (P->gate_hold && s.gate_sev >= P->gate_hold) {
			pthread_mutex_lock(&L->mu);
			audit(L, ts, "gate", fp, NULL, "\"severity\":\"%s\",\"held\":true,\"finding\":%s",
			      sev_names[s.gate_sev], jstr(qbuf, sizeof(qbuf), s.gate_why));
			if (L->sync_every == 1)
				(void)gdfo__audit_sync(&L->audit);
			pthread_mutex_unlock(&L->mu);
			rc = gdfo__error(GDFO_EANOMALY, "the run is held: %s; severity %s, at or above the policy's gates.hold",
					 s.gate_why, sev_names[s.gate_sev]);
			goto out;
		}
	}
	/* drift seen in the input before its run (the detectors learn at feedback) */
	if (s.known) {
		gdfo__ph t[3];
		memcpy(t, s.ph, sizeof(t));
		for (k = 0; k < 3; k++)
			if (gdfo__ph_update(&t[k], series_value(k, sum.volume[k], s.hist_t, s.hist_v, s.hist_r, s.hist_n, ts)))
				drift_now = 1;
		if (s.columns >= 0 && s.columns != sum.columns)
			drift_now = 1;
	}
	/* a statistic of a stage outside what its runs have shown (the gates'
	 * bounds, severity medium or more) is a shift of the input too */
	if (s.gate_sev >= 2)
		drift_now = 1;
	seen = drift_now;
	drift_now |= s.drift_fresh;
	if (drift_now) {
		/* what was tried, found bad or learned of the model's errors was on the old input */
		s.n_tried = s.n_bad = 0;
		for (k = 0; k < GDFO_DECISION_KIND_COUNT; k++)
			s.corr[k] *= 0.5;
	}
	if (drift_now)
		ev |= GDFO_EVENT_DRIFT;
	/* predictive scaling: when the input repeats the last run's volume, size for the forecast */
	work = graph;
	if (!drift_now && s.hist_n >= 3 && sum.volume[0] > 0 &&
	    fabs(sum.volume[0] / s.hist_v[s.hist_n - 1] - 1) < 0.01 &&
	    gdfo__forecast_next(&fc, s.hist_t, s.hist_v, (size_t)s.hist_n, ts) && fc.value > 0) {
		double f = fc.value / sum.volume[0];
		if (f > 10)
			f = 10;
		if (f < 0.1)
			f = 0.1;
		if (fabs(f - 1) > 0.1) {
			if ((rc = scale_sources(&scaled, graph, f)))
				goto out;
			work = scaled;
			fscale = f;
			ev |= GDFO_EVENT_FORECAST;
		}
	}
	/* calibration: the caller's telemetry, else the pipeline's latest run (not across drift) */
	if (!tel && s.calib && !drift_now) {
		if (!gdfo_telemetry_from_json(&calib, s.calib, strlen(s.calib)) &&
		    !gdfo_telemetry_set_fingerprint(calib, fp))
			tel = calib;
	}
	learned_tel = tel;
	gdfo_space_options_init(&so, GDFO_SPACE_OPTIONS_VERSION);
	so.cluster = &opt->cluster;
	if ((rc = gdfo_space_create(&space, work, &so)))
		goto out;
	/* a run of a plan calibrates the model on the graph that ran: that plan's point on this input */
	if (tel == calib && calib && s.calib_pt && s.calib_dim == space->dim) {
		int any = 0;
		for (i = 0; i < space->dim; i++)
			any |= s.calib_pt[i];
		if (any) {
			sanitize(s.calib_pt, space, &k);
			if ((rc = gdfo_space_apply(&calib_plan, space, s.calib_pt, space->dim, "calibration")))
				goto out;
			/* set on the policy after its init, below */
			learned_tel = NULL; /* the learned optimizer calibrates on the input only */
		}
	} else if (tel == calib && calib) {
		tel = learned_tel = NULL; /* a run of a plan that no longer applies */
	}
	if ((rc = gdfo__pol_init(&pol, NULL, &opt->cluster)))
		goto out;
	pol.calib_graph = calib_plan ? gdfo_plan_graph(calib_plan) : NULL;
	if ((rc = gdfo__pol_begin(&pol, space, tel, &obj)))
		goto out;
	/* the known-good plan on this input */
	if (!(kg = gdfo__calloc(space->dim ? space->dim : 1, sizeof(*kg)))) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	if (s.kg && s.kg_dim == space->dim) {
		memcpy(kg, s.kg, space->dim * sizeof(*kg));
		sanitize(kg, space, &kg_changed);
	} else if (s.kg) {
		kg_changed = 1;
	}
	if ((rc = predict_point(&kg_r, &kg_o, &pol, space, kg, &kg_plan)))
		goto out;

	/* the step */
	best.step = GDFO_STEP_KNOWN_GOOD;
	best.kind = 0;
	if (s.rollback && !drift_now) {
		best.step = GDFO_STEP_ROLLBACK;
		snprintf(best.why, sizeof(best.why), "rollback: the last candidate ran worse than the known-good plan by more than %.3g reward",
			 P->rollback_margin);
	} else if (s.measure_kg && !drift_now) {
		snprintf(best.why, sizeof(best.why), "measuring the known-good plan on this input: the last candidate ran before any known-good run here and is judged against this one");
	} else if (s.cand && s.cand_dim == space->dim && s.cand_wins > 0 && s.cand_wins < P->confirm_runs && !drift_now) {
		best.step = GDFO_STEP_CONFIRM;
		if (!(best.point = dup_point(s.cand, space->dim))) {
			rc = GDFO_ENOMEM;
			goto out;
		}
		sanitize(best.point, space, &k);
		snprintf(best.why, sizeof(best.why), "confirming a candidate that did better than the known-good plan on %d of the %d runs it needs",
			 s.cand_wins, P->confirm_runs);
	} else if (s.cand && s.cand_wins >= P->confirm_runs && s.cand_needs_approval && !s.cand_approved && !drift_now) {
		snprintf(best.why, sizeof(best.why), "a better candidate awaits approval (gdfo_optimizer_approve); until then the known-good plan runs");
		ev |= GDFO_EVENT_APPROVAL;
	} else if (s.explore_off && !drift_now) {
		snprintf(best.why, sizeof(best.why), "exploration is off: %d explorations in a row without a gain (it restarts on drift)",
			 s.since_gain);
	} else if (s.known && s.runs_since >= 4 && s.explores_since > P->explore_budget * (s.runs_since + 1) + 1 &&
		   !drift_now) {
		snprintf(best.why, sizeof(best.why), "the exploration budget is spent (%d of the %d runs since the last drift explored; policy budget %.2f)",
			 s.explores_since, s.runs_since, P->explore_budget);
	} else {
		/* explore: the learned plan when the pipeline is new or drifted, else a
		 * neighbour of the known-good plan chosen by Q */
		double best_q = -INFINITY;
		uint64_t rng = fp ^ (uint64_t)(s.plans + 1) * 0x9e3779b97f4a7c15ULL;
		int32_t *learned_pt = NULL;
		if (!s.known || drift_now || !s.kg) {
			gdfo_plan *lp = NULL;
			int32_t *pt = gdfo__calloc(space->dim ? space->dim : 1, sizeof(*pt));
			if (!pt) {
				rc = GDFO_ENOMEM;
				goto out;
			}
			pthread_rwlock_rdlock(&L->model_lock);
			rc = gdfo__optimizer_plan(&lp, opt, work, learned_tel, &obj);
			pthread_rwlock_unlock(&L->model_lock);
			if (rc ||
			    (rc = gdfo_space_point_of(pt, space->dim, space, gdfo_plan_graph(lp)))) {
				free(pt);
				gdfo_plan_free(lp);
				goto out;
			}
			sanitize(pt, space, &k);
			if (!(learned_pt = dup_point(pt, space->dim)) && space->dim) {
				free(pt);
				gdfo_plan_free(lp);
				rc = GDFO_ENOMEM;
				goto out;
			}
			if (!point_is(pt, kg, space->dim) && !has_hash(s.bad, s.n_bad, hash_point(pt, space->dim)) &&
			    !has_hash(s.tried, s.n_tried, hash_point(pt, space->dim))) {
				gdfo_outcome o;
				double r;
				if ((rc = predict_point(&r, &o, &pol, space, pt, NULL))) {
					free(pt);
					gdfo_plan_free(lp);
					goto out;
				}
				if (policy_ok(P, graph, lp, &o, why, sizeof(why)) && r > kg_r - P->max_regret) {
					best.point = pt;
					best.source = !strcmp(gdfo_plan_source(lp), "rules") ? "rules" : "learned";
					best.step = GDFO_STEP_EXPLORE;
					best.r = r;
					best.o = o;
					best.kind = kinds_changed(pt, kg, space, NULL);
					best_q = r - kg_r + corr_of(s.corr, best.kind);
					snprintf(best.why, sizeof(best.why), "exploration: the learned optimizer's plan for this %s (predicted reward %+.3f against the known-good plan)",
						 drift_now ? "shifted input" : "new pipeline", r - kg_r);
					pt = NULL;
				}
			}
			free(pt);
			gdfo_plan_free(lp);
		}
		if (space->dim) {
			/* the calibrated model's search from the known-good plan, with Q's corrections */
			mcand mc;
			rc = model_search(&mc, &pol, space, kg, kg_r, learned_pt, &s, P, graph, &rng);
			free(learned_pt);
			learned_pt = NULL;
			if (rc)
				goto out;
			if (mc.pt && (!best.point || mc.q > best_q)) {
				free(best.point);
				best.point = mc.pt;
				mc.pt = NULL;
				best.step = GDFO_STEP_EXPLORE;
				best.source = "q-refiner";
				best.kind = mc.kinds;
				best.r = mc.r;
				best.o = mc.o;
				best_q = mc.q;
				snprintf(best.why, sizeof(best.why),
					 "exploration: %s (Q %+.3f: the calibrated model predicts %+.3f reward against the known-good plan, learned corrections %+.3f)",
					 mc.what, mc.q, mc.r - kg_r, mc.q - (mc.r - kg_r));
			}
			free(mc.pt);
		}
		if (!best.point)
			snprintf(best.why, sizeof(best.why), "nothing to explore: no untried plan near the known-good one is predicted to gain within the regret bound %.3g",
				 P->max_regret);
		(void)best_q;
	}
	if (best.step == GDFO_STEP_EXPLORE)
		ev |= GDFO_EVENT_EXPLORE;

	/* the plan */
	if (best.plan) {
		plan = best.plan;
		best.plan = NULL;
	} else if (best.point) {
		if ((rc = gdfo_space_apply(&plan, space, best.point, space->dim,
					   best.source ? best.source : best.step == GDFO_STEP_CONFIRM ? "candidate" : "loop")) ||
		    (rc = gdfo__pol_predict(&(gdfo_reward){.version = GDFO_REWARD_VERSION}, &best.o, &pol, gdfo_plan_graph(plan))) ||
		    (rc = set_pred(plan, &pol, &best.o)))
			goto out;
	} else {
		int32_t *pt = dup_point(kg, space->dim);
		if (!pt && space->dim) {
			rc = GDFO_ENOMEM;
			goto out;
		}
		best.point = pt;
		best.o = kg_o;
		plan = kg_plan;
		kg_plan = NULL;
		if ((rc = set_pred(plan, &pol, &kg_o)))
			goto out;
	}
	if (best.step != GDFO_STEP_EXPLORE || !best.r)
		best.r = best.step == GDFO_STEP_KNOWN_GOOD || best.step == GDFO_STEP_ROLLBACK ? kg_r : best.r;
	if (best.step == GDFO_STEP_CONFIRM) {
		gdfo_reward rw = {.version = GDFO_REWARD_VERSION};
		if ((rc = gdfo__pol_predict(&rw, &best.o, &pol, gdfo_plan_graph(plan))))
			goto out;
		best.r = gdfo__pol_score(&rw);
	}
	/* What the record keeps (the baseline estimate, the residuals, Q's
	 * error) is the check's prediction of the plan and of the
	 * known-good plan: the analytic model only ranks candidates. */
	{
		gdfo_reward rw = {.version = GDFO_REWARD_VERSION};
		int same = best.point && point_is(best.point, kg, space->dim);
		if ((rc = gdfo__pol_predict_check(&rw, &best.o, &pol, gdfo_plan_graph(plan))))
			goto out;
		best.r = gdfo__pol_score(&rw);
		if (same) {
			kg_o = best.o;
			kg_r = best.r;
		} else if ((rc = check_score(&kg_r, &kg_o, &pol, space, kg))) {
			goto out;
		}
		if ((rc = set_pred(plan, &pol, &best.o)))
			goto out;
	}
	regret = kg_r - best.r;
	if ((rc = gdfo__plan_set_risk(plan, gdfo__plan_assess_risk(plan, graph))))
		goto out;
	if ((rc = gdfo__plan_add_notef(plan, "closed loop: %s: %s", step_names[best.step], best.why)))
		goto out;
	if (drift_now && (rc = gdfo__plan_add_notef(plan, "drift: the input's volume, skew or schema shifted from the pipeline's history; the known-good plan's runs no longer count as its baseline, the model is calibrated afresh and exploration restarts")))
		goto out;
	if (kg_changed && (rc = gdfo__plan_add_notef(plan, "the known-good plan's choices the new statistics no longer allow were kept as the input has them")))
		goto out;
	if (fscale != 1 &&
	    (rc = gdfo__plan_add_notef(plan, "predictive scaling: sized for a forecast source volume of %.4g bytes, %.2fx the input's (trend %+.1f%% a run%s%s)",
			   fc.value, fscale, 100 * fc.trend, fc.season ? ", " : "",
			   fc.season == 1 ? "daily season" : fc.season == 2 ? "weekly season" : "")))
		goto out;
	if (s.gate_sev && (rc = gdfo__plan_add_notef(plan, "data-contract gate (%s, %d findings): %s", sev_names[s.gate_sev],
					 s.gate_findings, s.gate_why)))
		goto out;
	rec.needs_approval = best.step != GDFO_STEP_KNOWN_GOOD && best.step != GDFO_STEP_ROLLBACK &&
			     gdfo_plan_risk(plan) >= P->approval_risk;
	if (rec.needs_approval) {
		ev |= GDFO_EVENT_APPROVAL;
		if ((rc = gdfo__plan_add_notef(plan, "needs approval: risk %s is at or above the policy's approval level; it cannot become known-good until gdfo_optimizer_approve records an approval",
				   gdfo_risk_name(gdfo_plan_risk(plan)))))
			goto out;
	}

	/* the record */
	rec.fp = fp;
	rec.ts = ts;
	rec.step = best.step;
	rec.kind = best.kind;
	rec.structural = best.point ? structural_point(best.point, space) : 0;
	rec.drift_seen = seen;
	rec.calibrated = tel != NULL;
	rec.dim = space->dim;
	rec.point = best.point;
	best.point = NULL;
	rec.pred[0] = best.o.success ? best.o.latency_ms : -1;
	rec.pred[1] = best.o.success ? best.o.cost : -1;
	rec.pred[2] = best.o.success ? best.o.throughput : -1;
	rec.kg_pred[0] = kg_o.success ? kg_o.latency_ms : -1;
	rec.kg_pred[1] = kg_o.success ? kg_o.cost : -1;
	rec.kg_pred[2] = kg_o.success ? kg_o.throughput : -1;
	rec.pred_gain = best.r - kg_r;
	rec.kg_reward = kg_r;
	if (opt->enc && (rc = gdfo_graph_clone(&rec.input, work)))
		goto out;
	rec.obj = obj;
	memcpy(rec.volume, sum.volume, sizeof(rec.volume));
	rec.columns = sum.columns;
	rec.stat_ids = sum.ids;
	rec.stats = sum.stats;
	rec.n_stats = sum.n;
	sum.ids = NULL;
	sum.stats = NULL;

	pthread_mutex_lock(&L->mu);
	/* room for the record's transition before it is written: apply_plan cannot fail after */
	{
		lpipe *pp = NULL;
		if ((rc = pipe_get(&pp, L, fp)) ||
		    gdfo__grow((void **)&L->plans, &L->cap_plans, L->n_plans + 1, sizeof(*L->plans)) ||
		    gdfo__idmap_reserve(&L->plmap, L->n_plans + 1) ||
		    gdfo__grow((void **)&pp->tried, &pp->cap_tried, pp->n_tried + 1, sizeof(*pp->tried)))
			rc = rc ? rc : GDFO_ENOMEM;
	}
	rec.seq = L->next_seq++;
	id_of(id, fp, rec.seq);
	if (!rc && !(rc = plan_record(&text, &rec)) &&
	    !(rc = gdfo__journal_append(&L->j, text, strlen(text), 0))) {
		gdfo_plan_loop info;
		memset(&info, 0, sizeof(info));
		info.version = GDFO_PLAN_LOOP_VERSION;
		info.step = rec.step;
		info.events = ev;
		info.needs_approval = rec.needs_approval;
		info.fingerprint = fp;
		info.predicted_regret = regret;
		info.forecast_scale = fscale;
		info.runs = s.runs;
		{
			gdfo__jsonw w = {0};
			char *f = NULL;
			gdfo__jsonw_raw(&w, "\"step\":\"%s\",\"source\":", step_names[rec.step]);
			gdfo__jsonw_string(&w, gdfo_plan_source(plan));
			gdfo__jsonw_raw(&w, ",\"changes\":%zu,\"risk\":\"%s\",\"needs_approval\":%s,", gdfo_plan_change_count(plan),
					gdfo_risk_name(gdfo_plan_risk(plan)), rec.needs_approval ? "true" : "false");
			gdfo__jsonw_raw(&w, "\"predicted\":{\"latency_ms\":%.6g,\"cost\":%.6g,\"reward\":%.4f},\"predicted_regret\":%.4f,\"why\":",
					rec.pred[0], rec.pred[1], best.r, regret);
			gdfo__jsonw_string(&w, best.why);
			for (i = 0; i < gdfo_plan_change_count(plan) && i < 64; i++) {
				gdfo_change c = {.version = GDFO_CHANGE_VERSION};
				gdfo_plan_change_at(&c, plan, i);
				gdfo__jsonw_raw(&w, i ? "," : ",\"what\":[");
				gdfo__jsonw_string(&w, c.what);
			}
			if (i)
				gdfo__jsonw_raw(&w, "]");
			if (!gdfo__jsonw_finish(&w, &f))
				audit(L, ts, "plan", fp, id, "%s", f);
			free(f);
		}
		if (drift_now)
			audit(L, ts, "drift", fp, id, "\"seen\":\"in the input before its run\"");
		if (ev & GDFO_EVENT_FORECAST)
			audit(L, ts, "forecast", fp, id, "\"scale\":%.4f,\"trend\":%.4f,\"season\":%d", fscale, fc.trend, fc.season);
		if (s.gate_sev)
			audit(L, ts, "gate", fp, id, "\"severity\":\"%s\",\"held\":false,\"finding\":%s",
			      sev_names[s.gate_sev], jstr(qbuf, sizeof(qbuf), s.gate_why));
		rc = apply_plan(L, &rec);
		if (!rc)
			rc = gdfo__plan_set_loop(plan, id, &info);
	}
	pthread_mutex_unlock(&L->mu);
	if (rc)
		goto out;
	*out = plan;
	plan = NULL;
out:
	free(text);
	plan_release(&rec);
	summary_free(&sum);
	snap_free(&s);
	gdfo_graph_free(scaled);
	gdfo_telemetry_free(calib);
	gdfo__policy_clear(&pc);
	gdfo__pol_free(&pol);
	gdfo_plan_free(calib_plan);
	gdfo_space_free(space);
	gdfo_plan_free(kg_plan);
	gdfo_plan_free(plan);
	gdfo_plan_free(best.plan);
	free(best.point);
	free(kg);
	return rc;
}

int gdfo_optimizer_plan(gdfo_plan **out, gdfo_optimizer *opt, const gdfo_graph *graph, const gdfo_telemetry *telemetry,
			const gdfo_objective *objective)
{
	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_optimizer_plan: out is NULL");
	*out = NULL;
	if (!opt || !graph)
		return gdfo__error(GDFO_EINVAL, "gdfo_optimizer_plan: NULL argument");
	if (!opt->loop)
		return gdfo__optimizer_plan(out, opt, graph, telemetry, objective);
	return loop_plan(out, opt, graph, telemetry, objective);
}

/* ---- feedback, approval, sync, policy, stats ---------------------------- */

/* The plan with this id (under the lock). Errors: GDFO_ENOTFOUND. */
static int plan_by_id(lplan **out, gdfo__loop *L, uint64_t fp, int64_t seq, const char *plan_id)
{
	lplan *pl = plan_find(L, seq);
	*out = NULL;
	if (!pl || pl->fp != fp)
		return gdfo__error(GDFO_ENOTFOUND, "no plan '%s' in state '%.200s'", plan_id, L->dir);
	*out = pl;
	return 0;
}

static int sync_due(gdfo__loop *L);

/* After a record's transition: the audit lines synced with a synced record, or the group's sync when due. */
static int record_synced(gdfo__loop *L)
{
	if (L->sync_every == 1) {
		(void)gdfo__audit_sync(&L->audit);
		return 0;
	}
	return sync_due(L);
}

static int sync_due(gdfo__loop *L)
{
	int rc;
	if (L->j.unsynced < L->sync_every)
		return 0;
	if ((rc = gdfo__journal_sync(&L->j)))
		return rc;
	(void)gdfo__audit_sync(&L->audit);
	return 0;
}

int gdfo_optimizer_feedback(gdfo_feedback *out, gdfo_optimizer *opt, const char *plan_id,
			    const gdfo_telemetry *telemetry)
{
	gdfo__loop *L;
	gdfo_outcome o;
	gdfo_feedback fb;
	uint64_t fp;
	int64_t seq;
	lplan *pl;
	char *tj = NULL;
	gdfo__jsonw w = {0};
	char *text = NULL;
	double ts;
	int rc;

	if (out && (rc = gdfo__abi_check(out, GDFO__ABI_FEEDBACK, "gdfo_optimizer_feedback")))
		return rc;
	if (!opt || !plan_id || !telemetry)
		return gdfo__error(GDFO_EINVAL, "gdfo_optimizer_feedback: NULL argument");
	if (!(L = opt->loop))
		return gdfo__error(GDFO_EINVAL, "gdfo_optimizer_feedback: the optimizer has no state directory (open it with one)");
	if ((rc = parse_id(&fp, &seq, plan_id)) || (rc = telemetry_outcome(&o, telemetry)))
		return rc;
	if ((rc = gdfo_telemetry_to_json(&tj, telemetry)))
		return rc;
	pthread_mutex_lock(&L->mu);
	if ((rc = plan_by_id(&pl, L, fp, seq, plan_id)))
		goto out;
	if (pl->fed) {
		rc = gdfo__error(GDFO_EEXISTS, "plan '%s' has had its feedback already", plan_id);
		goto out;
	}
	/* everything the transition needs, before the record is written: an
	 * acknowledged record is always applied whole */
	if ((rc = feedback_prepare(L, pl, tj)))
		goto out;
	ts = now(L);
	gdfo__jsonw_raw(&w, "{\"type\":\"feedback\",\"seq\":%lld,\"ts\":", (long long)seq);
	gdfo__jsonw_number(&w, ts, 0, "time");
	gdfo__jsonw_raw(&w, ",\"telemetry\":%s}", tj);
	if ((rc = gdfo__jsonw_finish(&w, &text)))
		goto out;
	if ((rc = gdfo__journal_append(&L->j, text, strlen(text), L->sync_every == 1)))
		goto out;
	rc = apply_feedback(L, seq, ts, telemetry, tj, &fb);
	if (!rc && opt->enc && pl->input && o.success) {
		/* learning: the value head toward what was measured, the policy by a
		 * small bounded step toward plans that did better than it expected */
		double target = pl->kg_reward + fb.reward, value = 0;
		int urc;
		pthread_rwlock_wrlock(&L->model_lock);
		urc = gdfo__rl_online_step(opt->enc, pl->input, &opt->cluster, &pl->obj, pl->point, pl->dim, target,
					   ONLINE_LR, &value);
		pthread_rwlock_unlock(&L->model_lock);
		if (!urc) {
			L->updates++;
			audit(L, ts, "model_update", pl->fp, plan_id, "\"value\":%.4f,\"target\":%.4f,\"updates\":%lld",
			      value, target, (long long)L->updates);
			if (L->updates - L->updates_saved >= CHECKPOINT_EVERY && !gdfo_nn_save(opt->enc, L->model_ckpt)) {
				L->updates_saved = L->updates;
				audit(L, ts, "model_checkpoint", 0, NULL, "\"updates\":%lld", (long long)L->updates);
			}
		} else {
			/* learning is best effort: the record is applied, the call succeeds */
			audit(L, ts, "model_update_failed", pl->fp, plan_id, "\"status\":\"%s\"", gdfo_status_name(urc));
		}
	}
	if (pl)
		plan_release(pl);
	if (!rc)
		rc = record_synced(L);
	if (!rc && out)
		rc = gdfo__abi_out(out, &fb, GDFO__ABI_FEEDBACK, "gdfo_optimizer_feedback");
out:
	pthread_mutex_unlock(&L->mu);
	free(text);
	free(tj);
	return rc;
}

int gdfo_optimizer_approve(gdfo_optimizer *opt, const char *plan_id, const char *who, const char *note)
{
	gdfo__loop *L;
	uint64_t fp;
	int64_t seq;
	lplan *pl;
	gdfo__jsonw w = {0};
	char *text = NULL;
	double ts;
	int rc;

	if (!opt || !plan_id || !who)
		return gdfo__error(GDFO_EINVAL, "gdfo_optimizer_approve: NULL argument");
	if (!(L = opt->loop))
		return gdfo__error(GDFO_EINVAL, "gdfo_optimizer_approve: the optimizer has no state directory");
	if (!*who || strlen(who) > 256 || !gdfo__utf8_valid(who, strlen(who)))
		return gdfo__error(GDFO_EINVAL, "gdfo_optimizer_approve: who must be 1..256 bytes of UTF-8");
	if (note && (strlen(note) > 4096 || !gdfo__utf8_valid(note, strlen(note))))
		return gdfo__error(GDFO_EINVAL, "gdfo_optimizer_approve: note must be at most 4096 bytes of UTF-8");
	if ((rc = parse_id(&fp, &seq, plan_id)))
		return rc;
	pthread_mutex_lock(&L->mu);
	if ((rc = plan_by_id(&pl, L, fp, seq, plan_id)))
		goto out;
	if (pl->approved) {
		rc = gdfo__error(GDFO_EEXISTS, "plan '%s' is approved already", plan_id);
		goto out;
	}
	ts = now(L);
	gdfo__jsonw_raw(&w, "{\"type\":\"approve\",\"seq\":%lld,\"ts\":", (long long)seq);
	gdfo__jsonw_number(&w, ts, 0, "time");
	gdfo__jsonw_raw(&w, ",\"who\":");
	gdfo__jsonw_string(&w, who);
	gdfo__jsonw_raw(&w, ",\"note\":");
	gdfo__jsonw_string(&w, note ? note : "");
	gdfo__jsonw_raw(&w, "}");
	if ((rc = gdfo__jsonw_finish(&w, &text)) ||
	    (rc = gdfo__journal_append(&L->j, text, strlen(text), L->sync_every == 1)))
		goto out;
	rc = apply_approve(L, seq, ts, who, note);
	if (!rc)
		rc = record_synced(L);
out:
	pthread_mutex_unlock(&L->mu);
	free(text);
	return rc;
}

int gdfo_optimizer_sync(gdfo_optimizer *opt)
{
	int rc;
	if (!opt || !opt->loop)
		return gdfo__error(GDFO_EINVAL, "gdfo_optimizer_sync: no optimizer with a state directory");
	pthread_mutex_lock(&opt->loop->mu);
	rc = gdfo__journal_sync(&opt->loop->j);
	if (!rc)
		rc = gdfo__audit_sync(&opt->loop->audit);
	pthread_mutex_unlock(&opt->loop->mu);
	return rc;
}

int gdfo_policy_check(const char *json, size_t len)
{
	gdfo__policy p;
	int rc;
	if (!json)
		return gdfo__error(GDFO_EINVAL, "gdfo_policy_check: json is NULL");
	rc = gdfo__policy_parse(&p, json, len);
	gdfo__policy_clear(&p);
	return rc;
}

int gdfo_optimizer_set_policy(gdfo_optimizer *opt, const char *path)
{
	gdfo__loop *L;
	gdfo__policy p;
	char *text = NULL, dst[4096];
	size_t len;
	int rc;

	if (!opt || !path)
		return gdfo__error(GDFO_EINVAL, "gdfo_optimizer_set_policy: NULL argument");
	if (!(L = opt->loop))
		return gdfo__error(GDFO_EINVAL, "gdfo_optimizer_set_policy: the optimizer has no state directory");
	if ((rc = gdfo__file_read_text(&text, &len, path, POLICY_MAX)))
		return rc;
	if ((rc = gdfo__policy_parse(&p, text, len))) {
		free(text);
		return gdfo__error_prefix(rc, "'%.200s'", path);
	}
	snprintf(dst, sizeof(dst), "%s/policy.json", L->dir);
	pthread_mutex_lock(&L->mu);
	/* the file first (a crash before the record leaves the journal's policy,
	 * and the next open journals the file's), then the record */
	rc = gdfo__file_write_atomic(dst, text, len);
	if (!rc)
		rc = install_policy(L, &p, path);
	pthread_mutex_unlock(&L->mu);
	gdfo__policy_clear(&p);
	free(text);
	return rc;
}

int gdfo_loop_stats_get(gdfo_loop_stats *out, gdfo_optimizer *opt)
{
	gdfo_loop_stats s;
	int rc;
	if (!out || !opt)
		return gdfo__error(GDFO_EINVAL, "gdfo_loop_stats_get: NULL argument");
	if ((rc = gdfo__abi_check(out, GDFO__ABI_LOOP_STATS, "gdfo_loop_stats_get")))
		return rc;
	if (!opt->loop)
		return gdfo__error(GDFO_EINVAL, "gdfo_loop_stats_get: the optimizer has no state directory");
	pthread_mutex_lock(&opt->loop->mu);
	s = opt->loop->stats;
	s.records = opt->loop->j.records;
	s.pipelines = (int32_t)opt->loop->n_pipes;
	pthread_mutex_unlock(&opt->loop->mu);
	return gdfo__abi_out(out, &s, GDFO__ABI_LOOP_STATS, "gdfo_loop_stats_get");
}
