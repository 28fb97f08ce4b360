/*
 * Plain reference versions of the encoder's kernels (kernels.c) and of one
 * pipeline's attention (forward.c): straightforward loops in double
 * precision with libm's exp and tanh, no blocking, no BLAS. They are slow
 * and meant to be read; tests/c/test_nn.c compares every fast kernel with
 * its reference here.
 *
 * Dimension letters as fixed in nn_internal.h (N rows, C columns, n
 * entries of a row, T tokens of a pipeline, H heads, D = C / H, REL
 * relations). Backward versions ADD into their gradients, as the fast
 * kernels do.
 */
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"

void gdfo__nn_ref_bias_fill(float *out,         // (n)
			    const uint8_t *rel, // (n)
			    const float *bias,  // (REL)
			    size_t n)
{
	size_t j;

	for (j = 0; j < n; j++)
		out[j] = bias[rel[j]];
}

void gdfo__nn_ref_softmax(float *row, // (n)
			  size_t n)
{
	double m = -INFINITY, s = 0.0;
	size_t j;

	for (j = 0; j < n; j++)
		m = row[j] > m ? row[j] : m;
	for (j = 0; j < n; j++)
		s += exp((double)row[j] - m);
	for (j = 0; j < n; j++)
		row[j] = (float)(exp((double)row[j] - m) / s);
}

void gdfo__nn_ref_softmax_backward(float *dinp,       // (n)
				   const float *dout, // (n)
				   const float *p,    // (n)
				   size_t n)
{
	double t = 0.0;
	size_t j;

	for (j = 0; j < n; j++)
		t += (double)p[j] * dout[j];
	for (j = 0; j < n; j++)
		dinp[j] = (float)(dinp[j] + p[j] * (dout[j] - t));
}

void gdfo__nn_ref_layernorm_forward(float *out,       // (N, C)
				    float *mean,      // (N)
				    float *rstd,      // (N)
				    const float *inp, // (N, C)
				    const float *g,   // (C)
				    const float *b,   // (C)
				    size_t N, size_t C)
{
	size_t i, j;

	for (i = 0; i < N; i++) {
		const float *x = inp + i * C;
		double m = 0.0, v = 0.0, r;
		for (j = 0; j < C; j++)
			m += x[j];
		m /= (double)C;
		for (j = 0; j < C; j++)
			v += (x[j] - m) * (x[j] - m);
		r = 1.0 / sqrt(v / (double)C + 1e-5);
		for (j = 0; j < C; j++)
			out[i * C + j] = (float)((x[j] - m) * r * g[j] + b[j]);
		mean[i] = (float)m;
		rstd[i] = (float)r;
	}
}

void gdfo__nn_ref_layernorm_backward(float *dinp,       // (N, C)
				     float *dg,         // (C)
				     float *db,         // (C)
				     const float *dout, // (N, C)
				     const float *inp,  // (N, C)
				     const float *g,    // (C)
				     const float *mean, // (N)
				     const float *rstd, // (N)
				     size_t N, size_t C)
{
	size_t i, j;

	for (i = 0; i < N; i++) {
		const float *x = inp + i * C, *dy = dout + i * C;
		double m = mean[i], r = rstd[i], a = 0.0, c = 0.0;
		for (j = 0; j < C; j++) {
			double n = (x[j] - m) * r, dn = (double)g[j] * dy[j];
			a += dn;
			c += dn * n;
		}
		a /= (double)C;
		c /= (double)C;
		for (j = 0; j < C; j++) {
			double n = (x[j] - m) * r, dn = (double)g[j] * dy[j];
			db[j] += dy[j];
			dg[j] += (float)(n * dy[j]);
			dinp[i * C + j] += (float)((dn - a - n * c) * r);
		}
	}
}

#define GELU_K 0.7978845608028654 /* sqrt(2 / pi) */

void gdfo__nn_ref_gelu_forward(float *out,       // (n)
			       const float *inp, // (n)
			       size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		double x = inp[i];
		out[i] = (float)(0.5 * x * (1.0 + tanh(GELU_K * (x + 0.044715 * x * x * x))));
	}
}

void gdfo__nn_ref_gelu_backward(float *dinp,       // (n)
				const float *dout, // (n)
				const float *inp,  // (n)
				size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		double x = inp[i], t = tanh(GELU_K * (x + 0.044715 * x * x * x));
		double grad = 0.5 * (1.0 + t) +
			      0.5 * x * (1.0 - t * t) * GELU_K * (1.0 + 3.0 * 0.044715 * x * x);
		dinp[i] = (float)(dinp[i] + dout[i] * grad);
	}
}

/*
 * Attention of one pipeline from its qkv rows. Dense pipelines attend to
 * every token, sparse ones to their neighbourhood lists.
 */
