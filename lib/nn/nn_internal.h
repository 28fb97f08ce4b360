/*
 * The graph encoder's representation and kernels, shared by the files of
 * lib/nn and the tests.
 *
 * Dimension letters, the one set every shape comment in lib/nn uses:
 *   B pipelines of a batch, S stages of a batch, R = S + B token rows of a
 *   batch, T tokens of one pipeline (its stages + 1), N rows handed to a
 *   kernel (R, T or part of them), L layers, C = d_model, H heads,
 *   D = C / H, F features, E attention entries of one pipeline per head
 *   (T*T dense, neighbourhood pairs sparse), n entries of one row or of one
 *   query's neighbourhood, K and M the inner and output widths of a matrix
 *   product, Ws and Wp the summed stage and pipeline head widths,
 *   REL = GDFO_NN_RELATIONS.
 * A shape with a stride says so: "(N, C), row stride ld".
 *
 * Kernels follow llm.c: one function per layer and direction; arguments
 * are outputs, saved-for-backward, inputs, weights, sizes; a backward
 * kernel takes the gradients it writes first and ADDS into them (callers
 * zero a gradient buffer before its first use).
 */
#ifndef GDFO_NN_INTERNAL_H
#define GDFO_NN_INTERNAL_H

#include <stdlib.h>

#include "core/internal.h"
#include "gdfo/nn.h"

#define GDFO__NN_MAX_TENSORS 512
#define GDFO__NN_MAX_ATT_HEADS 64 /* n_heads limit of the options */

/*
 * One tensor of an encoder, expanded from the table in encoder.c: its
 * name, shape, place in the parameter block, and where gdfo__nn_bind puts
 * its pointer.
 */
typedef struct gdfo__nn_view {
	char name[40];
	size_t rows, cols;
	size_t offset; /* in floats from the block's start */
	int decay;
	int init;      /* encoder.c's enum init */
	int layer;     /* -1 for a member of gdfo__nn_params, else its layer */
	size_t field;  /* offset of the pointer in gdfo__nn_params or gdfo__nn_layer */
} gdfo__nn_view;

/* Named views of one block (parameters or gradients); encoder.c's table says what each is. */
typedef struct gdfo__nn_layer {
	float *ln1_g, *ln1_b;   /* (C) */
	float *qkv_w, *qkv_b;   /* (C, 3C), (3C) */
	float *rel_bias;        /* (H, GDFO_NN_RELATIONS) */
	float *proj_w, *proj_b; /* (C, C), (C) */
	float *ln2_g, *ln2_b;   /* (C) */
	float *fc_w, *fc_b;     /* (C, 4C), (4C) */
	float *fc2_w, *fc2_b;   /* (4C, C), (C) */
} gdfo__nn_layer;

/* Pointers into one block (parameters or gradients). */
typedef struct gdfo__nn_params {
	float *in_w, *in_b, *token;  /* (F, C), (C), (C) */
	gdfo__nn_layer *layers;      /* L */
	float *lnf_g, *lnf_b;        /* (C) */
	float *sh_w, *sh_b;          /* (C, Ws), (Ws); NULL when Ws = 0 */
	float *ph_w, *ph_b;          /* (2C, Wp), (Wp); NULL when Wp = 0 */
} gdfo__nn_params;

struct gdfo_nn_encoder {
	gdfo_nn_options opts;
	size_t C, H, D, L, F, Ws, Wp;
	size_t n_params;
	gdfo__nn_view *views;
	size_t n_views;
	float *params;
	float *grads; /* NULL until training starts */
	float *m, *v; /* AdamW moments, NULL until the first step */
	uint64_t steps;
	gdfo__nn_params p, g;
};

typedef struct gdfo__nn_pipe {
	size_t T;          /* tokens: stages + 1 */
	size_t row;        /* first token row in the batch (the pipeline token) */
	size_t stage;      /* first stage in the batch */
	int sparse;
	size_t E;          /* attention entries per head */
	size_t att;        /* offset of this pipeline's entries per head (prefix of E) */
	uint8_t *rel;      /* dense: (T, T) relation of key j to query i */
	uint32_t *nb_start; /* sparse: (T + 1) */
	uint32_t *nb_idx;   /* sparse: (E) key tokens, ascending per query */
	uint8_t *nb_rel;    /* sparse: (E) */
} gdfo__nn_pipe;

