// ayslab's samplers against k-diffusion's own, point by point: tests/fixtures/make-kdiffusion-fixtures
// ran k-diffusion's sampling.py (unmodified) on the ring of 8 with an exact denoiser written there
// independently, from 16 fixed start points over get_sigmas_karras(12, 0.002, 80) (12 steps, final 0),
// with every noise draw taken from one array (noise.npy: draw j of step i). ayslab reads the same
// array through its NoiseTable. Measured agreement: below 6e-14 for every fixed-step sampler (float64,
// different operation order); the tolerance is 1e-12 — a wrong coefficient, a missing churn, a wrong
// draw or an independent draw in place of the Brownian one moves points by 1e-3 or more.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "ayslab/data/datasets.hpp"
#include "ayslab/data/io.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/schedule/schedule.hpp"
#include "ayslab/solver/registry.hpp"

using namespace ayslab;

namespace {
const std::string dir = std::string(AYSLAB_FIXTURE_DIR) + "/kdiffusion/";

Schedule fixture_sigmas() {
    std::ifstream in(dir + "sigmas.txt");
    std::vector<double> s;
    for (double v; in >> v;) s.push_back(v);
    return Schedule(s);
}

// Largest |ayslab - k-diffusion| over the 16 end points.
double max_difference(const std::string& solver, const SolverOptions& o, const std::string& expected,
                      const Schedule& schedule = fixture_sigmas()) {
    static const Dataset ring = make_dataset("ring8", {});
    static const NpyArray noise = load_npy_array(dir + "noise.npy");
    auto x = load_npy(dir + "start.npy");
    const NoiseTable table{noise.shape[0], noise.shape[1], noise.shape[2], noise.shape[3], noise.values};
    sample(ring.data->denoiser(), *make_solver(solver, o), schedule, x.values, x.n, {0, 1, 16, &table});
    const auto want = load_npy(dir + expected + ".npy");
    REQUIRE(want.values.size() == x.values.size());
    double worst = 0.0;
    for (std::size_t k = 0; k < want.values.size(); ++k) worst = std::max(worst, std::abs(x.values[k] - want.values[k]));
    return worst;
}
}  // namespace

TEST_CASE("ayslab's samplers reproduce k-diffusion's end points from the same start points and draws") {
    SolverOptions churn;  // sample_euler / sample_heun / sample_dpm_2's churn arguments in the fixture
    churn.s_churn = 3.0;
    churn.s_tmin = 0.05;
    churn.s_tmax = 50.0;
    churn.s_noise = 1.003;
    SolverOptions eta;
    eta.eta = 0.7;
    SolverOptions brownian = eta;
    brownian.brownian = true;
    SolverOptions kd3m = eta;
    kd3m.kdiffusion_3m = true;
    const struct {
        const char* ayslab;
        SolverOptions options;
        const char* kdiffusion;
        double tolerance;
    } cases[] = {
        {"euler", {}, "euler", 1e-12},
        {"heun", {}, "heun", 1e-12},
        {"dpm2", {}, "dpm_2", 1e-12},
        {"lms", {}, "lms", 1e-12},
        {"dpmpp-2m", {}, "dpmpp_2m", 1e-12},
        {"euler-churn", churn, "euler-churn", 1e-12},
        {"edm-churn", churn, "heun-churn", 1e-12},
        {"dpm2-churn", churn, "dpm_2-churn", 1e-12},
        {"euler-ancestral", eta, "euler_ancestral", 1e-12},
        {"dpm2-ancestral", eta, "dpm_2_ancestral", 1e-12},
        {"dpmpp-2s-ancestral", eta, "dpmpp_2s_ancestral", 1e-12},
        {"dpmpp-sde", eta, "dpmpp_sde", 1e-12},
        {"dpmpp-sde", brownian, "dpmpp_sde-brownian", 1e-12},
        {"dpmpp-2m-sde", eta, "dpmpp_2m_sde", 1e-12},
        {"dpmpp-2m-sde-heun", eta, "dpmpp_2m_sde-heun", 1e-12},
        {"dpmpp-3m-sde", kd3m, "dpmpp_3m_sde", 1e-12},
    };
    for (const auto& c : cases) {
        CAPTURE(c.kdiffusion);
        const double diff = max_difference(c.ayslab, c.options, c.kdiffusion);
        MESSAGE((std::string(c.ayslab) + " vs k-diffusion " + std::string(c.kdiffusion) + ": " + fmt::format("{:.3g}", diff)));
        CHECK(diff < c.tolerance);
    }
}

