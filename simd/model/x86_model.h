/* A software model of the AVX-512 and AVX-VNNI instructions rnnrt's dot-product kernels use, in
 * portable C on the compilers' generic vectors, under the intrinsics' own names: a kernel
 * body that includes simd/x86_intrinsics.h compiles against it in the model kernel sets
 * (kernel_sets.inc) and runs on any CPU. Each operation follows the Intel SDM's pseudocode:
 *  - vpdpbusd: four unsigned x signed byte products added to each int32 lane, wrapping;
 *  - vdpbf16ps: per lane, the odd pair's product then the even one's added to the float32
 *    lane, each rounded to nearest even, subnormal inputs read as zero and subnormal results
 *    flushed to zero, whatever the floating-point mode (the instruction ignores MXCSR);
 *  - the float arithmetic (vfmadd, vmulps, vcvtdq2ps) in the current rounding mode, as the
 *    instructions are: fused multiply-adds are fmaf.
 * Only what the kernels call is modelled; a body that calls anything else does not compile
 * in the model sets, which is how a missing operation shows. The model sets compile with
 * -Wno-psabi: 64-byte vectors passed by value without AVX-512 change the calling convention,
 * which does not matter for functions inline in one file. */
#ifndef RNNRT_SIMD_MODEL_X86_MODEL_H
#define RNNRT_SIMD_MODEL_X86_MODEL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef float __m512 __attribute__((vector_size(64), aligned(64)));
typedef long long __m512i __attribute__((vector_size(64), aligned(64)));
typedef short __m512bh __attribute__((vector_size(64), aligned(64)));

/* Lanes of a vector as an array, by value (no aliasing questions). */
typedef struct rnnrt_model_lanes {
    union {
        float f[16];
        int32_t i[16];
        uint32_t u[16];
        int8_t b[64];
        uint8_t ub[64];
        uint16_t h[32];
    };
} rnnrt_model_lanes;

static inline rnnrt_model_lanes rnnrt_model_of(const void *v)
{
    rnnrt_model_lanes l;
    memcpy(&l, v, 64);
    return l;
}

static inline __m512i rnnrt_model_i(rnnrt_model_lanes l)
{
    __m512i v;
    memcpy(&v, &l, 64);
    return v;
}

static inline __m512 rnnrt_model_f(rnnrt_model_lanes l)
{
    __m512 v;
    memcpy(&v, &l, 64);
    return v;
}

static inline __m512i _mm512_setzero_si512(void)
{
    return (__m512i){0};
}

static inline __m512 _mm512_setzero_ps(void)
{
    return (__m512){0};
}

static inline __m512i _mm512_load_si512(const void *p)
{
    __m512i v;
    memcpy(&v, p, 64);
    return v;
}

static inline __m512i _mm512_loadu_si512(const void *p)
{
    return _mm512_load_si512(p);
}

static inline void _mm512_store_si512(void *p, __m512i v)
{
    memcpy(p, &v, 64);
}

static inline __m512 _mm512_loadu_ps(const void *p)
{
    __m512 v;
    memcpy(&v, p, 64);
    return v;
}

static inline __m512 _mm512_load_ps(const void *p)
{
    return _mm512_loadu_ps(p);
}

static inline void _mm512_storeu_ps(void *p, __m512 v)
{
    memcpy(p, &v, 64);
}

static inline __m512i _mm512_set1_epi32(int x)
{
    rnnrt_model_lanes l;
    for (int j = 0; j < 16; j++)
        l.i[j] = x;
    return rnnrt_model_i(l);
}

static inline __m512i _mm512_set1_epi8(char x)
{
    rnnrt_model_lanes l;
    memset(l.b, x, 64);
    return rnnrt_model_i(l);
}

static inline __m512 _mm512_set1_ps(float x)
{
    rnnrt_model_lanes l;
    for (int j = 0; j < 16; j++)
        l.f[j] = x;
    return rnnrt_model_f(l);
}

static inline __m512i _mm512_xor_si512(__m512i a, __m512i b)
{
    return a ^ b;
}

/* int32 lanes, wrapping as the instructions do (computed unsigned: no overflow in C) */
static inline __m512i _mm512_add_epi32(__m512i a, __m512i b)
{
    rnnrt_model_lanes x = rnnrt_model_of(&a), y = rnnrt_model_of(&b);
    for (int j = 0; j < 16; j++)
        x.u[j] += y.u[j];
    return rnnrt_model_i(x);
}

