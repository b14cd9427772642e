// Philox4x32-10 float fills in AVX2 registers, for x86-64 CPUs that have AVX2.
//
// NOLAKit's portable SIMD engine (PhiloxLanes.swift) is compiled for the x86-64 baseline
// (SSE2), since a binary built for AVX2 would crash on CPUs without it. These two kernels are
// the same computation compiled for AVX2 only; RandomStream calls them when
// `nola_philox_avx2_available()` says the CPU has AVX2, and the portable engine otherwise. Both
// give the same bits (the tests compare them).
#ifndef CPHILOX_AVX2_H
#define CPHILOX_AVX2_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this build has the AVX2 kernels and the CPU running it supports AVX2; else 0.
int nola_philox_avx2_available(void);

/// Floats of the words of blocks `block … block + 8·octets − 1` of stream `(seed, stream)`,
/// in stream order (32 per octet), written to `out` (need not be aligned):
///   symmetric == 0:  Float(w >> 8) · 2⁻²⁴                 uniform in [0, 1)
///   symmetric != 0:  (Float(w >> 8) · 2⁻²³ − 1) · scale   uniform in [−scale, scale)
/// Call only when `nola_philox_avx2_available()` returned 1.
void nola_philox_fill_avx2(uint64_t seed, uint64_t stream, uint64_t block, size_t octets,
                           int symmetric, float scale, float *out);

#endif
