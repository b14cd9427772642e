// See CMachine.h: a loop of independent fused multiply-adds, the most floating-point work a core
// can issue per cycle, to measure the peak instead of assuming a clock.
#include "CMachine.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

// Twelve chains: more than FMA latency (4 cycles) times FMA units (2) on any current x86-64 core,
// so the units never wait for a result. acc = acc · m + a stays near 1 for millions of steps.
#define CHAINS 12

__attribute__((target("avx2,fma"))) static double loop_avx2(long iterations) {
    __m256 acc[CHAINS];
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_set1_ps(1.0f + (float)c * 1e-3f);
    const __m256 m = _mm256_set1_ps(0.9999999f), a = _mm256_set1_ps(1e-7f);
    for (long i = 0; i < iterations; i++) {
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_fmadd_ps(acc[c], m, a);
        // Every chain is an opaque register value each round: none can be folded away.
        __asm__ volatile("" : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]), "+x"(acc[4]), "+x"(acc[5]));
        __asm__ volatile("" : "+x"(acc[6]), "+x"(acc[7]), "+x"(acc[8]), "+x"(acc[9]), "+x"(acc[10]), "+x"(acc[11]));
    }
    float out[8];
    __m256 sum = acc[0];
    for (int c = 1; c < CHAINS; c++) sum = _mm256_add_ps(sum, acc[c]);
    _mm256_storeu_ps(out, sum);
    return out[0];
}

__attribute__((target("avx512f"))) static double loop_avx512(long iterations) {
    __m512 acc[CHAINS];
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps(1.0f + (float)c * 1e-3f);
    const __m512 m = _mm512_set1_ps(0.9999999f), a = _mm512_set1_ps(1e-7f);
    for (long i = 0; i < iterations; i++) {
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_fmadd_ps(acc[c], m, a);
        __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]), "+v"(acc[5]));
        __asm__ volatile("" : "+v"(acc[6]), "+v"(acc[7]), "+v"(acc[8]), "+v"(acc[9]), "+v"(acc[10]), "+v"(acc[11]));
    }
    float out[16];
    __m512 sum = acc[0];
    for (int c = 1; c < CHAINS; c++) sum = _mm512_add_ps(sum, acc[c]);
    _mm512_storeu_ps(out, sum);
    return out[0];
}

double nola_fma_loop(int width, long iterations, double *checksum) {
    __builtin_cpu_init();
    double result;
    if (width == 16 && __builtin_cpu_supports("avx512f")) {
        result = loop_avx512(iterations);
    } else if (width == 8 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        result = loop_avx2(iterations);
    } else {
        return 0;
    }
    if (checksum) *checksum = result;
    return 2.0 * CHAINS * width * (double)iterations;
}

#else

double nola_fma_loop(int width, long iterations, double *checksum) {
    (void)width; (void)iterations; (void)checksum;
    return 0;
}

#endif
