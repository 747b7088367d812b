// exp_vec against std::exp: relative error within 1 ulp over the whole range it computes, exact at 0,
// 0 far below (as exp underflows), NaN kept.
#include "ayslab/fast_exp.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

using namespace ayslab;

namespace {
template <class T>
double worst_ulps(T lo, T hi, int n) {
    double worst = 0.0;
    for (int i = 0; i <= n; ++i) {
        const T x = lo + (hi - lo) * static_cast<T>(i) / static_cast<T>(n);
        const long double want = std::exp(static_cast<long double>(x));
        const long double got = exp_vec(x);
        const long double ulp = want * static_cast<long double>(std::numeric_limits<T>::epsilon());
        worst = std::max(worst, static_cast<double>(std::fabs(got - want) / ulp));
    }
    return worst;
}
}  // namespace

TEST_CASE("exp_vec is within 1 ulp of exp in double and float") {
    CHECK(exp_vec(0.0) == 1.0);
    CHECK(exp_vec(0.0f) == 1.0f);
    const double d_small = worst_ulps(-1.0, 1.0, 200001), d_all = worst_ulps(-700.0, 700.0, 200001);
    const double f_small = worst_ulps(-1.0f, 1.0f, 200001), f_all = worst_ulps(-86.0f, 86.0f, 200001);
    MESSAGE("worst ulps: double ", d_small, " / ", d_all, ", float ", f_small, " / ", f_all);
    CHECK(d_small <= 1.0);
    CHECK(d_all <= 1.0);
    CHECK(f_small <= 1.0);
    CHECK(f_all <= 1.0);
}

TEST_CASE("exp_vec underflows to 0, clamps above and keeps NaN") {
    CHECK(exp_vec(-1e6) == 0.0);
    CHECK(exp_vec(-std::numeric_limits<double>::infinity()) == 0.0);
    CHECK(exp_vec(-1e6f) == 0.0f);
    CHECK(exp_vec(-700.0) > 0.0);
    CHECK(std::isfinite(exp_vec(1e6)));
    CHECK(std::isnan(exp_vec(std::numeric_limits<double>::quiet_NaN())));
    CHECK(std::isnan(exp_vec(std::numeric_limits<float>::quiet_NaN())));
}
