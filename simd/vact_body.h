/* The body of rnnrt_f32_vact_t (simd/kernels.h), written once over a kernel set's vector
 * operations (STYLE.md item 14): each set's rnnrt_f32_vact__<set>.c defines them, names its
 * kernel RNNRT_VACT_FN and includes this file, which is not a header of its own (no include
 * guard; static inline code only). The operations, on vectors `vf` of VF_LANES floats:
 *   vf_load(p), vf_store(p, v); vf_load_tail(p, rem), vf_store_tail(p, rem, v) for
 *     0 < rem < VF_LANES floats, touching nothing past p[rem - 1];
 *   vf_set(s); vf_add, vf_sub, vf_mul, vf_div; vf_fma(a, b, c) = a b + c; vf_abs(x);
 *   vf_max(k, v), vf_min(k, v): v where v is NaN (k is a constant);
 *   vf_if_ge(x, t, a, b) = x >= t ? a : b, vf_if_gt(x, t, a, b) = x > t ? a : b (b for NaN);
 *   vf_keep_nan(y, x): y, or x where x is NaN;
 *   vf_exp, vf_sigmoid, vf_tanh: the set's vector math, NaN in NaN out.
 * The switch on the function is outside the loop: each function is its own vector loop. */

#define RNNRT_VACT_INLINE static inline __attribute__((always_inline)) vf

/* log(1 + u) for 0 <= u <= 1 (or NaN): 2 atanh(s) with s = u / (2 + u) in [0, 1/3], the
 * series to s^15 (the next term is below 2^-29 of the sum); no cancellation for small u. */
RNNRT_VACT_INLINE vact_log1p(vf u)
{
    vf s = vf_div(u, vf_add(vf_set(2.0f), u)), s2 = vf_mul(s, s);
    vf p = vf_set(1.0f / 15.0f);
    p = vf_fma(p, s2, vf_set(1.0f / 13.0f));
    p = vf_fma(p, s2, vf_set(1.0f / 11.0f));
    p = vf_fma(p, s2, vf_set(1.0f / 9.0f));
    p = vf_fma(p, s2, vf_set(1.0f / 7.0f));
    p = vf_fma(p, s2, vf_set(1.0f / 5.0f));
    p = vf_fma(p, s2, vf_set(1.0f / 3.0f));
    p = vf_fma(p, s2, vf_set(1.0f));
    return vf_mul(vf_add(s, s), p);
}

RNNRT_VACT_INLINE vact_sigmoid(vf x, vf a, vf b)
{
    (void)a, (void)b;
    return vf_sigmoid(x);
}

RNNRT_VACT_INLINE vact_tanh(vf x, vf a, vf b)
{
    (void)a, (void)b;
    return vf_tanh(x);
}

RNNRT_VACT_INLINE vact_relu(vf x, vf a, vf b)
{
    (void)a, (void)b;
    return vf_max(vf_set(0.0f), x);
}

RNNRT_VACT_INLINE vact_affine(vf x, vf a, vf b)
{
    return vf_fma(a, x, b);
}

RNNRT_VACT_INLINE vact_leaky_relu(vf x, vf a, vf b)
{
    (void)b;
    return vf_if_ge(x, vf_set(0.0f), x, vf_mul(a, x)); /* NaN: a NaN = NaN */
}

RNNRT_VACT_INLINE vact_thresholded_relu(vf x, vf a, vf b)
{
    (void)b;
    return vf_keep_nan(vf_if_gt(x, a, x, vf_set(0.0f)), x);
}

RNNRT_VACT_INLINE vact_scaled_tanh(vf x, vf a, vf b)
{
    return vf_mul(a, vf_tanh(vf_mul(b, x)));
}

RNNRT_VACT_INLINE vact_hard_sigmoid(vf x, vf a, vf b)
{
    return vf_min(vf_set(1.0f), vf_max(vf_set(0.0f), vf_fma(a, x, b)));
}

/* e^min(x, 0): the branch not taken cannot overflow */
RNNRT_VACT_INLINE vact_elu(vf x, vf a, vf b)
{
    (void)b;
    vf em1 = vf_sub(vf_exp(vf_min(vf_set(0.0f), x)), vf_set(1.0f));
    return vf_if_ge(x, vf_set(0.0f), x, vf_mul(a, em1));
}

/* x bounded by 2^64 first, where x / (1 + |x|) already rounds to +-1, so that +-inf gives +-1
 * rather than inf / inf */
RNNRT_VACT_INLINE vact_softsign(vf x, vf a, vf b)
{
    (void)a, (void)b;
    vf xb = vf_min(vf_set(0x1p64f), vf_max(vf_set(-0x1p64f), x));
    return vf_div(xb, vf_add(vf_set(1.0f), vf_abs(xb)));
}

/* max(x, 0) + log(1 + e^-|x|): e^-|x| <= 1 never overflows */
RNNRT_VACT_INLINE vact_softplus(vf x, vf a, vf b)
{
    (void)a, (void)b;
    vf e = vf_exp(vf_sub(vf_set(0.0f), vf_abs(x)));
    return vf_add(vf_max(vf_set(0.0f), x), vact_log1p(e));
}

#define RNNRT_VACT_LOOP(f)                                                                   \
    do {                                                                                     \
        size_t j = 0;                                                                        \
        for (; j + VF_LANES <= n; j += VF_LANES)                                             \
            vf_store(y + j, f(vf_load(x + j), va, vb));                                      \
        if (j < n)                                                                           \
            vf_store_tail(y + j, n - j, f(vf_load_tail(x + j, n - j), va, vb));              \
    } while (0)

void RNNRT_VACT_FN(size_t n, const float *x, float *y, const rnnrt_activation *a)
{
    assert(n == 0 || (x && y && a));
    if (n == 0)
        return;
    const vf va = vf_set(a->alpha), vb = vf_set(a->beta);
    switch (a->fn) {
    case RNNRT_ACT_SIGMOID: RNNRT_VACT_LOOP(vact_sigmoid); break;
    case RNNRT_ACT_TANH: RNNRT_VACT_LOOP(vact_tanh); break;
    case RNNRT_ACT_RELU: RNNRT_VACT_LOOP(vact_relu); break;
    case RNNRT_ACT_AFFINE: RNNRT_VACT_LOOP(vact_affine); break;
    case RNNRT_ACT_LEAKY_RELU: RNNRT_VACT_LOOP(vact_leaky_relu); break;
    case RNNRT_ACT_THRESHOLDED_RELU: RNNRT_VACT_LOOP(vact_thresholded_relu); break;
    case RNNRT_ACT_SCALED_TANH: RNNRT_VACT_LOOP(vact_scaled_tanh); break;
    case RNNRT_ACT_HARD_SIGMOID: RNNRT_VACT_LOOP(vact_hard_sigmoid); break;
    case RNNRT_ACT_ELU: RNNRT_VACT_LOOP(vact_elu); break;
    case RNNRT_ACT_SOFTSIGN: RNNRT_VACT_LOOP(vact_softsign); break;
    case RNNRT_ACT_SOFTPLUS: RNNRT_VACT_LOOP(vact_softplus); break;
    }
}

#undef RNNRT_VACT_LOOP
#undef RNNRT_VACT_INLINE
