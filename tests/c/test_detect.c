/*
 * The closed loop's detectors (lib/loop/detect.c): the Page-Hinkley test's
 * detection delays and false alarm rate, measured on seeded noise; the
 * volume forecast's trend, seasonality and robustness; the gates' bounds.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "loop/loop_internal.h"

#define PI 3.14159265358979323846
#define HOUR 3600.0
#define DAY 86400.0
#define T0 (1704067200.0 + 2 * HOUR) /* Monday 2024-01-01 02:00 UTC */

/* splitmix64 and Box-Muller: the same series on every machine */
static uint64_t rng_state;

static void rng_seed(uint64_t s)
{
	rng_state = s;
}

static double uniform(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(double sd)
{
	return sd * sqrt(-2 * log(uniform())) * cos(2 * PI * uniform());
}

static void ph_default(gdfo__ph *ph)
{
	gdfo__ph_init(ph, GDFO__PH_DELTA, GDFO__PH_LAMBDA, GDFO__PH_MIN_N);
}

/*
 * Share of series (k stable values of noise sd, then a step of s) whose
 * first alarm comes within d values of the step, among those with no
 * alarm before it.
 */
static double detect_rate(int k, double s, int d, double sd, int series, uint64_t seed)
{
	int i, j, clean = 0, found = 0;
	rng_seed(seed);
	for (i = 0; i < series; i++) {
		gdfo__ph ph;
		int early = 0, hit = 0;
		ph_default(&ph);
		for (j = 0; j < k + d; j++) {
			int a = gdfo__ph_update(&ph, gauss(sd) + (j >= k ? s : 0));
			if (a && j < k)
				early = 1;
			if (a && j >= k)
				hit = 1;
		}
		if (early)
			continue;
		clean++;
		found += hit;
	}
	return clean ? (double)found / clean : 0;
}

/* alarms per value on stationary noise sd, the test restarting after each */
static double false_alarm_rate(double sd, int series, int len, uint64_t seed)
{
	long alarms = 0;
	int i, j;
	rng_seed(seed);
	for (i = 0; i < series; i++) {
		gdfo__ph ph;
		ph_default(&ph);
		for (j = 0; j < len; j++)
			alarms += gdfo__ph_update(&ph, gauss(sd));
	}
	return (double)alarms / ((double)series * len);
}

/* A noise-free step of 0.5 or more is found at its first value, of 0.3 at its second. */
START_TEST(ph_finds_a_clean_step_at_once)
{
	static const double steps[] = {2.302585092994046, 0.5, 0.3, -0.5, -0.3, -2.302585092994046};
	size_t s;
	int k, j;
	for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++)
		for (k = 3; k <= 60; k++) {
			gdfo__ph ph;
			int at = -1;
			ph_default(&ph);
			for (j = 0; j < k + 5 && at < 0; j++)
				if (gdfo__ph_update(&ph, 1.0 + (j >= k ? steps[s] : 0)))
					at = j;
			/* 0.3 - delta is below lambda: the second value adds the rest */
			ck_assert_msg(at == k + (fabs(steps[s]) < 0.4), "step %+.2f after %d values: alarm at %d", steps[s],
				      k, at);
		}
}
END_TEST

/* Steps of ln 10 and of +-0.5 in noise sd 0.1: found within 2 values. */
START_TEST(ph_finds_large_steps_within_two_values)
{
	static const int ks[] = {3, 5, 10, 30};
	size_t i;
	for (i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		double big = detect_rate(ks[i], log(10), 2, 0.1, 2000, 11 + i);
		double up = detect_rate(ks[i], 0.5, 2, 0.1, 2000, 21 + i);
		double down = detect_rate(ks[i], -0.5, 2, 0.1, 2000, 31 + i);
		double lo = detect_rate(ks[i], 0.5, 2, 0.05, 2000, 41 + i);
		ck_assert_msg(big == 1, "ln 10 after %d: %.4f", ks[i], big);
		ck_assert_msg(up >= 0.95, "+0.5 after %d: %.4f", ks[i], up);
		ck_assert_msg(down >= 0.95, "-0.5 after %d: %.4f", ks[i], down);
		ck_assert_msg(lo >= 0.999, "+0.5 after %d, sd 0.05: %.4f", ks[i], lo);
		printf("ph: after %2d stable values, noise sd 0.1: ln 10 in 2 %.4f, +0.5 in 2 %.4f, -0.5 in 2 %.4f; "
		       "sd 0.05: +0.5 in 2 %.4f\n",
		       ks[i], big, up, down, lo);
	}
}
END_TEST

