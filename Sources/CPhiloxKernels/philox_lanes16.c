// The 16-lane Philox kernel (see CPhiloxKernels.h), compiled twice from philox_lanes16_body.h: for
// AVX-512F, and for the baseline. Clang's and GCC's vector extensions express the lane
// arithmetic once; each copy is compiled for its own target.
#include "CPhiloxKernels.h"

#include <string.h>

// Products and sums stay separately rounded (no fused multiply-add): the bits must equal the
// one-block reference's on every kernel.
#pragma STDC FP_CONTRACT OFF

// The helpers take and return 16-lane vectors; they are always inlined, so the baseline copy's
// calling convention for such vectors (which differs from AVX-512's) never comes into play.
#pragma clang diagnostic ignored "-Wpsabi"

typedef uint32_t nola_u32x16 __attribute__((vector_size(64)));
typedef int32_t nola_i32x16 __attribute__((vector_size(64)));
typedef uint64_t nola_u64x8 __attribute__((vector_size(64)));
typedef float nola_f32x16 __attribute__((vector_size(64)));

// The baseline copy: `nola_philox_fill_lanes16_baseline`.
#define NOLA_LANES16_TARGET
#define NOLA_LANES16(name) name##_lanes16_baseline
#include "philox_lanes16_body.h"
#undef NOLA_LANES16_TARGET
#undef NOLA_LANES16

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))

int nola_philox_avx512_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

// The AVX-512 copy: `nola_philox_fill_avx512`.
#define NOLA_LANES16_TARGET __attribute__((target("avx512f")))
#define NOLA_LANES16(name) name##_avx512
#include "philox_lanes16_body.h"

#else  // Not x86-64: no AVX-512 kernel.

int nola_philox_avx512_available(void) { return 0; }

void nola_philox_fill_avx512(uint64_t seed, uint64_t stream, uint64_t block, size_t octets,
                             int symmetric, float scale, float *out) {
    nola_philox_fill_lanes16_baseline(seed, stream, block, octets, symmetric, scale, out);
}

#endif
