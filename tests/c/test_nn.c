/*
 * The graph encoder: PyTorch fixtures (forward, gradients, AdamW),
 * finite differences over every layer, dense/sparse agreement, attention
 * attribution against a full-matrix rollout of a plain forward's
 * probabilities, weights files, features, zero allocation, concurrent
 * forwards, bad input, and every fast kernel and the blocked attention
 * against the plain reference versions in lib/nn/reference.c.
 *
 * Fixtures come from tests/ref/encoder_ref.py (float64 PyTorch); the
 * comparisons use float32 tolerances and print the largest difference.
 */
#include <check.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "gdfo/nn.h"
#include "testutil.h"
#include "nn/nn_internal.h"

/* ---- fixture files ------------------------------------------------------ */

typedef struct fx_array {
	char name[64];
	size_t n;
	size_t dims[4];
	int ndim;
	double *data;
} fx_array;

typedef struct fixture {
	fx_array *a;
	size_t n;
} fixture;

static uint32_t rd_u32(FILE *f)
{
	unsigned char b[4];
	ck_assert_uint_eq(fread(b, 1, 4, f), 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static fixture fx_load(const char *name)
{
	char path[256], magic[8];
	fixture fx;
	FILE *f;
	size_t i, k;

	snprintf(path, sizeof(path), "tests/fixtures/nn/%s.bin", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s (run tests from the project root)", path);
	ck_assert_uint_eq(fread(magic, 1, 8, f), 8);
	ck_assert(memcmp(magic, "GDFOFIX1", 8) == 0);
	fx.n = rd_u32(f);
	fx.a = calloc(fx.n, sizeof(fx_array));
	for (i = 0; i < fx.n; i++) {
		fx_array *a = &fx.a[i];
		uint32_t nl = rd_u32(f);
		ck_assert(nl < sizeof(a->name));
		ck_assert_uint_eq(fread(a->name, 1, nl, f), nl);
		a->ndim = (int)rd_u32(f);
		ck_assert(a->ndim <= 4);
		a->n = 1;
		for (k = 0; k < (size_t)a->ndim; k++) {
			a->dims[k] = rd_u32(f);
			a->n *= a->dims[k];
		}
		a->data = malloc((a->n ? a->n : 1) * sizeof(double));
		ck_assert_uint_eq(fread(a->data, sizeof(double), a->n, f), a->n);
	}
	fclose(f);
	return fx;
}

static void fx_free(fixture *fx)
{
	size_t i;
	for (i = 0; i < fx->n; i++)
		free(fx->a[i].data);
	free(fx->a);
}

static const fx_array *fx_get(const fixture *fx, const char *name)
{
	size_t i;
	for (i = 0; i < fx->n; i++)
		if (!strcmp(fx->a[i].name, name))
			return &fx->a[i];
	return NULL;
}

static const fx_array *fx_need(const fixture *fx, const char *name)
{
	const fx_array *a = fx_get(fx, name);
	ck_assert_msg(a != NULL, "fixture lacks array '%s'", name);
	return a;
}

/* Largest |got - want| relative to max(1, max |want|); prints and checks it. */
static double compare(const char *fixture_name, const char *what, const float *got,
		      const double *want, size_t n, double tol)
{
	double maxd = 0.0, maxref = 1.0;
	size_t i, at = 0;

	for (i = 0; i < n; i++)
		if (fabs(want[i]) > maxref)
			maxref = fabs(want[i]);
	for (i = 0; i < n; i++) {
		double d = fabs((double)got[i] - want[i]);
		if (!(d <= maxd)) { /* also catches NaN */
			maxd = isnan(d) ? INFINITY : d;
			at = i;
		}
	}
	maxd /= maxref;
	if (!(maxd <= tol))
		printf("nn %s: %s max rel diff %.3g at %zu (got %.8g want %.8g) > tol %.1g\n",
		       fixture_name, what, maxd, at, got[at], want[at], tol);
	ck_assert_msg(maxd <= tol, "%s %s: largest difference %.3g exceeds %.1g", fixture_name,
		      what, maxd, tol);
	return maxd;
}

/* Encoder from a fixture's config with its parameters. */
static gdfo_nn_encoder *fx_encoder(const fixture *fx)
{
	const fx_array *c = fx_need(fx, "config");
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};
	gdfo_nn_encoder *enc;
	size_t i, j;

	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	o.n_features = (uint32_t)c->data[0];
	o.d_model = (uint32_t)c->data[1];
	o.n_layers = (uint32_t)c->data[2];
	o.n_heads = (uint32_t)c->data[3];
	o.sparse_threshold = (uint32_t)c->data[4];
	o.sparse_hops = (uint32_t)c->data[5];
	o.n_stage_heads = (uint32_t)c->data[6];
	for (i = 0; i < 8; i++)
		o.stage_head_widths[i] = (uint32_t)c->data[7 + i];
	o.n_pipeline_heads = (uint32_t)c->data[15];
	for (i = 0; i < 8; i++)
		o.pipeline_head_widths[i] = (uint32_t)c->data[16 + i];
	ck_assert_int_eq(gdfo_nn_create(&enc, &o), 0);
	for (i = 0; i < gdfo_nn_tensor_count(enc); i++) {
		gdfo_nn_tensor t = {.version = GDFO_NN_TENSOR_VERSION};
		char name[80];
		const fx_array *a;
		float *w;
		ck_assert_int_eq(gdfo_nn_tensor_at(&t, enc, i), 0);
		ck_assert_int_eq(gdfo_nn_tensor_data(&w, enc, i), 0);
		snprintf(name, sizeof(name), "param.%s", t.name);
		a = fx_need(fx, name);
		ck_assert_uint_eq(a->n, t.rows * t.cols);
		for (j = 0; j < a->n; j++)
			w[j] = (float)a->data[j];
	}
	return enc;
}

typedef struct fx_batch {
	gdfo_nn_pipeline *pipes;
	uint32_t **edges;
	size_t B;
} fx_batch;

static gdfo_nn_batch *fx_make_batch(const fixture *fx, const gdfo_nn_encoder *enc, fx_batch *keep)
{
	const fx_array *sz = fx_need(fx, "sizes");
	gdfo_nn_batch *batch;
	size_t b, e;

	keep->B = sz->n;
	keep->pipes = calloc(sz->n, sizeof(gdfo_nn_pipeline));
	keep->edges = calloc(sz->n, sizeof(uint32_t *));
	for (b = 0; b < sz->n; b++) {
		char name[32];
		const fx_array *ed;
		snprintf(name, sizeof(name), "edges.%zu", b);
		ed = fx_need(fx, name);
		keep->pipes[b].n_stages = (size_t)sz->data[b];
		keep->pipes[b].n_edges = ed->n / 2;
		keep->edges[b] = calloc(ed->n + 1, sizeof(uint32_t));
		for (e = 0; e < ed->n; e++)
			keep->edges[b][e] = (uint32_t)ed->data[e];
		keep->pipes[b].edges = keep->edges[b];
	}
	ck_assert_int_eq(gdfo_nn_batch_create(&batch, enc, keep->pipes, keep->B), 0);
	return batch;
}

static void fx_batch_free(fx_batch *k)
{
	size_t b;
	for (b = 0; b < k->B; b++)
		free(k->edges[b]);
	free(k->edges);
	free(k->pipes);
}

static float *to_float(const fx_array *a)
{
	float *f = malloc((a->n ? a->n : 1) * sizeof(float));
	size_t i;
	for (i = 0; i < a->n; i++)
		f[i] = (float)a->data[i];
	return f;
}

static const char *const OUT_NAMES[4] = {"stage_embeddings", "pipeline_embeddings",
					 "stage_heads", "pipeline_heads"};

static void check_fixture(const char *name)
{
	fixture fx = fx_load(name);
	gdfo_nn_encoder *enc = fx_encoder(&fx);
	fx_batch keep;
	gdfo_nn_batch *batch = fx_make_batch(&fx, enc, &keep);
	gdfo_nn_workspace *ws;
	gdfo_nn_outputs out = {.version = GDFO_NN_OUTPUTS_VERSION};
	gdfo_nn_output_grads dg = {.version = GDFO_NN_OUTPUT_GRADS_VERSION};
	float *outs[4] = {0}, *douts[4] = {0}, *feat, *dfeat;
	size_t sizes[4], b, i, k, S = gdfo_nn_batch_stage_count(batch), B = keep.B;
	size_t C = enc->C, F = enc->F, step;
	double worst_out = 0, worst_grad = 0, worst_adam = 0;
	const fx_array *settings, *norms;
	gdfo_nn_adamw ad;

	/* relation buckets, including the pairs the sparse path drops (-1) */
	for (b = 0; b < B; b++) {
		char nm[32];
		const fx_array *rel;
		size_t T = keep.pipes[b].n_stages + 1, q;
		snprintf(nm, sizeof(nm), "rel.%zu", b);
		rel = fx_need(&fx, nm);
		ck_assert_uint_eq(rel->n, T * T);
		for (q = 0; q < T; q++)
			for (k = 0; k < T; k++) {
				int r;
				ck_assert_int_eq(gdfo_nn_batch_relation(&r, batch, b, q, k), 0);
				ck_assert_msg(r == (int)rel->data[q * T + k],
					      "%s pipeline %zu: relation (%zu, %zu) is %d, PyTorch says %d",
					      name, b, q, k, r, (int)rel->data[q * T + k]);
			}
	}

	sizes[0] = S * C;
	sizes[1] = B * C;
	sizes[2] = S * enc->Ws;
	sizes[3] = B * enc->Wp;
	for (i = 0; i < 4; i++)
		if (sizes[i])
			outs[i] = calloc(sizes[i], sizeof(float));
	out.stage_embeddings = outs[0];
	out.pipeline_embeddings = outs[1];
	out.stage_heads = outs[2];
	out.pipeline_heads = outs[3];
	feat = to_float(fx_need(&fx, "features"));
	ck_assert_int_eq(gdfo_nn_workspace_create(&ws, enc, NULL, GDFO_NN_TRAINING), 0);
	ck_assert_int_eq(gdfo_nn_forward(ws, batch, feat, &out), 0);
	for (i = 0; i < 4; i++) {
		char nm[64];
		const fx_array *a;
		snprintf(nm, sizeof(nm), "out.%s", OUT_NAMES[i]);
		a = fx_get(&fx, nm);
		if (!sizes[i]) {
			ck_assert(a == NULL);
			continue;
		}
		ck_assert_uint_eq(a->n, sizes[i]);
		worst_out = fmax(worst_out, compare(name, nm, outs[i], a->data, a->n, 1e-5));
		snprintf(nm, sizeof(nm), "dout.%s", OUT_NAMES[i]);
		douts[i] = to_float(fx_need(&fx, nm));
	}
	dg.stage_embeddings = douts[0];
	dg.pipeline_embeddings = douts[1];
	dg.stage_heads = douts[2];
	dg.pipeline_heads = douts[3];
	dfeat = calloc(S * F, sizeof(float));
	ck_assert_int_eq(gdfo_nn_zero_grad(enc), 0);
	ck_assert_int_eq(gdfo_nn_backward(enc, ws, &dg, dfeat), 0);
	for (i = 0; i < gdfo_nn_tensor_count(enc); i++) {
		gdfo_nn_tensor t = {.version = GDFO_NN_TENSOR_VERSION};
		char nm[80];
		gdfo_nn_tensor_at(&t, enc, i);
		snprintf(nm, sizeof(nm), "grad.%s", t.name);
		worst_grad = fmax(worst_grad, compare(name, nm, t.grad, fx_need(&fx, nm)->data,
						      t.rows * t.cols, 1e-4));
	}
	worst_grad = fmax(worst_grad, compare(name, "grad.features", dfeat,
					      fx_need(&fx, "grad.features")->data, S * F, 1e-4));

	/* AdamW: the step above's gradients are the first; then re-run */
	settings = fx_need(&fx, "adamw.settings");
	norms = fx_need(&fx, "adamw.norms");
	gdfo_nn_adamw_init(&ad, GDFO_NN_ADAMW_VERSION);
	ad.lr = (float)settings->data[0];
	ad.beta1 = (float)settings->data[1];
	ad.beta2 = (float)settings->data[2];
	ad.eps = (float)settings->data[3];
	ad.weight_decay = (float)settings->data[4];
	ad.max_grad_norm = (float)settings->data[5];
	for (step = 0; step < (size_t)settings->data[6]; step++) {
		float norm;
		if (step > 0) {
			ck_assert_int_eq(gdfo_nn_forward(ws, batch, feat, &out), 0);
			ck_assert_int_eq(gdfo_nn_backward(enc, ws, &dg, NULL), 0);
		}
		ck_assert_int_eq(gdfo_nn_step(enc, &ad, &norm), 0);
		ck_assert_msg(fabs(norm - norms->data[step]) <= 1e-4 * norms->data[step],
			      "%s: grad norm at step %zu is %g, PyTorch %g", name, step, norm,
			      norms->data[step]);
	}
	ck_assert_uint_eq(gdfo_nn_step_count(enc), (uint64_t)settings->data[6]);
	for (i = 0; i < gdfo_nn_tensor_count(enc); i++) {
		gdfo_nn_tensor t = {.version = GDFO_NN_TENSOR_VERSION};
		char nm[80];
		gdfo_nn_tensor_at(&t, enc, i);
		snprintf(nm, sizeof(nm), "adamw.%s", t.name);
		if (strstr(t.name, ".qkv_b")) {
			/*
			 * The key bias has an exactly zero gradient (softmax ignores a
			 * per-row constant), so Adam turns rounding noise of either
			 * precision into +-lr steps: compare the query and value parts,
			 * and only bound the key part's movement.
			 */
			const double *want = fx_need(&fx, nm)->data;
			const double *orig;
			char pn[80];
			size_t steps = (size_t)settings->data[6];
			snprintf(pn, sizeof(pn), "param.%s", t.name);
			orig = fx_need(&fx, pn)->data;
			worst_adam = fmax(worst_adam, compare(name, nm, t.data, want, C, 1e-4));
			worst_adam = fmax(worst_adam, compare(name, nm, t.data + 2 * C, want + 2 * C, C,
							      1e-4));
			for (k = C; k < 2 * C; k++)
				ck_assert(fabs(t.data[k] - orig[k]) <= 1.01 * steps * ad.lr);
			continue;
		}
		worst_adam = fmax(worst_adam, compare(name, nm, t.data, fx_need(&fx, nm)->data,
						      t.rows * t.cols, 1e-4));
	}
	printf("nn fixture %-7s S=%zu B=%zu: max rel diff outputs %.2g, gradients %.2g, after AdamW %.2g\n",
	       name, S, B, worst_out, worst_grad, worst_adam);

	for (i = 0; i < 4; i++) {
		free(outs[i]);
		free(douts[i]);
	}
	free(feat);
	free(dfeat);
	gdfo_nn_workspace_free(ws);
	gdfo_nn_batch_free(batch);
	fx_batch_free(&keep);
	gdfo_nn_free(enc);
	fx_free(&fx);
}

START_TEST(fixture_batch) { check_fixture("batch"); }
END_TEST
START_TEST(fixture_single) { check_fixture("single"); }
END_TEST
START_TEST(fixture_sparse) { check_fixture("sparse"); }
END_TEST
START_TEST(fixture_tiny) { check_fixture("tiny"); }
END_TEST
START_TEST(fixture_deep) { check_fixture("deep"); }
END_TEST

/* ---- finite differences -------------------------------------------------- */

typedef struct fd_ctx {
	gdfo_nn_encoder *enc;
	gdfo_nn_batch *batch;
	gdfo_nn_workspace *ws;
	float *feat, *r[4], *o[4];
	size_t n[4];
} fd_ctx;

static double fd_loss(fd_ctx *c)
{
	gdfo_nn_outputs out = {GDFO_NN_OUTPUTS_VERSION, c->o[0], c->o[1], c->o[2], c->o[3]};
	double loss = 0.0;
	size_t i, k;

	ck_assert_int_eq(gdfo_nn_forward(c->ws, c->batch, c->feat, &out), 0);
	for (k = 0; k < 4; k++)
		for (i = 0; i < c->n[k]; i++)
			loss += (double)c->o[k][i] * c->r[k][i];
	return loss;
}

static float frand(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (float)((double)(*s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

/* Builds a random pipeline batch for tests: B pipelines, chains plus random edges. */
static gdfo_nn_batch *random_batch(const gdfo_nn_encoder *enc, const size_t *sizes, size_t B,
				   uint64_t seed)
{
	gdfo_nn_pipeline p[8];
	uint32_t *edges[8];
	gdfo_nn_batch *batch;
	size_t b, i;

	ck_assert(B <= 8);
	for (b = 0; b < B; b++) {
		size_t n = sizes[b], m = 0;
		edges[b] = calloc(4 * n + 2, sizeof(uint32_t));
		for (i = 1; i < n; i++) {
			uint32_t par = (frand(&seed) > -0.2f) ? (uint32_t)(i - 1)
							      : (uint32_t)((frand(&seed) + 1.0f) * 0.499f * (float)i);
			edges[b][2 * m] = par;
			edges[b][2 * m + 1] = (uint32_t)i;
			m++;
			if (i >= 3 && frand(&seed) > 0.5f) {
				edges[b][2 * m] = (uint32_t)(i - 3);
				edges[b][2 * m + 1] = (uint32_t)i;
				m++;
			}
		}
		p[b].n_stages = n;
		p[b].n_edges = m;
		p[b].edges = edges[b];
	}
	ck_assert_int_eq(gdfo_nn_batch_create(&batch, enc, p, B), 0);
	for (b = 0; b < B; b++)
		free(edges[b]);
	return batch;
}

static void gradient_check(uint32_t threshold)
{
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};
	fd_ctx c;
	gdfo_nn_output_grads dg = {.version = GDFO_NN_OUTPUT_GRADS_VERSION};
	size_t sizes[2] = {6, 9}, S = 15, B = 2, i, k, checked = 0;
	float *dfeat;
	uint64_t seed = 42;
	double worst = 0.0;

	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	o.n_features = 5;
	o.d_model = 8;
	o.n_layers = 2;
	o.n_heads = 2;
	o.sparse_threshold = threshold;
	o.sparse_hops = 2;
	o.n_stage_heads = 2;
	o.stage_head_widths[0] = 2;
	o.stage_head_widths[1] = 1;
	o.n_pipeline_heads = 1;
	o.pipeline_head_widths[0] = 2;
	ck_assert_int_eq(gdfo_nn_create(&c.enc, &o), 0);
	/* larger random weights than the default init so every path carries signal */
	for (i = 0; i < c.enc->n_params; i++)
		c.enc->params[i] += 0.3f * frand(&seed);
	c.batch = random_batch(c.enc, sizes, B, 7);
	ck_assert_int_eq(gdfo_nn_workspace_create(&c.ws, c.enc, c.batch, GDFO_NN_TRAINING), 0);
	c.n[0] = S * 8;
	c.n[1] = B * 8;
	c.n[2] = S * 3;
	c.n[3] = B * 2;
	for (k = 0; k < 4; k++) {
		c.r[k] = malloc(c.n[k] * sizeof(float));
		c.o[k] = malloc(c.n[k] * sizeof(float));
		for (i = 0; i < c.n[k]; i++)
			c.r[k][i] = frand(&seed);
	}
	c.feat = malloc(S * 5 * sizeof(float));
	for (i = 0; i < S * 5; i++)
		c.feat[i] = frand(&seed);
	dg.stage_embeddings = c.r[0];
	dg.pipeline_embeddings = c.r[1];
	dg.stage_heads = c.r[2];
	dg.pipeline_heads = c.r[3];
	dfeat = calloc(S * 5, sizeof(float));
	fd_loss(&c);
	ck_assert_int_eq(gdfo_nn_zero_grad(c.enc), 0);
	ck_assert_int_eq(gdfo_nn_backward(c.enc, c.ws, &dg, dfeat), 0);

	/* every tensor (every layer), a few elements each, plus the features */
	for (i = 0; i <= gdfo_nn_tensor_count(c.enc); i++) {
		gdfo_nn_tensor t = {.version = GDFO_NN_TENSOR_VERSION};
		float *data;
		const float *grad;
		size_t n, pick;
		if (i < gdfo_nn_tensor_count(c.enc)) {
			gdfo_nn_tensor_at(&t, c.enc, i);
			gdfo_nn_tensor_data(&data, c.enc, i);
			grad = t.grad;
			n = t.rows * t.cols;
		} else {
			t.name = "features";
			data = c.feat;
			grad = dfeat;
			n = S * 5;
		}
		for (pick = 0; pick < 3; pick++) {
			size_t j = (pick * 7919 + i * 31) % n;
			float keep = data[j], h = 1e-2f;
			double lp, lm, num, err;
			data[j] = keep + h;
			lp = fd_loss(&c);
			data[j] = keep - h;
			lm = fd_loss(&c);
			data[j] = keep;
			num = (lp - lm) / (2.0 * h);
			err = fabs(num - grad[j]) / fmax(1.0, fabs(num));
			worst = fmax(worst, err);
			ck_assert_msg(err < 2e-2, "finite differences (threshold %u): %s[%zu] analytic %g numeric %g",
				      threshold, t.name, j, grad[j], num);
			checked++;
		}
	}
	printf("nn gradient check (%s): %zu elements over %zu tensors + features, worst rel err %.2g\n",
	       threshold < 6 ? "sparse" : "dense", checked, gdfo_nn_tensor_count(c.enc), worst);
	for (k = 0; k < 4; k++) {
		free(c.r[k]);
		free(c.o[k]);
	}
	free(c.feat);
	free(dfeat);
	gdfo_nn_workspace_free(c.ws);
	gdfo_nn_batch_free(c.batch);
	gdfo_nn_free(c.enc);
}

START_TEST(finite_differences_dense) { gradient_check(256); }
END_TEST
START_TEST(finite_differences_sparse) { gradient_check(4); }
END_TEST

/* ---- dense and sparse agree where the sparse path keeps every pair --------- */

START_TEST(sparse_matches_dense_on_kept_pairs)
{
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};
	gdfo_nn_encoder *dense, *sparse;
	gdfo_nn_batch *bd, *bs;
	gdfo_nn_workspace *wd, *wsp;
	uint32_t edges[2 * 39];
	gdfo_nn_pipeline p = {40, 39, edges};
	float feat[40 * GDFO_NN_FEATURES], od[40 * 64], os[40 * 64];
	gdfo_nn_outputs outd = {GDFO_NN_OUTPUTS_VERSION, od, NULL, NULL, NULL},
			outs = {GDFO_NN_OUTPUTS_VERSION, os, NULL, NULL, NULL};
	uint64_t seed = 3;
	size_t i;
	double maxd = 0;

	/* a chain: every pair is an ancestor/descendant pair, so k = 64 hops keep all */
	for (i = 0; i < 39; i++) {
		edges[2 * i] = (uint32_t)i;
		edges[2 * i + 1] = (uint32_t)(i + 1);
	}
	for (i = 0; i < 40 * GDFO_NN_FEATURES; i++)
		feat[i] = frand(&seed);
	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	ck_assert_int_eq(gdfo_nn_create(&dense, &o), 0);
	o.sparse_threshold = 10;
	o.sparse_hops = 64;
	ck_assert_int_eq(gdfo_nn_create(&sparse, &o), 0);
	ck_assert_int_eq(gdfo_nn_batch_create(&bd, dense, &p, 1), 0);
	ck_assert_int_eq(gdfo_nn_batch_create(&bs, sparse, &p, 1), 0);
	ck_assert(!bd->pipes[0].sparse && bs->pipes[0].sparse);
	ck_assert_int_eq(gdfo_nn_workspace_create(&wd, dense, bd, 0), 0);
	ck_assert_int_eq(gdfo_nn_workspace_create(&wsp, sparse, bs, 0), 0);
	ck_assert_int_eq(gdfo_nn_forward(wd, bd, feat, &outd), 0);
	ck_assert_int_eq(gdfo_nn_forward(wsp, bs, feat, &outs), 0);
	for (i = 0; i < 40 * 64; i++)
		maxd = fmax(maxd, fabs(od[i] - os[i]));
	ck_assert_msg(maxd < 1e-5, "dense and sparse differ by %g", maxd);
	/* with 2 hops the sparse path drops pairs, so results must differ */
	gdfo_nn_batch_free(bs);
	sparse->opts.sparse_hops = 2;
	ck_assert_int_eq(gdfo_nn_batch_create(&bs, sparse, &p, 1), 0);
	ck_assert_int_eq(gdfo_nn_forward(wsp, bs, feat, &outs), 0);
	maxd = 0;
	for (i = 0; i < 40 * 64; i++)
		maxd = fmax(maxd, fabs(od[i] - os[i]));
	ck_assert(maxd > 1e-4);
	gdfo_nn_workspace_free(wd);
	gdfo_nn_workspace_free(wsp);
	gdfo_nn_batch_free(bd);
	gdfo_nn_batch_free(bs);
	gdfo_nn_free(dense);
	gdfo_nn_free(sparse);
}
END_TEST

/* ---- fast kernels against their plain references (lib/nn/reference.c) ---- */

static const size_t kernel_lengths[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 129, 513, 1000};
#define N_LENGTHS (sizeof(kernel_lengths) / sizeof(kernel_lengths[0]))

static double rel_diff(float a, float b)
{
	return fabs((double)a - b) / (fabs((double)b) > 1e-3 ? fabs((double)b) : 1e-3);
}

/*
 * Loop tests run once per instruction set the kernels pick from (_i: base,
 * AVX2+FMA, AVX-512), each capped with gdfo__nn_isa_limit; a CPU without
 * one runs the next lower path again.
 */
static const char *const isa_names[] = {"base", "avx2", "avx512"};

START_TEST(kernels_match_reference)
{
	uint64_t seed = 11;
	double worst[6] = {0};
	size_t li, j;
	int old = gdfo__nn_isa_limit(_i);

	for (li = 0; li < N_LENGTHS; li++) {
		size_t n = kernel_lengths[li];
		float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
		float *x = malloc(n * sizeof(float)), *p = malloc(n * sizeof(float));
		float *d = malloc(n * sizeof(float)), g[GDFO_NN_RELATIONS];
		uint8_t *rel = malloc(n);
		for (j = 0; j < GDFO_NN_RELATIONS; j++)
			g[j] = 3.0f * frand(&seed);
		for (j = 0; j < n; j++) {
			rel[j] = (uint8_t)((frand(&seed) + 1.0f) * 0.5f * (GDFO_NN_RELATIONS - 0.01f));
			x[j] = 12.0f * frand(&seed); /* scores and pre-activations up to +-12 */
		}
		/* relation bias: exact */
		gdfo__nn_bias_fill(a, rel, g, n);
		gdfo__nn_ref_bias_fill(b, rel, g, n);
		ck_assert_msg(memcmp(a, b, n * sizeof(float)) == 0, "bias_fill differs at n=%zu", n);
		/* softmax, including a row far from zero */
		for (j = 0; j < n; j++) {
			b[j] = x[j] + (li % 2 ? 40.0f : 0.0f);
			a[j] = GDFO__NN_LOG2E * b[j];
		}
		memcpy(d, a, n * sizeof(float));
		gdfo__nn_softmax_base2(a, n);
		gdfo__nn_ref_softmax(b, n);
		for (j = 0; j < n; j++)
			worst[0] = fmax(worst[0], fabs((double)a[j] - b[j]));
		memcpy(p, b, n * sizeof(float));
		/* the summing softmax: the same row, copied (first) or added (then) to acc */
		{
			float *acc = malloc(n * sizeof(float)), *row = malloc(n * sizeof(float));
			int first;
			for (first = 1; first >= 0; first--) {
				for (j = 0; j < n; j++)
					acc[j] = first ? 7.0f : 0.25f;
				memcpy(row, d, n * sizeof(float));
				gdfo__nn_softmax_base2_sum(row, acc, first, n);
				ck_assert_msg(memcmp(row, a, n * sizeof(float)) == 0,
					      "softmax_base2_sum's row differs from softmax_base2's at n=%zu", n);
				for (j = 0; j < n; j++)
					ck_assert_msg(acc[j] == (first ? 0.0f : 0.25f) + a[j],
						      "softmax_base2_sum (first %d) acc[%zu] = %g at n=%zu",
						      first, j, acc[j], n);
			}
			free(acc);
			free(row);
		}
		/* onto zeros (backward_kernels_add checks that they add) */
		for (j = 0; j < n; j++) {
			a[j] = b[j] = 0.0f;
			d[j] = frand(&seed);
		}
		gdfo__nn_softmax_backward(a, d, p, n);
		gdfo__nn_ref_softmax_backward(b, d, p, n);
		for (j = 0; j < n; j++)
			worst[1] = fmax(worst[1], fabs((double)a[j] - b[j]));
		/* GELU forward and backward */
		gdfo__nn_gelu_forward(a, x, n);
		gdfo__nn_ref_gelu_forward(b, x, n);
		for (j = 0; j < n; j++)
			worst[2] = fmax(worst[2], rel_diff(a[j], b[j]));
		for (j = 0; j < n; j++) {
			a[j] = b[j] = 0.0f;
			d[j] = frand(&seed);
		}
		gdfo__nn_gelu_backward(a, d, x, n);
		gdfo__nn_ref_gelu_backward(b, d, x, n);
		for (j = 0; j < n; j++)
			worst[3] = fmax(worst[3], rel_diff(a[j], b[j]));
		/* LayerNorm over one row of n columns, forward and backward */
		{
			float *gam = malloc(n * sizeof(float)), *bet = malloc(n * sizeof(float));
			float *dy = malloc(n * sizeof(float)), m1, r1, m2, r2;
			float *da = calloc(n, sizeof(float)), *db = calloc(n, sizeof(float));
			float *dga = calloc(n, sizeof(float)), *dgb = calloc(n, sizeof(float));
			float *dba = calloc(n, sizeof(float)), *dbb = calloc(n, sizeof(float));
			for (j = 0; j < n; j++) {
				gam[j] = 1.0f + 0.5f * frand(&seed);
				bet[j] = 0.5f * frand(&seed);
				dy[j] = frand(&seed);
			}
			gdfo__nn_layernorm_forward(a, &m1, &r1, x, gam, bet, 1, n);
			gdfo__nn_ref_layernorm_forward(b, &m2, &r2, x, gam, bet, 1, n);
			for (j = 0; j < n; j++)
				worst[4] = fmax(worst[4], fabs((double)a[j] - b[j]));
			gdfo__nn_layernorm_backward(da, dga, dba, dy, x, gam, &m2, &r2, 1, n);
			gdfo__nn_ref_layernorm_backward(db, dgb, dbb, dy, x, gam, &m2, &r2, 1, n);
			for (j = 0; j < n; j++) {
				worst[5] = fmax(worst[5], fabs((double)da[j] - db[j]));
				worst[5] = fmax(worst[5], fabs((double)dga[j] - dgb[j]));
				worst[5] = fmax(worst[5], fabs((double)dba[j] - dbb[j]));
			}
			free(gam);
			free(bet);
			free(dy);
			free(da);
			free(db);
			free(dga);
			free(dgb);
			free(dba);
			free(dbb);
		}
		free(a);
		free(b);
		free(x);
		free(p);
		free(d);
		free(rel);
	}
	gdfo__nn_isa_limit(old);
	printf("nn kernels vs reference (%s): softmax %.1e, softmax' %.1e, gelu %.1e (rel), "
	       "gelu' %.1e (rel), layernorm %.1e, layernorm' %.1e\n",
	       isa_names[_i], worst[0], worst[1], worst[2], worst[3], worst[4], worst[5]);
	ck_assert_msg(worst[0] < 2e-6, "softmax differs from the reference by %g", worst[0]);
	ck_assert_msg(worst[1] < 2e-6, "softmax backward differs by %g", worst[1]);
	ck_assert_msg(worst[2] < 2e-5, "gelu differs by %g (relative)", worst[2]);
	ck_assert_msg(worst[3] < 2e-5, "gelu backward differs by %g (relative)", worst[3]);
	ck_assert_msg(worst[4] < 1e-5, "layernorm differs by %g", worst[4]);
	ck_assert_msg(worst[5] < 1e-4, "layernorm backward differs by %g", worst[5]);
}
END_TEST

/*
 * Backward kernels ADD into their gradients (STYLE.md): each runs once onto
 * zeros and once onto ones; the second result must be the first plus one.
 */
static void expect_added(const char *what, const float *zero, const float *one, size_t n)
{
	size_t j;

	for (j = 0; j < n; j++)
		ck_assert_msg(fabs((one[j] - 1.0f) - zero[j]) <= 1e-5 * fmax(1.0, fabs(zero[j])),
			      "%s overwrites its gradient instead of adding: [%zu] %g onto 0, %g onto 1",
			      what, j, zero[j], one[j]);
}

START_TEST(backward_kernels_add)
{
	int old = gdfo__nn_isa_limit(_i);

	enum { N = 5, K = 7, M = 9, n = N * M };
	uint64_t seed = 5;
	float dout[n], inp[N * K], w[K * M], p[n], mean[N], rstd[N], g[M], ln[n];
	float g0[3][N * K + K * M + M], g1[3][N * K + K * M + M], rb0[GDFO_NN_RELATIONS] = {0},
	      rb1[GDFO_NN_RELATIONS];
	uint8_t rel[n];
	size_t j, v;

	for (j = 0; j < n; j++) {
		dout[j] = frand(&seed);
		p[j] = 0.5f + 0.5f * frand(&seed);
		rel[j] = (uint8_t)(j % GDFO_NN_RELATIONS);
	}
	for (j = 0; j < N * K; j++)
		inp[j] = frand(&seed);
	for (j = 0; j < K * M; j++)
		w[j] = frand(&seed);
	for (j = 0; j < M; j++)
		g[j] = 1.0f + 0.5f * frand(&seed);
	for (v = 0; v < 2; v++) {
		float (*gr)[N * K + K * M + M] = v ? g1 : g0;
		float *rb = v ? rb1 : rb0;
		for (j = 0; j < 3 * (N * K + K * M + M); j++)
			gr[j / (N * K + K * M + M)][j % (N * K + K * M + M)] = (float)v;
		for (j = 0; j < GDFO_NN_RELATIONS; j++)
			rb[j] = (float)v;
		gdfo__nn_softmax_backward(gr[0], dout, p, n);
		gdfo__nn_gelu_backward(gr[1], dout, inp, N * K);
		gdfo__nn_matmul_backward(gr[2], gr[2] + N * K, gr[2] + N * K + K * M, dout, M, inp, K,
					 w, N, K, M);
		gdfo__nn_bias_fill_backward(rb, dout, rel, n);
	}
	expect_added("softmax_backward", g0[0], g1[0], n);
	expect_added("gelu_backward", g0[1], g1[1], N * K);
	expect_added("matmul_backward", g0[2], g1[2], N * K + K * M + M);
	expect_added("bias_fill_backward", rb0, rb1, GDFO_NN_RELATIONS);
	/* LayerNorm over (N, M) */
	gdfo__nn_layernorm_forward(ln, mean, rstd, dout, g, g, N, M);
	for (v = 0; v < 2; v++) {
		float (*gr)[N * K + K * M + M] = v ? g1 : g0;
		for (j = 0; j < n + 2 * M; j++)
			gr[0][j] = (float)v;
		gdfo__nn_layernorm_backward(gr[0], gr[0] + n, gr[0] + n + M, p, dout, g, mean, rstd, N,
					    M);
	}
	expect_added("layernorm_backward", g0[0], g1[0], n + 2 * M);
	gdfo__nn_isa_limit(old);
}
END_TEST

/*
 * The blocked BLAS attention against the plain loops, for pipelines large
 * enough to need several query blocks, keeping the probabilities (training)
 * and reusing one block of scratch (inference), dense and sparse.
 */
static void attention_case(size_t N, uint32_t threshold, int keep, size_t C, size_t H)
{
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};
	gdfo_nn_encoder *enc;
	gdfo_nn_batch *bt;
	gdfo_nn_pipeline p;
	const gdfo__nn_pipe *pp;
	uint32_t *edges = malloc(2 * 2 * N * sizeof(uint32_t)), ne = 0;
	size_t i, T;
	float *qkv, *out, *ref, *att, *psum, bias[GDFO__NN_MAX_ATT_HEADS * GDFO_NN_RELATIONS];
	double *P;
	uint64_t seed = 5 + N;
	double worst = 0;

	for (i = 1; i < N; i++) {
		edges[2 * ne] = (uint32_t)(i - 1);
		edges[2 * ne++ + 1] = (uint32_t)i;
		if (i > 5 && i % 3 == 0) {
			edges[2 * ne] = (uint32_t)(i - 5);
			edges[2 * ne++ + 1] = (uint32_t)i;
		}
	}
	p.n_stages = N;
	p.n_edges = ne;
	p.edges = edges;
	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	o.d_model = (uint32_t)C;
	o.n_heads = (uint32_t)H;
	o.sparse_threshold = threshold;
	ck_assert_int_eq(gdfo_nn_create(&enc, &o), 0);
	ck_assert_int_eq(gdfo_nn_batch_create(&bt, enc, &p, 1), 0);
	pp = &bt->pipes[0];
	T = pp->T;
	qkv = malloc(T * 3 * C * sizeof(float));
	out = malloc(T * C * sizeof(float));
	ref = malloc(T * C * sizeof(float));
	att = malloc(H * pp->E * sizeof(float));
	psum = malloc(pp->E * sizeof(float));
	P = malloc(H * T * T * sizeof(double));
	for (i = 0; i < T * 3 * C; i++)
		qkv[i] = 2.0f * frand(&seed);
	for (i = 0; i < H * GDFO_NN_RELATIONS; i++)
		bias[i] = frand(&seed);
	gdfo__nn_attention_forward(out, att, keep, psum, qkv, pp, bias, C, H);
	gdfo__nn_ref_attention(ref, qkv, pp, bias, C, H);
	for (i = 0; i < T * C; i++)
		worst = fmax(worst, fabs((double)out[i] - ref[i]));
	ck_assert_msg(worst < 1e-5, "attention N=%zu C=%zu H=%zu %s keep=%d differs from the reference by %g",
		      N, C, H, pp->sparse ? "sparse" : "dense", keep, worst);
	/* the heads' summed probabilities (what gdfo__nn_attention reads), every block */
	gdfo__nn_ref_attention_probs(P, qkv, pp, bias, C, H);
	worst = 0;
	for (i = 0; i < T; i++) {
		size_t e0 = pp->sparse ? pp->nb_start[i] : i * T;
		size_t e1 = pp->sparse ? pp->nb_start[i + 1] : (i + 1) * T, e, h;
		for (e = e0; e < e1; e++) {
			size_t j = pp->sparse ? pp->nb_idx[e] : e - i * T;
			double r = 0;
			for (h = 0; h < H; h++)
				r += P[(h * T + i) * T + j];
			worst = fmax(worst, fabs(psum[e] - r));
		}
	}
	ck_assert_msg(worst < 1e-5, "attention N=%zu C=%zu H=%zu %s keep=%d: head sums differ from the reference by %g",
		      N, C, H, pp->sparse ? "sparse" : "dense", keep, worst);
	if (keep && !pp->sparse) /* kept probabilities: every row sums to 1 */
		for (i = 0; i < H * T; i++) {
			double s = 0;
			size_t j;
			for (j = 0; j < T; j++)
				s += att[i * T + j];
			ck_assert_msg(fabs(s - 1.0) < 1e-5, "row %zu of kept attention sums to %g", i, s);
		}
	free(qkv);
	free(out);
	free(ref);
	free(att);
	free(psum);
	free(P);
	free(edges);
	gdfo_nn_batch_free(bt);
	gdfo_nn_free(enc);
}

START_TEST(attention_matches_reference)
{
	/* head widths 4, 8, 16, 32, 64 and 12 (the sparse kernel specialises 8..64) */
	static const size_t widths[][2] = {{16, 4}, {32, 4}, {64, 4}, {64, 2}, {64, 1}, {48, 4}};
	size_t k;
	int old = gdfo__nn_isa_limit(_i);

	/* 300 and 700 tokens take 2 and 5 query blocks of the dense path */
	attention_case(7, 100000, 0, 32, 4);
	attention_case(300, 100000, 0, 32, 4);
	attention_case(300, 100000, 1, 32, 4);
	attention_case(700, 100000, 0, 32, 4);
	attention_case(700, 100000, 1, 32, 4);
	for (k = 0; k < sizeof(widths) / sizeof(widths[0]); k++) {
		attention_case(40, 100000, 0, widths[k][0], widths[k][1]);
		attention_case(300, 256, 0, widths[k][0], widths[k][1]);
		attention_case(300, 256, 1, widths[k][0], widths[k][1]);
	}
	gdfo__nn_isa_limit(old);
}
END_TEST

/*
 * The sparse backward (one kernel call per query) against the dense
 * backward (BLAS), on a chain where the sparse path keeps every pair, for
 * every specialised head width and one that is not: parameter and feature
 * gradients must agree.
 */
static void sparse_backward_case(uint32_t d, uint32_t H)
{
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};
	gdfo_nn_encoder *dense, *sparse;
	gdfo_nn_batch *bd, *bs;
	gdfo_nn_workspace *wd, *wsp;
	uint32_t edges[2 * 23];
	gdfo_nn_pipeline p = {24, 23, edges};
	float feat[24 * GDFO_NN_FEATURES], dfd[24 * GDFO_NN_FEATURES] = {0},
					  dfs[24 * GDFO_NN_FEATURES] = {0};
	float *gs = malloc(24 * d * sizeof(float)), *gp = malloc(d * sizeof(float));
	gdfo_nn_output_grads g = {GDFO_NN_OUTPUT_GRADS_VERSION, gs, gp, NULL, NULL};
	uint64_t seed = 17 + d + H;
	double worst = 0, scale = 0;
	size_t i;

	for (i = 0; i < 23; i++) {
		edges[2 * i] = (uint32_t)i;
		edges[2 * i + 1] = (uint32_t)(i + 1);
	}
	for (i = 0; i < 24 * GDFO_NN_FEATURES; i++)
		feat[i] = frand(&seed);
	for (i = 0; i < 24 * d; i++)
		gs[i] = frand(&seed);
	for (i = 0; i < d; i++)
		gp[i] = frand(&seed);
	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	o.d_model = d;
	o.n_heads = H;
	o.n_layers = 2;
	ck_assert_int_eq(gdfo_nn_create(&dense, &o), 0);
	o.sparse_threshold = 4;
	o.sparse_hops = 64;
	ck_assert_int_eq(gdfo_nn_create(&sparse, &o), 0);
	ck_assert_uint_eq(dense->n_params, sparse->n_params);
	for (i = 0; i < dense->n_params; i++) /* nonzero biases, relation biases included */
		dense->params[i] += 0.1f * frand(&seed);
	memcpy(sparse->params, dense->params, dense->n_params * sizeof(float));
	ck_assert_int_eq(gdfo_nn_batch_create(&bd, dense, &p, 1), 0);
	ck_assert_int_eq(gdfo_nn_batch_create(&bs, sparse, &p, 1), 0);
	ck_assert(!bd->pipes[0].sparse && bs->pipes[0].sparse);
	ck_assert_int_eq(gdfo_nn_workspace_create(&wd, dense, bd, GDFO_NN_TRAINING), 0);
	ck_assert_int_eq(gdfo_nn_workspace_create(&wsp, sparse, bs, GDFO_NN_TRAINING), 0);
	ck_assert_int_eq(gdfo_nn_forward(wd, bd, feat, NULL), 0);
	ck_assert_int_eq(gdfo_nn_forward(wsp, bs, feat, NULL), 0);
	ck_assert_int_eq(gdfo_nn_backward(dense, wd, &g, dfd), 0);
	ck_assert_int_eq(gdfo_nn_backward(sparse, wsp, &g, dfs), 0);
	for (i = 0; i < dense->n_params; i++) {
		scale = fmax(scale, fabs(dense->grads[i]));
		worst = fmax(worst, fabs((double)dense->grads[i] - sparse->grads[i]));
	}
	for (i = 0; i < 24 * GDFO_NN_FEATURES; i++)
		worst = fmax(worst, fabs((double)dfd[i] - dfs[i]));
	ck_assert_msg(worst < 1e-4 * fmax(1.0, scale),
		      "d=%u H=%u: sparse and dense gradients differ by %g (largest %g)", d, H, worst,
		      scale);
	gdfo_nn_workspace_free(wd);
	gdfo_nn_workspace_free(wsp);
	gdfo_nn_batch_free(bd);
	gdfo_nn_batch_free(bs);
	gdfo_nn_free(dense);
	gdfo_nn_free(sparse);
	free(gs);
	free(gp);
}

START_TEST(sparse_backward_matches_dense)
{
	int old = gdfo__nn_isa_limit(_i);

	sparse_backward_case(8, 1);  /* head width 8 */
	sparse_backward_case(32, 2); /* 16 */
	sparse_backward_case(64, 2); /* 32 */
	sparse_backward_case(64, 1); /* 64 */
	sparse_backward_case(24, 2); /* 12: the general loop */
	gdfo__nn_isa_limit(old);
}
END_TEST

/* ---- attention attribution (gdfo__nn_attention) --------------------------- */

/* out = (add ? out : 0) + inp w + bias, in double */
static void plain_matmul(float *out, const float *inp, const float *w, const float *bias, size_t N,
			 size_t K, size_t M, int add)
{
	size_t i, j, k;

	for (i = 0; i < N; i++)
		for (j = 0; j < M; j++) {
			double a = (add ? out[i * M + j] : 0.0) + bias[j];
			for (k = 0; k < K; k++)
				a += (double)inp[i * K + k] * w[k * M + j];
			out[i * M + j] = (float)a;
		}
}

/*
 * Pipeline b's attention probabilities in every layer, P (L, H, T, T),
 * from a plain forward over enc's weights with lib/nn/reference.c's
 * kernels; returns the largest difference of that forward's stage
 * embeddings from emb (the fast forward's, (S, C)), which vouches for it.
 */
static double ref_layer_probs(double *P, const gdfo_nn_encoder *enc, const gdfo_nn_batch *batch,
			      size_t b, const float *feat, const float *emb)
{
	const gdfo__nn_pipe *pp = &batch->pipes[b];
	size_t T = pp->T, C = enc->C, H = enc->H, F = enc->F, l, i;
	float *x = malloc(T * C * sizeof(float)), *ln = malloc(T * C * sizeof(float));
	float *qkv = malloc(T * 3 * C * sizeof(float)), *y = malloc(T * C * sizeof(float));
	float *h = malloc(T * 4 * C * sizeof(float)), *hg = malloc(T * 4 * C * sizeof(float));
	float *mean = malloc(T * sizeof(float)), *rstd = malloc(T * sizeof(float));
	double worst = 0;

	memcpy(x, enc->p.token, C * sizeof(float));
	plain_matmul(x + C, feat + pp->stage * F, enc->p.in_w, enc->p.in_b, T - 1, F, C, 0);
	for (l = 0; l < enc->L; l++) {
		const gdfo__nn_layer *w = &enc->p.layers[l];
		gdfo__nn_ref_layernorm_forward(ln, mean, rstd, x, w->ln1_g, w->ln1_b, T, C);
		plain_matmul(qkv, ln, w->qkv_w, w->qkv_b, T, C, 3 * C, 0);
		gdfo__nn_ref_attention_probs(P + l * H * T * T, qkv, pp, w->rel_bias, C, H);
		gdfo__nn_ref_attention(y, qkv, pp, w->rel_bias, C, H);
		plain_matmul(x, y, w->proj_w, w->proj_b, T, C, C, 1);
		gdfo__nn_ref_layernorm_forward(ln, mean, rstd, x, w->ln2_g, w->ln2_b, T, C);
		plain_matmul(h, ln, w->fc_w, w->fc_b, T, C, 4 * C, 0);
		gdfo__nn_ref_gelu_forward(hg, h, T * 4 * C);
		plain_matmul(x, hg, w->fc2_w, w->fc2_b, T, 4 * C, C, 1);
	}
	gdfo__nn_ref_layernorm_forward(ln, mean, rstd, x, enc->p.lnf_g, enc->p.lnf_b, T, C);
	for (i = 0; i < (T - 1) * C; i++)
		worst = fmax(worst, fabs((double)ln[C + i] - emb[pp->stage * C + i]));
	free(x);
	free(ln);
	free(qkv);
	free(y);
	free(h);
	free(hg);
	free(mean);
	free(rstd);
	return worst;
}

/*
 * Every query (each stage and the pipeline token) of every pipeline of a
 * random batch: the attribution is non-negative, sums to 1, equals the
 * full-matrix rollout of the reference probabilities, and is the same from
 * an inference and a training workspace. With one layer, stages the sparse
 * path hides from a stage query get exactly 0.
 */
static void attribution_case(uint32_t threshold, uint32_t L)
{
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};
	gdfo_nn_encoder *enc;
	gdfo_nn_batch *batch;
	gdfo_nn_workspace *wi, *wt;
	size_t sizes[3] = {9, 13, 3}, S = 25, B = 3, b, i, q, n_sparse = 0, zeros = 0;
	float *feat = malloc(S * 5 * sizeof(float)), *emb = malloc(S * 8 * sizeof(float));
	gdfo_nn_outputs out = {GDFO_NN_OUTPUTS_VERSION, emb, NULL, NULL, NULL};
	uint64_t seed = 11 + threshold + L;
	double worst = 0, worst_ws = 0, worst_fwd = 0, top = 0;

	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	o.n_features = 5;
	o.d_model = 8;
	o.n_layers = L;
	o.n_heads = 2;
	o.sparse_threshold = threshold;
	o.sparse_hops = 2;
	ck_assert_int_eq(gdfo_nn_create(&enc, &o), 0);
	/* larger weights than the default init, so attention is far from uniform */
	for (i = 0; i < enc->n_params; i++)
		enc->params[i] += 0.5f * frand(&seed);
	for (i = 0; i < S * 5; i++)
		feat[i] = 2.0f * frand(&seed);
	batch = random_batch(enc, sizes, B, 5);
	/* sized by the hint, then grown for the kept attention */
	ck_assert_int_eq(gdfo_nn_workspace_create(&wi, enc, batch, 0), 0);
	ck_assert_int_eq(gdfo__nn_workspace_keep_attention(wi), 0);
	ck_assert_int_eq(gdfo_nn_workspace_create(&wt, enc, batch, GDFO_NN_TRAINING), 0);
	ck_assert_int_eq(gdfo__nn_workspace_keep_attention(wt), 0); /* nothing to do */
	ck_assert_int_eq(gdfo_nn_forward(wi, batch, feat, &out), 0);
	ck_assert_int_eq(gdfo_nn_forward(wt, batch, feat, NULL), 0);
	for (b = 0; b < B; b++) {
		const gdfo__nn_pipe *pp = &batch->pipes[b];
		size_t T = pp->T, n = T - 1;
		double *P = malloc((L ? L : 1) * 2 * T * T * sizeof(double));
		double *scratch = malloc(3 * T * T * sizeof(double)), *row = malloc(T * sizeof(double));
		float *a = malloc(n * sizeof(float)), *at = malloc(n * sizeof(float));
		n_sparse += pp->sparse;
		worst_fwd = fmax(worst_fwd, ref_layer_probs(P, enc, batch, b, feat, emb));
		for (q = 0; q <= n; q++) {
			size_t query = q == n ? GDFO__NN_QUERY_TOKEN : q;
			double sum = 0, rs = 0;
			ck_assert_int_eq(gdfo__nn_attention(a, n, wi, batch, b, query), 0);
			ck_assert_int_eq(gdfo__nn_attention(at, n, wt, batch, b, query), 0);
			gdfo__nn_ref_attention_rollout(row, scratch, P, L, 2, T, q == n ? 0 : q + 1);
			for (i = 1; i < T; i++)
				rs += row[i];
			for (i = 0; i < n; i++) {
				double r = rs > 0 ? row[i + 1] / rs : 1.0 / (double)n;
				ck_assert_msg(a[i] >= 0.0f, "pipeline %zu query %zu: share of stage %zu is %g",
					      b, q, i, a[i]);
				sum += a[i];
				worst = fmax(worst, fabs(a[i] - r));
				worst_ws = fmax(worst_ws, fabs(a[i] - at[i]));
				if (q < n && i != q)
					top = fmax(top, a[i]);
				if (L == 1 && pp->sparse && q < n) {
					int rel;
					ck_assert_int_eq(gdfo_nn_batch_relation(&rel, batch, b, q + 1, i + 1), 0);
					if (rel < 0) {
						ck_assert_msg(a[i] == 0.0f, "pipeline %zu: stage %zu outside the "
							      "neighbourhood of stage %zu has share %g",
							      b, i, q, a[i]);
						zeros++;
					}
				}
			}
			ck_assert_msg(fabs(sum - 1.0) < 1e-5, "pipeline %zu query %zu: shares sum to %.9g",
				      b, q, sum);
		}
		free(P);
		free(scratch);
		free(row);
		free(a);
		free(at);
	}
	printf("nn attribution (L=%u, %zu of %zu pipelines sparse): reference forward within %.2g, "
	       "rollout within %.2g, inference = training within %.2g, largest share of another "
	       "stage %.3f, %zu hidden pairs at 0\n",
	       L, n_sparse, B, worst_fwd, worst, worst_ws, top, zeros);
	ck_assert_msg(worst_fwd < 1e-4, "the test's plain forward is off by %g", worst_fwd);
	ck_assert_msg(worst < 1e-5, "attribution differs from the reference rollout by %g", worst);
	ck_assert_msg(worst_ws < 1e-6, "inference and training workspaces differ by %g", worst_ws);
	if (L == 1 && threshold < 9)
		ck_assert(zeros > 0);
	gdfo_nn_workspace_free(wi);
	gdfo_nn_workspace_free(wt);
	gdfo_nn_batch_free(batch);
	gdfo_nn_free(enc);
	free(feat);
	free(emb);
}

