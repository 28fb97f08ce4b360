/*
 * The struct-growth test (libgit2's structinit idea, taken further): a
 * "0.2 client" compiled against the frozen 0.2 headers in
 * tests/abi/include-0.2 runs against a library built with
 * -DGDFO_TEST_STRUCT_GROWTH, whose every versioned struct has one more
 * trailing field and one more version. Each struct the client hands over
 * or receives ends exactly at a page boundary followed by an inaccessible
 * page, so a library that reads or writes one byte past the client's
 * version crashes the test instead of passing it.
 *
 * The same client also runs against the normal library (same version),
 * so it doubles as a check of every getter and setter's version handling.
 * Exit status 0 on success; the first failure prints what and where.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gdfo/gdfo.h>

static int failures;

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "abi client: %s:%d: %s failed (%s)\n", __FILE__, __LINE__, #cond, \
				gdfo_last_error());                                              \
			failures++;                                                              \
		}                                                                                \
	} while (0)

/*
 * n bytes ending exactly where an inaccessible page starts. The memory
 * is filled with 0xa5 so that a field the library should have set but
 * did not shows as garbage.
 */
static void *guarded(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), span = (n + page - 1) / page * page;
	char *base = mmap(NULL, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (base == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	if (mprotect(base + span, page, PROT_NONE)) {
		perror("mprotect");
		exit(2);
	}
	memset(base, 0xa5, span);
	return base + span - n;
}

#define NEW(type) ((type *)guarded(sizeof(type)))

static gdfo_graph *build_graph(void)
{
	gdfo_graph *g;
	gdfo_stage *s = NEW(gdfo_stage);
	gdfo_stage_stats *st = NEW(gdfo_stage_stats);
	gdfo_stage_knobs *kn = NEW(gdfo_stage_knobs);
	gdfo_graph_knobs *gk = NEW(gdfo_graph_knobs);
	gdfo_cluster *cl = NEW(gdfo_cluster);
	static const char *const cols[] = {"a", "b"};
	int i;

	CHECK(gdfo_graph_create(&g, "abi") == 0);
	for (i = 0; i < 3; i++) {
		CHECK(gdfo_stage_init(s, GDFO_STAGE_VERSION) == 0);
		CHECK(gdfo_stage_stats_init(st, GDFO_STAGE_STATS_VERSION) == 0);
		CHECK(gdfo_stage_knobs_init(kn, GDFO_STAGE_KNOBS_VERSION) == 0);
		CHECK(st->selectivity == 1 && st->skew == 1 && kn->partitions == 0);
		s->id = i;
		s->name = i == 0 ? "src" : i == 1 ? "keep" : "out";
		s->op = i == 0 ? GDFO_OP_SOURCE : i == 1 ? GDFO_OP_FILTER : GDFO_OP_SINK;
		s->columns_read = cols;
		s->n_columns_read = 2;
		st->rows_in = 1e6;
		st->bytes_in = 1e8;
		st->selectivity = i == 1 ? 0.5 : 1;
		kn->partitions = 8 * (i + 1);
		s->stats = st;
		s->knobs = kn;
		CHECK(gdfo_graph_add_stage(g, s) == 0);
		if (i)
			CHECK(gdfo_graph_add_edge(g, i - 1, i) == 0);
	}
	CHECK(gdfo_graph_knobs_init(gk, GDFO_GRAPH_KNOBS_VERSION) == 0);
	gk->executors = 4;
	gk->cores_per_executor = 4;
	CHECK(gdfo_graph_set_knobs(g, gk) == 0);
	CHECK(gdfo_cluster_init(cl, GDFO_CLUSTER_VERSION) == 0);
	cl->executors_available = 16;
	cl->price_per_executor_s = 0.0001;
	CHECK(gdfo_graph_set_cluster(g, cl) == 0);
	return g;
}

static void graph_getters(const gdfo_graph *g)
{
	gdfo_stage *s = NEW(gdfo_stage);
	gdfo_graph_knobs *gk = NEW(gdfo_graph_knobs);
	gdfo_cluster *cl = NEW(gdfo_cluster);
	gdfo_field_info *f = NEW(gdfo_field_info);
	size_t set, i;

	s->version = GDFO_STAGE_VERSION;
	CHECK(gdfo_graph_stage_at(s, g, 1) == 0);
	CHECK(s->version == GDFO_STAGE_VERSION && s->id == 1 && s->op == GDFO_OP_FILTER);
	CHECK(s->stats->selectivity == 0.5 && s->knobs->partitions == 16 && s->n_columns_read == 2);
	gk->version = GDFO_GRAPH_KNOBS_VERSION;
	CHECK(gdfo_graph_get_knobs(gk, g) == 0);
	CHECK(gk->executors == 4 && gk->cores_per_executor == 4 && gk->memory_per_executor_bytes == 0);
	cl->version = GDFO_CLUSTER_VERSION;
	CHECK(gdfo_graph_get_cluster(cl, g) == 0);
	CHECK(cl->executors_available == 16 && cl->price_per_executor_s == 0.0001);
	for (set = 0; set < GDFO_FIELD_SET_COUNT; set++)
		for (i = 0; i < gdfo_field_count((int)set); i++) {
			f->version = GDFO_FIELD_INFO_VERSION;
			CHECK(gdfo_field_at(f, (int)set, i) == 0);
			CHECK(f->name && f->name[0] && f->doc);
		}
	/* a version from the future is refused, not guessed at */
	s->version = GDFO_STAGE_VERSION + 7;
	CHECK(gdfo_graph_stage_at(s, g, 1) == GDFO_EVERSION);
}

/* Calibrating to a run's telemetry: the stage records, the run and the summary struct. */
static void calibration(gdfo_sim *sim, const gdfo_graph *g)
{
	gdfo_stage_telemetry *st = NEW(gdfo_stage_telemetry);
	gdfo_run_telemetry *rt = NEW(gdfo_run_telemetry);
	gdfo_sim_calibration *cal = NEW(gdfo_sim_calibration);
	gdfo_telemetry *t;
	int i;

	CHECK(gdfo_telemetry_create(&t) == 0);
	for (i = 0; i < 3; i++) {
		CHECK(gdfo_stage_telemetry_init(st, GDFO_STAGE_TELEMETRY_VERSION) == 0);
		st->stage_id = i;
		st->duration_ms = 2000;
		st->task_ms_median = 400;
		st->task_ms_max = 900;
		CHECK(gdfo_telemetry_set_stage(t, st) == 0);
	}
	CHECK(gdfo_run_telemetry_init(rt, GDFO_RUN_TELEMETRY_VERSION) == 0);
	rt->latency_ms = 9000;
	CHECK(gdfo_telemetry_set_run(t, rt) == 0);
	cal->version = GDFO_SIM_CALIBRATION_VERSION;
	CHECK(gdfo_sim_calibrate(cal, sim, g, t, NULL) == 0);
	CHECK(cal->active == 1 && cal->stages == 3 && cal->stages_calibrated == 3 && cal->overhead_fitted == 1);
	cal->active = 0;
	CHECK(gdfo_sim_get_calibration(cal, sim) == 0 && cal->active == 1);
	CHECK(gdfo_field_set_version(GDFO_FIELDS_STAGE_KNOBS) >= GDFO_STAGE_KNOBS_VERSION);
	gdfo_telemetry_free(t);
}

static void plan_and_sim(const gdfo_graph *g)
{
	gdfo_rules_options *ro = NEW(gdfo_rules_options);
	gdfo_sim_cluster *sc = NEW(gdfo_sim_cluster);
	gdfo_sim_options *so = NEW(gdfo_sim_options);
	gdfo_sim_result *r = NEW(gdfo_sim_result);
	gdfo_sim_stage_result *sr = NEW(gdfo_sim_stage_result);
	gdfo_change *c = NEW(gdfo_change);
	gdfo_prediction *p = NEW(gdfo_prediction);
	gdfo_gen_options *go = NEW(gdfo_gen_options);
	gdfo_objective *ob = NEW(gdfo_objective);
	gdfo_plan *plan;
	gdfo_sim *sim;
	gdfo_graph *gen;
	size_t i;

	CHECK(gdfo_rules_options_init(ro, GDFO_RULES_OPTIONS_VERSION) == 0);
	CHECK(ro->push_filters == 1 && ro->partition_change_min == 0.25);
	CHECK(gdfo_optimize_rules(&plan, g, NULL, ro) == 0);
	for (i = 0; plan && i < gdfo_plan_change_count(plan); i++) {
		c->version = GDFO_CHANGE_VERSION;
		CHECK(gdfo_plan_change_at(c, plan, i) == 0);
		CHECK(c->what && c->why && c->kind >= 0 && c->kind < GDFO_CHANGE_KIND_COUNT);
	}
	CHECK(gdfo_sim_cluster_init(sc, GDFO_SIM_CLUSTER_VERSION) == 0);
	CHECK(sc->executors == 8 && gdfo_sim_cluster_validate(sc) == 0);
	CHECK(gdfo_sim_create(&sim, sc) == 0);
	sc->executors = 0;
	CHECK(gdfo_sim_get_cluster(sc, sim) == 0 && sc->executors == 8);
	CHECK(gdfo_sim_options_init(so, GDFO_SIM_OPTIONS_VERSION) == 0);
	so->runs = 2;
	r->version = GDFO_SIM_RESULT_VERSION;
	CHECK(gdfo_sim_run_graph(r, sim, g, so) == 0);
	CHECK(r->version == GDFO_SIM_RESULT_VERSION && r->success == 1 && r->runs == 2 && r->makespan_ms > 0);
	sr->version = GDFO_SIM_STAGE_RESULT_VERSION;
	CHECK(gdfo_sim_stage_at(sr, sim, 2) == 0 && sr->id == 2 && sr->duration_ms > 0);
	CHECK(gdfo_sim_predict_plan(sim, plan, g, so) == 0);
	p->version = GDFO_PREDICTION_VERSION;
	CHECK(gdfo_plan_prediction(p, plan) == 0 && p->latency_ms > 0 && p->baseline_latency_ms > 0);
	CHECK(gdfo_gen_options_init(go, GDFO_GEN_OPTIONS_VERSION) == 0);
	go->family = GDFO_GEN_TPCH;
	CHECK(gdfo_generate(&gen, go) == 0 && gdfo_graph_stage_count(gen) > 3);
	CHECK(gdfo_objective_init(ob, GDFO_OBJECTIVE_VERSION) == 0);
	CHECK(ob->latency_weight == 1 && gdfo_objective_validate(ob) == 0);
	ob->cost_weight = -1;
	CHECK(gdfo_objective_validate(ob) == GDFO_EINVAL);
	gdfo_graph_free(gen);
	calibration(sim, g);
	gdfo_sim_free(sim);
	gdfo_plan_free(plan);
}

static void telemetry_and_profile(void)
{
	gdfo_stage_telemetry *st = NEW(gdfo_stage_telemetry);
	gdfo_run_telemetry *rt = NEW(gdfo_run_telemetry);
	gdfo_profile_stage *ps = NEW(gdfo_profile_stage);
	gdfo_telemetry *t;
	gdfo_profile *p;
	static const double ms[] = {10, 12, 14};

	CHECK(gdfo_telemetry_create(&t) == 0);
	CHECK(gdfo_stage_telemetry_init(st, GDFO_STAGE_TELEMETRY_VERSION) == 0);
	st->stage_id = 3;
	st->duration_ms = 1500;
	CHECK(gdfo_telemetry_set_stage(t, st) == 0);
	CHECK(gdfo_run_telemetry_init(rt, GDFO_RUN_TELEMETRY_VERSION) == 0);
	rt->latency_ms = 2000;
	CHECK(gdfo_telemetry_set_run(t, rt) == 0);
	st->duration_ms = 0;
	CHECK(gdfo_telemetry_find(st, t, 3) == 0 && st->duration_ms == 1500 && st->tasks == GDFO_UNKNOWN);
	CHECK(gdfo_telemetry_stage_at(st, t, 0) == 0 && st->stage_id == 3);
	CHECK(gdfo_telemetry_get_run(rt, t) == 0 && rt->latency_ms == 2000 && rt->success == 1);
	gdfo_telemetry_free(t);

	CHECK(gdfo_profile_create(&p, "abi", 2, 2) == 0);
	CHECK(gdfo_profile_stage_init(ps, GDFO_PROFILE_STAGE_VERSION) == 0);
	ps->id = 0;
	ps->task_ms = ms;
	ps->n_task_ms = 3;
	CHECK(gdfo_profile_add_stage(p, ps) == 0);
	ps->n_task_ms = 0;
	CHECK(gdfo_profile_stage_at(ps, p, 0) == 0 && ps->n_task_ms == 3 && ps->task_ms[2] == 14);
	gdfo_profile_free(p);
}

static void eventlog(void)
{
	static const char log[] =
		"{\"Event\":\"SparkListenerApplicationStart\",\"App Name\":\"abi\",\"Timestamp\":1000}\n"
		"{\"Event\":\"SparkListenerExecutorAdded\",\"Timestamp\":1100,\"Executor ID\":\"1\","
		"\"Executor Info\":{\"Total Cores\":4}}\n"
		"{\"Event\":\"SparkListenerApplicationEnd\",\"Timestamp\":9000}\n";
	gdfo_ingest_options *io = NEW(gdfo_ingest_options);
	gdfo_eventlog_summary *sum = NEW(gdfo_eventlog_summary);
	gdfo_executor_event *ev = NEW(gdfo_executor_event);
	gdfo_eventlog *l;

	CHECK(gdfo_ingest_options_init(io, GDFO_INGEST_OPTIONS_VERSION) == 0);
	CHECK(gdfo_eventlog_read_memory(&l, log, sizeof(log) - 1, io) == 0);
	sum->version = GDFO_EVENTLOG_SUMMARY_VERSION;
	CHECK(gdfo_eventlog_get_summary(sum, l) == 0);
	CHECK(sum->app_duration_ms == 8000 && sum->executors_added == 1 && !strcmp(sum->app_name, "abi"));
	ev->version = GDFO_EXECUTOR_EVENT_VERSION;
	CHECK(gdfo_eventlog_executor_event_at(ev, l, 0) == 0 && ev->cores == 4 && ev->added == 1);
	gdfo_eventlog_free(l);
}

static void encoder(const gdfo_graph *g)
{
	gdfo_nn_options *o = NEW(gdfo_nn_options);
	gdfo_nn_tensor *t = NEW(gdfo_nn_tensor);
	gdfo_nn_outputs *out = NEW(gdfo_nn_outputs);
	gdfo_nn_output_grads *gr = NEW(gdfo_nn_output_grads);
	gdfo_nn_adamw *aw = NEW(gdfo_nn_adamw);
	gdfo_objective *ob = NEW(gdfo_objective);
	gdfo_nn_encoder *enc;
	gdfo_nn_batch *b;
	gdfo_nn_workspace *ws;
	float feat[3 * GDFO_NN_FEATURES], emb[3 * 16], d_emb[3 * 16];
	size_t i;

	CHECK(gdfo_nn_options_init(o, GDFO_NN_OPTIONS_VERSION) == 0);
	o->d_model = 16;
	o->n_layers = 1;
	CHECK(gdfo_nn_create(&enc, o) == 0);
	o->d_model = 0;
	CHECK(gdfo_nn_get_options(o, enc) == 0 && o->d_model == 16);
	t->version = GDFO_NN_TENSOR_VERSION;
	CHECK(gdfo_nn_tensor_at(t, enc, 0) == 0 && t->rows * t->cols > 0);
	CHECK(gdfo_objective_init(ob, GDFO_OBJECTIVE_VERSION) == 0);
	CHECK(gdfo_nn_features(feat, 3, g, NULL, ob) == 0);
	CHECK(gdfo_nn_batch_from_graphs(&b, enc, &g, 1) == 0);
	CHECK(gdfo_nn_workspace_create(&ws, enc, b, GDFO_NN_TRAINING) == 0);
	memset(out, 0, sizeof(*out));
	out->version = GDFO_NN_OUTPUTS_VERSION;
	out->stage_embeddings = emb;
	CHECK(gdfo_nn_forward(ws, b, feat, out) == 0);
	for (i = 0; i < 3 * 16; i++)
		d_emb[i] = 1e-3f;
	memset(gr, 0, sizeof(*gr));
	gr->version = GDFO_NN_OUTPUT_GRADS_VERSION;
	gr->stage_embeddings = d_emb;
	CHECK(gdfo_nn_backward(enc, ws, gr, NULL) == 0);
	CHECK(gdfo_nn_adamw_init(aw, GDFO_NN_ADAMW_VERSION) == 0);
	CHECK(gdfo_nn_step(enc, aw, NULL) == 0);
	gdfo_nn_workspace_free(ws);
	gdfo_nn_batch_free(b);
	gdfo_nn_free(enc);
}

int main(void)
{
	gdfo_graph *g = build_graph();

	graph_getters(g);
	plan_and_sim(g);
	telemetry_and_profile();
	eventlog();
	encoder(g);
	gdfo_graph_free(g);
	if (failures) {
		fprintf(stderr, "abi client: %d check(s) failed\n", failures);
		return 1;
	}
	printf("abi client: every struct of the 0.2 headers works against libgdfo %s\n", gdfo_version_string());
	return 0;
}
