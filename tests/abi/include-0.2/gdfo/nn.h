/*
 * The graph encoder: a transformer over the pipeline DAG, written over
 * BLAS (docs/encoder.md has the architecture, the feature vector, the
 * weights file format and the numerics checks).
 *
 * Per stage, a feature vector (gdfo_nn_features) goes through a linear
 * input projection; a learned pipeline token is prepended to each
 * pipeline; L pre-LayerNorm blocks of multi-head self-attention and a
 * GELU MLP (width 4d) follow, then a final LayerNorm. Each attention head
 * adds a learned bias chosen by the structural relation of the two
 * tokens (gdfo_nn_relation), computed once per graph when a batch is
 * built. Pipelines with more stages than the sparse threshold attend only
 * within k hops (ancestors and descendants) plus the pipeline token.
 * Output heads: per-stage linear heads (on the stage embeddings) and
 * pipeline heads (on the pipeline token's embedding concatenated with
 * the mean of the pipeline's stage embeddings).
 *
 * Objects:
 *   gdfo_nn_encoder    the parameters (and, once training starts, their
 *                      gradients and AdamW moments);
 *   gdfo_nn_batch      the structure of one or more pipelines: token
 *                      layout, relation buckets, sparse neighbourhoods;
 *                      immutable once built;
 *   gdfo_nn_workspace  activations and scratch memory for forward (and
 *                      backward when created with GDFO_NN_TRAINING).
 *
 * Thread safety: an encoder and a batch are read-only during a forward,
 * so any number of threads may run gdfo_nn_forward on the same encoder
 * and batch at once, each with its OWN workspace (a workspace serves one
 * call at a time). gdfo_nn_backward, gdfo_nn_zero_grad, gdfo_nn_step and
 * gdfo_nn_load_into write the encoder and need exclusive access to it
 * (no concurrent forward either). BLAS threading is whatever the process
 * has (OPENBLAS_NUM_THREADS); the library never changes it.
 *
 * Dimension letters used in shape comments:
 *   B pipelines in a batch, S stages in a batch (all pipelines),
 *   F = options.n_features, d = options.d_model,
 *   Ws = sum of stage head widths, Wp = sum of pipeline head widths.
 * Every matrix is row-major float32.
 */
#ifndef GDFO_NN_H
#define GDFO_NN_H

#include "common.h"
#include "graph.h"
#include "objective.h"
#include "telemetry.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Length of the feature vector gdfo_nn_features writes (table in docs/encoder.md). */
#define GDFO_NN_FEATURES 64

/* Most stage heads and most pipeline heads an encoder can have. */
#define GDFO_NN_MAX_HEADS 8

/*
 * Structural relation of a query token to a key token, one learned bias
 * per relation, head and layer. "j is a parent of i" means the edge j -> i
 * exists; ancestor/descendant distances are shortest directed path lengths.
 */
typedef enum gdfo_nn_relation {
	GDFO_NN_REL_SELF = 0,          /* a stage with itself */
	GDFO_NN_REL_PARENT = 1,        /* key is a parent of the query */
	GDFO_NN_REL_CHILD = 2,         /* key is a child of the query */
	GDFO_NN_REL_ANCESTOR_2 = 3,    /* key is an ancestor at distance 2 */
	GDFO_NN_REL_ANCESTOR_3 = 4,
	GDFO_NN_REL_ANCESTOR_4P = 5,   /* distance >= 4 */
	GDFO_NN_REL_DESCENDANT_2 = 6,
	GDFO_NN_REL_DESCENDANT_3 = 7,
	GDFO_NN_REL_DESCENDANT_4P = 8,
	GDFO_NN_REL_UNRELATED = 9,     /* no directed path either way */
	GDFO_NN_REL_TOKEN_TO_STAGE = 10, /* query is the pipeline token */
	GDFO_NN_REL_STAGE_TO_TOKEN = 11, /* key is the pipeline token */
	GDFO_NN_REL_TOKEN_SELF = 12
} gdfo_nn_relation;
#define GDFO_NN_RELATIONS 13

