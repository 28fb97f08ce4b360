/*
 * The encoder's elementwise and row kernels (softmax, LayerNorm, GELU,
 * dot products), written so that GCC vectorizes them: fixed 8-lane
 * partial sums for reductions and branch-free bodies. On x86-64 each is
 * compiled twice (AVX2+FMA and baseline) and picked at load time.
 *
 * Two math flags apply to this file only: -ffinite-math-only and
 * -fno-signed-zeros, which let "a > b ? a : b" become a vector max. The
 * inputs are finite (features are checked, weights are checked on load).
 * There is no reassociation: every sum is computed in the order written,
 * lane by lane, so results are deterministic for a given build and CPU.
 *
 * Dimension letters: N rows, C columns.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("-fvect-cost-model=dynamic", "-ffinite-math-only", "-fno-signed-zeros", "-ffp-contract=fast")
#endif

#include <float.h>
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(GDFO_NN_NO_CLONES)
#define KERNEL __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define KERNEL
#endif

#define LANES 8

static inline __attribute__((always_inline)) float lanes_sum(const float *s)
{
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

/*
 * e^x for x <= 88.7 (finite results; far below -87 it returns about 1e-38
 * rather than 0): x = n ln2 + r with |r| <= ln2 / 2, e^r by its degree-6
 * Taylor polynomial (relative error below 2e-8 on that interval) evaluated
 * in Estrin's scheme, whose dependency chain is half as long as Horner's.
 */
static inline __attribute__((always_inline)) float lanes_max(const float *s)
{
	float a = s[0] > s[1] ? s[0] : s[1], b = s[2] > s[3] ? s[2] : s[3];
	float c = s[4] > s[5] ? s[4] : s[5], d = s[6] > s[7] ? s[6] : s[7];

	a = a > b ? a : b;
	c = c > d ? c : d;
	return a > c ? a : c;
}

static inline __attribute__((always_inline)) float exp_fast(float x)
{
	float t, n, r, r2, r4, p01, p23, p45, p6, f;
	int32_t e;
	uint32_t u;

	x = x < -87.0f ? -87.0f : x;
	x = x > 88.0f ? 88.0f : x;
	t = x * 1.44269504088896341f;
	n = (t + 12582912.0f) - 12582912.0f; /* round to nearest */
	r = x - n * 0.693145751953125f;
	r = r - n * 1.428606765330187e-06f;
	r2 = r * r;
	r4 = r2 * r2;
	p01 = 1.0f + r;
	p23 = 0.5f + r * (1.0f / 6.0f);
	p45 = 1.0f / 24.0f + r * (1.0f / 120.0f);
	p6 = 1.0f / 720.0f;
	f = (p01 + r2 * p23) + r4 * (p45 + r2 * p6);
	e = (int32_t)n + 127;
	u = (uint32_t)e << 23;
	memcpy(&t, &u, 4);
	return f * t;
}

/*
 * out[j] = bias[rel[j]]: the relation bias of n attention entries. With GCC
 * the 16-entry table sits in two 8-lane vectors and each group of 8 entries
 * is one two-table shuffle (two vpermps and a blend on AVX2), four to five
 * times faster than a scalar gather.
 */
KERNEL void gdfo__nn_bias_fill(float *restrict out, const uint8_t *restrict rel,
			       const float *restrict bias, size_t n)
{
	size_t j = 0;
#if defined(__GNUC__) && !defined(__clang__)
	typedef float v8f __attribute__((vector_size(32)));
	typedef int32_t v8i __attribute__((vector_size(32)));
	typedef uint8_t v8b __attribute__((vector_size(8)));
	float table[16] = {0};
	v8f lo, hi, v;
	v8b r;

	_Static_assert(GDFO_NN_RELATIONS <= 16, "relation table must fit two 8-lane vectors");
	memcpy(table, bias, GDFO_NN_RELATIONS * sizeof(float));
	memcpy(&lo, table, sizeof(lo));
	memcpy(&hi, table + 8, sizeof(hi));
	for (; j + LANES <= n; j += LANES) {
		memcpy(&r, rel + j, sizeof(r));
		v = __builtin_shuffle(lo, hi, __builtin_convertvector(r, v8i));
		memcpy(out + j, &v, sizeof(v));
	}
#endif
	for (; j < n; j++)
		out[j] = bias[rel[j]];
}

KERNEL void gdfo__nn_softmax(float *restrict row, size_t n)
{
	float mx[LANES], s[LANES], m, inv;
	size_t j, l;

	for (l = 0; l < LANES; l++) {
		mx[l] = -FLT_MAX;
		s[l] = 0.0f;
	}
	for (j = 0; j + LANES <= n; j += LANES)
		for (l = 0; l < LANES; l++)
			mx[l] = row[j + l] > mx[l] ? row[j + l] : mx[l];
	for (l = 0; j + l < n; l++)
		mx[l] = row[j + l] > mx[l] ? row[j + l] : mx[l];
	m = lanes_max(mx);
	for (j = 0; j + LANES <= n; j += LANES)
		for (l = 0; l < LANES; l++) {
			row[j + l] = exp_fast(row[j + l] - m);
			s[l] += row[j + l];
		}
	for (l = 0; j + l < n; l++) {
		row[j + l] = exp_fast(row[j + l] - m);
		s[l] += row[j + l];
	}
	inv = 1.0f / lanes_sum(s);
	for (j = 0; j < n; j++)
		row[j] *= inv;
}

