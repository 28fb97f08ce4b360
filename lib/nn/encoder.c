/*
 * The graph encoder's parameters: options, the one-block layout with its
 * table of named views, initialization, and the AdamW step.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/abi.h"
#include "nn/nn_internal.h"

int gdfo_nn_options_init(gdfo_nn_options *opts, unsigned int version)
{
	gdfo_nn_options d;
	memset(&d, 0, sizeof(d));
	d.n_features = GDFO_NN_FEATURES;
	d.d_model = 64;
	d.n_layers = 2;
	d.n_heads = 4;
	d.sparse_threshold = 256;
	d.sparse_hops = 3;
	d.n_stage_heads = 1;
	d.stage_head_widths[0] = 1;
	d.n_pipeline_heads = 1;
	d.pipeline_head_widths[0] = 1;
	d.seed = 1;
	return gdfo__abi_init(opts, version, &d, GDFO__ABI_NN_OPTIONS, "gdfo_nn_options_init");
}

int gdfo__nn_check_options(const gdfo_nn_options *o)
{
	uint32_t i;

	if (!o)
		return gdfo__error(GDFO_EINVAL, "encoder options are NULL");
	if (gdfo__abi_check(o, GDFO__ABI_NN_OPTIONS, "encoder options"))
		return GDFO_EVERSION;
	if (o->n_features < 1 || o->n_features > 4096)
		return gdfo__error(GDFO_EINVAL, "encoder options: n_features %u is not in 1..4096",
				   o->n_features);
	if (o->n_heads < 1 || o->n_heads > GDFO__NN_MAX_ATT_HEADS)
		return gdfo__error(GDFO_EINVAL, "encoder options: n_heads %u is not in 1..%d",
				   o->n_heads, GDFO__NN_MAX_ATT_HEADS);
	if (o->d_model < 1 || o->d_model > 4096 || o->d_model % o->n_heads)
		return gdfo__error(GDFO_EINVAL,
				   "encoder options: d_model %u is not in 1..4096 or not a multiple of n_heads %u",
				   o->d_model, o->n_heads);
	if (o->n_layers > 64)
		return gdfo__error(GDFO_EINVAL, "encoder options: n_layers %u is not in 0..64",
				   o->n_layers);
	if (o->sparse_hops < 1 || o->sparse_hops > 64)
		return gdfo__error(GDFO_EINVAL, "encoder options: sparse_hops %u is not in 1..64",
				   o->sparse_hops);
	if (o->n_stage_heads > GDFO_NN_MAX_HEADS || o->n_pipeline_heads > GDFO_NN_MAX_HEADS)
		return gdfo__error(GDFO_EINVAL,
				   "encoder options: at most %d stage and %d pipeline heads",
				   GDFO_NN_MAX_HEADS, GDFO_NN_MAX_HEADS);
	for (i = 0; i < o->n_stage_heads; i++)
		if (o->stage_head_widths[i] < 1 || o->stage_head_widths[i] > 4096)
			return gdfo__error(GDFO_EINVAL,
					   "encoder options: stage_head_widths[%u] = %u is not in 1..4096",
					   i, o->stage_head_widths[i]);
	for (i = 0; i < o->n_pipeline_heads; i++)
		if (o->pipeline_head_widths[i] < 1 || o->pipeline_head_widths[i] > 4096)
			return gdfo__error(GDFO_EINVAL,
					   "encoder options: pipeline_head_widths[%u] = %u is not in 1..4096",
					   i, o->pipeline_head_widths[i]);
	return 0;
}

/*
 * The encoder's tensors, in checkpoint order: the one list from which the
 * names, the layout of the parameter block (and so of the gradients, the
 * AdamW moments and the weights file), the binding of gdfo__nn_params and
 * the initialization all come. Per-layer rows repeat for every layer, as
 * "layers.<l>.<name>", where their block of rows stands. A tensor with an
 * empty shape (a head of width 0) does not exist and its pointer is NULL.
 */
enum dim { ONE, F, C, C2, C3, C4, H, REL, WS, WP };
enum init { ZERO, ONES, NORMAL, NORMAL_RESID };

