/*
 * The encoder's elementwise and row kernels (relation-bias fill, softmax,
 * LayerNorm, GELU, the sparse path's per-query attention), written so that
 * GCC vectorizes them: fixed 8-lane partial sums for reductions and
 * branch-free bodies. On x86-64 each body is compiled twice, for AVX2+FMA
 * and for the baseline, into static functions; the gdfo__nn_* entry point
 * picks one with a CPU check on every call (a load and a branch, nothing
 * next to the work of a row). No target_clones: GCC gives clones and their
 * ifunc resolvers default visibility, so they escaped -fvisibility=hidden
 * into libgdfo.so's dynamic symbols. The bias fill has a hand-written
 * AVX2 version chosen the same way. GELU forward and backward also have an
 * AVX-512 copy (512-bit vectors), the only kernels where it measurably
 * pays: twice as fast alone, the others within 20 % (docs/encoder.md).
 * lib/nn/reference.c holds a plain version of each kernel, and
 * tests/c/test_nn.c compares them.
 *
 * Three math flags apply to this file only (set for kernels.o in the
 * Makefile): -ffinite-math-only and -fno-signed-zeros, which let
 * "a > b ? a : b" become a vector max, and -ffp-contract=fast, which lets
 * a * b + c become one FMA; with -fvect-cost-model=dynamic. The inputs are
 * finite (features are checked, weights are checked on load). There is no
 * reassociation: every sum is computed in the order written, lane by lane,
 * so results are deterministic for a given build and CPU.
 *
 * Dimension letters as fixed in nn_internal.h (N rows, C columns, n entries
 * of a row, H heads, D = C / H, T tokens, REL relations); the shapes of
 * each kernel's arguments are on its body below and its declaration there.
 * A backward kernel ADDS into the gradients it writes.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define GDFO_NN_X86 1
#define AVX2 __attribute__((target("avx2,fma")))
#if defined(__clang__) /* clang has no prefer-vector-width target option (the fuzz build) */
#define AVX512 __attribute__((target("avx2,fma,avx512f,avx512vl,avx512bw,avx512dq")))
#else
#define AVX512 \
	__attribute__((target("avx2,fma,avx512f,avx512vl,avx512bw,avx512dq,prefer-vector-width=512")))
#endif

/* the highest instruction set the kernels may use (tests lower it) */
static int isa_limit = GDFO__NN_ISA_AVX512;

static int have_avx2_fma(void)
{
	return isa_limit >= GDFO__NN_ISA_AVX2 && __builtin_cpu_supports("avx2") &&
	       __builtin_cpu_supports("fma");
}

static int have_avx512(void)
{
	return isa_limit >= GDFO__NN_ISA_AVX512 && have_avx2_fma() &&
	       __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
	       __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
}

/*
 * Defines gdfo__nn_<name>(params) running the always-inline body
 * <name>(args), compiled once for AVX2+FMA and once for the baseline.
 * params repeat the body's; their shapes are commented on the body.
 */
#define DISPATCH(name, params, args)                         \
	AVX2 static void name##_avx2 params { name args; }   \
	static void name##_base params { name args; }         \
	void gdfo__nn_##name params                           \
	{                                                     \
		if (have_avx2_fma())                          \
			name##_avx2 args;                     \
		else                                          \
			name##_base args;                     \
	}

/* The same with a third copy for AVX-512 (512-bit vectors), tried first. */
#define DISPATCH_AVX512(name, params, args)                  \
	AVX512 static void name##_avx512 params { name args; } \
	AVX2 static void name##_avx2 params { name args; }   \
	static void name##_base params { name args; }         \
	void gdfo__nn_##name params                           \
	{                                                     \
		if (have_avx512())                            \
			name##_avx512 args;                   \
		else if (have_avx2_fma())                     \
			name##_avx2 args;                     \
		else                                          \
			name##_base args;                     \
	}
#else
#define DISPATCH(name, params, args) \
	void gdfo__nn_##name params { name args; }
#define DISPATCH_AVX512 DISPATCH
#endif

#define INLINE static inline __attribute__((always_inline))

int gdfo__nn_isa_limit(int level)
{
#ifdef GDFO_NN_X86
	int old = isa_limit;

	isa_limit = level;
	return old;
#else
	return level;
#endif
}

#define LANES 8

#if defined(__GNUC__) && !defined(__clang__)
#define UNROLL8 _Pragma("GCC unroll 8")
#else
#define UNROLL8
#endif

