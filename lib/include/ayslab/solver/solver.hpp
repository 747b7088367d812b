// A solver takes a batch of particles (n x d, row-major) through a schedule of a reverse-time sampler:
// most step from sigma to sigma_next < sigma (StepSolver), two place their own steps; the loop over
// chunks of particles is sampler.hpp. Every solver derives from the
// one base here (buffers sized once, a history for multistep methods, addressed noise) and is made by
// the registry (solver/registry.hpp), whose one line per solver gives its name, factory and traits.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ayslab/denoisers/denoiser.hpp"
#include "ayslab/random_address.hpp"

namespace ayslab {

// Noise read from a file instead of drawn: values[((step * draws + draw) * particles + i) * dim + j] is
// draw `draw` of step `step` for particle i, coordinate j, so a peer's run can be matched draw by draw
// (the draw numbers are the solver's: 0 for the one draw of most steps, docs/samplers.md).
struct NoiseTable {
    std::size_t steps = 0, draws = 0, particles = 0, dim = 0;
    std::span<const double> values;
};

struct StepContext {
    const Denoiser& denoiser;
    std::uint64_t seed;                     // for stochastic solvers
    std::uint64_t first_particle;           // global index of the batch's first row (random addressing)
    std::size_t step;                       // index of this step in the schedule, 0 = the first step
    std::span<const double> schedule = {};  // the whole sigma list, when a solver needs it
    const NoiseTable* noise = nullptr;      // set: noise comes from this table, not the generator
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
    double dpm_rtol = 0.05;  // dpm-adaptive: k-diffusion's sample_dpm_adaptive defaults
    double dpm_atol = 0.0078;
    // dpmpp-sde: k-diffusion's default BrownianTreeNoiseSampler makes the step's two draws increments
    // of one Brownian path in sigma (correlated, sqrt((sigma - sigma_mid) / (sigma - sigma_next)));
    // false draws them independently (a different sampler). Other solvers draw once per step over
    // disjoint intervals, where the tree's increments are independent anyway.
    bool brownian = false;
};

// The options a user sets by name (run-experiment's keys, Python's keyword arguments): eta, s_churn,
// s_tmin, s_tmax, s_noise, snr, corrector_steps, kdiffusion_3m, brownian. set_solver_option sets one
// (a flag: value != 0; a count: the integer value); InputError naming the known ones for another name.
const std::vector<std::string>& solver_option_keys();
void set_solver_option(SolverOptions& options, std::string_view key, double value);

// Which exact output law a solver has on Gaussian data (MATH §4), i.e. which exact judge applies:
//  affine        deterministic, every step affine in x: the law is read off by running probes
//                (divergence/kl.hpp, solver_output_law);
//  gaussian_step x_next = mean(x, D) + noise_std z with mean linear in (x, D): the law is propagated
//                in closed form from the two maps below (stochastic_output_law);
//  none          no exact law (adaptive steps, or noise entering non-linearly): judged by samples.
enum class ExactLaw { affine, gaussian_step, none };

// The two maps of a gaussian_step solver, in the sigma parametrisation (x means x/s).
struct GaussianStepMaps {
    double (*mean)(double x, double denoised, double sigma, double sigma_next) = nullptr;
    double (*noise_std)(double sigma, double sigma_next) = nullptr;
};

struct SolverTraits {
    std::string_view name;
    std::string_view summary;
    bool stochastic = false;
    std::size_t nfe_per_step = 1;  // denoiser evaluations per step at the default options; 0 = adaptive
    // Order of the global error in the step size (stochastic solvers: of their eta = 0 limit, the
    // deterministic method they reduce to). Measured in tests/unit for every solver with an exact law.
    int order = 1;
    ExactLaw law = ExactLaw::none;
    GaussianStepMaps gaussian_step{};  // set when law == gaussian_step
};

// The last few (sigma, values) pairs of a multistep solver, oldest first. Storage is reused: after
// the first run nothing is allocated (the slots rotate).
class History {
  public:
    void clear() { count_ = 0; }
    std::size_t size() const { return count_; }
    double sigma(std::size_t i) const { return sigmas_[i]; }
    std::span<const double> values(std::size_t i) const { return slots_[i]; }
    // Appends (sigma, v), dropping the oldest entry beyond `keep`.
    void push(double sigma, std::span<const double> v, std::size_t keep);

