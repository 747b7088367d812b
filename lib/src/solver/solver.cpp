// The one solver base: buffers, the multistep history, addressed noise.
#include "ayslab/solver/solver.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ayslab/error.hpp"

#include "ayslab/rng.hpp"

namespace ayslab {

const std::vector<std::string>& solver_option_keys() {
    static const std::vector<std::string> keys = {"eta",  "s_churn",         "s_tmin",        "s_tmax",  "s_noise",
                                                  "snr",  "corrector_steps", "kdiffusion_3m", "brownian"};
    return keys;
}

void set_solver_option(SolverOptions& o, std::string_view key, double value) {
    if (key == "eta") o.eta = value;
    else if (key == "s_churn") o.s_churn = value;
    else if (key == "s_tmin") o.s_tmin = value;
    else if (key == "s_tmax") o.s_tmax = value;
    else if (key == "s_noise") o.s_noise = value;
    else if (key == "snr") o.snr = value;
    else if (key == "corrector_steps") {
        if (!(value >= 0.0 && value <= 1000.0 && value == std::floor(value)))
            throw InputError(fmt::format("corrector_steps = {} is not a count in [0, 1000]", value));
        o.corrector_steps = static_cast<std::size_t>(value);
    }
    else if (key == "kdiffusion_3m") o.kdiffusion_3m = value != 0.0;
    else if (key == "brownian") o.brownian = value != 0.0;
    else
        throw InputError(fmt::format("unknown solver option '{}' (known: {})", key, fmt::join(solver_option_keys(), ", ")));
}

void History::push(double sigma, std::span<const double> v, std::size_t keep) {
    if (count_ == keep) {  // full: the oldest slot becomes the newest (no allocation)
        std::rotate(slots_.begin(), slots_.begin() + 1, slots_.begin() + static_cast<std::ptrdiff_t>(count_));
        std::rotate(sigmas_.begin(), sigmas_.begin() + 1,
                    sigmas_.begin() + static_cast<std::ptrdiff_t>(count_));
        --count_;
    }
    if (slots_.size() <= count_) {
        slots_.emplace_back();
        sigmas_.push_back(0.0);
    }
    slots_[count_].assign(v.begin(), v.end());
    sigmas_[count_] = sigma;
    ++count_;
}

void Solver::prepare(std::size_t n, std::size_t d) {
    buffers_.assign(count_, std::vector<double>(n * d));
    history_.clear();
}

std::span<double> Solver::buffer(std::size_t k, std::size_t size) {
    if (buffers_.size() <= k) buffers_.resize(k + 1);
    if (buffers_[k].size() < size) buffers_[k].resize(size);  // only if prepare() was skipped
    return {buffers_[k].data(), size};
}

StepNoiseAddress Solver::noise_address(std::size_t step, std::size_t draw) const {
    return step_noise_address(step, draw);
}

void Solver::noise(const StepContext& ctx, std::size_t n, std::size_t draw, std::span<double> z) const {
    const std::size_t d = n > 0 ? z.size() / n : 0;
    if (const NoiseTable* t = ctx.noise) {
        if (ctx.step >= t->steps || draw >= t->draws)
            throw InputError(fmt::format("the noise file has {} steps x {} draws; the sampler needs draw {} of step {}",
                                         t->steps, t->draws, draw, ctx.step));
        if (t->dim != d || ctx.first_particle + n > t->particles)
            throw InputError(fmt::format("the noise file is for {} particles of dimension {}; the run has more or another",
                                         t->particles, t->dim));
        const std::size_t from = ((ctx.step * t->draws + draw) * t->particles + ctx.first_particle) * d;
        std::copy_n(t->values.begin() + static_cast<std::ptrdiff_t>(from), z.size(), z.begin());
        return;
    }
    const auto a = noise_address(ctx.step, draw);
    fill_normal_flat(ctx.seed, static_cast<std::uint64_t>(Stream::step_noise), a.step_word, ctx.first_particle * d,
                     z, a.sub_word);
}

std::size_t StepSolver::solve(std::span<double> x, std::size_t n, const StepContext& ctx, const AfterStep& after_step) {
    const auto s = ctx.schedule;
    std::size_t nfe = 0;
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        const StepContext at{ctx.denoiser, ctx.seed, ctx.first_particle, i, s, ctx.noise};
        nfe += step(x, n, s[i], s[i + 1], at);
        if (after_step) after_step(i + 1, s[i + 1], x);
    }
    return nfe;
}

double Solver::churn(std::span<double> x, std::size_t n, double sigma, const StepContext& ctx,
                     std::span<double> z) const {
    const double steps = ctx.schedule.empty() ? 1.0 : static_cast<double>(ctx.schedule.size() - 1);
    const double gamma =
        (sigma >= o_.s_tmin && sigma <= o_.s_tmax) ? std::min(o_.s_churn / steps, std::sqrt(2.0) - 1.0) : 0.0;
    if (!(gamma > 0.0)) return sigma;
    const double hat = sigma * (1.0 + gamma);
    noise(ctx, n, 0, z);
    const double add = o_.s_noise * std::sqrt(hat * hat - sigma * sigma);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] += add * z[k];
    return hat;
}

}  // namespace ayslab
