#include "ayslab/process/ddpm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "ayslab/error.hpp"

namespace ayslab {

namespace {
std::vector<double> make_betas(BetaSchedule schedule, int steps) {
    std::vector<double> beta(steps + 1, 0.0);
    const double n = steps;
    switch (schedule) {
        case BetaSchedule::linear:  // linspace(1e-4, 0.02, T)
            for (int t = 1; t <= steps; ++t) beta[t] = 1e-4 + (0.02 - 1e-4) * (t - 1) / (n - 1);
            break;
        case BetaSchedule::scaled_linear: {  // Stable Diffusion: linspace(sqrt(8.5e-4), sqrt(0.012))^2
            const double a = std::sqrt(0.00085), b = std::sqrt(0.012);
            for (int t = 1; t <= steps; ++t) {
                const double r = a + (b - a) * (t - 1) / (n - 1);
                beta[t] = r * r;
            }
            break;
        }
        case BetaSchedule::cosine: {  // Nichol & Dhariwal, s = 0.008, beta capped at 0.999
            const double s = 0.008;
            auto f = [&](double u) {
                const double c = std::cos((u + s) / (1.0 + s) * std::numbers::pi / 2.0);
                return c * c;
            };
            for (int t = 1; t <= steps; ++t) beta[t] = std::min(1.0 - f(t / n) / f((t - 1) / n), 0.999);
            break;
        }
    }
    return beta;
}
}  // namespace

DdpmTable::DdpmTable(BetaSchedule schedule, int steps) {
    if (steps < 2) throw InputError(fmt::format("DDPM table needs at least 2 steps, got {}", steps));
    beta_ = make_betas(schedule, steps);
    log_alpha_bar_.assign(steps + 1, 0.0);
    for (int t = 1; t <= steps; ++t) log_alpha_bar_[t] = log_alpha_bar_[t - 1] + std::log1p(-beta_[t]);
}

void DdpmTable::check_index(int t, int lo) const {
    if (t < lo || t > steps())
        throw InputError(fmt::format("DDPM timestep {} outside [{}, {}]", t, lo, steps()));
}

double DdpmTable::beta(int t) const {
    check_index(t, 1);
    return beta_[t];
}

double DdpmTable::alpha_bar(int t) const {
    check_index(t, 0);
    return std::exp(log_alpha_bar_[t]);
}

double DdpmTable::sigma(int t) const {
    check_index(t, 0);
    return std::sqrt(std::expm1(-log_alpha_bar_[t]));
}

DdpmPosterior DdpmTable::posterior(int t) const {
    check_index(t, 1);
    const double ab_prev = alpha_bar(t - 1), b = beta_[t];
    const double one_minus_ab = -std::expm1(log_alpha_bar_[t]);
    const double one_minus_ab_prev = -std::expm1(log_alpha_bar_[t - 1]);
    return {std::sqrt(ab_prev) * b / one_minus_ab, std::sqrt(1.0 - b) * one_minus_ab_prev / one_minus_ab,
            one_minus_ab_prev / one_minus_ab * b};
}

DdpmProcess::DdpmProcess(BetaSchedule schedule, std::string name, int steps)
    : name_(std::move(name)), table_(schedule, steps) {
    log_sigma_.resize(steps);
    for (int k = 0; k < steps; ++k) log_sigma_[k] = std::log(table_.sigma(k + 1));
}

std::size_t DdpmProcess::segment(double t, double& frac) const {
    if (!(t >= 0.0 && t <= t_max()))
        throw InputError(fmt::format("{} timestep {} outside [0, {}]", name_, t, t_max()));
    const auto last = log_sigma_.size() - 1;
    auto k = static_cast<std::size_t>(std::floor(t));
    if (k >= last) k = last - 1;
    frac = t - static_cast<double>(k);
    return k;
}

double DdpmProcess::sigma(double t) const {
    double frac = 0.0;
    const auto k = segment(t, frac);
    return std::exp(log_sigma_[k] + frac * (log_sigma_[k + 1] - log_sigma_[k]));
}

double DdpmProcess::dsigma_dt(double t) const {
    double frac = 0.0;
    const auto k = segment(t, frac);
    return sigma(t) * (log_sigma_[k + 1] - log_sigma_[k]);
}

double DdpmProcess::s(double t) const {
    const double sg = sigma(t);
    return 1.0 / std::sqrt(1.0 + sg * sg);
}

double DdpmProcess::ds_dt(double t) const {
    const double st = s(t);
    return -st * st * st * sigma(t) * dsigma_dt(t);
}

double DdpmProcess::t_of_sigma(double sg) const {
    const double ls = std::log(sg);
    if (!(sg > 0.0) || ls < log_sigma_.front() - 1e-12 || ls > log_sigma_.back() + 1e-12)
        throw InputError(fmt::format("sigma {} outside the {} range [{}, {}]", sg, name_,
                                     std::exp(log_sigma_.front()), std::exp(log_sigma_.back())));
    auto it = std::upper_bound(log_sigma_.begin(), log_sigma_.end(), ls);
    if (it == log_sigma_.end()) --it;
    if (it == log_sigma_.begin()) ++it;
    const auto k = static_cast<std::size_t>(it - log_sigma_.begin()) - 1;
    const double frac = (ls - log_sigma_[k]) / (log_sigma_[k + 1] - log_sigma_[k]);
    return static_cast<double>(k) + std::clamp(frac, 0.0, 1.0);
}

}  // namespace ayslab
