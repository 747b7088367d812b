#include "ayslab/schedule/published.hpp"

#include <fmt/format.h>

#include <cmath>

#include "ayslab/process/ddpm.hpp"
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

// ---- ComfyUI's fixed tables for other optimisers ------------------------------------------------
// GITS (Chen et al. 2024), from ComfyUI comfy_extras/nodes_gits.py (taken there from
// zju-pi/diff-sampler gits-main): NOISE_LEVELS[1.20] — the GITSScheduler node's default coeff — one row
// of SD 1.5 sigmas per step count 2..20 (steps + 1 values, 14.61464119 ... 0.02916753).
namespace {
const std::vector<std::vector<double>>& gits_sd15_rows() {
    static const std::vector<std::vector<double>> rows = {
        {14.61464119, 0.803307, 0.02916753},
        {14.61464119, 1.56271636, 0.52423614, 0.02916753},
        {14.61464119, 2.36326075, 0.92192322, 0.36617002, 0.02916753},
        {14.61464119, 2.84484982, 1.24153244, 0.59516323, 0.25053367, 0.02916753},
        {14.61464119, 5.85520077, 2.05039096, 0.95350921, 0.45573691, 0.17026083, 0.02916753},
        {14.61464119, 5.85520077, 2.45070267, 1.24153244, 0.64427125, 0.29807833, 0.09824532, 0.02916753},
        {14.61464119, 5.85520077, 2.45070267, 1.36964464, 0.803307, 0.45573691, 0.25053367, 0.09824532, 0.02916753},
        {14.61464119, 5.85520077, 2.84484982, 1.61558151, 0.95350921, 0.59516323, 0.36617002, 0.19894916, 0.09824532, 0.02916753},
        {14.61464119, 5.85520077, 2.84484982, 1.67050016, 1.08895338, 0.74807048, 0.50118381, 0.32104823, 0.19894916, 0.09824532, 0.02916753},
        {14.61464119, 5.85520077, 2.95596409, 1.84880662, 1.24153244, 0.83188516, 0.59516323, 0.41087446, 0.27464288, 0.17026083, 0.09824532, 0.02916753},
        {14.61464119, 5.85520077, 3.07277966, 1.98035145, 1.36964464, 0.95350921, 0.69515091, 0.50118381, 0.36617002, 0.25053367, 0.17026083, 0.09824532, 0.02916753},
        {14.61464119, 6.77309084, 3.46139455, 2.36326075, 1.56271636, 1.08895338, 0.803307, 0.59516323, 0.45573691, 0.34370604, 0.25053367, 0.17026083, 0.09824532, 0.02916753},
        {14.61464119, 6.77309084, 3.46139455, 2.45070267, 1.61558151, 1.162866, 0.86115354, 0.64427125, 0.50118381, 0.38853383, 0.29807833, 0.22545385, 0.17026083, 0.09824532, 0.02916753},
        {14.61464119, 7.49001646, 4.65472794, 3.07277966, 2.12350607, 1.51179266, 1.08895338, 0.83188516, 0.64427125, 0.50118381, 0.38853383, 0.29807833, 0.22545385, 0.17026083, 0.09824532, 0.02916753},
        {14.61464119, 7.49001646, 4.65472794, 3.07277966, 2.12350607, 1.51179266, 1.08895338, 0.83188516, 0.64427125, 0.50118381, 0.41087446, 0.32104823, 0.25053367, 0.19894916, 0.13792117, 0.09824532, 0.02916753},
        {14.61464119, 7.49001646, 4.65472794, 3.07277966, 2.12350607, 1.51179266, 1.08895338, 0.83188516, 0.64427125, 0.50118381, 0.41087446, 0.34370604, 0.27464288, 0.22545385, 0.17026083, 0.13792117, 0.09824532, 0.02916753},
        {14.61464119, 7.49001646, 4.65472794, 3.07277966, 2.19988537, 1.61558151, 1.20157266, 0.92192322, 0.72133851, 0.57119018, 0.45573691, 0.36617002, 0.29807833, 0.25053367, 0.19894916, 0.17026083, 0.13792117, 0.09824532, 0.02916753},
        {14.61464119, 7.49001646, 4.65472794, 3.07277966, 2.19988537, 1.61558151, 1.24153244, 0.95350921, 0.74807048, 0.59516323, 0.4783645, 0.38853383, 0.32104823, 0.27464288, 0.22545385, 0.19894916, 0.17026083, 0.13792117, 0.09824532, 0.02916753},
        {14.61464119, 7.49001646, 4.65472794, 3.07277966, 2.19988537, 1.61558151, 1.24153244, 0.95350921, 0.74807048, 0.59516323, 0.50118381, 0.41087446, 0.34370604, 0.29807833, 0.25053367, 0.22545385, 0.19894916, 0.17026083, 0.13792117, 0.09824532, 0.02916753},
    };
    return rows;
}

// OSS (Pei et al. 2025), from ComfyUI comfy_extras/nodes_optimalsteps.py (taken there from
// bebebe666/OptimalSteps): NOISE_LEVELS in flow-matching t = sigma / (1 + sigma). Wan's list starts at
// t = 1 (sigma = infinity in this convention) and is not offered.
const std::vector<double>& oss_flow_times(std::string_view model) {
    static const std::vector<double> flux = {0.9968, 0.9886, 0.9819, 0.975, 0.966, 0.9471,
                                             0.9158, 0.8287, 0.5512, 0.2808, 0.001};
    static const std::vector<double> chroma = {
        0.992, 0.99,  0.988, 0.985, 0.982, 0.978, 0.973, 0.968, 0.961, 0.953, 0.943, 0.931, 0.917, 0.9,
        0.881, 0.858, 0.832, 0.802, 0.769, 0.731, 0.69,  0.646, 0.599, 0.55,  0.501, 0.451, 0.402, 0.355,
        0.311, 0.27,  0.232, 0.199, 0.169, 0.143, 0.12,  0.101, 0.084, 0.07,  0.058, 0.048, 0.001};
    if (model == "flux") return flux;
    if (model == "chroma") return chroma;
    throw InputError(fmt::format("unknown OSS table '{}' (known: flux, chroma)", model));
}

// ComfyUI's denoise rule for these nodes (as for its AYS node): of the steps + 1 values keep the last
// round(steps * denoise) + 1, Python's round (halves to even).
std::size_t comfyui_run(std::size_t steps, double denoise) {
    check_published(steps, denoise);
    return steps_to_run(std::nearbyint(static_cast<double>(steps) * denoise), steps, denoise);
}
}  // namespace

