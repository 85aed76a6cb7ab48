/* Constants of rnnrt's float32 exp, expm1, sigmoid and tanh, shared by every ISA's
 * simd/<isa>/vmath_<isa>.h so that all ISAs evaluate the same approximation.
 *
 * Method (written for rnnrt):
 *  - exp(x) = 2^n * exp(r), n = round(x / ln2), r = x - n*ln2, |r| <= ln2/2. The reduction is
 *    Cody & Waite's additive one (W. J. Cody, W. Waite, "Software Manual for the Elementary
 *    Functions", Prentice-Hall 1980, ch. 6): ln2 = LN2_HI + LN2_LO with LN2_HI = ln2 rounded
 *    to float. With a fused multiply-add, x - n*LN2_HI is exact for |n| <= 2^8: n*LN2_HI is a
 *    multiple of 2^-24 and so is x once |x| >= ln2/2, and the difference has |r| < 1/2.
 *    n is found by adding SHIFTER = 1.5*2^23, which leaves round(x*log2e) in the low mantissa
 *    bits (round to nearest even, the default mode), so no float-to-int conversion is needed.
 *  - exp(r) and expm1(r) on |r| <= 1.002*ln2/2 are minimax polynomials in relative error
 *    whose coefficients are float32 numbers chosen by Sollya's fpminimax (N. Brisebarre,
 *    S. Chevillard, "Efficient polynomial L-infinity approximations", ARITH 18, 2007). The
 *    low-order terms are fixed to the Taylor ones (1 + r for exp, r + r^2/2 for expm1) so
 *    that expm1 stays accurate in relative terms as r -> 0. Regenerate with sollya 8:
 *      I = [-log(2)/2*1.002; log(2)/2*1.002];
 *      fpminimax(exp(x), [|2,...,6|], [|single...|], I, floating, relative, 1 + x);
 *      fpminimax(expm1(x), [|3,...,6|], [|single...|], I, floating, relative, x + x^2/2);
 *    Relative error of the polynomials themselves: exp 2^-28.2, expm1 2^-26.0.
 *  - sigmoid(x) = 1/(1 + e) for x >= 0 and e/(1 + e) for x < 0, with e = exp(-|x|) <= 1:
 *    neither form overflows or cancels, and an error of e enters the result damped by
 *    1/(1 + e) at most.
 *  - tanh(|x|) = m / (m + 2) with m = expm1(2|x|) >= 0, the sign restored afterwards.
 *    Through expm1 no 1 - e cancellation occurs, so tanh(x) keeps its relative accuracy as
 *    x -> 0 (for tiny x, m = 2x and the result is x).
 * Measured by the exhaustive sweep (tests/kernels/sweep_vmath.c, all 2^32 inputs, AVX2 and
 * AVX-512 alike; NEON on every 97th input gives the same): distance to the correctly rounded
 * float at most 1 (exp), 2 (sigmoid), 2 (tanh); error against the exact value at most 0.89,
 * 2.40 and 2.48 ulp. Every NaN in gives NaN, infinities give their limits exactly, and no
 * FE_INVALID, FE_DIVBYZERO or FE_OVERFLOW is raised.
 */
#ifndef RNNRT_SIMD_VMATH_CONSTANTS_H
#define RNNRT_SIMD_VMATH_CONSTANTS_H

#define RNNRT_VM_LOG2E 0x1.715476p+0f    /* log2(e) rounded to float */
#define RNNRT_VM_LN2_HI 0x1.62e430p-1f   /* ln2 rounded to float */
#define RNNRT_VM_LN2_LO -0x1.05c610p-29f /* ln2 - LN2_HI rounded to float */
#define RNNRT_VM_SHIFTER 0x1.8p23f       /* 1.5 * 2^23 */
#define RNNRT_VM_SHIFTER_BITS 0x4b400000 /* its bit pattern */

/* exp: the largest float whose e^x rounds to a finite float (e^x of the next one rounds to
 * +inf), and a lower clamp below ln(2^-150) = -103.97 where e^x rounds to +0. */
#define RNNRT_VM_EXP_HI 0x1.62e42ep+6f /* 88.72283172607422 */
#define RNNRT_VM_EXP_LO -104.0f

/* sigmoid on ISAs that build 2^n from its bits (AVX2, NEON): e^-a with a single factor 2^n
 * (n = -127 gives 0), so |x| is clamped to 88, where n = -127 and e = 0: results below
 * FLT_MIN (x < ln(FLT_MIN) = -87.34) may flush to zero, the rest are unaffected. AVX-512
 * scales with vscalefps, which handles subnormals, and clamps at -EXP_LO instead. */
#define RNNRT_VM_SIGMOID_CLAMP 88.0f

/* tanh: 1 - tanh(a) < 2^-25 for a > 13*ln2 = 9.011, so tanh rounds to 1 from there on;
 * clamping to 9.1 keeps expm1(2a) < 2^27. */
#define RNNRT_VM_TANH_CLAMP 9.1f

/* exp(r) ~ 1 + r*(1 + r*(E2 + r*(E3 + r*(E4 + r*(E5 + r*E6))))) */
#define RNNRT_VM_EXP_E2 0x1.fffffcp-2f
#define RNNRT_VM_EXP_E3 0x1.55549p-3f
#define RNNRT_VM_EXP_E4 0x1.5558a6p-5f
#define RNNRT_VM_EXP_E5 0x1.123aecp-7f
#define RNNRT_VM_EXP_E6 0x1.6a5a54p-10f

/* expm1(r) ~ r + r^2*(1/2 + r*(M3 + r*(M4 + r*(M5 + r*M6)))) */
#define RNNRT_VM_EXPM1_M3 0x1.5554b6p-3f
#define RNNRT_VM_EXPM1_M4 0x1.5555bcp-5f
#define RNNRT_VM_EXPM1_M5 0x1.12245ep-7f
#define RNNRT_VM_EXPM1_M6 0x1.6c543cp-10f

#endif /* RNNRT_SIMD_VMATH_CONSTANTS_H */