START_TEST(attribution_dense) { attribution_case(256, 3); }
END_TEST
START_TEST(attribution_sparse) { attribution_case(4, 3); attribution_case(4, 1); }
END_TEST

START_TEST(attribution_errors)
{
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};
	gdfo_nn_encoder *enc;
	gdfo_nn_batch *b1, *b2;
	gdfo_nn_workspace *ws;
	size_t sizes[2] = {4, 6}, i;
	float feat[10 * GDFO_NN_FEATURES], a[6];
	uint64_t seed = 9;

	for (i = 0; i < 10 * GDFO_NN_FEATURES; i++)
		feat[i] = frand(&seed);
	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	ck_assert_int_eq(gdfo_nn_create(&enc, &o), 0);
	b1 = random_batch(enc, sizes, 2, 1);
	b2 = random_batch(enc, sizes, 1, 2);
	ck_assert_int_eq(gdfo_nn_workspace_create(&ws, enc, NULL, 0), 0);
	ck_assert_int_eq(gdfo_nn_forward(ws, b1, feat, NULL), 0);
	ck_assert_int_eq(gdfo__nn_attention(a, 4, ws, b1, 0, 0), GDFO_EINVAL);
	ck_assert_str_eq(gdfo_last_error(), "gdfo__nn_attention: the workspace does not keep attention "
			 "(call gdfo__nn_workspace_keep_attention before the forward)");
	ck_assert_int_eq(gdfo__nn_workspace_keep_attention(NULL), GDFO_EINVAL);
	ck_assert_int_eq(gdfo__nn_workspace_keep_attention(ws), 0); /* drops the forward */
	ck_assert_int_eq(gdfo__nn_attention(a, 4, ws, b1, 0, 0), GDFO_EINVAL);
	ck_assert_str_eq(gdfo_last_error(), "gdfo__nn_attention: no successful forward on this workspace");
	ck_assert_int_eq(gdfo_nn_forward(ws, b1, feat, NULL), 0);
	ck_assert_int_eq(gdfo__nn_attention(a, 4, ws, b1, 0, 3), 0);
	ck_assert_int_eq(gdfo__nn_attention(a, 6, ws, b1, 1, GDFO__NN_QUERY_TOKEN), 0);
	ck_assert_int_eq(gdfo__nn_attention(NULL, 4, ws, b1, 0, 0), GDFO_EINVAL);
	ck_assert_int_eq(gdfo__nn_attention(a, 4, NULL, b1, 0, 0), GDFO_EINVAL);
	ck_assert_int_eq(gdfo__nn_attention(a, 4, ws, NULL, 0, 0), GDFO_EINVAL);
	ck_assert_int_eq(gdfo__nn_attention(a, 4, ws, b2, 0, 0), GDFO_EINVAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "gdfo__nn_attention: the last forward on this workspace was of another batch");
	ck_assert_int_eq(gdfo__nn_attention(a, 4, ws, b1, 2, 0), GDFO_ERANGE);
	ck_assert_str_eq(gdfo_last_error(),
			 "gdfo__nn_attention: pipeline 2 is out of range (the batch has 2)");
	ck_assert_int_eq(gdfo__nn_attention(a, 4, ws, b1, 0, 4), GDFO_ERANGE);
	ck_assert_str_eq(gdfo_last_error(),
			 "gdfo__nn_attention: stage 4 is out of range (pipeline 0 has 4 stages)");
	ck_assert_int_eq(gdfo__nn_attention(a, 6, ws, b1, 0, 0), GDFO_EINVAL);
	ck_assert_str_eq(gdfo_last_error(),
			 "gdfo__nn_attention: n_out is 6 but pipeline 0 has 4 stages");
	gdfo__alloc_test_arm(1);
	ck_assert_int_eq(gdfo__nn_attention(a, 4, ws, b1, 0, 0), GDFO_ENOMEM);
	gdfo__alloc_test_disarm();
	/* a failed forward leaves nothing to attribute */
	feat[3] = NAN;
	ck_assert_int_eq(gdfo_nn_forward(ws, b1, feat, NULL), GDFO_EINVAL);
	ck_assert_int_eq(gdfo__nn_attention(a, 4, ws, b1, 0, 0), GDFO_EINVAL);
	ck_assert_str_eq(gdfo_last_error(), "gdfo__nn_attention: no successful forward on this workspace");
	feat[3] = 0.5f;
	gdfo_nn_workspace_free(ws);
	gdfo_nn_free(enc);

	/* no layers: a stage is all on itself, the pipeline token uniform */
	o.n_layers = 0;
	ck_assert_int_eq(gdfo_nn_create(&enc, &o), 0);
	ck_assert_int_eq(gdfo_nn_workspace_create(&ws, enc, NULL, 0), 0);
	ck_assert_int_eq(gdfo__nn_workspace_keep_attention(ws), 0);
	ck_assert_int_eq(gdfo_nn_forward(ws, b1, feat, NULL), 0);
	ck_assert_int_eq(gdfo__nn_attention(a, 4, ws, b1, 0, 2), 0);
	for (i = 0; i < 4; i++)
		ck_assert_float_eq(a[i], i == 2 ? 1.0f : 0.0f);
	ck_assert_int_eq(gdfo__nn_attention(a, 6, ws, b1, 1, GDFO__NN_QUERY_TOKEN), 0);
	for (i = 0; i < 6; i++)
		ck_assert_float_eq_tol(a[i], 1.0f / 6.0f, 1e-7f);
	gdfo_nn_workspace_free(ws);
	gdfo_nn_batch_free(b1);
	gdfo_nn_batch_free(b2);
	gdfo_nn_free(enc);
}
END_TEST

