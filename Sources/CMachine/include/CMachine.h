// What Swift cannot reach by itself: the CPU's identification (cpuid, xgetbv), the floating-point
// control register of the calling thread, and two of OpenBLAS's internal entry points.
//
// Everything here is a thin pass-through; the decisions are made in Swift (NOLAKit/Machine),
// where they are pure functions with unit tests.
#ifndef NOLA_CMACHINE_H
#define NOLA_CMACHINE_H

#include <stdint.h>

/// The four registers one `cpuid` leaf returns.
typedef struct {
    uint32_t eax, ebx, ecx, edx;
} nola_cpuid_registers;

/// `cpuid` with `leaf` in eax and `subleaf` in ecx. All zero on a CPU that is not x86-64, or
/// when `leaf` is above the highest leaf the CPU supports (basic or extended range).
nola_cpuid_registers nola_cpuid(uint32_t leaf, uint32_t subleaf);

/// XCR0, the register-state components the operating system saves (bit 1 SSE, bit 2 AVX,
/// bits 5–7 AVX-512): 0 when the CPU or OS does not expose it (no OSXSAVE) or not x86-64.
uint64_t nola_xcr0(void);

/// Whether the calling thread flushes subnormal floats to zero: on x86-64 MXCSR's FTZ (results)
/// and DAZ (inputs) bits, both set; on arm64 FPCR's FZ bit. Returns 1 if flushing, else 0.
int nola_flush_subnormals_get(void);

/// Sets (1) or clears (0) flush-to-zero for the calling thread only (x86-64: FTZ and DAZ;
/// arm64: FZ). Returns the previous state (as `nola_flush_subnormals_get`). Other threads keep
/// their own setting: threads inherit it only when they are created.
int nola_flush_subnormals_set(int on);

/// 1 when the loaded OpenBLAS exports `gotoblas_dynamic_quit` and `gotoblas_dynamic_init`
/// (DYNAMIC_ARCH builds do), so that `nola_openblas_switch_core` can work; else 0.
int nola_openblas_can_switch_core(void);

/// Re-runs OpenBLAS's kernel selection with `OPENBLAS_CORETYPE=core`, in this process: forgets
/// the chosen core (`gotoblas_dynamic_quit`), sets the variable, selects again
/// (`gotoblas_dynamic_init`, the function OpenBLAS itself runs when it is loaded) and restores
/// the environment as it was. Call it only while no BLAS call runs on any thread. Returns 1 when
/// it ran, 0 when OpenBLAS lacks the entry points (nothing was changed).
int nola_openblas_switch_core(const char *core);

/// Stops OpenBLAS's worker threads (`blas_thread_shutdown_`, the function OpenBLAS registers to
/// run before `fork`); the next threaded BLAS call creates them again from the calling thread,
/// so that they inherit its floating-point control register. Call it only while no BLAS call runs.
/// Returns 1 when it ran, 0 when OpenBLAS does not export the function.
int nola_openblas_restart_threads(void);

/// Has OpenBLAS read its environment again (`openblas_read_env`), after the caller set a variable
/// such as `OPENBLAS_THREAD_TIMEOUT`, and restarts its worker threads (`blas_thread_shutdown_`;
/// they are created again, reading the new values, at the next threaded call). Returns 1 when
/// both entry points exist, else 0 (nothing done).
int nola_openblas_reread_environment(void);

/// The thread timeout OpenBLAS last read from `OPENBLAS_THREAD_TIMEOUT` (`openblas_thread_timeout`;
/// 0: not set, OpenBLAS's default), or -1 when it does not export the function.
int nola_openblas_thread_timeout(void);

/// Runs `iterations` rounds of 12 independent fused multiply-add chains on `width`-float registers
/// (8: AVX2 and FMA; 16: AVX-512) and returns the floating-point operations done (2 per lane per
/// FMA); 0 when the CPU lacks that width or this is not x86-64. `checksum` (may be NULL) receives
/// a value of the result, so the loop cannot be optimized away.
double nola_fma_loop(int width, long iterations, double *checksum);

#endif
