/*
 * The encoder's forward and backward passes over BLAS (llm.c style: one
 * function per layer and direction; backward functions ADD into the
 * gradients they are given).
 *
 * Dimension letters: R token rows of the batch, T tokens of a pipeline,
 * C model width, H heads, D = C / H, F features, E attention entries of a
 * pipeline per head, W head width.
 */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "core/abi.h"
#include "nn/nn_internal.h"

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)
/* scores of one block of query rows in dense attention (floats; 256 KiB, half an L2) */
#define ATT_BLOCK_FLOATS 65536

typedef struct ws_layer {
	float *ln1, *ln1_mean, *ln1_rstd; /* (R, C), (R), (R) */
	float *qkv;                       /* (R, 3C) */
	float *att;                       /* training: (H * E_total) softmax probabilities;
					     inference: scratch for one pipeline (att_scratch) */
	float *atty;                      /* (R, C) heads' outputs, before the projection */
	float *res1;                      /* (R, C) */
	float *ln2, *ln2_mean, *ln2_rstd; /* (R, C), (R), (R) */
	float *fch, *fchg;                /* (R, 4C) before and after GELU */
	float *res2;                      /* (R, C) the layer's output */
} ws_layer;

struct gdfo_nn_workspace {
	const gdfo_nn_encoder *enc;
	uint32_t flags;
	size_t cap_R, cap_E, cap_Emax, cap_A, cap_B;
	float *mem;
	ws_layer *layers; /* L slots when training, else 1 */
	float *feat;      /* (S, F) */
	float *x0;        /* (R, C) */
	float *lnf, *lnf_mean, *lnf_rstd; /* (R, C), (R), (R) */
	float *pool;      /* (B, 2C) */
	float *hs;        /* (R, Ws) */
	/* backward scratch (training only) */
	float *dres, *dln, *dqkv, *datty, *dfch; /* (R, C), (R, C), (R, 3C), (R, C), (R, 4C) */
	float *dS;        /* (Emax) */
	float *dpool;     /* (B, 2C) */
	float *dhs;       /* (R, Ws) */
	const gdfo_nn_batch *batch; /* of the last forward */
};

/* Query rows per block of the dense attention of a pipeline of T tokens. */
static size_t dense_block_rows(size_t T)
{
	size_t nblk = (T * T + ATT_BLOCK_FLOATS - 1) / ATT_BLOCK_FLOATS;

	nblk = nblk > T ? T : (nblk ? nblk : 1);
	return (T + nblk - 1) / nblk;
}

/*
 * Floats of attention scratch an inference forward needs for the batch:
 * one block of scores for a dense pipeline (reused by every block and head),
 * every head's entries for a sparse one.
 */
static size_t att_scratch(const gdfo_nn_batch *b, size_t H)
{
	size_t i, need = 0;

	for (i = 0; i < b->B; i++) {
		const gdfo__nn_pipe *pp = &b->pipes[i];
		size_t n = pp->sparse ? H * pp->E : dense_block_rows(pp->T) * pp->T;
		need = n > need ? n : need;
	}
	return need;
}

/* Lays out the workspace for the given capacities; base NULL only measures. */
static size_t ws_layout(gdfo_nn_workspace *ws, float *base, size_t R, size_t E, size_t Emax,
			size_t A, size_t B)
{
	const gdfo_nn_encoder *enc = ws->enc;
	size_t C = enc->C, H = enc->H, off = 0, l;
	size_t slots = (ws->flags & GDFO_NN_TRAINING) ? enc->L : (enc->L ? 1 : 0);
#define TAKE(p, n) do { (p) = base ? base + off : NULL; off += ALIGN16(n); } while (0)
	for (l = 0; l < slots; l++) {
		ws_layer *y = &ws->layers[l];
		TAKE(y->ln1, R * C);
		TAKE(y->ln1_mean, R);
		TAKE(y->ln1_rstd, R);
		TAKE(y->qkv, 3 * R * C);
		TAKE(y->att, (ws->flags & GDFO_NN_TRAINING) ? H * E : A);
		TAKE(y->atty, R * C);
		TAKE(y->res1, R * C);
		TAKE(y->ln2, R * C);
		TAKE(y->ln2_mean, R);
		TAKE(y->ln2_rstd, R);
		TAKE(y->fch, 4 * R * C);
		TAKE(y->fchg, 4 * R * C);
		TAKE(y->res2, R * C);
	}
	TAKE(ws->feat, R * enc->F);
	TAKE(ws->x0, R * C);
	TAKE(ws->lnf, R * C);
	TAKE(ws->lnf_mean, R);
	TAKE(ws->lnf_rstd, R);
	TAKE(ws->pool, B * 2 * C);
	TAKE(ws->hs, R * enc->Ws);
	if (ws->flags & GDFO_NN_TRAINING) {
		TAKE(ws->dres, R * C);
		TAKE(ws->dln, R * C);
		TAKE(ws->dqkv, 3 * R * C);
		TAKE(ws->datty, R * C);
		TAKE(ws->dfch, 4 * R * C);
		TAKE(ws->dS, Emax);
		TAKE(ws->dpool, B * 2 * C);
		TAKE(ws->dhs, R * enc->Ws);
	}
#undef TAKE
	return off;
}

