// A user's TorchScript model in each parametrisation and time convention (LibTorch builds only): the
// fixtures (tests/fixtures/make-parametrisation-fixtures, Debian's python3-torch) export the exact
// denoiser of 2-D Gaussian data N((0.5, -0.3), diag(0.4^2, 1)) (the `gaussian` data set) as eps, v, score, x0, flow, EDM's F
// and k-diffusion's D, with their conversions written in Python independently of ayslab; loaded here
// under the matching convention they must give the exact D to float32 accuracy, and under a wrong one
// they must not.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ayslab/data/gaussian.hpp"
#include "ayslab/error.hpp"
#include "ayslab/denoisers/network.hpp"
#include "ayslab/rng.hpp"

using namespace ayslab;

namespace {
const DiagonalGaussian exact({0.5, -0.3}, {0.4, 1.0});

// max over 40 points x ~ N(0, 2^2 I) and 6 sigmas of |D - D*| / (1 + |D*|).
double worst(const Denoiser& den, const std::vector<double>& sigmas) {
    std::vector<double> x(80), a(80), b(80);
    fill_normal({3, 55, 0, 0}, x);
    for (double& v : x) v *= 2.0;
    double w = 0.0;
    for (double sigma : sigmas) {
        den.denoise(x, 40, sigma, a);
        exact.denoise(x, 40, sigma, b);
        for (std::size_t k = 0; k < 80; ++k) w = std::max(w, std::abs(a[k] - b[k]) / (1.0 + std::abs(b[k])));
    }
    return w;
}

NetworkDenoiser load(const std::string& file, Parametrisation p, const std::string& process, TimeInput time) {
    return NetworkDenoiser(Network::load(std::string(AYSLAB_FIXTURE_DIR) + "/parametrisations/" + file, 2),
                           ModelConvention{p, process, time, 0.5});
}
}  // namespace

TEST_CASE("user models: every parametrisation and time convention reproduces the exact denoiser") {
    struct Case {
        std::string file;
        Parametrisation p;
        std::string process;
        TimeInput time;
        std::vector<double> sigmas;
    };
    const std::vector<double> wide = {0.02, 0.1, 0.5, 1.0, 5.0, 40.0};
    const Case cases[] = {
        {"denoiser-sigma.pt", Parametrisation::denoiser, "edm", TimeInput::sigma, wide},
        {"edm-sigma.pt", Parametrisation::edm, "edm", TimeInput::sigma, wide},
        // DDPM's table spans sigma in [0.0100, 157]: fractional timesteps (k-diffusion's log-sigma
        // interpolation) on both sides.
        {"eps-ddpm.pt", Parametrisation::eps, "ddpm-linear", TimeInput::t, wide},
        {"v-ddpm.pt", Parametrisation::v, "ddpm-linear", TimeInput::t, wide},
        // score_sde's VP on t in [1e-3, 1]: sigma in [0.0100, 157].
        {"score-vp.pt", Parametrisation::score, "vp", TimeInput::t, wide},
        {"x0-vp.pt", Parametrisation::x0, "vp", TimeInput::t, wide},
        // Rectified flow, t in (0, 1): sigma = t / (1 - t) up to 80 here.
        {"flow.pt", Parametrisation::flow, "flow", TimeInput::t, wide},
    };
    for (const auto& c : cases) {
        CAPTURE(c.file);
        const auto den = load(c.file, c.p, c.process, c.time);
        const double w = worst(den, c.sigmas);
        CAPTURE(w);
        CHECK(w < 2e-6);  // float32: measured 0.9e-7 to 4.4e-7
    }
}

TEST_CASE("user models: a wrong parametrisation or time convention is measurably wrong") {
    const std::vector<double> sigmas = {0.1, 1.0, 5.0};
    CHECK(worst(load("eps-ddpm.pt", Parametrisation::v, "ddpm-linear", TimeInput::t), sigmas) > 0.05);
    CHECK(worst(load("eps-ddpm.pt", Parametrisation::eps, "ddpm-linear", TimeInput::sigma), sigmas) > 0.05);
    CHECK(worst(load("score-vp.pt", Parametrisation::score, "subvp", TimeInput::t), sigmas) > 0.05);
    CHECK(worst(load("edm-sigma.pt", Parametrisation::denoiser, "edm", TimeInput::sigma), sigmas) > 0.05);
    CHECK_THROWS_WITH_AS(load("flow.pt", Parametrisation::flow, "vp", TimeInput::t),
                         doctest::Contains("needs process 'flow'"), InputError);
    CHECK_THROWS_WITH_AS(parse_parametrisation("epsilon"), doctest::Contains("unknown parametrisation"), InputError);
}

TEST_CASE("user models: the autograd divergence matches the exact tr dD/dx in every convention") {
    // The exact Gaussian denoiser's trace is sum_j c_j^2 / (c_j^2 + sigma^2) (closed form in
    // DiagonalGaussian). Through a network it is a d + b k tr dF/dx with F's trace by autograd; a wrong
    // chain-rule factor (k, b, or the sign of b) is off by O(0.1-1) at these sigmas. Float32: measured
    // 3.9e-8 (denoiser) to 4.3e-7 (x0) absolute over sigma in [0.02, 40].
    struct Case {
        std::string file;
        Parametrisation p;
        std::string process;
        TimeInput time;
    };
    const Case cases[] = {
        {"denoiser-sigma.pt", Parametrisation::denoiser, "edm", TimeInput::sigma},
        {"edm-sigma.pt", Parametrisation::edm, "edm", TimeInput::sigma},
        {"eps-ddpm.pt", Parametrisation::eps, "ddpm-linear", TimeInput::t},
        {"v-ddpm.pt", Parametrisation::v, "ddpm-linear", TimeInput::t},
        {"score-vp.pt", Parametrisation::score, "vp", TimeInput::t},
        {"x0-vp.pt", Parametrisation::x0, "vp", TimeInput::t},
        {"flow.pt", Parametrisation::flow, "flow", TimeInput::t},
    };
    std::vector<double> x(20), got(10), want(10);
    fill_normal({3, 56, 0, 0}, x);
    for (const auto& c : cases) {
        CAPTURE(c.file);
        const auto den = load(c.file, c.p, c.process, c.time);
        CHECK(den.exact_divergence());
        double w = 0.0;
        for (double sigma : {0.02, 0.3, 1.0, 5.0, 40.0}) {
            den.jacobian_trace(x, 10, sigma, got);
            exact.jacobian_trace(x, 10, sigma, want);
            for (std::size_t i = 0; i < 10; ++i) w = std::max(w, std::abs(got[i] - want[i]));
        }
        MESSAGE(c.file, ": largest |tr dD/dx - exact| ", w);
        CHECK(w < 3e-6);
    }
}
