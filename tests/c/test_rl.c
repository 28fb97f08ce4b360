/*
 * The learned optimizer (include/gdfo/optimizer.h, include/gdfo/learn.h,
 * lib/rl/): the policy never emits an illegal decision, PPO's and the
 * imitation loss's gradients match finite differences, training is
 * deterministic and resumes to the same weights, model files round-trip
 * and bad ones are refused, plans carry their explanations.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gdfo/gdfo.h"
#include "rl/rl_internal.h"
#include "testutil.h"

void openblas_set_num_threads(int n);

#define CORPUS (3 + 5 * 5)
#define gen tu_generate
#define corpus tu_corpus

static gdfo_nn_encoder *policy(uint32_t d, uint32_t layers, uint64_t seed)
{
	gdfo_nn_options o;
	gdfo_nn_encoder *e;
	gdfo__pol_nn_options(&o, d, layers, seed);
	ck_assert_msg(gdfo_nn_create(&e, &o) == 0, "%s", gdfo_last_error());
	return e;
}

static char *tmp_path(const char *name)
{
	static char buf[4][256];
	static int k;
	char *p = buf[k++ % 4];
	snprintf(p, 256, "/tmp/gdfo-test-rl-%d-%s", (int)getpid(), name);
	return p;
}

static void rm_model(const char *path)
{
	char s[300];
	unlink(path);
	snprintf(s, sizeof(s), "%s.state", path);
	unlink(s);
}

/* ---- masks ------------------------------------------------------------- */

START_TEST(policy_never_emits_an_illegal_decision)
{
	gdfo_nn_encoder *enc = policy(16, 1, 7);
	int i, mode, s;

	for (i = 0; i < CORPUS; i++) {
		gdfo_graph *g = corpus(i);
		gdfo_space *space;
		gdfo_space_options so;
		gdfo__pol pol;
		gdfo_objective obj;
		size_t dim, d;
		int32_t *pt;

		gdfo_space_options_init(&so, GDFO_SPACE_OPTIONS_VERSION);
		ck_assert_int_eq(gdfo_space_create(&space, g, &so), 0);
		dim = gdfo_space_dim(space);
		pt = calloc(dim + 1, sizeof(*pt));
		gdfo_objective_init(&obj, GDFO_OBJECTIVE_VERSION);
		obj.cost_weight = (double)(i % 3);
		ck_assert_msg(gdfo__pol_init(&pol, enc, NULL) == 0, "%s", gdfo_last_error());
		ck_assert_msg(gdfo__pol_begin(&pol, space, NULL, &obj) == 0, "%s", gdfo_last_error());
		for (mode = 0; mode < 2; mode++)
			for (s = 0; s < (mode ? 6 : 1); s++) {
				uint64_t rng = (uint64_t)(i * 100 + s + 1);
				gdfo__pol_episode ep;
				gdfo_plan *plan;
				size_t k;
				memset(&ep, 0, sizeof(ep));
				ck_assert_msg(gdfo__pol_generate(&pol, pt, mode ? GDFO__POL_SAMPLE : GDFO__POL_GREEDY, NULL, &rng,
								 4, &ep, NULL) == 0,
					      "%s", gdfo_last_error());
				/* every coordinate a legal choice of its decision */
				ck_assert_msg(gdfo_space_check(space, pt, dim) == 0, "graph %d: %s", i, gdfo_last_error());
				for (d = 0; d < dim; d++) {
					int legal = 0;
					ck_assert_int_eq(gdfo_space_choice(NULL, NULL, &legal, space, d, (size_t)pt[d]), 0);
					ck_assert_msg(legal, "graph %d decision %zu: masked choice %d", i, d, pt[d]);
				}
				for (k = 0; k < ep.n_draws; k++)
					ck_assert_uint_lt(ep.draws[k].chosen, ep.draws[k].n);
				ck_assert_msg(gdfo_space_apply(&plan, space, pt, dim, "test") == 0, "%s", gdfo_last_error());
				ck_assert_int_eq(gdfo_graph_validate(gdfo_plan_graph(plan)), 0);
				gdfo_plan_free(plan);
				gdfo__pol_episode_free(&ep);
			}
		gdfo__pol_free(&pol);
		free(pt);
		gdfo_space_free(space);
		gdfo_graph_free(g);
	}
	gdfo_nn_free(enc);
}
END_TEST