INLINE float lanes_sum(const float *s) // (LANES)
{
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

INLINE float lanes_max(const float *s) // (LANES)
{
	float a = s[0] > s[1] ? s[0] : s[1], b = s[2] > s[3] ? s[2] : s[3];
	float c = s[4] > s[5] ? s[4] : s[5], d = s[6] > s[7] ? s[6] : s[7];

	a = a > b ? a : b;
	c = c > d ? c : d;
	return a > c ? a : c;
}

/*
 * e^x, clamped to [-87, 88] (finite results; far below -87 it returns
 * about 1e-38 rather than 0): x = n ln2 + r with |r| <= ln2 / 2, e^r by its degree-6
 * Taylor polynomial (relative error below 2e-8 on that interval) evaluated
 * in Estrin's scheme, whose dependency chain is half as long as Horner's.
 */
INLINE float exp_fast(float x)
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
 * out[j] = bias[rel[j]]: the relation bias of n attention entries. On
 * x86-64 with AVX2 the 16-entry table sits in two registers and each group
 * of 8 entries is two vpermps and a blend, five times faster than a scalar
 * gather (which compilers do not vectorize well); elsewhere the plain loop.
 */
#ifdef GDFO_NN_X86
__attribute__((target("avx2"))) static size_t bias_fill_avx2(float *restrict out,         // (n)
							    const uint8_t *restrict rel, // (n)
							    const float *restrict table, // (16)
							    size_t n)
{
	__m256 lo = _mm256_loadu_ps(table), hi = _mm256_loadu_ps(table + 8);
	__m256i seven = _mm256_set1_epi32(7);
	size_t j;

	for (j = 0; j + LANES <= n; j += LANES) {
		__m256i idx = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(rel + j)));
		__m256 a = _mm256_permutevar8x32_ps(lo, idx);
		__m256 b = _mm256_permutevar8x32_ps(hi, idx);
		__m256 upper = _mm256_castsi256_ps(_mm256_cmpgt_epi32(idx, seven));
		_mm256_storeu_ps(out + j, _mm256_blendv_ps(a, b, upper));
	}
	return j;
}
#endif

void gdfo__nn_bias_fill(float *restrict out,         // (n)
			const uint8_t *restrict rel, // (n)
			const float *restrict bias,  // (REL)
			size_t n)
{
	size_t j = 0;
#ifdef GDFO_NN_X86
	float table[16] = {0};

	_Static_assert(GDFO_NN_RELATIONS <= 16, "relation table must fit two 8-lane vectors");
	if (n >= LANES && have_avx2_fma()) {
		memcpy(table, bias, GDFO_NN_RELATIONS * sizeof(float));
		j = bias_fill_avx2(out, rel, table, n);
	}
#endif
	for (; j < n; j++)
		out[j] = bias[rel[j]];
}

void gdfo__nn_bias_fill_backward(float *restrict dbias,      // (REL)
				 const float *restrict dout,  // (n)
				 const uint8_t *restrict rel, // (n)
				 size_t n)
{
	size_t j;

	for (j = 0; j < n; j++)
		dbias[rel[j]] += dout[j];
}

/*
 * 2^x for x <= 0: x = n + r with n an integer and |r| <= 1/2, 2^r by a
 * degree-5 polynomial fitted here for relative error (1.5e-7 with these
 * float coefficients, about 2 ulp), evaluated in Estrin's scheme. Below
 * -126 it returns about 2^-126 rather than 0.
 */
INLINE float exp2_nonpositive(float x)
{
	float n, r, r2, f, s;
	uint32_t u;

	x = x < -126.0f ? -126.0f : x;
	n = (x + 12582912.0f) - 12582912.0f; /* round to nearest */
	r = x - n;
	r2 = r * r;
	f = (1.00000012f + 0.693146944f * r) +
	    r2 * ((0.240221202f + 0.0555071346f * r) + r2 * (0.00967554096f + 0.00132763642f * r));
	u = (uint32_t)((int32_t)n + 127) << 23;
	memcpy(&s, &u, 4);
	return f * s;
}

/* the exponentials of a softmax in base 2, in place; returns 1 / their sum */
INLINE float softmax_base2_exp(float *restrict row, // (n)
			       size_t n)
{
	float mx[LANES], s[LANES], m;
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
			row[j + l] = exp2_nonpositive(row[j + l] - m);
			s[l] += row[j + l];
		}
	for (l = 0; j + l < n; l++) {
		row[j + l] = exp2_nonpositive(row[j + l] - m);
		s[l] += row[j + l];
	}
	return 1.0f / lanes_sum(s);
}

