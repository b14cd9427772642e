// See CMachine.h.
#define _GNU_SOURCE  // RTLD_DEFAULT
#include "CMachine.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <cpuid.h>
#include <xmmintrin.h>

nola_cpuid_registers nola_cpuid(uint32_t leaf, uint32_t subleaf) {
    nola_cpuid_registers r = {0, 0, 0, 0};
    // The highest leaf of the range `leaf` belongs to (basic 0…, extended 0x80000000…).
    unsigned int highest = __get_cpuid_max(leaf & 0x80000000u, 0);
    if (highest == 0 || leaf > highest) return r;
    __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
    return r;
}

uint64_t nola_xcr0(void) {
    nola_cpuid_registers one = nola_cpuid(1, 0);
    if ((one.ecx & (1u << 27)) == 0) return 0;  // OSXSAVE: the OS enabled xgetbv
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

// MXCSR bit 15 is FTZ (flush results), bit 6 is DAZ (treat subnormal inputs as zero).
#define NOLA_FTZ_DAZ ((1u << 15) | (1u << 6))

int nola_flush_subnormals_get(void) {
    return (_mm_getcsr() & NOLA_FTZ_DAZ) == NOLA_FTZ_DAZ;
}

int nola_flush_subnormals_set(int on) {
    unsigned int csr = _mm_getcsr();
    int was = (csr & NOLA_FTZ_DAZ) == NOLA_FTZ_DAZ;
    _mm_setcsr(on ? (csr | NOLA_FTZ_DAZ) : (csr & ~NOLA_FTZ_DAZ));
    return was;
}

#else

nola_cpuid_registers nola_cpuid(uint32_t leaf, uint32_t subleaf) {
    (void)leaf; (void)subleaf;
    nola_cpuid_registers r = {0, 0, 0, 0};
    return r;
}

uint64_t nola_xcr0(void) { return 0; }

#if defined(__aarch64__)
// FPCR bit 24 is FZ: subnormal inputs and results are flushed to zero.
int nola_flush_subnormals_get(void) {
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    return (fpcr >> 24) & 1;
}

int nola_flush_subnormals_set(int on) {
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    int was = (fpcr >> 24) & 1;
    fpcr = on ? (fpcr | (1ull << 24)) : (fpcr & ~(1ull << 24));
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
    return was;
}
#else
int nola_flush_subnormals_get(void) { return 0; }
int nola_flush_subnormals_set(int on) { (void)on; return 0; }
#endif

#endif

// OpenBLAS's entry points, looked up at run time: they are not part of its public headers, and a
// BLAS without them (another vendor, a build without DYNAMIC_ARCH) must still link and run.
typedef void (*nola_void_function)(void);

static nola_void_function nola_lookup(const char *name) {
    void *symbol = dlsym(RTLD_DEFAULT, name);
    nola_void_function f;
    memcpy(&f, &symbol, sizeof f);  // object pointer to function pointer, without a cast warning
    return f;
}

int nola_openblas_can_switch_core(void) {
    return nola_lookup("gotoblas_dynamic_quit") != NULL && nola_lookup("gotoblas_dynamic_init") != NULL;
}

int nola_openblas_switch_core(const char *core) {
    nola_void_function quit = nola_lookup("gotoblas_dynamic_quit");
    nola_void_function init = nola_lookup("gotoblas_dynamic_init");
    if (quit == NULL || init == NULL) return 0;
    const char *old = getenv("OPENBLAS_CORETYPE");
    char *saved = old ? strdup(old) : NULL;
    setenv("OPENBLAS_CORETYPE", core, 1);
    quit();
    init();
    if (saved) {
        setenv("OPENBLAS_CORETYPE", saved, 1);
        free(saved);
    } else {
        unsetenv("OPENBLAS_CORETYPE");
    }
    return 1;
}

int nola_openblas_restart_threads(void) {
    nola_void_function symbol = nola_lookup("blas_thread_shutdown_");
    if (symbol == NULL) return 0;
    int (*shutdown)(void) = (int (*)(void))symbol;  // OpenBLAS declares it `int f(void)`
    shutdown();
    return 1;
}

int nola_openblas_reread_environment(void) {
    nola_void_function read_env = nola_lookup("openblas_read_env");
    if (read_env == NULL || nola_lookup("blas_thread_shutdown_") == NULL) return 0;
    read_env();
    return nola_openblas_restart_threads();
}

int nola_openblas_thread_timeout(void) {
    nola_void_function symbol = nola_lookup("openblas_thread_timeout");
    if (symbol == NULL) return -1;
    int (*timeout)(void) = (int (*)(void))symbol;  // OpenBLAS declares it `int f(void)`
    return timeout();
}
