/*
 * The encoder's forward and backward passes over BLAS (llm.c style: one
 * function per layer and direction; backward functions ADD into the
 * gradients they are given; gdfo_nn_forward and gdfo_nn_backward are
 * sequences of kernel calls).
 *
 * Dimension letters as fixed in nn_internal.h (B, S, R, T, N, C, H, D, F,
 * E, K, M, Ws, Wp, REL).
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
	int keep_psum;    /* gdfo__nn_workspace_keep_attention was called (inference only) */
	size_t cap_R, cap_E, cap_Emax, cap_A, cap_B;
	float *mem;
	ws_layer *layers; /* L slots when training, else 1 */
	float *psum;      /* keep_psum: (L - 1, E) per layer but the last, each pipeline's
			     attention probabilities summed over heads, for
			     gdfo__nn_attention (training workspaces keep every head's;
			     the last layer's come from its qkv, still in the workspace) */
	float *feat;      /* (S, F) */
	float *x0;        /* (R, C) */
	float *lnf, *lnf_mean, *lnf_rstd; /* (R, C), (R), (R) */
	float *pool;      /* (B, 2C) */
	float *hs;        /* (R, Ws) */
	/* backward scratch (training only) */
	float *dres;      /* (R, C) gradient at the residual stream */
	float *dln;       /* (R, C) at a LayerNorm's output */
	float *dqkv;      /* (R, 3C) */
	float *datty;     /* (R, C) */
	float *dfch, *dfchg; /* (R, 4C) before and after GELU */
	float *dP, *dS;   /* (Emax) attention probabilities and scores of one pipeline and head */
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
	if (ws->keep_psum)
		TAKE(ws->psum, enc->L ? (enc->L - 1) * E : 0);
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
		TAKE(ws->dfchg, 4 * R * C);
		TAKE(ws->dP, Emax);
		TAKE(ws->dS, Emax);
		TAKE(ws->dpool, B * 2 * C);
		TAKE(ws->dhs, R * enc->Ws);
	}
#undef TAKE
	return off;
}

/*
 * Allocates the workspace's block for the given capacities. On failure the
 * old block keeps its layout (measuring set every pointer to NULL).
 */
static int ws_alloc(gdfo_nn_workspace *ws, size_t R, size_t E, size_t Emax, size_t A, size_t B)
{
	size_t n = ws_layout(ws, NULL, R, E, Emax, A, B);
	float *mem = n > SIZE_MAX / sizeof(float) ? NULL
						   : aligned_alloc(64, ALIGN16(n) * sizeof(float));

	if (!mem) {
		ws_layout(ws, ws->mem, ws->cap_R, ws->cap_E, ws->cap_Emax, ws->cap_A, ws->cap_B);
		if (n > SIZE_MAX / sizeof(float))
			return gdfo__error(GDFO_ENOMEM, "encoder workspace of %zu floats is too large", n);
		return gdfo__error(GDFO_ENOMEM, "out of memory for an encoder workspace of %zu MiB",
				   n * sizeof(float) >> 20);
	}
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

static int ws_reserve(gdfo_nn_workspace *ws, const gdfo_nn_batch *b)
{
	size_t A = att_scratch(b, ws->enc->H);

	if (b->R <= ws->cap_R && b->E_total <= ws->cap_E && b->E_max <= ws->cap_Emax &&
	    A <= ws->cap_A && b->B <= ws->cap_B && ws->mem)
		return 0;
	return ws_alloc(ws, b->R > ws->cap_R ? b->R : ws->cap_R,
			b->E_total > ws->cap_E ? b->E_total : ws->cap_E,
			b->E_max > ws->cap_Emax ? b->E_max : ws->cap_Emax, A > ws->cap_A ? A : ws->cap_A,
			b->B > ws->cap_B ? b->B : ws->cap_B);
}

int gdfo__nn_workspace_keep_attention(gdfo_nn_workspace *ws)
{
	int rc;

	if (!ws)
		return gdfo__error(GDFO_EINVAL, "gdfo__nn_workspace_keep_attention: ws is NULL");
	if (ws->keep_psum || (ws->flags & GDFO_NN_TRAINING))
		return 0;
	ws->keep_psum = 1;
	if (ws->mem && (rc = ws_alloc(ws, ws->cap_R, ws->cap_E, ws->cap_Emax, ws->cap_A,
				      ws->cap_B)) < 0) {
		ws->keep_psum = 0;
		ws_layout(ws, ws->mem, ws->cap_R, ws->cap_E, ws->cap_Emax, ws->cap_A, ws->cap_B);
		return rc;
	}
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

void gdfo__nn_matmul_forward(float *out,          // (N, M), row stride ldo
			     size_t ldo,
			     const float *inp,    // (N, K), row stride ldi
			     size_t ldi,
			     const float *weight, // (K, M)
			     const float *bias,   // (M) or NULL
			     size_t N, size_t K, size_t M)
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
			    inp, (int)ldi, weight, (int)M, 1.0f, out, (int)ldo);
}

