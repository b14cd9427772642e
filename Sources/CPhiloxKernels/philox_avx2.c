// See CPhiloxKernels.h. The layout of one round is the one PhiloxLanes.swift documents: a block
// (c0, c1, c2, c3) in four 32-bit lanes, two blocks per 256-bit register.
//
//   P   = mul_epu32(c, (m0, m1))          (lo0, hi0, lo1, hi1): m0·c0 and m1·c2
//   new = shuffle(P, 3 2 1 0) ^ (c >> 32 in 64-bit lanes) ^ (k0, 0, k1, 0)
//       = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
#include "CPhiloxKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

int nola_philox_avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 1 : 0;
}

#define AVX2 __attribute__((target("avx2")))

// Counters of blocks b and b + 1: (b lo, b hi, s0, s1) each.
static inline AVX2 __m256i counters(uint64_t b, uint32_t s0, uint32_t s1) {
    uint64_t b1 = b + 1;
    return _mm256_setr_epi32((int)(uint32_t)b, (int)(uint32_t)(b >> 32), (int)s0, (int)s1,
                             (int)(uint32_t)b1, (int)(uint32_t)(b1 >> 32), (int)s0, (int)s1);
}

static inline AVX2 __m256i round1(__m256i c, __m256i key, __m256i multipliers) {
    __m256i p = _mm256_mul_epu32(c, multipliers);
    __m256i reversed = _mm256_shuffle_epi32(p, _MM_SHUFFLE(0, 1, 2, 3));
    __m256i odd = _mm256_srli_epi64(c, 32);
    return _mm256_xor_si256(_mm256_xor_si256(reversed, odd), key);
}

// Float(w >> 8): exact, the value is below 2^24.
static inline AVX2 __m256 top24(__m256i w) {
    return _mm256_cvtepi32_ps(_mm256_srli_epi32(w, 8));
}

AVX2 void nola_philox_fill_avx2(uint64_t seed, uint64_t stream, uint64_t block, size_t octets,
                                int symmetric, float scale, float *out) {
    const uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    const uint32_t s0 = (uint32_t)stream, s1 = (uint32_t)(stream >> 32);
    // 64-bit lanes (m0, m1, m0, m1): m0 meets c0, m1 meets c2.
    const __m256i multipliers = _mm256_set_epi64x(0xCD9E8D57, 0xD2511F53, 0xCD9E8D57, 0xD2511F53);
    const __m256i keyStep = _mm256_setr_epi32((int)0x9E3779B9, 0, (int)0xBB67AE85, 0,
                                              (int)0x9E3779B9, 0, (int)0xBB67AE85, 0);
    const __m256i key0 = _mm256_setr_epi32((int)k0, 0, (int)k1, 0, (int)k0, 0, (int)k1, 0);
    const __m256 unit = _mm256_set1_ps(0x1p-24f), twoUnits = _mm256_set1_ps(0x1p-23f);
    const __m256 one = _mm256_set1_ps(1.0f), scales = _mm256_set1_ps(scale);

    for (size_t o = 0; o < octets; o++, block += 8, out += 32) {
        // Eight blocks in flight, two per register.
        __m256i x0 = counters(block, s0, s1), x1 = counters(block + 2, s0, s1);
        __m256i x2 = counters(block + 4, s0, s1), x3 = counters(block + 6, s0, s1);
        __m256i key = key0;
        for (int r = 0; r < 10; r++) {
            if (r > 0) key = _mm256_add_epi32(key, keyStep);
            x0 = round1(x0, key, multipliers);
            x1 = round1(x1, key, multipliers);
            x2 = round1(x2, key, multipliers);
            x3 = round1(x3, key, multipliers);
        }
        __m256 f0 = top24(x0), f1 = top24(x1), f2 = top24(x2), f3 = top24(x3);
        if (symmetric) {
            // (f · 2⁻²³ − 1) · scale, as separate roundings (the product by 2⁻²³ is exact).
            f0 = _mm256_sub_ps(_mm256_mul_ps(f0, twoUnits), one);
            f1 = _mm256_sub_ps(_mm256_mul_ps(f1, twoUnits), one);
            f2 = _mm256_sub_ps(_mm256_mul_ps(f2, twoUnits), one);
            f3 = _mm256_sub_ps(_mm256_mul_ps(f3, twoUnits), one);
            if (scale != 1.0f) {
                f0 = _mm256_mul_ps(f0, scales);
                f1 = _mm256_mul_ps(f1, scales);
                f2 = _mm256_mul_ps(f2, scales);
                f3 = _mm256_mul_ps(f3, scales);
            }
        } else {
            f0 = _mm256_mul_ps(f0, unit);
            f1 = _mm256_mul_ps(f1, unit);
            f2 = _mm256_mul_ps(f2, unit);
            f3 = _mm256_mul_ps(f3, unit);
        }
        _mm256_storeu_ps(out, f0);
        _mm256_storeu_ps(out + 8, f1);
        _mm256_storeu_ps(out + 16, f2);
        _mm256_storeu_ps(out + 24, f3);
    }
}

#else  // Not x86-64: the portable Swift engine does all the work.

int nola_philox_avx2_available(void) { return 0; }

void nola_philox_fill_avx2(uint64_t seed, uint64_t stream, uint64_t block, size_t octets,
                           int symmetric, float scale, float *out) {
    (void)seed; (void)stream; (void)block; (void)octets; (void)symmetric; (void)scale; (void)out;
}

#endif