static int ws_reserve(gdfo_nn_workspace *ws, const gdfo_nn_batch *b)
{
	size_t R, E, Emax, A = att_scratch(b, ws->enc->H), B, n;
	float *mem;

	if (b->R <= ws->cap_R && b->E_total <= ws->cap_E && b->E_max <= ws->cap_Emax &&
	    A <= ws->cap_A && b->B <= ws->cap_B && ws->mem)
		return 0;
	R = b->R > ws->cap_R ? b->R : ws->cap_R;
	E = b->E_total > ws->cap_E ? b->E_total : ws->cap_E;
	Emax = b->E_max > ws->cap_Emax ? b->E_max : ws->cap_Emax;
	A = A > ws->cap_A ? A : ws->cap_A;
	B = b->B > ws->cap_B ? b->B : ws->cap_B;
	n = ws_layout(ws, NULL, R, E, Emax, A, B);
	if (n > SIZE_MAX / sizeof(float))
		return gdfo__error(GDFO_ENOMEM, "encoder workspace of %zu floats is too large", n);
	mem = aligned_alloc(64, ALIGN16(n) * sizeof(float));
	if (!mem)
		return gdfo__error(GDFO_ENOMEM, "out of memory for an encoder workspace of %zu MiB",
				   n * sizeof(float) >> 20);
	free(ws->mem);
	ws->mem = mem;
	ws_layout(ws, mem, R, E, Emax, A, B);
	ws->cap_R = R;
	ws->cap_E = E;
	ws->cap_Emax = Emax;
	ws->cap_A = A;
	ws->cap_B = B;
	ws->batch = NULL;
	return 0;
}

int gdfo_nn_workspace_create(gdfo_nn_workspace **out, const gdfo_nn_encoder *enc,
			     const gdfo_nn_batch *hint, uint32_t flags)
{
	gdfo_nn_workspace *ws;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_workspace_create: out is NULL");
	*out = NULL;
	if (!enc)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_workspace_create: enc is NULL");
	if (flags & ~GDFO_NN_TRAINING)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_workspace_create: unknown flags 0x%x",
				   flags & ~GDFO_NN_TRAINING);
	ws = gdfo__calloc(1, sizeof(*ws));
	if (!ws)
		return GDFO_ENOMEM;
	ws->enc = enc;
	ws->flags = flags;
	ws->layers = gdfo__calloc(enc->L ? enc->L : 1, sizeof(ws_layer));
	if (!ws->layers) {
		free(ws);
		return GDFO_ENOMEM;
	}
	if (hint && (rc = ws_reserve(ws, hint)) < 0) {
		gdfo_nn_workspace_free(ws);
		return rc;
	}
	*out = ws;
	return 0;
}

void gdfo_nn_workspace_free(gdfo_nn_workspace *ws)
{
	if (!ws)
		return;
	free(ws->mem);
	free(ws->layers);
	free(ws);
}

/* ---- kernels ----------------------------------------------------------- */

/* out = in W + bias for rows of in (N, K), W (K, M), out (N, M) with leading dims. */
static void matmul_bias(float *out, size_t ldo, const float *in, size_t ldi, const float *w,
			const float *bias, size_t N, size_t K, size_t M)
{
	size_t i;

	if (!N)
		return;
	for (i = 0; i < N; i++) {
		if (bias)
			memcpy(out + i * ldo, bias, M * sizeof(float));
		else
			memset(out + i * ldo, 0, M * sizeof(float));
	}
	if (K)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, (int)M, (int)K, 1.0f,
			    in, (int)ldi, w, (int)M, 1.0f, out, (int)ldo);
}

/*
 * Backward of out = in W + bias: dW (K, M) += in^T dout, dbias (M) +=
 * colsum(dout), din (N, K) (+)= dout W^T (beta 0 overwrites, 1 adds).
 */