/*
 * +0.3 in noise sd 0.1 (3 sd) within 3 values: with 3 reference values the
 * difference of the means has sd 0.08, so no test finds it much more often
 * at this false alarm rate; in sd 0.05 always.
 */
START_TEST(ph_finds_small_step_within_three_values)
{
	static const int ks[] = {3, 5, 10, 30};
	static const double want[] = {0.78, 0.84, 0.90, 0.93}, want_lo[] = {0.90, 0.97, 0.99, 0.99};
	size_t i;
	for (i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		double r = detect_rate(ks[i], 0.3, 3, 0.1, 2000, 51 + i);
		double lo = detect_rate(ks[i], 0.3, 3, 0.05, 2000, 61 + i);
		ck_assert_msg(r >= want[i], "+0.3 after %d: %.4f", ks[i], r);
		ck_assert_msg(lo >= want_lo[i], "+0.3 after %d, sd 0.05: %.4f", ks[i], lo);
		printf("ph: after %2d stable values: +0.3 in 3, noise sd 0.1 %.4f, sd 0.05 %.4f\n", ks[i], r, lo);
	}
}
END_TEST

/* Stationary noise sd 0.1: fewer than 1 alarm per 200 values. */
START_TEST(ph_false_alarms_are_rare)
{
	double r = false_alarm_rate(0.1, 1000, 200, 7);
	double lo = false_alarm_rate(0.05, 1000, 200, 8);
	double hi = false_alarm_rate(0.15, 1000, 200, 9);
	printf("ph: false alarms per value on noise sd 0.05 %.5f, 0.1 %.5f, 0.15 %.5f\n", lo, r, hi);
	ck_assert_msg(r < 1.0 / 200, "%.5f alarms per value", r);
	ck_assert_msg(lo < 1e-4, "%.5f alarms per value at sd 0.05", lo);
}
END_TEST

/*
 * Volumes growing 5 % a run (noise sd 0.05) for 20 runs: fed as
 * ln(v / forecast), the trend does not alarm; fed as ln v it would. A step
 * of +0.5 on top of the trend is found within 2 runs.
 */
START_TEST(ph_on_forecast_residuals_ignores_a_trend)
{
	int i, j, raw_alarms = 0, res_alarms = 0, found = 0, series = 500;
	rng_seed(77);
	for (i = 0; i < series; i++) {
		double v[40];
		gdfo__ph raw, res, step;
		int ra = 0, rs = 0, hit = 0;
		ph_default(&raw);
		ph_default(&res);
		ph_default(&step);
		for (j = 0; j < 20; j++) {
			gdfo__forecast f;
			v[j] = 1e9 * exp(0.04879 * j + gauss(0.05));
			gdfo__forecast_next(&f, NULL, v, (size_t)j, 0);
			ra |= gdfo__ph_update(&raw, log(v[j]));
			if (j > 0)
				rs |= gdfo__ph_update(&res, log(v[j] / f.value));
		}
		raw_alarms += ra;
		res_alarms += rs;
		/* 6 runs of trend, then +0.5 */
		ph_default(&step);
		for (j = 0; j < 8; j++) {
			gdfo__forecast f;
			int a;
			v[j] = 1e9 * exp(0.04879 * j + gauss(0.05) + (j >= 6 ? 0.5 : 0));
			gdfo__forecast_next(&f, NULL, v, (size_t)j, 0);
			if (j == 0)
				continue;
			a = gdfo__ph_update(&step, log(v[j] / f.value));
			if (a && j < 6)
				break;
			hit |= a;
		}
		found += hit;
	}
	printf("ph: +5 %%/run for 20 runs, noise 0.05: alarmed in %.3f of series on ln(v / forecast), %.3f on ln v; "
	       "+0.5 after 6 runs of trend found within 2 runs in %.3f\n",
	       (double)res_alarms / series, (double)raw_alarms / series, (double)found / series);
	ck_assert_msg(res_alarms <= series / 20, "%d of %d series alarmed on the trend", res_alarms, series);
	ck_assert_int_ge(raw_alarms, series * 9 / 10);
	ck_assert_msg(found >= series * 9 / 10, "step found in %d of %d", found, series);
}
END_TEST