#define GDFO_NN_OPTIONS_VERSION (1 + GDFO__GROWTH)

/*
 * Architecture and sparse-attention settings. Initialize with
 * gdfo_nn_options_init, then change fields.
 */
typedef struct gdfo_nn_options {
	uint32_t version;          /* GDFO_NN_OPTIONS_VERSION */
	uint32_t n_features;       /* F; default GDFO_NN_FEATURES; 1..4096 */
	uint32_t d_model;          /* d; default 64; 1..4096, a multiple of n_heads */
	uint32_t n_layers;         /* L; default 2; 0..64 */
	uint32_t n_heads;          /* default 4; 1..64 */
	uint32_t sparse_threshold; /* pipelines with more stages use sparse attention; default 256 */
	uint32_t sparse_hops;      /* k of the sparse neighbourhood; default 3; 1..64 */
	uint32_t n_stage_heads;    /* 0..GDFO_NN_MAX_HEADS; default 1 */
	uint32_t stage_head_widths[GDFO_NN_MAX_HEADS];    /* each 1..4096; default {1} */
	uint32_t n_pipeline_heads; /* 0..GDFO_NN_MAX_HEADS; default 1 */
	uint32_t pipeline_head_widths[GDFO_NN_MAX_HEADS]; /* each 1..4096; default {1} */
	uint64_t seed;             /* initial weights are a function of the seed; default 1 */
	GDFO__GROWTH_FIELD
} gdfo_nn_options;

/* Fills defaults. GDFO_EINVAL (NULL), GDFO_EVERSION (unknown version). */
GDFO_API int gdfo_nn_options_init(gdfo_nn_options *opts, unsigned int version);

typedef struct gdfo_nn_encoder gdfo_nn_encoder;

/*
 * Creates an encoder with freshly initialized weights (deterministic in
 * opts->seed): matrices N(0, 0.02) (residual projections scaled by
 * 1/sqrt(2L)), biases and relation biases 0, LayerNorm gains 1.
 * Errors: GDFO_EINVAL (NULL or a field out of range, named),
 * GDFO_EVERSION, GDFO_ENOMEM. On failure *out is NULL.
 */
GDFO_API int gdfo_nn_create(gdfo_nn_encoder **out, const gdfo_nn_options *opts);

/* Frees an encoder. NULL does nothing. No batch or workspace may be in use with it. */
GDFO_API void gdfo_nn_free(gdfo_nn_encoder *enc);

/* Copies the encoder's options. Errors: GDFO_EINVAL. */
GDFO_API int gdfo_nn_get_options(gdfo_nn_options *out, const gdfo_nn_encoder *enc);

/* Number of float parameters (0 if enc is NULL). */
GDFO_API size_t gdfo_nn_param_count(const gdfo_nn_encoder *enc);

/*
 * A named parameter tensor: a read-only (rows, cols) view into the
 * encoder's one parameter block, and the same view into the gradient block
 * (grad is NULL until the first gdfo_nn_backward or gdfo_nn_zero_grad).
 * Names, in the order of gdfo_nn_tensor_at and of the weights file: "in_w"
 * (F, d), "in_b" (d), "token" (d), "layers.<l>.{ln1_g, ln1_b, qkv_w
 * (d, 3d), qkv_b, rel_bias (heads, GDFO_NN_RELATIONS), proj_w (d, d),
 * proj_b, ln2_g, ln2_b, fc_w (d, 4d), fc_b, fc2_w (4d, d), fc2_b}",
 * "lnf_g", "lnf_b", "stage_head_w" (d, Ws), "stage_head_b",
 * "pipeline_head_w" (2d, Wp), "pipeline_head_b" (head tensors exist only
 * when the widths sum to more than 0). name, data and grad live as long as
 * the encoder; data and grad change with gdfo_nn_step, gdfo_nn_backward,
 * gdfo_nn_zero_grad, gdfo_nn_load_into and writes through
 * gdfo_nn_tensor_data.
 */
#define GDFO_NN_TENSOR_VERSION (1 + GDFO__GROWTH)

