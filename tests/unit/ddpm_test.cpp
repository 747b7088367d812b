// MATH.md §6: DDPM tables, the posterior q(x_{t-1} | x_t, x_0), and the discrete process in sigma.
#include "ayslab/process/ddpm.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "ayslab/error.hpp"

using namespace ayslab;

TEST_CASE("linear table: betas and alpha_bar as a direct product") {
    const DdpmTable t(BetaSchedule::linear);
    CHECK(t.steps() == 1000);
    CHECK(t.beta(1) == doctest::Approx(1e-4));
    CHECK(t.beta(1000) == doctest::Approx(0.02));
    CHECK(t.alpha_bar(0) == 1.0);
    double prod = 1.0;
    for (int k = 1; k <= 500; ++k) prod *= 1.0 - t.beta(k);
    CHECK(t.alpha_bar(500) == doctest::Approx(prod).epsilon(1e-12));
    CHECK(t.sigma(500) == doctest::Approx(std::sqrt((1 - prod) / prod)).epsilon(1e-10));
}

TEST_CASE("Stable Diffusion scaled-linear sigmas (published values)") {
    const DdpmProcess p(BetaSchedule::scaled_linear, "ddpm-scaled-linear");
    // sigma_max and sigma_min of Stable Diffusion 1.x (k-diffusion / diffusers), 4 decimals.
    CHECK(std::abs(p.sigma(999.0) - 14.6146) < 5e-5);
    CHECK(std::abs(p.sigma(0.0) - 0.0292) < 5e-5);
    // NVIDIA's AYS SD 1.5 list pairs timestep 24 with sigma 0.152 (3 decimals) and 0 with 0.029.
    CHECK(std::abs(p.sigma(24.0) - 0.152) < 5e-4);
}

TEST_CASE("cosine table follows f(t)/f(0) while the 0.999 cap is inactive") {
    const DdpmTable t(BetaSchedule::cosine);
    auto f = [](double u) {
        const double c = std::cos((u + 0.008) / 1.008 * std::numbers::pi / 2);
        return c * c;
    };
    for (int k : {1, 100, 500, 900})
        CHECK(t.alpha_bar(k) == doctest::Approx(f(k / 1000.0) / f(0.0)).epsilon(1e-10));
    CHECK(t.beta(1000) == doctest::Approx(0.999));
}

TEST_CASE("posterior equals Bayes' rule by completing the square (MATH §6)") {
    const DdpmTable t(BetaSchedule::linear);
    for (int k : {2, 10, 100, 500, 999, 1000}) {
        CAPTURE(k);
        const double ab_prev = t.alpha_bar(k - 1), b = t.beta(k), a = 1 - b;
        // prior x_{t-1} ~ N(sqrt(ab_prev) x0, 1 - ab_prev); likelihood x_t ~ N(sqrt(a) x_{t-1}, b).
        const double precision = 1 / (1 - ab_prev) + a / b;
        const auto post = t.posterior(k);
        CHECK(post.variance == doctest::Approx(1 / precision).epsilon(1e-10));
        CHECK(post.coef_x0 == doctest::Approx(std::sqrt(ab_prev) / (1 - ab_prev) / precision).epsilon(1e-10));
        CHECK(post.coef_xt == doctest::Approx(std::sqrt(a) / b / precision).epsilon(1e-10));
    }
    const auto first = t.posterior(1);  // alpha_bar_0 = 1: a point mass at x0
    CHECK(first.coef_x0 == doctest::Approx(1.0));
    CHECK(first.coef_xt == 0.0);
    CHECK(first.variance == 0.0);
}

TEST_CASE("discrete process: integer timesteps hit the table, fractional ones interpolate log sigma") {
    const DdpmProcess p(BetaSchedule::linear, "ddpm-linear");
    const auto& table = p.table();
    CHECK(p.sigma(0.0) == doctest::Approx(table.sigma(1)));
    CHECK(p.sigma(999.0) == doctest::Approx(table.sigma(1000)));
    CHECK(p.sigma(10.5) == doctest::Approx(std::sqrt(table.sigma(11) * table.sigma(12))));
    CHECK(p.s(10.0) == doctest::Approx(std::sqrt(table.alpha_bar(11))));
    CHECK(p.t_of_sigma(table.sigma(401)) == doctest::Approx(400.0));
    CHECK_THROWS_AS(table.beta(0), InputError);
    CHECK_THROWS_AS(DdpmTable(BetaSchedule::linear, 1), InputError);
}