/* ---- gradients ------------------------------------------------------------ */

static float fd_h = 1e-3f;

static void check_gradients(int imitation)
{
	gdfo_nn_encoder *enc = policy(8, 1, 3);
	gdfo_train_options o;
	gdfo__pol_episode eps[3];
	gdfo_objective obj;
	double loss, lp, lm;
	size_t t, k, checked = 0;
	int e, bad = 0;
	uint64_t rng = 99;

	gdfo_train_options_init(&o, GDFO_TRAIN_OPTIONS_VERSION);
	gdfo_objective_init(&obj, GDFO_OBJECTIVE_VERSION);
	memset(eps, 0, sizeof(eps));
	for (e = 0; e < 3; e++) {
		gdfo_graph *g = gen(e == 2 ? GDFO_GEN_RANDOM : e, (uint64_t)(5 + e), 8);
		size_t d;
		ck_assert_msg(gdfo__rl_record(&eps[e], enc, g, &obj, (uint64_t)(e + 1)) == 0, "%s", gdfo_last_error());
		ck_assert_uint_gt(eps[e].n_draws, 0);
		/* ratios away from the clip's kinks: old log-probabilities moved by +-0.05 */
		for (d = 0; d < eps[e].n_draws; d++)
			eps[e].draws[d].logp += (d % 2 ? 0.05f : -0.05f);
		eps[e].target = e == 1 ? -0.7f : 1.1f;
		eps[e].reward = 0.4f * (float)e;
		gdfo_graph_free(g);
	}
	ck_assert_int_eq(gdfo_nn_zero_grad(enc), 0);
	ck_assert_msg(gdfo__rl_loss(&loss, enc, eps, 3, imitation, 1, &o) == 0, "%s", gdfo_last_error());
	ck_assert(isfinite(loss));
	for (t = 0; t < gdfo_nn_tensor_count(enc); t++) {
		gdfo_nn_tensor ten = {.version = GDFO_NN_TENSOR_VERSION};
		float *w;
		ck_assert_int_eq(gdfo_nn_tensor_at(&ten, enc, t), 0);
		ck_assert_int_eq(gdfo_nn_tensor_data(&w, enc, t), 0);
		for (k = 0; k < 3; k++) {
			size_t idx = (size_t)(gdfo__rl_mix(&rng) % (ten.rows * ten.cols));
			float keep = w[idx], h = fd_h;
			double fd, an = ten.grad[idx];
			w[idx] = keep + h;
			gdfo__rl_loss(&lp, enc, eps, 3, imitation, 0, &o);
			w[idx] = keep - h;
			gdfo__rl_loss(&lm, enc, eps, 3, imitation, 0, &o);
			w[idx] = keep;
			fd = (lp - lm) / (2.0 * h);
			if (fabs(fd - an) > 2e-3 + 5e-2 * fabs(fd)) {
				fprintf(stderr, "%s %s[%zu]: analytic %.6g finite difference %.6g\n",
					imitation ? "imitation" : "ppo", ten.name, idx, an, fd);
				bad++;
			}
			checked++;
		}
	}
	ck_assert_uint_gt(checked, 30);
	ck_assert_msg(bad <= (int)(checked / 50), "%d of %zu gradients differ from finite differences", bad, checked);
	for (e = 0; e < 3; e++)
		gdfo__pol_episode_free(&eps[e]);
	gdfo_nn_free(enc);
}

START_TEST(ppo_gradients_match_finite_differences)
{
	check_gradients(0);
}
END_TEST