/*
 * Daily runs with weekends at 40 % (noise 0.05), fed as ln(v / forecast):
 * the weekends alarm until the forecast has seen two of them; from the
 * fourth week on the test is quiet.
 */
START_TEST(ph_on_forecast_residuals_ignores_weekends)
{
	int s, j, early = 0, late = 0, series = 200, seasonal = 0;
	for (s = 0; s < series; s++) {
		double t[42], v[42];
		gdfo__ph ph;
		ph_default(&ph);
		rng_seed(900 + s);
		for (j = 0; j < 42; j++) {
			gdfo__forecast f;
			int a;
			t[j] = T0 + j * DAY;
			v[j] = 2e9 * (j % 7 >= 5 ? 0.4 : 1) * exp(gauss(0.05));
			gdfo__forecast_next(&f, t, v, (size_t)j, t[j]);
			if (j == 0)
				continue;
			a = gdfo__ph_update(&ph, log(v[j] / f.value));
			if (j < 21)
				early += a;
			else
				late += a;
			seasonal += j >= 21 && f.season == 2;
		}
	}
	printf("ph: daily runs, weekends 40 %%, on ln(v / forecast): %.2f alarms per series in weeks 1-3, %.3f in weeks "
	       "4-6 (weekly season in %.3f of their runs)\n",
	       (double)early / series, (double)late / series, seasonal / (21.0 * series));
	ck_assert_int_eq(seasonal, 21 * series);
	ck_assert_msg(late <= series / 50, "%d alarms in weeks 4-6", late);
}
END_TEST

START_TEST(ph_ignores_non_finite_values)
{
	gdfo__ph a, b;
	int j, alarms_a = 0, alarms_b = 0;
	ph_default(&a);
	ph_default(&b);
	/* not even as the first value */
	ck_assert_int_eq(gdfo__ph_update(&b, NAN), 0);
	ck_assert(b.n == 0 && b.mean == 0);
	rng_seed(3);
	for (j = 0; j < 200; j++) {
		double x = gauss(0.1) + (j >= 100 ? 0.5 : 0);
		gdfo__ph before;
		alarms_a += gdfo__ph_update(&a, x);
		alarms_b += gdfo__ph_update(&b, x);
		before = b;
		ck_assert_int_eq(gdfo__ph_update(&b, NAN), 0);
		ck_assert_int_eq(gdfo__ph_update(&b, INFINITY), 0);
		ck_assert_int_eq(gdfo__ph_update(&b, -INFINITY), 0);
		ck_assert(memcmp(&before, &b, sizeof(b)) == 0);
	}
	ck_assert_int_eq(alarms_a, alarms_b);
	ck_assert_int_ge(alarms_a, 1);
	ck_assert(isfinite(b.mean) && isfinite(b.up) && isfinite(b.down));
	/* finite values whose sums would overflow are ignored too */
	for (j = 0; j < 20; j++) {
		gdfo__ph_update(&b, j % 2 ? 1.7e308 : -1.7e308);
		ck_assert(isfinite(b.mean) && isfinite(b.up) && isfinite(b.down) && isfinite(b.up_min) &&
			  isfinite(b.down_max));
	}
}
END_TEST

