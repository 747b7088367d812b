// exp for the softmax weights of the denoisers, written so that GCC vectorises loops that call it
// (std::exp does not vectorise without -ffast-math). Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2,
// a Taylor polynomial for e^r (degree 13 in double, 7 in float: truncation below half an ulp) and
// 2^n put straight into the exponent bits. Against std::exp (tests/unit/fast_exp_test.cpp): at most
// 0.78 ulp in double, 0.80 ulp in float. Below -708 (double) or -87 (float) the result is 0 (true
// exp underflows there or soon after); above 709 / 88 it is clamped to exp(709) / exp(88); NaN stays NaN.
#pragma once
#include <bit>
#include <cstdint>

namespace ayslab {

inline double exp_vec(double x_in) {
    double x = x_in < -708.0 ? -708.0 : x_in;  // plain selects (std::min/max block vectorisation); NaN passes
    x = x > 709.0 ? 709.0 : x;
    constexpr double log2e = 1.4426950408889634, ln2_hi = 0.6931471805598903, ln2_lo = 5.497923018708371e-14;
    constexpr double shifter = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
    const double t = x * log2e + shifter;
    const double n = t - shifter;
    const double r = (x - n * ln2_hi) - n * ln2_lo;
    double p = 1.0 / 6227020800.0;  // 1/13!
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // n sits in the low bits of t; 2^n = bits (n + 1023) << 52.
    const std::int64_t k =
        static_cast<std::int64_t>(std::bit_cast<std::uint64_t>(t) - std::bit_cast<std::uint64_t>(shifter));
    const double e = p * std::bit_cast<double>(static_cast<std::uint64_t>(k + 1023) << 52);
    return x_in < -708.0 ? 0.0 : e;
}

inline float exp_vec(float x_in) {
    float x = x_in < -87.0f ? -87.0f : x_in;
    x = x > 88.0f ? 88.0f : x;
    constexpr float log2e = 1.44269504f, ln2_hi = 0.693145752f, ln2_lo = 1.42860677e-6f;
    constexpr float shifter = 12582912.0f;  // 1.5 * 2^23
    const float t = x * log2e + shifter;
    const float n = t - shifter;
    const float r = (x - n * ln2_hi) - n * ln2_lo;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const std::int32_t k =
        static_cast<std::int32_t>(std::bit_cast<std::uint32_t>(t) - std::bit_cast<std::uint32_t>(shifter));
    const float e = p * std::bit_cast<float>(static_cast<std::uint32_t>(k + 127) << 23);
    return x_in < -87.0f ? 0.0f : e;
}

}  // namespace ayslab
