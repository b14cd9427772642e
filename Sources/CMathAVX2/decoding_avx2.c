// See CMathAVX2.h: the products of generation, each output computed by one chain of fused
// multiply-adds whose order depends on nothing but its own row, so a row gives the same bits
// whether it is decoded alone or among hundreds.
#include "CMathAVX2.h"

#include <math.h>

// The portable versions: plain C at the package's x86-64 baseline (no fused multiply-add), the
// same order of operations per output as the AVX2 versions.
void nola_rowwise_linear_portable(const float *x, size_t m, size_t k, const float *wt, size_t n, const float *bias, float *y) {
    for (size_t i = 0; i < m; i++) {
        float *out = y + i * n;
        for (size_t j = 0; j < n; j++) out[j] = 0;
        for (size_t p = 0; p < k; p++) {
            const float a = x[i * k + p];
            const float *w = wt + p * n;
            for (size_t j = 0; j < n; j++) out[j] += a * w[j];
        }
        if (bias) for (size_t j = 0; j < n; j++) out[j] += bias[j];
    }
}

void nola_cached_attention_portable(const float *q, const float *keys, const float *values, const int32_t *index, size_t count,
                                    size_t stride, size_t hs, float scale, float *scores, float *out) {
    float top = -INFINITY;
    for (size_t t = 0; t < count; t++) {
        const float *key = keys + (index ? (size_t)index[t] : t) * stride;
        float s = 0;
        for (size_t d = 0; d < hs; d++) s += q[d] * key[d];
        s *= scale;
        scores[t] = s;
        if (s > top) top = s;
    }
    float sum = 0;
    for (size_t t = 0; t < count; t++) {
        scores[t] = expf(scores[t] - top);
        sum += scores[t];
    }
    const float inverse = 1 / sum;
    for (size_t d = 0; d < hs; d++) out[d] = 0;
    for (size_t t = 0; t < count; t++) {
        const float p = scores[t] * inverse;
        const float *value = values + (index ? (size_t)index[t] : t) * stride;
        for (size_t d = 0; d < hs; d++) out[d] += p * value[d];
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline))

// Lanes 0..<count set (count <= 8).
INLINE AVX2 __m256i column_mask(size_t count) {
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), index);
}

// One tile: rows i..<i+R of y, columns j..<j+8V (the last octet masked to `last` lanes).
// acc[r][v] = Σ_p x[i+r, p] wt[p, j+8v..] in order p = 0, 1, …, then + bias.
INLINE AVX2 void tile(const int R, const int V, const float *x, size_t k, const float *wt, size_t n, const float *bias,
                      float *y, size_t i, size_t j, size_t last) {
    __m256 acc[4][3];
    for (int r = 0; r < R; r++) for (int v = 0; v < V; v++) acc[r][v] = _mm256_setzero_ps();
    const __m256i mask = column_mask(last);
    for (size_t p = 0; p < k; p++) {
        const float *w = wt + p * n + j;
        __m256 b[3];
        for (int v = 0; v < V; v++) b[v] = (v == V - 1 && last < 8) ? _mm256_maskload_ps(w + 8 * v, mask) : _mm256_loadu_ps(w + 8 * v);
        for (int r = 0; r < R; r++) {
            const __m256 a = _mm256_broadcast_ss(x + (i + r) * k + p);
            for (int v = 0; v < V; v++) acc[r][v] = _mm256_fmadd_ps(a, b[v], acc[r][v]);
        }
    }
    for (int v = 0; v < V; v++) {
        const int partial = v == V - 1 && last < 8;
        __m256 add = _mm256_setzero_ps();
        if (bias) add = partial ? _mm256_maskload_ps(bias + j + 8 * v, mask) : _mm256_loadu_ps(bias + j + 8 * v);
        for (int r = 0; r < R; r++) {
            __m256 out = bias ? _mm256_add_ps(acc[r][v], add) : acc[r][v];
            float *dst = y + (i + r) * n + j + 8 * v;
            if (partial) _mm256_maskstore_ps(dst, mask, out); else _mm256_storeu_ps(dst, out);
        }
    }
}

// The rows of one block of up to 4, every column.
INLINE AVX2 void row_block(const int R, const float *x, size_t k, const float *wt, size_t n, const float *bias, float *y, size_t i) {
    size_t j = 0;
    for (; j + 24 <= n; j += 24) tile(R, 3, x, k, wt, n, bias, y, i, j, 8);
    const size_t left = n - j;
    if (left > 16) tile(R, 3, x, k, wt, n, bias, y, i, j, left - 16);
    else if (left > 8) tile(R, 2, x, k, wt, n, bias, y, i, j, left - 8);
    else if (left > 0) tile(R, 1, x, k, wt, n, bias, y, i, j, left);
}

AVX2 void nola_rowwise_linear_avx2(const float *x, size_t m, size_t k, const float *wt, size_t n, const float *bias, float *y) {
    size_t i = 0;
    for (; i + 4 <= m; i += 4) row_block(4, x, k, wt, n, bias, y, i);
    switch (m - i) {
    case 3: row_block(3, x, k, wt, n, bias, y, i); break;
    case 2: row_block(2, x, k, wt, n, bias, y, i); break;
    case 1: row_block(1, x, k, wt, n, bias, y, i); break;
    default: break;
    }
}

// The same kernel on 16-float registers: each output is the same chain of fused multiply-adds
// in the same order, so it gives the AVX2 kernel's bits, about twice as fast where 512-bit FMAs
// issue at full rate.
#define AVX512 __attribute__((target("avx512f")))

int nola_math_avx512_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

