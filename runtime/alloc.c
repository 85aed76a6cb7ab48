#include "alloc.h"

#include <stdlib.h>
#include <string.h>

#ifdef RNNRT_ALLOC_FAIL_HOOK
static long countdown; /* 0: never fail */
static long made;
static int fail_sticky;

long rnnrt_alloc_fail_after(long n, int sticky)
{
    long count = made;
    made = 0;
    countdown = n;
    fail_sticky = sticky;
    return count;
}

/* True when this allocation is the one chosen to fail. */
static int should_fail(void)
{
    made++;
    if (countdown <= 0)
        return 0;
    if (countdown == 1) {
        if (!fail_sticky)
            countdown = 0;
        return 1;
    }
    countdown--;
    return 0;
}
#else
static int should_fail(void)
{
    return 0;
}
#endif

void *rnnrt_malloc(size_t size)
{
    return should_fail() ? NULL : malloc(size ? size : 1);
}

void *rnnrt_calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *rnnrt_aligned_alloc(size_t alignment, size_t size)
{
    void *p = NULL;
    if (should_fail() || posix_memalign(&p, alignment, size ? size : 1))
        return NULL;
    return p;
}

char *rnnrt_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = rnnrt_malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

void rnnrt_free(void *p)
{
    free(p);
}