START_TEST(ph_restarts_from_the_alarm_value)
{
	gdfo__ph ph;
	int j;
	ph_default(&ph);
	for (j = 0; j < 5; j++)
		ck_assert_int_eq(gdfo__ph_update(&ph, 0), 0);
	ck_assert_int_eq(gdfo__ph_update(&ph, 2), 1);
	ck_assert_int_eq(ph.n, 1);
	ck_assert(ph.mean == 2 && ph.up == 0 && ph.down == 0);
	/* the new level is quiet; no alarm before min_n values */
	for (j = 0; j < 10; j++)
		ck_assert_int_eq(gdfo__ph_update(&ph, 2), 0);
	gdfo__ph_init(&ph, 0.1, 0.3, 4);
	ck_assert_int_eq(gdfo__ph_update(&ph, 0), 0);
	ck_assert_int_eq(gdfo__ph_update(&ph, 5), 0);
	ck_assert_int_eq(gdfo__ph_update(&ph, 5), 0);
	ck_assert_int_eq(gdfo__ph_update(&ph, 5), 1);
}
END_TEST

/* ---- forecast ---- */

START_TEST(forecast_of_a_constant_is_the_constant)
{
	double v[96], t[96];
	gdfo__forecast f;
	int i;
	for (i = 0; i < 96; i++) {
		v[i] = 123456.789;
		t[i] = 1.7e9 + i * HOUR;
	}
	ck_assert_int_eq(gdfo__forecast_next(&f, NULL, v, 10, 0), 1);
	ck_assert_double_eq_tol(f.value, 123456.789, 1e-9 * 123456.789);
	ck_assert(f.trend == 0 && f.seasonal == 1 && f.season == 0 && f.n == 10);
	ck_assert_int_eq(gdfo__forecast_next(&f, t, v, 96, t[95] + HOUR), 1);
	ck_assert_double_eq_tol(f.value, 123456.789, 1e-9 * 123456.789);
	ck_assert(f.trend == 0 && f.season == 0 && f.n == 96);
}
END_TEST

START_TEST(forecast_follows_growth)
{
	double v[20], truth = 100 * pow(1.05, 20);
	gdfo__forecast f;
	int i;
	for (i = 0; i < 20; i++)
		v[i] = 100 * pow(1.05, i);
	ck_assert_int_eq(gdfo__forecast_next(&f, NULL, v, 20, 0), 1);
	ck_assert_msg(fabs(f.value / truth - 1) < 0.01, "%.3f vs %.3f", f.value, truth);
	ck_assert_double_eq_tol(f.trend, 0.05, 0.005);
	/* with noise sd 0.03 */
	rng_seed(5);
	for (i = 0; i < 20; i++)
		v[i] = 100 * pow(1.05, i) * exp(gauss(0.03));
	ck_assert_int_eq(gdfo__forecast_next(&f, NULL, v, 20, 0), 1);
	ck_assert_msg(fabs(f.value / truth - 1) < 0.05, "%.3f vs %.3f", f.value, truth);
	ck_assert_double_eq_tol(f.trend, 0.05, 0.01);
}
END_TEST

/*
 * Seasonal series: hourly runs over 4 days of 5e8 (1 + 0.3 sin(day
 * phase)) (kind 0), daily runs at 02:00 over 5 weeks with weekends at 40 %
 * (kind 1), hourly runs over 3 weeks with the daily sine and weekends at
 * 50 % (kind 2) or the sine alone (kind 3), flat noise hourly over 4 days
 * (kind 4); noise sd in ln. Fills t and v, returns the count.
 */

