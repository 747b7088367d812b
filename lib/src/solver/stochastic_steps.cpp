// Stochastic samplers: Euler ancestral, DPM-Solver++(2S) ancestral, DPM-Solver++ SDE,
// DPM-Solver++(2M) SDE, DPM-Solver++(3M) SDE (k-diffusion), Euler with churn, and
// predictor-corrector with a Langevin corrector (score-SDE). t = -log sigma.
#include <algorithm>
#include <cmath>

#include "ayslab/solver/steps.hpp"
#include "ayslab/solver/updates.hpp"
#include "dpmpp_3m.hpp"
#include "two_stage.hpp"

namespace ayslab {

std::size_t EulerAncestralSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                                       const StepContext& ctx) {
    const std::size_t m = x.size();
    auto d = buffer(0, m), z = buffer(1, m);
    ctx.denoiser.denoise(x, n, sigma, d);
    const auto [down, up] = ancestral_step(sigma, sigma_next, o_.eta);
    for (std::size_t k = 0; k < m; ++k) x[k] += eps_from_denoised(x[k], d[k], sigma) * (down - sigma);
    if (sigma_next > 0.0 && up > 0.0) {
        noise(ctx, n, 0, z);
        for (std::size_t k = 0; k < m; ++k) x[k] += o_.s_noise * up * z[k];
    }
    return 1;
}

std::size_t Dpmpp2sAncestralSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                                         const StepContext& ctx) {
    const std::size_t m = x.size();
    auto d = buffer(0, m), x2 = buffer(1, m), d2 = buffer(2, m), z = buffer(3, m);
    ctx.denoiser.denoise(x, n, sigma, d);
    const auto [down, up] = ancestral_step(sigma, sigma_next, o_.eta);
    std::size_t nfe = 1;
    if (down == 0.0) {
        for (std::size_t k = 0; k < m; ++k) x[k] += eps_from_denoised(x[k], d[k], sigma) * (down - sigma);
    } else {
        // Midpoint s = t + h/2 in t = -log sigma, from sigma to sigma_down.
        const double h = std::log(sigma / down), s_mid = sigma * std::exp(-0.5 * h);
        for (std::size_t k = 0; k < m; ++k) x2[k] = (s_mid / sigma) * x[k] - std::expm1(-0.5 * h) * d[k];
        ctx.denoiser.denoise(x2, n, s_mid, d2);
        ++nfe;
        for (std::size_t k = 0; k < m; ++k) x[k] = (down / sigma) * x[k] - std::expm1(-h) * d2[k];
    }
    if (sigma_next > 0.0 && up > 0.0) {
        noise(ctx, n, 0, z);
        for (std::size_t k = 0; k < m; ++k) x[k] += o_.s_noise * up * z[k];
    }
    return nfe;
}

std::size_t DpmppSdeSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                                 const StepContext& ctx) {
    const std::size_t m = x.size();
    auto d = buffer(0, m), x2 = buffer(1, m), d2 = buffer(2, m), z = buffer(3, m);
    ctx.denoiser.denoise(x, n, sigma, d);
    if (sigma_next == 0.0) {
        for (std::size_t k = 0; k < m; ++k) x[k] = update::euler(x[k], d[k], sigma, sigma_next);
        return 1;
    }
    const double r = 0.5, fac = 1.0 / (2.0 * r);
    const double t = -std::log(sigma), t_next = -std::log(sigma_next), h = t_next - t, s = t + h * r;
    const double sigma_s = std::exp(-s);
    // Step 1: to sigma_s, ancestrally.
    auto [sd, su] = ancestral_step(sigma, sigma_s, o_.eta);
    double s_ = -std::log(sd);
    for (std::size_t k = 0; k < m; ++k) x2[k] = (std::exp(-s_) / sigma) * x[k] - std::expm1(t - s_) * d[k];
    noise(ctx, n, 0, z);
    for (std::size_t k = 0; k < m; ++k) x2[k] += o_.s_noise * su * z[k];
    ctx.denoiser.denoise(x2, n, sigma_s, d2);
    // Step 2: to sigma_next with the combined denoised value.
    std::tie(sd, su) = ancestral_step(sigma, sigma_next, o_.eta);
    const double tn_ = -std::log(sd);
    if (o_.brownian) {
        // W(sigma_next) - W(sigma) = [W(sigma_s) - W(sigma)] + an independent increment, each
        // normalised by the square root of its length as k-diffusion's BrownianTreeNoiseSampler does;
        // z still holds step 1's draw (the first bracket).
        auto z1 = buffer(1, m);  // x2 is no longer needed
        noise(ctx, n, 1, z1);
        const double a = std::sqrt((sigma - sigma_s) / (sigma - sigma_next)),
                     b = std::sqrt((sigma_s - sigma_next) / (sigma - sigma_next));
        for (std::size_t k = 0; k < m; ++k) z[k] = a * z[k] + b * z1[k];
    } else {
        noise(ctx, n, 1, z);
    }
    for (std::size_t k = 0; k < m; ++k) {
        const double dd = (1.0 - fac) * d[k] + fac * d2[k];
        x[k] = (std::exp(-tn_) / sigma) * x[k] - std::expm1(t - tn_) * dd + o_.s_noise * su * z[k];
    }
    return 2;
}