void gdfo__nn_ref_attention(float *out,            // (T, C)
			    const float *qkv,      // (T, 3C)
			    const gdfo__nn_pipe *pp,
			    const float *rel_bias, // (H, REL)
			    size_t C, size_t H)
{
	size_t T = pp->T, D = C / H, C3 = 3 * C, h, i, e, k;
	double scale = 1.0 / sqrt((double)D);

	for (i = 0; i < T; i++) {
		size_t e0 = pp->sparse ? pp->nb_start[i] : 0;
		size_t e1 = pp->sparse ? pp->nb_start[i + 1] : T;
		for (h = 0; h < H; h++) {
			double m = -INFINITY, s = 0.0, o[GDFO_NN_REF_MAX_HEAD] = {0};
			for (e = e0; e < e1; e++) {
				size_t j = pp->sparse ? pp->nb_idx[e] : e;
				uint8_t r = pp->sparse ? pp->nb_rel[e] : pp->rel[i * T + j];
				double a = 0.0;
				for (k = 0; k < D; k++)
					a += (double)qkv[i * C3 + h * D + k] * qkv[j * C3 + C + h * D + k];
				a = a * scale + rel_bias[h * GDFO_NN_RELATIONS + r];
				m = a > m ? a : m;
			}
			for (e = e0; e < e1; e++) {
				size_t j = pp->sparse ? pp->nb_idx[e] : e;
				uint8_t r = pp->sparse ? pp->nb_rel[e] : pp->rel[i * T + j];
				double a = 0.0, p;
				for (k = 0; k < D; k++)
					a += (double)qkv[i * C3 + h * D + k] * qkv[j * C3 + C + h * D + k];
				p = exp(a * scale + rel_bias[h * GDFO_NN_RELATIONS + r] - m);
				s += p;
				for (k = 0; k < D; k++)
					o[k] += p * qkv[j * C3 + 2 * C + h * D + k];
			}
			for (k = 0; k < D; k++)
				out[i * C + h * D + k] = (float)(o[k] / s);
		}
	}
}

void gdfo__nn_ref_attention_probs(double *P,             // (H, T, T)
				  const float *qkv,      // (T, 3C)
				  const gdfo__nn_pipe *pp,
				  const float *rel_bias, // (H, REL)
				  size_t C, size_t H)
{
	size_t T = pp->T, D = C / H, C3 = 3 * C, h, i, e, k;
	double scale = 1.0 / sqrt((double)D);

	memset(P, 0, H * T * T * sizeof(double));
	for (h = 0; h < H; h++)
		for (i = 0; i < T; i++) {
			double *row = P + (h * T + i) * T, m = -INFINITY, s = 0.0;
			size_t e0 = pp->sparse ? pp->nb_start[i] : 0;
			size_t e1 = pp->sparse ? pp->nb_start[i + 1] : T;
			for (e = e0; e < e1; e++) {
				size_t j = pp->sparse ? pp->nb_idx[e] : e;
				uint8_t r = pp->sparse ? pp->nb_rel[e] : pp->rel[i * T + j];
				double a = 0.0;
				for (k = 0; k < D; k++)
					a += (double)qkv[i * C3 + h * D + k] * qkv[j * C3 + C + h * D + k];
				row[j] = a * scale + rel_bias[h * GDFO_NN_RELATIONS + r];
				m = row[j] > m ? row[j] : m;
			}
			for (e = e0; e < e1; e++) {
				size_t j = pp->sparse ? pp->nb_idx[e] : e;
				row[j] = exp(row[j] - m);
				s += row[j];
			}
			for (e = e0; e < e1; e++)
				row[pp->sparse ? pp->nb_idx[e] : e] /= s;
		}
}

void gdfo__nn_ref_attention_rollout(double *out,     // (T)
				    double *scratch, // (3, T, T)
				    const double *P, // (L, H, T, T)
				    size_t L, size_t H, size_t T, size_t q)
{
	double *R = scratch, *A = scratch + T * T, *N = scratch + 2 * T * T;
	size_t l, h, i, j, k;

	memset(R, 0, T * T * sizeof(double));
	for (i = 0; i < T; i++)
		R[i * T + i] = 1.0;
	for (l = 0; l < L; l++) {
		for (i = 0; i < T * T; i++)
			A[i] = 0.0;
		for (h = 0; h < H; h++)
			for (i = 0; i < T * T; i++)
				A[i] += P[(l * H + h) * T * T + i] / (2.0 * (double)H);
		for (i = 0; i < T; i++)
			A[i * T + i] += 0.5;
		/* R = A R: layer l is applied after the layers before it */
		for (i = 0; i < T; i++)
			for (j = 0; j < T; j++) {
				double a = 0.0;
				for (k = 0; k < T; k++)
					a += A[i * T + k] * R[k * T + j];
				N[i * T + j] = a;
			}
		memcpy(R, N, T * T * sizeof(double));
	}
	memcpy(out, R + q * T, T * sizeof(double));
}