/* ---- weights file ------------------------------------------------------- */

static char *tmp_path(const char *tag)
{
	static char buf[4][256];
	static int k;
	char *p = buf[k++ % 4];
	snprintf(p, 256, "/tmp/gdfo_test_nn_%d_%s.bin", (int)getpid(), tag);
	return p;
}

static void flip_byte(const char *path, long at)
{
	FILE *f = fopen(path, "r+b");
	int ch;
	ck_assert(f != NULL);
	if (at < 0) {
		fseek(f, 0, SEEK_END);
		at += ftell(f);
	}
	fseek(f, at, SEEK_SET);
	ch = fgetc(f);
	fseek(f, at, SEEK_SET);
	fputc(ch ^ 0x5a, f);
	fclose(f);
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	size_t n;
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
	ck_assert(a && b);
	while ((n = fread(buf, 1, sizeof(buf), a)) > 0)
		fwrite(buf, 1, n, b);
	fclose(a);
	fclose(b);
}

static size_t tensor_index(const gdfo_nn_encoder *enc, const char *name)
{
	size_t i;
	gdfo_nn_tensor t = {.version = GDFO_NN_TENSOR_VERSION};

	for (i = 0; i < gdfo_nn_tensor_count(enc); i++) {
		ck_assert_int_eq(gdfo_nn_tensor_at(&t, enc, i), 0);
		if (!strcmp(t.name, name))
			return i;
	}
	ck_abort_msg("no tensor %s", name);
	return 0;
}

