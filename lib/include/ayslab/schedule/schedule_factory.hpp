// Schedules by family name (what configs and the CLI use), and schedule files.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "ayslab/process/process.hpp"
#include "ayslab/schedule/schedule.hpp"

namespace ayslab {

struct ScheduleSpec {
    std::size_t steps = 10;
    double sigma_min = 0.002;
    double sigma_max = 80.0;
    double rho = 7.0;                  // karras
    double c = 0.5;                    // arctan
    const Process* process = nullptr;  // uniform-t
    std::filesystem::path file{};      // file
    std::vector<double> sigmas{};      // file: the list in memory instead of `file` (largest first)
    // img2img strength, as the peer that takes the list applies it (docs/schedule.md): 1 = the whole
    // schedule. ays-* (ComfyUI's AlignYourStepsScheduler): the last round(steps * denoise) steps of the
    // steps-step list (so do gits-sd15 and oss-*, ComfyUI's rule); ays-*-sigmas (diffusers' strength): the last floor(steps * denoise); every other
    // kind (ComfyUI's BasicScheduler): the last `steps` steps of a floor(steps / denoise)-step schedule.
    double denoise = 1.0;
};

// kinds: karras, karras-kdiffusion, loguniform, uniform-t, arctan, ays-sd15, ays-sdxl, ays-svd (from
// the published timesteps / SVD sigmas: ComfyUI's lists), ays-sd15-sigmas, ays-sdxl-sigmas (the AYS
// page's 3-decimal lists: A1111's and diffusers' AysSchedules), gits-sd15, oss-flux, oss-chroma,
// kl-optimal (ComfyUI's kl_optimal: arctan with c = 1, steps sigmas and a final 0)
// (ComfyUI's GITSScheduler / OptimalStepsScheduler tables, published.hpp), file (spec.file
// re-spaced to spec.steps steps by resample_loglinear when its own count differs).
Schedule make_schedule(std::string_view kind, const ScheduleSpec& spec);
std::vector<std::string> schedule_kinds();

// The schedule re-spaced to `steps` steps by NVIDIA's log-linear rule (loglinear_interpolate, as its
// how-to page does for its tables): the end points are kept, a final 0 stays the final value (the
// positive sigmas are interpolated). Returns the schedule itself when it already has `steps` steps.
Schedule resample_loglinear(const Schedule& schedule, std::size_t steps);

// Reads a schedule: JSON (a list, {"sigmas": [...]}, or an ayslab result holding
// results.schedule.sigmas) or text (numbers separated by whitespace, commas or brackets).
// Errors name the file and, for bad values, the position.
Schedule read_schedule_file(const std::filesystem::path& path);
// The same on text in memory; `where` names the source in errors.
Schedule parse_schedule_text(const std::string& text, const std::string& where);
// A list of sigmas (largest first) as a Schedule, checked as a file's list is (`where` names it in errors).
Schedule schedule_of(std::vector<double> sigmas, const std::string& where);

}  // namespace ayslab