typedef struct gdfo_nn_tensor {
	uint32_t version; /* GDFO_NN_TENSOR_VERSION */
	const char *name;
	size_t rows, cols;
	const float *data;
	const float *grad;
	int32_t decay;    /* 1 when AdamW applies weight decay to it */
	int32_t reserved;
	GDFO__GROWTH_FIELD
} gdfo_nn_tensor;

/* Number of tensors (0 if enc is NULL). Thread-safe for concurrent reads of enc. */
GDFO_API size_t gdfo_nn_tensor_count(const gdfo_nn_encoder *enc);
/*
 * Fills *out with tensor index (0..gdfo_nn_tensor_count - 1) or the tensor
 * called name. Errors: GDFO_EINVAL (NULL), GDFO_ERANGE (index),
 * GDFO_ENOTFOUND (name). Thread-safe for concurrent reads of enc.
 */
GDFO_API int gdfo_nn_tensor_at(gdfo_nn_tensor *out, const gdfo_nn_encoder *enc, size_t index);
GDFO_API int gdfo_nn_tensor_find(gdfo_nn_tensor *out, const gdfo_nn_encoder *enc,
				 const char *name);
/*
 * *out = the writable data (rows * cols floats, row-major) of tensor
 * index, to set weights directly; it lives as long as enc. Writes must be
 * finite and need exclusive access to enc (no forward, backward or step
 * at the same time). On failure *out is NULL.
 * Errors: GDFO_EINVAL (NULL), GDFO_ERANGE (index).
 */
GDFO_API int gdfo_nn_tensor_data(float **out, gdfo_nn_encoder *enc, size_t index);

/*
 * Weights files (format "GDFO-NN", version 1, docs/encoder.md): the
 * configuration, a tensor table and the float32 data, with a CRC32 of
 * everything before it. gdfo_nn_save writes atomically (temporary file,
 * fsync, rename). gdfo_nn_load creates an encoder from a file;
 * gdfo_nn_load_into replaces the weights of an existing encoder, whose
 * architecture (features, d, layers, heads, relations, head widths)
 * must equal the file's; on any failure the encoder is untouched. On
 * success load_into also resets the optimizer (moments, step count) and
 * zeroes the gradients: the file holds weights only.
 * Errors: GDFO_EINVAL, GDFO_EIO (cannot read or write), GDFO_EFORMAT
 * (wrong magic, truncated, bad tensor table; the message says which),
 * GDFO_EVERSION (unknown format version), GDFO_ECHECKSUM (CRC mismatch),
 * GDFO_ERANGE (architecture differs from the encoder's; names the field),
 * GDFO_ENOMEM.
 */
GDFO_API int gdfo_nn_save(const gdfo_nn_encoder *enc, const char *path);
GDFO_API int gdfo_nn_load(gdfo_nn_encoder **out, const char *path);
GDFO_API int gdfo_nn_load_into(gdfo_nn_encoder *enc, const char *path);

/*
 * A fixed record (it is passed as an array, so it never grows; a richer
 * one would come as a new type and function).
 * One pipeline's structure for gdfo_nn_batch_create: n_stages stages
 * indexed 0..n_stages-1 (the rows of its features) and n_edges edges,
 * edges[2*e] -> edges[2*e+1] (parent index, child index). Borrowed.
 */
typedef struct gdfo_nn_pipeline {
	size_t n_stages;
	size_t n_edges;
	const uint32_t *edges; /* (n_edges, 2) */
} gdfo_nn_pipeline;

typedef struct gdfo_nn_batch gdfo_nn_batch;

/*
 * Builds the structure of a batch of count pipelines: relation buckets
 * (dense pipelines) or k-hop neighbourhoods (pipelines with more than
 * enc's sparse_threshold stages). The batch's stages are the pipelines'
 * stages in order: pipeline 0's stages, then pipeline 1's, and so on.
 * enc only supplies the sparse settings; the batch may be used with any
 * encoder. Errors: GDFO_EINVAL (NULL, count 0, a pipeline without
 * stages, an edge index out of range or a self edge; names the pipeline
 * and edge), GDFO_ECYCLE (names a pipeline), GDFO_ENOMEM.
 */
