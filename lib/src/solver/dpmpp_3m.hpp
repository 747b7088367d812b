// The DPM-Solver++(3M) update shared by the ODE solver (eta = 0) and its SDE form (k-diffusion's
// sample_dpmpp_3m_sde): exponential integrator in t = -log sigma with the first and second divided
// differences of D from the last two steps. Internal to lib/src/solver.
#pragma once
#include <cmath>
#include <span>
#include <vector>

#include "ayslab/solver/solver.hpp"

namespace ayslab::detail {

// history: the last (up to 2) denoised values, oldest first, with their sigmas. The second divided
// difference d2 ~ h^2 D''/2 is weighted 2 phi_3 (exact for D quadratic in t), or phi_3 as k-diffusion
// does (kdiffusion_weight).
inline void dpmpp_3m_update(std::span<double> x, std::span<const double> d, const History& history,
                            double sigma, double sigma_next, double eta, bool kdiffusion_weight) {
    const double h = std::log(sigma / sigma_next), h_eta = h * (eta + 1.0);
    const double phi2 = std::expm1(-h_eta) / h_eta + 1.0, phi3 = phi2 / h_eta - 0.5;
    const double w3 = (kdiffusion_weight ? 1.0 : 2.0) * phi3;
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = std::exp(-h_eta) * x[k] - std::expm1(-h_eta) * d[k];
    if (history.size() >= 2) {
        const auto older = history.values(0), newer = history.values(1);
        const double r0 = std::log(history.sigma(1) / sigma) / h,
                     r1 = std::log(history.sigma(0) / history.sigma(1)) / h;
        for (std::size_t k = 0; k < x.size(); ++k) {
            const double d10 = (d[k] - newer[k]) / r0, d11 = (newer[k] - older[k]) / r1;
            x[k] += phi2 * (d10 + (d10 - d11) * r0 / (r0 + r1)) - w3 * ((d10 - d11) / (r0 + r1));
        }
    } else if (history.size() == 1) {
        const auto prev = history.values(0);
        const double r = std::log(history.sigma(0) / sigma) / h;
        for (std::size_t k = 0; k < x.size(); ++k) x[k] += phi2 * (d[k] - prev[k]) / r;
    }
}

}  // namespace ayslab::detail