void gdfo__nn_matmul_backward(float *dinp,         // (N, K) or NULL
			      float *dweight,      // (K, M) or NULL
			      float *dbias,        // (M) or NULL
			      const float *dout,   // (N, M), row stride ldd
			      size_t ldd,
			      const float *inp,    // (N, K), row stride ldi
			      size_t ldi,
			      const float *weight, // (K, M)
			      size_t N, size_t K, size_t M)
{
	if (!N)
		return;
	if (dweight && K)
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)M, (int)N, 1.0f,
			    inp, (int)ldi, dout, (int)ldd, 1.0f, dweight, (int)M);
	if (dbias)
		gdfo__nn_colsum_add(dbias, dout, ldd, N, M);
	if (dinp && K)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, (int)K, (int)M, 1.0f,
			    dout, (int)ldd, weight, (int)M, 1.0f, dinp, (int)K);
}

/*
 * A residual product: out = res + inp weight + bias. Its backward is
 * gdfo__nn_matmul_backward for the product; the gradient at out passes
 * to res unchanged, so the backward keeps one buffer for both.
 */
static void residual_matmul_forward(float *out,          // (N, M)
				    const float *res,    // (N, M)
				    const float *inp,    // (N, K)
				    const float *weight, // (K, M)
				    const float *bias,   // (M)
				    size_t N, size_t K, size_t M)
{
	gdfo__nn_rows_plus(out, res, bias, N, M);
	if (N && K)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, (int)M, (int)K, 1.0f,
			    inp, (int)K, weight, (int)M, 1.0f, out, (int)M);
}

/*
 * The input tokens: for each pipeline its learned token, then its stages'
 * features projected to C.
 */
static void embed_forward(float *x0,            // (R, C)
			  const float *feat,    // (S, F)
			  const float *token,   // (C)
			  const float *in_w,    // (F, C)
			  const float *in_b,    // (C)
			  const gdfo_nn_batch *batch, size_t C, size_t F)
{
	size_t b;

	for (b = 0; b < batch->B; b++) {
		const gdfo__nn_pipe *pp = &batch->pipes[b];
		memcpy(x0 + pp->row * C, token, C * sizeof(float));
		gdfo__nn_matmul_forward(x0 + (pp->row + 1) * C, C, feat + pp->stage * F, F, in_w,
					in_b, pp->T - 1, F, C);
	}
}

static void embed_backward(float *dtoken,        // (C)
			   float *din_w,         // (F, C)
			   float *din_b,         // (C)
			   float *dfeat,         // (S, F) or NULL
			   const float *dx0,     // (R, C)
			   const float *feat,    // (S, F)
			   const float *in_w,    // (F, C)
			   const gdfo_nn_batch *batch, size_t C, size_t F)
{
	size_t b, j;

	for (b = 0; b < batch->B; b++) {
		const gdfo__nn_pipe *pp = &batch->pipes[b];
		for (j = 0; j < C; j++)
			dtoken[j] += dx0[pp->row * C + j];
		gdfo__nn_matmul_backward(dfeat ? dfeat + pp->stage * F : NULL, din_w, din_b,
					 dx0 + (pp->row + 1) * C, C, feat + pp->stage * F, F, in_w,
					 pp->T - 1, F, C);
	}
}

