// The update formulas of MATH.md §3, in the sigma parametrisation (x means x/s), one coordinate at a
// time. Templates so that the batched solvers and exact (symbolic) propagation share one source.
#pragma once
#include <cmath>

namespace ayslab::update {

// Euler on the probability-flow ODE dx/dsigma = (x - D)/sigma.
template <class V, class S>
V euler(const V& x, const V& d, S sigma, S sigma_next) {
    return x + (sigma_next - sigma) / sigma * (x - d);
}

// DDIM / DPM-Solver-1: exact ODE step for D frozen at sigma. Algebraically the same map as euler()
// in this parametrisation (Karras et al. 2022, §3); written in its own form as a cross-check.
template <class V, class S>
V ddim(const V& x, const V& d, S sigma, S sigma_next) {
    const S ratio = sigma_next / sigma;
    return ratio * x + (S(1) - ratio) * d;
}

// Heun (EDM Algorithm 1): average of the slopes at sigma (from x, d) and sigma_next (from the
// Euler predictor x_pred and its denoised d_pred).
template <class V, class S>
V heun(const V& x, const V& d, const V& x_pred, const V& d_pred, S sigma, S sigma_next) {
    const S h = sigma_next - sigma;
    return x + (S(0.5) * h) * ((x - d) / sigma + (x_pred - d_pred) / sigma_next);
}

// Mean part of the exact step of the linearised SDE (D frozen at sigma), MATH §3; the same mean as
// the DDPM posterior q(x_{sigma_next} | x_sigma, x_0 = D).
template <class V, class S>
V linearised_mean(const V& x, const V& d, S sigma, S sigma_next) {
    const S r2 = (sigma_next / sigma) * (sigma_next / sigma);
    return r2 * x + (S(1) - r2) * d;
}
// Its noise standard deviation: sigma_next sqrt(1 - sigma_next^2/sigma^2).
inline double linearised_noise_std(double sigma, double sigma_next) {
    const double r = sigma_next / sigma;
    return sigma_next * std::sqrt((1.0 - r) * (1.0 + r));
}

// Euler-Maruyama on the reverse SDE dx = -2 sigma grad log p dsigma + sqrt(2 sigma) dw (MATH §3),
// stepping sigma -> sigma_next < sigma.
template <class V, class S>
V euler_maruyama_mean(const V& x, const V& d, S sigma, S sigma_next) {
    return x + (S(2) * (sigma - sigma_next) / sigma) * (d - x);
}
inline double euler_maruyama_noise_std(double sigma, double sigma_next) {
    return std::sqrt(2.0 * sigma * (sigma - sigma_next));
}

// DDPM ancestral step (MATH §6) written in sigma: its mean is linearised_mean(); with variance
// beta_t its noise std in x/s units is sqrt((sigma^2 - sigma_next^2)(1 + sigma_next^2)/(1 + sigma^2)).
// With variance beta_tilde it is exactly linearised_noise_std().
inline double ddpm_beta_noise_std(double sigma, double sigma_next) {
    return std::sqrt((sigma - sigma_next) * (sigma + sigma_next) * (1.0 + sigma_next * sigma_next) /
                     (1.0 + sigma * sigma));
}

}  // namespace ayslab::update