START_TEST(imitation_gradients_match_finite_differences)
{
	check_gradients(1);
}
END_TEST

/* The PPO clip: a draw whose ratio is beyond the clip in the advantage's direction gives no gradient. */
START_TEST(ppo_clip_stops_the_gradient)
{
	gdfo_nn_encoder *enc = policy(8, 1, 3);
	gdfo_train_options o;
	gdfo__pol_episode ep;
	gdfo_objective obj;
	gdfo_graph *g = gen(GDFO_GEN_TPCH, 4, 0);
	double loss;
	size_t t, d, k;
	double norm = 0;

	gdfo_train_options_init(&o, GDFO_TRAIN_OPTIONS_VERSION);
	o.entropy_coef = 0;
	o.value_coef = 0;
	gdfo_objective_init(&obj, GDFO_OBJECTIVE_VERSION);
	memset(&ep, 0, sizeof(ep));
	ck_assert_int_eq(gdfo__rl_record(&ep, enc, g, &obj, 5), 0);
	/* every ratio e^1 > 1 + clip with a positive advantage */
	for (d = 0; d < ep.n_draws; d++)
		ep.draws[d].logp -= 1.0f;
	ep.target = 1;
	ck_assert_int_eq(gdfo_nn_zero_grad(enc), 0);
	ck_assert_int_eq(gdfo__rl_loss(&loss, enc, &ep, 1, 0, 1, &o), 0);
	for (t = 0; t < gdfo_nn_tensor_count(enc); t++) {
		gdfo_nn_tensor ten = {.version = GDFO_NN_TENSOR_VERSION};
		gdfo_nn_tensor_at(&ten, enc, t);
		for (k = 0; k < ten.rows * ten.cols; k++)
			norm += (double)ten.grad[k] * ten.grad[k];
	}
	ck_assert_msg(norm == 0, "clipped draws left a gradient of norm %g", sqrt(norm));
	/* and with a negative advantage the same ratios do pass a gradient */
	ep.target = -1;
	ck_assert_int_eq(gdfo_nn_zero_grad(enc), 0);
	ck_assert_int_eq(gdfo__rl_loss(&loss, enc, &ep, 1, 0, 1, &o), 0);
	norm = 0;
	for (t = 0; t < gdfo_nn_tensor_count(enc); t++) {
		gdfo_nn_tensor ten = {.version = GDFO_NN_TENSOR_VERSION};
		gdfo_nn_tensor_at(&ten, enc, t);
		for (k = 0; k < ten.rows * ten.cols; k++)
			norm += (double)ten.grad[k] * ten.grad[k];
	}
	ck_assert(norm > 0);
	gdfo__pol_episode_free(&ep);
	gdfo_graph_free(g);
	gdfo_nn_free(enc);
}
END_TEST

/* ---- training ------------------------------------------------------------ */

static int stop_after;
static int updates_seen;
static int count_and_stop(const gdfo_train_progress *p, void *ctx)
{
	(void)ctx;
	ck_assert(isfinite(p->policy_loss) && isfinite(p->reward_avg));
	ck_assert_int_le(p->episode, p->episodes_total);
	updates_seen++;
	return stop_after > 0 && updates_seen >= stop_after;
}

static void tiny_options(gdfo_train_options *o)
{
	gdfo_train_options_init(o, GDFO_TRAIN_OPTIONS_VERSION);
	o->d_model = 8;
	o->n_layers = 1;
	o->warm_episodes = 48;
	o->ppo_episodes = 48;
	o->batch_episodes = 16;
	o->expert_budget = 20;
	o->progress = count_and_stop;
}

/* The file's bytes (tu_slurp), as bytes. */
static unsigned char *slurp(const char *path, size_t *n)
{
	return (unsigned char *)tu_slurp(path, n);
}