typedef struct tensor_spec {
	const char *name;
	int layer;     /* 1: a member of gdfo__nn_layer, repeated per layer */
	size_t field;  /* offset of its pointer in gdfo__nn_params or gdfo__nn_layer */
	enum dim rows, cols;
	int decay;     /* AdamW weight decay applies */
	enum init init;
} tensor_spec;

#define TOP(f) 0, offsetof(gdfo__nn_params, f)
#define LAYER(f) 1, offsetof(gdfo__nn_layer, f)

static const tensor_spec tensor_specs[] = {
	{"in_w", TOP(in_w), F, C, 1, NORMAL},
	{"in_b", TOP(in_b), ONE, C, 0, ZERO},
	{"token", TOP(token), ONE, C, 0, NORMAL},
	{"ln1_g", LAYER(ln1_g), ONE, C, 0, ONES},
	{"ln1_b", LAYER(ln1_b), ONE, C, 0, ZERO},
	{"qkv_w", LAYER(qkv_w), C, C3, 1, NORMAL},
	{"qkv_b", LAYER(qkv_b), ONE, C3, 0, ZERO},
	{"rel_bias", LAYER(rel_bias), H, REL, 0, ZERO},
	{"proj_w", LAYER(proj_w), C, C, 1, NORMAL_RESID},
	{"proj_b", LAYER(proj_b), ONE, C, 0, ZERO},
	{"ln2_g", LAYER(ln2_g), ONE, C, 0, ONES},
	{"ln2_b", LAYER(ln2_b), ONE, C, 0, ZERO},
	{"fc_w", LAYER(fc_w), C, C4, 1, NORMAL},
	{"fc_b", LAYER(fc_b), ONE, C4, 0, ZERO},
	{"fc2_w", LAYER(fc2_w), C4, C, 1, NORMAL_RESID},
	{"fc2_b", LAYER(fc2_b), ONE, C, 0, ZERO},
	{"lnf_g", TOP(lnf_g), ONE, C, 0, ONES},
	{"lnf_b", TOP(lnf_b), ONE, C, 0, ZERO},
	{"stage_head_w", TOP(sh_w), C, WS, 1, NORMAL},
	{"stage_head_b", TOP(sh_b), ONE, WS, 0, ZERO},
	{"pipeline_head_w", TOP(ph_w), C2, WP, 1, NORMAL},
	{"pipeline_head_b", TOP(ph_b), ONE, WP, 0, ZERO},
};

#undef TOP
#undef LAYER

#define N_SPECS (sizeof(tensor_specs) / sizeof(tensor_specs[0]))

static size_t count_specs(int layer)
{
	size_t i, n = 0;

	for (i = 0; i < N_SPECS; i++)
		n += tensor_specs[i].layer == layer;
	return n;
}

static size_t dim_size(const gdfo_nn_encoder *enc, enum dim d)
{
	switch (d) {
	case ONE: return 1;
	case F: return enc->F;
	case C: return enc->C;
	case C2: return 2 * enc->C;
	case C3: return 3 * enc->C;
	case C4: return 4 * enc->C;
	case H: return enc->H;
	case REL: return GDFO_NN_RELATIONS;
	case WS: return enc->Ws;
	case WP: return enc->Wp;
	}
	return 0;
}

static void add_view(gdfo_nn_encoder *enc, const tensor_spec *t, size_t layer)
{
	gdfo__nn_view *v;
	size_t rows = dim_size(enc, t->rows), cols = dim_size(enc, t->cols);

	if (!rows || !cols)
		return;
	v = &enc->views[enc->n_views++];
	if (t->layer)
		snprintf(v->name, sizeof(v->name), "layers.%zu.%s", layer, t->name);
	else
		snprintf(v->name, sizeof(v->name), "%s", t->name);
	v->rows = rows;
	v->cols = cols;
	v->offset = enc->n_params;
	v->decay = t->decay;
	v->init = (int)t->init;
	v->layer = t->layer ? (int)layer : -1;
	v->field = t->field;
	/* 16-float alignment keeps every matrix 64-byte aligned for BLAS */
	enc->n_params += (rows * cols + 15) & ~(size_t)15;
}

