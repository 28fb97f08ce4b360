/*
 * The graph encoder's representation, shared by the files of lib/nn and the tests.
 *
 * Dimension letters (shape comments): R token rows of a batch (S stages +
 * B pipeline tokens), T tokens of one pipeline (its stages + 1), C = d_model,
 * H heads, D = C / H, F features, E attention entries of one pipeline per
 * head (T*T dense, neighbourhood pairs sparse).
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

/* Kernels (kernels.c); shapes: N rows, C columns, n elements. */
/* out (n) = bias[rel[j]]; rel values below GDFO_NN_RELATIONS */
void gdfo__nn_bias_fill(float *out, const uint8_t *rel, const float *bias, size_t n);
/* softmax of scores given in base 2 (natural scores times GDFO__NN_LOG2E) */
#define GDFO__NN_LOG2E 1.44269504088896341f
void gdfo__nn_softmax_base2(float *row, size_t n);
/* one query's sparse attention over its n neighbours, all heads (kernels.c) */
void gdfo__nn_sparse_attention_row(float *out, float *P, size_t ps, const float *q,
				   const float *qkv, const uint32_t *idx, const uint8_t *rel,
				   const float *bias2, float scale2, size_t n, size_t C, size_t H);
/* its backward for query i (kernels.c); ADDS into dqkv and drel_bias */
void gdfo__nn_sparse_attention_row_backward(float *dqkv, float *drel_bias, float *dS,
					    const float *dO, const float *qkv, const float *P,
					    size_t ps, size_t i, const uint32_t *idx,
					    const uint8_t *rel, float scale, size_t n, size_t C,
					    size_t H);
void gdfo__nn_softmax_backward(float *d, const float *p, size_t n);
void gdfo__nn_rows_plus(float *out, const float *x, const float *bias, size_t N, size_t C);
void gdfo__nn_colsum_add(float *acc, const float *x, size_t ld, size_t N, size_t C);
void gdfo__nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
				const float *g, const float *b, size_t N, size_t C);
void gdfo__nn_layernorm_backward(float *dinp, float *dg, float *db, const float *dout,
				 const float *inp, const float *g, const float *mean,
				 const float *rstd, size_t N, size_t C);
void gdfo__nn_gelu_forward(float *out, const float *inp, size_t n);
void gdfo__nn_gelu_backward(float *d, const float *inp, size_t n);

/*
 * Attention of one pipeline (forward.c): out (T, C) from qkv (T, 3C);
 * att (H, E) probabilities, kept when keep is 1, else scratch reused by
 * every block of queries.
 */
void gdfo__nn_attention_forward(float *out, float *att, int keep, const float *qkv,
				const gdfo__nn_pipe *pp, const float *rel_bias, size_t C, size_t H);

/* Plain reference versions in double precision (reference.c), for the tests. */
#define GDFO_NN_REF_MAX_HEAD 4096
void gdfo__nn_ref_bias_fill(float *out, const uint8_t *rel, const float *bias, size_t n);
void gdfo__nn_ref_softmax(float *row, size_t n);
void gdfo__nn_ref_softmax_backward(float *d, const float *p, size_t n);
void gdfo__nn_ref_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
				    const float *g, const float *b, size_t N, size_t C);
void gdfo__nn_ref_layernorm_backward(float *dinp, float *dg, float *db, const float *dout,
				     const float *inp, const float *g, const float *mean,
				     const float *rstd, size_t N, size_t C);
void gdfo__nn_ref_gelu_forward(float *out, const float *inp, size_t n);
void gdfo__nn_ref_gelu_backward(float *d, const float *inp, size_t n);
void gdfo__nn_ref_attention(float *out, const float *qkv, const gdfo__nn_pipe *pp,
			    const float *rel_bias, size_t C, size_t H);


#endif