INLINE void softmax_base2(float *restrict row, // (n)
			  size_t n)
{
	float inv = softmax_base2_exp(row, n);
	size_t j;

	for (j = 0; j < n; j++)
		row[j] *= inv;
}

/* softmax_base2, then acc = row (first) or acc += row, in the same pass */
INLINE void softmax_base2_sum(float *restrict row, // (n)
			      float *restrict acc, // (n)
			      int first, size_t n)
{
	float inv = softmax_base2_exp(row, n);
	size_t j;

	if (first)
		for (j = 0; j < n; j++)
			acc[j] = row[j] *= inv;
	else
		for (j = 0; j < n; j++)
			acc[j] += row[j] *= inv;
}

/*
 * Softmax of a row of scores given in base 2 (natural scores times
 * log2(e), which callers fold into their scale and bias): the range
 * reduction of 2^x is then one subtraction.
 */
DISPATCH(softmax_base2, (float *restrict row, size_t n), (row, n))
DISPATCH(softmax_base2_sum, (float *restrict row, float *restrict acc, int first, size_t n),
	 (row, acc, first, n))

/*
 * Calls CALL(width) with the head width D as a compile-time constant for
 * the common widths, so the per-head loops of the inlined body unroll.
 */
#define BY_HEAD_WIDTH(D, CALL)          \
	do {                            \
		switch (D) {            \
		case 8: CALL(8); break;   \
		case 16: CALL(16); break; \
		case 32: CALL(32); break; \
		case 64: CALL(64); break; \
		default: CALL(D);       \
		}                       \
	} while (0)

/* a . b over one head's D values (D a constant where the caller is specialised) */
INLINE float head_dot(const float *restrict a, // (D)
		      const float *restrict b, // (D)
		      size_t D)
{
	float s[LANES] = {0};
	size_t k, l;

	UNROLL8
	for (k = 0; k + LANES <= D; k += LANES)
		for (l = 0; l < LANES; l++)
			s[l] += a[k + l] * b[k + l];
	for (; k < D; k++)
		s[0] += a[k] * b[k];
	return lanes_sum(s);
}

INLINE void sparse_row(float *restrict out,          // (C)
		       float *restrict P,            // (H, n), row stride ps
		       size_t ps,
		       const float *restrict q,      // (C)
		       const float *restrict qkv,    // (T, 3C)
		       const uint32_t *restrict idx, // (n)
		       const uint8_t *restrict rel,  // (n)
		       const float *restrict bias2,  // (H, REL)
		       float scale2, size_t n, size_t C, size_t H, size_t D)
{
	size_t C3 = 3 * C, e, h, k;

	for (e = 0; e < n; e++) {
		const float *key = qkv + (size_t)idx[e] * C3 + C;
		for (h = 0; h < H; h++)
			P[h * ps + e] = scale2 * head_dot(q + h * D, key + h * D, D) +
					bias2[h * GDFO_NN_RELATIONS + rel[e]];
	}
	for (h = 0; h < H; h++)
		softmax_base2(P + h * ps, n);
	for (k = 0; k < C; k++)
		out[k] = 0.0f;
	for (e = 0; e < n; e++) {
		const float *v = qkv + (size_t)idx[e] * C3 + 2 * C;
		for (h = 0; h < H; h++) {
			float w = P[h * ps + e];
			UNROLL8
			for (k = h * D; k < (h + 1) * D; k++)
				out[k] += w * v[k];
		}
	}
}

/*
 * Sparse attention of one query over its n neighbours, every head in one
 * call (the per-entry work is too small for a call per head and entry).
 * out (C) the query's output; P (H, ps) probabilities, entry e of head h at
 * P[h * ps + e]; q (C) the query's part of its qkv row; qkv rows of the
 * pipeline (stride 3C: keys at +C, values at +2C); idx (n) key tokens,
 * rel (n) their relations; bias2 (H, GDFO_NN_RELATIONS) and scale2 already
 * in base 2. Common head widths get a copy with the width fixed at compile
 * time, so the short per-head loops unroll completely.
 */
INLINE void sparse_attention_row(float *restrict out,          // (C)
				 float *restrict P,            // (H, n), row stride ps
				 size_t ps,
				 const float *restrict q,      // (C)
				 const float *restrict qkv,    // (T, 3C)
				 const uint32_t *restrict idx, // (n)
				 const uint8_t *restrict rel,  // (n)
				 const float *restrict bias2,  // (H, REL)
				 float scale2, size_t n, size_t C, size_t H)
{
#define ROW(width) sparse_row(out, P, ps, q, qkv, idx, rel, bias2, scale2, n, C, H, width)
	BY_HEAD_WIDTH(C / H, ROW);
#undef ROW
}

