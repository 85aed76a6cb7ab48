/* What the CPU and the OS together support, detected once. */
#ifndef RNNRT_CPU_FEATURES_H
#define RNNRT_CPU_FEATURES_H

#include <stdbool.h>

typedef struct rnnrt_cpu_features {
    /* x86-64: each flag is set only if the CPU reports it and the OS saves its registers. */
    bool avx, avx2, fma, f16c, avx512f, avx512bw, avx512dq, avx512vl, avx512_bf16,
        avx512_vnni;
    /* AArch64. */
    bool neon, asimdhp, sve;
    /* Data cache sizes in bytes (sysconf; a common size when the system does not say). */
    long l1d, l2, l3;
    char vendor[16];
    char brand[64];
} rnnrt_cpu_features;

const rnnrt_cpu_features *rnnrt_cpu(void);

/* A space-separated list of the flags set, for `rnnrt info` and RNNRT_VERBOSE. */
void rnnrt_cpu_feature_string(char *buf, unsigned size);

#endif
