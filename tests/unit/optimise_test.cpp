// The Newton minimiser on functions with known minima, and the exact-KL optimum = arctan (MATH §4).
#include <doctest/doctest.h>

#include <cmath>

#include "ayslab/optimise/exact.hpp"
#include "ayslab/optimise/newton.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/solver/solver.hpp"

using namespace ayslab;

TEST_CASE("Rosenbrock's minimum (1, 1) from (-1.2, 1)") {
    const Objective rosen = [](std::span<const double> x) {
        return 100 * std::pow(x[1] - x[0] * x[0], 2) + std::pow(1 - x[0], 2);
    };
    const auto r = minimise_newton(rosen, {-1.2, 1.0});
    CHECK(r.x[0] == doctest::Approx(1.0).epsilon(1e-7));
    CHECK(r.x[1] == doctest::Approx(1.0).epsilon(1e-7));
    CHECK(r.converged);
}

TEST_CASE("infeasible regions (+inf) are avoided") {
    const Objective f = [](std::span<const double> x) {
        return x[0] <= 0 ? std::numeric_limits<double>::infinity() : x[0] - std::log(x[0]);
    };
    const auto r = minimise_newton(f, {5.0});
    CHECK(r.x[0] == doctest::Approx(1.0).epsilon(1e-8));
}

TEST_CASE("minimising Euler's exact KL from EDM rho=7 lands on the arctan schedule") {
    const auto data = DiagonalGaussian::isotropic(1, 0.0, 0.5);
    const auto best = optimise_exact_kl(*make_solver("euler"), karras(6, 0.002, 80.0), data);
    const auto arctan = arctan_optimal(6, 0.002, 80.0, 0.5);
    for (std::size_t i = 0; i < arctan.size(); ++i)
        CHECK(best.schedule[i] == doctest::Approx(arctan[i]).epsilon(1e-8));
}
