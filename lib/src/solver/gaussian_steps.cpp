// Every "x_next = mean(x, D) + noise_std z" solver (MATH §3, §6): the two maps are the solver's
// traits (registry.cpp), so the exact Gaussian judge (divergence/kl.cpp) reads what is run here.
#include "ayslab/solver/steps.hpp"

namespace ayslab {

std::size_t GaussianStepSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                                     const StepContext& ctx) {
    const std::size_t m = x.size();
    auto d = buffer(0, m), z = buffer(1, m);
    ctx.denoiser.denoise(x, n, sigma, d);
    noise(ctx, n, 0, z);  // through the one injection point: a noise table reaches this solver too
    const auto& maps = traits().gaussian_step;
    // The means are linear in (x, D): mean = a x + b D.
    const double a = maps.mean(1.0, 0.0, sigma, sigma_next), b = maps.mean(0.0, 1.0, sigma, sigma_next);
    const double sd = maps.noise_std(sigma, sigma_next);
    for (std::size_t k = 0; k < m; ++k) x[k] = a * x[k] + b * d[k] + sd * z[k];
    return 1;
}

}  // namespace ayslab
