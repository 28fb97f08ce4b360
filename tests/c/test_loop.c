/*
 * The closed loop (include/gdfo/loop.h, lib/loop/state.c): state
 * directory, ids, feedback, replay, rollback, confirmation and
 * known-good, approval, auto-off, drift, gates, forecast, audit,
 * online learning.
 */
#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gdfo/gdfo.h"
#include "testutil.h"

static char dir[64];
static double clock_s;

static double test_clock(void *ctx)
{
	(void)ctx;
	return clock_s;
}

static void rm_dir(const char *d)
{
	static const char *const files[] = {"journal", "audit.jsonl", "policy.json", "lock", "model.gdfonn"};
	char p[256];
	size_t i;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", d, files[i]);
		unlink(p);
	}
	rmdir(d);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/gdfo-test-loop-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	clock_s = 1.8e9;
}

static void teardown(void)
{
	rm_dir(dir);
}

/* An optimizer on the state dir: rules only (model "") unless model is given. */
static gdfo_optimizer *open_opt(const char *model)
{
	gdfo_optimizer_options oo;
	gdfo_optimizer *opt = NULL;
	gdfo_optimizer_options_init(&oo, GDFO_OPTIMIZER_OPTIONS_VERSION);
	oo.model_path = model ? model : "";
	oo.clock = test_clock;
	ck_assert_msg(gdfo_optimizer_open(&opt, dir, &oo) == 0, "%s", gdfo_last_error());
	return opt;
}

static gdfo_graph *load(const char *path)
{
	gdfo_graph *g = NULL;
	ck_assert_msg(gdfo_graph_load(&g, path) == 0, "%s", gdfo_last_error());
	return g;
}

static void write_policy(const char *text)
{
	char p[128];
	FILE *f;
	snprintf(p, sizeof(p), "%s/policy.json", dir);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
}

static gdfo_telemetry *run_telemetry(double latency_ms, double cost, int success)
{
	gdfo_telemetry *t = NULL;
	gdfo_run_telemetry r;
	ck_assert_int_eq(gdfo_telemetry_create(&t), 0);
	gdfo_run_telemetry_init(&r, GDFO_RUN_TELEMETRY_VERSION);
	r.success = success;
	r.latency_ms = latency_ms;
	r.cost = cost;
	r.records = 1e6;
	r.throughput = 1e6 / (latency_ms / 1000);
	ck_assert_int_eq(gdfo_telemetry_set_run(t, &r), 0);
	return t;
}

static int feed(gdfo_feedback *fb, gdfo_optimizer *opt, const gdfo_plan *plan, double latency_ms, double cost,
		int success)
{
	gdfo_telemetry *t = run_telemetry(latency_ms, cost, success);
	int rc;
	fb->version = GDFO_FEEDBACK_VERSION;
	rc = gdfo_optimizer_feedback(fb, opt, gdfo_plan_id(plan), t);
	gdfo_telemetry_free(t);
	clock_s += 3600;
	return rc;
}

static gdfo_plan_loop info_of(const gdfo_plan *plan)
{
	gdfo_plan_loop li = {.version = GDFO_PLAN_LOOP_VERSION};
	ck_assert_int_eq(gdfo_plan_loop_info(&li, plan), 0);
	return li;
}

static gdfo_plan *plan_of(gdfo_optimizer *opt, const gdfo_graph *g)
{
	gdfo_plan *plan = NULL;
	ck_assert_msg(gdfo_optimizer_plan(&plan, opt, g, NULL, NULL) == 0, "%s", gdfo_last_error());
	return plan;
}

static int has_note(const gdfo_plan *plan, const char *text)
{
	size_t i;
	for (i = 0; i < gdfo_plan_note_count(plan); i++)
		if (strstr(gdfo_plan_note_at(plan, i), text))
			return 1;
	return 0;
}

static char *audit_text(void)
{
	char *t = NULL;
	ck_assert_msg(gdfo_audit_read(&t, dir, NULL, 0) == 0, "%s", gdfo_last_error());
	return t;
}