/*
 * The tensor table as the header documents it: names in checkpoint order,
 * shapes, decay, initial values, heads only when their width is not 0;
 * views laid out back to back in one block, 16-float aligned.
 */
START_TEST(tensor_table)
{
	static const char *const layer[13] = {"ln1_g", "ln1_b", "qkv_w", "qkv_b", "rel_bias",
					      "proj_w", "proj_b", "ln2_g", "ln2_b", "fc_w",
					      "fc_b", "fc2_w", "fc2_b"};
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};
	gdfo_nn_encoder *enc;
	gdfo_nn_tensor t = {.version = GDFO_NN_TENSOR_VERSION};
	char want[64];
	size_t C = 24, i, j, l, next = 0;
	float *w;

	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	o.d_model = (uint32_t)C;
	o.n_heads = 3;
	o.n_layers = 2;
	o.n_stage_heads = 0;
	o.pipeline_head_widths[0] = 3;
	ck_assert_int_eq(gdfo_nn_create(&enc, &o), 0);
	ck_assert_uint_eq(gdfo_nn_tensor_count(enc), 3 + 2 * 13 + 2 + 2);
	for (i = 0; i < gdfo_nn_tensor_count(enc); i++) {
		size_t rows = 1, cols = C, n;
		int decay = 0, init; /* 0 zeros, 1 ones, 2 random */
		ck_assert_int_eq(gdfo_nn_tensor_at(&t, enc, i), 0);
		if (i < 3) {
			snprintf(want, sizeof(want), "%s", (const char *[]){"in_w", "in_b", "token"}[i]);
		} else if (i < 3 + 26) {
			l = (i - 3) / 13;
			snprintf(want, sizeof(want), "layers.%zu.%s", l, layer[(i - 3) % 13]);
		} else {
			snprintf(want, sizeof(want), "%s",
				 (const char *[]){"lnf_g", "lnf_b", "pipeline_head_w",
						  "pipeline_head_b"}[i - 29]);
		}
		ck_assert_str_eq(t.name, want);
		if (!strcmp(want, "in_w"))
			rows = GDFO_NN_FEATURES;
		else if (strstr(want, "qkv_"))
			rows = strstr(want, "_w") ? C : 1, cols = 3 * C;
		else if (strstr(want, "rel_bias"))
			rows = 3, cols = GDFO_NN_RELATIONS;
		else if (strstr(want, "proj_w"))
			rows = C;
		else if (strstr(want, ".fc_"))
			rows = strstr(want, "_w") ? C : 1, cols = 4 * C;
		else if (strstr(want, "fc2_w"))
			rows = 4 * C;
		else if (strstr(want, "pipeline_head"))
			rows = strstr(want, "_w") ? 2 * C : 1, cols = 3;
		decay = strstr(want, "_w") != NULL;
		init = strstr(want, "_g") ? 1 : decay || !strcmp(want, "token") ? 2 : 0;
		ck_assert_msg(t.rows == rows && t.cols == cols, "%s is %zux%zu, want %zux%zu", want,
			      t.rows, t.cols, rows, cols);
		ck_assert_msg(t.decay == decay, "%s decay %d", want, t.decay);
		ck_assert_ptr_null(t.grad);
		n = t.rows * t.cols;
		for (j = 0; j < n; j++)
			if (init == 2 ? t.data[j] == 0.0f : t.data[j] != (float)init)
				break;
		ck_assert_msg(j == n, "%s[%zu] = %g is not its initial value", want, j, t.data[j]);
		ck_assert_ptr_eq(t.data, enc->params + next);
		next += (n + 15) & ~(size_t)15;
		ck_assert_int_eq(gdfo_nn_tensor_data(&w, enc, i), 0);
		ck_assert_ptr_eq(w, t.data);
	}
	ck_assert_uint_eq(next, enc->n_params);
	ck_assert_int_eq(gdfo_nn_tensor_data(&w, enc, i), GDFO_ERANGE);
	ck_assert_ptr_null(w);
	ck_assert_int_eq(gdfo_nn_tensor_data(&w, NULL, 0), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_nn_tensor_data(NULL, enc, 0), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_nn_zero_grad(enc), 0);
	for (i = 0; i < gdfo_nn_tensor_count(enc); i++) {
		ck_assert_int_eq(gdfo_nn_tensor_at(&t, enc, i), 0);
		ck_assert_ptr_eq(t.grad, enc->grads + (t.data - enc->params));
	}
	gdfo_nn_free(enc);
}
END_TEST

