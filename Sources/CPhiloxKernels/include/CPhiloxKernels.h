// Philox4x32-10 float fills in wide SIMD registers, for x86-64 CPUs that have AVX2 or AVX-512.
//
// NOLAKit's portable SIMD engine (PhiloxLanes.swift) is compiled for the x86-64 baseline
// (SSE2), since a binary built for a wider extension would crash on CPUs without it. These
// kernels are the same computation compiled for AVX2 (philox_avx2.c, intrinsics) and for
// AVX-512 (philox_lanes16.c); RandomStream calls the widest one the CPU supports and the
// portable engine otherwise. All of them give the same bits (the tests compare them).
//
// The AVX-512 kernel is written once with the compiler's vector extensions (16 lanes of 32 bits)
// and compiled twice from the same source: for AVX-512, and for the baseline. The baseline copy
// runs on any x86-64 CPU, so the tests check the bits of that exact lane arithmetic on machines
// without AVX-512 too; the AVX-512 copy runs only where the CPU has it.
#ifndef CPHILOX_KERNELS_H
#define CPHILOX_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this build has the AVX2 kernel and the CPU running it supports AVX2; else 0.
int nola_philox_avx2_available(void);

/// 1 when this build has the AVX-512 kernel and the CPU (and OS) support AVX-512F; else 0.
int nola_philox_avx512_available(void);

/// Floats of the words of blocks `block … block + 8·octets − 1` of stream `(seed, stream)`,
/// in stream order (32 per octet), written to `out` (need not be aligned):
///   symmetric == 0:  Float(w >> 8) · 2⁻²⁴                 uniform in [0, 1)
///   symmetric != 0:  (Float(w >> 8) · 2⁻²³ − 1) · scale   uniform in [−scale, scale)
/// (the multiplication by `scale` is skipped when it is 1, which gives the same bits).
/// Call only when `nola_philox_avx2_available()` returned 1.
void nola_philox_fill_avx2(uint64_t seed, uint64_t stream, uint64_t block, size_t octets,
                           int symmetric, float scale, float *out);

/// The same fill, 16 lanes per register, compiled for AVX-512F. Call only when
/// `nola_philox_avx512_available()` returned 1.
void nola_philox_fill_avx512(uint64_t seed, uint64_t stream, uint64_t block, size_t octets,
                             int symmetric, float scale, float *out);

/// The same fill from the same source as `nola_philox_fill_avx512`, compiled for the baseline
/// (runs on every CPU; the compiler splits each 16-lane operation into narrower ones).
void nola_philox_fill_lanes16_baseline(uint64_t seed, uint64_t stream, uint64_t block,
                                       size_t octets, int symmetric, float scale, float *out);

#endif