GDFO_API int gdfo_nn_batch_create(gdfo_nn_batch **out, const gdfo_nn_encoder *enc,
				  const gdfo_nn_pipeline *pipelines, size_t count);

/*
 * The same from pipeline graphs; stage i of graph g is row i of g's
 * block (graph insertion order, as gdfo_nn_features writes it).
 * Errors: as gdfo_nn_batch_create.
 */
GDFO_API int gdfo_nn_batch_from_graphs(gdfo_nn_batch **out, const gdfo_nn_encoder *enc,
				       const gdfo_graph *const *graphs, size_t count);

/* Frees a batch. NULL does nothing. */
GDFO_API void gdfo_nn_batch_free(gdfo_nn_batch *batch);
/* S and B of a batch (0 for NULL). */
GDFO_API size_t gdfo_nn_batch_stage_count(const gdfo_nn_batch *batch);
GDFO_API size_t gdfo_nn_batch_pipeline_count(const gdfo_nn_batch *batch);

/*
 * The relation of key token k to query token q in pipeline p (token 0
 * is the pipeline token, token i >= 1 is stage i-1), or -1 when the
 * sparse path drops the pair. Errors: GDFO_EINVAL, GDFO_ERANGE.
 */
GDFO_API int gdfo_nn_batch_relation(int *out, const gdfo_nn_batch *batch, size_t p, size_t q,
				    size_t k);

/* Workspace flags. */
#define GDFO_NN_TRAINING 1u /* keep every layer's activations for gdfo_nn_backward */

typedef struct gdfo_nn_workspace gdfo_nn_workspace;

/*
 * Creates a workspace for enc. When hint is not NULL the memory is sized
 * for it (and any batch no larger), so forwards on such batches allocate
 * nothing; a larger batch later grows the workspace once. The workspace
 * refers to enc, which must outlive it.
 * Errors: GDFO_EINVAL (NULL enc, unknown flag), GDFO_ENOMEM.
 */
GDFO_API int gdfo_nn_workspace_create(gdfo_nn_workspace **out, const gdfo_nn_encoder *enc,
				      const gdfo_nn_batch *hint, uint32_t flags);
GDFO_API void gdfo_nn_workspace_free(gdfo_nn_workspace *ws);

/*
 * Where gdfo_nn_forward writes; caller-allocated, any pointer may be NULL
 * (that output is not written). Stage rows follow the batch's stage
 * order; head k's columns follow heads 0..k-1's.
 */
#define GDFO_NN_OUTPUTS_VERSION (1 + GDFO__GROWTH)

typedef struct gdfo_nn_outputs {
	uint32_t version;           /* GDFO_NN_OUTPUTS_VERSION */
	float *stage_embeddings;    /* (S, d) after the final LayerNorm */
	float *pipeline_embeddings; /* (B, d) the pipeline tokens */
	float *stage_heads;         /* (S, Ws) */
	float *pipeline_heads;      /* (B, Wp) */
	GDFO__GROWTH_FIELD
} gdfo_nn_outputs;

/*
 * Runs the encoder on features (S, F) of batch. features is copied; it
 * need not outlive the call. Allocates nothing unless the batch is larger
 * than any the workspace has seen. Non-finite features are rejected.
 * Errors: GDFO_EINVAL (NULL, workspace of another encoder, non-finite
 * feature named by row and column), GDFO_ENOMEM (growing the workspace).
 * Thread-safe with respect to other forwards that use other workspaces.
 */
GDFO_API int gdfo_nn_forward(gdfo_nn_workspace *ws, const gdfo_nn_batch *batch,
			     const float *features, const gdfo_nn_outputs *out);

#define GDFO_NN_OUTPUT_GRADS_VERSION (1 + GDFO__GROWTH)