/* The pooled pipeline representation: [its token's row, mean of its stage rows]. */
static void pool_forward(float *pool,       // (B, 2C)
			 const float *inp,  // (R, C)
			 const gdfo_nn_batch *batch, size_t C)
{
	size_t b, i, j;

	for (b = 0; b < batch->B; b++) {
		const gdfo__nn_pipe *pp = &batch->pipes[b];
		float *out = pool + b * 2 * C, inv = 1.0f / (float)(pp->T - 1);
		memcpy(out, inp + pp->row * C, C * sizeof(float));
		memset(out + C, 0, C * sizeof(float));
		for (i = 1; i < pp->T; i++)
			for (j = 0; j < C; j++)
				out[C + j] += inp[(pp->row + i) * C + j];
		for (j = 0; j < C; j++)
			out[C + j] *= inv;
	}
}

static void pool_backward(float *dinp,        // (R, C)
			  const float *dpool, // (B, 2C)
			  const gdfo_nn_batch *batch, size_t C)
{
	size_t b, i, j;

	for (b = 0; b < batch->B; b++) {
		const gdfo__nn_pipe *pp = &batch->pipes[b];
		const float *dp = dpool + b * 2 * C;
		float inv = 1.0f / (float)(pp->T - 1);
		for (j = 0; j < C; j++)
			dinp[pp->row * C + j] += dp[j];
		for (i = 1; i < pp->T; i++)
			for (j = 0; j < C; j++)
				dinp[(pp->row + i) * C + j] += dp[C + j] * inv;
	}
}

/* The stage rows of the token rows (each pipeline's rows after its token). */
static void stage_rows_forward(float *out,       // (S, C)
			       const float *inp, // (R, C)
			       const gdfo_nn_batch *batch, size_t C)
{
	size_t b;

	for (b = 0; b < batch->B; b++) {
		const gdfo__nn_pipe *pp = &batch->pipes[b];
		memcpy(out + pp->stage * C, inp + (pp->row + 1) * C, (pp->T - 1) * C * sizeof(float));
	}
}

static void stage_rows_backward(float *dinp,       // (R, C)
				const float *dout, // (S, C)
				const gdfo_nn_batch *batch, size_t C)
{
	size_t b, i;

	for (b = 0; b < batch->B; b++) {
		const gdfo__nn_pipe *pp = &batch->pipes[b];
		for (i = 0; i < (pp->T - 1) * C; i++)
			dinp[(pp->row + 1) * C + i] += dout[pp->stage * C + i];
	}
}

/* A product of the stage rows of the token rows: out = stage rows of inp, times w, plus bias. */
static void stage_matmul_forward(float *out,          // (S, M)
				 const float *inp,    // (R, C)
				 const float *weight, // (C, M)
				 const float *bias,   // (M)
				 const gdfo_nn_batch *batch, size_t C, size_t M)
{
	size_t b;

	for (b = 0; b < batch->B; b++) {
		const gdfo__nn_pipe *pp = &batch->pipes[b];
		gdfo__nn_matmul_forward(out + pp->stage * M, M, inp + (pp->row + 1) * C, C, weight,
					bias, pp->T - 1, C, M);
	}
}

static void stage_matmul_backward(float *dinp,          // (R, C)
				  float *dweight,       // (C, M)
				  float *dbias,         // (M)
				  const float *dout,    // (S, M)
				  const float *inp,     // (R, C)
				  const float *weight,  // (C, M)
				  const gdfo_nn_batch *batch, size_t C, size_t M)
{
	size_t b;

	for (b = 0; b < batch->B; b++) {
		const gdfo__nn_pipe *pp = &batch->pipes[b];
		gdfo__nn_matmul_backward(dinp + (pp->row + 1) * C, dweight, dbias, dout + pp->stage * M,
					 M, inp + (pp->row + 1) * C, C, weight, pp->T - 1, C, M);
	}
}

