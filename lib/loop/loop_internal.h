/*
 * The closed loop's internals (include/gdfo/loop.h, docs/loop.md): the
 * gdfo-policy/1 guardrails (policy.c), the detectors, forecast and gates
 * (detect.c), the state, journal and audit log (state.c, journal.c).
 */
#ifndef GDFO_LOOP_INTERNAL_H
#define GDFO_LOOP_INTERNAL_H

#include "core/internal.h"
#include "gdfo/plan.h"

/* ---- policy (policy.c) ------------------------------------------------- */

/* Most names the policy's protected list holds (each 1..255 bytes, graph.h's limit). */
#define GDFO__POLICY_STAGES_MAX 4096

/*
 * The guardrails of a state directory: gdfo-policy/1 (docs/loop.md
 * "Policy"). Every field has a default (gdfo__policy_defaults); a file
 * sets only what it names.
 */
typedef struct gdfo__policy {
	/* limits: what a plan may set; 0 = no limit */
	double max_executors;
	double max_cores_per_executor;
	double max_memory_per_executor_bytes;
	double cost_ceiling;      /* per run, currency units: a plan predicted above it is not explored */
	double slo_ms;            /* end-to-end latency a plan must be predicted under to be explored */
	/* stages never rewritten (names as in the pipeline), owned */
	char **protected_stages;
	size_t n_protected;
	uint32_t allowed_kinds;   /* bit (1 << gdfo_change_kind) per change kind allowed (all) */
	int32_t approval_risk;    /* gdfo_risk at or above which a plan needs approval
				     (GDFO_RISK_HIGH); 3 = never */
	/* exploration */
	double explore_budget;    /* most share of a pipeline's runs that explore, 0..1 (0.5) */
	double max_regret;        /* most predicted reward an exploration may give up
				     against the known-good plan (0.05) */
	int32_t auto_off_runs;    /* explorations in a row without a gain that stop exploring
				     until drift (6) */
	int32_t confirm_runs;     /* runs a candidate must do better on to become known-good (2) */
	double rollback_margin;   /* a run worse than known-good by more reward rolls back (0.05) */
	double min_gain;          /* reward over known-good that counts as a gain (0.01) */
	/* data-contract gates */
	int32_t gate_hold;        /* severity (1 low, 2 medium, 3 high) at which the plan
				     call holds the run (GDFO_EANOMALY); 0 never (0: a
				     legitimate tenfold growth and a broken load look alike,
				     so holding is the host's choice) */
	int32_t gate_min_runs;    /* runs before bounds are enforced (5) */
} gdfo__policy;

void gdfo__policy_defaults(gdfo__policy *p);
/* Frees what p owns and sets it to the defaults. NULL does nothing. */
void gdfo__policy_clear(gdfo__policy *p);

/*
 * Parses and validates a gdfo-policy/1 document (len bytes, need not be
 * NUL-terminated; docs/policy.md). Errors: GDFO_EFORMAT naming the field
 * and what is wrong ("policy: exploration.max_regret is -1; it must be
 * in 0..1"), GDFO_EVERSION (another version of gdfo-policy), GDFO_ERANGE
 * (over 1 MiB), GDFO_EINVAL (NULL), GDFO_ENOMEM. On failure *out is left
 * cleared. *out need not be initialized: what it held is not freed.
 */
int gdfo__policy_parse(gdfo__policy *out, const char *json, size_t len);

/*
 * The policy as a gdfo-policy/1 document (every field; parses back
 * equal), freed with gdfo_free. Errors: GDFO_EINVAL (a field a document
 * could not hold, named), GDFO_ENOMEM.
 */
int gdfo__policy_to_json(char **out, const gdfo__policy *p);

/* 1 when the stage named name is protected. */
int gdfo__policy_protected(const gdfo__policy *p, const char *name);

/*
 * Whether plan (made from input) keeps to the policy's limits, protected
 * stages and allowed change kinds: 0 yes; GDFO_EILLEGAL with the first
 * violation in why ("changes protected stage 'load_orders' (partitions)";
 * why may be NULL) and in gdfo_last_error; GDFO_EINVAL (NULL), GDFO_ENOMEM.
 * Predicted cost and latency are not checked here (the loop compares them).
 */
int gdfo__policy_check_plan(const gdfo__policy *p, const gdfo_graph *input, const gdfo_plan *plan,
			    char *why, size_t why_len);

/* ---- detectors, forecast, gates (detect.c) ----------------------------- */

/*
 * The Page-Hinkley test for a shift of a series' mean, both ways: the
 * cumulative deviation from the running mean, less delta per step,
 * against its running extreme; a change is declared when it exceeds
 * lambda (after at least min_n values). Plain data: it is stored in the
 * journal's replayed state as it is.
 */
typedef struct gdfo__ph {
	double delta, lambda;
	int32_t min_n, n;
	double mean;
	double up, up_min;     /* sum of (x - mean - delta) and its minimum */
	double down, down_max; /* sum of (x - mean + delta) and its maximum */
} gdfo__ph;

void gdfo__ph_init(gdfo__ph *ph, double delta, double lambda, int32_t min_n);
/* Adds x; 1 when a shift is detected (the test then restarts from x), else 0. */
int gdfo__ph_update(gdfo__ph *ph, double x);

/* A forecast of the next value of a positive series (source volume). */
typedef struct gdfo__forecast {
	double value;          /* forecast of the next value */
	double trend;          /* relative change per run of the trend (0.05 = +5 % a run) */
	double seasonal;       /* relative seasonal factor applied (1 = none) */
	int32_t season;        /* 0 none, 1 daily, 2 weekly */
	int32_t n;             /* points used */
} gdfo__forecast;

/*
 * Forecasts the value at time t_next (seconds) from n values v[i] > 0 at
 * times t[i] (ascending; t may be NULL when runs carry no times: then no
 * seasonality). Trend: on ln v, over the last points; seasonality when
 * the times span at least two periods and the period's profile explains
 * the residuals. Returns 1 with *out filled when there are enough points
 * (3), else 0 with out->value the last value (or 0 when n is 0).
 */
int gdfo__forecast_next(gdfo__forecast *out, const double *t, const double *v, size_t n, double t_next);

/* Bounds of one statistic learned from history (Welford on ln(1 + x)). */
typedef struct gdfo__bound {
	int32_t n;
	double mean, m2;       /* of ln(1 + x) */
	double min, max;       /* of x */
} gdfo__bound;

void gdfo__bound_add(gdfo__bound *b, double x);
/*
 * Severity of x against the bounds: 0 inside, 1 low, 2 medium, 3 high
 * (by how many deviations of the log it lies outside, and by the ratio
 * to the range seen); *z (may be NULL) gets the deviation. Fewer than
 * min_n values: always 0.
 */
int gdfo__bound_check(const gdfo__bound *b, double x, int32_t min_n, double *z);

#endif
