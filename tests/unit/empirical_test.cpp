// MATH.md §2: the ideal denoiser against a direct (unblocked, naive) computation and Tweedie with
// the score from finite differences of the exact log-density; extremes of sigma; nearest distances.
#include "ayslab/data/empirical.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "ayslab/error.hpp"
#include "ayslab/rng.hpp"

using namespace ayslab;

namespace {
std::vector<double> random_points(std::size_t n, std::size_t d, std::uint64_t seed) {
    std::vector<double> p(n * d);
    fill_normal_flat(seed, 99, 0, 0, p);
    return p;
}

// D and log p by the textbook formulas, one point at a time (long double accumulation).
void naive(const std::vector<double>& y, std::size_t d, const double* x, double sigma, double* den,
           double* logp) {
    const std::size_t n = y.size() / d;
    std::vector<long double> logit(n);
    long double top = -std::numeric_limits<long double>::infinity();
    for (std::size_t j = 0; j < n; ++j) {
        long double s = 0;
        for (std::size_t k = 0; k < d; ++k) s += (x[k] - y[j * d + k]) * (long double)(x[k] - y[j * d + k]);
        logit[j] = -s / (2.0L * sigma * sigma);
        top = std::max(top, logit[j]);
    }
    long double z = 0;
    std::vector<long double> acc(d, 0);
    for (std::size_t j = 0; j < n; ++j) {
        const long double w = std::exp(logit[j] - top);
        z += w;
        for (std::size_t k = 0; k < d; ++k) acc[k] += w * y[j * d + k];
    }
    for (std::size_t k = 0; k < d; ++k) den[k] = static_cast<double>(acc[k] / z);
    *logp = static_cast<double>(top + std::log(z) - std::log((long double)n) -
                                0.5L * d * std::log(2.0L * std::numbers::pi_v<long double> * sigma * sigma));
}
}  // namespace

TEST_CASE("blocked GEMM denoiser and log-density equal the naive formulas (N = 2500 > one data block)") {
    for (std::size_t d : {2u, 20u}) {
        CAPTURE(d);
        const auto y = random_points(2500, d, 1);
        const EmpiricalData data(y, d);
        const std::size_t n = 70;  // > one row block
        const auto x = random_points(n, d, 2);
        for (double sigma : {0.05, 0.7, 5.0}) {
            CAPTURE(sigma);
            std::vector<double> den(n * d), lp(n);
            data.denoise(x, n, sigma, den);
            data.log_density_rows(x, n, sigma, lp);
            for (std::size_t i = 0; i < n; i += 7) {
                std::vector<double> ref(d);
                double ref_lp = 0;
                naive(y, d, x.data() + i * d, sigma, ref.data(), &ref_lp);
                for (std::size_t k = 0; k < d; ++k)
                    CHECK(den[i * d + k] == doctest::Approx(ref[k]).epsilon(1e-9).scale(1));
                CHECK(lp[i] == doctest::Approx(ref_lp).epsilon(1e-11));
            }
        }
    }
}

TEST_CASE("per-row sigmas equal one call per sigma") {
    const auto y = random_points(300, 3, 4);
    const EmpiricalData data(y, 3);
    const auto x = random_points(5, 3, 5);
    const std::vector<double> sig = {0.1, 0.3, 1.0, 3.0, 10.0};
    std::vector<double> rows(15), one(3);
    data.denoise_rows(x, 5, sig, rows);
    for (std::size_t i = 0; i < 5; ++i) {
        data.denoise(std::span(x).subspan(3 * i, 3), 1, sig[i], one);
        for (int k = 0; k < 3; ++k) CHECK(rows[3 * i + k] == doctest::Approx(one[k]).epsilon(1e-13));
    }
}

TEST_CASE("Tweedie: D = x + sigma^2 grad log p_sigma (finite differences of the exact density)") {
    const auto y = random_points(200, 2, 6);
    const EmpiricalData data(y, 2);
    std::vector<double> x = {0.3, -0.4}, den(2);
    for (double sigma : {0.3, 1.0, 4.0}) {
        data.denoise(x, 1, sigma, den);
        for (int k = 0; k < 2; ++k) {
            const double h = 1e-5, x0 = x[k];
            x[k] = x0 + h;
            const double up = data.log_density(x, sigma);
            x[k] = x0 - h;
            const double down = data.log_density(x, sigma);
            x[k] = x0;
            CHECK(den[k] == doctest::Approx(x0 + sigma * sigma * (up - down) / (2 * h)).epsilon(1e-6));
        }
    }
}

TEST_CASE("extreme sigmas: tiny sigma picks the nearest point, huge sigma the mean, nothing overflows") {
    const std::vector<double> y = {0.0, 0.0, 1.0, 0.0, 0.0, 1.0};
    const EmpiricalData data(y, 2);
    std::vector<double> x = {0.9, 0.2}, den(2);
    data.denoise(x, 1, 1e-6, den);
    CHECK(den[0] == 1.0);
    CHECK(den[1] == 0.0);
    data.denoise(x, 1, 1e4, den);
    CHECK(den[0] == doctest::Approx(1.0 / 3).epsilon(1e-6));
    CHECK(std::isfinite(data.log_density(x, 1e-6)));
    std::vector<double> far = {1e6, -1e6};
    data.denoise(far, 1, 1e-3, den);
    CHECK(std::isfinite(den[0]));
}

TEST_CASE("nearest distances and bad input") {
    const std::vector<double> y = {0.0, 0.0, 3.0, 4.0};
    const EmpiricalData data(y, 2);
    std::vector<double> x = {3.0, 5.0, -1.0, 0.0}, d2(2);
    data.nearest_squared_distance(x, 2, d2);
    CHECK(d2[0] == doctest::Approx(1.0));
    CHECK(d2[1] == doctest::Approx(1.0));
    CHECK_THROWS_AS(EmpiricalData({1.0, 2.0, 3.0}, 2), InputError);
    CHECK_THROWS_AS(EmpiricalData({1.0, std::numeric_limits<double>::quiet_NaN()}, 2), InputError);
}
