#include "ayslab/divergence/elbo.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "ayslab/divergence/kl.hpp"
#include "ayslab/error.hpp"

namespace ayslab {

ScoreBound score_likelihood_bound(double c, double c_theta, double sigma_max, double prior_variance) {
    if (!(c > 0.0) || !(c_theta > 0.0) || !(sigma_max > 0.0) || !(prior_variance > 0.0))
        throw InputError("likelihood bound: c, c_theta, sigma_max and the prior variance must be positive");
    const double a = c_theta * c_theta, b = c * c, u = sigma_max * sigma_max;
    ScoreBound r;
    // Reverse SDE dx = 2t s(x) dt + sqrt(2t) dw (backwards in t), s = -x/(a + t^2): the variance obeys
    // dV/dt = 4t V/(a + t^2) - 2t, solved by V = (a + t^2) + C (a + t^2)^2 (MATH §9).
    const double k = (prior_variance - (a + u)) / ((a + u) * (a + u));
    r.model_variance = a + k * a * a;
    r.kl = kl_gaussian(0.0, b, 0.0, r.model_variance);
    // J_SM = int_0^T t (b - a)^2 / ((a + t^2)^2 (b + t^2)) dt, by partial fractions in t^2.
    r.score_matching = a == b ? 0.0
                              : 0.5 * ((b - a) * (1.0 / a - 1.0 / (a + u)) - std::log1p(u / a) + std::log1p(u / b));
    r.prior_kl = kl_gaussian(0.0, b + u, 0.0, prior_variance);
    return r;
}

std::vector<double> vp_discrete_betas(int steps, double beta_min, double beta_max) {
    if (steps < 2) throw InputError(fmt::format("a DDPM chain needs at least 2 steps, got {}", steps));
    std::vector<double> betas(static_cast<std::size_t>(steps));
    const double n = steps;
    for (int i = 0; i < steps; ++i) betas[static_cast<std::size_t>(i)] = beta_min / n + i * (beta_max - beta_min) / (n * (n - 1));
    for (double beta : betas)
        if (!(beta > 0.0 && beta < 1.0))
            throw InputError(fmt::format("DDPM beta = {} is outside (0, 1) with {} steps", beta, steps));
    return betas;
}

DdpmElbo ddpm_elbo_gaussian(std::span<const double> betas, double c, bool beta_tilde) {
    const std::size_t T = betas.size();
    if (T < 2) throw InputError("the DDPM bound needs at least 2 steps");
    if (!(c > 0.0)) throw InputError("the DDPM bound needs c > 0");
    const double b = c * c;
    std::vector<double> ab(T + 1, 1.0);  // alpha_bar_t, t = 0..T
    double log_ab = 0.0;
    for (std::size_t t = 1; t <= T; ++t) {
        log_ab += std::log1p(-betas[t - 1]);
        ab[t] = std::exp(log_ab);
    }
    auto m = [&](std::size_t t) { return ab[t] * b + 1.0 - ab[t]; };  // Var x_t
    // The exact eps-prediction eps_hat = sqrt(1 - ab) x_t / m_t makes mu_theta = a_t x_t (MATH §9).
    auto slope = [&](std::size_t t) { return (1.0 - betas[t - 1] / m(t)) / std::sqrt(1.0 - betas[t - 1]); };
    DdpmElbo r;
    r.prior = 0.5 * (ab[T] * b - ab[T] - std::log1p(-ab[T]));
    for (std::size_t t = 2; t <= T; ++t) {
        const double beta = betas[t - 1], one_minus = 1.0 - ab[t];
        const double A = std::sqrt(ab[t - 1]) * beta / one_minus;
        const double B = std::sqrt(1.0 - beta) * (1.0 - ab[t - 1]) / one_minus;
        const double tilde = (1.0 - ab[t - 1]) / one_minus * beta, var = beta_tilde ? tilde : beta;
        const double dB = B - slope(t);
        const double sq = A * A * b + 2.0 * A * dB * std::sqrt(ab[t]) * b + dB * dB * m(t);  // E(mu~ - mu_theta)^2
        const double ratio = tilde / var;
        const double term = sq / (2.0 * var) + 0.5 * (ratio - 1.0 - std::log(ratio));
        r.step_terms.push_back(term);
        r.transitions += term;
    }
    // Decoder N(mu_theta(x_1), beta_1) for both choices (beta-tilde_1 = 0).
    const double a1 = slope(1), var1 = betas[0];
    const double err = b - 2.0 * a1 * std::sqrt(ab[1]) * b + a1 * a1 * m(1);
    r.decoder = 0.5 * std::log(2.0 * std::numbers::pi * var1) + err / (2.0 * var1);
    // The chain's own output law: x_T ~ N(0, 1), x_{t-1} = a_t x_t + sigma_t z.
    double v = 1.0;
    for (std::size_t t = T; t >= 2; --t) {
        const double beta = betas[t - 1], tilde = (1.0 - ab[t - 1]) / (1.0 - ab[t]) * beta;
        v = slope(t) * slope(t) * v + (beta_tilde ? tilde : beta);
    }
    v = a1 * a1 * v + var1;
    r.model_nll = 0.5 * std::log(2.0 * std::numbers::pi * v) + b / (2.0 * v);
    r.data_entropy = 0.5 * std::log(2.0 * std::numbers::pi * std::numbers::e * b);
    return r;
}

}  // namespace ayslab
