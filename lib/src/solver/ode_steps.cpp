// Probability-flow ODE solvers (MATH.md §3): Euler, Heun, DDIM.
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

std::size_t HeunSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                             const StepContext& ctx) {
    const std::size_t m = x.size();
    auto d = buffer(0, m), xp = buffer(1, m), dp = buffer(2, m);
    ctx.denoiser.denoise(x, n, sigma, d);
    if (sigma_next == 0.0) {  // EDM Algorithm 1: the last step to sigma = 0 is an Euler step
        for (std::size_t k = 0; k < m; ++k) x[k] = update::euler(x[k], d[k], sigma, sigma_next);
        return 1;
    }
    for (std::size_t k = 0; k < m; ++k) xp[k] = update::euler(x[k], d[k], sigma, sigma_next);
    ctx.denoiser.denoise(xp, n, sigma_next, dp);
    for (std::size_t k = 0; k < m; ++k) x[k] = update::heun(x[k], d[k], xp[k], dp[k], sigma, sigma_next);
    return 2;
}

}  // namespace ayslab