/* The pipeline tokens' rows of the token rows. */
static void token_rows_forward(float *out,       // (B, C)
			       const float *inp, // (R, C)
			       const gdfo_nn_batch *batch, size_t C)
{
	size_t b;

	for (b = 0; b < batch->B; b++)
		memcpy(out + b * C, inp + batch->pipes[b].row * C, C * sizeof(float));
}

static void token_rows_backward(float *dinp,       // (R, C)
				const float *dout, // (B, C)
				const gdfo_nn_batch *batch, size_t C)
{
	size_t b, j;

	for (b = 0; b < batch->B; b++)
		for (j = 0; j < C; j++)
			dinp[batch->pipes[b].row * C + j] += dout[b * C + j];
}

/*
 * Multi-head attention of one pipeline; when keep is 0 (inference) the
 * dense path reuses the start of att for every block instead of keeping all
 * of them, so the block stays in cache. psum, when not NULL, receives the
 * probabilities summed over heads, added while each block is in cache.
 */
void gdfo__nn_attention_forward(float *out,            // (T, C)
				float *att,            // (H, E)
				int keep,
				float *psum,           // (E) or NULL
				const float *qkv,      // (T, 3C)
				const gdfo__nn_pipe *pp,
				const float *rel_bias, // (H, REL)
				size_t C, size_t H)
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
					if (psum)
						gdfo__nn_softmax_base2_sum(S + i * T, psum + (i0 + i) * T,
									   h == 0, T);
					else
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
	if (psum) {
		memset(psum, 0, pp->E * sizeof(float));
		gdfo__nn_colsum_add(psum, att, pp->E, H, pp->E);
	}
}

/*
 * Backward of gdfo__nn_attention_forward, ADDING into dqkv and drel_bias;
 * dP and dS are scratch for one head.
 */
static void attention_backward(float *dqkv,            // (T, 3C)
			       float *drel_bias,       // (H, REL)
			       float *dP,              // (E) scratch
			       float *dS,              // (E) scratch
			       const float *dout,      // (T, C)
			       const float *qkv,       // (T, 3C)
			       const float *att,       // (H, E)
			       const gdfo__nn_pipe *pp, size_t C, size_t H)
{
	size_t T = pp->T, D = C / H, C3 = 3 * C, h, i;
	float scale = 1.0f / sqrtf((float)D);

	if (!pp->sparse) {
		for (h = 0; h < H; h++) {
			const float *P = att + h * pp->E;
			/* dP (T, T) = dO_h V_h^T */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)T, (int)D,
				    1.0f, dout + h * D, (int)C, qkv + 2 * C + h * D, (int)C3, 0.0f,
				    dP, (int)T);
			/* dV_h (T, D) += P^T dO_h */
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)T, (int)D, (int)T,
				    1.0f, P, (int)T, dout + h * D, (int)C, 1.0f,
				    dqkv + 2 * C + h * D, (int)C3);
			memset(dS, 0, T * T * sizeof(float));
			for (i = 0; i < T; i++) {
				gdfo__nn_softmax_backward(dS + i * T, dP + i * T, P + i * T, T);
				gdfo__nn_bias_fill_backward(drel_bias + h * GDFO_NN_RELATIONS, dS + i * T,
							    pp->rel + i * T, T);
			}
			/* dQ_h += scale dS K_h; dK_h += scale dS^T Q_h */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)T, (int)D, (int)T,
				    scale, dS, (int)T, qkv + C + h * D, (int)C3, 1.0f, dqkv + h * D,
				    (int)C3);
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)T, (int)D, (int)T,
				    scale, dS, (int)T, qkv + h * D, (int)C3, 1.0f,
				    dqkv + C + h * D, (int)C3);
		}
		return;
	}
	for (i = 0; i < T; i++) {
		size_t e0 = pp->nb_start[i], e1 = pp->nb_start[i + 1];
		gdfo__nn_sparse_attention_row_backward(dqkv, drel_bias, dP, dS, dout + i * C, qkv,
						       att + e0, pp->E, i, pp->nb_idx + e0,
						       pp->nb_rel + e0, scale, e1 - e0, C, H);
	}
}