static void matmul_backward(float *din, float din_beta, float *dw, float *dbias,
			    const float *dout, size_t ldd, const float *in, size_t ldi,
			    const float *w, size_t N, size_t K, size_t M)
{
	if (!N)
		return;
	if (dw && K)
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)M, (int)N, 1.0f,
			    in, (int)ldi, dout, (int)ldd, 1.0f, dw, (int)M);
	if (dbias)
		gdfo__nn_colsum_add(dbias, dout, ldd, N, M);
	if (din && K)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, (int)K, (int)M, 1.0f,
			    dout, (int)ldd, w, (int)M, din_beta, din, (int)K);
}

/*
 * Multi-head attention of one pipeline. qkv (T, 3C) rows of the pipeline,
 * out (T, C), att (H, E) probabilities; when keep is 0 (inference) the
 * dense path reuses the start of att for every block instead of keeping all
 * of them, so the block stays in cache.
 */
void gdfo__nn_attention_forward(float *out, float *att, int keep, const float *qkv,
				const gdfo__nn_pipe *pp, const float *rel_bias, size_t C, size_t H)
{
	size_t T = pp->T, D = C / H, C3 = 3 * C, h, i, e;
	/* scores are computed in base 2: log2(e) folds into the scale and bias */
	/* n_heads is at most GDFO__NN_MAX_ATT_HEADS (checked with the options) */
	float scale2 = GDFO__NN_LOG2E / sqrtf((float)D);
	float bias2[GDFO__NN_MAX_ATT_HEADS * GDFO_NN_RELATIONS];

	if (!pp->sparse) {
		/*
		 * Query rows go in blocks whose scores fit in L2, so that the bias
		 * fill, the QK^T product (beta 1 adds it onto the bias, and BLAS
		 * skips its separate beta pass), the softmax and the PV product all
		 * find the block in cache. Blocks are of equal size (to a row).
		 */
		size_t blk = dense_block_rows(T), i0, nb;
		for (h = 0; h < H; h++) {
			for (e = 0; e < GDFO_NN_RELATIONS; e++)
				bias2[e] = GDFO__NN_LOG2E * rel_bias[h * GDFO_NN_RELATIONS + e];
			for (i0 = 0; i0 < T; i0 += nb) {
				float *S = keep ? att + h * pp->E + i0 * T : att;
				nb = T - i0 < blk ? T - i0 : blk;
				gdfo__nn_bias_fill(S, pp->rel + i0 * T, bias2, nb * T);
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)T,
					    (int)D, scale2, qkv + i0 * C3 + h * D, (int)C3,
					    qkv + C + h * D, (int)C3, 1.0f, S, (int)T);
				for (i = 0; i < nb; i++)
					gdfo__nn_softmax_base2(S + i * T, T);
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nb, (int)D,
					    (int)T, 1.0f, S, (int)T, qkv + 2 * C + h * D, (int)C3, 0.0f,
					    out + i0 * C + h * D, (int)C);
			}
		}
		return;
	}
	for (e = 0; e < H * GDFO_NN_RELATIONS; e++)
		bias2[e] = GDFO__NN_LOG2E * rel_bias[e];
	for (i = 0; i < T; i++) {
		size_t e0 = pp->nb_start[i], e1 = pp->nb_start[i + 1];
		gdfo__nn_sparse_attention_row(out + i * C, att + e0, pp->E, qkv + i * C3, qkv,
					      pp->nb_idx + e0, pp->nb_rel + e0, bias2, scale2,
					      e1 - e0, C, H);
	}
}

/*
 * Backward of gdfo__nn_attention_forward: dqkv (T, 3C) (must be zeroed by the
 * caller; written for this pipeline's rows), drel_bias (H, RELATIONS) +=,
 * from dout (T, C). dS is (H * E) scratch.
 */