struct gdfo_nn_batch {
	size_t B, S, R;
	size_t E_total;  /* sum of E over pipelines */
	size_t E_max;    /* largest E */
	size_t T_max;
	gdfo__nn_pipe *pipes;
	void *mem;       /* relation and neighbourhood arrays of every pipeline */
};

/* Layout of the parameter block; fills enc->views, n_views, n_params. */
int gdfo__nn_layout(gdfo_nn_encoder *enc);
/* Points a params struct at base using enc's layout. */
void gdfo__nn_bind(const gdfo_nn_encoder *enc, gdfo__nn_params *p, float *base);
/* Checks an options struct; the message names the field. */
int gdfo__nn_check_options(const gdfo_nn_options *o);
/* Allocates and zeroes the gradient block if missing. */
int gdfo__nn_ensure_grads(gdfo_nn_encoder *enc);

/* ---- kernels.c: row and elementwise kernels, per CPU (AVX-512, AVX2+FMA or baseline) ---- */

/*
 * Caps the instruction set the kernels pick (on a CPU that has it) and
 * returns the previous cap; for the tests, which compare every path with
 * the reference. Not thread-safe: call with no kernel running.
 */
#define GDFO__NN_ISA_BASE 0
#define GDFO__NN_ISA_AVX2 1   /* AVX2 + FMA */
#define GDFO__NN_ISA_AVX512 2 /* AVX-512 F, VL, BW, DQ (GELU only) */
int gdfo__nn_isa_limit(int level);

/* out[j] = bias[rel[j]]; rel values below REL */
void gdfo__nn_bias_fill(float *out,         // (n)
			const uint8_t *rel, // (n)
			const float *bias,  // (REL)
			size_t n);
/* backward of the bias fill: dbias[rel[j]] += dout[j] */
void gdfo__nn_bias_fill_backward(float *dbias,       // (REL)
				 const float *dout,  // (n)
				 const uint8_t *rel, // (n)
				 size_t n);
/* softmax of scores given in base 2 (natural scores times GDFO__NN_LOG2E), in place */
#define GDFO__NN_LOG2E 1.44269504088896341f
void gdfo__nn_softmax_base2(float *row, // (n)
			    size_t n);
/*
 * the same, and the probabilities copied to acc (first = 1) or added to it
 * (first = 0) in the pass that writes them: the heads' sum of the forward
 */
void gdfo__nn_softmax_base2_sum(float *row, // (n)
				float *acc, // (n)
				int first, size_t n);
/* dinp += p * (dout - sum(p * dout)), the backward of a softmax with output p */
void gdfo__nn_softmax_backward(float *dinp,       // (n)
			       const float *dout, // (n)
			       const float *p,    // (n)
			       size_t n);
/*
 * One query's sparse attention over its n neighbours, all heads; P holds
 * entry e of head h at P[h * ps + e]; bias2 and scale2 in base 2.
 */
void gdfo__nn_sparse_attention_row(float *out,         // (C)
				   float *P,           // (H, n), row stride ps
				   size_t ps,
				   const float *q,     // (C) the query's Q part
				   const float *qkv,   // (T, 3C) the pipeline's rows
				   const uint32_t *idx, // (n) key tokens
				   const uint8_t *rel, // (n)
				   const float *bias2, // (H, REL)
				   float scale2, size_t n, size_t C, size_t H);
/* its backward for query i; ADDS into dqkv and drel_bias */
void gdfo__nn_sparse_attention_row_backward(float *dqkv,        // (T, 3C)
					    float *drel_bias,   // (H, REL)
					    float *dP,          // (n) scratch
					    float *dS,          // (n) scratch
					    const float *dout,  // (C) the query's output gradient
					    const float *qkv,   // (T, 3C)
					    const float *P,     // (H, n), row stride ps
					    size_t ps, size_t i,
					    const uint32_t *idx, // (n)
					    const uint8_t *rel, // (n)
					    float scale, size_t n, size_t C, size_t H);