/* Gradients of a scalar loss with respect to the outputs; NULL = zero. */
typedef struct gdfo_nn_output_grads {
	uint32_t version;                 /* GDFO_NN_OUTPUT_GRADS_VERSION */
	const float *stage_embeddings;    /* (S, d) */
	const float *pipeline_embeddings; /* (B, d) */
	const float *stage_heads;         /* (S, Ws) */
	const float *pipeline_heads;      /* (B, Wp) */
	GDFO__GROWTH_FIELD
} gdfo_nn_output_grads;

/*
 * Back-propagates through the last forward of ws (which must be a
 * GDFO_NN_TRAINING workspace of enc): ADDS the parameter gradients into
 * enc's gradient block (allocated, zeroed, on first use) and, when
 * d_features is not NULL, adds the gradient with respect to the features
 * into it (S, F). The batch of that forward must still exist.
 * Errors: GDFO_EINVAL (NULL, no forward yet, not a training workspace,
 * another encoder), GDFO_ENOMEM. Needs exclusive access to enc.
 */
GDFO_API int gdfo_nn_backward(gdfo_nn_encoder *enc, gdfo_nn_workspace *ws,
			      const gdfo_nn_output_grads *grads, float *d_features);

/* Sets every gradient to 0 (allocates the gradient block if needed). Errors: GDFO_EINVAL, GDFO_ENOMEM. */
GDFO_API int gdfo_nn_zero_grad(gdfo_nn_encoder *enc);

#define GDFO_NN_ADAMW_VERSION (1 + GDFO__GROWTH)

/* AdamW settings (PyTorch's torch.optim.AdamW semantics). */
typedef struct gdfo_nn_adamw {
	uint32_t version;     /* GDFO_NN_ADAMW_VERSION */
	uint32_t reserved;
	float lr;             /* default 1e-3 */
	float beta1, beta2;   /* default 0.9, 0.999 */
	float eps;            /* default 1e-8 */
	float weight_decay;   /* default 0.01, applied to tensors with decay = 1 */
	float max_grad_norm;  /* clip the global L2 norm to this; <= 0 disables; default 1 */
	GDFO__GROWTH_FIELD
} gdfo_nn_adamw;

/* Fills *opts with the defaults above. Errors: GDFO_EINVAL (NULL), GDFO_EVERSION. Thread-safe. */
GDFO_API int gdfo_nn_adamw_init(gdfo_nn_adamw *opts, unsigned int version);

/*
 * One optimizer step from the accumulated gradients: global-norm clipping
 * (scale max_grad_norm / (norm + 1e-6) when norm exceeds it, as
 * torch.nn.utils.clip_grad_norm_), then AdamW (decoupled weight decay,
 * bias-corrected moments), then zeroes the gradients. *out_grad_norm
 * (may be NULL) receives the norm before clipping.
 * Errors: GDFO_EINVAL (NULL, bad settings, no gradients yet),
 * GDFO_ERANGE (gradient not finite; nothing is changed), GDFO_ENOMEM.
 * Needs exclusive access to enc.
 */
GDFO_API int gdfo_nn_step(gdfo_nn_encoder *enc, const gdfo_nn_adamw *opts, float *out_grad_norm);

/* Number of AdamW steps taken (0 after create or load). */
GDFO_API uint64_t gdfo_nn_step_count(const gdfo_nn_encoder *enc);

/*
 * Writes the feature vectors of graph's stages, (n_rows, GDFO_NN_FEATURES),
 * row i = stage i in insertion order. telemetry may be NULL (every
 * telemetry feature is then absent); its stages are matched by id.
 * objective conditions the features on what the plan should optimize
 * (its three weights; gdfo_objective_validate's checks apply).
 * Errors: GDFO_EINVAL (NULL, n_rows != stage count, bad objective),
 * GDFO_EVERSION (objective),
 * GDFO_ECYCLE, GDFO_ENOMEM. Thread-safe for concurrent reads of graph.
 */
GDFO_API int gdfo_nn_features(float *out, size_t n_rows, const gdfo_graph *graph,
			      const gdfo_telemetry *telemetry, const gdfo_objective *objective);

#ifdef __cplusplus
}
#endif

#endif
