// See CMathAVX2.h: element-wise loops of a training step in AVX2, with the same operations in the
// same order as NOLAKit's Swift loops, so each output has the same bits (no fused multiply-adds:
// every product is rounded before it is added, as in Swift).
#include "CMathAVX2.h"

#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#include <math.h>

#define AVX2 __attribute__((target("avx2,fma")))

// Lanes 0..<count set (count <= 8).
static inline AVX2 __m256i tail_mask(size_t count) {
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), index);
}

// One octet of AdamW, in the Swift loop's order (Adam.update).
static inline AVX2 void adam8(float *w, const float *g, float *m, float *v, __m256i mask, int full, const float c[9]) {
    const __m256 coupled = _mm256_set1_ps(c[0]), b1 = _mm256_set1_ps(c[1]), b2 = _mm256_set1_ps(c[2]);
    const __m256 omb1 = _mm256_set1_ps(c[3]), omb2 = _mm256_set1_ps(c[4]), root2 = _mm256_set1_ps(c[5]);
    const __m256 eps = _mm256_set1_ps(c[6]), decay = _mm256_set1_ps(c[7]), step = _mm256_set1_ps(c[8]);
    __m256 wv = full ? _mm256_loadu_ps(w) : _mm256_maskload_ps(w, mask);
    __m256 gv = full ? _mm256_loadu_ps(g) : _mm256_maskload_ps(g, mask);
    __m256 mv = full ? _mm256_loadu_ps(m) : _mm256_maskload_ps(m, mask);
    __m256 vv = full ? _mm256_loadu_ps(v) : _mm256_maskload_ps(v, mask);
    __m256 gj = _mm256_add_ps(gv, _mm256_mul_ps(coupled, wv));                                  // g + λ w
    mv = _mm256_add_ps(_mm256_mul_ps(b1, mv), _mm256_mul_ps(omb1, gj));                        // β₁ m + (1 − β₁) g
    vv = _mm256_add_ps(_mm256_mul_ps(b2, vv), _mm256_mul_ps(_mm256_mul_ps(omb2, gj), gj));     // β₂ v + (1 − β₂) g g
    __m256 den = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vv), root2), eps);               // √v / √c₂ + ε
    wv = _mm256_sub_ps(_mm256_mul_ps(wv, decay), _mm256_div_ps(_mm256_mul_ps(step, mv), den)); // w d − (η/c₁) m / den
    if (full) {
        _mm256_storeu_ps(w, wv);
        _mm256_storeu_ps(m, mv);
        _mm256_storeu_ps(v, vv);
    } else {
        _mm256_maskstore_ps(w, mask, wv);
        _mm256_maskstore_ps(m, mask, mv);
        _mm256_maskstore_ps(v, mask, vv);
    }
}

AVX2 void nola_adam_avx2(float *w, const float *g, float *m, float *v, size_t n, float coupled, float b1, float b2,
                         float one_minus_b1, float one_minus_b2, float root_correction2, float epsilon, float decay,
                         float step_size) {
    const float c[9] = {coupled, b1, b2, one_minus_b1, one_minus_b2, root_correction2, epsilon, decay, step_size};
    size_t i = 0;
    const __m256i all = _mm256_set1_epi32(-1);
    for (; i + 8 <= n; i += 8) adam8(w + i, g + i, m + i, v + i, all, 1, c);
    if (i < n) adam8(w + i, g + i, m + i, v + i, tail_mask(n - i), 0, c);
}

AVX2 float nola_maximum_avx2(const float *x, size_t n) {
    // NaN anywhere gives NaN, as VectorMath.maximum; else the largest value.
    __m256 top = _mm256_set1_ps(-INFINITY);
    __m256 nan = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        top = _mm256_max_ps(top, v);
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, top);
    float result = lanes[0];
    for (int j = 1; j < 8; j++) if (lanes[j] > result) result = lanes[j];
    int any_nan = _mm256_movemask_ps(nan) != 0;
    for (; i < n; i++) {
        if (x[i] > result) result = x[i];
        if (x[i] != x[i]) any_nan = 1;
    }
    return any_nan ? NAN : result;
}

#else

void nola_adam_avx2(float *w, const float *g, float *m, float *v, size_t n, float coupled, float b1, float b2,
                    float one_minus_b1, float one_minus_b2, float root_correction2, float epsilon, float decay,
                    float step_size) {
    (void)w; (void)g; (void)m; (void)v; (void)n; (void)coupled; (void)b1; (void)b2; (void)one_minus_b1;
    (void)one_minus_b2; (void)root_correction2; (void)epsilon; (void)decay; (void)step_size;
}
float nola_maximum_avx2(const float *x, size_t n) {
    (void)x; (void)n;
    return 0;
}

#endif