/* ---- forward ----------------------------------------------------------- */

/* Where layer l's forward sums pipeline pp's heads: NULL when training or in the last layer. */
static float *psum_of(const gdfo_nn_workspace *ws, size_t l, const gdfo__nn_pipe *pp)
{
	if (!ws->keep_psum || l + 1 >= ws->enc->L)
		return NULL;
	return ws->psum + l * ws->cap_E + pp->att;
}

int gdfo_nn_forward(gdfo_nn_workspace *ws, const gdfo_nn_batch *batch, const float *features,
		    const gdfo_nn_outputs *out)
{
	const gdfo_nn_encoder *enc;
	const gdfo__nn_params *P;
	size_t R, C, H, F, b, i, l;
	int keep;
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
	keep = !!(ws->flags & GDFO_NN_TRAINING);
	for (i = 0; i < batch->S * F; i++)
		if (!isfinite(features[i]))
			return gdfo__error(GDFO_EINVAL,
					   "gdfo_nn_forward: feature [%zu][%zu] is not finite", i / F,
					   i % F);
	memcpy(ws->feat, features, batch->S * F * sizeof(float));

	embed_forward(ws->x0, ws->feat, P->token, P->in_w, P->in_b, batch, C, F);
	x = ws->x0;
	for (l = 0; l < enc->L; l++) {
		const gdfo__nn_layer *w = &P->layers[l];
		ws_layer *y = &ws->layers[keep ? l : 0];
		gdfo__nn_layernorm_forward(y->ln1, y->ln1_mean, y->ln1_rstd, x, w->ln1_g, w->ln1_b, R, C);
		gdfo__nn_matmul_forward(y->qkv, 3 * C, y->ln1, C, w->qkv_w, w->qkv_b, R, C, 3 * C);
		for (b = 0; b < batch->B; b++) {
			const gdfo__nn_pipe *pp = &batch->pipes[b];
			gdfo__nn_attention_forward(y->atty + pp->row * C, keep ? y->att + H * pp->att : y->att,
						   keep, psum_of(ws, l, pp),
						   y->qkv + pp->row * 3 * C, pp, w->rel_bias, C, H);
		}
		residual_matmul_forward(y->res1, x, y->atty, w->proj_w, w->proj_b, R, C, C);
		gdfo__nn_layernorm_forward(y->ln2, y->ln2_mean, y->ln2_rstd, y->res1, w->ln2_g, w->ln2_b, R, C);
		gdfo__nn_matmul_forward(y->fch, 4 * C, y->ln2, C, w->fc_w, w->fc_b, R, C, 4 * C);
		gdfo__nn_gelu_forward(y->fchg, y->fch, R * 4 * C);
		residual_matmul_forward(y->res2, y->res1, y->fchg, w->fc2_w, w->fc2_b, R, 4 * C, C);
		x = y->res2;
	}
	gdfo__nn_layernorm_forward(ws->lnf, ws->lnf_mean, ws->lnf_rstd, x, P->lnf_g, P->lnf_b, R, C);
	pool_forward(ws->pool, ws->lnf, batch, C);
	if (out && out->stage_embeddings)
		stage_rows_forward(out->stage_embeddings, ws->lnf, batch, C);
	if (out && out->pipeline_embeddings)
		token_rows_forward(out->pipeline_embeddings, ws->lnf, batch, C);
	if (out && out->stage_heads && enc->Ws)
		stage_matmul_forward(out->stage_heads, ws->lnf, P->sh_w, P->sh_b, batch, C, enc->Ws);
	if (out && out->pipeline_heads && enc->Wp)
		gdfo__nn_matmul_forward(out->pipeline_heads, enc->Wp, ws->pool, 2 * C, P->ph_w, P->ph_b,
					batch->B, 2 * C, enc->Wp);
	ws->batch = batch;
	return 0;
}