INLINE AVX512 void tile16(const int R, const int V, const float *x, size_t k, const float *wt, size_t n, const float *bias,
                          float *y, size_t i, size_t j, size_t last) {
    __m512 acc[4][3];
    for (int r = 0; r < R; r++) for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_ps();
    const __mmask16 mask = (__mmask16)((1u << last) - 1u);
    for (size_t p = 0; p < k; p++) {
        const float *w = wt + p * n + j;
        __m512 b[3];
        for (int v = 0; v < V; v++) b[v] = (v == V - 1 && last < 16) ? _mm512_maskz_loadu_ps(mask, w + 16 * v) : _mm512_loadu_ps(w + 16 * v);
        for (int r = 0; r < R; r++) {
            const __m512 a = _mm512_set1_ps(x[(i + r) * k + p]);
            for (int v = 0; v < V; v++) acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
        }
    }
    for (int v = 0; v < V; v++) {
        const int partial = v == V - 1 && last < 16;
        __m512 add = _mm512_setzero_ps();
        if (bias) add = partial ? _mm512_maskz_loadu_ps(mask, bias + j + 16 * v) : _mm512_loadu_ps(bias + j + 16 * v);
        for (int r = 0; r < R; r++) {
            __m512 out = bias ? _mm512_add_ps(acc[r][v], add) : acc[r][v];
            float *dst = y + (i + r) * n + j + 16 * v;
            if (partial) _mm512_mask_storeu_ps(dst, mask, out); else _mm512_storeu_ps(dst, out);
        }
    }
}

INLINE AVX512 void row_block16(const int R, const float *x, size_t k, const float *wt, size_t n, const float *bias, float *y, size_t i) {
    size_t j = 0;
    for (; j + 48 <= n; j += 48) tile16(R, 3, x, k, wt, n, bias, y, i, j, 16);
    const size_t left = n - j;
    if (left > 32) tile16(R, 3, x, k, wt, n, bias, y, i, j, left - 32);
    else if (left > 16) tile16(R, 2, x, k, wt, n, bias, y, i, j, left - 16);
    else if (left > 0) tile16(R, 1, x, k, wt, n, bias, y, i, j, left);
}

AVX512 void nola_rowwise_linear_avx512(const float *x, size_t m, size_t k, const float *wt, size_t n, const float *bias, float *y) {
    size_t i = 0;
    for (; i + 4 <= m; i += 4) row_block16(4, x, k, wt, n, bias, y, i);
    switch (m - i) {
    case 3: row_block16(3, x, k, wt, n, bias, y, i); break;
    case 2: row_block16(2, x, k, wt, n, bias, y, i); break;
    case 1: row_block16(1, x, k, wt, n, bias, y, i); break;
    default: break;
    }
}

INLINE AVX2 float horizontal_sum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

float nola_exp_shifted_avx2(const float *x, float *out, size_t n, float shift);

AVX2 void nola_cached_attention_avx2(const float *q, const float *keys, const float *values, const int32_t *index, size_t count,
                                     size_t stride, size_t hs, float scale, float *scores, float *out) {
    // s_t = scale · ⟨q, k_t⟩: eight lanes of partial sums over d in order, then one fixed tree.
    const size_t full = hs & ~(size_t)7;
    const __m256i mask = column_mask(hs - full);
    float top = -INFINITY;
    for (size_t t = 0; t < count; t++) {
        const float *key = keys + (index ? (size_t)index[t] : t) * stride;
        __m256 acc = _mm256_setzero_ps();
        size_t d = 0;
        for (; d < full; d += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), _mm256_loadu_ps(key + d), acc);
        if (d < hs) acc = _mm256_fmadd_ps(_mm256_maskload_ps(q + d, mask), _mm256_maskload_ps(key + d, mask), acc);
        const float s = horizontal_sum8(acc) * scale;
        scores[t] = s;
        if (s > top) top = s;
    }
    // p_t = e^(s_t − max) / Σ e^(s − max)
    const float inverse = 1 / nola_exp_shifted_avx2(scores, scores, count, top);
    // o = Σ_t p_t v_t, one chain over t per output column.
    for (size_t d = 0; d < hs; d += 8) {
        const int partial = d + 8 > hs;
        const __m256i m = column_mask(hs - d);
        __m256 acc = _mm256_setzero_ps();
        for (size_t t = 0; t < count; t++) {
            const float *v = values + (index ? (size_t)index[t] : t) * stride + d;
            const __m256 p = _mm256_set1_ps(scores[t] * inverse);
            acc = _mm256_fmadd_ps(p, partial ? _mm256_maskload_ps(v, m) : _mm256_loadu_ps(v), acc);
        }
        if (partial) _mm256_maskstore_ps(out + d, m, acc); else _mm256_storeu_ps(out + d, acc);
    }
}

#else

int nola_math_avx512_available(void) { return 0; }
void nola_rowwise_linear_avx512(const float *x, size_t m, size_t k, const float *wt, size_t n, const float *bias, float *y) {
    nola_rowwise_linear_portable(x, m, k, wt, n, bias, y);
}
void nola_rowwise_linear_avx2(const float *x, size_t m, size_t k, const float *wt, size_t n, const float *bias, float *y) {
    nola_rowwise_linear_portable(x, m, k, wt, n, bias, y);
}
void nola_cached_attention_avx2(const float *q, const float *keys, const float *values, const int32_t *index, size_t count,
                                size_t stride, size_t hs, float scale, float *scores, float *out) {
    nola_cached_attention_portable(q, keys, values, index, count, stride, hs, scale, scores, out);
}

#endif