static inline __m512i _mm512_sub_epi32(__m512i a, __m512i b)
{
    rnnrt_model_lanes x = rnnrt_model_of(&a), y = rnnrt_model_of(&b);
    for (int j = 0; j < 16; j++)
        x.u[j] -= y.u[j];
    return rnnrt_model_i(x);
}

static inline __m512i _mm512_slli_epi32(__m512i a, unsigned n)
{
    rnnrt_model_lanes x = rnnrt_model_of(&a);
    for (int j = 0; j < 16; j++)
        x.u[j] = n > 31 ? 0 : x.u[j] << n;
    return rnnrt_model_i(x);
}

static inline __m512 _mm512_cvtepi32_ps(__m512i a)
{
    rnnrt_model_lanes x = rnnrt_model_of(&a), y;
    for (int j = 0; j < 16; j++)
        y.f[j] = (float)x.i[j];
    return rnnrt_model_f(y);
}

static inline __m512 _mm512_mul_ps(__m512 a, __m512 b)
{
    rnnrt_model_lanes x = rnnrt_model_of(&a), y = rnnrt_model_of(&b);
    for (int j = 0; j < 16; j++)
        x.f[j] *= y.f[j];
    return rnnrt_model_f(x);
}

static inline __m512 _mm512_fmadd_ps(__m512 a, __m512 b, __m512 c)
{
    rnnrt_model_lanes x = rnnrt_model_of(&a), y = rnnrt_model_of(&b), z = rnnrt_model_of(&c);
    for (int j = 0; j < 16; j++)
        z.f[j] = fmaf(x.f[j], y.f[j], z.f[j]);
    return rnnrt_model_f(z);
}

/* VPDPBUSD: src.dword[j] + the four products of a's unsigned bytes and b's signed ones */
static inline __m512i _mm512_dpbusd_epi32(__m512i src, __m512i a, __m512i b)
{
    rnnrt_model_lanes s = rnnrt_model_of(&src), x = rnnrt_model_of(&a), y = rnnrt_model_of(&b);
    for (int j = 0; j < 16; j++) {
        int32_t sum = 0; /* at most 4 * 255 * 128 in magnitude: no overflow */
        for (int q = 0; q < 4; q++)
            sum += (int32_t)x.ub[4 * j + q] * (int32_t)y.b[4 * j + q];
        s.u[j] += (uint32_t)sum;
    }
    return rnnrt_model_i(s);
}

/* A float32 with the instruction's treatment of subnormals: read or written as zero. */
static inline float rnnrt_model_daz(float x)
{
    return fpclassify(x) == FP_SUBNORMAL ? copysignf(0.0f, x) : x;
}

static inline float rnnrt_model_bf16(uint16_t h)
{
    const uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return rnnrt_model_daz(f);
}

/* VDPBF16PS: src.fp32[j] += a.bf16[2j+1] * b.bf16[2j+1]; then += a.bf16[2j] * b.bf16[2j]
 * (the product of two bf16 is exact in float32, so each step is one fused rounding) */
static inline __m512 _mm512_dpbf16_ps(__m512 src, __m512bh a, __m512bh b)
{
    rnnrt_model_lanes s = rnnrt_model_of(&src), x = rnnrt_model_of(&a), y = rnnrt_model_of(&b);
    for (int j = 0; j < 16; j++) {
        float acc = rnnrt_model_daz(s.f[j]);
        acc = rnnrt_model_daz(fmaf(rnnrt_model_bf16(x.h[2 * j + 1]),
                                   rnnrt_model_bf16(y.h[2 * j + 1]), acc));
        acc = rnnrt_model_daz(fmaf(rnnrt_model_bf16(x.h[2 * j]), rnnrt_model_bf16(y.h[2 * j]),
                                   acc));
        s.f[j] = acc;
    }
    return rnnrt_model_f(s);
}

/* ---- 256-bit: the AVX2 and AVX-VNNI operations of the avx2-shaped tiles ---------------- */

typedef float __m256 __attribute__((vector_size(32), aligned(32)));
typedef long long __m256i __attribute__((vector_size(32), aligned(32)));

static inline rnnrt_model_lanes rnnrt_model_of32(const void *v)
{
    rnnrt_model_lanes l;
    memset(&l, 0, sizeof l);
    memcpy(&l, v, 32);
    return l;
}

