// NVIDIA's published Align Your Steps schedules (10 steps) and their log-linear interpolation rule
// for other step counts, as ComfyUI and the AYS project apply it.
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ayslab/schedule/schedule.hpp"

namespace ayslab {

enum class PublishedAys { sd15, sdxl, svd };

PublishedAys parse_published_ays(std::string_view name);  // "sd15", "sdxl", "svd"
// The model's process: ddpm-scaled-linear for SD 1.5 / SDXL, edm for SVD.
std::string published_ays_process(PublishedAys model);
// The published 11 values, sigma_max first. SD lists come from the published timesteps through the
// scaled-linear DDPM process (sigma(t) of the 1000-step table at diffusers index t).
std::vector<double> published_ays_sigmas(PublishedAys model);
// NVIDIA's sigma lists as printed on the AYS "how to" page, 3 decimals (what A1111's
// align_your_steps scheduler and diffusers' AysSchedules use). SD 1.5 / SDXL differ from sigma(t) of
// the published timesteps (published_ays_sigmas, ComfyUI's 10-digit list) by up to 0.12% (1.396 vs
// 1.39438); SVD is the same list.
std::vector<double> published_ays_page_sigmas(PublishedAys model);
// The published timesteps (SD 1.5 and SDXL); empty for SVD, which was published in sigmas.
std::vector<int> published_ays_timesteps(PublishedAys model);

// NVIDIA's rule: reverse to ascending, interpolate log sigma linearly over a normalised index from
// the given points to `count` points, reverse back. Values must be positive and decreasing.
std::vector<double> loglinear_interpolate(std::span<const double> sigmas_descending, std::size_t count);

// The AYS schedule for `steps` steps: the published list interpolated to steps + 1 values with the
// last set to 0 (a final step to the clean data). steps >= 1.
// With denoise < 1, ComfyUI's AlignYourStepsScheduler rule: of those steps + 1 values keep the last
// round(steps * denoise) + 1 (Python's round: halves to even), the last set to 0.
Schedule published_ays_schedule(PublishedAys model, std::size_t steps, double denoise = 1.0);
// The same from the page's 3-decimal lists; denoise < 1 keeps the last floor(steps * denoise) steps
// (diffusers' strength: int(num_inference_steps * strength)).
Schedule published_ays_page_schedule(PublishedAys model, std::size_t steps, double denoise = 1.0);

// ComfyUI's fixed tables for two other schedule optimisers (sources in published.cpp), applied as its
// nodes apply them: the list for `steps` (steps + 1 values; longer step counts log-linearly
// interpolated from the longest list as above), the last `round(steps * denoise)` steps kept, the last
// value set to 0.
//  GITS: GITSScheduler's default table (coeff 1.20), SD 1.5 sigmas, 2..20 steps tabulated.
std::vector<double> comfyui_gits_sigmas(std::size_t steps);
Schedule comfyui_gits_schedule(std::size_t steps, double denoise = 1.0);
//  OSS: OptimalStepsScheduler's FLUX and Chroma lists, in flow-matching t (interpolated in t); the
//  schedule is in this project's sigma = t / (1 - t).
std::vector<double> comfyui_oss_flow_times(std::string_view model, std::size_t steps);
Schedule comfyui_oss_schedule(std::string_view model, std::size_t steps, double denoise = 1.0);

}  // namespace ayslab
