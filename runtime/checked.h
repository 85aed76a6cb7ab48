/* Size arithmetic that cannot wrap. Each operation saturates at UINT64_MAX instead of
 * wrapping, so a chain of them is compared with a limit once at the end: an overflow
 * anywhere leaves UINT64_MAX, which is above every limit, and a zero factor still gives
 * the exact product 0. Callers keep their limits far below UINT64_MAX. */
#ifndef RNNRT_CHECKED_H
#define RNNRT_CHECKED_H

#include <stdint.h>

static inline uint64_t rnnrt_mul_sat(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static inline uint64_t rnnrt_add_sat(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* a * b * c * d, saturated. */
static inline uint64_t rnnrt_mul4_sat(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    return rnnrt_mul_sat(rnnrt_mul_sat(rnnrt_mul_sat(a, b), c), d);
}

#endif
