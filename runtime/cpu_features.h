/* What the CPU and the OS together support, detected once. */
#ifndef RNNRT_CPU_FEATURES_H
#define RNNRT_CPU_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

/* Every feature a kernel may require, as bits of one mask (simd/kernels.inc names them in its
 * features column). x86-64: a bit is set only if the CPU reports the feature AND the OS saves
 * the registers it uses (XCR0 through XGETBV). AMX tiles also need the process's permission
 * from Linux (rnnrt_cpu_request_amx). */
#define RNNRT_CPU_FEATURE_LIST(X)                                                             \
    X(AVX, avx) X(AVX2, avx2) X(FMA, fma) X(F16C, f16c)                                       \
    X(AVX512F, avx512f) X(AVX512BW, avx512bw) X(AVX512DQ, avx512dq) X(AVX512VL, avx512vl)     \
    X(AVX512_BF16, avx512_bf16) X(AVX512_VNNI, avx512_vnni) X(AVX512_FP16, avx512_fp16)       \
    X(AVX_VNNI, avx_vnni) X(AMX_TILE, amx_tile) X(AMX_BF16, amx_bf16) X(AMX_INT8, amx_int8)   \
    X(NEON, neon) X(ASIMDHP, asimdhp) X(ASIMDDP, asimddp) X(BF16, bf16) X(SVE, sve)

enum {
#define RNNRT_CPU_BIT_(up, low) RNNRT_CPU_BIT_##up,
    RNNRT_CPU_FEATURE_LIST(RNNRT_CPU_BIT_)
#undef RNNRT_CPU_BIT_
    RNNRT_CPU_FEATURE_COUNT
};
/* The masks, as enum constants so that static tables can use them (int: room for 31). */
enum {
#define RNNRT_CPU_FLAG_(up, low) RNNRT_CPU_##up = 1 << RNNRT_CPU_BIT_##up,
    RNNRT_CPU_FEATURE_LIST(RNNRT_CPU_FLAG_)
#undef RNNRT_CPU_FLAG_
};

typedef struct rnnrt_cpu_features {
    uint64_t flags; /* RNNRT_CPU_* bits */
    /* Data cache sizes in bytes: sysconf, else CPUID (leaf 4 on Intel, 0x8000001D or
     * 0x80000006 on AMD), else a common size. */
    long l1d, l2, l3;
    char vendor[16];
    char brand[64];
} rnnrt_cpu_features;

const rnnrt_cpu_features *rnnrt_cpu(void);

/* True when every feature of `mask` is available (0: always true). */
bool rnnrt_cpu_has(uint64_t mask);

/* AMX kernels call this before their first tile instruction: Linux grants the AMX tile data
 * state to a process only on request (arch_prctl ARCH_REQ_XCOMP_PERM). Asked once per
 * process, on first call, never at startup; true when granted. False on other systems and
 * CPUs without AMX-TILE. */
bool rnnrt_cpu_request_amx(void);

/* Why AMX is or is not used, for `rnnrt info`: "granted", "not on this CPU", or the refused
 * request with its error. Asks for the permission as rnnrt_cpu_request_amx does. */
const char *rnnrt_cpu_amx_status(void);

/* A space-separated list of the flags set, for `rnnrt info` and RNNRT_VERBOSE. */
void rnnrt_cpu_feature_string(char *buf, unsigned size);

#endif
