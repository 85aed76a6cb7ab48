/* CPU feature detection, written here rather than taken from libcpuinfo/libcpu-features:
 * the library needs a couple of dozen flags, and these few lines avoid a dependency that
 * Debian ships in different versions on each release. A flag counts only when the CPU
 * reports it AND the OS saves the registers it uses (XGETBV), as in cpuinfo and
 * cpu_features. */
#include "cpu_features.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static rnnrt_cpu_features features;
static pthread_once_t features_once = PTHREAD_ONCE_INIT;

static const char *const feature_names[RNNRT_CPU_FEATURE_COUNT] = {
#define RNNRT_CPU_NAME_(up, low) #low,
    RNNRT_CPU_FEATURE_LIST(RNNRT_CPU_NAME_)
#undef RNNRT_CPU_NAME_
};

static void set_if(rnnrt_cpu_features *f, uint64_t flag, bool on)
{
    if (on)
        f->flags |= flag;
}

static bool has(const rnnrt_cpu_features *f, uint64_t mask)
{
    return (f->flags & mask) == mask;
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

/* XCR0 through XGETBV, as raw bytes so no -mxsave is needed in baseline code. */
static unsigned long long read_xcr0(void)
{
    unsigned int eax, edx;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static bool bit(unsigned int reg, int n)
{
    return (reg >> n) & 1u;
}

/* Leaf 7: AVX2 and the AVX-512, VNNI, BF16, FP16 and AMX extensions. */
static void detect_leaf7(rnnrt_cpu_features *f, unsigned long long xcr0)
{
    bool ymm = (xcr0 & 0x6) == 0x6;             /* XCR0[1] SSE, [2] AVX state */
    bool zmm = ymm && (xcr0 & 0xe0) == 0xe0;    /* [5] opmask, [6..7] ZMM state */
    bool tiles = (xcr0 & 0x60000) == 0x60000;   /* [17] XTILECFG, [18] XTILEDATA */
    unsigned int a, b, c, d;
    __cpuid_count(7, 0, a, b, c, d);
    unsigned int max_sub = a;
    bool avx512f = zmm && bit(b, 16);
    set_if(f, RNNRT_CPU_AVX2, has(f, RNNRT_CPU_AVX) && bit(b, 5));
    set_if(f, RNNRT_CPU_AVX512F, avx512f);
    set_if(f, RNNRT_CPU_AVX512DQ, avx512f && bit(b, 17));
    set_if(f, RNNRT_CPU_AVX512BW, avx512f && bit(b, 30));
    set_if(f, RNNRT_CPU_AVX512VL, avx512f && bit(b, 31));
    set_if(f, RNNRT_CPU_AVX512_VNNI, avx512f && bit(c, 11));
    set_if(f, RNNRT_CPU_AVX512_FP16, avx512f && bit(d, 23));
    set_if(f, RNNRT_CPU_AMX_BF16, tiles && bit(d, 22));
    set_if(f, RNNRT_CPU_AMX_TILE, tiles && bit(d, 24));
    set_if(f, RNNRT_CPU_AMX_INT8, tiles && bit(d, 25));
    if (max_sub >= 1) {
        __cpuid_count(7, 1, a, b, c, d);
        set_if(f, RNNRT_CPU_AVX_VNNI, ymm && bit(a, 4));
        set_if(f, RNNRT_CPU_AVX512_BF16, avx512f && bit(a, 5));
    }
}

/* Caches described as in leaf 4 (Intel) and 0x8000001D (AMD): subleaf i until type 0. */
static void caches_from_leaf(unsigned int leaf, long size[4])
{
    for (unsigned int i = 0; i < 16; i++) {
        unsigned int a, b, c, d;
        __cpuid_count(leaf, i, a, b, c, d);
        unsigned int type = a & 0x1f, level = (a >> 5) & 0x7;
        if (type == 0)
            break;
        if (type == 2 || level > 3) /* instruction cache */
            continue;
        long bytes = (long)((b >> 22) + 1) * (((b >> 12) & 0x3ff) + 1) * ((b & 0xfff) + 1) *
                     ((long)c + 1);
        if (!size[level])
            size[level] = bytes;
    }
}

static void detect_caches(const rnnrt_cpu_features *f, unsigned int max_leaf, long size[4])
{
    unsigned int a, b, c, d;
    if (!strcmp(f->vendor, "GenuineIntel") && max_leaf >= 4) {
        caches_from_leaf(4, size);
        return;
    }
    if (!__get_cpuid(0x80000000, &a, &b, &c, &d))
        return;
    unsigned int max_ext = a;
    if (max_ext >= 0x8000001d && __get_cpuid(0x80000001, &a, &b, &c, &d) && bit(c, 22))
        caches_from_leaf(0x8000001d, size); /* with topology extensions */
    if (!size[1] && max_ext >= 0x80000005 && __get_cpuid(0x80000005, &a, &b, &c, &d))
        size[1] = (long)(c >> 24) << 10;                     /* ECX[31:24] KiB */
    if (max_ext >= 0x80000006 && __get_cpuid(0x80000006, &a, &b, &c, &d)) {
        if (!size[2])
            size[2] = (long)(c >> 16) << 10;                 /* ECX[31:16] KiB */
        if (!size[3])
            size[3] = (long)(d >> 18) * (512l << 10);        /* EDX[31:18] 512 KiB units */
    }
}

static void detect(rnnrt_cpu_features *f, long cache[4])
{
    unsigned int a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d))
        return;
    unsigned int max_leaf = a;
    memcpy(f->vendor + 0, &b, 4);
    memcpy(f->vendor + 4, &d, 4);
    memcpy(f->vendor + 8, &c, 4);

    __get_cpuid(1, &a, &b, &c, &d);
    bool osxsave = bit(c, 27);                 /* the OS uses XSAVE/XGETBV */
    unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    bool avx = (xcr0 & 0x6) == 0x6 && bit(c, 28);
    set_if(f, RNNRT_CPU_AVX, avx);
    set_if(f, RNNRT_CPU_FMA, avx && bit(c, 12));
    set_if(f, RNNRT_CPU_F16C, avx && bit(c, 29));
    if (max_leaf >= 7)
        detect_leaf7(f, xcr0);

    if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000004) {
        unsigned int *brand = (unsigned int *)f->brand;
        for (unsigned int leaf = 0; leaf < 3; leaf++)
            __get_cpuid(0x80000002 + leaf, &brand[4 * leaf], &brand[4 * leaf + 1],
                        &brand[4 * leaf + 2], &brand[4 * leaf + 3]);
        f->brand[48] = '\0';
    }
    detect_caches(f, max_leaf, cache);
}

