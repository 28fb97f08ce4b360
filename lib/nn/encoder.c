/*
 * The graph encoder's parameters: options, the one-block layout with its
 * table of named views, initialization, and the AdamW step.
 */
#include <math.h>
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

static void add_view(gdfo_nn_encoder *enc, const char *name, size_t rows, size_t cols, int decay)
{
	gdfo__nn_view *v = &enc->views[enc->n_views++];

	snprintf(v->name, sizeof(v->name), "%s", name);
	v->rows = rows;
	v->cols = cols;
	v->offset = enc->n_params;
	v->decay = decay;
	/* 16-float alignment keeps every matrix 64-byte aligned for BLAS */
	enc->n_params += (rows * cols + 15) & ~(size_t)15;
}

int gdfo__nn_layout(gdfo_nn_encoder *enc)
{
	size_t C = enc->C, l;
	char name[40];
	static const char *const layer_names[] = {
		"ln1_g", "ln1_b", "qkv_w", "qkv_b", "rel_bias", "proj_w", "proj_b",
		"ln2_g", "ln2_b", "fc_w", "fc_b", "fc2_w", "fc2_b"
	};

	enc->views = gdfo__calloc(9 + 13 * enc->L, sizeof(*enc->views));
	if (!enc->views)
		return GDFO_ENOMEM;
	enc->n_views = 0;
	enc->n_params = 0;
	add_view(enc, "in_w", enc->F, C, 1);
	add_view(enc, "in_b", 1, C, 0);
	add_view(enc, "token", 1, C, 0);
	for (l = 0; l < enc->L; l++) {
		size_t shapes[13][2] = {
			{1, C}, {1, C}, {C, 3 * C}, {1, 3 * C}, {enc->H, GDFO_NN_RELATIONS},
			{C, C}, {1, C}, {1, C}, {1, C}, {C, 4 * C}, {1, 4 * C}, {4 * C, C}, {1, C}
		};
		size_t k;
		for (k = 0; k < 13; k++) {
			int decay = shapes[k][0] > 1 && k != 4;
			snprintf(name, sizeof(name), "layers.%zu.%s", l, layer_names[k]);
			add_view(enc, name, shapes[k][0], shapes[k][1], decay);
		}
	}
	add_view(enc, "lnf_g", 1, C, 0);
	add_view(enc, "lnf_b", 1, C, 0);
	if (enc->Ws) {
		add_view(enc, "stage_head_w", C, enc->Ws, 1);
		add_view(enc, "stage_head_b", 1, enc->Ws, 0);
	}
	if (enc->Wp) {
		add_view(enc, "pipeline_head_w", 2 * C, enc->Wp, 1);
		add_view(enc, "pipeline_head_b", 1, enc->Wp, 0);
	}
	return 0;
}

void gdfo__nn_bind(const gdfo_nn_encoder *enc, gdfo__nn_params *p, float *base)
{
	size_t i = 0, l;
	const gdfo__nn_view *v = enc->views;
	gdfo__nn_layer *layers = p->layers;

	memset(p, 0, sizeof(*p));
	p->layers = layers;
	p->in_w = base + v[i++].offset;
	p->in_b = base + v[i++].offset;
	p->token = base + v[i++].offset;
	for (l = 0; l < enc->L; l++) {
		gdfo__nn_layer *y = &p->layers[l];
		y->ln1_g = base + v[i++].offset;
		y->ln1_b = base + v[i++].offset;
		y->qkv_w = base + v[i++].offset;
		y->qkv_b = base + v[i++].offset;
		y->rel_bias = base + v[i++].offset;
		y->proj_w = base + v[i++].offset;
		y->proj_b = base + v[i++].offset;
		y->ln2_g = base + v[i++].offset;
		y->ln2_b = base + v[i++].offset;
		y->fc_w = base + v[i++].offset;
		y->fc_b = base + v[i++].offset;
		y->fc2_w = base + v[i++].offset;
		y->fc2_b = base + v[i++].offset;
	}
	p->lnf_g = base + v[i++].offset;
	p->lnf_b = base + v[i++].offset;
	if (enc->Ws) {
		p->sh_w = base + v[i++].offset;
		p->sh_b = base + v[i++].offset;
	}
	if (enc->Wp) {
		p->ph_w = base + v[i++].offset;
		p->ph_b = base + v[i++].offset;
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
		const char *base = strrchr(v->name, '.');
		base = base ? base + 1 : v->name;
		if (!strcmp(base, "ln1_g") || !strcmp(base, "ln2_g") || !strcmp(base, "lnf_g")) {
			for (j = 0; j < n; j++)
				w[j] = 1.0f;
		} else if (v->decay || !strcmp(base, "token")) {
			double std = 0.02;
			if (!strcmp(base, "proj_w") || !strcmp(base, "fc2_w"))
				std *= resid;
			for (j = 0; j < n; j++)
				w[j] = (float)(std * next_normal(&s));
		}
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
