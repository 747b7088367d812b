// Probability-flow ODE solvers (MATH.md §3): Euler, DDIM (Heun: two_stage_steps.cpp).
#include "ayslab/solver/steps.hpp"

#include "ayslab/solver/updates.hpp"

namespace ayslab {

std::size_t EulerSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                              const StepContext& ctx) {
    auto d = buffer(0, x.size());
    ctx.denoiser.denoise(x, n, sigma, d);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = update::euler(x[k], d[k], sigma, sigma_next);
    return 1;
}

std::size_t DdimSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                             const StepContext& ctx) {
    auto d = buffer(0, x.size());
    ctx.denoiser.denoise(x, n, sigma, d);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = update::ddim(x[k], d[k], sigma, sigma_next);
    return 1;
}

}  // namespace ayslab
