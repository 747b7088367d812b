// k-diffusion's DPMSolver class (sampling.py; Lu et al. 2022, "DPM-Solver"): singlestep DPM-Solver-1/2/3
// in the noise-prediction form, t = -log sigma, eps = (x - D) / sigma, h = t_next - t:
//   1: x - sigma(t_next) expm1(h) eps
//   2: u1 = x - sigma(s1) expm1(r1 h) eps, s1 = t + r1 h;
//      x - sigma(t_next) expm1(h) eps - sigma(t_next) / (2 r1) expm1(h) (eps(u1, s1) - eps)
//   3: u1 as in 2 (r1 = 1/3), u2 = x - sigma(s2) expm1(r2 h) eps - sigma(s2) (r2/r1) (expm1(r2 h)/(r2 h) - 1)
//      (eps(u1, s1) - eps), r2 = 2/3; x - sigma(t_next) expm1(h) eps - sigma(t_next)/r2 (expm1(h)/h - 1)
//      (eps(u2, s2) - eps)
// and the two drivers that place their own steps: sample_dpm_fast and sample_dpm_adaptive (eta = 0).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ayslab/error.hpp"
#include "ayslab/solver/steps.hpp"

namespace ayslab {

namespace {

double sigma_of(double t) { return std::exp(-t); }

// The schedule's ends as k-diffusion's wrappers (ComfyUI, A1111) pass them: sigma_max = the first
// sigma, sigma_min = the last positive one.
std::pair<double, double> own_range(const StepContext& ctx, std::string_view name) {
    const auto s = ctx.schedule;
    if (s.size() < 2) throw InputError(fmt::format("{} needs a schedule of at least one step", name));
    const double lo = s.back() > 0.0 ? s.back() : s[s.size() - 2];
    if (!(lo > 0.0) || !(lo < s.front()))
        throw InputError(fmt::format("{} needs a schedule with a positive sigma below sigma_max", name));
    return {s.front(), lo};
}

// eps = (x - D(x, sigma(t))) / sigma(t) into out.
void eps_at(const StepContext& ctx, std::span<const double> x, std::size_t n, double t, std::span<double> out) {
    const double sigma = sigma_of(t);
    ctx.denoiser.denoise(x, n, sigma, out);
    for (std::size_t k = 0; k < x.size(); ++k) out[k] = eps_from_denoised(x[k], out[k], sigma);
}

// The DPM-Solver stages on one batch; e0 (eps at (x, t)) is given, e1 / e2 and u are work buffers.
struct Stages {
    const StepContext& ctx;
    std::size_t n;
    std::span<double> u, e1, e2;

