/* Every allocation of the library goes through these, so that a test build can make the
 * N-th one fail (meson option alloc_fail_hook) and check that each failure is reported as
 * RNNRT_E_NOMEM, leaks nothing and leaves models and states usable. */
#ifndef RNNRT_ALLOC_H
#define RNNRT_ALLOC_H

#include <stddef.h>

void *rnnrt_malloc(size_t size);
void *rnnrt_calloc(size_t count, size_t size);
char *rnnrt_strdup(const char *s);
/* `alignment` a power of two multiple of sizeof(void *); freed with rnnrt_free. */
void *rnnrt_aligned_alloc(size_t alignment, size_t size);
void rnnrt_free(void *p);

#ifdef RNNRT_ALLOC_FAIL_HOOK
/* Test builds only: the allocation numbered `n` from now (1 = the next one) fails, and so
 * does every later one if `sticky`; n = 0 turns failures off. Returns how many allocations
 * were made since the last call. Not thread-safe: for single-threaded tests. */
long rnnrt_alloc_fail_after(long n, int sticky);
#endif

#endif