START_TEST(weights_roundtrip_and_rejects)
{
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};
	gdfo_nn_encoder *a, *b, *c;
	const char *path = tmp_path("w"), *bad = tmp_path("bad");
	float *before, *w;
	gdfo_nn_tensor t = {.version = GDFO_NN_TENSOR_VERSION};

	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	o.d_model = 32;
	o.n_heads = 4;
	o.n_stage_heads = 2;
	o.stage_head_widths[1] = 5;
	o.seed = 9;
	ck_assert_int_eq(gdfo_nn_create(&a, &o), 0);
	ck_assert_int_eq(gdfo_nn_save(a, path), 0);
	ck_assert_int_eq(gdfo_nn_load(&b, path), 0);
	ck_assert_uint_eq(gdfo_nn_param_count(a), gdfo_nn_param_count(b));
	ck_assert(memcmp(a->params, b->params, a->n_params * sizeof(float)) == 0);

	/* load_into: same architecture, other seed */
	o.seed = 10;
	ck_assert_int_eq(gdfo_nn_create(&c, &o), 0);
	ck_assert(memcmp(a->params, c->params, a->n_params * sizeof(float)) != 0);
	ck_assert_int_eq(gdfo_nn_load_into(c, path), 0);
	ck_assert(memcmp(a->params, c->params, a->n_params * sizeof(float)) == 0);

	before = malloc(c->n_params * sizeof(float));
	ck_assert_int_eq(gdfo_nn_tensor_find(&t, c, "layers.1.fc_w"), 0);
	ck_assert_int_eq(gdfo_nn_tensor_data(&w, c, tensor_index(c, "layers.1.fc_w")), 0);
	ck_assert_ptr_eq(w, t.data);
	w[0] += 1.0f; /* make c differ so "untouched" is observable */
	memcpy(before, c->params, c->n_params * sizeof(float));

	copy_file(path, bad);
	flip_byte(bad, 0);
	ck_assert_int_eq(gdfo_nn_load_into(c, bad), GDFO_EFORMAT);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "magic"));
	copy_file(path, bad);
	flip_byte(bad, 8);
	ck_assert_int_eq(gdfo_nn_load_into(c, bad), GDFO_EVERSION);
	copy_file(path, bad);
	flip_byte(bad, -100);
	ck_assert_int_eq(gdfo_nn_load_into(c, bad), GDFO_ECHECKSUM);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "checksum"));
	{
		gdfo_nn_encoder *none = (gdfo_nn_encoder *)1;
		ck_assert_int_eq(gdfo_nn_load(&none, "/nonexistent/dir/w.bin"), GDFO_EIO);
		ck_assert_ptr_null(none);
	}
	ck_assert(memcmp(before, c->params, c->n_params * sizeof(float)) == 0);
	gdfo_nn_free(c);

	/* another architecture: refused, names the field */
	o.d_model = 64;
	ck_assert_int_eq(gdfo_nn_create(&c, &o), 0);
	memcpy(before, c->params, c->n_params * sizeof(float) < a->n_params * sizeof(float)
				       ? c->n_params * sizeof(float) : a->n_params * sizeof(float));
	ck_assert_int_eq(gdfo_nn_load_into(c, path), GDFO_ERANGE);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "d_model"));
	gdfo_nn_free(c);

	unlink(path);
	unlink(bad);
	free(before);
	gdfo_nn_free(a);
	gdfo_nn_free(b);
}
END_TEST