DISPATCH(sparse_attention_row,
	 (float *restrict out, float *restrict P, size_t ps, const float *restrict q,
	  const float *restrict qkv, const uint32_t *restrict idx, const uint8_t *restrict rel,
	  const float *restrict bias2, float scale2, size_t n, size_t C, size_t H),
	 (out, P, ps, q, qkv, idx, rel, bias2, scale2, n, C, H))

/* out (N, C) = x (N, C) + bias (C) */
INLINE void rows_plus(float *restrict out,        // (N, C)
		      const float *restrict x,    // (N, C)
		      const float *restrict bias, // (C)
		      size_t N, size_t C)
{
	size_t i, j;

	for (i = 0; i < N; i++)
		for (j = 0; j < C; j++)
			out[i * C + j] = x[i * C + j] + bias[j];
}

DISPATCH(rows_plus,
	 (float *restrict out, const float *restrict x, const float *restrict bias, size_t N,
	  size_t C),
	 (out, x, bias, N, C))

/* acc (C) += column sums of x (N, C) with row stride ld */
INLINE void colsum_add(float *restrict acc,     // (C)
		       const float *restrict x, // (N, C), row stride ld
		       size_t ld, size_t N, size_t C)
{
	size_t i, j;

	for (i = 0; i < N; i++)
		for (j = 0; j < C; j++)
			acc[j] += x[i * ld + j];
}

DISPATCH(colsum_add, (float *restrict acc, const float *restrict x, size_t ld, size_t N, size_t C),
	 (acc, x, ld, N, C))

INLINE void layernorm_forward(float *restrict out,       // (N, C)
			      float *restrict mean,      // (N)
			      float *restrict rstd,      // (N)
			      const float *restrict inp, // (N, C)
			      const float *restrict g,   // (C)
			      const float *restrict b,   // (C)
			      size_t N, size_t C)
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

DISPATCH(layernorm_forward,
	 (float *restrict out, float *restrict mean, float *restrict rstd,
	  const float *restrict inp, const float *restrict g, const float *restrict b, size_t N,
	  size_t C),
	 (out, mean, rstd, inp, g, b, N, C))

INLINE void layernorm_backward(float *restrict dinp,       // (N, C)
			       float *restrict dg,         // (C)
			       float *restrict db,         // (C)
			       const float *restrict dout, // (N, C)
			       const float *restrict inp,  // (N, C)
			       const float *restrict g,    // (C)
			       const float *restrict mean, // (N)
			       const float *restrict rstd, // (N)
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

DISPATCH(layernorm_backward,
	 (float *restrict dinp, float *restrict dg, float *restrict db, const float *restrict dout,
	  const float *restrict inp, const float *restrict g, const float *restrict mean,
	  const float *restrict rstd, size_t N, size_t C),
	 (dinp, dg, db, dout, inp, g, mean, rstd, N, C))

#define GELU_K 0.7978845608028654f /* sqrt(2 / pi) */

/*
 * GELU, tanh approximation, written as x * sigmoid(2u) with
 * u = sqrt(2/pi) (x + 0.044715 x^3): 0.5 (1 + tanh u) = 1 / (1 + e^(-2u)),
 * which has no cancellation for negative x.
 */
INLINE void gelu_forward(float *restrict out,       // (n)
			 const float *restrict inp, // (n)
			 size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float x = inp[i];
		float u = GELU_K * (x + 0.044715f * x * x * x);
		out[i] = x / (1.0f + exp_fast(-2.0f * u));
	}
}

DISPATCH_AVX512(gelu_forward, (float *restrict out, const float *restrict inp, size_t n),
		(out, inp, n))

/* dinp += dout * gelu'(inp); with s = sigmoid(2u), gelu' = s + 2 x s (1 - s) u'. */
INLINE void gelu_backward(float *restrict dinp,       // (n)
			  const float *restrict dout, // (n)
			  const float *restrict inp,  // (n)
			  size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float x = inp[i];
		float u = GELU_K * (x + 0.044715f * x * x * x);
		float s = 1.0f / (1.0f + exp_fast(-2.0f * u));
		float du = GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
		dinp[i] += dout[i] * (s + 2.0f * x * s * (1.0f - s) * du);
	}
}