  private:
    std::vector<std::vector<double>> slots_;
    std::vector<double> sigmas_;
    std::size_t count_ = 0;
};

// What a run calls after each step: (steps done, sigma reached, the batch's x).
using AfterStep = std::function<void(std::size_t steps_done, double sigma, std::span<const double> x)>;

class Solver {
  public:
    Solver(const SolverTraits& traits, const SolverOptions& options, std::size_t buffers)
        : traits_(&traits), o_(options), count_(buffers) {}
    virtual ~Solver() = default;
    const SolverTraits& traits() const { return *traits_; }
    std::string name() const { return std::string(traits_->name); }
    bool stochastic() const { return traits_->stochastic; }
    // Denoiser evaluations per step with these options (the traits give it at the defaults).
    virtual std::size_t nfe_per_step() const { return traits_->nfe_per_step; }
    const SolverOptions& options() const { return o_; }
    // A fresh solver of the same kind and options (one per chunk of particles).
    virtual std::unique_ptr<Solver> clone() const = 0;
    // Sizes the buffers for batches of n rows of d values and clears the history (called before a
    // run; no allocation happens in step() afterwards).
    void prepare(std::size_t n, std::size_t d);
    // Takes x (n rows, in place) through the whole schedule ctx.schedule (ctx.step is 0); returns the
    // denoiser evaluations used. after_step(steps done, sigma reached, x) runs after each step: a
    // StepSolver steps through every consecutive pair of sigmas; a solver that places its own steps
    // (k-diffusion's dpm_fast and dpm_adaptive: only the schedule's ends and length count) calls it
    // once, at the end.
    virtual std::size_t solve(std::span<double> x, std::size_t n, const StepContext& ctx, const AfterStep& after_step) = 0;

  protected:
    // Buffer k of `size` values (sized in prepare()).
    std::span<double> buffer(std::size_t k, std::size_t size);
    // Fills z with N(0,1) noise number `draw` (0, 1, 2, ...) of this step for the batch: every
    // (step, draw) pair has its own address (rng.hpp, step_noise_address).
    // With ctx.noise set, the values come from that table (InputError if it has no such draw).
    // This is the one place a solver's noise enters: no solver draws from the generator itself, so a
    // noise table reaches every stochastic solver (unit test: solver_noise_test.cpp).
    void noise(const StepContext& ctx, std::size_t n, std::size_t draw, std::span<double> z) const;
    // The generator address of draw `draw` of step `step` (rng.hpp, step_noise_address); a solver
    // family that predates that layout keeps its own addresses by overriding this (the Gaussian-step
    // solvers), so its seeded results are unchanged.
    virtual StepNoiseAddress noise_address(std::size_t step, std::size_t draw) const;
    // k-diffusion's / EDM's churn (sample_euler, sample_heun, sample_dpm_2 with s_churn): gamma =
    // min(s_churn / (schedule size - 1), sqrt 2 - 1) when s_tmin <= sigma <= s_tmax; x gains
    // s_noise sqrt(hat^2 - sigma^2) z (noise draw 0) and the step starts from hat = sigma (1 + gamma).
    // Returns hat (sigma when gamma = 0: nothing is added). z: a work buffer of x's size.
    double churn(std::span<double> x, std::size_t n, double sigma, const StepContext& ctx, std::span<double> z) const;

    const SolverTraits* traits_;
    SolverOptions o_;
    std::size_t count_;
    std::vector<std::vector<double>> buffers_;
    History history_;
};

// A solver that steps through the schedule's sigmas one pair at a time (every solver but the two with
// their own steps): step() is its whole method, solve() the loop.
class StepSolver : public Solver {
  public:
    using Solver::Solver;
    // Advances x in place from sigma to sigma_next; returns the number of denoiser evaluations used.
    virtual std::size_t step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                             const StepContext& ctx) = 0;
    std::size_t solve(std::span<double> x, std::size_t n, const StepContext& ctx, const AfterStep& after_step) final;
};

// The base every concrete solver derives from: `Buffers` work buffers, and clone() for free. Base is
// StepSolver, or Solver for a solver that places its own steps (it implements solve()).
template <class Derived, std::size_t Buffers, class Base = StepSolver>
class SolverWith : public Base {
  public:
    SolverWith(const SolverTraits& traits, const SolverOptions& options) : Base(traits, options, Buffers) {}
    std::unique_ptr<Solver> clone() const override { return std::make_unique<Derived>(this->traits(), this->options()); }
};

}  // namespace ayslab