/* ---- features ----------------------------------------------------------- */

START_TEST(features_from_graph)
{
	/* the knob blocks come from the field tables; their sum is the public width */
	ck_assert_uint_eq(gdfo__nn_feature_count(), GDFO_NN_FEATURES);
	gdfo_graph *g;
	gdfo_stage s = {.version = GDFO_STAGE_VERSION};
	gdfo_stage_stats s_st = {.version = GDFO_STAGE_STATS_VERSION};
	gdfo_stage_knobs s_kn = {.version = GDFO_STAGE_KNOBS_VERSION};
	gdfo_telemetry *t;
	gdfo_stage_telemetry st = {.version = GDFO_STAGE_TELEMETRY_VERSION};
	float f[3 * GDFO_NN_FEATURES];
	gdfo_objective w;
	gdfo_nn_encoder *enc;
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};
	gdfo_nn_batch *batch;
	const gdfo_graph *gs[1];
	int r;

	ck_assert_int_eq(gdfo_graph_create(&g, "f"), 0);
	tu_init(&s, &s_st, &s_kn);
	s.id = 10;
	s.name = "scan";
	s.op = GDFO_OP_SOURCE;
	s_st.rows_in = 1e6;
	s_kn.partitions = 200;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	s.id = 11;
	s.name = "agg";
	s.op = GDFO_OP_AGGREGATE;
	s_kn.partitions = 0;
	s_kn.cache = GDFO_CACHE_MEMORY;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	s.id = 12;
	s.name = "out";
	s.op = GDFO_OP_SINK;
	s_kn.cache = 0;
	ck_assert_int_eq(gdfo_graph_add_stage(g, &s), 0);
	ck_assert_int_eq(gdfo_graph_add_edge(g, 10, 11), 0);
	ck_assert_int_eq(gdfo_graph_add_edge(g, 11, 12), 0);
	ck_assert_int_eq(gdfo_telemetry_create(&t), 0);
	gdfo_stage_telemetry_init(&st, GDFO_STAGE_TELEMETRY_VERSION);
	st.stage_id = 11;
	st.duration_ms = 1000;
	st.task_ms_median = 10;
	st.task_ms_max = 40;
	ck_assert_int_eq(gdfo_telemetry_set_stage(t, &st), 0);

	gdfo_objective_init(&w, GDFO_OBJECTIVE_VERSION);
	w.latency_weight = 0.5;
	w.cost_weight = 0.25;
	ck_assert_int_eq(gdfo_nn_features(f, 2, g, t, &w), GDFO_EINVAL);
	ck_assert_int_eq(gdfo_nn_features(f, 3, g, t, &w), 0);
	ck_assert_float_eq(f[0 * 64 + GDFO_OP_SOURCE], 1.0f);
	ck_assert_float_eq(f[1 * 64 + GDFO_OP_AGGREGATE], 1.0f);
	ck_assert_float_eq(f[2 * 64 + GDFO_OP_SINK], 1.0f);
	ck_assert_float_eq_tol(f[10], (float)(log1p(1e6) / 20), 1e-6);
	ck_assert_float_eq_tol(f[18], (float)(log1p(200) / 10), 1e-6);
	ck_assert_float_eq(f[19], 0.0f);
	ck_assert_float_eq(f[64 + 19], 1.0f);  /* partitions at engine default */
	ck_assert_float_eq(f[64 + 25], 1.0f);  /* cache memory */
	/* telemetry: present for stage 11 only */
	ck_assert_float_eq(f[64 + 31], 1.0f);
	ck_assert_float_eq_tol(f[64 + 30], (float)(log1p(1000) / 15), 1e-6);
	ck_assert_float_eq_tol(f[64 + 36], (float)(log(4.0) / 5), 1e-6);
	ck_assert_float_eq(f[64 + 33], 0.0f);  /* tasks not measured */
	ck_assert_float_eq(f[31], 0.0f);
	/* depth and height */
	ck_assert_float_eq(f[50], 0.0f);
	ck_assert_float_eq_tol(f[2 * 64 + 50], (float)(log1p(2) / 5), 1e-6);
	ck_assert_float_eq_tol(f[51], (float)(log1p(2) / 5), 1e-6);
	ck_assert_float_eq(f[2 * 64 + 57], 1.0f);
	ck_assert_float_eq(f[2 * 64 + 59], 0.25f);

	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	ck_assert_int_eq(gdfo_nn_create(&enc, &o), 0);
	gs[0] = g;
	ck_assert_int_eq(gdfo_nn_batch_from_graphs(&batch, enc, gs, 1), 0);
	ck_assert_int_eq(gdfo_nn_batch_relation(&r, batch, 0, 3, 1), 0);
	ck_assert_int_eq(r, GDFO_NN_REL_ANCESTOR_2);
	ck_assert_int_eq(gdfo_nn_batch_relation(&r, batch, 0, 1, 2), 0);
	ck_assert_int_eq(r, GDFO_NN_REL_CHILD);
	ck_assert_int_eq(gdfo_nn_batch_relation(&r, batch, 0, 0, 3), 0);
	ck_assert_int_eq(r, GDFO_NN_REL_TOKEN_TO_STAGE);
	gdfo_nn_batch_free(batch);
	gdfo_nn_free(enc);
	gdfo_telemetry_free(t);
	gdfo_graph_free(g);
}
END_TEST

