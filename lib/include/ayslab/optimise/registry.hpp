// The schedule optimisers by name, one table (issue "House, third step", item 1): AYS is one entry
// beside the league's (league.hpp). Each entry says what it is and whether it follows a teacher (then
// it optimises for one deterministic sampler), and makes a schedule for a problem from a start.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "ayslab/optimise/ays.hpp"
#include "ayslab/optimise/league.hpp"
#include "ayslab/solver/solver.hpp"

namespace ayslab {

// What an optimiser gets: the problem (data, denoiser, sigma range, steps, grid, KLUB samples, seed,
// threads), the start schedule (AYS, ays-grid and LD3 move it), the sampler the teacher-based ones
// optimise for, and the options of AYS and of the league.
struct OptimiserInput {
    const ScheduleProblem* problem = nullptr;
    const Schedule* start = nullptr;
    const Solver* solver = nullptr;  // needs_teacher only
    AysOptions ays{};                // ays, ays-klub (the stop proxy, its samples, sweeps, ...)
    LeagueOptimiserOptions league{};
    AysProgress progress{};
};

struct ScheduleOptimiser {
    std::string name;
    std::string summary;
    bool needs_teacher = false;  // optimises for OptimiserInput::solver, which must be deterministic
    std::function<OptimisedSchedule(const OptimiserInput&)> make;
};

// ays (the paper's early stop on AysOptions::quality), ays-klub (the same, stopped and chosen on the
// validation KLUB), ays-path, ays-dp, ays-grid, watson, gits, oss, ld3.
const std::vector<ScheduleOptimiser>& schedule_optimisers();
// InputError naming the known ones for another name.
const ScheduleOptimiser& find_schedule_optimiser(const std::string& name);

// The entry `name` on a bare problem: x0 draws from `data`, the KLUB of `denoiser` (AYS reads no other
// field of the problem; the league's entries want read_schedule_problem's). For the callers that keep
// AYS's stages and trace (OptimisedSchedule::ays) and set no sampler.
OptimisedSchedule optimise_schedule(const std::string& name, const Data& data, const Denoiser& denoiser,
                                    const Schedule& start, const AysOptions& options, AysProgress progress = {});

}  // namespace ayslab
