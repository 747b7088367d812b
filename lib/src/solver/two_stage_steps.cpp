// The two-stage solvers (steps.hpp TwoStageStep): D at sigma, or at the churned sigma_hat (EDM
// Algorithm 2, k-diffusion's s_churn: fresh noise raises sigma to sigma_hat first), then Heun's second
// stage (EDM Algorithm 1) or DPM-Solver-2's (Euler to the log-midpoint, then the full step with the
// midpoint's slope) to sigma_next (two_stage.hpp).
#include "ayslab/solver/steps.hpp"
#include "two_stage.hpp"

namespace ayslab {

template <SecondStage Second, bool Churn>
std::size_t TwoStageStep<Second, Churn>::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                                              const StepContext& ctx) {
    const std::size_t m = x.size();
    auto d = this->buffer(0, m), xs = this->buffer(1, m), ds = this->buffer(2, m);
    const double from = Churn ? this->churn(x, n, sigma, ctx, this->buffer(3, m)) : sigma;
    ctx.denoiser.denoise(x, n, from, d);
    return 1 + detail::second_stage_from<Second == SecondStage::dpm2>(x, n, d, from, sigma_next, ctx.denoiser, xs, ds);
}

template class TwoStageStep<SecondStage::heun, false>;
template class TwoStageStep<SecondStage::dpm2, false>;
template class TwoStageStep<SecondStage::heun, true>;
template class TwoStageStep<SecondStage::dpm2, true>;

}  // namespace ayslab
