// The second stages several solvers share, from sigma (where D = d is already known) to sigma_next:
// Heun (EDM Algorithm 1: average of the slopes at both ends) and DPM-Solver-2 (Euler to the midpoint
// in log sigma, then the full step with the midpoint's slope). On a step to sigma_next = 0 both are the
// Euler step, as in EDM and k-diffusion. Each returns the denoiser evaluations it adds (0 or 1); xs and
// ds are work buffers of x's size.
#pragma once
#include <cmath>
#include <span>

#include "ayslab/denoisers/denoiser.hpp"
#include "ayslab/solver/updates.hpp"

namespace ayslab::detail {

// second_stage_from<false>: Heun; second_stage_from<true>: DPM-Solver-2.
template <bool Midpoint>
inline std::size_t second_stage_from(std::span<double> x, std::size_t n, std::span<const double> d, double sigma,
                                     double sigma_next, const Denoiser& denoiser, std::span<double> xs,
                                     std::span<double> ds) {
    const std::size_t m = x.size();
    if (sigma_next == 0.0) {
        for (std::size_t k = 0; k < m; ++k) x[k] = update::euler(x[k], d[k], sigma, sigma_next);
        return 0;
    }
    // Where the second evaluation is: sigma_next (Heun) or the midpoint in log sigma (DPM-Solver-2).
    const double at = Midpoint ? std::exp(0.5 * (std::log(sigma) + std::log(sigma_next))) : sigma_next;
    for (std::size_t k = 0; k < m; ++k) xs[k] = update::euler(x[k], d[k], sigma, at);
    denoiser.denoise(xs, n, at, ds);
    for (std::size_t k = 0; k < m; ++k)
        if constexpr (Midpoint)
            x[k] += (xs[k] - ds[k]) / at * (sigma_next - sigma);
        else
            x[k] = update::heun(x[k], d[k], xs[k], ds[k], sigma, sigma_next);
    return 1;
}

}  // namespace ayslab::detail