START_TEST(training_is_deterministic_and_resumes)
{
	gdfo_train_options o;
	gdfo_nn_encoder *a, *b, *c;
	const char *pa = tmp_path("a.gdfonn"), *pb = tmp_path("b.gdfonn"), *pc = tmp_path("c.gdfonn");
	unsigned char *ba, *bb, *bc;
	size_t na, nb, nc;

	openblas_set_num_threads(1);
	rm_model(pa);
	rm_model(pb);
	rm_model(pc);
	tiny_options(&o);
	stop_after = 0;
	updates_seen = 0;
	ck_assert_msg(gdfo_train(&a, &o) == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(updates_seen, 3 + 3); /* one call per batch: 3 imitation, 3 PPO */
	ck_assert_int_eq(gdfo_nn_save(a, pa), 0);
	ck_assert_msg(gdfo_train(&b, &o) == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(gdfo_nn_save(b, pb), 0);
	ba = slurp(pa, &na);
	bb = slurp(pb, &nb);
	ck_assert_uint_eq(na, nb);
	ck_assert_msg(!memcmp(ba, bb, na), "two runs from one seed gave different weights");
	/* another seed, other weights */
	o.seed = 2;
	ck_assert_int_eq(gdfo_train(&c, &o), 0);
	ck_assert_int_eq(gdfo_nn_save(c, pc), 0);
	bc = slurp(pc, &nc);
	ck_assert(nc != na || memcmp(ba, bc, na));
	free(bc);
	gdfo_nn_free(c);
	rm_model(pc);

	/* interrupted after 4 updates (checkpoint every update), then resumed */
	o.seed = 1;
	o.checkpoint = pc;
	o.checkpoint_every = 1;
	stop_after = 4;
	updates_seen = 0;
	ck_assert_int_eq(gdfo_train(&c, &o), GDFO_ECANCELED);
	ck_assert_ptr_null(c);
	ck_assert(strstr(gdfo_last_error(), "stopped"));
	stop_after = 0;
	updates_seen = 0;
	ck_assert_msg(gdfo_train(&c, &o) == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(updates_seen, 6 - 4); /* only what was left */
	ck_assert_int_eq(gdfo_nn_save(c, pc), 0);
	bc = slurp(pc, &nc);
	ck_assert_uint_eq(nc, na);
	ck_assert_msg(!memcmp(ba, bc, na), "the resumed run ended with other weights");
	gdfo_nn_free(c);
	/* a checkpoint of other options is refused, not silently mixed in */
	o.batch_episodes = 8;
	ck_assert_int_eq(gdfo_train(&c, &o), GDFO_EINVAL);
	ck_assert(strstr(gdfo_last_error(), "other training options"));

	free(ba);
	free(bb);
	free(bc);
	gdfo_nn_free(a);
	gdfo_nn_free(b);
	rm_model(pa);
	rm_model(pb);
	rm_model(pc);
}
END_TEST

START_TEST(bad_training_options_are_named)
{
	gdfo_train_options o;
	gdfo_nn_encoder *e;
	tiny_options(&o);
	o.batch_episodes = 0;
	ck_assert_int_eq(gdfo_train(&e, &o), GDFO_EINVAL);
	ck_assert(strstr(gdfo_last_error(), "batch_episodes"));
	tiny_options(&o);
	o.d_model = 6;
	ck_assert_int_eq(gdfo_train(&e, &o), GDFO_EINVAL);
	ck_assert(strstr(gdfo_last_error(), "d_model"));
	tiny_options(&o);
	o.init_model = "/nonexistent/model.gdfonn";
	ck_assert_int_ne(gdfo_train(&e, &o), 0);
	ck_assert_ptr_null(e);
}
END_TEST

/* ---- model files and the plan call ------------------------------------- */

static gdfo_optimizer *open_model(const char *path)
{
	gdfo_optimizer_options oo;
	gdfo_optimizer *opt;
	gdfo_optimizer_options_init(&oo, GDFO_OPTIMIZER_OPTIONS_VERSION);
	oo.model_path = path;
	ck_assert_msg(gdfo_optimizer_open(&opt, NULL, &oo) == 0, "%s", gdfo_last_error());
	return opt;
}

static char *plan_json(gdfo_optimizer *opt, const gdfo_graph *g)
{
	gdfo_plan *plan;
	char *t;
	ck_assert_msg(gdfo_optimizer_plan(&plan, opt, g, NULL, NULL) == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(gdfo_plan_to_json(&t, plan), 0);
	gdfo_plan_free(plan);
	return t;
}

START_TEST(model_files_round_trip_and_bad_ones_are_refused)
{
	gdfo_train_options o;
	gdfo_nn_encoder *enc, *plain;
	gdfo_nn_options no;
	const char *p = tmp_path("m.gdfonn"), *q = tmp_path("bad.gdfonn");
	gdfo_optimizer_options oo;
	gdfo_optimizer *opt, *opt2;
	gdfo_graph *g = gen(GDFO_GEN_TPCH, 9, 0);
	unsigned char *b;
	size_t n;
	char *j1, *j2;
	FILE *f;

	openblas_set_num_threads(1);
	tiny_options(&o);
	o.progress = NULL;
	ck_assert_int_eq(gdfo_train(&enc, &o), 0);
	ck_assert_int_eq(gdfo_nn_save(enc, p), 0);
	opt = open_model(p);
	ck_assert_str_eq(gdfo_optimizer_model(opt), p);
	opt2 = open_model(p);
	j1 = plan_json(opt, g);
	j2 = plan_json(opt2, g);
	ck_assert_str_eq(j1, j2);
	ck_assert(strstr(j1, "learned optimizer: model"));
	gdfo_free(j1);
	gdfo_free(j2);
	gdfo_optimizer_close(opt2);
	gdfo_optimizer_close(opt);

	gdfo_optimizer_options_init(&oo, GDFO_OPTIMIZER_OPTIONS_VERSION);
	b = slurp(p, &n);
	/* a flipped byte */
	b[n / 2] ^= 0x40;
	f = fopen(q, "wb");
	fwrite(b, 1, n, f);
	fclose(f);
	oo.model_path = q;
	ck_assert_int_eq(gdfo_optimizer_open(&opt, NULL, &oo), GDFO_ECHECKSUM);
	ck_assert_ptr_null(opt);
	ck_assert(strstr(gdfo_last_error(), q));
	/* truncated */
	b[n / 2] ^= 0x40;
	f = fopen(q, "wb");
	fwrite(b, 1, n / 3, f);
	fclose(f);
	{
		int rc = gdfo_optimizer_open(&opt, NULL, &oo);
		ck_assert_msg(rc == GDFO_EFORMAT || rc == GDFO_ECHECKSUM, "truncated model: %d", rc);
	}
	/* a weights file of an encoder that is not a policy */
	gdfo_nn_options_init(&no, GDFO_NN_OPTIONS_VERSION);
	ck_assert_int_eq(gdfo_nn_create(&plain, &no), 0);
	ck_assert_int_eq(gdfo_nn_save(plain, q), 0);
	ck_assert_int_eq(gdfo_optimizer_open(&opt, NULL, &oo), GDFO_EFORMAT);
	ck_assert(strstr(gdfo_last_error(), "not a policy model"));
	/* missing */
	oo.model_path = "/nonexistent/dir/model.gdfonn";
	ck_assert_int_ne(gdfo_optimizer_open(&opt, NULL, &oo), 0);
	ck_assert(strstr(gdfo_last_error(), "/nonexistent/dir/model.gdfonn"));
	/* none: the rules, and the plan says so */
	oo.model_path = "";
	ck_assert_int_eq(gdfo_optimizer_open(&opt, NULL, &oo), 0);
	ck_assert_ptr_null(gdfo_optimizer_model(opt));
	j1 = plan_json(opt, g);
	ck_assert(strstr(j1, "\"source\":\t\"rules\""));
	ck_assert(strstr(j1, "no policy model is loaded"));
	gdfo_free(j1);
	gdfo_optimizer_close(opt);
	/* a state directory that is a file is refused (the closed loop's tests are in test_loop.c) */
	ck_assert_int_eq(gdfo_optimizer_open(&opt, q, &oo), GDFO_EIO);
	ck_assert_ptr_null(opt);

	free(b);
	gdfo_nn_free(plain);
	gdfo_nn_free(enc);
	gdfo_graph_free(g);
	unlink(q);
	rm_model(p);
}
END_TEST

START_TEST(learned_plans_explain_their_changes)
{
	gdfo_train_options o;
	gdfo_nn_encoder *enc;
	const char *p = tmp_path("e.gdfonn");
	gdfo_optimizer *opt;
	int i, learned = 0;

	openblas_set_num_threads(1);
	tiny_options(&o);
	o.progress = NULL;
	o.warm_episodes = 128;
	ck_assert_int_eq(gdfo_train(&enc, &o), 0);
	ck_assert_int_eq(gdfo_nn_save(enc, p), 0);
	opt = open_model(p);
	for (i = 0; i < CORPUS; i++) {
		gdfo_graph *g = corpus(i);
		gdfo_plan *plan;
		gdfo_prediction pr = {.version = GDFO_PREDICTION_VERSION};
		const char *src;
		size_t k;
		int named = 0;
		ck_assert_msg(gdfo_optimizer_plan(&plan, opt, g, NULL, NULL) == 0, "%s", gdfo_last_error());
		ck_assert_int_eq(gdfo_graph_validate(gdfo_plan_graph(plan)), 0);
		src = gdfo_plan_source(plan);
		ck_assert(!strcmp(src, "learned") || !strcmp(src, "rules") || !strcmp(src, "input"));
		for (k = 0; k < gdfo_plan_note_count(plan); k++)
			named |= strstr(gdfo_plan_note_at(plan, k), p) != NULL;
		ck_assert_msg(named, "no note names the model");
		ck_assert_int_eq(gdfo_plan_prediction(&pr, plan), 0);
		if (!strcmp(src, "learned")) {
			learned++;
			ck_assert_uint_gt(gdfo_plan_change_count(plan), 0);
			for (k = 0; k < gdfo_plan_change_count(plan); k++) {
				gdfo_change c = {.version = GDFO_CHANGE_VERSION};
				ck_assert_int_eq(gdfo_plan_change_at(&c, plan, k), 0);
				ck_assert(c.confidence >= 0 && c.confidence <= 1);
				ck_assert(isfinite(c.expected_gain) && c.expected_gain <= 1);
			}
		}
		if (!strcmp(src, "input"))
			ck_assert_uint_eq(gdfo_plan_change_count(plan), 0);
		gdfo_plan_free(plan);
		gdfo_graph_free(g);
	}
	ck_assert_int_gt(learned, 0);
	gdfo_optimizer_close(opt);
	gdfo_nn_free(enc);
	rm_model(p);
}
END_TEST

/*
 * Teacher decoding returns the teacher's choices, also when the point it
 * writes is the teacher itself (the planning call scores its greedy plan
 * so: it used to clear each choice before reading it, and the greedy
 * candidate lost all its knobs).
 */
START_TEST(teacher_decoding_keeps_the_teachers_choices)
{
	gdfo_nn_encoder *enc = policy(16, 1, 7);
	int i, changed = 0;

	for (i = 0; i < CORPUS; i++) {
		gdfo_graph *g = corpus(i);
		gdfo_space *space;
		gdfo__pol pol;
		size_t dim, d;
		int32_t *pt, *ref;
		float *prob;
		uint64_t rng = (uint64_t)i + 1;

		ck_assert_int_eq(gdfo_space_create(&space, g, NULL), 0);
		dim = gdfo_space_dim(space);
		pt = calloc(dim + 1, sizeof(*pt));
		ref = calloc(dim + 1, sizeof(*ref));
		prob = calloc(dim + 1, sizeof(*prob));
		ck_assert_msg(gdfo__pol_init(&pol, enc, NULL) == 0, "%s", gdfo_last_error());
		ck_assert_msg(gdfo__pol_begin(&pol, space, NULL, NULL) == 0, "%s", gdfo_last_error());
		ck_assert_int_eq(gdfo__pol_encode(&pol, gdfo_space_graph(space)), 0);
		ck_assert_int_eq(gdfo__pol_knobs(&pol, pt, GDFO__POL_SAMPLE, &rng, gdfo_space_graph(space), NULL, NULL), 0);
		memcpy(ref, pt, dim * sizeof(*pt));
		pol.teacher = pt;
		ck_assert_int_eq(gdfo__pol_knobs(&pol, pt, GDFO__POL_TEACHER, &rng, gdfo_space_graph(space), NULL, prob), 0);
		for (d = 0; d < dim; d++) {
			ck_assert_msg(pt[d] == ref[d], "graph %d decision %zu: taught %d, decoded %d", i, d, ref[d], pt[d]);
			if (!gdfo__pol_structural(space->d[d].kind))
				ck_assert_msg(prob[d] > 0 && prob[d] <= 1, "decision %zu: probability %g", d, prob[d]);
			changed += ref[d] != 0;
		}
		gdfo__pol_free(&pol);
		free(pt);
		free(ref);
		free(prob);
		gdfo_space_free(space);
		gdfo_graph_free(g);
	}
	ck_assert_int_gt(changed, 0);
	gdfo_nn_free(enc);
}
END_TEST

/*
 * The planning call's search over the graph-wide decisions: a stage of 10
 * long tasks on 2 x 2 cores is worth enough executors to run them in one
 * wave, whatever an untrained policy samples; the change says the search
 * chose it.
 */
START_TEST(learned_plans_size_resources_for_their_tasks)
{
	static const char *json =
		"{\"format\": \"gdfo-pipeline/1\", \"name\": \"pi\","
		" \"knobs\": {\"executors\": 2, \"cores_per_executor\": 2},"
		" \"stages\": [{\"id\": 0, \"name\": \"reduce\", \"op\": \"source\", \"parents\": [],"
		"  \"stats\": {\"rows_in\": 100000000, \"bytes_in\": 1000000000, \"cpu_ns_per_row\": 2000},"
		"  \"knobs\": {\"partitions\": 10}},"
		" {\"id\": 1, \"name\": \"out\", \"op\": \"sink\", \"parents\": [0],"
		"  \"stats\": {\"rows_in\": 10, \"bytes_in\": 100}}]}";
	gdfo_nn_encoder *enc = policy(8, 1, 3);
	const char *p = tmp_path("r.gdfonn");
	gdfo_optimizer *opt;
	gdfo_graph *g;
	gdfo_plan *plan;
	gdfo_objective obj;
	gdfo_graph_knobs k = {.version = GDFO_GRAPH_KNOBS_VERSION};
	size_t i;
	int searched = 0;

	ck_assert_msg(gdfo_graph_from_json(&g, json, strlen(json)) == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(gdfo_nn_save(enc, p), 0);
	opt = open_model(p);
	gdfo_objective_init(&obj, GDFO_OBJECTIVE_VERSION);
	obj.throughput_weight = obj.cost_weight = 0;
	ck_assert_msg(gdfo_optimizer_plan(&plan, opt, g, NULL, &obj) == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(gdfo_graph_get_knobs(&k, gdfo_plan_graph(plan)), 0);
	ck_assert_msg(k.executors * k.cores_per_executor >= 10, "%s plan: %d x %d cores", gdfo_plan_source(plan),
		      k.executors, k.cores_per_executor);
	for (i = 0; i < gdfo_plan_change_count(plan); i++) {
		gdfo_change c = {.version = GDFO_CHANGE_VERSION};
		ck_assert_int_eq(gdfo_plan_change_at(&c, plan, i), 0);
		searched |= strstr(c.why, "search over the resources") != NULL;
	}
	ck_assert_msg(searched || !strcmp(gdfo_plan_source(plan), "rules"), "no change names the search");
	gdfo_plan_free(plan);
	gdfo_optimizer_close(opt);
	gdfo_graph_free(g);
	gdfo_nn_free(enc);
	rm_model(p);
}
END_TEST

START_TEST(refiner_keeps_the_best_observed_plan)
{
	gdfo_optimizer *opt;
	gdfo_optimizer_options oo;
	gdfo_refiner *rf;
	gdfo_judge *j;
	gdfo_judge_options jo;
	gdfo_graph *g = gen(GDFO_GEN_TPCDS, 3, 0);
	double first = NAN, best_seen = -INFINITY, best;
	gdfo_plan *plan;
	int k;

	gdfo_optimizer_options_init(&oo, GDFO_OPTIMIZER_OPTIONS_VERSION);
	oo.model_path = "";
	oo.uniform = 1; /* no model needed: uniform candidates, the same refiner */
	ck_assert_int_eq(gdfo_optimizer_open(&opt, NULL, &oo), 0);
	gdfo_judge_options_init(&jo, GDFO_JUDGE_OPTIONS_VERSION);
	jo.runs = 1;
	ck_assert_int_eq(gdfo_judge_create(&j, g, &jo), 0);
	ck_assert_msg(gdfo_refiner_create(&rf, opt, g, NULL, NULL) == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(gdfo_refiner_best(&plan, rf, NULL), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_refiner_observe(rf, 1.0), GDFO_EINVAL); /* nothing outstanding */
	for (k = 0; k < 6; k++) {
		gdfo_reward r = {.version = GDFO_REWARD_VERSION};
		ck_assert_msg(gdfo_refiner_next(&plan, rf) == 0, "%s", gdfo_last_error());
		{
			gdfo_plan *again;
			ck_assert_int_eq(gdfo_refiner_next(&again, rf), GDFO_EINVAL); /* the last one is not observed yet */
			ck_assert_ptr_null(again);
		}
		ck_assert_msg(gdfo_judge_graph(&r, NULL, j, gdfo_plan_graph(plan)) == 0, "%s", gdfo_last_error());
		ck_assert_int_eq(gdfo_refiner_observe(rf, r.reward), 0);
		if (k == 0)
			first = r.reward;
		if (r.reward > best_seen)
			best_seen = r.reward;
		gdfo_plan_free(plan);
	}
	ck_assert_int_eq(gdfo_refiner_best(&plan, rf, &best), 0);
	ck_assert(best >= first);
	ck_assert(fabs(best - best_seen) < 1e-12);
	gdfo_plan_free(plan);
	gdfo_refiner_free(rf);
	gdfo_judge_free(j);
	gdfo_optimizer_close(opt);
	gdfo_graph_free(g);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rl");
	TCase *t = tcase_create("rl");
	SRunner *sr;
	int failed;

	tcase_set_timeout(t, 300);
	tcase_add_test(t, policy_never_emits_an_illegal_decision);
	tcase_add_test(t, ppo_gradients_match_finite_differences);
	tcase_add_test(t, imitation_gradients_match_finite_differences);
	tcase_add_test(t, ppo_clip_stops_the_gradient);
	tcase_add_test(t, training_is_deterministic_and_resumes);
	tcase_add_test(t, bad_training_options_are_named);
	tcase_add_test(t, model_files_round_trip_and_bad_ones_are_refused);
	tcase_add_test(t, learned_plans_explain_their_changes);
	tcase_add_test(t, refiner_keeps_the_best_observed_plan);
	tcase_add_test(t, teacher_decoding_keeps_the_teachers_choices);
	tcase_add_test(t, learned_plans_size_resources_for_their_tasks);
	suite_add_tcase(s, t);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