template <bool Heun>
std::size_t Dpmpp2mSdeStep<Heun>::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                                       const StepContext& ctx) {
    const std::size_t m = x.size();
    auto d = this->buffer(0, m), z = this->buffer(1, m);
    auto& history = this->history_;
    const double eta = this->o_.eta;
    ctx.denoiser.denoise(x, n, sigma, d);
    if (sigma_next == 0.0) {
        std::copy(d.begin(), d.end(), x.begin());
    } else {
        const double h = std::log(sigma / sigma_next), eta_h = eta * h;
        const double a = sigma_next / sigma * std::exp(-eta_h), b = -std::expm1(-h - eta_h);
        for (std::size_t k = 0; k < m; ++k) x[k] = a * x[k] + b * d[k];
        if (history.size() > 0) {  // second-order correction, r = h_last / h
            const double r = std::log(history.sigma(0) / sigma) / h;
            // k-diffusion's solver_type: 'heun' weighs the difference by 1 - b / (h + eta h) (the
            // exponential integrator's phi_2 form), 'midpoint' by b / 2.
            const double w = Heun ? (1.0 - b / (h + eta_h)) : 0.5 * b;
            const auto old = history.values(0);
            for (std::size_t k = 0; k < m; ++k) x[k] += w * (1.0 / r) * (d[k] - old[k]);
        }
        if (eta > 0.0) {
            this->noise(ctx, n, 0, z);
            const double sd = sigma_next * std::sqrt(-std::expm1(-2.0 * eta_h)) * this->o_.s_noise;
            for (std::size_t k = 0; k < m; ++k) x[k] += sd * z[k];
        }
    }
    history.push(sigma, d, 1);
    return 1;
}

template class Dpmpp2mSdeStep<false>;
template class Dpmpp2mSdeStep<true>;

namespace {
// ComfyUI's default_er_sde_noise_scaler.
double er_noise_scaler(double v) { return v * (std::exp(std::pow(v, 0.3)) + 10.0); }
}  // namespace

template <int Stages>
std::size_t ErSdeStep<Stages>::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                                    const StepContext& ctx) {
    const std::size_t m = x.size();
    auto d = this->buffer(0, m), z = this->buffer(1, m);
    auto& history = this->history_;
    ctx.denoiser.denoise(x, n, sigma, d);
    if (sigma_next == 0.0) {
        std::copy(d.begin(), d.end(), x.begin());
    } else {
        const double ls = sigma, lt = sigma_next;  // er_lambda = sigma / alpha = sigma here
        const double ns_t = er_noise_scaler(lt), r = ns_t / er_noise_scaler(ls);
        for (std::size_t k = 0; k < m; ++k) x[k] = r * x[k] + (1.0 - r) * d[k];  // stage 1
        const std::size_t stage = std::min<std::size_t>(Stages, history.size() + 1);
        if (stage >= 2) {
            // int_{lt}^{ls} 1/ns and (lambda - ls)/ns, as ComfyUI sums them: 200 left points from lt.
            constexpr int points = 200;
            const double dt = lt - ls, width = -dt / points;
            double s = 0.0, s_u = 0.0;
            for (int k = 0; k < points; ++k) {
                const double pos = lt + k * width, scaled = er_noise_scaler(pos);
                s += 1.0 / scaled;
                s_u += (pos - ls) / scaled;
            }
            s *= width;
            s_u *= width;
            const std::size_t last = history.size() - 1;  // History: index size - 1 is the newest
            const double l1 = history.sigma(last);
            const auto old = history.values(last);
            const double c2 = dt + s * ns_t;
            if (stage >= 3) {
                const double l2 = history.sigma(last - 1);
                const auto older = history.values(last - 1);
                const double c3 = dt * dt / 2.0 + s_u * ns_t;
                for (std::size_t k = 0; k < m; ++k) {
                    const double dd = (d[k] - old[k]) / (ls - l1), dd_old = (old[k] - older[k]) / (l1 - l2);
                    x[k] += c2 * dd;
                    x[k] += c3 * ((dd - dd_old) / ((ls - l2) / 2.0));
                }
            } else {
                for (std::size_t k = 0; k < m; ++k) x[k] += c2 * ((d[k] - old[k]) / (ls - l1));
            }
        }
        if (this->o_.s_noise > 0.0) {
            this->noise(ctx, n, 0, z);
            const double v = lt * lt - ls * ls * r * r;  // ComfyUI: sqrt(...).nan_to_num(0)
            const double sd = this->o_.s_noise * (v > 0.0 ? std::sqrt(v) : 0.0);
            for (std::size_t k = 0; k < m; ++k) x[k] += sd * z[k];
        }
    }
    history.push(sigma, d, 2);
    return 1;
}

