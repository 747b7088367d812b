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

Schedule published_ays_schedule(PublishedAys model, std::size_t steps) {
    if (steps < 1) throw InputError("an AYS schedule needs at least 1 step");
    const auto published = published_ays_sigmas(model);
    auto s = steps + 1 == published.size() ? published : loglinear_interpolate(published, steps + 1);
    s.back() = 0.0;
    return Schedule(std::move(s));
}

}  // namespace ayslab
