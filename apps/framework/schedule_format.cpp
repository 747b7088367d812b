#include "schedule_format.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "ayslab/error.hpp"

namespace ayslab::app {

namespace {
bool is_ddpm(const Process& p) { return p.name().starts_with("ddpm"); }

// Every number in its shortest form that reads back to the same double (fmt's "{}").
std::string joined(const std::vector<double>& v) {
    std::vector<std::string> parts;
    for (double x : v) parts.push_back(fmt::format("{}", x));
    return fmt::format("{}", fmt::join(parts, ", "));
}

std::vector<double> values(const Schedule& s) { return {s.sigmas().begin(), s.sigmas().end()}; }

// The peers' N-step list: the first N sigmas (each step's start) and a final 0, the last step going
// to the clean sample. NVIDIA's published 11-value AYS lists become exactly this in diffusers
// (AysSchedules["StableDiffusionSigmas"] ends 0.152, 0.0) and ComfyUI (AlignYourStepsScheduler:
// sigmas[-1] = 0). A schedule that already ends at 0 (karras-kdiffusion) is kept as it is.
std::vector<double> pasted(const Schedule& s) {
    auto v = values(s);
    if (!s.ends_at_zero()) v.back() = 0.0;
    return v;
}

// In the process's own units where a pipeline takes them (flow: t = sigma / (1 + sigma) in [0, 1]).
std::vector<double> in_units(std::vector<double> v, const Process& p) {
    if (p.name() == "flow")
        for (double& x : v) x = x > 0.0 ? p.t_of_sigma(x) : 0.0;
    return v;
}
}  // namespace

std::vector<std::string> schedule_formats() { return {"json", "list", "diffusers", "kdiffusion", "comfyui"}; }

// A sigma printed to three decimals (NVIDIA's published lists: 14.615 for SD's 14.6146, 0.029 for
// 0.02917) can round just outside a DDPM process's range; within half a unit of that third decimal it
// is the range's end, whose timestep is 999 or 0. Anything further out is refused by t_of_sigma.
static double timestep_sigma(double s, const Process& process) {
    constexpr double printed_rounding = 5e-4;
    const double lo = process.sigma(process.t_min()), hi = process.sigma(process.t_max());
    if (s > hi && s - hi <= printed_rounding) return hi;
    if (s < lo && lo - s <= printed_rounding) return lo;
    return s;
}

std::vector<long> schedule_timesteps(const Schedule& schedule, const Process& process) {
    std::vector<long> ts;
    for (double s : schedule.sigmas())
        if (s > 0.0) ts.push_back(std::lround(process.t_of_sigma(timestep_sigma(s, process))));
    return ts;
}

std::vector<long> diffusers_timesteps(const Schedule& schedule, const Process& process) {
    auto ts = schedule_timesteps(schedule, process);
    ts.resize(schedule.steps());  // one per step: each step's start (diffusers: len(timesteps) steps)
    for (std::size_t i = 1; i < ts.size(); ++i)
        if (ts[i] >= ts[i - 1])
            throw InputError(fmt::format(
                "format=diffusers: steps {} and {} both start at timestep {} after rounding (sigma {:.6g} and {:.6g}): "
                "{} steps are too many for integer timesteps here; use fewer steps, or format=kdiffusion / "
                "comfyui (sigmas)",
                i, i + 1, ts[i - 1], schedule.sigmas()[i - 1], schedule.sigmas()[i], schedule.steps()));
    return ts;
}

nlohmann::json schedule_json(const Schedule& schedule, const Process& process) {
    nlohmann::json j = {{"steps", schedule.steps()}, {"sigmas", values(schedule)}};
    if (is_ddpm(process)) {
        j["timesteps"] = schedule_timesteps(schedule, process);
    } else {
        std::vector<double> t;
        for (double s : schedule.sigmas()) t.push_back(process.t_of_sigma(s));
        j["t"] = t;
    }
    return j;
}

nlohmann::json schedule_exports(const Schedule& schedule, const Process& process) {
    nlohmann::json out = {{"steps", schedule.steps()}, {"peer_sigmas", in_units(pasted(schedule), process)}};
    if (is_ddpm(process)) {
        try {
            out["timesteps"] = diffusers_timesteps(schedule, process);
        } catch (const InputError& e) {
            out["timesteps_error"] = e.what();
        }
    }
    return out;
}

std::vector<std::string> format_schedule(const Schedule& schedule, const Process& process,
                                         const std::string& format) {
    const auto sig = values(schedule);
    if (format == "json") return {schedule_json(schedule, process).dump()};
    if (format == "diffusers") {
        // DDPM-discrete pipelines: pipe(..., timesteps=[N integers]) (diffusers: N steps).
        if (is_ddpm(process)) {
            // diffusers runs the table's sigma at each integer timestep, not the sigma asked for: say which,
            // and the largest relative deviation (up to a few percent for SD at 32 steps).
            const auto ts = diffusers_timesteps(schedule, process);
            std::vector<double> run;
            double worst = 0.0;
            std::size_t at = 0;
            for (std::size_t i = 0; i < ts.size(); ++i) {
                run.push_back(process.sigma(static_cast<double>(ts[i])));
                const double dev = std::abs(run.back() / schedule.sigmas()[i] - 1.0);
                if (dev > worst) worst = dev, at = i;
            }
            return {fmt::format("timesteps=[{}]", fmt::join(ts, ", ")),
                    fmt::format("# diffusers runs sigmas [{}] at these timesteps: largest deviation {:.3g}% (step {}, "
                                "sigma {:.6g} -> {:.6g})",
                                joined(run), 100.0 * worst, at + 1, schedule.sigmas()[at], run[at])};
        }
        // FlowMatchEulerDiscreteScheduler.set_timesteps(sigmas=...) takes N values in t units and
        // appends the final 0 itself.
        if (process.name() == "flow") {
            auto t = in_units(pasted(schedule), process);
            t.pop_back();
            return {fmt::format("sigmas=[{}]", joined(t))};
        }
        // Karras-sigma schedulers (EulerDiscreteScheduler(sigmas=...)): N + 1 values ending in 0, N steps.
        return {fmt::format("sigmas=[{}]", joined(pasted(schedule)))};
    }
    // k-diffusion's samplers and ComfyUI's SIGMAS: N + 1 values ending in 0 (get_sigmas_karras appends 0).
    if (format == "kdiffusion") return {fmt::format("torch.tensor([{}])", joined(in_units(pasted(schedule), process)))};
    if (format == "comfyui") return {joined(in_units(pasted(schedule), process))};
    // list: one line of sigmas, then the process's own t or timesteps.
    std::vector<std::string> out = {fmt::format("sigmas ({}): {}", process.name(), joined(sig))};
    if (is_ddpm(process))
        out.push_back(fmt::format("timesteps: {}", fmt::join(schedule_timesteps(schedule, process), ", ")));
    else {
        std::vector<double> t;
        for (double s : sig) t.push_back(process.t_of_sigma(s));
        out.push_back(fmt::format("t: {}", joined(t)));
    }
    return out;
}

}  // namespace ayslab::app