int gdfo__nn_layout(gdfo_nn_encoder *enc)
{
	size_t i, j, l;

	/* every pointer of the parameter structs has its row in the table */
	_Static_assert(sizeof(gdfo__nn_layer) == 13 * sizeof(float *), "gdfo__nn_layer changed");
	_Static_assert(sizeof(gdfo__nn_params) == 9 * sizeof(float *) + sizeof(gdfo__nn_layer *),
		       "gdfo__nn_params changed");
	enc->views = gdfo__calloc(count_specs(0) + count_specs(1) * enc->L, sizeof(*enc->views));
	if (!enc->views)
		return GDFO_ENOMEM;
	enc->n_views = 0;
	enc->n_params = 0;
	for (i = 0; i < N_SPECS; i++) {
		if (!tensor_specs[i].layer) {
			add_view(enc, &tensor_specs[i], 0);
			continue;
		}
		/* the block of per-layer rows, layer by layer */
		for (l = 0; l < enc->L; l++)
			for (j = i; j < N_SPECS && tensor_specs[j].layer; j++)
				add_view(enc, &tensor_specs[j], l);
		while (i + 1 < N_SPECS && tensor_specs[i + 1].layer)
			i++;
	}
	return 0;
}

void gdfo__nn_bind(const gdfo_nn_encoder *enc, gdfo__nn_params *p, float *base)
{
	gdfo__nn_layer *layers = p->layers;
	size_t i;

	memset(p, 0, sizeof(*p));
	memset(layers, 0, enc->L * sizeof(*layers));
	p->layers = layers;
	for (i = 0; i < enc->n_views; i++) {
		const gdfo__nn_view *v = &enc->views[i];
		char *owner = v->layer < 0 ? (char *)p : (char *)&layers[v->layer];
		float *at = base + v->offset;
		memcpy(owner + v->field, &at, sizeof(at));
	}
}