/* ---- backward ---------------------------------------------------------- */

int gdfo_nn_backward(gdfo_nn_encoder *enc, gdfo_nn_workspace *ws,
		     const gdfo_nn_output_grads *grads, float *d_features)
{
	const gdfo_nn_batch *batch;
	gdfo__nn_params *P, *G;
	size_t R, C, H, F, b, l;
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

	/* the gradient at the final LayerNorm's output, in dln, from every output */
	memset(ws->dln, 0, R * C * sizeof(float));
	if (grads->stage_embeddings)
		stage_rows_backward(ws->dln, grads->stage_embeddings, batch, C);
	if (grads->pipeline_embeddings)
		token_rows_backward(ws->dln, grads->pipeline_embeddings, batch, C);
	if (grads->stage_heads && enc->Ws)
		stage_matmul_backward(ws->dln, G->sh_w, G->sh_b, grads->stage_heads, ws->lnf, P->sh_w,
				      batch, C, enc->Ws);
	if (grads->pipeline_heads && enc->Wp) {
		memset(ws->dpool, 0, batch->B * 2 * C * sizeof(float));
		gdfo__nn_matmul_backward(ws->dpool, G->ph_w, G->ph_b, grads->pipeline_heads, enc->Wp,
					 ws->pool, 2 * C, P->ph_w, batch->B, 2 * C, enc->Wp);
		pool_backward(ws->dln, ws->dpool, batch, C);
	}
	memset(ws->dres, 0, R * C * sizeof(float));
	gdfo__nn_layernorm_backward(ws->dres, G->lnf_g, G->lnf_b, ws->dln,
				    enc->L ? ws->layers[enc->L - 1].res2 : ws->x0, P->lnf_g,
				    ws->lnf_mean, ws->lnf_rstd, R, C);

	/* dres is the gradient at res2, and (the residual passing it on) at res1 and x */
	for (l = enc->L; l-- > 0;) {
		const gdfo__nn_layer *w = &P->layers[l];
		gdfo__nn_layer *gw = &G->layers[l];
		ws_layer *y = &ws->layers[l];
		const float *x = l ? ws->layers[l - 1].res2 : ws->x0;
		memset(ws->dfchg, 0, R * 4 * C * sizeof(float));
		gdfo__nn_matmul_backward(ws->dfchg, gw->fc2_w, gw->fc2_b, ws->dres, C, y->fchg, 4 * C,
					 w->fc2_w, R, 4 * C, C);
		memset(ws->dfch, 0, R * 4 * C * sizeof(float));
		gdfo__nn_gelu_backward(ws->dfch, ws->dfchg, y->fch, R * 4 * C);
		memset(ws->dln, 0, R * C * sizeof(float));
		gdfo__nn_matmul_backward(ws->dln, gw->fc_w, gw->fc_b, ws->dfch, 4 * C, y->ln2, C,
					 w->fc_w, R, C, 4 * C);
		gdfo__nn_layernorm_backward(ws->dres, gw->ln2_g, gw->ln2_b, ws->dln, y->res1, w->ln2_g,
					    y->ln2_mean, y->ln2_rstd, R, C);
		memset(ws->datty, 0, R * C * sizeof(float));
		gdfo__nn_matmul_backward(ws->datty, gw->proj_w, gw->proj_b, ws->dres, C, y->atty, C,
					 w->proj_w, R, C, C);
		memset(ws->dqkv, 0, R * 3 * C * sizeof(float));
		for (b = 0; b < batch->B; b++) {
			const gdfo__nn_pipe *pp = &batch->pipes[b];
			attention_backward(ws->dqkv + pp->row * 3 * C, gw->rel_bias, ws->dP, ws->dS,
					   ws->datty + pp->row * C, y->qkv + pp->row * 3 * C,
					   y->att + H * pp->att, pp, C, H);
		}
		memset(ws->dln, 0, R * C * sizeof(float));
		gdfo__nn_matmul_backward(ws->dln, gw->qkv_w, gw->qkv_b, ws->dqkv, 3 * C, y->ln1, C,
					 w->qkv_w, R, C, 3 * C);
		gdfo__nn_layernorm_backward(ws->dres, gw->ln1_g, gw->ln1_b, ws->dln, x, w->ln1_g,
					    y->ln1_mean, y->ln1_rstd, R, C);
	}
	embed_backward(G->token, G->in_w, G->in_b, d_features, ws->dres, ws->feat, P->in_w, batch,
		       C, F);
	return 0;
}

