#include "half.h"

#include <string.h>

static float bits_to_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

float rnnrt_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;

    if (exp == 0x1f) /* inf or NaN: keep the payload */
        return bits_to_float(sign | 0x7f800000u | (mant << 13));
    if (exp != 0) /* normal: rebias 15 -> 127 */
        return bits_to_float(sign | ((exp + 112) << 23) | (mant << 13));
    if (mant == 0)
        return bits_to_float(sign);
    /* subnormal half: mant * 2^-24, normal as a float */
    float v = (float)mant * 0x1p-24f;
    return sign ? -v : v;
}

float rnnrt_bf16_to_f32(uint16_t b)
{
    return bits_to_float((uint32_t)b << 16);
}

uint16_t rnnrt_f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN: keep sign and top payload, set quiet */
        return (uint16_t)((u >> 16) | 0x40u);
    /* add half an ulp of bf16, plus one when the kept part is odd (ties to even); a carry
     * into the exponent rounds up correctly, to infinity past the largest finite value */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}
