// MATH.md §4: Gaussian KL against numerical integration; exact sampler laws against the closed-form
// product (Euler) and against Monte Carlo sampling (4 SE, seed 21).
#include "ayslab/divergence/kl.hpp"

#include <doctest/doctest.h>

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <cmath>
#include <numbers>
#include <vector>

#include "ayslab/error.hpp"
#include "ayslab/sampler.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/stats.hpp"

using namespace ayslab;

TEST_CASE("1-D Gaussian KL equals the integral of p log(p/q)") {
    const double cases[][4] = {{0, 1, 0, 2}, {0.5, 0.3, -0.2, 1.7}, {1, 4, 1.5, 5}};
    for (const auto& k : cases) {
        const double mp = k[0], vp = k[1], mq = k[2], vq = k[3];
        auto logn = [](double x, double m, double v) {
            return -0.5 * std::log(2 * std::numbers::pi * v) - 0.5 * (x - m) * (x - m) / v;
        };
        auto integrand = [&](double x) {
            const double lp = logn(x, mp, vp);
            return std::exp(lp) * (lp - logn(x, mq, vq));
        };
        const double sd = std::sqrt(vp);
        const double numeric = boost::math::quadrature::gauss_kronrod<double, 61>::integrate(
            integrand, mp - 40 * sd, mp + 40 * sd, 15, 1e-14);
        CHECK(kl_gaussian(mp, vp, mq, vq) == doctest::Approx(numeric).epsilon(1e-8).scale(1e-14));
    }
    CHECK(kl_gaussian(1, 2, 1, 2) == 0.0);
    // Near-equal variances keep relative precision: KL ~ (r-1)^2/4.
    CHECK(kl_gaussian(0, 1 + 1e-7, 0, 1) == doctest::Approx(0.25e-14).epsilon(1e-6));
}

TEST_CASE("Euler's exact law by probing equals MATH §4's product formula") {
    const auto data = DiagonalGaussian::isotropic(1, 0.0, 0.5);
    for (std::size_t n : {1u, 3u, 10u, 40u}) {
        const auto sched = karras(n, 0.002, 80.0);
        const auto law = solver_output_law(*make_solver("euler"), sched, data);
        CHECK(law.variance[0] == doctest::Approx(euler_output_variance_1d(sched, 0.5)).epsilon(1e-12));
        CHECK(law.mean[0] == 0.0);
    }
}

TEST_CASE("exact laws agree with Monte Carlo sampling (seed 21, 2 x 10^5 particles, 4 SE)") {
    const DiagonalGaussian data({0.3, -1.0}, {0.5, 2.0});
    const auto sched = karras(6, 0.05, 20.0);
    const std::size_t n = 200000;
    for (const std::string name : {"heun", "euler", "linearised-sde", "euler-maruyama", "ddpm-ancestral"}) {
        CAPTURE(name);
        const auto solver = make_solver(name);
        const auto law = output_law(*solver, sched, data);
        std::vector<double> x(n * 2);
        sample_marginal(data, sched.sigma_max(), x, n, 21, 2);
        sample(data, *solver, sched, x, n, {21, 2, 512});
        for (std::size_t j = 0; j < 2; ++j) {
            Moments m(law.mean[j]);
            for (std::size_t i = 0; i < n; ++i) m.add(x[i * 2 + j]);
            CHECK(std::abs(m.mean() - law.mean[j]) < 4 * m.se_mean());
            CHECK(std::abs(m.variance() - law.variance[j]) < 4 * m.se_variance());
        }
    }
}

TEST_CASE("exact KL is additive over coordinates and rejects what it cannot do") {
    const auto one = DiagonalGaussian::isotropic(1, 0.0, 0.5);
    const auto three = DiagonalGaussian::isotropic(3, 0.0, 0.5);
    const auto sched = karras(8, 0.002, 80.0);
    const auto euler = make_solver("euler");
    CHECK(exact_solver_kl(*euler, sched, three) == doctest::Approx(3 * exact_solver_kl(*euler, sched, one)));
    CHECK_THROWS_AS(solver_output_law(*make_solver("linearised-sde"), sched, one), InputError);
}
