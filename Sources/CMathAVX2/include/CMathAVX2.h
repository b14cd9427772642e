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

#endif