std::vector<double> comfyui_gits_sigmas(std::size_t steps) {
    if (steps < 2) throw InputError("ComfyUI's GITS table starts at 2 steps");
    const auto& rows = gits_sd15_rows();
    if (steps <= 20) return rows[steps - 2];
    return loglinear_interpolate(rows.back(), steps + 1);
}

Schedule comfyui_gits_schedule(std::size_t steps, double denoise) {
    const std::size_t run = comfyui_run(steps, denoise);
    return published_tail(comfyui_gits_sigmas(steps), steps, run);
}

std::vector<double> comfyui_oss_flow_times(std::string_view model, std::size_t steps) {
    if (steps < 3) throw InputError("ComfyUI's OSS tables start at 3 steps");
    const auto& t = oss_flow_times(model);
    return steps + 1 == t.size() ? t : loglinear_interpolate(t, steps + 1);
}

Schedule comfyui_oss_schedule(std::string_view model, std::size_t steps, double denoise) {
    const std::size_t run = comfyui_run(steps, denoise);
    const auto t = comfyui_oss_flow_times(model, steps);
    // Interpolated (and cut) in t as ComfyUI does, then sigma = t / (1 - t); the last value 0.
    std::vector<double> sigmas;
    for (auto it = t.end() - static_cast<std::ptrdiff_t>(run + 1); it != t.end(); ++it) sigmas.push_back(*it / (1.0 - *it));
    sigmas.back() = 0.0;
    return Schedule(std::move(sigmas));
}

}  // namespace ayslab
