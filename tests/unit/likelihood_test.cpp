// MATH.md §7: exact Jacobian traces against central differences of D (the default implementation),
// and the probability-flow log-likelihood against exact log-densities.
#include "ayslab/likelihood.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "ayslab/data/datasets.hpp"
#include "ayslab/data/empirical.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/data/mixture.hpp"

using namespace ayslab;

namespace {
// The base-class finite-difference trace, reached through a wrapper that does not override it.
struct FiniteDifference final : Denoiser {
    const Denoiser& inner;
    explicit FiniteDifference(const Denoiser& d) : inner(d) {}
    std::size_t dim() const override { return inner.dim(); }
    void denoise(std::span<const double> x, std::size_t n, double s, std::span<double> out) const override {
        inner.denoise(x, n, s, out);
    }
    double log_density(std::span<const double> x, double s) const override { return inner.log_density(x, s); }
    double data_variance() const override { return inner.data_variance(); }
    void sample(std::size_t n, std::uint64_t seed, std::uint64_t first,
                std::span<double> out) const override {
        inner.sample(n, seed, first, out);
    }
};
}  // namespace

TEST_CASE("exact Jacobian traces equal finite differences of D") {
    const DiagonalGaussian g({0.1, -0.2, 0.3}, {0.5, 1.0, 2.0});
    const GaussianMixture m({0.3, 0.7}, {-1, 0, 1, 1}, {0.2, 0.1, 0.05, 0.4}, 2);
    const auto moons = make_dataset("moons", {300, 10, 1, 10, {}, {}});
    const Denoiser* all[] = {&g, &m, moons.data.get()};
    for (const Denoiser* data : all) {
        const std::size_t d = data->dim();
        std::vector<double> x(d, 0.37);
        for (double sigma : {0.1, 0.6, 3.0}) {
            CAPTURE(sigma);
            double exact = 0.0, fd = 0.0;
            data->jacobian_trace(x, 1, sigma, {&exact, 1});
            FiniteDifference(*data).jacobian_trace(x, 1, sigma, {&fd, 1});
            CHECK(exact == doctest::Approx(fd).epsilon(1e-6).scale(1e-6));
        }
    }
}

TEST_CASE("probability-flow log-likelihood equals the exact log-density (ring of 8, 1e-6 nats)") {
    const auto ring = make_dataset("ring8", {});
    LikelihoodOptions o;
    o.rtol = o.atol = 1e-11;
    std::vector<double> x = {1.9, 0.1};
    const auto r = probability_flow_log_likelihood(*ring.data, x, o);
    CHECK(r.log_p == doctest::Approx(ring.data->log_density(x, o.sigma_min)).epsilon(1e-6));
    CHECK(bits_per_dim(-std::log(2.0) * 2, 2) == doctest::Approx(1.0));
}
