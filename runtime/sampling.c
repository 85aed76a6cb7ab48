/* Choosing the next token: greedy, or a seeded draw from the softmax of the logits at a
 * temperature, optionally restricted to the top k. Everything is deterministic for a seed:
 * xoshiro256** is plain integer arithmetic, ties are broken by the lower index, and the
 * probabilities are summed in a fixed order in double. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "alloc.h"
#include "error.h"
#include "rnnrt.h"
#include "sampling.h"

/* --- The generator (Blackman & Vigna, "Scrambled linear pseudorandom number generators",
 * 2021: xoshiro256**, its state filled by splitmix64 as they recommend) ------------------- */

static unsigned long long splitmix64(unsigned long long *x)
{
    unsigned long long z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned long long rotl(unsigned long long x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void rnnrt_rng_seed(rnnrt_rng *rng, unsigned long long seed)
{
    if (!rng)
        return;
    for (int k = 0; k < 4; k++)
        rng->s[k] = splitmix64(&seed);
}

unsigned long long rnnrt_rng_next(rnnrt_rng *rng)
{
    if (!rng)
        return 0;
    unsigned long long *s = rng->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rnnrt_rng_uniform(rnnrt_rng *rng)
{
    return (double)(rnnrt_rng_next(rng) >> 11) * 0x1.0p-53;
}

/* --- Sampling ------------------------------------------------------------------------ */

/* Larger logit first, then lower index: a total order, so the top k are well defined. */
typedef struct scored { float logit; int index; } scored;
static int by_logit(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    return x->logit > y->logit ? -1 : x->logit < y->logit ? 1
                                                          : (x->index > y->index) - (x->index < y->index);
}

static rnnrt_status check(const float *logits, int n, float temperature, int *best)
{
    if (isnan(temperature) || temperature < 0)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_sample: temperature must be >= 0, got %g",
                          (double)temperature);
    *best = -1;
    for (int k = 0; k < n; k++) {
        if (isnan(logits[k]) || logits[k] == INFINITY)
            return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_sample: logits[%d] is %g", k,
                              (double)logits[k]);
        if (logits[k] != -INFINITY && (*best < 0 || logits[k] > logits[*best]))
            *best = k;
    }
    if (*best < 0)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_sample: all %d logits are -inf", n);
    return RNNRT_OK;
}

/* One draw among the first k of `c` with weights exp((logit - max) / temperature). */
static int draw(const scored *c, int k, float max, float temperature, rnnrt_rng *rng)
{
    double total = 0.0;
    for (int j = 0; j < k; j++)
        total += exp(((double)c[j].logit - max) / temperature);
    double u = rnnrt_rng_uniform(rng) * total, run = 0.0;
    int last = -1;
    for (int j = 0; j < k; j++) {
        if (c[j].logit == -INFINITY)
            continue;
        last = c[j].index;
        run += exp(((double)c[j].logit - max) / temperature);
        if (u < run)
            return c[j].index;
    }
    return last; /* u rounded up to the total */
}

size_t rnnrt_sample_scratch_size(int n)
{
    return (size_t)(n > 0 ? n : 1) * sizeof(scored);
}

rnnrt_status rnnrt_sample(const float *logits, int n, float temperature, int top_k,
                          rnnrt_rng *rng, int *token)
{
    return rnnrt_sample_into(logits, n, temperature, top_k, rng, token, NULL);
}

rnnrt_status rnnrt_sample_into(const float *logits, int n, float temperature, int top_k,
                               rnnrt_rng *rng, int *token, void *scratch)
{
    rnnrt_clear_error();
    if (!logits)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_sample: logits is NULL");
    if (!token)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_sample: token is NULL");
    if (n < 1)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_sample: n must be >= 1, got %d", n);
    int best = -1;
    rnnrt_status s = check(logits, n, temperature, &best);
    if (s)
        return s;
    if (temperature == 0 || top_k == 1) {
        *token = best;
        return RNNRT_OK;
    }
    if (!rng)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_sample: rng is NULL (needed unless greedy)");
    scored *c = scratch ? scratch : rnnrt_malloc((size_t)n * sizeof *c);
    if (!c)
        return rnnrt_fail(RNNRT_E_NOMEM, "rnnrt_sample: out of memory for %d logits", n);
    for (int k = 0; k < n; k++)
        c[k] = (scored){logits[k], k};
    bool all = top_k <= 0 || top_k >= n;
    if (!all)
        qsort(c, (size_t)n, sizeof *c, by_logit);
    *token = draw(c, all ? n : top_k, logits[best], temperature, rng);
    if (!scratch)
        rnnrt_free(c);
    return RNNRT_OK;
}
