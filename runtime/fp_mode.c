#include "fp_mode.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

unsigned long rnnrt_flush_denormals(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned long old = _mm_getcsr();
    _mm_setcsr((unsigned)old | 0x8040); /* FTZ bit 15, DAZ bit 6 */
    return old;
#elif defined(__aarch64__)
    unsigned long old;
    __asm__ volatile("mrs %0, fpcr" : "=r"(old));
    __asm__ volatile("msr fpcr, %0" : : "r"(old | (1ul << 24))); /* FZ */
    return old;
#else
    return 0;
#endif
}

void rnnrt_restore_fp_mode(unsigned long old)
{
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr((unsigned)old);
#elif defined(__aarch64__)
    __asm__ volatile("msr fpcr, %0" : : "r"(old));
#else
    (void)old;
#endif
}
