// Probability-flow ODE solvers (MATH.md §3): Euler, Heun, DDIM.
#include "ayslab/solver/steps.hpp"

#include "ayslab/solver/updates.hpp"
#include "two_stage.hpp"

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

std::size_t HeunSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                             const StepContext& ctx) {
    const std::size_t m = x.size();
    auto d = buffer(0, m), xp = buffer(1, m), dp = buffer(2, m);
    ctx.denoiser.denoise(x, n, sigma, d);
    return 1 + detail::heun_from(x, n, d, sigma, sigma_next, ctx.denoiser, xp, dp);
}

}  // namespace ayslab
