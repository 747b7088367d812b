#include "ayslab/solver/sde.hpp"

#include "ayslab/rng.hpp"
#include "ayslab/solver/updates.hpp"

namespace ayslab {

void GaussianStepSolver::prepare(std::size_t n, std::size_t d) {
    WorkspaceSolver::prepare(n, d);
    noise_.resize(n * d);
}

std::size_t GaussianStepSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                                     const StepContext& ctx) {
    const std::size_t m = x.size(), dim = n > 0 ? m / n : 0;
    auto d = denoised(m);
    if (noise_.size() < m) noise_.resize(m);
    ctx.denoiser.denoise(x, n, sigma, d);
    const std::span<double> z(noise_.data(), m);
    fill_normal_flat(ctx.seed, static_cast<std::uint64_t>(Stream::step_noise), ctx.step,
                     ctx.first_particle * dim, z);
    const double a = mean(1.0, 0.0, sigma, sigma_next), b = mean(0.0, 1.0, sigma, sigma_next);
    const double sd = noise_std(sigma, sigma_next);
    for (std::size_t k = 0; k < m; ++k) x[k] = a * x[k] + b * d[k] + sd * z[k];
    return 1;
}

double EulerMaruyamaSolver::mean(double x, double d, double sigma, double sigma_next) const {
    return update::euler_maruyama_mean(x, d, sigma, sigma_next);
}
double EulerMaruyamaSolver::noise_std(double sigma, double sigma_next) const {
    return update::euler_maruyama_noise_std(sigma, sigma_next);
}

double LinearisedSdeSolver::mean(double x, double d, double sigma, double sigma_next) const {
    return update::linearised_mean(x, d, sigma, sigma_next);
}
double LinearisedSdeSolver::noise_std(double sigma, double sigma_next) const {
    return update::linearised_noise_std(sigma, sigma_next);
}

double DdpmAncestralSolver::mean(double x, double d, double sigma, double sigma_next) const {
    return update::linearised_mean(x, d, sigma, sigma_next);
}
double DdpmAncestralSolver::noise_std(double sigma, double sigma_next) const {
    return update::ddpm_beta_noise_std(sigma, sigma_next);
}

}  // namespace ayslab