static void attention_backward(float *dqkv, float *drel_bias, float *dS, const float *dout,
			       const float *qkv, const float *att, const gdfo__nn_pipe *pp,
			       size_t C, size_t H)
{
	size_t T = pp->T, D = C / H, C3 = 3 * C, h, i, j;
	float scale = 1.0f / sqrtf((float)D);

	if (!pp->sparse) {
		for (h = 0; h < H; h++) {
			const float *P = att + h * pp->E;
			float *dP = dS;
			float *db = drel_bias + h * GDFO_NN_RELATIONS;
			/* dP (T, T) = dO_h V_h^T */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)T, (int)D,
				    1.0f, dout + h * D, (int)C, qkv + 2 * C + h * D, (int)C3, 0.0f,
				    dP, (int)T);
			/* dV_h (T, D) += P^T dO_h */
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)T, (int)D, (int)T,
				    1.0f, P, (int)T, dout + h * D, (int)C, 1.0f,
				    dqkv + 2 * C + h * D, (int)C3);
			for (i = 0; i < T; i++) {
				float *d = dP + i * T;
				const uint8_t *rel = pp->rel + i * T;
				gdfo__nn_softmax_backward(d, P + i * T, T);
				for (j = 0; j < T; j++)
					db[rel[j]] += d[j];
			}
			/* dQ_h += scale dS K_h; dK_h += scale dS^T Q_h */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)T, (int)D, (int)T,
				    scale, dP, (int)T, qkv + C + h * D, (int)C3, 1.0f, dqkv + h * D,
				    (int)C3);
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)T, (int)D, (int)T,
				    scale, dP, (int)T, qkv + h * D, (int)C3, 1.0f,
				    dqkv + C + h * D, (int)C3);
		}
		return;
	}
	for (i = 0; i < T; i++) {
		size_t e0 = pp->nb_start[i], e1 = pp->nb_start[i + 1];
		gdfo__nn_sparse_attention_row_backward(dqkv, drel_bias, dS, dout + i * C, qkv,
						       att + e0, pp->E, i, pp->nb_idx + e0,
						       pp->nb_rel + e0, scale, e1 - e0, C, H);
	}
}

/* ---- forward ----------------------------------------------------------- */

int gdfo_nn_forward(gdfo_nn_workspace *ws, const gdfo_nn_batch *batch, const float *features,
		    const gdfo_nn_outputs *out)
{
	const gdfo_nn_encoder *enc;
	const gdfo__nn_params *P;
	size_t R, C, H, F, b, i, j, l;
	const float *x;
	int rc;

	if (!ws || !batch || !features)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_forward: NULL argument");
	if (out && (rc = gdfo__abi_check(out, GDFO__ABI_NN_OUTPUTS, "gdfo_nn_forward")))
		return rc;
	enc = ws->enc;
	P = &enc->p;
	if ((rc = ws_reserve(ws, batch)) < 0)
		return rc;
	ws->batch = NULL;
	R = batch->R;
	C = enc->C;
	H = enc->H;
	F = enc->F;
	for (i = 0; i < batch->S * F; i++)
		if (!isfinite(features[i]))
			return gdfo__error(GDFO_EINVAL,
					   "gdfo_nn_forward: feature [%zu][%zu] is not finite", i / F,
					   i % F);
	memcpy(ws->feat, features, batch->S * F * sizeof(float));

	/* input projection; the pipeline token is a learned vector */
	for (b = 0; b < batch->B; b++) {
		const gdfo__nn_pipe *pp = &batch->pipes[b];
		memcpy(ws->x0 + pp->row * C, P->token, C * sizeof(float));
		matmul_bias(ws->x0 + (pp->row + 1) * C, C, ws->feat + pp->stage * F, F, P->in_w,
			    P->in_b, pp->T - 1, F, C);
	}
	x = ws->x0;
	for (l = 0; l < enc->L; l++) {
		const gdfo__nn_layer *w = &P->layers[l];
		ws_layer *y = &ws->layers[(ws->flags & GDFO_NN_TRAINING) ? l : 0];
		gdfo__nn_layernorm_forward(y->ln1, y->ln1_mean, y->ln1_rstd, x, w->ln1_g, w->ln1_b, R, C);
		matmul_bias(y->qkv, 3 * C, y->ln1, C, w->qkv_w, w->qkv_b, R, C, 3 * C);
		for (b = 0; b < batch->B; b++) {
			const gdfo__nn_pipe *pp = &batch->pipes[b];
			int keep = !!(ws->flags & GDFO_NN_TRAINING);
			float *att = keep ? y->att + H * pp->att : y->att;
			gdfo__nn_attention_forward(y->atty + pp->row * C, att, keep,
						   y->qkv + pp->row * 3 * C, pp, w->rel_bias, C, H);
		}
		/* res1 = x + atty Wp + bp */
		gdfo__nn_rows_plus(y->res1, x, w->proj_b, R, C);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)R, (int)C, (int)C, 1.0f,
			    y->atty, (int)C, w->proj_w, (int)C, 1.0f, y->res1, (int)C);
		gdfo__nn_layernorm_forward(y->ln2, y->ln2_mean, y->ln2_rstd, y->res1, w->ln2_g, w->ln2_b, R, C);
		matmul_bias(y->fch, 4 * C, y->ln2, C, w->fc_w, w->fc_b, R, C, 4 * C);
		gdfo__nn_gelu_forward(y->fchg, y->fch, R * 4 * C);
		gdfo__nn_rows_plus(y->res2, y->res1, w->fc2_b, R, C);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)R, (int)C, (int)(4 * C),
			    1.0f, y->fchg, (int)(4 * C), w->fc2_w, (int)C, 1.0f, y->res2, (int)C);
		x = y->res2;
	}
	gdfo__nn_layernorm_forward(ws->lnf, ws->lnf_mean, ws->lnf_rstd, x, P->lnf_g, P->lnf_b, R, C);

	/* pooled pipeline representation: [token, mean of stages] */
	for (b = 0; b < batch->B; b++) {
		const gdfo__nn_pipe *pp = &batch->pipes[b];
		float *pool = ws->pool + b * 2 * C, inv = 1.0f / (float)(pp->T - 1);
		memcpy(pool, ws->lnf + pp->row * C, C * sizeof(float));
		memset(pool + C, 0, C * sizeof(float));
		for (i = 1; i < pp->T; i++)
			for (j = 0; j < C; j++)
				pool[C + j] += ws->lnf[(pp->row + i) * C + j];
		for (j = 0; j < C; j++)
			pool[C + j] *= inv;
	}
	if (out) {
		for (b = 0; b < batch->B; b++) {
			const gdfo__nn_pipe *pp = &batch->pipes[b];
			if (out->stage_embeddings)
				memcpy(out->stage_embeddings + pp->stage * C, ws->lnf + (pp->row + 1) * C,
				       (pp->T - 1) * C * sizeof(float));
			if (out->pipeline_embeddings)
				memcpy(out->pipeline_embeddings + b * C, ws->lnf + pp->row * C,
				       C * sizeof(float));
		}
		if (out->stage_heads && enc->Ws) {
			size_t W = enc->Ws;
			for (b = 0; b < batch->B; b++) {
				const gdfo__nn_pipe *pp = &batch->pipes[b];
				matmul_bias(out->stage_heads + pp->stage * W, W,
					    ws->lnf + (pp->row + 1) * C, C, P->sh_w, P->sh_b, pp->T - 1,
					    C, W);
			}
		}
		if (out->pipeline_heads && enc->Wp)
			matmul_bias(out->pipeline_heads, enc->Wp, ws->pool, 2 * C, P->ph_w, P->ph_b,
				    batch->B, 2 * C, enc->Wp);
	}
	ws->batch = batch;
	return 0;
}