/* out = inp + bias, row by row */
void gdfo__nn_rows_plus(float *out,        // (N, C)
			const float *inp,  // (N, C)
			const float *bias, // (C)
			size_t N, size_t C);
/* acc += the column sums of x */
void gdfo__nn_colsum_add(float *acc,     // (C)
			 const float *x, // (N, C), row stride ld
			 size_t ld, size_t N, size_t C);
void gdfo__nn_layernorm_forward(float *out,        // (N, C)
				float *mean,       // (N)
				float *rstd,       // (N)
				const float *inp,  // (N, C)
				const float *g,    // (C)
				const float *b,    // (C)
				size_t N, size_t C);
void gdfo__nn_layernorm_backward(float *dinp,       // (N, C)
				 float *dg,         // (C)
				 float *db,         // (C)
				 const float *dout, // (N, C)
				 const float *inp,  // (N, C)
				 const float *g,    // (C)
				 const float *mean, // (N)
				 const float *rstd, // (N)
				 size_t N, size_t C);
void gdfo__nn_gelu_forward(float *out,       // (n)
			   const float *inp, // (n)
			   size_t n);
void gdfo__nn_gelu_backward(float *dinp,       // (n)
			    const float *dout, // (n)
			    const float *inp,  // (n)
			    size_t n);

/* ---- forward.c: products over BLAS and attention ---- */

/* out = inp weight + bias (bias may be NULL) */
void gdfo__nn_matmul_forward(float *out,          // (N, M), row stride ldo
			     size_t ldo,
			     const float *inp,    // (N, K), row stride ldi
			     size_t ldi,
			     const float *weight, // (K, M)
			     const float *bias,   // (M) or NULL
			     size_t N, size_t K, size_t M);
/*
 * Backward of gdfo__nn_matmul_forward, ADDING: dinp += dout weight^T,
 * dweight += inp^T dout, dbias += colsum(dout); any of them may be NULL.
 */
void gdfo__nn_matmul_backward(float *dinp,          // (N, K)
			      float *dweight,       // (K, M)
			      float *dbias,         // (M)
			      const float *dout,    // (N, M), row stride ldd
			      size_t ldd,
			      const float *inp,     // (N, K), row stride ldi
			      size_t ldi,
			      const float *weight,  // (K, M)
			      size_t N, size_t K, size_t M);
/*
 * Attention of one pipeline from its qkv rows; att keeps the probabilities
 * when keep is 1, else is scratch reused by every block of queries. psum,
 * when not NULL, receives the probabilities summed over the heads (what
 * gdfo__nn_attention reads after an inference forward).
 */
void gdfo__nn_attention_forward(float *out,            // (T, C)
				float *att,            // (H, E)
				int keep,
				float *psum,           // (E) or NULL
				const float *qkv,      // (T, 3C)
				const gdfo__nn_pipe *pp,
				const float *rel_bias, // (H, REL)
				size_t C, size_t H);

/*
 * Makes inference forwards on ws keep what gdfo__nn_attention needs: per
 * layer but the last, each pipeline's attention probabilities summed over
 * heads ((L - 1) * E floats, E = the attention entries of a batch, T^2 per
 * dense pipeline). Costs the forward 1-2 % at 128 stages
 * (docs/encoder.md), hence not by default. The memory is sized now for the
 * batches the workspace has room for (the last forward's results are
 * dropped) and grows with it, so forwards still allocate nothing. Training
 * workspaces keep every probability anyway (nothing to do).
 * Errors: GDFO_EINVAL (NULL), GDFO_ENOMEM (ws unchanged). Not thread-safe
 * for ws.
 */
int gdfo__nn_workspace_keep_attention(gdfo_nn_workspace *ws);