KERNEL float gdfo__nn_dot(const float *restrict a, const float *restrict b, size_t n)
{
	float s[LANES] = {0};
	size_t j, l;

	for (j = 0; j + LANES <= n; j += LANES)
		for (l = 0; l < LANES; l++)
			s[l] += a[j + l] * b[j + l];
	for (; j < n; j++)
		s[0] += a[j] * b[j];
	return lanes_sum(s);
}

KERNEL void gdfo__nn_axpy(float *restrict y, float a, const float *restrict x, size_t n)
{
	size_t j;

	for (j = 0; j < n; j++)
		y[j] += a * x[j];
}

/* out (N, C) = x (N, C) + bias (C) */
KERNEL void gdfo__nn_rows_plus(float *restrict out, const float *restrict x,
			       const float *restrict bias, size_t N, size_t C)
{
	size_t i, j;

	for (i = 0; i < N; i++)
		for (j = 0; j < C; j++)
			out[i * C + j] = x[i * C + j] + bias[j];
}

/* acc (C) += column sums of x (N, C) with row stride ld */
KERNEL void gdfo__nn_colsum_add(float *restrict acc, const float *restrict x, size_t ld,
				size_t N, size_t C)
{
	size_t i, j;

	for (i = 0; i < N; i++)
		for (j = 0; j < C; j++)
			acc[j] += x[i * ld + j];
}

KERNEL void gdfo__nn_layernorm_forward(float *restrict out, float *restrict mean,
				       float *restrict rstd, const float *restrict inp,
				       const float *restrict g, const float *restrict b, size_t N,
				       size_t C)
{
	size_t i, j, l;

	for (i = 0; i < N; i++) {
		const float *x = inp + i * C;
		float *y = out + i * C;
		float s[LANES] = {0}, v[LANES] = {0}, m, var, r;
		for (j = 0; j + LANES <= C; j += LANES)
			for (l = 0; l < LANES; l++)
				s[l] += x[j + l];
		for (; j < C; j++)
			s[0] += x[j];
		m = lanes_sum(s) / (float)C;
		for (j = 0; j + LANES <= C; j += LANES)
			for (l = 0; l < LANES; l++)
				v[l] += (x[j + l] - m) * (x[j + l] - m);
		for (; j < C; j++)
			v[0] += (x[j] - m) * (x[j] - m);
		var = lanes_sum(v) / (float)C;
		r = 1.0f / sqrtf(var + 1e-5f);
		for (j = 0; j < C; j++)
			y[j] = (x[j] - m) * r * g[j] + b[j];
		mean[i] = m;
		rstd[i] = r;
	}
}

KERNEL void gdfo__nn_layernorm_backward(float *restrict dinp, float *restrict dg,
					float *restrict db, const float *restrict dout,
					const float *restrict inp, const float *restrict g,
					const float *restrict mean, const float *restrict rstd,
					size_t N, size_t C)
{
	size_t i, j, l;

	for (i = 0; i < N; i++) {
		const float *x = inp + i * C, *dy = dout + i * C;
		float *dx = dinp + i * C;
		float m = mean[i], r = rstd[i], a[LANES] = {0}, c[LANES] = {0}, dnm, dnnm;
		for (j = 0; j + LANES <= C; j += LANES)
			for (l = 0; l < LANES; l++) {
				float n = (x[j + l] - m) * r, dn = g[j + l] * dy[j + l];
				a[l] += dn;
				c[l] += dn * n;
			}
		for (; j < C; j++) {
			float n = (x[j] - m) * r, dn = g[j] * dy[j];
			a[0] += dn;
			c[0] += dn * n;
		}
		dnm = lanes_sum(a) / (float)C;
		dnnm = lanes_sum(c) / (float)C;
		for (j = 0; j < C; j++) {
			float n = (x[j] - m) * r, dn = g[j] * dy[j];
			db[j] += dy[j];
			dg[j] += n * dy[j];
			dx[j] += (dn - dnm - n * dnnm) * r;
		}
	}
}

#define GELU_K 0.7978845608028654f /* sqrt(2 / pi) */

static inline __attribute__((always_inline)) float tanh_fast(float u)
{
	u = u > 9.0f ? 9.0f : u;
	u = u < -9.0f ? -9.0f : u;
	return 1.0f - 2.0f / (exp_fast(2.0f * u) + 1.0f);
}

/* out = gelu(inp), tanh approximation. */
KERNEL void gdfo__nn_gelu_forward(float *restrict out, const float *restrict inp, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float x = inp[i];
		float t = tanh_fast(GELU_K * (x + 0.044715f * x * x * x));
		out[i] = 0.5f * x * (1.0f + t);
	}
}

/* d = d * gelu'(inp) in place. */
KERNEL void gdfo__nn_gelu_backward(float *restrict d, const float *restrict inp, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float x = inp[i];
		float t = tanh_fast(GELU_K * (x + 0.044715f * x * x * x));
		float grad = 0.5f * (1.0f + t) +
			     0.5f * x * (1.0f - t * t) * GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
		d[i] *= grad;
	}
}

/* Softmax backward on a row: d = p * (d - sum(p * d)). */
KERNEL void gdfo__nn_softmax_backward(float *restrict d, const float *restrict p, size_t n)
{
	float s[LANES] = {0}, t;
	size_t j, l;

	for (j = 0; j + LANES <= n; j += LANES)
		for (l = 0; l < LANES; l++)
			s[l] += p[j + l] * d[j + l];
	for (; j < n; j++)
		s[0] += p[j] * d[j];
	t = lanes_sum(s);
	for (j = 0; j < n; j++)
		d[j] = p[j] * (d[j] - t);
}