// ComfyUI's sample_er_sde (tests/fixtures/make-comfyui-fixtures ran it from a ComfyUI checkout on the
// same ring, start points, schedule and draws). ComfyUI's stage-2/3 integrals run in float32 (its
// float32 point index wins torch's type promotion over the 0-dim float64 lambdas), so the measured
// agreement is 2.1e-8 (stage 2), 2.2e-8 (stage 3), 4.0e-8 (s_noise 0.5); with the index made float64
// in a copy of the peer's code it is 6e-15 for every stage. Tolerance 1e-7: a stage dropped or
// mis-weighted, a divided difference over the wrong sigmas (measured: 0.057 with the history read in
// the wrong order), or the noise scale without r moves points by far more.
TEST_CASE("er-sde-1/2/3 reproduce ComfyUI's sample_er_sde (max_stage 1-3) from the same start points and draws") {
    SolverOptions half;
    half.s_noise = 0.5;
    const struct {
        const char* ayslab;
        SolverOptions options;
        const char* comfyui;
        double tolerance;
    } cases[] = {{"er-sde-1", {}, "er_sde-1", 1e-12},  // stage 1 has no float32 integral
                 {"er-sde-2", {}, "er_sde-2", 1e-7},
                 {"er-sde-3", {}, "er_sde-3", 1e-7},
                 {"er-sde-3", half, "er_sde-3-snoise0.5", 1e-7}};
    for (const auto& c : cases) {
        CAPTURE(c.comfyui);
        const double diff = max_difference(c.ayslab, c.options, std::string("../comfyui/") + c.comfyui);
        MESSAGE(fmt::format("{} vs ComfyUI {}: {:.3g}", c.ayslab, c.comfyui, diff));
        CHECK(diff < c.tolerance);
    }
    // The stages differ from each other by far more than the tolerance (the comparison can fail).
    CHECK(max_difference("er-sde-2", {}, "../comfyui/er_sde-3") > 1e-4);
    CHECK(max_difference("er-sde-3", {}, "../comfyui/er_sde-2") > 1e-4);
}

TEST_CASE("the Brownian option changes dpmpp-sde (its second draw is correlated with the first)") {
    SolverOptions eta;
    eta.eta = 0.7;
    // The independent-draw sampler does not reproduce k-diffusion's Brownian-tree run, and vice versa.
    CHECK(max_difference("dpmpp-sde", eta, "dpmpp_sde-brownian") > 1e-3);
    eta.brownian = true;
    CHECK(max_difference("dpmpp-sde", eta, "dpmpp_sde") > 1e-3);
}

TEST_CASE("dpmpp-3m-sde needs kdiffusion_3m=true to give k-diffusion's numbers (docs/samplers.md says so)") {
    SolverOptions eta;
    eta.eta = 0.7;
    const double diff = max_difference("dpmpp-3m-sde", eta, "dpmpp_3m_sde");
    MESSAGE(fmt::format("dpmpp-3m-sde without kdiffusion_3m vs k-diffusion: {:.3g}", diff));
    CHECK(diff > 0.1);  // measured 2.41: the third-order weighting is a different sampler
}

TEST_CASE("dpm-fast and dpm-adaptive place their own steps as k-diffusion's sample_dpm_fast / _adaptive") {
    // Both take only the schedule's ends (0.002, 80); dpm-fast's NFE is the schedule's steps: 10, 12
    // and 14 cover the three tails of its order pattern ([3, 3, 3, 1], [3, 3, 3, 2, 1], [3, 3, 3, 3, 2]).
    for (std::size_t nfe : {10u, 12u, 14u}) {
        CAPTURE(nfe);
        const double diff = max_difference("dpm-fast", {}, "fast-dpm_fast-" + std::to_string(nfe),
                                           log_uniform(nfe, 0.002, 80.0));
        MESSAGE((std::string("dpm-fast, NFE ") + std::to_string(nfe) + ": " + fmt::format("{:.3g}", diff)));
        CHECK(diff < 1e-12);
    }
    // k-diffusion's run: 15 attempts (12 accepted, 3 rejected), 45 evaluations. Measured 1.2e-12: each
    // step size is h times 1 + atan((1/error)^(1/3) - 1), so rounding in the error moves the steps;
    // one accept/reject decision taken differently would move the points by 1e-3 or more.
    const double diff = max_difference("dpm-adaptive", {}, "fast-dpm_adaptive", log_uniform(3, 0.002, 80.0));
    MESSAGE((std::string("dpm-adaptive: ") + fmt::format("{:.3g}", diff)));
    CHECK(diff < 1e-10);
    static const Dataset ring = make_dataset("ring8", {});
    auto x = load_npy(dir + "start.npy");
    CHECK(sample(ring.data->denoiser(), *make_solver("dpm-adaptive"), log_uniform(3, 0.002, 80.0), x.values, x.n,
                 {0, 1, 16})
              .nfe == 45);
}
