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
