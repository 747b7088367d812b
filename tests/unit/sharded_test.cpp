// The sharded ideal denoiser on one process: the shard merge (log-sum-exp over shards, MATH §2)
// reproduces the unsharded denoiser, density and nearest distances to rounding, one shard exactly, and
// the data draws are the same rows.
#include "ayslab/data/sharded.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "ayslab/error.hpp"
#include "ayslab/rng.hpp"

using namespace ayslab;

namespace {
std::vector<double> points(std::size_t n, std::size_t d, std::uint64_t seed) {
    std::vector<double> v(n * d);
    fill_normal_flat(seed, 98, 0, 0, v);
    return v;
}

double worst_diff(const std::vector<double>& a, const std::vector<double>& b) {
    double worst = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
    return worst;
}
}  // namespace

TEST_CASE("sharded and unsharded ideal denoisers agree (direct distances and the GEMM path)") {
    for (std::size_t d : {2u, 64u}) {
        CAPTURE(d);
        const auto y = points(2500, d, 1 + d);
        const EmpiricalData whole(y, d);
        const ShardedEmpiricalData one(y, d, 1, 2), three(y, d, 3, 2);
        CHECK(three.collective());
        CHECK(three.shards() == 3);
        CHECK(three.size() == 2500);
        CHECK(three.data_variance() == doctest::Approx(whole.data_variance()).epsilon(1e-13));
        const std::size_t n = 150;
        const auto x = points(n, d, 50 + d);
        for (double sigma : {0.05, 0.7, 20.0}) {
            CAPTURE(sigma);
            std::vector<double> a(n * d), b(n * d), c(n * d);
            whole.denoise(x, n, sigma, a);
            one.denoise(x, n, sigma, b);
            three.denoise(x, n, sigma, c);
            CHECK(a == b);                    // one shard: the merge is exact
            CHECK(worst_diff(a, c) < 1e-12);  // data scale 1: rounding of the merge only
            std::vector<double> la(n), lc(n);
            whole.log_density_rows(x, n, sigma, la);
            three.log_density_rows(x, n, sigma, lc);
            CHECK(worst_diff(la, lc) < 1e-10 * (1.0 + std::abs(la[0])));
        }
        std::vector<double> sig(n);
        for (std::size_t i = 0; i < n; ++i) sig[i] = 0.01 + 0.1 * double(i);
        std::vector<double> a(n * d), c(n * d);
        whole.denoise_rows(x, n, sig, a);
        three.denoise_rows(x, n, sig, c);
        CHECK(worst_diff(a, c) < 1e-12);
        std::vector<double> na(n), nc(n);
        whole.nearest_squared_distance(x, n, na);
        three.nearest_squared_distance(x, n, nc);
        CHECK(worst_diff(na, nc) < 1e-9);
        std::vector<double> sa(40 * d), sc(40 * d);
        whole.sample(40, 9, 100, sa);
        three.sample(40, 9, 100, sc);
        CHECK(sa == sc);
    }
}

TEST_CASE("shard counts outside 1..N are input errors") {
    const auto y = points(10, 2, 3);
    CHECK_THROWS_AS(ShardedEmpiricalData(y, 2, 0, 1), InputError);
    CHECK_THROWS_AS(ShardedEmpiricalData(y, 2, 11, 1), InputError);
    CHECK_NOTHROW(ShardedEmpiricalData(y, 2, 10, 1));
}