START_TEST(ids_feedback_and_replay)
{
	gdfo_optimizer *opt = open_opt(NULL), *again = NULL;
	gdfo_optimizer_options oo;
	gdfo_graph *g = load("examples/pipelines/retail_etl.json");
	gdfo_plan *p1 = plan_of(opt, g), *p2 = plan_of(opt, g);
	gdfo_feedback fb;
	gdfo_loop_stats st = {.version = GDFO_LOOP_STATS_VERSION};
	gdfo_telemetry *t;
	uint64_t fp;
	char want[64];

	/* ids: <fingerprint>-<sequence>, the plan knows its pipeline */
	ck_assert_int_eq(gdfo_graph_fingerprint(&fp, g), 0);
	snprintf(want, sizeof(want), "%016llx-1", (unsigned long long)fp);
	ck_assert_str_eq(gdfo_plan_id(p1), want);
	snprintf(want, sizeof(want), "%016llx-2", (unsigned long long)fp);
	ck_assert_str_eq(gdfo_plan_id(p2), want);
	ck_assert(info_of(p1).fingerprint == fp);
	{
		/* the id and the loop's side survive plan JSON */
		char *j = NULL;
		gdfo_plan *back = NULL;
		ck_assert_int_eq(gdfo_plan_to_json(&j, p1), 0);
		ck_assert_msg(gdfo_plan_from_json(&back, j, strlen(j)) == 0, "%s", gdfo_last_error());
		ck_assert_str_eq(gdfo_plan_id(back), gdfo_plan_id(p1));
		ck_assert_int_eq(info_of(back).step, info_of(p1).step);
		ck_assert_int_eq(info_of(back).events, info_of(p1).events);
		ck_assert(info_of(back).fingerprint == fp);
		gdfo_free(j);
		gdfo_plan_free(back);
	}
	/* the first plan of a new pipeline explores (the rules plan here) */
	ck_assert_int_eq(info_of(p1).step, GDFO_STEP_EXPLORE);
	/* one open handle per state directory */
	gdfo_optimizer_options_init(&oo, GDFO_OPTIMIZER_OPTIONS_VERSION);
	oo.model_path = "";
	ck_assert_int_eq(gdfo_optimizer_open(&again, dir, &oo), GDFO_EIO);
	ck_assert_ptr_null(again);
	ck_assert(strstr(gdfo_last_error(), "open in another handle"));

	ck_assert_msg(feed(&fb, opt, p1, 60000, 1.0, 1) == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(fb.runs, 1);
	/* a second feedback for the same plan, unknown ids, bad ids, no run latency */
	ck_assert_int_eq(feed(&fb, opt, p1, 60000, 1.0, 1), GDFO_EEXISTS);
	t = run_telemetry(1000, 1, 1);
	ck_assert_int_eq(gdfo_optimizer_feedback(NULL, opt, "0000000000000000-99", t), GDFO_ENOTFOUND);
	ck_assert_int_eq(gdfo_optimizer_feedback(NULL, opt, "not-an-id", t), GDFO_EINVAL);
	gdfo_telemetry_free(t);
	ck_assert_int_eq(gdfo_telemetry_create(&t), 0);
	ck_assert_int_eq(gdfo_optimizer_feedback(NULL, opt, gdfo_plan_id(p2), t), GDFO_EINVAL);
	gdfo_telemetry_free(t);

	ck_assert_int_eq(gdfo_loop_stats_get(&st, opt), 0);
	ck_assert_int_eq(st.plans, 2);
	ck_assert_int_eq(st.feedback, 1);
	ck_assert_int_eq(st.records, 3);
	ck_assert_int_eq(st.pipelines, 1);
	gdfo_optimizer_close(opt);

	/* reopened: the journal is replayed, the same plans wait for the same feedback */
	opt = open_opt(NULL);
	ck_assert_int_eq(gdfo_loop_stats_get(&st, opt), 0);
	ck_assert_int_eq(st.plans, 2);
	ck_assert_int_eq(st.feedback, 1);
	ck_assert_int_eq(st.torn, 0);
	ck_assert_int_eq(feed(&fb, opt, p1, 60000, 1.0, 1), GDFO_EEXISTS);
	ck_assert_msg(feed(&fb, opt, p2, 61000, 1.0, 1) == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(fb.runs, 2);
	gdfo_plan_free(p1);
	p1 = plan_of(opt, g);
	snprintf(want, sizeof(want), "%016llx-3", (unsigned long long)fp);
	ck_assert_str_eq(gdfo_plan_id(p1), want); /* sequence numbers continue after a reopen */
	gdfo_plan_free(p1);
	gdfo_plan_free(p2);
	gdfo_optimizer_close(opt);
	gdfo_graph_free(g);
}
END_TEST

START_TEST(a_torn_tail_is_cut_and_damage_refused)
{
	gdfo_optimizer *opt = open_opt(NULL);
	gdfo_graph *g = load("examples/pipelines/retail_etl.json");
	gdfo_plan *p1 = plan_of(opt, g);
	gdfo_feedback fb;
	gdfo_loop_stats st = {.version = GDFO_LOOP_STATS_VERSION};
	char path[128];
	struct stat sb;
	int fd;

	ck_assert_int_eq(feed(&fb, opt, p1, 60000, 1.0, 1), 0);
	gdfo_optimizer_close(opt);
	snprintf(path, sizeof(path), "%s/journal", dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	/* a record cut in its middle, as a crash during its write leaves it */
	ck_assert_int_eq(truncate(path, sb.st_size - 5), 0);
	opt = open_opt(NULL);
	ck_assert_int_eq(gdfo_loop_stats_get(&st, opt), 0);
	ck_assert_int_eq(st.torn, 1);
	ck_assert_int_eq(st.records, 1);
	ck_assert_int_eq(st.feedback, 0); /* the torn one was the feedback: never acknowledged */
	gdfo_optimizer_close(opt);
	/* garbage after the last record (a length written, its bytes not) */
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_APPEND), 0);
	ck_assert_int_eq(write(fd, "GDJ1\x40\0\0\0", 8), 8);
	close(fd);
	opt = open_opt(NULL);
	ck_assert_int_eq(gdfo_loop_stats_get(&st, opt), 0);
	ck_assert_int_eq(st.torn, 1);
	ck_assert_int_eq(st.records, 1);
	/* damage before a good record is not a crash: refused, the file kept */
	ck_assert_int_eq(feed(&fb, opt, p1, 60000, 1.0, 1), 0);
	gdfo_optimizer_close(opt);
	ck_assert_int_ge(fd = open(path, O_RDWR), 0);
	ck_assert_int_eq(pwrite(fd, "X", 1, 20), 1);
	close(fd);
	ck_assert_int_eq(stat(path, &sb), 0);
	{
		gdfo_optimizer_options oo;
		gdfo_optimizer *bad = NULL;
		struct stat sb2;
		gdfo_optimizer_options_init(&oo, GDFO_OPTIMIZER_OPTIONS_VERSION);
		oo.model_path = "";
		ck_assert_int_eq(gdfo_optimizer_open(&bad, dir, &oo), GDFO_ECHECKSUM);
		ck_assert(strstr(gdfo_last_error(), "damaged"));
		ck_assert_int_eq(stat(path, &sb2), 0);
		ck_assert_int_eq(sb2.st_size, sb.st_size);
	}
	gdfo_plan_free(p1);
	gdfo_graph_free(g);
}
END_TEST

/*
 * Runs the loop on g with a fake engine: latency_of(step) decides what a
 * plan measures. Returns the events seen.
 */
START_TEST(rollback_then_known_good_then_auto_off)
{
	gdfo_optimizer *opt;
	gdfo_graph *g = load("examples/pipelines/retail_etl.json");
	gdfo_plan *p;
	gdfo_feedback fb;
	gdfo_plan_loop li;
	char *audit;
	int k, promoted = 0, off = 0;

	write_policy("{\"format\": \"gdfo-policy/1\", \"approval\": {\"risk\": \"never\"},"
		     " \"exploration\": {\"auto_off_runs\": 3, \"budget\": 1}}");
	opt = open_opt(NULL);
	/* run 1: the first plan explores; measured before any known-good run, it
	 * is judged against the known-good plan's run that follows */
	p = plan_of(opt, g);
	ck_assert_int_eq(info_of(p).step, GDFO_STEP_EXPLORE);
	ck_assert_int_eq(feed(&fb, opt, p, 50000, 1.0, 1), 0);
	ck_assert_int_eq(fb.baseline_measured, 0);
	gdfo_plan_free(p);
	p = plan_of(opt, g);
	li = info_of(p);
	ck_assert_int_eq(li.step, GDFO_STEP_KNOWN_GOOD);
	ck_assert(has_note(p, "measuring the known-good plan"));
	ck_assert_int_eq(feed(&fb, opt, p, 100000, 2.0, 1), 0); /* the input: twice as slow */
	gdfo_plan_free(p);
	/* the candidate did better: it is confirmed, then known-good */
	p = plan_of(opt, g);
	ck_assert_int_eq(info_of(p).step, GDFO_STEP_CONFIRM);
	ck_assert_int_eq(feed(&fb, opt, p, 51000, 1.0, 1), 0);
	ck_assert_msg(fb.events & GDFO_EVENT_KNOWN_GOOD, "events %d", fb.events);
	ck_assert_int_eq(fb.known_good, 1);
	gdfo_plan_free(p);
	/* an exploration three times slower than the known-good plan: rollback */
	for (k = 0; k < 20 && !promoted; k++) {
		p = plan_of(opt, g);
		li = info_of(p);
		if (li.step == GDFO_STEP_EXPLORE) {
			ck_assert_int_eq(feed(&fb, opt, p, 150000, 3.0, 1), 0);
			ck_assert_msg(fb.events & GDFO_EVENT_ROLLBACK, "events %d", fb.events);
			ck_assert_int_eq(fb.baseline_measured, 1);
			gdfo_plan_free(p);
			p = plan_of(opt, g);
			ck_assert_int_eq(info_of(p).step, GDFO_STEP_ROLLBACK);
			promoted = 1;
		}
		ck_assert_int_eq(feed(&fb, opt, p, 50500, 1.0, 1), 0);
		gdfo_plan_free(p);
	}
	ck_assert(promoted);
	/* explorations that gain nothing (they fail; the known-good plan runs as
	 * predicted): exploration stops after auto_off_runs of them */
	for (k = 0; k < 40 && !off; k++) {
		gdfo_prediction pr = {.version = GDFO_PREDICTION_VERSION};
		p = plan_of(opt, g);
		ck_assert_int_eq(gdfo_plan_prediction(&pr, p), 0);
		if (info_of(p).step == GDFO_STEP_EXPLORE)
			ck_assert_int_eq(feed(&fb, opt, p, pr.latency_ms, pr.cost, 0), 0);
		else
			ck_assert_int_eq(feed(&fb, opt, p, pr.latency_ms, pr.cost, 1), 0);
		off = !!(fb.events & GDFO_EVENT_AUTO_OFF);
		gdfo_plan_free(p);
	}
	ck_assert(off);
	ck_assert_int_eq(fb.exploring, 0);
	p = plan_of(opt, g); /* the failed exploration is rolled back first */
	ck_assert_int_eq(info_of(p).step, GDFO_STEP_ROLLBACK);
	{
		gdfo_prediction pr = {.version = GDFO_PREDICTION_VERSION};
		ck_assert_int_eq(gdfo_plan_prediction(&pr, p), 0);
		ck_assert_int_eq(feed(&fb, opt, p, pr.latency_ms, pr.cost, 1), 0);
	}
	gdfo_plan_free(p);
	p = plan_of(opt, g);
	ck_assert_int_eq(info_of(p).step, GDFO_STEP_KNOWN_GOOD);
	ck_assert(has_note(p, "exploration is off"));
	gdfo_plan_free(p);
	audit = audit_text();
	ck_assert(strstr(audit, "\"event\": \"rollback\"") || strstr(audit, "\"event\":\t\"rollback\""));
	ck_assert(strstr(audit, "auto_off"));
	ck_assert(strstr(audit, "known_good"));
	gdfo_free(audit);
	gdfo_optimizer_close(opt);
	gdfo_graph_free(g);
}
END_TEST

START_TEST(approval_is_needed_before_known_good)
{
	gdfo_optimizer *opt;
	gdfo_graph *g = load("examples/pipelines/retail_etl.json");
	gdfo_plan *p, *cand;
	gdfo_feedback fb;
	char *audit;

	/* every plan needs approval (risk low and up) */
	write_policy("{\"format\": \"gdfo-policy/1\", \"approval\": {\"risk\": \"low\"}}");
	opt = open_opt(NULL);
	cand = plan_of(opt, g);
	ck_assert_int_eq(info_of(cand).needs_approval, 1);
	ck_assert(info_of(cand).events & GDFO_EVENT_APPROVAL);
	ck_assert(has_note(cand, "needs approval"));
	ck_assert_int_eq(feed(&fb, opt, cand, 50000, 1.0, 1), 0);
	p = plan_of(opt, g); /* measures the known-good plan (the input) */
	ck_assert_int_eq(info_of(p).needs_approval, 0);
	ck_assert_int_eq(feed(&fb, opt, p, 100000, 2.0, 1), 0);
	gdfo_plan_free(p);
	p = plan_of(opt, g); /* confirms the candidate */
	ck_assert_int_eq(info_of(p).step, GDFO_STEP_CONFIRM);
	ck_assert_int_eq(feed(&fb, opt, p, 50000, 1.0, 1), 0);
	/* better on enough runs, but not approved: not known-good */
	ck_assert(fb.events & GDFO_EVENT_APPROVAL);
	ck_assert(!(fb.events & GDFO_EVENT_KNOWN_GOOD));
	ck_assert_int_eq(fb.known_good, 0);
	gdfo_plan_free(p);
	p = plan_of(opt, g);
	ck_assert_int_eq(info_of(p).step, GDFO_STEP_KNOWN_GOOD);
	ck_assert(has_note(p, "awaits approval"));
	ck_assert_int_eq(feed(&fb, opt, p, 100000, 2.0, 1), 0);
	gdfo_plan_free(p);
	/* bad approvals */
	ck_assert_int_eq(gdfo_optimizer_approve(opt, gdfo_plan_id(cand), "", NULL), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_optimizer_approve(opt, "0000000000000000-77", "ann", NULL), GDFO_ENOTFOUND);
	/* approved: it becomes known-good at once */
	ck_assert_msg(gdfo_optimizer_approve(opt, gdfo_plan_id(cand), "ann", "reviewed the resources") == 0, "%s",
		      gdfo_last_error());
	ck_assert_int_eq(gdfo_optimizer_approve(opt, gdfo_plan_id(cand), "ann", NULL), GDFO_EEXISTS);
	p = plan_of(opt, g);
	ck_assert(!has_note(p, "awaits approval"));
	ck_assert_int_eq(feed(&fb, opt, p, 50000, 1.0, 1), 0);
	gdfo_plan_free(p);
	audit = audit_text();
	ck_assert(strstr(audit, "reviewed the resources"));
	ck_assert(strstr(audit, "awaiting_approval"));
	gdfo_free(audit);
	/* the approval survives a reopen (it is in the journal) */
	gdfo_optimizer_close(opt);
	opt = open_opt(NULL);
	ck_assert_int_eq(gdfo_optimizer_approve(opt, gdfo_plan_id(cand), "ann", NULL), GDFO_EEXISTS);
	gdfo_plan_free(cand);
	gdfo_optimizer_close(opt);
	gdfo_graph_free(g);
}
END_TEST

/* The graph with every stage's rows and bytes times f. */
static gdfo_graph *scaled(const gdfo_graph *g, double f)
{
	gdfo_graph *c = NULL;
	size_t i;
	ck_assert_int_eq(gdfo_graph_clone(&c, g), 0);
	for (i = 0; i < gdfo_graph_stage_count(c); i++) {
		gdfo_stage st = {.version = GDFO_STAGE_VERSION};
		gdfo_stage_stats ss;
		ck_assert_int_eq(gdfo_graph_stage_at(&st, c, i), 0);
		ss = *st.stats;
		ss.rows_in *= f;
		ss.bytes_in *= f;
		st.stats = &ss;
		ck_assert_int_eq(gdfo_graph_update_stage(c, &st), 0);
	}
	return c;
}

START_TEST(drift_is_seen_and_gates_hold)
{
	gdfo_optimizer *opt;
	gdfo_graph *g = load("examples/pipelines/retail_etl.json"), *big = scaled(g, 10);
	gdfo_plan *p = NULL;
	gdfo_feedback fb;
	gdfo_plan_loop li;
	char *audit;
	int k, rc;

	write_policy("{\"format\": \"gdfo-policy/1\", \"approval\": {\"risk\": \"never\"},"
		     " \"gates\": {\"hold\": \"high\", \"min_runs\": 4}}");
	opt = open_opt(NULL);
	for (k = 0; k < 6; k++) {
		p = plan_of(opt, g);
		ck_assert(!(info_of(p).events & GDFO_EVENT_DRIFT));
		ck_assert_int_eq(feed(&fb, opt, p, 50000 + 100 * k, 1.0, 1), 0);
		gdfo_plan_free(p);
	}
	/* tenfold data: a high-severity gate finding, and the policy holds the run */
	rc = gdfo_optimizer_plan(&p, opt, big, NULL, NULL);
	ck_assert_int_eq(rc, GDFO_EANOMALY);
	ck_assert_ptr_null(p);
	ck_assert(strstr(gdfo_last_error(), "held"));
	ck_assert(strstr(gdfo_last_error(), "rows_in") || strstr(gdfo_last_error(), "bytes_in"));
	gdfo_optimizer_close(opt);
	/* without the hold: drift is seen in the input before its run */
	write_policy("{\"format\": \"gdfo-policy/1\", \"approval\": {\"risk\": \"never\"}}");
	opt = open_opt(NULL);
	p = plan_of(opt, big);
	li = info_of(p);
	ck_assert(li.events & GDFO_EVENT_DRIFT);
	ck_assert(li.events & GDFO_EVENT_GATE);
	ck_assert(has_note(p, "drift"));
	ck_assert_int_eq(feed(&fb, opt, p, 500000, 10.0, 1), 0);
	ck_assert(fb.events & GDFO_EVENT_DRIFT);
	ck_assert_int_eq(fb.baseline_measured, 0); /* the known-good runs were of the old input */
	gdfo_plan_free(p);
	audit = audit_text();
	ck_assert(strstr(audit, "\"held\":\ttrue") || strstr(audit, "\"held\": true"));
	ck_assert(strstr(audit, "drift"));
	gdfo_free(audit);
	gdfo_optimizer_close(opt);
	gdfo_graph_free(big);
	gdfo_graph_free(g);
}
END_TEST

START_TEST(the_plan_is_sized_for_the_forecast)
{
	gdfo_optimizer *opt = open_opt(NULL);
	gdfo_graph *g = load("examples/pipelines/retail_etl.json"), *gk;
	gdfo_plan *p;
	gdfo_feedback fb;
	gdfo_plan_loop li;
	int k;

	/* data growing 20 % a run */
	for (k = 0; k < 6; k++) {
		gk = scaled(g, pow(1.2, k));
		p = plan_of(opt, gk);
		ck_assert_int_eq(feed(&fb, opt, p, 50000, 1.0, 1), 0);
		gdfo_plan_free(p);
		gdfo_graph_free(gk);
	}
	/* the host gives the last run's statistics again: the plan is sized for the next run */
	gk = scaled(g, pow(1.2, 5));
	p = plan_of(opt, gk);
	li = info_of(p);
	ck_assert_msg(li.events & GDFO_EVENT_FORECAST, "events %d", li.events);
	ck_assert_msg(fabs(li.forecast_scale - 1.2) < 0.03, "scale %g", li.forecast_scale);
	ck_assert(has_note(p, "predictive scaling"));
	gdfo_plan_free(p);
	gdfo_graph_free(gk);
	gdfo_optimizer_close(opt);
	gdfo_graph_free(g);
}
END_TEST

START_TEST(policy_files_and_audit_filters)
{
	gdfo_optimizer *opt = open_opt(NULL);
	gdfo_graph *g = load("examples/pipelines/retail_etl.json");
	gdfo_plan *p;
	char path[128], *a = NULL, fp[17];
	FILE *f;

	snprintf(path, sizeof(path), "%s/p.json", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("{\"format\": \"gdfo-policy/1\", \"rollback\": {\"margin\": 2}}", f);
	fclose(f);
	ck_assert_int_eq(gdfo_optimizer_set_policy(opt, path), GDFO_EFORMAT);
	ck_assert(strstr(gdfo_last_error(), "rollback.margin"));
	ck_assert_int_eq(gdfo_policy_check("{\"format\": \"gdfo-policy/1\", \"limit\": {}}", 38), GDFO_EFORMAT);
	ck_assert_int_eq(gdfo_optimizer_set_policy(opt, "examples/policy.json"), 0);
	unlink(path);
	p = plan_of(opt, g);
	snprintf(fp, sizeof(fp), "%.16s", gdfo_plan_id(p));
	ck_assert_int_eq(gdfo_audit_read(&a, dir, fp, 0), 0);
	ck_assert(strstr(a, "\"plan\""));
	ck_assert(!strstr(a, "\"policy\"")); /* the policy event names no pipeline */
	gdfo_free(a);
	ck_assert_int_eq(gdfo_audit_read(&a, dir, "0123456789abcdef", 0), 0);
	ck_assert_msg(!strncmp(a, "[]", 2), "%s", a);
	gdfo_free(a);
	ck_assert_int_eq(gdfo_audit_read(&a, dir, NULL, clock_s + 1), 0);
	ck_assert_msg(!strncmp(a, "[]", 2), "%s", a);
	gdfo_free(a);
	ck_assert_int_eq(gdfo_audit_read(&a, dir, "xyz", 0), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_audit_read(&a, "/nonexistent/state", NULL, 0), GDFO_EIO);
	gdfo_plan_free(p);
	gdfo_optimizer_close(opt);
	gdfo_graph_free(g);
}
END_TEST

START_TEST(a_stateless_optimizer_has_no_loop)
{
	gdfo_optimizer_options oo;
	gdfo_optimizer *opt = NULL;
	gdfo_graph *g = load("examples/pipelines/retail_etl.json");
	gdfo_plan *p = NULL;
	gdfo_telemetry *t = run_telemetry(1000, 1, 1);
	gdfo_optimizer_options_init(&oo, GDFO_OPTIMIZER_OPTIONS_VERSION);
	oo.model_path = "";
	ck_assert_int_eq(gdfo_optimizer_open(&opt, NULL, &oo), 0);
	ck_assert_int_eq(gdfo_optimizer_plan(&p, opt, g, NULL, NULL), 0);
	ck_assert_ptr_null(gdfo_plan_id(p));
	ck_assert_int_eq(info_of(p).step, GDFO_STEP_NONE);
	ck_assert_int_eq(gdfo_optimizer_feedback(NULL, opt, "0000000000000000-1", t), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_optimizer_approve(opt, "0000000000000000-1", "ann", NULL), GDFO_EINVAL);
	gdfo_plan_free(p);
	gdfo_telemetry_free(t);
	gdfo_optimizer_close(opt);
	gdfo_graph_free(g);
}
END_TEST

START_TEST(the_model_learns_online_and_is_kept)
{
	gdfo_optimizer *opt;
	gdfo_graph *g = load("examples/pipelines/retail_etl.json");
	gdfo_plan *p;
	gdfo_feedback fb;
	gdfo_nn_encoder *before = NULL, *after = NULL;
	char path[128], *audit;
	struct stat sb;
	int k;

	if (access("models/default.gdfonn", R_OK))
		return; /* no shipped model in this tree */
	write_policy("{\"format\": \"gdfo-policy/1\", \"approval\": {\"risk\": \"never\"}}");
	opt = open_opt("models/default.gdfonn");
	for (k = 0; k < 3; k++) {
		p = plan_of(opt, g);
		ck_assert_int_eq(feed(&fb, opt, p, 50000 - 1000 * k, 1.0, 1), 0);
		gdfo_plan_free(p);
	}
	gdfo_optimizer_close(opt);
	/* closed with updates: the state holds the model, changed by them */
	snprintf(path, sizeof(path), "%s/model.gdfonn", dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(gdfo_nn_load(&before, "models/default.gdfonn"), 0);
	ck_assert_int_eq(gdfo_nn_load(&after, path), 0);
	{
		gdfo_nn_tensor a = {.version = GDFO_NN_TENSOR_VERSION}, b = {.version = GDFO_NN_TENSOR_VERSION};
		size_t i, j, n = gdfo_nn_tensor_count(before);
		double diff = 0;
		for (i = 0; i < n; i++) {
			ck_assert_int_eq(gdfo_nn_tensor_at(&a, before, i), 0);
			ck_assert_int_eq(gdfo_nn_tensor_at(&b, after, i), 0);
			for (j = 0; j < a.rows * a.cols; j++)
				diff += fabs((double)a.data[j] - (double)b.data[j]);
		}
		ck_assert_msg(diff > 0, "the online steps changed nothing");
	}
	audit = audit_text();
	ck_assert(strstr(audit, "model_update"));
	gdfo_free(audit);
	/* reopened, the optimizer plans with the state's model */
	opt = open_opt("models/default.gdfonn");
	ck_assert_str_eq(gdfo_optimizer_model(opt), path);
	gdfo_optimizer_close(opt);
	gdfo_nn_free(before);
	gdfo_nn_free(after);
	gdfo_graph_free(g);
}
END_TEST


/* Review findings: inputs of one pipeline with different decisions, a vanishing latency, the policy journaled and obeyed. */
START_TEST(review_findings_stay_fixed)
{
	gdfo_optimizer *opt;
	gdfo_graph *g = load("examples/pipelines/retail_etl.json"), *g0 = NULL;
	gdfo_plan *p;
	gdfo_feedback fb;
	gdfo_loop_stats st = {.version = GDFO_LOOP_STATS_VERSION};
	gdfo_telemetry *t;
	gdfo_run_telemetry run;
	gdfo_stage s0 = {.version = GDFO_STAGE_VERSION};
	gdfo_stage_stats ss;
	char *audit;
	size_t i, k;
	int64_t recs;

	write_policy("{\"format\": \"gdfo-policy/1\", \"approval\": {\"risk\": \"never\"},"
		     " \"allowed_changes\": [\"partitions\", \"cache\", \"priority\"]}");
	opt = open_opt(NULL);
	/* one source without bytes: the same fingerprint, one decision fewer */
	ck_assert_int_eq(gdfo_graph_clone(&g0, g), 0);
	ck_assert_int_eq(gdfo_graph_stage_at(&s0, g0, 0), 0);
	ss = *s0.stats;
	ss.bytes_in = 0;
	s0.stats = &ss;
	ck_assert_int_eq(gdfo_graph_update_stage(g0, &s0), 0);
	for (k = 0; k < 8; k++) {
		p = plan_of(opt, k % 3 == 1 ? g0 : g);
		for (i = 0; i < gdfo_plan_change_count(p); i++) {
			gdfo_change c = {.version = GDFO_CHANGE_VERSION};
			ck_assert_int_eq(gdfo_plan_change_at(&c, p, i), 0);
			ck_assert_msg(c.kind == GDFO_CHANGE_PARTITIONS || c.kind == GDFO_CHANGE_CACHE ||
					      c.kind == GDFO_CHANGE_PRIORITY,
				      "a change of kind %s in plan %s, which the policy does not allow",
				      gdfo_change_kind_name(c.kind), gdfo_plan_id(p));
		}
		ck_assert_int_eq(feed(&fb, opt, p, 40000 + 1000 * (double)(k % 3), 1.0, 1), 0);
		gdfo_plan_free(p);
	}
	/* records over a vanishing latency: accepted, and the state still opens */
	p = plan_of(opt, g);
	ck_assert_int_eq(gdfo_telemetry_create(&t), 0);
	gdfo_run_telemetry_init(&run, GDFO_RUN_TELEMETRY_VERSION);
	run.success = 1;
	run.latency_ms = 1e-300;
	run.records = 1e12;
	ck_assert_int_eq(gdfo_telemetry_set_run(t, &run), 0);
	ck_assert_msg(gdfo_optimizer_feedback(NULL, opt, gdfo_plan_id(p), t) == 0, "%s", gdfo_last_error());
	gdfo_telemetry_free(t);
	gdfo_plan_free(p);
	ck_assert_int_eq(gdfo_loop_stats_get(&st, opt), 0);
	recs = st.records;
	gdfo_optimizer_close(opt);
	/* a policy edited by hand is journaled at the next open (decisions after it use it) */
	write_policy("{\"format\": \"gdfo-policy/1\", \"rollback\": {\"confirm_runs\": 3}}");
	opt = open_opt(NULL);
	ck_assert_int_eq(gdfo_loop_stats_get(&st, opt), 0);
	ck_assert_int_eq(st.records, recs + 1);
	gdfo_optimizer_close(opt);
	opt = open_opt(NULL); /* the same file again: nothing new to journal */
	ck_assert_int_eq(gdfo_loop_stats_get(&st, opt), 0);
	ck_assert_int_eq(st.records, recs + 1);
	gdfo_optimizer_close(opt);
	audit = audit_text();
	ck_assert(strstr(audit, "policy.json at open"));
	gdfo_free(audit);
	gdfo_graph_free(g0);
	gdfo_graph_free(g);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("loop");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, ids_feedback_and_replay);
	tcase_add_test(tc, a_torn_tail_is_cut_and_damage_refused);
	tcase_add_test(tc, rollback_then_known_good_then_auto_off);
	tcase_add_test(tc, approval_is_needed_before_known_good);
	tcase_add_test(tc, drift_is_seen_and_gates_hold);
	tcase_add_test(tc, the_plan_is_sized_for_the_forecast);
	tcase_add_test(tc, policy_files_and_audit_filters);
	tcase_add_test(tc, a_stateless_optimizer_has_no_loop);
	tcase_add_test(tc, the_model_learns_online_and_is_kept);
	tcase_add_test(tc, review_findings_stay_fixed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
