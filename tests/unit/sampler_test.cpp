// The sampler loop: bit-identical for any thread count and chunk size, NaN reported with its place.
#include "ayslab/solver/sampler.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "ayslab/data/gaussian.hpp"
#include "ayslab/data/mixture.hpp"
#include "ayslab/error.hpp"
#include "ayslab/solver/registry.hpp"

using namespace ayslab;

namespace {
std::vector<double> run(const Data& data, const std::string& solver, std::size_t threads,
                        std::size_t chunk) {
    const std::size_t n = 3000;
    std::vector<double> x(n * data.dim());
    sample_marginal(data, 80.0, x, n, 11, threads);
    const auto s = make_solver(solver);
    const auto stats = sample(data.denoiser(), *s, karras(12, 0.002, 80.0), x, n, {11, threads, chunk});
    CHECK(stats.nfe == 12 * s->nfe_per_step());
    return x;
}
}  // namespace

TEST_CASE("same seed, same bits, whatever the threads or chunking") {
    const GaussianMixture ring({1, 1, 1}, {1, 0, -0.5, 0.87, -0.5, -0.87}, {0.01, 0.01, 0.01}, 2);
    for (const std::string solver : {"euler-maruyama", "linearised-sde", "heun"}) {
        CAPTURE(solver);
        const auto a = run(ring, solver, 1, 512), b = run(ring, solver, 2, 512), c = run(ring, solver, 2, 97);
        CHECK(a == b);
        CHECK(a == c);
    }
}

TEST_CASE("a non-finite value is a numerical error naming step and particle") {
    const auto data = DiagonalGaussian::isotropic(2, 0.0, 1.0);
    std::vector<double> x = {0.0, 1.0, std::numeric_limits<double>::quiet_NaN(), 0.0};
    const auto s = make_solver("euler");
    CHECK_THROWS_WITH_AS(sample(data, *s, karras(3, 0.1, 10.0), x, 2, {}), doctest::Contains("particle 1"),
                         NumericalError);
    // The check reads the exponent bits: every kind of non-finite value is caught (infinities of both
    // signs, NaN with either sign bit), and the finite extremes (near the largest double, the smallest
    // subnormal, -0) pass.
    constexpr double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    for (double bad : {inf, -inf, nan, -nan}) {
        std::vector<double> y = {0.0, 1.0, 2.0, 3.0, 4.0, bad};
        CHECK_THROWS_WITH_AS(sample(data, *s, karras(3, 0.1, 10.0), y, 3, {}), doctest::Contains("particle 2"),
                             NumericalError);
    }
    std::vector<double> extremes = {1e300, -1e300, 5e-324, -0.0};
    CHECK_NOTHROW(sample(data, *s, karras(3, 0.1, 10.0), extremes, 2, {}));
}

TEST_CASE("the observer sees every step in order") {
    const auto data = DiagonalGaussian::isotropic(1, 0.0, 1.0);
    std::vector<double> x(10, 1.0);
    std::vector<double> seen;
    const auto sched = karras(5, 0.1, 10.0);
    const StepObserver obs = [&](std::size_t, std::size_t, std::size_t step, double sigma,
                                 std::span<const double>) {
        CHECK(sigma == sched[step]);
        seen.push_back(sigma);
    };
    sample(data, *make_solver("euler"), sched, x, 10, {0, 1, 100}, obs);
    CHECK(seen.size() == 5);
}
