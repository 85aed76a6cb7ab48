/* CPU feature detection, written here rather than taken from libcpuinfo/libcpu-features:
 * the library needs a dozen flags, and these few lines avoid a dependency that Debian ships
 * in different versions on each release. A flag counts only when the CPU reports it AND
 * the OS saves the registers it uses (XGETBV), as in cpuinfo and cpu_features. */
#include "cpu_features.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static rnnrt_cpu_features features;
static pthread_once_t features_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* XCR0 through XGETBV, as raw bytes so no -mxsave is needed in baseline code. */
static unsigned long long read_xcr0(void)
{
    unsigned int eax, edx;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static void detect(rnnrt_cpu_features *f)
{
    unsigned int a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d))
        return;
    unsigned int max_leaf = a;
    memcpy(f->vendor + 0, &b, 4);
    memcpy(f->vendor + 4, &d, 4);
    memcpy(f->vendor + 8, &c, 4);

    __get_cpuid(1, &a, &b, &c, &d);
    bool osxsave = c & (1u << 27);             /* leaf 1 ECX[27]: OS uses XSAVE/XGETBV */
    unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    bool ymm_saved = (xcr0 & 0x6) == 0x6;      /* XCR0[1] SSE and XCR0[2] AVX state */
    bool zmm_saved = ymm_saved && (xcr0 & 0xe0) == 0xe0; /* [5] opmask, [6..7] ZMM state */

    f->avx = ymm_saved && (c & (1u << 28));    /* leaf 1 ECX[28] */
    f->fma = f->avx && (c & (1u << 12));       /* leaf 1 ECX[12] */
    f->f16c = f->avx && (c & (1u << 29));      /* leaf 1 ECX[29] */

    if (max_leaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        unsigned int max_sub = a;
        f->avx2 = f->avx && (b & (1u << 5));        /* leaf 7.0 EBX[5] */
        f->avx512f = zmm_saved && (b & (1u << 16)); /* leaf 7.0 EBX[16] */
        f->avx512dq = f->avx512f && (b & (1u << 17));  /* EBX[17] */
        f->avx512bw = f->avx512f && (b & (1u << 30));  /* EBX[30] */
        f->avx512vl = f->avx512f && (b & (1u << 31));  /* EBX[31] */
        f->avx512_vnni = f->avx512f && (c & (1u << 11)); /* leaf 7.0 ECX[11] */
        if (max_sub >= 1) {
            __cpuid_count(7, 1, a, b, c, d);
            f->avx512_bf16 = f->avx512f && (a & (1u << 5)); /* leaf 7.1 EAX[5] */
        }
    }

    if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000004) {
        unsigned int *brand = (unsigned int *)f->brand;
        for (unsigned int leaf = 0; leaf < 3; leaf++)
            __get_cpuid(0x80000002 + leaf, &brand[4 * leaf], &brand[4 * leaf + 1],
                        &brand[4 * leaf + 2], &brand[4 * leaf + 3]);
        f->brand[48] = '\0';
    }
}

#elif defined(__aarch64__)
#include <sys/auxv.h>

static void detect(rnnrt_cpu_features *f)
{
    unsigned long hwcap = getauxval(AT_HWCAP);
    f->neon = true;                      /* Advanced SIMD is baseline on AArch64 */
    f->asimdhp = hwcap & (1ul << 10);    /* HWCAP_ASIMDHP */
    f->sve = hwcap & (1ul << 22);        /* HWCAP_SVE */
    strcpy(f->vendor, "arm");
}

#else
static void detect(rnnrt_cpu_features *f)
{
    (void)f;
}
#endif

static long cache_size(int name, long fallback)
{
    long v = sysconf(name);
    return v > 0 ? v : fallback;
}

static void detect_once(void)
{
    detect(&features);
    features.l1d = cache_size(_SC_LEVEL1_DCACHE_SIZE, 32 << 10);
    features.l2 = cache_size(_SC_LEVEL2_CACHE_SIZE, 512 << 10);
    features.l3 = cache_size(_SC_LEVEL3_CACHE_SIZE, 8 << 20);
}

const rnnrt_cpu_features *rnnrt_cpu(void)
{
    pthread_once(&features_once, detect_once);
    return &features;
}

void rnnrt_cpu_feature_string(char *buf, unsigned size)
{
    const rnnrt_cpu_features *f = rnnrt_cpu();
    const struct { bool on; const char *name; } flags[] = {
        {f->avx, "avx"}, {f->avx2, "avx2"}, {f->fma, "fma"}, {f->f16c, "f16c"},
        {f->avx512f, "avx512f"}, {f->avx512bw, "avx512bw"}, {f->avx512dq, "avx512dq"},
        {f->avx512vl, "avx512vl"}, {f->avx512_bf16, "avx512_bf16"},
        {f->avx512_vnni, "avx512_vnni"}, {f->neon, "neon"}, {f->asimdhp, "asimdhp"},
        {f->sve, "sve"},
    };
    unsigned used = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
        if (!flags[k].on)
            continue;
        int w = snprintf(buf + used, size - used, "%s%s", used ? " " : "", flags[k].name);
        if (w < 0 || (unsigned)w >= size - used)
            break;
        used += (unsigned)w;
    }
}