/* ---- backward ---------------------------------------------------------- */

int gdfo_nn_backward(gdfo_nn_encoder *enc, gdfo_nn_workspace *ws,
		     const gdfo_nn_output_grads *grads, float *d_features)
{
	const gdfo_nn_batch *batch;
	gdfo__nn_params *P, *G;
	size_t R, C, H, F, b, i, j, l;
	int rc;

	if (!enc || !ws || !grads)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_backward: NULL argument");
	if ((rc = gdfo__abi_check(grads, GDFO__ABI_NN_OUTPUT_GRADS, "gdfo_nn_backward")))
		return rc;
	if (ws->enc != enc)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_backward: the workspace belongs to another encoder");
	if (!(ws->flags & GDFO_NN_TRAINING))
		return gdfo__error(GDFO_EINVAL,
				   "gdfo_nn_backward: the workspace was not created with GDFO_NN_TRAINING");
	if (!ws->batch)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_backward: no successful forward on this workspace");
	if ((rc = gdfo__nn_ensure_grads(enc)) < 0)
		return rc;
	batch = ws->batch;
	P = &enc->p;
	G = &enc->g;
	R = batch->R;
	C = enc->C;
	H = enc->H;
	F = enc->F;

	/* gradient at the final LayerNorm's output, in dln */
	memset(ws->dln, 0, R * C * sizeof(float));
	for (b = 0; b < batch->B; b++) {
		const gdfo__nn_pipe *pp = &batch->pipes[b];
		if (grads->stage_embeddings)
			for (i = 0; i < (pp->T - 1) * C; i++)
				ws->dln[(pp->row + 1) * C + i] += grads->stage_embeddings[pp->stage * C + i];
		if (grads->pipeline_embeddings)
			for (j = 0; j < C; j++)
				ws->dln[pp->row * C + j] += grads->pipeline_embeddings[b * C + j];
	}
	if (grads->stage_heads && enc->Ws) {
		size_t W = enc->Ws;
		for (b = 0; b < batch->B; b++) {
			const gdfo__nn_pipe *pp = &batch->pipes[b];
			matmul_backward(ws->dln + (pp->row + 1) * C, 1.0f, G->sh_w, G->sh_b,
					grads->stage_heads + pp->stage * W, W,
					ws->lnf + (pp->row + 1) * C, C, P->sh_w, pp->T - 1, C, W);
		}
	}
	if (grads->pipeline_heads && enc->Wp) {
		matmul_backward(ws->dpool, 0.0f, G->ph_w, G->ph_b, grads->pipeline_heads, enc->Wp,
				ws->pool, 2 * C, P->ph_w, batch->B, 2 * C, enc->Wp);
		for (b = 0; b < batch->B; b++) {
			const gdfo__nn_pipe *pp = &batch->pipes[b];
			const float *dp = ws->dpool + b * 2 * C;
			float inv = 1.0f / (float)(pp->T - 1);
			for (j = 0; j < C; j++)
				ws->dln[pp->row * C + j] += dp[j];
			for (i = 1; i < pp->T; i++)
				for (j = 0; j < C; j++)
					ws->dln[(pp->row + i) * C + j] += dp[C + j] * inv;
		}
	}
	memset(ws->dres, 0, R * C * sizeof(float));
	gdfo__nn_layernorm_backward(ws->dres, G->lnf_g, G->lnf_b, ws->dln,
			   enc->L ? ws->layers[enc->L - 1].res2 : ws->x0, P->lnf_g, ws->lnf_mean,
			   ws->lnf_rstd, R, C);

	for (l = enc->L; l-- > 0;) {
		const gdfo__nn_layer *w = &P->layers[l];
		gdfo__nn_layer *gw = &G->layers[l];
		ws_layer *y = &ws->layers[l];
		const float *x = l ? ws->layers[l - 1].res2 : ws->x0;
		/* res2 = res1 + fchg W2 + b2 */
		matmul_backward(ws->dfch, 0.0f, gw->fc2_w, gw->fc2_b, ws->dres, C, y->fchg, 4 * C,
				w->fc2_w, R, 4 * C, C);
		gdfo__nn_gelu_backward(ws->dfch, y->fch, R * 4 * C);
		matmul_backward(ws->dln, 0.0f, gw->fc_w, gw->fc_b, ws->dfch, 4 * C, y->ln2, C,
				w->fc_w, R, C, 4 * C);
		gdfo__nn_layernorm_backward(ws->dres, gw->ln2_g, gw->ln2_b, ws->dln, y->res1, w->ln2_g,
				   y->ln2_mean, y->ln2_rstd, R, C);
		/* res1 = x + atty Wp + bp */
		matmul_backward(ws->datty, 0.0f, gw->proj_w, gw->proj_b, ws->dres, C, y->atty, C,
				w->proj_w, R, C, C);
		memset(ws->dqkv, 0, R * 3 * C * sizeof(float));
		for (b = 0; b < batch->B; b++) {
			const gdfo__nn_pipe *pp = &batch->pipes[b];
			attention_backward(ws->dqkv + pp->row * 3 * C, gw->rel_bias, ws->dS,
					   ws->datty + pp->row * C, y->qkv + pp->row * 3 * C,
					   y->att + H * pp->att, pp, C, H);
		}
		matmul_backward(ws->dln, 0.0f, gw->qkv_w, gw->qkv_b, ws->dqkv, 3 * C, y->ln1, C,
				w->qkv_w, R, C, 3 * C);
		gdfo__nn_layernorm_backward(ws->dres, gw->ln1_g, gw->ln1_b, ws->dln, x, w->ln1_g,
				   y->ln1_mean, y->ln1_rstd, R, C);
	}

	/* input projection and token */
	for (b = 0; b < batch->B; b++) {
		const gdfo__nn_pipe *pp = &batch->pipes[b];
		for (j = 0; j < C; j++)
			G->token[j] += ws->dres[pp->row * C + j];
		matmul_backward(d_features ? d_features + pp->stage * F : NULL, 1.0f, G->in_w,
				G->in_b, ws->dres + (pp->row + 1) * C, C, ws->feat + pp->stage * F, F,
				P->in_w, pp->T - 1, F, C);
	}
	return 0;
}