template class ErSdeStep<1>;
template class ErSdeStep<2>;
template class ErSdeStep<3>;

std::size_t Dpmpp3mSdeSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                                   const StepContext& ctx) {
    const std::size_t m = x.size();
    auto d = buffer(0, m), z = buffer(1, m);
    ctx.denoiser.denoise(x, n, sigma, d);
    if (sigma_next == 0.0) {
        std::copy(d.begin(), d.end(), x.begin());
    } else {
        detail::dpmpp_3m_update(x, d, history_, sigma, sigma_next, o_.eta, o_.kdiffusion_3m);
        if (o_.eta > 0.0) {
            noise(ctx, n, 0, z);
            const double sd = sigma_next *
                              std::sqrt(-std::expm1(-2.0 * std::log(sigma / sigma_next) * o_.eta)) *
                              o_.s_noise;
            for (std::size_t k = 0; k < m; ++k) x[k] += sd * z[k];
        }
    }
    history_.push(sigma, d, 2);
    return 1;
}

// k-diffusion's sample_euler with s_churn: churn to hat, then one Euler step hat -> sigma_next.
std::size_t EulerChurnSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                                   const StepContext& ctx) {
    const std::size_t m = x.size();
    auto d = buffer(0, m), z = buffer(1, m);
    const double hat = churn(x, n, sigma, ctx, z);
    ctx.denoiser.denoise(x, n, hat, d);
    for (std::size_t k = 0; k < m; ++k) x[k] = update::euler(x[k], d[k], hat, sigma_next);
    return 1;
}

// k-diffusion's sample_dpm_2_ancestral: DPM-Solver-2 to sigma_down, then sigma_up noise (sigma_up is 0
// exactly when sigma_down is, on the last step to 0, which is plain Euler as in k-diffusion).
std::size_t Dpm2AncestralSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                                      const StepContext& ctx) {
    const std::size_t m = x.size();
    auto d = buffer(0, m), x2 = buffer(1, m), d2 = buffer(2, m), z = buffer(3, m);
    ctx.denoiser.denoise(x, n, sigma, d);
    const auto [down, up] = ancestral_step(sigma, sigma_next, o_.eta);
    const std::size_t nfe = 1 + detail::second_stage_from<true>(x, n, d, sigma, down, ctx.denoiser, x2, d2);
    if (up > 0.0 && down > 0.0) {
        noise(ctx, n, 0, z);
        for (std::size_t k = 0; k < m; ++k) x[k] += o_.s_noise * up * z[k];
    }
    return nfe;
}

// score-SDE predictor-corrector: corrector_steps Langevin steps targeting p_sigma, then an
// Euler-Maruyama predictor step to sigma_next. The Langevin step is score_sde's LangevinCorrector:
// eps = 2 (snr mean|z| / mean|score|)^2 with the norms of each row averaged over the batch — here the
// sampler's chunk (SamplerOptions::chunk), so results depend on the chunk size as score_sde's depend on
// its batch size. (A per-row ratio is heavy-tailed in low dimension and diverged in d = 1.)
std::size_t PcLangevinSolver::step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                                   const StepContext& ctx) {
    const std::size_t m = x.size(), dim = n > 0 ? m / n : 0;
    auto d = buffer(0, m), z = buffer(1, m);
    std::size_t nfe = 0;
    for (std::size_t c = 0; c < o_.corrector_steps; ++c) {
        ctx.denoiser.denoise(x, n, sigma, d);
        ++nfe;
        noise(ctx, n, 1 + c, z);  // every corrector its own draw (draw 0: the predictor)
        double gnorm = 0.0, znorm = 0.0;  // sums over rows of each row's norm
        for (std::size_t i = 0; i < n; ++i) {
            double g2 = 0.0, z2 = 0.0;
            for (std::size_t j = 0; j < dim; ++j) {
                const double g = (d[i * dim + j] - x[i * dim + j]) / (sigma * sigma);
                g2 += g * g;
                z2 += z[i * dim + j] * z[i * dim + j];
            }
            gnorm += std::sqrt(g2);
            znorm += std::sqrt(z2);
        }
        if (gnorm == 0.0) continue;
        const double ratio = o_.snr * znorm / gnorm;  // the batch means' ratio (the 1/n cancels)
        const double eps = 2.0 * ratio * ratio;
        for (std::size_t k = 0; k < m; ++k) x[k] += eps * (d[k] - x[k]) / (sigma * sigma) + std::sqrt(2.0 * eps) * z[k];
    }
    ctx.denoiser.denoise(x, n, sigma, d);
    ++nfe;
    noise(ctx, n, 0, z);
    const double sd = sigma_next > 0.0 ? update::euler_maruyama_noise_std(sigma, sigma_next) : 0.0;
    for (std::size_t k = 0; k < m; ++k)
        x[k] =
            sigma_next > 0.0 ? update::euler_maruyama_mean(x[k], d[k], sigma, sigma_next) + sd * z[k] : d[k];
    return nfe;
}

}  // namespace ayslab
