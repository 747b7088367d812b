// Box-Muller as Random123's boxmuller(uint64_t, uint64_t) defines it — a = uneg11(u0), v = u01(u1),
// (x, y) = sqrt(-2 log v) (sin(pi a), cos(pi a)) — with log and sin/cos(pi a) written so that loops
// calling them vectorise (libm's log and sincos do not; they were half the time of an SDE run). No
// FMA is assumed or allowed (callers compile with -ffp-contract=off), so every instruction set gives
// the same bits. Accuracy against long double (tests/unit/box_muller_test.cpp, 2e6 points): log_unit
// within 0.82 ulp, sin and cos within 1.6 ulp of sin(pi a), cos(pi a); libm's sincos(M_PI * a), which
// Random123 called, rounds pi a first and is exact only to that rounding.
// Internal to lib/src.
#pragma once
#include <bit>
#include <cmath>
#include <cstdint>

namespace ayslab::detail {

// log v for positive normal doubles (Box-Muller's v lies in [2^-65, 1]): v = 2^k m with m in
// [sqrt(2)/2, sqrt(2)], f = m - 1 (exact), s = f / (2 + f), log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2))
// with fdlibm's minimax R (e_log.c, error below 2^-58.45) and k ln2 in two parts. The exponent and
// the split at sqrt(2) are taken in doubles (shifter trick, comparisons): the loop then vectorises even
// without 64-bit integer conversions (SSE2, AVX2).
inline double log_unit(double v) {
    constexpr double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    constexpr double lg1 = 6.666666666666735130e-01, lg2 = 3.999999999940941908e-01,
                     lg3 = 2.857142874366239149e-01, lg4 = 2.222219843214978396e-01,
                     lg5 = 1.818357216161805012e-01, lg6 = 1.531383769920937332e-01,
                     lg7 = 1.479819860511658591e-01;
    constexpr double two52 = 4503599627370496.0, sqrt2 = 1.4142135623730951;
    const std::uint64_t bits = std::bit_cast<std::uint64_t>(v);
    const double m1 = std::bit_cast<double>((bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);  // [1, 2)
    const double e = (std::bit_cast<double>((bits >> 52) | 0x4330000000000000ULL) - two52) - 1023.0;  // exact
    const bool above = m1 > sqrt2;
    const double m = above ? 0.5 * m1 : m1;
    const double dk = above ? e + 1.0 : e;
    const double f = m - 1.0;
    const double s = f / (2.0 + f);
    const double z = s * s, w = z * z;
    const double t1 = w * (lg2 + w * (lg4 + w * lg6));
    const double t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)));
    const double r = t2 + t1, hfsq = 0.5 * f * f;
    return dk * ln2_hi - ((hfsq - (s * (hfsq + r) + dk * ln2_lo)) - f);
}

// sin(pi a) and cos(pi a) for a in [-1, 1]: 2a = q + r with q the nearest integer and |r| <= 1/2 (both
// exact), theta = pi r / 2 by Taylor polynomials in r (to r^19 and r^18: truncation below 1e-19), then
// the quadrant q mod 4 swaps and signs them. Exact at multiples of 1/2 (sin(pi) is 0, not 1.2e-16).
inline void sincospi_unit(double a, double& sin_out, double& cos_out) {
    constexpr double shifter = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
    const double y = 2.0 * a;
    const double q = (y + shifter) - shifter;
    const double r = y - q, z = r * r;
    // (pi/2)^n / n! with alternating signs.
    constexpr double s1 = 1.5707963267948966, s3 = -0.6459640975062463, s5 = 0.07969262624616705,
                     s7 = -0.004681754135318688, s9 = 0.00016044118478735983,
                     s11 = -3.598843235212085e-06, s13 = 5.692172921967927e-08,
                     s15 = -6.688035109811468e-10, s17 = 6.0669357311061955e-12,
                     s19 = -4.377065467313742e-14;
    constexpr double c2 = -1.2337005501361697, c4 = 0.25366950790104803, c6 = -0.02086348076335296,
                     c8 = 0.0009192602748394266, c10 = -2.5202042373060607e-05,
                     c12 = 4.710874778818172e-07, c14 = -6.386603083791852e-09,
                     c16 = 6.565963114979473e-11, c18 = -5.294400200734623e-13;
    const double ps =
        r * (s1 + z * (s3 + z * (s5 + z * (s7 + z * (s9 + z * (s11 + z * (s13 + z * (s15 + z * (s17 + z * s19)))))))));
    const double pc =
        1.0 + z * (c2 + z * (c4 + z * (c6 + z * (c8 + z * (c10 + z * (c12 + z * (c14 + z * (c16 + z * c18))))))));
    // The quadrant q mod 4 (q in -2..2): 0 (s, c), 1 (c, -s), 2 (-s, -c), 3 (-c, s); decided by
    // comparisons on q so that the selects vectorise.
    const bool odd = (q == 1.0) | (q == -1.0);
    const bool negate_sin = (q < -0.5) | (q > 1.5);  // q mod 4 in {2, 3}
    const bool negate_cos = (q > 0.5) | (q < -1.5);  // q mod 4 in {1, 2}
    const double swapped_s = odd ? pc : ps, swapped_c = odd ? ps : pc;
    sin_out = negate_sin ? -swapped_s : swapped_s;
    cos_out = negate_cos ? -swapped_c : swapped_c;
}

// One Box-Muller pair from two 64-bit words (Random123's u01 and uneg11 conversions).
inline void box_muller_pair(std::uint64_t u0, std::uint64_t u1, double& x, double& y) {
    const double a = static_cast<double>(static_cast<std::int64_t>(u0)) * 0x1p-63 + 0x1p-64;
    const double v = static_cast<double>(u1) * 0x1p-64 + 0x1p-65;
    const double radius = std::sqrt(-2.0 * log_unit(v));
    double s, c;
    sincospi_unit(a, s, c);
    x = s * radius;
    y = c * radius;
}

}  // namespace ayslab::detail