static double seasonal_truth(int kind, double t)
{
	int weekend = (int)floor((t - T0 + 2 * HOUR) / DAY) % 7 >= 5;
	switch (kind) {
	case 0:
	case 3:
		return 5e8 * (1 + 0.3 * sin(2 * PI * t / DAY));
	case 1:
		return 2e9 * (weekend ? 0.4 : 1);
	case 2:
		return 5e8 * (1 + 0.3 * sin(2 * PI * t / DAY)) * (weekend ? 0.5 : 1);
	default:
		return 5e8;
	}
}

static int seasonal_series(double *t, double *v, int kind, double sd)
{
	int i, n = kind == 1 ? 35 : kind == 2 || kind == 3 ? 21 * 24 : 96;
	for (i = 0; i < n; i++) {
		t[i] = kind == 1 ? T0 + i * DAY : T0 + 1800 + i * HOUR;
		v[i] = seasonal_truth(kind, t[i]) * exp(gauss(sd));
	}
	return n;
}

/*
 * Forecasts of a seasonal series at the next 24 hours' runs (the next 7
 * days' for daily runs): the season found in every one, the largest and
 * the mean error over seeds (seed 0 noise-free).
 */
static void seasonal_errors(double *worst, double *mean, double *worst_clean, int kind, double sd, int seeds,
			    int want_season)
{
	static double t[GDFO__FORECAST_SEASON_MAX], v[GDFO__FORECAST_SEASON_MAX];
	double sum = 0;
	int s, h, k = 0;
	*worst = *worst_clean = 0;
	for (s = 0; s < seeds; s++) {
		int n;
		rng_seed(500 + s);
		n = seasonal_series(t, v, kind, s ? sd : 0);
		for (h = 1; h <= (kind == 1 ? 7 : 24); h++) {
			gdfo__forecast f;
			double tn = kind == 1 ? t[n - 1] + h * DAY : t[n - 1] + h * HOUR, err;
			ck_assert_int_eq(gdfo__forecast_next(&f, t, v, (size_t)n, tn), 1);
			ck_assert_msg(f.season == want_season, "kind %d seed %d, %d ahead: season %d", kind, s, h,
				      f.season);
			err = fabs(f.value / seasonal_truth(kind, tn) - 1);
			if (s == 0)
				*worst_clean = err > *worst_clean ? err : *worst_clean;
			else
				*worst = err > *worst ? err : *worst;
			sum += s ? err : 0;
			k += s ? 1 : 0;
		}
	}
	*mean = sum / k;
}

/* Hourly runs over 4 days with a daily sine of amplitude 30 %. */
START_TEST(forecast_daily_season)
{
	double worst, mean, clean;
	seasonal_errors(&worst, &mean, &clean, 0, 0.02, 21, 1);
	printf("forecast: daily season (hourly runs, 4 days, sine 30 %%): error %.2f %% noise-free; noise 0.02, "
	       "20 seeds x 24 t_next: mean %.2f %%, worst %.2f %%\n",
	       100 * clean, 100 * mean, 100 * worst);
	ck_assert_msg(clean < 0.02, "%.4f", clean);
	ck_assert_msg(mean < 0.02, "%.4f", mean);
	ck_assert_msg(worst < 0.06, "%.4f", worst);
	/* no times: no season, still a forecast */
	{
		double t[96], v[96];
		gdfo__forecast f;
		int n = seasonal_series(t, v, 0, 0.02);
		ck_assert_int_eq(gdfo__forecast_next(&f, NULL, v, (size_t)n, 0), 1);
		ck_assert_int_eq(f.season, 0);
		ck_assert(f.value > 0 && isfinite(f.value) && f.seasonal == 1);
		/* nor with a t_next that is not finite */
		ck_assert_int_eq(gdfo__forecast_next(&f, t, v, (size_t)n, NAN), 1);
		ck_assert_int_eq(f.season, 0);
	}
}
END_TEST

