// MATH.md §3: each solver's one-step map on Gaussian data against the hand-derived formula, DDIM =
// Euler in sigma, DDPM ancestral with beta_tilde = linearised SDE, and observed convergence orders.
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <vector>

#include "ayslab/data/gaussian.hpp"
#include "ayslab/divergence/kl.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/schedule/schedule.hpp"
#include "ayslab/error.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/solver/updates.hpp"

using namespace ayslab;

namespace {
const double c = 0.5, c2 = 0.25;
const auto data = DiagonalGaussian::isotropic(1, 0.0, c);

double one_step(const std::string& name, double x, double sigma, double next) {
    auto s = make_solver(name);
    s->prepare(1, 1);
    std::vector<double> v = {x};
    const double schedule[] = {sigma, next};
    s->solve(v, 1, StepContext{data, 0, 0, 0, schedule}, {});
    return v[0];
}
}  // namespace

TEST_CASE("Euler one step multiplies by (sigma sigma' + c^2)/(sigma^2 + c^2) (MATH §4)") {
    const double s = 3.0, t = 1.2, x = 0.7;
    CHECK(one_step("euler", x, s, t) == doctest::Approx(x * (s * t + c2) / (s * s + c2)).epsilon(1e-14));
    CHECK(one_step("ddim", x, s, t) == doctest::Approx(one_step("euler", x, s, t)).epsilon(1e-14));
}

TEST_CASE("Heun one step: average of the two slopes, by hand") {
    const double s = 2.0, t = 0.5, x = 1.3;
    const double k = c2 / (c2 + s * s), k2 = c2 / (c2 + t * t);
    const double slope1 = x * (1 - k) / s;
    const double xe = x + (t - s) * slope1;
    const double slope2 = xe * (1 - k2) / t;
    CHECK(one_step("heun", x, s, t) == doctest::Approx(x + (t - s) * 0.5 * (slope1 + slope2)).epsilon(1e-14));
}

TEST_CASE("stochastic steps: mean and noise of the hand-derived formulas") {
    const double s = 2.0, t = 0.5, x = 1.0, d = 0.3;
    // Linearised SDE (MATH §3).
    const double r2 = t * t / (s * s);
    CHECK(update::linearised_mean(x, d, s, t) == doctest::Approx(r2 * x + (1 - r2) * d));
    CHECK(update::linearised_noise_std(s, t) == doctest::Approx(t * std::sqrt(1 - r2)));
    // Euler-Maruyama on dx = -2 sigma score dsigma + sqrt(2 sigma) dw, score = (d - x)/sigma^2.
    CHECK(update::euler_maruyama_mean(x, d, s, t) ==
          doctest::Approx(x + 2 * s * (s - t) * (d - x) / (s * s)));
    CHECK(update::euler_maruyama_noise_std(s, t) == doctest::Approx(std::sqrt(2 * s * (s - t))));
}

TEST_CASE("DDPM ancestral (MATH §6) in sigma: its mean is the posterior mean and beta vs beta_tilde noise") {
    // alpha_bar = 1/(1 + sigma^2) for both ends; the step in x-space, mapped to x/s.
    const double s = 1.5, t = 0.9, xt = 0.8, d = 0.1;  // x/s values
    const double ab = 1 / (1 + s * s), ab_prev = 1 / (1 + t * t), alpha = ab / ab_prev, beta = 1 - alpha;
    const double x_vp = std::sqrt(ab) * xt;
    const double eps_hat = (xt - d) / s;  // eps-prediction from D (MATH §2)
    const double mean_vp = (x_vp - beta / std::sqrt(1 - ab) * eps_hat) / std::sqrt(alpha);
    CHECK(update::linearised_mean(xt, d, s, t) ==
          doctest::Approx(mean_vp / std::sqrt(ab_prev)).epsilon(1e-13));
    CHECK(update::ddpm_beta_noise_std(s, t) ==
          doctest::Approx(std::sqrt(beta) / std::sqrt(ab_prev)).epsilon(1e-13));
    const double beta_tilde = (1 - ab_prev) / (1 - ab) * beta;
    CHECK(update::linearised_noise_std(s, t) ==
          doctest::Approx(std::sqrt(beta_tilde) / std::sqrt(ab_prev)).epsilon(1e-13));
}

TEST_CASE("every registered name makes a solver of that name") {
    for (const auto& name : solver_names()) {
        CAPTURE(name);
        CHECK(make_solver(name)->name() == name);
    }
}