static bool amx_granted;
static char amx_refusal[96] = "not asked";
static pthread_once_t amx_once = PTHREAD_ONCE_INIT;

static void request_amx_once(void)
{
#if defined(__linux__) && defined(SYS_arch_prctl)
    enum { ARCH_GET_XCOMP_PERM = 0x1022, ARCH_REQ_XCOMP_PERM = 0x1023, XTILEDATA = 18 };
    unsigned long long perm = 0;
    if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XTILEDATA) != 0) {
        snprintf(amx_refusal, sizeof amx_refusal,
                 "refused by the kernel (arch_prctl ARCH_REQ_XCOMP_PERM: %s)", strerror(errno));
        return;
    }
    amx_granted = syscall(SYS_arch_prctl, ARCH_GET_XCOMP_PERM, &perm) == 0 &&
                  (perm >> XTILEDATA & 1);
    if (!amx_granted)
        snprintf(amx_refusal, sizeof amx_refusal,
                 "not granted (ARCH_GET_XCOMP_PERM lacks the tile data)");
#else
    snprintf(amx_refusal, sizeof amx_refusal, "no way to ask this kernel for the tile state");
#endif
}

const char *rnnrt_cpu_amx_status(void)
{
    if (!rnnrt_cpu_has(RNNRT_CPU_AMX_TILE))
        return "not on this CPU";
    return rnnrt_cpu_request_amx() ? "granted" : amx_refusal;
}

bool rnnrt_cpu_request_amx(void)
{
    if (!rnnrt_cpu_has(RNNRT_CPU_AMX_TILE))
        return false;
    pthread_once(&amx_once, request_amx_once);
    return amx_granted;
}

#elif defined(__aarch64__)
#include <sys/auxv.h>

