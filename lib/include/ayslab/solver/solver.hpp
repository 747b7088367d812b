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
    std::uint64_t seed;            // for stochastic solvers
    std::uint64_t first_particle;  // global index of the batch's first row (random addressing)
    std::size_t step;              // index of this step in the schedule, 0 = the first step
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

// Solvers: euler, heun, ddim (probability-flow ODE); euler-maruyama, linearised-sde,
// ddpm-ancestral (reverse SDE / ancestral).
std::unique_ptr<Solver> make_solver(std::string_view name);
std::vector<std::string> solver_names();
std::vector<std::string> deterministic_solver_names();

}  // namespace ayslab
