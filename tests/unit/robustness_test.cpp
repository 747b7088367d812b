// Numerical robustness: sigma from 1e-6 to 1e4, d up to 4096, point sets up to 10^5 points — no
// overflow, underflow or NaN in denoisers, densities, KLUB and samplers (log-sum-exp throughout).
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "ayslab/data/empirical.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/data/mixture.hpp"
#include "ayslab/divergence/klub.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/solver/registry.hpp"

using namespace ayslab;

namespace {
bool all_finite(const std::vector<double>& v) {
    for (double x : v)
        if (!std::isfinite(x)) return false;
    return true;
}
}  // namespace

TEST_CASE("d = 4096: Gaussian and mixture denoisers and densities at sigma 1e-6 and 1e4") {
    const std::size_t d = 4096;
    const auto g = DiagonalGaussian::isotropic(d, 0.5, 1.0);
    std::vector<double> means(4 * d), x(d), out(d);
    fill_normal_flat(1, 40, 0, 0, means);
    fill_normal_flat(2, 40, 0, 0, x);
    for (auto& v : x) v *= 3.0;
    const GaussianMixture m({1, 2, 3, 4}, means, {0.01, 0.1, 1.0, 2.0}, d);
    for (double sigma : {1e-6, 1e-3, 1.0, 1e4}) {
        CAPTURE(sigma);
        g.denoise(x, 1, sigma, out);
        CHECK(all_finite(out));
        CHECK(out[0] == doctest::Approx(0.5 + 1.0 / (1.0 + sigma * sigma) * (x[0] - 0.5)));
        CHECK(std::isfinite(g.log_density(x, sigma)));
        m.denoise(x, 1, sigma, out);
        CHECK(all_finite(out));
        CHECK(std::isfinite(m.log_density(x, sigma)));
    }
}

TEST_CASE("10^5 points: the ideal denoiser at sigma 1e-6 and 1e4") {
    const std::size_t n = 100000;
    std::vector<double> pts(2 * n);
    fill_normal_flat(3, 41, 0, 0, pts);
    const EmpiricalData data(pts, 2);
    std::vector<double> x = {pts[10] + 1e-7, pts[11]}, out(2);
    data.denoise(x, 1, 1e-6, out);
    CHECK(out[0] == doctest::Approx(pts[10]).epsilon(1e-9));  // the nearest point
    CHECK(std::isfinite(data.log_density(x, 1e-6)));
    data.denoise(x, 1, 1e4, out);
    double mean0 = 0.0;
    for (std::size_t i = 0; i < n; ++i) mean0 += pts[2 * i] / static_cast<double>(n);
    CHECK(out[0] == doctest::Approx(mean0).epsilon(1e-6).scale(1e-3));  // the data mean
    std::vector<double> far = {1e5, -1e5};
    data.denoise(far, 1, 1e-6, out);
    CHECK(all_finite(out));
}

TEST_CASE("KLUB and samplers over sigma in [1e-6, 1e4]") {
    const auto g = DiagonalGaussian::isotropic(8, 0.0, 0.5);
    const auto sched = karras(30, 1e-6, 1e4);
    for (double v : klub_schedule_gaussian(sched, g.variance())) CHECK(std::isfinite(v));
    for (const std::string name :
         {"euler", "heun", "dpmpp-2m", "dpmpp-3m", "linearised-sde", "euler-ancestral"}) {
        CAPTURE(name);
        std::vector<double> x(8 * 16);
        sample_marginal(g, 1e4, x, 16, 5);
        CHECK_NOTHROW(sample(g, *make_solver(name), sched, x, 16, {5, 1, 16}));
        CHECK(all_finite(x));
    }
}
