// Probability-flow ODE solvers (MATH.md §3): Euler, Heun, DDIM.
#include "ayslab/solver/ode.hpp"

#include "ayslab/solver/updates.hpp"

namespace ayslab {

void WorkspaceSolver::prepare(std::size_t n, std::size_t d) { denoised_.resize(n * d); }

std::size_t EulerSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                              const StepContext& ctx) {
    auto d = denoised(x.size());
    ctx.denoiser.denoise(x, n, sigma, d);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = update::euler(x[k], d[k], sigma, sigma_next);
    return 1;
}

std::size_t DdimSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                             const StepContext& ctx) {
    auto d = denoised(x.size());
    ctx.denoiser.denoise(x, n, sigma, d);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = update::ddim(x[k], d[k], sigma, sigma_next);
    return 1;
}

void HeunSolver::prepare(std::size_t n, std::size_t d) {
    WorkspaceSolver::prepare(n, d);
    x_pred_.resize(n * d);
    d_pred_.resize(n * d);
}

std::size_t HeunSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                             const StepContext& ctx) {
    const std::size_t m = x.size();
    auto d = denoised(m);
    const std::span<double> xp(x_pred_.data(), m), dp(d_pred_.data(), m);
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