static void detect(rnnrt_cpu_features *f, long cache[4])
{
    unsigned long hwcap = getauxval(AT_HWCAP), hwcap2 = getauxval(AT_HWCAP2);
    (void)cache;
    f->flags |= RNNRT_CPU_NEON;                  /* Advanced SIMD is baseline on AArch64 */
    set_if(f, RNNRT_CPU_ASIMDHP, hwcap & (1ul << 10));  /* HWCAP_ASIMDHP */
    set_if(f, RNNRT_CPU_ASIMDDP, hwcap & (1ul << 20));  /* HWCAP_ASIMDDP: SDOT/UDOT */
    set_if(f, RNNRT_CPU_SVE, hwcap & (1ul << 22));      /* HWCAP_SVE */
    set_if(f, RNNRT_CPU_BF16, hwcap2 & (1ul << 14));    /* HWCAP2_BF16: BFDOT, BFMMLA */
    strcpy(f->vendor, "arm");
}

bool rnnrt_cpu_request_amx(void)
{
    return false;
}

const char *rnnrt_cpu_amx_status(void)
{
    return "not on this CPU";
}

#else
static void detect(rnnrt_cpu_features *f, long cache[4])
{
    (void)f;
    (void)cache;
}

bool rnnrt_cpu_request_amx(void)
{
    return false;
}

const char *rnnrt_cpu_amx_status(void)
{
    return "not on this CPU";
}
#endif

/* The data and unified caches of cpu0 as the kernel describes them (one instance's size per
 * level), read once. glibc's sysconf can disagree: on an AMD EPYC guest it gave L3 as 256 MiB
 * where sysfs, lscpu and CPUID give the 32 MiB of one instance. */
static void sysfs_caches(long cache[4])
{
#ifdef __linux__
    for (int index = 0; index < 8; index++) {
        char path[80], type[16] = "", unit = 0;
        int level = 0;
        long size = 0;
        FILE *f;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", index);
        if (!(f = fopen(path, "r")))
            break;
        int ok = fscanf(f, "%d", &level) == 1;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", index);
        ok = ok && (f = fopen(path, "r")) != NULL;
        if (ok) {
            ok = fscanf(f, "%15s", type) == 1;
            fclose(f);
        }
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
        ok = ok && (f = fopen(path, "r")) != NULL;
        if (ok) {
            ok = fscanf(f, "%ld%c", &size, &unit) >= 1;
            fclose(f);
        }
        size *= unit == 'K' ? 1024 : unit == 'M' ? 1024 * 1024 : 1;
        if (ok && level >= 1 && level <= 3 && size > 0 && strcmp(type, "Instruction"))
            cache[level] = size;
    }
#else
    (void)cache;
#endif
}

/* sysfs, then CPUID, then sysconf, then a typical size. */
static long cache_size(long from_sysfs, long from_cpuid, int name, long fallback)
{
    long v = sysconf(name);
    return from_sysfs > 0 ? from_sysfs : from_cpuid > 0 ? from_cpuid : v > 0 ? v : fallback;
}

static void detect_once(void)
{
    long cache[4] = {0}, sysfs[4] = {0}; /* by level */
    detect(&features, cache);
    sysfs_caches(sysfs);
    features.l1d = cache_size(sysfs[1], cache[1], _SC_LEVEL1_DCACHE_SIZE, 32 << 10);
    features.l2 = cache_size(sysfs[2], cache[2], _SC_LEVEL2_CACHE_SIZE, 512 << 10);
    features.l3 = cache_size(sysfs[3], cache[3], _SC_LEVEL3_CACHE_SIZE, 8 << 20);
}

const rnnrt_cpu_features *rnnrt_cpu(void)
{
    pthread_once(&features_once, detect_once);
    return &features;
}

bool rnnrt_cpu_has(uint64_t mask)
{
    return has(rnnrt_cpu(), mask);
}

void rnnrt_cpu_feature_string(char *buf, unsigned size)
{
    const rnnrt_cpu_features *f = rnnrt_cpu();
    unsigned used = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    for (int k = 0; k < RNNRT_CPU_FEATURE_COUNT; k++) {
        if (!has(f, 1ull << k))
            continue;
        int w = snprintf(buf + used, size - used, "%s%s", used ? " " : "", feature_names[k]);
        if (w < 0 || (unsigned)w >= size - used)
            break;
        used += (unsigned)w;
    }
}
