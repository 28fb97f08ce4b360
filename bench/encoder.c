/*
 * Graph-encoder benchmark driver (run by bench/encoder.sh).
 *
 *   encoder peak
 *       median sgemm GFLOP/s at 1024^3 with the process's BLAS threads
 *   encoder run DIR N D LAYERS HEADS THRESHOLD [SECONDS]
 *       builds a deterministic pipeline of N stages and an encoder, writes
 *       DIR/weights.bin (the library's weights file), DIR/inputs.bin (edges,
 *       features) and DIR/output.bin (the stage embeddings) for the PyTorch
 *       side, then times gdfo_nn_forward (batch 1) and prints one line:
 *       "gdfo_us=<median> reps=<n> mflop=<matmul MFLOP> sparse=<0|1> entries=<E>
 *       keep_us=<median with gdfo__nn_workspace_keep_attention>
 *       attn_us=<median of gdfo__nn_attention over every query in turn>"
 *
 * BLAS threads come from the environment (OPENBLAS_NUM_THREADS); nothing
 * here changes them.
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gdfo/nn.h"
#include "nn/nn_internal.h"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* ---- time inside BLAS (see the comment at the top) ---- */
static int blas_timing;
static double blas_us;
static size_t blas_calls;

void __real_cblas_sgemm(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint,
			blasint, blasint, float, const float *, blasint, const float *, blasint,
			float, float *, blasint);
void __wrap_cblas_sgemm(enum CBLAS_ORDER o, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb,
			blasint m, blasint n, blasint k, float alpha, const float *a, blasint lda,
			const float *b, blasint ldb, float beta, float *c, blasint ldc);
