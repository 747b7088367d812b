// MATH.md §1: each process's s, sigma, derivatives, inverse and SDE coefficients, against finite
// differences (independent of the closed-form derivatives) and score-SDE's published f, g^2.
#include "ayslab/process/process.hpp"

#include <doctest/doctest.h>

#include <cmath>

#include "ayslab/error.hpp"

using namespace ayslab;

namespace {
// Interior times spread over a process's range.
std::vector<double> interior_times(const Process& p) {
    std::vector<double> ts;
    for (double u : {0.05, 0.2, 0.37, 0.5, 0.71, 0.9, 0.97})
        ts.push_back(p.t_min() + u * (p.t_max() - p.t_min()));
    return ts;
}
}  // namespace

TEST_CASE("derivatives match central differences, t(sigma(t)) = t, g2 = 2 s^2 sigma sigma'") {
    for (const auto& name : process_names()) {
        CAPTURE(name);
        const auto p = make_process(name);
        const bool discrete = name.starts_with("ddpm");
        for (double t : interior_times(*p)) {
            CAPTURE(t);
            // DDPM is piecewise log-linear: difference inside one segment.
            const double h = discrete ? 1e-4 : 1e-6 * std::max(1.0, t);
            const double t0 = discrete ? std::floor(t) + 0.5 : t;
            const double ds = (p->s(t0 + h) - p->s(t0 - h)) / (2 * h);
            const double dsig = (p->sigma(t0 + h) - p->sigma(t0 - h)) / (2 * h);
            CHECK(p->ds_dt(t0) == doctest::Approx(ds).epsilon(1e-6).scale(1e-12));
            CHECK(p->dsigma_dt(t0) == doctest::Approx(dsig).epsilon(1e-6));
            CHECK(p->t_of_sigma(p->sigma(t)) == doctest::Approx(t).epsilon(1e-10));
            const double generic = 2 * p->s(t) * p->s(t) * p->sigma(t) * p->dsigma_dt(t);
            CHECK(p->g2(t) == doctest::Approx(generic).epsilon(1e-10));
            CHECK(p->f(t) == doctest::Approx(p->ds_dt(t) / p->s(t)));
        }
    }
}

TEST_CASE("VP and sub-VP coefficients are score-SDE's (MATH §1)") {
    const double b0 = 0.1, b1 = 20.0;
    const auto vp = make_process("vp"), sub = make_process("subvp");
    for (double t : {0.0, 0.1, 0.5, 1.0}) {
        CAPTURE(t);
        const double beta = b0 + t * (b1 - b0);
        const double alpha = std::exp(-0.25 * t * t * (b1 - b0) - 0.5 * t * b0);
        CHECK(vp->s(t) == doctest::Approx(alpha).epsilon(1e-14));
        CHECK(vp->f(t) == doctest::Approx(-0.5 * beta).epsilon(1e-14));
        CHECK(vp->g2(t) == doctest::Approx(beta).epsilon(1e-14));
        CHECK(sub->f(t) == doctest::Approx(-0.5 * beta).epsilon(1e-14));
        // sub-VP: g^2 = beta (1 - exp(-2 int_0^t beta)) and marginal std 1 - alpha^2.
        const double integral = b0 * t + 0.5 * (b1 - b0) * t * t;
        CHECK(sub->g2(t) ==
              doctest::Approx(beta * (1 - std::exp(-2 * integral))).epsilon(1e-12).scale(1e-300));
        CHECK(sub->s(t) * sub->sigma(t) == doctest::Approx(1 - alpha * alpha).epsilon(1e-12).scale(1e-300));
        // VP: marginal variance 1 - alpha^2.
        CHECK(vp->s(t) * vp->s(t) * vp->sigma(t) * vp->sigma(t) ==
              doctest::Approx(1 - alpha * alpha).epsilon(1e-12).scale(1e-300));
    }
}

TEST_CASE("EDM, VE and flow matching in (s, sigma) form") {
    const auto edm = make_process("edm"), ve = make_process("ve"), flow = make_process("flow");
    CHECK(edm->sigma(3.5) == 3.5);
    CHECK(edm->s(3.5) == 1.0);
    CHECK(ve->sigma(0.0) == doctest::Approx(0.01));
    CHECK(ve->sigma(1.0) == doctest::Approx(50.0));
    CHECK(ve->f(0.3) == 0.0);
    // VE: g^2 = d[sigma^2]/dt = 2 sigma^2 log(sigma_max / sigma_min).
    CHECK(ve->g2(0.3) == doctest::Approx(2 * std::pow(ve->sigma(0.3), 2) * std::log(5000.0)));
    // Flow matching: x_t = (1 - t) x0 + t eps, so s = 1 - t and s sigma = t.
    for (double t : {0.1, 0.5, 0.9}) {
        CHECK(flow->s(t) == doctest::Approx(1 - t));
        CHECK(flow->s(t) * flow->sigma(t) == doctest::Approx(t));
    }
    CHECK(flow->sigma(flow->t_max()) == doctest::Approx(80.0));
    CHECK(flow->sigma(flow->t_min()) == doctest::Approx(0.002));
}

TEST_CASE("marginal moments: mean s mu, variance s^2 (v + sigma^2)") {
    const auto vp = make_process("vp");
    const double t = 0.4, s = vp->s(t), sg = vp->sigma(t);
    CHECK(vp->marginal_mean(t, 2.0) == doctest::Approx(2.0 * s));
    CHECK(vp->marginal_variance(t, 0.25) == doctest::Approx(s * s * (0.25 + sg * sg)));
}

TEST_CASE("bad process names and sigmas out of range are input errors") {
    CHECK_THROWS_AS(make_process("vpp"), InputError);
    CHECK_THROWS_AS(make_process("ve")->t_of_sigma(100.0), InputError);
    CHECK_THROWS_AS(make_process("edm")->t_of_sigma(-1.0), InputError);
    CHECK_THROWS_AS(make_process("ddpm-linear")->t_of_sigma(1e3), InputError);
    CHECK_THROWS_AS(make_process("ddpm-linear")->sigma(1000.0), InputError);
}
