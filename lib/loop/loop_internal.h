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

/* 1 when a and b hold the same guardrails (protected names in the same order). */
int gdfo__policy_equal(const gdfo__policy *a, const gdfo__policy *b);

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
 * The Page-Hinkley test for a shift of a series' mean, both ways (Page
 * 1954; Gama et al. 2014): up sums x - mean - delta and down sums
 * x - mean + delta, where mean is the mean of the values before x (the
 * mean with x in it would absorb 1/n of a shift: a quarter of it after
 * three values); a rise is declared when up exceeds its running minimum
 * by more than lambda, a fall when down lies more than lambda below its
 * running maximum, and neither before min_n values. After a shift the
 * test restarts with x as its first value. A non-finite x (or one so far
 * out that the sums would overflow) is ignored: the state is unchanged.
 * Plain data: it is stored in the journal's replayed state as it is; a
 * zeroed struct with the parameters set is a fresh test.
 *
 * Recommended parameters (docs/loop.md "Drift"; measured in
 * tests/c/test_detect.c), for a series whose stable noise is about 0.1:
 * GDFO__PH_DELTA, GDFO__PH_LAMBDA, GDFO__PH_MIN_N. The same for both uses:
 * ln(measured / predicted latency) of each run, and a pipeline's volumes
 * (total source bytes, rows) fed as ln(v / f) with f the forecast made
 * from the runs before (gdfo__forecast_next; from the second run on). A
 * raw ln v is no use: a trend of +5 % a run alarms within 20 runs in
 * every series (any delta that lets it pass misses +0.5 after a few
 * runs), and a weekly season at every weekend. Measured on noise sd 0.1:
 * 2.5 false alarms per 1000 values (sd 0.05: none; sd 0.15: 65 -- for a
 * noisier series scale delta and lambda with its deviation); a step of
 * ln 10 found at its first value, +-0.5 within 2 values in 99 % of
 * series or more, +0.3 within 3 values in 80 % (after 3 stable values;
 * the means of 3 and 3 values differ by 0.3 +- 0.08) to 96 % (after 30).
 * Noise-free, a step of 0.5 or more is found at its first value, 0.3 at
 * its second. On volumes growing 5 % a run (noise 0.05) fed as ln(v / f),
 * 1.4 % of series alarm within 20 runs; +0.5 on top is found within 2
 * runs in 97 %. Daily runs with weekends at 40 % alarm at the weekends
 * until the forecast has seen two of them (4 alarms a series in the first
 * three weeks), none after.
 *
 * After a shift the test goes on from the new level. A series that comes
 * back to its old level once the loop has reacted (a recalibrated model, a
 * forecast restarted from the runs after the shift) needs the test
 * initialized again, else the return is the next shift.
 */
#define GDFO__PH_DELTA 0.1
#define GDFO__PH_LAMBDA 0.275
#define GDFO__PH_MIN_N 4

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

/* Points of the trend fit; most points of the seasonal fit (stack buffers). */
#define GDFO__FORECAST_TREND 16
#define GDFO__FORECAST_SEASON_MAX 512

/*
 * Forecasts the value at time t_next (seconds) from n values v[i] > 0 at
 * times t[i] (ascending; t may be NULL when runs carry no times: then no
 * seasonality). Values that are not positive and finite, and points whose
 * time is not finite, are skipped; the last GDFO__FORECAST_SEASON_MAX
 * valid points are used.
 *
 * Trend: a robust line on ln v against the run index over the last
 * GDFO__FORECAST_TREND points, extrapolated one run: Huber's regression
 * then Tukey's biweight (c = 10 robust deviations), started from Siegel's
 * repeated median and its residuals' scale (1.4826 MAD, at least 0.01).
 * A point beyond c deviations (one 10x value in points of noise up to
 * sd 0.2) gets no weight: one 10x value in 12 points of noise sd 0.05
 * moves the forecast by at most 6 %, as much as leaving the point out
 * does. A constant series gives its value and a trend of exactly 0.
 *
 * Seasonality, daily (1) or weekly (2), when t and a finite t_next are
 * given and the times span two periods: residuals of ln v from its level
 * (a centred moving average over the longest such period, level and
 * profile refined in turn) are averaged over the points within an hour of
 * t_next's phase in the period (weight 1 - distance / 1 h; at least two
 * points from two periods): t_next should be when the next run is due. A
 * period applies when that profile, each point left out of its own
 * estimate, removes more than a tenth of the residuals' sum of squares;
 * the better ratio wins, weekly on a tie. The trend is then fitted on
 * ln v less the profile. Measured (tests/c/test_detect.c): hourly runs
 * over 4 days with a daily sine of 30 %, noise 0.02: mean error 1.2 %,
 * worst 4.4 % over 24 t_next x 20 series; daily runs over 5 weeks with
 * weekends at 40 %: 1.0 %, worst 3.9 %; exact without noise; no season
 * found in flat noise. Cost: O(n^2) in the points used, a few ms at 512.
 *
 * Returns 1 with *out filled when there are 3 valid points or more, else 0
 * with out->value the last valid value (0 when there is none), trend 0,
 * seasonal 1. A forecast that would overflow is the last value, trend 0.
 * No allocation; about 17 KB of stack.
 */
int gdfo__forecast_next(gdfo__forecast *out, const double *t, const double *v, size_t n, double t_next);

/*
 * Bounds of one statistic learned from history (Welford on ln(1 + x): a
 * ratio for counts and bytes, nearly a difference for fractions such as
 * selectivity). A zeroed struct is empty; gdfo__bound_add ignores a
 * negative or non-finite x.
 */
typedef struct gdfo__bound {
	int32_t n;
	double mean, m2;       /* of ln(1 + x) */
	double min, max;       /* of x */
} gdfo__bound;

/*
 * Least deviation of ln(1 + x) a check divides by: a constant history
 * would otherwise make any change an anomaly. 0.06: a change of 10 % of a
 * constant statistic is z 1.6 (0), 20 % z 3.0 (low), 1.5x z 6.8 (medium),
 * 2x z 11.6 (high); a selectivity going from 0.1 to 0.5 z 5.2 (medium).
 */
#define GDFO__BOUND_SD_FLOOR 0.06

void gdfo__bound_add(gdfo__bound *b, double x);
/*
 * Severity of x against the bounds by z = |ln(1 + x) - mean| /
 * max(sd, GDFO__BOUND_SD_FLOOR), sd the sample deviation: 0 when z < 3 or
 * x lies within the range seen [min, max], 1 (low) for z in 3..5, 2
 * (medium) 5..8, 3 (high) 8 and above. *z (may be NULL) gets z. Fewer
 * than min_n values (or none), or a negative or non-finite x: 0, z 0.
 */
int gdfo__bound_check(const gdfo__bound *b, double x, int32_t min_n, double *z);

#endif