/* ---- steady state: no allocation; concurrent forwards ---------------------- */

START_TEST(forward_allocates_nothing)
{
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};
	gdfo_nn_encoder *enc;
	gdfo_nn_batch *batch;
	gdfo_nn_workspace *ws;
	size_t sizes[2] = {40, 17}, i, k;
	float *feat = calloc(57 * GDFO_NN_FEATURES, sizeof(float)), *emb = calloc(57 * 64, sizeof(float));
	gdfo_nn_outputs out = {GDFO_NN_OUTPUTS_VERSION, emb, NULL, NULL, NULL};
	struct mallinfo2 m0, m1;
	uint64_t seed = 5;

	for (i = 0; i < 57 * GDFO_NN_FEATURES; i++)
		feat[i] = frand(&seed);
	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	o.sparse_threshold = 20; /* pipeline 0 sparse, pipeline 1 dense */
	ck_assert_int_eq(gdfo_nn_create(&enc, &o), 0);
	batch = random_batch(enc, sizes, 2, 1);
	for (k = 0; k < 2; k++) {
		/* k = 1: keeping the attention for gdfo__nn_attention */
		ck_assert_int_eq(gdfo_nn_workspace_create(&ws, enc, batch, 0), 0);
		if (k)
			ck_assert_int_eq(gdfo__nn_workspace_keep_attention(ws), 0);
		ck_assert_int_eq(gdfo_nn_forward(ws, batch, feat, &out), 0); /* warm up BLAS */
		m0 = mallinfo2();
		for (i = 0; i < 20; i++)
			ck_assert_int_eq(gdfo_nn_forward(ws, batch, feat, &out), 0);
		m1 = mallinfo2();
		ck_assert_msg(m0.uordblks == m1.uordblks && m0.hblks == m1.hblks,
			      "heap use changed during steady-state forwards (keep %zu): %zu -> %zu bytes",
			      k, m0.uordblks, m1.uordblks);
		gdfo_nn_workspace_free(ws);
	}
	gdfo_nn_batch_free(batch);
	gdfo_nn_free(enc);
	free(feat);
	free(emb);
}
END_TEST