/*
 * Attention attribution (docs/encoder.md, "Attention attribution"): after
 * a successful gdfo_nn_forward of batch on ws (a training workspace, or an
 * inference workspace after gdfo__nn_workspace_keep_attention), writes to out[j], j < n_out, the share stage j of pipeline
 * `pipeline` has in the final embedding of the query token: stage
 * query_stage of that pipeline, or the pipeline token when query_stage is
 * GDFO__NN_QUERY_TOKEN. The shares come from attention rollout (Abnar &
 * Zuidema 2020) over every layer: per layer A = I/2 + (mean over heads of
 * the attention probabilities)/2, whose rows sum to 1; the query's row of
 * A_L ... A_1 (last layer first) is taken over the pipeline's tokens, the
 * pipeline token's own share is dropped and the stages' shares are divided
 * by their sum, so out is non-negative and sums to 1. A stage query keeps
 * at least 2^-L of the row for itself before that division (the residual
 * path). Pairs the sparse path drops have probability 0 at that layer.
 * With no layers, a stage query is all on itself and the pipeline token's
 * shares are uniform (1 / n_out each).
 * Errors: GDFO_EINVAL (NULL; an inference workspace that does not keep
 * attention; no successful forward on ws; the last forward was of another
 * batch; n_out is not the pipeline's stage count), GDFO_ERANGE (pipeline
 * or query_stage out of range), GDFO_ENOMEM (scratch of 3 T floats, or
 * 2 T + H n + C for a sparse query of n neighbours). Reads ws, batch and
 * (inference: the last layer's relation biases) the encoder, writes
 * nothing they hold: any number of threads may call it on the same
 * workspace at once, but not during a forward on it or a change of the
 * encoder's weights.
 */
#define GDFO__NN_QUERY_TOKEN SIZE_MAX
int gdfo__nn_attention(float *out, // (n_out)
		       size_t n_out, const gdfo_nn_workspace *ws, const gdfo_nn_batch *batch,
		       size_t pipeline, size_t query_stage);

/* ---- reference.c: plain versions in double precision, for the tests ---- */
#define GDFO_NN_REF_MAX_HEAD 4096
void gdfo__nn_ref_bias_fill(float *out,         // (n)
			    const uint8_t *rel, // (n)
			    const float *bias,  // (REL)
			    size_t n);
void gdfo__nn_ref_softmax(float *row, // (n)
			  size_t n);
void gdfo__nn_ref_softmax_backward(float *dinp,       // (n)
				   const float *dout, // (n)
				   const float *p,    // (n)
				   size_t n);
void gdfo__nn_ref_layernorm_forward(float *out,       // (N, C)
				    float *mean,      // (N)
				    float *rstd,      // (N)
				    const float *inp, // (N, C)
				    const float *g,   // (C)
				    const float *b,   // (C)
				    size_t N, size_t C);
void gdfo__nn_ref_layernorm_backward(float *dinp,       // (N, C)
				     float *dg,         // (C)
				     float *db,         // (C)
				     const float *dout, // (N, C)
				     const float *inp,  // (N, C)
				     const float *g,    // (C)
				     const float *mean, // (N)
				     const float *rstd, // (N)
				     size_t N, size_t C);
void gdfo__nn_ref_gelu_forward(float *out,       // (n)
			       const float *inp, // (n)
			       size_t n);
void gdfo__nn_ref_gelu_backward(float *dinp,       // (n)
				const float *dout, // (n)
				const float *inp,  // (n)
				size_t n);
void gdfo__nn_ref_attention(float *out,            // (T, C)
			    const float *qkv,      // (T, 3C)
			    const gdfo__nn_pipe *pp,
			    const float *rel_bias, // (H, REL)
			    size_t C, size_t H);
/* the probabilities of that attention, 0 where the sparse path drops a pair */
void gdfo__nn_ref_attention_probs(double *P,             // (H, T, T)
				  const float *qkv,      // (T, 3C)
				  const gdfo__nn_pipe *pp,
				  const float *rel_bias, // (H, REL)
				  size_t C, size_t H);
/*
 * Attention rollout with full matrices: R = A_{L-1} ... A_0, A_l = I/2 +
 * mean over heads of P_l / 2; out = row q of R (over all T tokens).
 */
void gdfo__nn_ref_attention_rollout(double *out,     // (T)
				    double *scratch, // (3, T, T)
				    const double *P, // (L, H, T, T)
				    size_t L, size_t H, size_t T, size_t q);

/* Columns of the feature vector the field tables give (must equal GDFO_NN_FEATURES). */
size_t gdfo__nn_feature_count(void);

#endif