/* Daily runs over 5 weeks, weekends at 40 %. */
START_TEST(forecast_weekly_season)
{
	double worst, mean, clean;
	seasonal_errors(&worst, &mean, &clean, 1, 0.02, 21, 2);
	printf("forecast: weekly season (daily runs, 5 weeks, weekends 40 %%): error %.2f %% noise-free; noise 0.02, "
	       "20 seeds x 7 t_next: mean %.2f %%, worst %.2f %%\n",
	       100 * clean, 100 * mean, 100 * worst);
	ck_assert_msg(clean < 1e-9, "%.4g", clean);
	ck_assert_msg(mean < 0.02, "%.4f", mean);
	ck_assert_msg(worst < 0.05, "%.4f", worst);
}
END_TEST

/* Hourly runs over 3 weeks: weekly when weekends differ, daily when they do not. */
START_TEST(forecast_picks_the_period_that_fits)
{
	double worst, mean, clean;
	seasonal_errors(&worst, &mean, &clean, 2, 0.05, 3, 2);
	printf("forecast: hourly runs, 3 weeks, sine and weekends 50 %%: weekly, error %.2f %% noise-free, "
	       "noise 0.05 mean %.2f %%\n",
	       100 * clean, 100 * mean);
	ck_assert_msg(clean < 0.02 && mean < 0.05, "%.4f %.4f", clean, mean);
	seasonal_errors(&worst, &mean, &clean, 3, 0.05, 3, 1);
	printf("forecast: hourly runs, 3 weeks, sine alone: daily, error %.2f %% noise-free, noise 0.05 mean %.2f %%\n",
	       100 * clean, 100 * mean);
	ck_assert_msg(clean < 0.02 && mean < 0.05, "%.4f %.4f", clean, mean);
}
END_TEST

/* Noise without a season, hourly over 4 days: no season is applied. */
START_TEST(forecast_finds_no_season_in_noise)
{
	double worst, mean, clean;
	seasonal_errors(&worst, &mean, &clean, 4, 0.05, 51, 0);
	printf("forecast: flat, noise 0.05, hourly over 4 days: no season in 50 seeds x 24 t_next, mean error %.2f %%\n",
	       100 * mean);
	ck_assert_msg(clean < 1e-9 && mean < 0.04, "%.4g %.4f", clean, mean);
}
END_TEST

/* One value 10x in 12 (anywhere): the forecast moves by less than 10 %. */
START_TEST(forecast_shrugs_off_an_outlier)
{
	double v[12], w[12], worst = 0;
	int i, at, s;
	for (s = 0; s < 20; s++) {
		gdfo__forecast a, b;
		rng_seed(100 + s);
		for (i = 0; i < 12; i++)
			v[i] = 1e6 * exp((s % 2 ? 0.03 : 0) * i + gauss(0.05));
		gdfo__forecast_next(&a, NULL, v, 12, 0);
		for (at = 0; at < 12; at++) {
			double move;
			memcpy(w, v, sizeof(v));
			w[at] *= (s % 4) < 2 ? 10 : 0.1;
			ck_assert_int_eq(gdfo__forecast_next(&b, NULL, w, 12, 0), 1);
			move = fabs(b.value / a.value - 1);
			worst = move > worst ? move : worst;
			ck_assert_msg(move < 0.10, "series %d, outlier at %d: %.4g vs %.4g", s, at, b.value, a.value);
		}
	}
	printf("forecast: one 10x (or 0.1x) value in 12: forecast moved at most %.2f %%\n", 100 * worst);
}
END_TEST