typedef struct thr_arg {
	const gdfo_nn_encoder *enc;
	const gdfo_nn_batch *batch;
	const float *feat;
	float *emb;
	int rc;
} thr_arg;

static void *thr_forward(void *p)
{
	thr_arg *a = p;
	gdfo_nn_workspace *ws;
	gdfo_nn_outputs out = {GDFO_NN_OUTPUTS_VERSION, a->emb, NULL, NULL, NULL};
	int i;

	a->rc = gdfo_nn_workspace_create(&ws, a->enc, NULL, 0);
	for (i = 0; i < 20 && a->rc == 0; i++)
		a->rc = gdfo_nn_forward(ws, a->batch, a->feat, &out);
	gdfo_nn_workspace_free(ws);
	return NULL;
}

START_TEST(concurrent_forwards)
{
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};
	gdfo_nn_encoder *enc;
	gdfo_nn_batch *batch;
	size_t sizes[1] = {30}, i, n = 30 * 64;
	float *feat = calloc(30 * GDFO_NN_FEATURES, sizeof(float));
	thr_arg a[3];
	pthread_t th[3];
	uint64_t seed = 8;

	for (i = 0; i < 30 * GDFO_NN_FEATURES; i++)
		feat[i] = frand(&seed);
	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	ck_assert_int_eq(gdfo_nn_create(&enc, &o), 0);
	batch = random_batch(enc, sizes, 1, 2);
	for (i = 0; i < 3; i++) {
		a[i].enc = enc;
		a[i].batch = batch;
		a[i].feat = feat;
		a[i].emb = calloc(n, sizeof(float));
		ck_assert_int_eq(pthread_create(&th[i], NULL, thr_forward, &a[i]), 0);
	}
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(a[i].rc, 0);
	}
	ck_assert(memcmp(a[0].emb, a[1].emb, n * sizeof(float)) == 0);
	ck_assert(memcmp(a[0].emb, a[2].emb, n * sizeof(float)) == 0);
	for (i = 0; i < 3; i++)
		free(a[i].emb);
	free(feat);
	gdfo_nn_batch_free(batch);
	gdfo_nn_free(enc);
}
END_TEST

/* ---- bad input ---------------------------------------------------------- */

START_TEST(bad_input)
{
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};
	gdfo_nn_encoder *enc;
	gdfo_nn_batch *batch = (gdfo_nn_batch *)1;
	gdfo_nn_workspace *ws;
	uint32_t cyc[] = {0, 1, 1, 2, 2, 0}, oob[] = {0, 5}, self[] = {1, 1};
	gdfo_nn_pipeline p = {3, 3, cyc};
	float feat[3 * GDFO_NN_FEATURES] = {0};
	gdfo_nn_output_grads dg = {.version = GDFO_NN_OUTPUT_GRADS_VERSION};

	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	o.d_model = 30; /* not a multiple of 4 heads */
	ck_assert_int_eq(gdfo_nn_create(&enc, &o), GDFO_EINVAL);
	ck_assert_ptr_null(enc);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "d_model"));
	ck_assert_int_eq(gdfo_nn_options_init(&o, 99), GDFO_EVERSION);
	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	o.n_stage_heads = 1;
	o.stage_head_widths[0] = 0;
	ck_assert_int_eq(gdfo_nn_create(&enc, &o), GDFO_EINVAL);
	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	ck_assert_int_eq(gdfo_nn_create(&enc, &o), 0);

	ck_assert_int_eq(gdfo_nn_batch_create(&batch, enc, &p, 1), GDFO_ECYCLE);
	ck_assert_ptr_null(batch);
	p.n_edges = 1;
	p.edges = oob;
	ck_assert_int_eq(gdfo_nn_batch_create(&batch, enc, &p, 1), GDFO_EINVAL);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "edge 0"));
	p.edges = self;
	ck_assert_int_eq(gdfo_nn_batch_create(&batch, enc, &p, 1), GDFO_EINVAL);
	p.n_stages = 0;
	ck_assert_int_eq(gdfo_nn_batch_create(&batch, enc, &p, 1), GDFO_EINVAL);
	p.n_stages = 3;
	p.n_edges = 0;
	ck_assert_int_eq(gdfo_nn_batch_create(&batch, enc, &p, 1), 0);

	ck_assert_int_eq(gdfo_nn_workspace_create(&ws, enc, batch, 0), 0);
	ck_assert_int_eq(gdfo_nn_backward(enc, ws, &dg, NULL), GDFO_EINVAL); /* not training */
	feat[5] = NAN;
	ck_assert_int_eq(gdfo_nn_forward(ws, batch, feat, NULL), GDFO_EINVAL);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "[0][5]"));
	gdfo_nn_workspace_free(ws);
	ck_assert_int_eq(gdfo_nn_workspace_create(&ws, enc, NULL, GDFO_NN_TRAINING), 0);
	ck_assert_int_eq(gdfo_nn_backward(enc, ws, &dg, NULL), GDFO_EINVAL); /* no forward */
	{
		gdfo_nn_adamw ad;
		gdfo_nn_adamw_init(&ad, GDFO_NN_ADAMW_VERSION);
		ck_assert_int_eq(gdfo_nn_step(enc, &ad, NULL), GDFO_EINVAL); /* no gradients */
		ad.lr = -1.0f;
		ck_assert_int_eq(gdfo_nn_zero_grad(enc), 0);
		ck_assert_int_eq(gdfo_nn_step(enc, &ad, NULL), GDFO_EINVAL);
	}
	gdfo_nn_workspace_free(ws);
	gdfo_nn_batch_free(batch);
	gdfo_nn_free(enc);
	gdfo_nn_free(NULL);
	gdfo_nn_batch_free(NULL);
	gdfo_nn_workspace_free(NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("nn");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, fixture_batch);
	tcase_add_test(tc, fixture_single);
	tcase_add_test(tc, fixture_sparse);
	tcase_add_test(tc, fixture_tiny);
	tcase_add_test(tc, fixture_deep);
	tcase_add_test(tc, finite_differences_dense);
	tcase_add_test(tc, finite_differences_sparse);
	tcase_add_test(tc, sparse_matches_dense_on_kept_pairs);
	tcase_add_loop_test(tc, kernels_match_reference, GDFO__NN_ISA_BASE, GDFO__NN_ISA_AVX512 + 1);
	tcase_add_loop_test(tc, backward_kernels_add, GDFO__NN_ISA_BASE, GDFO__NN_ISA_AVX512 + 1);
	tcase_add_loop_test(tc, attention_matches_reference, GDFO__NN_ISA_BASE, GDFO__NN_ISA_AVX512 + 1);
	tcase_add_loop_test(tc, sparse_backward_matches_dense, GDFO__NN_ISA_BASE, GDFO__NN_ISA_AVX512 + 1);
	tcase_add_test(tc, attribution_dense);
	tcase_add_test(tc, attribution_sparse);
	tcase_add_test(tc, attribution_errors);
	tcase_add_test(tc, tensor_table);
	tcase_add_test(tc, weights_roundtrip_and_rejects);
	tcase_add_test(tc, features_from_graph);
	tcase_add_test(tc, forward_allocates_nothing);
	tcase_add_test(tc, concurrent_forwards);
	tcase_add_test(tc, bad_input);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