/* ---- attention attribution ------------------------------------------- */

/*
 * One step of attention rollout for a row vector: w = v A with A = I/2 +
 * (P_0 + ... + P_{H-1}) / (2H) of one layer, given as np blocks of
 * summed probabilities (np = 1: the heads' sum an inference forward kept;
 * np = H: every head, as a training forward keeps them), block k at
 * P + k * pp->E.
 */
static void rollout_step(float *w,       // (T)
			 const float *v, // (T)
			 const float *P, // (np, E)
			 size_t np, const gdfo__nn_pipe *pp, size_t H)
{
	size_t T = pp->T, i, e, k;
	float c = 0.5f / (float)H;

	memcpy(w, v, T * sizeof(float));
	if (!pp->sparse) {
		for (k = 0; k < np; k++)
			cblas_sgemv(CblasRowMajor, CblasTrans, (int)T, (int)T, c, P + k * pp->E, (int)T,
				    v, 1, k ? 1.0f : 0.5f, w, 1);
		return;
	}
	for (i = 0; i < T; i++)
		w[i] *= 0.5f;
	for (i = 0; i < T; i++) {
		float a = c * v[i];
		if (a == 0.0f)
			continue;
		for (e = pp->nb_start[i]; e < pp->nb_start[i + 1]; e++) {
			float p = 0.0f;
			for (k = 0; k < np; k++)
				p += P[k * pp->E + e];
			w[pp->nb_idx[e]] += a * p;
		}
	}
}

/*
 * The heads' summed attention probabilities of query q in the last layer
 * of an inference forward, from that layer's qkv rows (still in the
 * workspace's one layer slot), computed as the forward computes them.
 */
static void last_layer_row(float *prow,    // (T)
			   float *scratch, // dense (T); sparse (H * n + C)
			   const gdfo_nn_workspace *ws, const gdfo__nn_pipe *pp, size_t q)
{
	const gdfo_nn_encoder *enc = ws->enc;
	const float *qkv = ws->layers[0].qkv + pp->row * 3 * enc->C;
	const float *rel_bias = enc->p.layers[enc->L - 1].rel_bias;
	size_t T = pp->T, C = enc->C, H = enc->H, D = C / H, C3 = 3 * C, h, e, k, e0, n;
	float scale2 = GDFO__NN_LOG2E / sqrtf((float)D);
	float bias2[GDFO__NN_MAX_ATT_HEADS * GDFO_NN_RELATIONS];

	for (e = 0; e < H * GDFO_NN_RELATIONS; e++)
		bias2[e] = GDFO__NN_LOG2E * rel_bias[e];
	if (!pp->sparse) {
		for (h = 0; h < H; h++) {
			gdfo__nn_bias_fill(scratch, pp->rel + q * T, bias2 + h * GDFO_NN_RELATIONS, T);
			cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)T, (int)D, scale2, qkv + C + h * D,
				    (int)C3, qkv + q * C3 + h * D, 1, 1.0f, scratch, 1);
			gdfo__nn_softmax_base2_sum(scratch, prow, h == 0, T);
		}
		return;
	}
	e0 = pp->nb_start[q];
	n = pp->nb_start[q + 1] - e0;
	/* the row's output (scratch + H n) is not needed, only its probabilities */
	gdfo__nn_sparse_attention_row(scratch + H * n, scratch, n, qkv + q * C3, qkv,
				      pp->nb_idx + e0, pp->nb_rel + e0, bias2, scale2, n, C, H);
	memset(prow, 0, T * sizeof(float));
	for (e = 0; e < n; e++)
		for (k = 0; k < H; k++)
			prow[pp->nb_idx[e0 + e]] += scratch[k * n + e];
}