static inline __m256i rnnrt_model_i32(rnnrt_model_lanes l)
{
    __m256i v;
    memcpy(&v, &l, 32);
    return v;
}

static inline __m256 rnnrt_model_f32(rnnrt_model_lanes l)
{
    __m256 v;
    memcpy(&v, &l, 32);
    return v;
}

static inline __m256i _mm256_setzero_si256(void)
{
    return (__m256i){0};
}

static inline __m256 _mm256_setzero_ps(void)
{
    return (__m256){0};
}

static inline __m256i _mm256_loadu_si256(const void *p)
{
    __m256i v;
    memcpy(&v, p, 32);
    return v;
}

static inline __m256i _mm256_load_si256(const void *p)
{
    return _mm256_loadu_si256(p);
}

static inline void _mm256_store_si256(void *p, __m256i v)
{
    memcpy(p, &v, 32);
}

static inline __m256 _mm256_loadu_ps(const void *p)
{
    __m256 v;
    memcpy(&v, p, 32);
    return v;
}

static inline void _mm256_storeu_ps(void *p, __m256 v)
{
    memcpy(p, &v, 32);
}

static inline __m256i _mm256_set1_epi32(int x)
{
    rnnrt_model_lanes l;
    for (int j = 0; j < 8; j++)
        l.i[j] = x;
    return rnnrt_model_i32(l);
}

static inline __m256i _mm256_set1_epi8(char x)
{
    rnnrt_model_lanes l;
    memset(l.b, x, 32);
    return rnnrt_model_i32(l);
}

static inline __m256 _mm256_set1_ps(float x)
{
    rnnrt_model_lanes l;
    for (int j = 0; j < 8; j++)
        l.f[j] = x;
    return rnnrt_model_f32(l);
}

static inline __m256i _mm256_xor_si256(__m256i a, __m256i b)
{
    return a ^ b;
}

static inline __m256i _mm256_sub_epi32(__m256i a, __m256i b)
{
    rnnrt_model_lanes x = rnnrt_model_of32(&a), y = rnnrt_model_of32(&b);
    for (int j = 0; j < 8; j++)
        x.u[j] -= y.u[j];
    return rnnrt_model_i32(x);
}

static inline __m256i _mm256_slli_epi32(__m256i a, int n)
{
    rnnrt_model_lanes x = rnnrt_model_of32(&a);
    for (int j = 0; j < 8; j++)
        x.u[j] = n < 0 || n > 31 ? 0 : x.u[j] << n;
    return rnnrt_model_i32(x);
}

static inline __m256 _mm256_cvtepi32_ps(__m256i a)
{
    rnnrt_model_lanes x = rnnrt_model_of32(&a), y;
    for (int j = 0; j < 8; j++)
        y.f[j] = (float)x.i[j];
    return rnnrt_model_f32(y);
}

static inline __m256 _mm256_mul_ps(__m256 a, __m256 b)
{
    rnnrt_model_lanes x = rnnrt_model_of32(&a), y = rnnrt_model_of32(&b);
    for (int j = 0; j < 8; j++)
        x.f[j] *= y.f[j];
    return rnnrt_model_f32(x);
}

static inline __m256 _mm256_fmadd_ps(__m256 a, __m256 b, __m256 c)
{
    rnnrt_model_lanes x = rnnrt_model_of32(&a), y = rnnrt_model_of32(&b), z = rnnrt_model_of32(&c);
    for (int j = 0; j < 8; j++)
        z.f[j] = fmaf(x.f[j], y.f[j], z.f[j]);
    return rnnrt_model_f32(z);
}

/* VPDPBUSD (VEX, AVX-VNNI): as _mm512_dpbusd_epi32 on 8 lanes */
static inline __m256i _mm256_dpbusd_avx_epi32(__m256i src, __m256i a, __m256i b)
{
    rnnrt_model_lanes s = rnnrt_model_of32(&src), x = rnnrt_model_of32(&a), y = rnnrt_model_of32(&b);
    for (int j = 0; j < 8; j++) {
        int32_t sum = 0;
        for (int q = 0; q < 4; q++)
            sum += (int32_t)x.ub[4 * j + q] * (int32_t)y.b[4 * j + q];
        s.u[j] += (uint32_t)sum;
    }
    return rnnrt_model_i32(s);
}

#endif