DISPATCH_AVX512(gelu_backward,
	 (float *restrict dinp, const float *restrict dout, const float *restrict inp, size_t n),
	 (dinp, dout, inp, n))

/* Softmax backward on a row: dinp += p * (dout - sum(p * dout)). */
INLINE void softmax_backward(float *restrict dinp,       // (n)
			     const float *restrict dout, // (n)
			     const float *restrict p,    // (n)
			     size_t n)
{
	float s[LANES] = {0}, t;
	size_t j, l;

	for (j = 0; j + LANES <= n; j += LANES)
		for (l = 0; l < LANES; l++)
			s[l] += p[j + l] * dout[j + l];
	for (; j < n; j++)
		s[0] += p[j] * dout[j];
	t = lanes_sum(s);
	for (j = 0; j < n; j++)
		dinp[j] += p[j] * (dout[j] - t);
}

DISPATCH(softmax_backward,
	 (float *restrict dinp, const float *restrict dout, const float *restrict p, size_t n),
	 (dinp, dout, p, n))

INLINE void sparse_row_backward(float *restrict dqkv,         // (T, 3C)
				float *restrict drel_bias,    // (H, REL)
				float *restrict dP,           // (n) scratch
				float *restrict dS,           // (n) scratch
				const float *restrict dO,     // (C)
				const float *restrict qkv,    // (T, 3C)
				const float *restrict P,      // (H, n), row stride ps
				size_t ps, size_t i,
				const uint32_t *restrict idx, // (n)
				const uint8_t *restrict rel,  // (n)
				float scale, size_t n, size_t C, size_t H, size_t D)
{
	size_t C3 = 3 * C, e, h, k;
	const float *q = qkv + i * C3;

	for (h = 0; h < H; h++) {
		const float *Ph = P + h * ps, *dOh = dO + h * D, *qh = q + h * D;
		float *db = drel_bias + h * GDFO_NN_RELATIONS, *dqh = dqkv + i * C3 + h * D;
		for (e = 0; e < n; e++) {
			dP[e] = head_dot(dOh, qkv + (size_t)idx[e] * C3 + 2 * C + h * D, D);
			dS[e] = 0.0f;
		}
		softmax_backward(dS, dP, Ph, n);
		for (e = 0; e < n; e++) {
			size_t kj = idx[e];
			const float *kk = qkv + kj * C3 + C + h * D;
			float *dk = dqkv + kj * C3 + C + h * D, *dv = dqkv + kj * C3 + 2 * C + h * D;
			float ds = dS[e], p = Ph[e];
			db[rel[e]] += ds;
			ds *= scale;
			UNROLL8
			for (k = 0; k < D; k++) {
				dqh[k] += ds * kk[k];
				dk[k] += ds * qh[k];
				dv[k] += p * dOh[k];
			}
		}
	}
}

/*
 * Backward of gdfo__nn_sparse_attention_row for query i: ADDS into dqkv
 * (the query's Q part, its keys' K and V parts) and drel_bias; dP and dS
 * are scratch; dO the gradient at the query's output; P the probabilities
 * kept by the forward; scale = 1 / sqrt(C / H) in natural units (the
 * probabilities do not depend on the base the forward used).
 */
INLINE void sparse_attention_row_backward(float *restrict dqkv,         // (T, 3C)
					  float *restrict drel_bias,    // (H, REL)
					  float *restrict dP,           // (n) scratch
					  float *restrict dS,           // (n) scratch
					  const float *restrict dO,     // (C)
					  const float *restrict qkv,    // (T, 3C)
					  const float *restrict P,      // (H, n), row stride ps
					  size_t ps, size_t i,
					  const uint32_t *restrict idx, // (n)
					  const uint8_t *restrict rel,  // (n)
					  float scale, size_t n, size_t C, size_t H)
{
#define ROW(width) \
	sparse_row_backward(dqkv, drel_bias, dP, dS, dO, qkv, P, ps, i, idx, rel, scale, n, C, \
			    H, width)
	BY_HEAD_WIDTH(C / H, ROW);
#undef ROW
}

DISPATCH(sparse_attention_row_backward,
	 (float *restrict dqkv, float *restrict drel_bias, float *restrict dP, float *restrict dS,
	  const float *restrict dO, const float *restrict qkv, const float *restrict P, size_t ps,
	  size_t i, const uint32_t *restrict idx, const uint8_t *restrict rel, float scale,
	  size_t n, size_t C, size_t H),
	 (dqkv, drel_bias, dP, dS, dO, qkv, P, ps, i, idx, rel, scale, n, C, H))
