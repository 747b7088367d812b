#include "ayslab/schedule/schedule.hpp"

#include <fmt/format.h>

#include <cmath>

#include "ayslab/error.hpp"

namespace ayslab {

Schedule::Schedule(std::vector<double> sigmas) : sigmas_(std::move(sigmas)) {
    if (sigmas_.size() < 2)
        throw InputError(fmt::format("a schedule needs at least 2 sigma values, got {}", sigmas_.size()));
    for (std::size_t i = 0; i < sigmas_.size(); ++i) {
        const double v = sigmas_[i];
        const bool last = i + 1 == sigmas_.size();
        if (!std::isfinite(v) || !(v > 0.0 || (last && v == 0.0)))
            throw InputError(fmt::format("schedule sigma[{}] = {} is not a positive finite number", i, v));
        if (i > 0 && !(v < sigmas_[i - 1]))
            throw InputError(fmt::format("schedule is not strictly decreasing at position {}: {} follows {}",
                                         i, v, sigmas_[i - 1]));
    }
}

std::vector<double> Schedule::times(const Process& process) const {
    std::vector<double> t(sigmas_.size());
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = process.t_of_sigma(sigmas_[i]);
    return t;
}

void check_schedule_range(std::size_t steps, double sigma_min, double sigma_max) {
    if (steps < 1) throw InputError("a schedule needs at least 1 step");
    if (!std::isfinite(sigma_min) || !(sigma_min > 0.0))
        throw InputError(fmt::format("sigma_min = {} must be positive and finite", sigma_min));
    if (!std::isfinite(sigma_max) || !(sigma_max > sigma_min))
        throw InputError(
            fmt::format("sigma_max = {} must be finite and > sigma_min = {}", sigma_max, sigma_min));
}

namespace {
// Builds sigma_i = map(i / steps) for i = 0..steps, with the end points pinned exactly.
template <class Map>
Schedule from_fraction(std::size_t steps, double sigma_min, double sigma_max, Map map) {
    std::vector<double> s(steps + 1);
    s.front() = sigma_max;
    s.back() = sigma_min;
    for (std::size_t i = 1; i < steps; ++i) s[i] = map(static_cast<double>(i) / static_cast<double>(steps));
    return Schedule(std::move(s));
}
}  // namespace

Schedule karras(std::size_t steps, double sigma_min, double sigma_max, double rho) {
    check_schedule_range(steps, sigma_min, sigma_max);
    if (!(rho > 0.0) || !std::isfinite(rho)) throw InputError(fmt::format("rho = {} must be positive", rho));
    const double a = std::pow(sigma_max, 1.0 / rho), b = std::pow(sigma_min, 1.0 / rho);
    return from_fraction(steps, sigma_min, sigma_max,
                         [&](double u) { return std::pow(a + u * (b - a), rho); });
}

Schedule log_uniform(std::size_t steps, double sigma_min, double sigma_max) {
    check_schedule_range(steps, sigma_min, sigma_max);
    const double a = std::log(sigma_max), b = std::log(sigma_min);
    return from_fraction(steps, sigma_min, sigma_max, [&](double u) { return std::exp(a + u * (b - a)); });
}

Schedule uniform_t(std::size_t steps, double sigma_min, double sigma_max, const Process& process) {
    check_schedule_range(steps, sigma_min, sigma_max);
    const double a = process.t_of_sigma(sigma_max), b = process.t_of_sigma(sigma_min);
    return from_fraction(steps, sigma_min, sigma_max,
                         [&](double u) { return process.sigma(a + u * (b - a)); });
}

Schedule arctan_optimal(std::size_t steps, double sigma_min, double sigma_max, double c) {
    check_schedule_range(steps, sigma_min, sigma_max);
    if (!(c > 0.0) || !std::isfinite(c)) throw InputError(fmt::format("c = {} must be positive", c));
    const double a = std::atan(sigma_max / c), b = std::atan(sigma_min / c);
    return from_fraction(steps, sigma_min, sigma_max,
                         [&](double u) { return c * std::tan(a + u * (b - a)); });
}

}  // namespace ayslab
