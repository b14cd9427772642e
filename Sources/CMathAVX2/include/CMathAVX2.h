// exp and the tanh-form GELU on eight floats at a time with AVX2 and FMA, for x86-64 CPUs that
// have them.
//
// NOLAKit's portable versions (VectorMath.swift, GELU.swift) are compiled for the x86-64
// baseline (SSE2: four lanes, no fused multiply-add), since a binary built for AVX2 would crash
// on CPUs without it. These kernels compute the same formulas in 256-bit registers with fused
// multiply-adds, about three times faster; NOLAKit calls them when
// `nola_math_avx2_available()` says the CPU has AVX2 and FMA. They agree with the portable
// code to a few units in the last place (fused rounding differs), which the tests bound.
#ifndef CMATH_AVX2_H
#define CMATH_AVX2_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this build has the kernels and the CPU running it supports AVX2 and FMA; else 0.
int nola_math_avx2_available(void);

/// out[i] = exp(x[i] - shift) for i < n (out may equal x); returns the sum of the out values.
/// exp as VectorMath.exp: 2^n e^r, Cody–Waite reduction, degree-7 Taylor polynomial; 0 below
/// -103.98, +inf above 88.7228, NaN stays NaN. Call only when nola_math_avx2_available() is 1.
float nola_exp_shifted_avx2(const float *x, float *out, size_t n, float shift);

/// y[i] = x/2 (1 + t), t = tanh(sqrt(2/pi) (x + 0.044715 x^3)), and tanh_u[i] = t, for i < n;
/// tanh as VectorMath.tanh. Call only when nola_math_avx2_available() is 1.
void nola_gelu_avx2(const float *x, float *y, float *tanh_u, size_t n);

/// dx[i] = dy[i] (t/2 + 1/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3 0.044715 x^2)) with t = tanh_u[i], for
/// i < n: GELU's backward from the forward's tanh values. Call only when nola_math_avx2_available() is 1.
void nola_gelu_backward_avx2(const float *dy, const float *x, const float *tanh_u, float *dx, size_t n);

// The products of generation (NOLAKit's DecodingModel). Each output is one chain of operations in
// a fixed order that depends only on its own row: a row gives the same bits whatever other rows
// share the call, unlike a BLAS sgemm, whose kernels change with the matrix's size. The
// _portable versions run on any CPU; the _avx2 ones need nola_math_avx2_available() == 1.

/// y[i, j] = bias[j] + sum over p of x[i, p] wt[p, j] for i < m, j < n, the sum taken in order
/// p = 0, 1, ..., k - 1 (one fused multiply-add per term in the AVX2 version). x: (m, k),
/// wt: (k, n) (a weight W: (n, k) transposed), bias: n floats or NULL, y: (m, n).
void nola_rowwise_linear_avx2(const float *x, size_t m, size_t k, const float *wt, size_t n, const float *bias, float *y);
void nola_rowwise_linear_portable(const float *x, size_t m, size_t k, const float *wt, size_t n, const float *bias, float *y);

/// 1 when the CPU running this has AVX-512 (F); the AVX-512 row-wise product gives the AVX2
/// one's bits (the same fused multiply-adds in the same order per output), faster.
int nola_math_avx512_available(void);
void nola_rowwise_linear_avx512(const float *x, size_t m, size_t k, const float *wt, size_t n, const float *bias, float *y);

/// One query of one head against `count` cached positions: s_t = scale <q, k_t>, p = softmax(s),
/// out = sum over t of p_t v_t, t in order. Key and value t start at keys + i * stride and
/// values + i * stride with i = index[t] (i = t when index is NULL: positions 0..<count); q,
/// every key and value, and out have hs floats. scores: count floats of scratch (left holding
/// e^(s_t - max s)).
void nola_cached_attention_avx2(const float *q, const float *keys, const float *values, const int32_t *index, size_t count,
                                size_t stride, size_t hs, float scale, float *scores, float *out);
void nola_cached_attention_portable(const float *q, const float *keys, const float *values, const int32_t *index, size_t count,
                                    size_t stride, size_t hs, float scale, float *scores, float *out);

// Element-wise loops of a training step (NOLAKit's Adam, VectorMath.maximum), in AVX2 with the
// Swift loops' operations in the same order and no fused multiply-adds: the same bits, faster.
// Call only when nola_math_avx2_available() is 1.

/// One AdamW (or Adam) step over n values, as Adam.update: for each i, with g = grad[i] + coupled w,
/// m = b1 m + one_minus_b1 g, v = b2 v + (one_minus_b2 g) g, w = w decay - (step_size m) /
/// (sqrt(v) / root_correction2 + epsilon); w, m, v updated in place.
void nola_adam_avx2(float *w, const float *grad, float *m, float *v, size_t n, float coupled, float b1, float b2,
                    float one_minus_b1, float one_minus_b2, float root_correction2, float epsilon, float decay,
                    float step_size);

/// The largest of n >= 1 values; NaN when any is NaN.
float nola_maximum_avx2(const float *x, size_t n);

#endif