int gdfo__nn_attention(float *out, size_t n_out, const gdfo_nn_workspace *ws,
		       const gdfo_nn_batch *batch, size_t pipeline, size_t query_stage)
{
	const gdfo__nn_pipe *pp;
	size_t T, L, H, l, j, q, n;
	float *mem, *v, *w, *t;
	double s = 0.0;

	if (!out || !ws || !batch)
		return gdfo__error(GDFO_EINVAL, "gdfo__nn_attention: NULL argument");
	if (!(ws->flags & GDFO_NN_TRAINING) && !ws->keep_psum)
		return gdfo__error(GDFO_EINVAL,
				   "gdfo__nn_attention: the workspace does not keep attention "
				   "(call gdfo__nn_workspace_keep_attention before the forward)");
	if (!ws->batch)
		return gdfo__error(GDFO_EINVAL,
				   "gdfo__nn_attention: no successful forward on this workspace");
	if (ws->batch != batch)
		return gdfo__error(GDFO_EINVAL,
				   "gdfo__nn_attention: the last forward on this workspace was of another batch");
	if (pipeline >= batch->B)
		return gdfo__error(GDFO_ERANGE,
				   "gdfo__nn_attention: pipeline %zu is out of range (the batch has %zu)",
				   pipeline, batch->B);
	pp = &batch->pipes[pipeline];
	T = pp->T;
	if (query_stage != GDFO__NN_QUERY_TOKEN && query_stage >= T - 1)
		return gdfo__error(GDFO_ERANGE,
				   "gdfo__nn_attention: stage %zu is out of range (pipeline %zu has %zu stages)",
				   query_stage, pipeline, T - 1);
	if (n_out != T - 1)
		return gdfo__error(GDFO_EINVAL,
				   "gdfo__nn_attention: n_out is %zu but pipeline %zu has %zu stages",
				   n_out, pipeline, T - 1);
	L = ws->enc->L;
	H = ws->enc->H;
	q = query_stage == GDFO__NN_QUERY_TOKEN ? 0 : query_stage + 1;
	/* v, w, then the last layer's scratch */
	n = pp->sparse ? H * (pp->nb_start[q + 1] - pp->nb_start[q]) + ws->enc->C : T;
	mem = gdfo__malloc((2 * T + n) * sizeof(float));
	if (!mem)
		return GDFO_ENOMEM;
	v = mem;
	w = mem + T;
	memset(v, 0, T * sizeof(float));
	v[q] = 1.0f;
	/* the query's row of A_L ... A_1, last layer first */
	for (l = L; l-- > 0;) {
		if (ws->flags & GDFO_NN_TRAINING) {
			rollout_step(w, v, ws->layers[l].att + H * pp->att, H, pp, H);
		} else if (l + 1 == L) {
			/* v is the query's indicator: w = v / 2 + (its row) / (2H) */
			last_layer_row(w, mem + 2 * T, ws, pp, q);
			for (j = 0; j < T; j++)
				w[j] *= 0.5f / (float)H;
			w[q] += 0.5f;
		} else {
			rollout_step(w, v, ws->psum + l * ws->cap_E + pp->att, 1, pp, H);
		}
		t = v;
		v = w;
		w = t;
	}
	for (j = 1; j < T; j++)
		s += v[j];
	for (j = 1; j < T; j++)
		out[j - 1] = s > 0.0 ? (float)(v[j] / s) : 1.0f / (float)(T - 1);
	free(mem);
	return 0;
}
