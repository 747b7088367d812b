#include "ayslab/published.hpp"

#include <fmt/format.h>

#include <cmath>

#include "ayslab/ddpm.hpp"
#include "ayslab/error.hpp"

namespace ayslab {

PublishedAys parse_published_ays(std::string_view name) {
    if (name == "sd15") return PublishedAys::sd15;
    if (name == "sdxl") return PublishedAys::sdxl;
    if (name == "svd") return PublishedAys::svd;
    throw InputError(fmt::format("unknown published AYS schedule '{}' (known: sd15, sdxl, svd)", name));
}

std::string published_ays_process(PublishedAys model) {
    return model == PublishedAys::svd ? "edm" : "ddpm-scaled-linear";
}

std::vector<int> published_ays_timesteps(PublishedAys model) {
    switch (model) {
        case PublishedAys::sd15:
            return {999, 850, 736, 645, 545, 455, 343, 233, 124, 24, 0};
        case PublishedAys::sdxl:
            return {999, 845, 730, 587, 443, 310, 193, 116, 53, 13, 0};
        case PublishedAys::svd:
            return {};
    }
    return {};
}

std::vector<double> published_ays_sigmas(PublishedAys model) {
    if (model == PublishedAys::svd)
        return {700.00, 54.5, 15.886, 7.977, 4.248, 1.789, 0.981, 0.403, 0.173, 0.034, 0.002};
    const DdpmProcess sd(BetaSchedule::scaled_linear, "ddpm-scaled-linear");
    std::vector<double> s;
    for (int t : published_ays_timesteps(model)) s.push_back(sd.sigma(t));
    return s;
}

std::vector<double> published_ays_page_sigmas(PublishedAys model) {
    switch (model) {
        case PublishedAys::sd15:
            return {14.615, 6.475, 3.861, 2.697, 1.886, 1.396, 0.963, 0.652, 0.399, 0.152, 0.029};
        case PublishedAys::sdxl:
            return {14.615, 6.315, 3.771, 2.181, 1.342, 0.862, 0.555, 0.380, 0.234, 0.113, 0.029};
        case PublishedAys::svd:
            return published_ays_sigmas(model);
    }
    return {};
}

std::vector<double> loglinear_interpolate(std::span<const double> sigmas, std::size_t count) {
    if (sigmas.size() < 2) throw InputError("log-linear interpolation needs at least 2 points");
    if (count < 2)
        throw InputError(fmt::format("log-linear interpolation to {} points: need at least 2", count));
    for (std::size_t i = 0; i < sigmas.size(); ++i)
        if (!(sigmas[i] > 0.0) || (i > 0 && !(sigmas[i] < sigmas[i - 1])))
            throw InputError(fmt::format(
                "log-linear interpolation: sigma[{}] = {} is not positive and decreasing", i, sigmas[i]));
    // Ascending log values ys over xs = linspace(0, 1, m); evaluate at linspace(0, 1, count).
    const std::size_t m = sigmas.size();
    std::vector<double> ys(m);
    for (std::size_t i = 0; i < m; ++i) ys[i] = std::log(sigmas[m - 1 - i]);
    std::vector<double> out(count);
    for (std::size_t k = 0; k < count; ++k) {
        const double x = static_cast<double>(k) / static_cast<double>(count - 1) * static_cast<double>(m - 1);
        const auto j = std::min(static_cast<std::size_t>(x), m - 2);
        const double frac = x - static_cast<double>(j);
        out[count - 1 - k] = std::exp(ys[j] + frac * (ys[j + 1] - ys[j]));
    }
    out.front() = sigmas.front();  // end points exactly
    out.back() = sigmas.back();
    return out;
}

namespace {
// The published list interpolated to steps + 1 values; the last `run` steps kept, the last value 0.
Schedule published_tail(std::vector<double> published, std::size_t steps, std::size_t run) {
    auto s = steps + 1 == published.size() ? published : loglinear_interpolate(published, steps + 1);
    std::vector<double> kept(s.end() - static_cast<std::ptrdiff_t>(run + 1), s.end());
    kept.back() = 0.0;
    return Schedule(std::move(kept));
}

void check_published(std::size_t steps, double denoise) {
    if (steps < 1) throw InputError("an AYS schedule needs at least 1 step");
    if (!(denoise > 0.0 && denoise <= 1.0)) throw InputError(fmt::format("denoise = {} must be in (0, 1]", denoise));
}

std::size_t steps_to_run(double run, std::size_t steps, double denoise) {
    if (run < 1.0) throw InputError(fmt::format("denoise = {} of {} steps leaves no step to run", denoise, steps));
    return static_cast<std::size_t>(run);
}
}  // namespace

Schedule published_ays_schedule(PublishedAys model, std::size_t steps, double denoise) {
    check_published(steps, denoise);
    // Python's round(): to nearest, halves to even (std::nearbyint in the default rounding mode).
    const double run = std::nearbyint(static_cast<double>(steps) * denoise);
    return published_tail(published_ays_sigmas(model), steps, steps_to_run(run, steps, denoise));
}

Schedule published_ays_page_schedule(PublishedAys model, std::size_t steps, double denoise) {
    check_published(steps, denoise);
    const double run = std::floor(static_cast<double>(steps) * denoise);
    return published_tail(published_ays_page_sigmas(model), steps, steps_to_run(run, steps, denoise));
}

}  // namespace ayslab
