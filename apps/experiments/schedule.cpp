// schedule: prints any schedule in the form a sampler takes and writes it to the result JSON, with
// the process's own t and, for DDPM-discrete processes, integer timesteps.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "ayslab/process/ddpm.hpp"
#include "ayslab/error.hpp"
#include "ayslab/schedule/published.hpp"
#include "ayslab/schedule/schedule_factory.hpp"
#include "keys.hpp"
#include "list.hpp"
#include "schedule_format.hpp"

namespace ayslab::app {

namespace {

Result run(const Config& cfg, const RunContext&) {
    const std::string kind = cfg.string("schedule");
    // Published AYS lists belong to their model's process unless the user names another.
    std::string process_name = cfg.string("process");
    const bool published_sigmas = kind.starts_with("ays-") && kind.ends_with("-sigmas");
    const std::string model_name =
        kind.starts_with("ays-") ? kind.substr(4, kind.size() - 4 - (published_sigmas ? 7 : 0)) : "";
    if (kind.starts_with("ays-") && process_name == "edm")
        process_name = published_ays_process(parse_published_ays(model_name));
    const auto process = make_process(process_name);
    const Schedule schedule = read_schedule(cfg, process.get(), cfg.number("c"));
    Result r;
    r.values["schedule"] = schedule_json(schedule, *process);
    r.values["process"] = process->name();
    r.values["kind"] = kind;
    const auto lines = format_schedule(schedule, *process, cfg.string("format"));
    for (const auto& line : lines) r.line(line);
    // What --quiet prints, bare (run-experiment prints results.paste): the pasteable line.
    r.values["paste"] = lines.front();
    r.values["exports"] = schedule_exports(schedule, *process);
    // Published SD lists: our timesteps must give back NVIDIA's integers at 10 steps (the whole list:
    // a denoise < 1 tail of 10 steps is a different list).
    if (kind.starts_with("ays-") && !published_sigmas && schedule.steps() == 10 && cfg.number("denoise") == 1.0) {
        const auto model = parse_published_ays(model_name);
        const auto published = published_ays_timesteps(model);
        if (!published.empty() && process_name == published_ays_process(model)) {
            const auto ts = schedule_timesteps(schedule, *process);
            double worst = 0.0;
            for (std::size_t i = 0; i + 1 < published.size(); ++i)
                worst = std::max(worst, std::abs(static_cast<double>(ts[i] - published[i])));
            r.check(
                {"published timesteps recovered from the sigma list", 0.0, worst, 0.0, Criterion::absolute});
        }
    }
    return r;
}

}  // namespace

Experiment schedule_experiment() {
    return {
        "schedule",
        "print a schedule (any family, a published AYS list, or a file) for diffusers / k-diffusion / "
        "ComfyUI",
        Schema{seed_key()} +
            shared_keys({"schedule", "steps", "sigma_min", "sigma_max", "rho", "c", "process", "schedule_file", "denoise"}) +
            Schema{{"format", KeyType::string, "printed form", {}, {}, schedule_formats()}},
        run};
}

}  // namespace ayslab::app