void __wrap_cblas_sgemm(enum CBLAS_ORDER o, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb,
			blasint m, blasint n, blasint k, float alpha, const float *a, blasint lda,
			const float *b, blasint ldb, float beta, float *c, blasint ldc)
{
	double t0;

	if (!blas_timing) {
		__real_cblas_sgemm(o, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
		return;
	}
	t0 = now_us();
	__real_cblas_sgemm(o, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
	blas_us += now_us() - t0;
	blas_calls++;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(double), cmp_d);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static uint64_t rng = 0x1234567;

static double urand(void)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static int peak(void)
{
	size_t n = 1024, i;
	float *a = malloc(n * n * 4), *b = malloc(n * n * 4), *c = malloc(n * n * 4);
	double t[12];

	for (i = 0; i < n * n; i++) {
		a[i] = (float)urand();
		b[i] = (float)urand();
	}
	for (i = 0; i < 14; i++) {
		double t0 = now_us();
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.0f, a,
			    (int)n, b, (int)n, 0.0f, c, (int)n);
		if (i >= 2)
			t[i - 2] = now_us() - t0;
	}
	printf("sgemm_peak_gflops=%.1f\n", 2.0 * n * n * n / median(t, 12) / 1e3);
	free(a);
	free(b);
	free(c);
	return 0;
}

static void put_u32s(FILE *f, const uint32_t *v, size_t n)
{
	fwrite(v, 4, n, f);
}

static int run(int argc, char **argv)
{
	const char *dir = argv[2];
	size_t N = (size_t)atol(argv[3]), i, reps, r;
	gdfo_nn_options o = {.version = GDFO_NN_OPTIONS_VERSION};
	gdfo_nn_encoder *enc;
	gdfo_nn_batch *batch;
	gdfo_nn_workspace *ws;
	gdfo_nn_pipeline p;
	uint32_t *edges, ne = 0, hdr[4];
	float *feat, *emb;
	gdfo_nn_outputs out = {.version = GDFO_NN_OUTPUTS_VERSION};
	double seconds = argc > 8 ? atof(argv[8]) : 0.4, t0, one, *t, mflop, blas_mflop, gus, bus, kus;
	char path[1024];
	FILE *f;

	gdfo_nn_options_init(&o, GDFO_NN_OPTIONS_VERSION);
	o.d_model = (uint32_t)atoi(argv[4]);
	o.n_layers = (uint32_t)atoi(argv[5]);
	o.n_heads = (uint32_t)atoi(argv[6]);
	o.sparse_threshold = (uint32_t)atoi(argv[7]);
	o.seed = 7;
	if (gdfo_nn_create(&enc, &o) < 0) {
		fprintf(stderr, "encoder: %s\n", gdfo_last_error());
		return 1;
	}
	/* a pipeline-like DAG: mostly chains, joins with nearby stages */
	edges = calloc(4 * N + 2, sizeof(uint32_t));
	for (i = 1; i < N; i++) {
		size_t lo = i > 8 ? i - 8 : 0;
		edges[2 * ne] = urand() < 0.6 ? (uint32_t)(i - 1) : (uint32_t)(lo + (size_t)(urand() * (double)(i - lo)));
		edges[2 * ne + 1] = (uint32_t)i;
		ne++;
		if (i >= 2 && urand() < 0.25) {
			uint32_t q = (uint32_t)(lo + (size_t)(urand() * (double)(i - lo)));
			if (q != edges[2 * ne - 2]) {
				edges[2 * ne] = q;
				edges[2 * ne + 1] = (uint32_t)i;
				ne++;
			}
		}
	}
	p.n_stages = N;
	p.n_edges = ne;
	p.edges = edges;
	if (gdfo_nn_batch_create(&batch, enc, &p, 1) < 0 ||
	    gdfo_nn_workspace_create(&ws, enc, batch, 0) < 0) {
		fprintf(stderr, "encoder: %s\n", gdfo_last_error());
		return 1;
	}
	feat = malloc(N * GDFO_NN_FEATURES * sizeof(float));
	emb = malloc(N * o.d_model * sizeof(float));
	for (i = 0; i < N * GDFO_NN_FEATURES; i++)
		feat[i] = (float)(2.0 * urand() - 1.0);
	out.stage_embeddings = emb;

	/* files for the PyTorch side */
	snprintf(path, sizeof(path), "%s/weights.bin", dir);
	if (gdfo_nn_save(enc, path) < 0) {
		fprintf(stderr, "encoder: %s\n", gdfo_last_error());
		return 1;
	}
	snprintf(path, sizeof(path), "%s/inputs.bin", dir);
	f = fopen(path, "wb");
	hdr[0] = (uint32_t)N;
	hdr[1] = ne;
	hdr[2] = GDFO_NN_FEATURES;
	hdr[3] = o.sparse_threshold;
	put_u32s(f, hdr, 4);
	put_u32s(f, edges, 2 * ne);
	fwrite(feat, 4, N * GDFO_NN_FEATURES, f);
	fclose(f);
	/* a failing forward returns at once: never time it */
	if (gdfo_nn_forward(ws, batch, feat, &out) < 0) {
		fprintf(stderr, "encoder: %s\n", gdfo_last_error());
		return 1;
	}
	snprintf(path, sizeof(path), "%s/output.bin", dir);
	f = fopen(path, "wb");
	fwrite(emb, 4, N * o.d_model, f);
	fclose(f);

	t0 = now_us();
	gdfo_nn_forward(ws, batch, feat, &out);
	one = now_us() - t0;
	reps = (size_t)(seconds * 1e6 / (one > 1 ? one : 1));
	reps = reps < 7 ? 7 : (reps > 3000 ? 3000 : reps);
	t = malloc(reps * sizeof(double));
	for (r = 0; r < reps; r++) {
		t0 = now_us();
		gdfo_nn_forward(ws, batch, feat, &out);
		t[r] = now_us() - t0;
	}
	gus = median(t, reps);
	/* second series: time inside the library's sgemm calls */
	blas_timing = 1;
	for (r = 0; r < reps; r++) {
		blas_us = 0;
		blas_calls = 0;
		gdfo_nn_forward(ws, batch, feat, &out);
		t[r] = blas_us;
	}
	blas_timing = 0;
	{
		/* sparse attention is gathered dot products, not sgemm calls */
		double C = o.d_model, T = (double)N + 1, E = (double)batch->E_total;
		double att = o.n_layers * 4.0 * E * C;
		mflop = (2.0 * N * GDFO_NN_FEATURES * C + o.n_layers * 24.0 * T * C * C + att +
			 2.0 * N * C * enc->Ws + 4.0 * C * enc->Wp) / 1e6;
		blas_mflop = mflop - (batch->pipes[0].sparse ? att / 1e6 : 0.0);
	}
	bus = median(t, reps);
	/* third series: forwards that keep the attention for gdfo__nn_attention */
	if (gdfo__nn_workspace_keep_attention(ws) < 0) {
		fprintf(stderr, "encoder: %s\n", gdfo_last_error());
		return 1;
	}
	for (r = 0; r < reps; r++) {
		t0 = now_us();
		gdfo_nn_forward(ws, batch, feat, &out);
		t[r] = now_us() - t0;
	}
	kus = median(t, reps);
	/* attention attribution (gdfo__nn_attention) of every query in turn, token included */
	{
		float *attr = malloc(N * sizeof(float));
		for (r = 0; r < reps; r++) {
			size_t q = r % (N + 1) == N ? GDFO__NN_QUERY_TOKEN : r % (N + 1);
			t0 = now_us();
			gdfo__nn_attention(attr, N, ws, batch, 0, q);
			t[r] = now_us() - t0;
		}
		free(attr);
	}
	printf("gdfo_us=%.1f reps=%zu mflop=%.3f blas_mflop=%.3f blas_us=%.1f blas_calls=%zu "
	       "sparse=%d entries=%zu keep_us=%.1f attn_us=%.2f\n",
	       gus, reps, mflop, blas_mflop, bus, blas_calls, batch->pipes[0].sparse,
	       batch->E_total, kus, median(t, reps));
	free(t);
	free(feat);
	free(emb);
	free(edges);
	gdfo_nn_workspace_free(ws);
	gdfo_nn_batch_free(batch);
	gdfo_nn_free(enc);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "peak"))
		return peak();
	if (argc >= 8 && !strcmp(argv[1], "run"))
		return run(argc, argv);
	fprintf(stderr, "usage: encoder peak | encoder run DIR N D LAYERS HEADS THRESHOLD [SECONDS]\n");
	return 2;
}