/* splitmix64 and Box-Muller: reproducible weights on every platform. */
static uint64_t next_u64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static double next_normal(uint64_t *s)
{
	double u1 = ((double)(next_u64(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
	double u2 = (double)(next_u64(s) >> 11) * (1.0 / 9007199254740992.0);
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static void init_weights(gdfo_nn_encoder *enc)
{
	uint64_t s = enc->opts.seed;
	size_t i, j;
	double resid = enc->L ? 1.0 / sqrt(2.0 * (double)enc->L) : 1.0;

	memset(enc->params, 0, enc->n_params * sizeof(float));
	for (i = 0; i < enc->n_views; i++) {
		const gdfo__nn_view *v = &enc->views[i];
		float *w = enc->params + v->offset;
		size_t n = v->rows * v->cols;
		double std = v->init == NORMAL_RESID ? 0.02 * resid : 0.02;
		if (v->init == ONES)
			for (j = 0; j < n; j++)
				w[j] = 1.0f;
		else if (v->init == NORMAL || v->init == NORMAL_RESID)
			for (j = 0; j < n; j++)
				w[j] = (float)(std * next_normal(&s));
	}
}

int gdfo_nn_create(gdfo_nn_encoder **out, const gdfo_nn_options *options)
{
	gdfo_nn_options full;
	const gdfo_nn_options *opts = &full;
	gdfo_nn_encoder *enc;
	uint32_t i;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_create: out is NULL");
	*out = NULL;
	if ((rc = gdfo__abi_in(&full, options, NULL, GDFO__ABI_NN_OPTIONS, "gdfo_nn_create")) ||
	    (rc = gdfo__nn_check_options(opts)) < 0)
		return rc;
	enc = gdfo__calloc(1, sizeof(*enc));
	if (!enc)
		return GDFO_ENOMEM;
	enc->opts = *opts;
	enc->C = opts->d_model;
	enc->H = opts->n_heads;
	enc->D = enc->C / enc->H;
	enc->L = opts->n_layers;
	enc->F = opts->n_features;
	for (i = 0; i < opts->n_stage_heads; i++)
		enc->Ws += opts->stage_head_widths[i];
	for (i = 0; i < opts->n_pipeline_heads; i++)
		enc->Wp += opts->pipeline_head_widths[i];
	/* unused width slots are zero so that options compare equal */
	for (i = opts->n_stage_heads; i < GDFO_NN_MAX_HEADS; i++)
		enc->opts.stage_head_widths[i] = 0;
	for (i = opts->n_pipeline_heads; i < GDFO_NN_MAX_HEADS; i++)
		enc->opts.pipeline_head_widths[i] = 0;
	if ((rc = gdfo__nn_layout(enc)) < 0)
		goto fail;
	enc->p.layers = gdfo__calloc(enc->L ? enc->L : 1, sizeof(gdfo__nn_layer));
	enc->g.layers = gdfo__calloc(enc->L ? enc->L : 1, sizeof(gdfo__nn_layer));
	enc->params = gdfo__calloc(enc->n_params, sizeof(float));
	if (!enc->p.layers || !enc->g.layers || !enc->params) {
		rc = GDFO_ENOMEM;
		goto fail;
	}
	gdfo__nn_bind(enc, &enc->p, enc->params);
	init_weights(enc);
	*out = enc;
	return 0;
fail:
	gdfo_nn_free(enc);
	return rc;
}

void gdfo_nn_free(gdfo_nn_encoder *enc)
{
	if (!enc)
		return;
	free(enc->views);
	free(enc->p.layers);
	free(enc->g.layers);
	free(enc->params);
	free(enc->grads);
	free(enc->m);
	free(enc->v);
	free(enc);
}

int gdfo_nn_get_options(gdfo_nn_options *out, const gdfo_nn_encoder *enc)
{
	if (!out || !enc)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_get_options: NULL argument");
	return gdfo__abi_out(out, &enc->opts, GDFO__ABI_NN_OPTIONS, "gdfo_nn_get_options");
}

size_t gdfo_nn_param_count(const gdfo_nn_encoder *enc)
{
	size_t i, n = 0;

	if (!enc)
		return 0;
	for (i = 0; i < enc->n_views; i++)
		n += enc->views[i].rows * enc->views[i].cols;
	return n;
}

size_t gdfo_nn_tensor_count(const gdfo_nn_encoder *enc)
{
	return enc ? enc->n_views : 0;
}

int gdfo_nn_tensor_at(gdfo_nn_tensor *out, const gdfo_nn_encoder *enc, size_t index)
{
	const gdfo__nn_view *v;
	gdfo_nn_tensor t;

	if (!out || !enc)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_tensor_at: NULL argument");
	if (index >= enc->n_views)
		return gdfo__error(GDFO_ERANGE, "tensor index %zu is out of range (the encoder has %zu)",
				   index, enc->n_views);
	v = &enc->views[index];
	memset(&t, 0, sizeof(t));
	t.name = v->name;
	t.rows = v->rows;
	t.cols = v->cols;
	t.data = enc->params + v->offset;
	t.grad = enc->grads ? enc->grads + v->offset : NULL;
	t.decay = v->decay;
	return gdfo__abi_out(out, &t, GDFO__ABI_NN_TENSOR, "gdfo_nn_tensor_at");
}

int gdfo_nn_tensor_data(float **out, gdfo_nn_encoder *enc, size_t index)
{
	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_tensor_data: out is NULL");
	*out = NULL;
	if (!enc)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_tensor_data: enc is NULL");
	if (index >= enc->n_views)
		return gdfo__error(GDFO_ERANGE, "tensor index %zu is out of range (the encoder has %zu)",
				   index, enc->n_views);
	*out = enc->params + enc->views[index].offset;
	return 0;
}

int gdfo_nn_tensor_find(gdfo_nn_tensor *out, const gdfo_nn_encoder *enc, const char *name)
{
	size_t i;

	if (!out || !enc || !name)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_tensor_find: NULL argument");
	for (i = 0; i < enc->n_views; i++)
		if (!strcmp(enc->views[i].name, name))
			return gdfo_nn_tensor_at(out, enc, i);
	return gdfo__error(GDFO_ENOTFOUND, "the encoder has no tensor named '%s'", name);
}

int gdfo__nn_ensure_grads(gdfo_nn_encoder *enc)
{
	if (enc->grads)
		return 0;
	enc->grads = gdfo__calloc(enc->n_params, sizeof(float));
	if (!enc->grads)
		return GDFO_ENOMEM;
	gdfo__nn_bind(enc, &enc->g, enc->grads);
	return 0;
}

int gdfo_nn_zero_grad(gdfo_nn_encoder *enc)
{
	int rc;

	if (!enc)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_zero_grad: enc is NULL");
	if ((rc = gdfo__nn_ensure_grads(enc)) < 0)
		return rc;
	memset(enc->grads, 0, enc->n_params * sizeof(float));
	return 0;
}

int gdfo_nn_adamw_init(gdfo_nn_adamw *opts, unsigned int version)
{
	gdfo_nn_adamw d;
	memset(&d, 0, sizeof(d));
	d.lr = 1e-3f;
	d.beta1 = 0.9f;
	d.beta2 = 0.999f;
	d.eps = 1e-8f;
	d.weight_decay = 0.01f;
	d.max_grad_norm = 1.0f;
	return gdfo__abi_init(opts, version, &d, GDFO__ABI_NN_ADAMW, "gdfo_nn_adamw_init");
}

int gdfo_nn_step(gdfo_nn_encoder *enc, const gdfo_nn_adamw *opts, float *out_grad_norm)
{
	gdfo_nn_adamw full;
	const gdfo_nn_adamw *o;
	double norm2 = 0.0, norm, scale = 1.0, bc1, bc2;
	size_t i, j;
	int rc;

	if (out_grad_norm)
		*out_grad_norm = 0.0f;
	if (!enc || !opts)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_step: NULL argument");
	if ((rc = gdfo__abi_in(&full, opts, NULL, GDFO__ABI_NN_ADAMW, "gdfo_nn_step")))
		return rc;
	o = &full;
	if (!(o->lr >= 0.0f) || !(o->beta1 >= 0.0f && o->beta1 < 1.0f) ||
	    !(o->beta2 >= 0.0f && o->beta2 < 1.0f) || !(o->eps > 0.0f) ||
	    !(o->weight_decay >= 0.0f) || !gdfo__finite(o->lr) || !gdfo__finite(o->weight_decay) ||
	    !gdfo__finite(o->max_grad_norm))
		return gdfo__error(GDFO_EINVAL,
				   "AdamW options out of range (need lr >= 0, 0 <= beta < 1, eps > 0, weight_decay >= 0, all finite)");
	if (!enc->grads)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_step: no gradients (run gdfo_nn_backward first)");
	if (!enc->m) {
		enc->m = gdfo__calloc(enc->n_params, sizeof(float));
		enc->v = gdfo__calloc(enc->n_params, sizeof(float));
		if (!enc->m || !enc->v) {
			free(enc->m);
			free(enc->v);
			enc->m = enc->v = NULL;
			return GDFO_ENOMEM;
		}
	}
	for (i = 0; i < enc->n_params; i++)
		norm2 += (double)enc->grads[i] * enc->grads[i];
	norm = sqrt(norm2);
	if (!gdfo__finite(norm))
		return gdfo__error(GDFO_ERANGE, "gdfo_nn_step: the gradient is not finite; no step taken");
	if (out_grad_norm)
		*out_grad_norm = (float)norm;
	if (o->max_grad_norm > 0.0f && norm > o->max_grad_norm)
		scale = o->max_grad_norm / (norm + 1e-6);
	enc->steps++;
	bc1 = 1.0 - pow(o->beta1, (double)enc->steps);
	bc2 = 1.0 - pow(o->beta2, (double)enc->steps);
	for (i = 0; i < enc->n_views; i++) {
		const gdfo__nn_view *vw = &enc->views[i];
		float *p = enc->params + vw->offset, *g = enc->grads + vw->offset;
		float *m = enc->m + vw->offset, *v = enc->v + vw->offset;
		float decay = vw->decay ? 1.0f - o->lr * o->weight_decay : 1.0f;
		size_t n = vw->rows * vw->cols;
		for (j = 0; j < n; j++) {
			float gj = (float)(g[j] * scale);
			float mh, vh;
			m[j] = o->beta1 * m[j] + (1.0f - o->beta1) * gj;
			v[j] = o->beta2 * v[j] + (1.0f - o->beta2) * gj * gj;
			mh = (float)(m[j] / bc1);
			vh = (float)(v[j] / bc2);
			p[j] = p[j] * decay - o->lr * mh / (sqrtf(vh) + o->eps);
		}
	}
	memset(enc->grads, 0, enc->n_params * sizeof(float));
	return 0;
}

uint64_t gdfo_nn_step_count(const gdfo_nn_encoder *enc)
{
	return enc ? enc->steps : 0;
}
