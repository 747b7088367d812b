// Schedules as users paste them: sigma lists, the process's t, DDPM timesteps, and the literal forms
// diffusers, k-diffusion and ComfyUI take.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ayslab/process/process.hpp"
#include "ayslab/schedule/schedule.hpp"

namespace ayslab::app {

std::vector<std::string> schedule_formats();  // json, list, diffusers, kdiffusion, comfyui
// {"sigmas", "t", "steps", and "timesteps" for DDPM processes}.
nlohmann::json schedule_json(const Schedule& schedule, const Process& process);
// Integer timesteps (rounded t) for the positive sigmas of a DDPM-discrete process; a final sigma
// of 0 has no timestep.
std::vector<long> schedule_timesteps(const Schedule& schedule, const Process& process);
// diffusers' `timesteps=`: one per step (N for N steps, each step's start); InputError when two round
// to the same integer.
std::vector<long> diffusers_timesteps(const Schedule& schedule, const Process& process);
// The same as objects (issue 41): "peer_sigmas", the N + 1 sigmas ending in 0 that k-diffusion's
// samplers, ComfyUI's SIGMAS and diffusers' sigmas= take (in the process's units: t for flow); for a
// DDPM process "timesteps", diffusers' N integers (or "timesteps_error" when two round alike).
nlohmann::json schedule_exports(const Schedule& schedule, const Process& process);
// The literal forms: list (sigmas and t / timesteps), json, and the peers' N-step forms — diffusers
// (timesteps= for DDPM processes, sigmas= otherwise), kdiffusion and comfyui (N + 1 sigmas ending in
// 0, the first N being each step's start; process=flow in t units). docs/schedule.md.
std::vector<std::string> format_schedule(const Schedule& schedule, const Process& process,
                                         const std::string& format);

}  // namespace ayslab::app
