// See CMathAVX2.h. The constants and steps are those of VectorMath.swift, written with fused
// multiply-adds.
#include "CMathAVX2.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#include <math.h>

int nola_math_avx2_available(void) {
    __builtin_cpu_init();
    return (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 1 : 0;
}

#define AVX2 __attribute__((target("avx2,fma")))

// e^x for eight floats: x = n ln 2 + r, |r| <= ln 2 / 2, e^r by Horner, 2^n = 2^(n/2) 2^(n - n/2).
static inline AVX2 __m256 exp8(__m256 x) {
    const __m256 lower = _mm256_set1_ps(-103.98f), upper = _mm256_set1_ps(88.7228f);
    const __m256 big = _mm256_set1_ps(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
    __m256 clamped = _mm256_min_ps(_mm256_max_ps(x, lower), upper);
    __m256 shifted = _mm256_fmadd_ps(clamped, _mm256_set1_ps(1.44269504f), big);
    __m256 n = _mm256_sub_ps(shifted, big);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.69314575f), clamped);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.4286068e-6f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i integer = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_castps_si256(big));
    __m256i half = _mm256_srai_epi32(integer, 1);
    const __m256i bias = _mm256_set1_epi32(127);
    __m256 scale1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, bias), 23));
    __m256 scale2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(integer, half), bias), 23));
    __m256 result = _mm256_mul_ps(_mm256_mul_ps(p, scale1), scale2);
    result = _mm256_blendv_ps(result, _mm256_setzero_ps(), _mm256_cmp_ps(x, lower, _CMP_LT_OQ));
    result = _mm256_blendv_ps(result, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(x, upper, _CMP_GT_OQ));
    return _mm256_blendv_ps(result, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// tanh(u) = 1 - 2 / (e^{2|u|} + 1), sign restored; |u| capped at 10 (tanh is 1 in float there).
static inline AVX2 __m256 tanh8(__m256 u) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 magnitude = _mm256_min_ps(_mm256_andnot_ps(sign, u), _mm256_set1_ps(10.0f));
    __m256 e = exp8(_mm256_add_ps(magnitude, magnitude));
    __m256 t = _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
    t = _mm256_or_ps(t, _mm256_and_ps(sign, u));
    return _mm256_blendv_ps(t, u, _mm256_cmp_ps(u, u, _CMP_UNORD_Q));
}

// Lanes 0..<count set (count <= 8).
static inline AVX2 __m256i lanes(size_t count) {
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), index);
}

static inline AVX2 float horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

AVX2 float nola_exp_shifted_avx2(const float *x, float *out, size_t n, float shift) {
    const __m256 s = _mm256_set1_ps(shift);
    __m256 sums = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
        _mm256_storeu_ps(out + i, e);
        sums = _mm256_add_ps(sums, e);
    }
    if (i < n) {
        __m256i mask = lanes(n - i);
        __m256 v = _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), _mm256_maskload_ps(x + i, mask), _mm256_castsi256_ps(mask));
        __m256 e = exp8(_mm256_sub_ps(v, s));
        _mm256_maskstore_ps(out + i, mask, e);
        sums = _mm256_add_ps(sums, e);
    }
    return horizontal_sum(sums);
}

// One octet of GELU: y = v/2 (1 + t), t = tanh(k v (1 + c v^2)).
static inline AVX2 __m256 gelu8(__m256 v, __m256 *t) {
    const __m256 k = _mm256_set1_ps(0.79788456f), c = _mm256_set1_ps(0.044715f);
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    __m256 u = _mm256_mul_ps(_mm256_mul_ps(k, v), _mm256_fmadd_ps(_mm256_mul_ps(c, v), v, one));
    *t = tanh8(u);
    return _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, *t));
}

AVX2 void nola_gelu_avx2(const float *x, float *y, float *tanh_u, size_t n) {
    size_t i = 0;
    __m256 t;
    for (; i + 8 <= n; i += 8) {  // full octets: plain loads and stores (masked ones are slow on some CPUs)
        __m256 out = gelu8(_mm256_loadu_ps(x + i), &t);
        _mm256_storeu_ps(tanh_u + i, t);
        _mm256_storeu_ps(y + i, out);
    }
    if (i < n) {
        __m256i mask = lanes(n - i);
        __m256 out = gelu8(_mm256_maskload_ps(x + i, mask), &t);
        _mm256_maskstore_ps(tanh_u + i, mask, t);
        _mm256_maskstore_ps(y + i, mask, out);
    }
}

// One octet of GELU's derivative times dy.
static inline AVX2 __m256 gelu_backward8(__m256 d, __m256 v, __m256 t) {
    const __m256 k = _mm256_set1_ps(0.79788456f), c3 = _mm256_set1_ps(3 * 0.044715f);
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    __m256 du = _mm256_mul_ps(k, _mm256_fmadd_ps(_mm256_mul_ps(c3, v), v, one));     // k (1 + 3c x^2)
    __m256 sech2 = _mm256_fnmadd_ps(t, t, one);                                      // 1 - t^2
    __m256 slope = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_mul_ps(half, v), sech2), du, _mm256_mul_ps(half, _mm256_add_ps(one, t)));
    return _mm256_mul_ps(d, slope);
}

AVX2 void nola_gelu_backward_avx2(const float *dy, const float *x, const float *tanh_u, float *dx, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(dx + i, gelu_backward8(_mm256_loadu_ps(dy + i), _mm256_loadu_ps(x + i), _mm256_loadu_ps(tanh_u + i)));
    }
    if (i < n) {
        __m256i mask = lanes(n - i);
        __m256 out = gelu_backward8(_mm256_maskload_ps(dy + i, mask), _mm256_maskload_ps(x + i, mask), _mm256_maskload_ps(tanh_u + i, mask));
        _mm256_maskstore_ps(dx + i, mask, out);
    }
}

#else

int nola_math_avx2_available(void) { return 0; }
void nola_gelu_backward_avx2(const float *dy, const float *x, const float *tanh_u, float *dx, size_t n) {
    (void)dy; (void)x; (void)tanh_u; (void)dx; (void)n;
}
float nola_exp_shifted_avx2(const float *x, float *out, size_t n, float shift) {
    (void)x; (void)out; (void)n; (void)shift;
    return 0;
}
void nola_gelu_avx2(const float *x, float *y, float *tanh_u, size_t n) {
    (void)x; (void)y; (void)tanh_u; (void)n;
}

#endif
