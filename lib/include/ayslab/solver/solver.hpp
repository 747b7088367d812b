// A solver takes one step of a reverse-time sampler from sigma to sigma_next < sigma over a batch of
// particles (n x d, row-major). State for multistep solvers lives in the object; clone() gives a
// fresh one per chunk of particles.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ayslab/denoiser.hpp"

namespace ayslab {

struct StepContext {
    const Denoiser& denoiser;
    std::uint64_t seed;                     // for stochastic solvers
    std::uint64_t first_particle;           // global index of the batch's first row (random addressing)
    std::size_t step;                       // index of this step in the schedule, 0 = the first step
    std::span<const double> schedule = {};  // the whole sigma list, when a solver needs it
};

// Parameters of the samplers that have them (k-diffusion / EDM / score-SDE names).
struct SolverOptions {
    double eta = 1.0;      // ancestral / SDE noise scale
    double s_churn = 0.0;  // EDM stochastic sampler
    double s_tmin = 0.0;
    double s_tmax = 1e300;
    double s_noise = 1.0;
    double snr = 0.16;  // predictor-corrector Langevin signal-to-noise ratio
    std::size_t corrector_steps = 1;
    // k-diffusion's DPM-Solver++(3M) weights its second divided difference by phi_3 where the
    // exponential-integrator expansion needs 2 phi_3 (it is then only second order); true reproduces
    // k-diffusion exactly, false (default) is the third-order method.
    bool kdiffusion_3m = false;
    double rtol = 1e-8;  // adaptive Dormand-Prince
    double atol = 1e-10;
};

class Solver {
  public:
    virtual ~Solver() = default;
    virtual std::string name() const = 0;
    virtual bool stochastic() const = 0;
    // Denoiser evaluations per step.
    virtual std::size_t nfe_per_step() const = 0;
    virtual std::unique_ptr<Solver> clone() const = 0;
    // Sizes the workspace for batches of n rows of d values (called before a run; no allocation
    // happens in step() afterwards).
    virtual void prepare(std::size_t n, std::size_t d) = 0;
    // Advances x in place; returns the number of denoiser evaluations used.
    virtual std::size_t step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                             const StepContext& ctx) = 0;
};

// Deterministic: euler, heun, ddim, dpm2, lms, dpmpp-2m, dpmpp-3m, dopri5 (adaptive reference).
// Stochastic: euler-maruyama, linearised-sde, ddpm-ancestral, euler-ancestral, dpmpp-2s-ancestral,
// dpmpp-sde, dpmpp-2m-sde, dpmpp-3m-sde, edm-churn, pc-langevin.
std::unique_ptr<Solver> make_solver(std::string_view name, const SolverOptions& options = {});
std::vector<std::string> solver_names();
std::vector<std::string> deterministic_solver_names();
// Deterministic solvers whose map is exactly affine on Gaussian data (all but the adaptive one).
std::vector<std::string> linear_solver_names();

}  // namespace ayslab