START_TEST(forecast_needs_three_points)
{
	double v[] = {5, 7, 0, -1, NAN, INFINITY, 9};
	double t[] = {0, 1, 2, 3, 4, 5, NAN};
	gdfo__forecast f;
	ck_assert_int_eq(gdfo__forecast_next(&f, NULL, v, 0, 0), 0);
	ck_assert(f.value == 0 && f.n == 0 && f.seasonal == 1);
	ck_assert_int_eq(gdfo__forecast_next(&f, NULL, v, 1, 0), 0);
	ck_assert(f.value == 5 && f.n == 1);
	ck_assert_int_eq(gdfo__forecast_next(&f, NULL, v, 2, 0), 0);
	ck_assert(f.value == 7 && f.n == 2 && f.trend == 0);
	/* 0, -1, NaN and inf are skipped */
	ck_assert_int_eq(gdfo__forecast_next(&f, NULL, v, 6, 0), 0);
	ck_assert(f.value == 7 && f.n == 2);
	ck_assert_int_eq(gdfo__forecast_next(&f, NULL, v, 7, 0), 1);
	ck_assert_int_eq(f.n, 3);
	ck_assert(isfinite(f.value) && f.value > 0);
	/* a trend that would overflow: the last value */
	{
		double big[] = {1e-300, 1, 1e300};
		ck_assert_int_eq(gdfo__forecast_next(&f, NULL, big, 3, 0), 1);
		ck_assert(f.value == 1e300 && f.trend == 0 && f.n == 3);
	}
	/* with times, the point at time NaN is skipped too */
	ck_assert_int_eq(gdfo__forecast_next(&f, t, v, 7, 10), 0);
	ck_assert(f.value == 7 && f.n == 2);
}
END_TEST

/* ---- bounds ---- */

static gdfo__bound history(double base, double sd, int n, uint64_t seed)
{
	gdfo__bound b = {0};
	int i;
	rng_seed(seed);
	for (i = 0; i < n; i++)
		gdfo__bound_add(&b, base * exp(gauss(sd)));
	return b;
}

START_TEST(bound_ten_x_rows_is_high)
{
	int s;
	for (s = 0; s < 50; s++) {
		gdfo__bound b = history(1e6, 0.05 + 0.003 * s, 20, 200 + s); /* sd 0.05..0.2 */
		double z;
		ck_assert_int_eq(gdfo__bound_check(&b, 1e7, 5, &z), 3);
		ck_assert_int_eq(gdfo__bound_check(&b, 1e5, 5, NULL), 3);
	}
}
END_TEST

/* A statistic that wobbles by up to 20 %: a value inside the wobble is 0. */
START_TEST(bound_wobble_is_not_an_anomaly)
{
	int s, i;
	for (s = 0; s < 50; s++) {
		gdfo__bound b = {0};
		rng_seed(300 + s);
		for (i = 0; i < 20; i++)
			gdfo__bound_add(&b, 1e6 * (0.8 + 0.4 * uniform()));
		for (i = 0; i < 50; i++)
			ck_assert_int_eq(gdfo__bound_check(&b, 1e6 * (0.8 + 0.4 * uniform()), 5, NULL), 0);
	}
}
END_TEST

/* Against a constant history: 10 % is 0, 20 % low, 1.5x medium, 2x and 10x high. */
START_TEST(bound_changes_of_a_constant)
{
	gdfo__bound b = {0};
	double z;
	int i;
	for (i = 0; i < 10; i++)
		gdfo__bound_add(&b, 5e6);
	ck_assert_int_eq(gdfo__bound_check(&b, 5e6, 5, &z), 0);
	ck_assert(z == 0);
	ck_assert_int_eq(gdfo__bound_check(&b, 5.5e6, 5, &z), 0);
	ck_assert_int_eq(gdfo__bound_check(&b, 4.5e6, 5, &z), 0);
	ck_assert_int_eq(gdfo__bound_check(&b, 6e6, 5, &z), 1);
	ck_assert_int_eq(gdfo__bound_check(&b, 7.5e6, 5, &z), 2);
	ck_assert_int_eq(gdfo__bound_check(&b, 1e7, 5, &z), 3);
	ck_assert_int_eq(gdfo__bound_check(&b, 2.5e6, 5, &z), 3);
	ck_assert_int_eq(gdfo__bound_check(&b, 5e7, 5, &z), 3);
	ck_assert_double_eq_tol(z, (log1p(5e7) - log1p(5e6)) / GDFO__BOUND_SD_FLOOR, 1e-9);
}
END_TEST