TEST_CASE("observed order of the global error as steps double (exact laws, 1-D Gaussian)") {
    // Error of the output variance at sigma_min on log-uniform schedules; slope of log error vs log n.
    auto error = [](const std::string& name, std::size_t n) {
        const auto s = make_solver(name);
        const auto sched = log_uniform(n, 0.01, 10.0);
        return std::abs(output_law(*s, sched, data).variance[0] / (c2 + 1e-4) - 1);
    };
    const std::pair<std::string, double> expected[] = {
        {"euler", 1.0}, {"ddim", 1.0}, {"heun", 2.0}, {"euler-maruyama", 1.0}};
    for (const auto& entry : expected) {  // no structured binding: clang 14 cannot capture one in CAPTURE's lambda
        const std::string& name = entry.first;
        const double order = entry.second;
        CAPTURE(name);
        const double e1 = error(name, 64), e2 = error(name, 128), e3 = error(name, 256);
        const double observed = std::log2(e1 / e2), observed2 = std::log2(e2 / e3);
        CAPTURE(observed);
        CAPTURE(observed2);
        CHECK(std::abs(observed2 - order) < 0.3);
    }
}

TEST_CASE("registry: names are unique and every list is read from the table's traits") {
    std::set<std::string> names;
    for (const auto& e : solver_registry()) {
        CAPTURE(e.traits.name);
        CHECK(names.insert(std::string(e.traits.name)).second);
        const auto s = make_solver(e.traits.name);
        CHECK(&s->traits() == &e.traits);
        CHECK(s->clone()->name() == s->name());
        // A gaussian_step law needs its two maps; the other laws must not carry any.
        CHECK((e.traits.law == ExactLaw::gaussian_step) == (e.traits.gaussian_step.mean != nullptr));
        CHECK((e.traits.law == ExactLaw::gaussian_step) == (e.traits.gaussian_step.noise_std != nullptr));
        // An affine law is deterministic.
        if (e.traits.law == ExactLaw::affine) CHECK_FALSE(e.traits.stochastic);
    }
    CHECK(linear_solver_names() == solver_names([](const SolverTraits& t) { return t.law == ExactLaw::affine; }));
    CHECK_THROWS_WITH_AS(make_solver("rk4"), doctest::Contains("unknown solver 'rk4'"), InputError);
    // The exact judge follows the registered law: none for the adaptive reference.
    CHECK_THROWS_WITH_AS(output_law(*make_solver("dopri5"), karras(4, 0.01, 10.0), data),
                         doctest::Contains("no exact output law"), InputError);
}

TEST_CASE("registry: each solver with an exact law shows its stated order on Gaussian data") {
    // Error of the exact output variance at sigma_min on log-uniform schedules from sigma = 1000 (so
    // multistep start-up sees D ~ 0), as the step count doubles: log2 of the error ratio is the order.
    auto error = [](const Solver& s, std::size_t n) {
        return std::abs(output_law(s, log_uniform(n, 0.01, 1000.0), data).variance[0] / (c2 + 1e-4) - 1);
    };
    std::size_t measured = 0;
    for (const auto& e : solver_registry()) {
        if (e.traits.law == ExactLaw::none) continue;
        CAPTURE(e.traits.name);
        const auto s = make_solver(e.traits.name);
        const std::size_t n = e.traits.order >= 4 ? 1024 : 256;
        const double observed = std::log2(error(*s, n) / error(*s, 2 * n));
        CAPTURE(observed);
        CHECK(observed > e.traits.order - 0.3);
        // DPM-Solver++(3M) is super-convergent on this problem (3.9 -> 3.5 as n grows).
        CHECK(observed < e.traits.order + (e.traits.name == "dpmpp-3m" ? 1.3 : 0.3));
        ++measured;
    }
    CHECK(measured >= 10);  // not vacuous: 7 affine + 3 gaussian-step solvers today
}

TEST_CASE("predictor-corrector's NFE per step follows corrector_steps, and a run reports it") {
    for (std::size_t corrector : {0u, 1u, 3u}) {
        CAPTURE(corrector);
        SolverOptions o;
        o.corrector_steps = corrector;
        const auto s = make_solver("pc-langevin", o);
        CHECK(s->nfe_per_step() == 1 + corrector);
        std::vector<double> x = {0.5, -1.0};
        CHECK(sample(data, *s, karras(4, 0.01, 10.0), x, 2, {}).nfe == 4 * (1 + corrector));
    }
}