    void first(std::span<const double> x, std::span<const double> e0, double t, double t_next,
               std::span<double> out) const {
        const double a = sigma_of(t_next) * std::expm1(t_next - t);
        for (std::size_t k = 0; k < x.size(); ++k) out[k] = x[k] - a * e0[k];
    }
    // Evaluates e1 = eps(u1, s1) (1 evaluation).
    void eval_r1(std::span<const double> x, std::span<const double> e0, double t, double t_next, double r1) {
        const double h = t_next - t, s1 = t + r1 * h, a = sigma_of(s1) * std::expm1(r1 * h);
        for (std::size_t k = 0; k < x.size(); ++k) u[k] = x[k] - a * e0[k];
        eps_at(ctx, u, n, s1, e1);
    }
    void second(std::span<const double> x, std::span<const double> e0, double t, double t_next, double r1,
                std::span<double> out) const {
        const double h = t_next - t, a = sigma_of(t_next) * std::expm1(h), b = a / (2.0 * r1);
        for (std::size_t k = 0; k < x.size(); ++k) out[k] = x[k] - a * e0[k] - b * (e1[k] - e0[k]);
    }
    // Evaluates e2 = eps(u2, s2) (1 evaluation; needs e1 from eval_r1 with r1 = 1/3).
    void eval_r2(std::span<const double> x, std::span<const double> e0, double t, double t_next) {
        const double r1 = 1.0 / 3.0, r2 = 2.0 / 3.0, h = t_next - t, s2 = t + r2 * h;
        const double a = sigma_of(s2) * std::expm1(r2 * h);
        const double b = sigma_of(s2) * (r2 / r1) * (std::expm1(r2 * h) / (r2 * h) - 1.0);
        for (std::size_t k = 0; k < x.size(); ++k) u[k] = x[k] - a * e0[k] - b * (e1[k] - e0[k]);
        eps_at(ctx, u, n, s2, e2);
    }
    void third(std::span<const double> x, std::span<const double> e0, double t, double t_next,
               std::span<double> out) const {
        const double r2 = 2.0 / 3.0, h = t_next - t, a = sigma_of(t_next) * std::expm1(h);
        const double b = sigma_of(t_next) / r2 * (std::expm1(h) / h - 1.0);
        for (std::size_t k = 0; k < x.size(); ++k) out[k] = x[k] - a * e0[k] - b * (e2[k] - e0[k]);
    }
};

}  // namespace

// sample_dpm_fast: nfe = the schedule's steps; m = floor(nfe / 3) + 1 steps uniform in t; orders
// [3] * (m - 2) + [2, 1] when 3 divides nfe, else [3] * (m - 1) + [nfe mod 3].
std::size_t DpmFastSolver::solve(std::span<double> x, std::size_t n, const StepContext& ctx, const AfterStep& after_step) {
    const auto [sigma_max, sigma_min] = own_range(ctx, "dpm-fast");
    const std::size_t nfe = ctx.schedule.size() - 1, m = nfe / 3 + 1, size = x.size();
    const double t_start = -std::log(sigma_max), t_end = -std::log(sigma_min);
    Stages st{ctx, n, buffer(1, size), buffer(2, size), buffer(3, size)};
    auto e0 = buffer(0, size), out = buffer(4, size);
    // torch.linspace(t_start, t_end, m + 1): the first half from the start, the second from the end.
    const double step = (t_end - t_start) / static_cast<double>(m);
    auto grid = [&](std::size_t j) {
        return j < (m + 1) / 2 ? t_start + step * static_cast<double>(j) : t_end - step * static_cast<double>(m - j);
    };
    std::size_t used = 0;
    for (std::size_t i = 0; i < m; ++i) {
        std::size_t order = 3;
        if (nfe % 3 == 0) {
            if (i == m - 2) order = 2;
            if (i == m - 1) order = 1;
        } else if (i == m - 1) {
            order = nfe % 3;
        }
        const double t = grid(i), t_next = grid(i + 1);
        eps_at(ctx, x, n, t, e0);
        ++used;
        if (order == 1) {
            st.first(x, e0, t, t_next, out);
        } else if (order == 2) {
            st.eval_r1(x, e0, t, t_next, 0.5);
            st.second(x, e0, t, t_next, 0.5, out);
            ++used;
        } else {
            st.eval_r1(x, e0, t, t_next, 1.0 / 3.0);
            st.eval_r2(x, e0, t, t_next);
            st.third(x, e0, t, t_next, out);
            used += 2;
        }
        std::copy(out.begin(), out.end(), x.begin());
    }
    if (after_step) after_step(ctx.schedule.size() - 1, sigma_min, x);  // the schedule's steps, its last sigma > 0
    return used;
}

// sample_dpm_adaptive, order 3, eta = 0: from s, try t = min(t_end, s + h): x_low = DPM-Solver-2 (r1 =
// 1/3), x_high = DPM-Solver-3 (sharing eps and eps(u1)); error = RMS of (x_low - x_high) / max(atol,
// rtol max(|x_low|, |x_prev|)); k-diffusion's PID controller (p = 0, i = 1, d = 0, order 3, accept
// safety 0.81, h_init 0.05) proposes h *= 1 + atan(f - 1), f = (1 / (error + 1e-8))^(1/3), and accepts
// when that factor >= 0.81.
std::size_t DpmAdaptiveSolver::solve(std::span<double> x, std::size_t n, const StepContext& ctx, const AfterStep& after_step) {
    const auto [sigma_max, sigma_min] = own_range(ctx, "dpm-adaptive");
    const std::size_t size = x.size();
    const double t_start = -std::log(sigma_max), t_end = -std::log(sigma_min);
    Stages st{ctx, n, buffer(1, size), buffer(2, size), buffer(3, size)};
    auto e0 = buffer(0, size), low = buffer(4, size), high = buffer(5, size), prev = buffer(6, size);
    std::copy(x.begin(), x.end(), prev.begin());
    const double order = 3.0, b1 = 1.0 / order, accept_safety = 0.81;  // pcoeff = dcoeff = 0, icoeff = 1
    double h = 0.05, s = t_start;
    std::size_t used = 0;
    while (s < t_end - 1e-5) {
        const double t = std::min(t_end, s + h);
        eps_at(ctx, x, n, s, e0);
        st.eval_r1(x, e0, s, t, 1.0 / 3.0);
        st.second(x, e0, s, t, 1.0 / 3.0, low);
        st.eval_r2(x, e0, s, t);
        st.third(x, e0, s, t, high);
        used += 3;
        double sum = 0.0;
        for (std::size_t k = 0; k < size; ++k) {
            const double delta = std::max(o_.dpm_atol, o_.dpm_rtol * std::max(std::abs(low[k]), std::abs(prev[k])));
            const double r = (low[k] - high[k]) / delta;
            sum += r * r;
        }
        const double error = std::sqrt(sum) / std::sqrt(static_cast<double>(size));
        // PIDStepSizeController.propose_step with b2 = b3 = 0: only the newest inverse error counts.
        const double factor = 1.0 + std::atan(std::pow(1.0 / (error + 1e-8), b1) - 1.0);
        const bool accept = factor >= accept_safety;
        h *= factor;
        if (accept) {
            std::copy(low.begin(), low.end(), prev.begin());
            std::copy(high.begin(), high.end(), x.begin());
            s = t;
        }
    }
    if (after_step) after_step(ctx.schedule.size() - 1, sigma_min, x);  // the schedule's steps, its last sigma > 0
    return used;
}

}  // namespace ayslab
