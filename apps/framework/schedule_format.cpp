#include "schedule_format.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

namespace ayslab::app {

namespace {
bool is_ddpm(const Process& p) { return p.name().starts_with("ddpm"); }

std::string joined(const std::vector<double>& v) {
    std::vector<std::string> parts;
    for (double x : v) parts.push_back(fmt::format("{:.6g}", x));
    return fmt::format("{}", fmt::join(parts, ", "));
}

std::vector<double> values(const Schedule& s) { return {s.sigmas().begin(), s.sigmas().end()}; }
}  // namespace

std::vector<std::string> schedule_formats() { return {"json", "list", "diffusers", "kdiffusion", "comfyui"}; }

std::vector<long> schedule_timesteps(const Schedule& schedule, const Process& process) {
    std::vector<long> ts;
    for (double s : schedule.sigmas())
        if (s > 0.0) ts.push_back(std::lround(process.t_of_sigma(s)));
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

std::vector<std::string> format_schedule(const Schedule& schedule, const Process& process,
                                         const std::string& format) {
    const auto sig = values(schedule);
    if (format == "json") return {schedule_json(schedule, process).dump()};
    if (format == "diffusers") {
        if (is_ddpm(process))
            return {fmt::format("timesteps=[{}]", fmt::join(schedule_timesteps(schedule, process), ", "))};
        if (process.name() == "flow") {
            // Flow-matching pipelines take sigmas in t units (t in [0, 1]).
            std::vector<double> t;
            for (double s : sig) t.push_back(process.t_of_sigma(s));
            return {fmt::format("sigmas=[{}]", joined(t))};
        }
        return {fmt::format("sigmas=[{}]", joined(sig))};
    }
    if (format == "kdiffusion") return {fmt::format("torch.tensor([{}])", joined(sig))};
    if (format == "comfyui") return {fmt::format("SIGMAS: {}", joined(sig))};
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
