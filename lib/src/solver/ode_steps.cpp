// Probability-flow ODE solvers (MATH.md §3): Euler, DDIM (Heun: two_stage_steps.cpp).
#include "ayslab/solver/steps.hpp"

#include "ayslab/solver/updates.hpp"

namespace ayslab {

namespace {
// One evaluation of D at sigma, then every value moved by the one-step map update(x, D, sigma, sigma_next).
template <class Update>
std::size_t one_call(std::span<double> x, std::size_t n, double sigma, double sigma_next, const StepContext& ctx,
                     std::span<double> d, Update&& update) {
    ctx.denoiser.denoise(x, n, sigma, d);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = update(x[k], d[k], sigma, sigma_next);
    return 1;
}
}  // namespace

std::size_t EulerSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                              const StepContext& ctx) {
    return one_call(x, n, sigma, sigma_next, ctx, buffer(0, x.size()),
                    [](double xk, double dk, double s, double t) { return update::euler(xk, dk, s, t); });
}

std::size_t DdimSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                             const StepContext& ctx) {
    return one_call(x, n, sigma, sigma_next, ctx, buffer(0, x.size()),
                    [](double xk, double dk, double s, double t) { return update::ddim(xk, dk, s, t); });
}

}  // namespace ayslab