/* Selectivity from 0.1 to 0.5: at least medium, on a flat or a noisy history. */
START_TEST(bound_selectivity_jump)
{
	gdfo__bound flat = {0}, noisy = {0};
	int i;
	rng_seed(400);
	for (i = 0; i < 10; i++) {
		gdfo__bound_add(&flat, 0.1);
		gdfo__bound_add(&noisy, 0.1 + gauss(0.005));
	}
	ck_assert_int_ge(gdfo__bound_check(&flat, 0.5, 5, NULL), 2);
	ck_assert_int_ge(gdfo__bound_check(&noisy, 0.5, 5, NULL), 2);
	ck_assert_int_eq(gdfo__bound_check(&flat, 0.11, 5, NULL), 0);
}
END_TEST

START_TEST(bound_needs_min_n_values)
{
	gdfo__bound b = {0};
	double z = 7;
	int i;
	ck_assert_int_eq(gdfo__bound_check(&b, 1e9, 0, &z), 0);
	ck_assert(z == 0);
	for (i = 0; i < 4; i++)
		gdfo__bound_add(&b, 100);
	ck_assert_int_eq(gdfo__bound_check(&b, 1e6, 5, &z), 0);
	ck_assert(z == 0);
	/* ignored: negative and non-finite values */
	gdfo__bound_add(&b, -1);
	gdfo__bound_add(&b, NAN);
	gdfo__bound_add(&b, INFINITY);
	ck_assert_int_eq(b.n, 4);
	ck_assert(b.min == 100 && b.max == 100 && isfinite(b.mean) && isfinite(b.m2));
	ck_assert_int_eq(gdfo__bound_check(&b, 1e6, 4, &z), 3);
	ck_assert_int_eq(gdfo__bound_check(&b, NAN, 4, &z), 0);
	ck_assert_int_eq(gdfo__bound_check(&b, -5, 4, &z), 0);
	gdfo__bound_add(&b, 100);
	ck_assert_int_eq(gdfo__bound_check(&b, 1e6, 5, &z), 3);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("detect");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, ph_finds_a_clean_step_at_once);
	tcase_add_test(t, ph_finds_large_steps_within_two_values);
	tcase_add_test(t, ph_finds_small_step_within_three_values);
	tcase_add_test(t, ph_false_alarms_are_rare);
	tcase_add_test(t, ph_on_forecast_residuals_ignores_a_trend);
	tcase_add_test(t, ph_on_forecast_residuals_ignores_weekends);
	tcase_add_test(t, ph_ignores_non_finite_values);
	tcase_add_test(t, ph_restarts_from_the_alarm_value);
	tcase_add_test(t, forecast_of_a_constant_is_the_constant);
	tcase_add_test(t, forecast_follows_growth);
	tcase_add_test(t, forecast_daily_season);
	tcase_add_test(t, forecast_weekly_season);
	tcase_add_test(t, forecast_picks_the_period_that_fits);
	tcase_add_test(t, forecast_finds_no_season_in_noise);
	tcase_add_test(t, forecast_shrugs_off_an_outlier);
	tcase_add_test(t, forecast_needs_three_points);
	tcase_add_test(t, bound_ten_x_rows_is_high);
	tcase_add_test(t, bound_wobble_is_not_an_anomaly);
	tcase_add_test(t, bound_changes_of_a_constant);
	tcase_add_test(t, bound_selectivity_jump);
	tcase_add_test(t, bound_needs_min_n_values);
	suite_add_tcase(s, t);
	{
		SRunner *sr = srunner_create(s);
		int failed;
		srunner_run_all(sr, CK_NORMAL);
		failed = srunner_ntests_failed(sr);
		srunner_free(sr);
		return failed ? 1 : 0;
	}
}
