// The league's optimisers as one call by name (league.hpp): the draws and teachers the
// optimiser-league experiment gives them for the same problem and seed, so a schedule from here is the
// league's for the same settings.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <optional>

#include "ayslab/error.hpp"
#include "ayslab/optimise/league.hpp"
#include "ayslab/streams.hpp"

namespace ayslab {

const std::vector<std::string>& league_optimiser_names() {
    static const std::vector<std::string> names = {"ays-dp", "ays-path", "ays-grid", "watson", "gits", "oss", "ld3"};
    return names;
}

bool league_optimiser_uses_teacher(const std::string& name) { return name == "gits" || name == "oss" || name == "ld3"; }

OptimisedSchedule optimise_by_name(const std::string& name, const ScheduleProblem& problem, const Solver& solver,
                                   const Schedule& start, const LeagueOptimiserOptions& options) {
    if (league_optimiser_uses_teacher(name)) {
        if (solver.stochastic())
            throw InputError(fmt::format("optimiser {} needs a deterministic sampler to follow its teacher; '{}' draws "
                                         "noise",
                                         name, solver.name()));
        if (name == "ld3" && problem.steps < 2) throw InputError("optimiser ld3 needs at least 2 steps");
        const auto t0 = std::chrono::steady_clock::now();
        std::optional<Teacher> own;
        if (options.teacher) {
            const Teacher& shared = *options.teacher;
            if (shared.n != options.particles || shared.grid.size() != problem.grid || shared.grid.front() != problem.sigma_max ||
                shared.grid.back() != problem.sigma_min || shared.labels.empty() == problem.labelled)
                throw InputError("the shared teacher was made for another problem (particles, grid, sigma range or labels)");
        } else {
            own = make_teacher(problem, options.particles, options.teacher_steps, problem.seed);
        }
        const Teacher& teacher = options.teacher ? *options.teacher : *own;
        OptimisedSchedule out = name == "gits"  ? optimise_gits(problem, teacher, solver)
                                : name == "oss" ? optimise_oss(problem, teacher, solver)
                                                : optimise_ld3(problem, teacher, solver, start, options.ld3_iterations,
                                                               options.ld3_slack);
        if (own) out.evaluations += own->evaluations;  // an own teacher is part of what this optimiser costs
        out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return out;
    }
    if (name == "watson") return optimise_watson(problem, streams::watson_draws(problem.seed));
    if (name == "ays-path")  // samples = paths
        return options.path_klub ? optimise_ays_path_dp(problem, *options.path_klub)
                                 : optimise_ays_path_dp(problem, problem.klub_samples);
    if (name == "ays-dp" || name == "ays-grid") {
        GridKlub klub(problem, problem.seed);
        return name == "ays-dp" ? optimise_ays_dp(problem, klub) : optimise_ays_grid_descent(problem, klub, start);
    }
    throw InputError(fmt::format("no league optimiser '{}' ({})", name, fmt::join(league_optimiser_names(), ", ")));
}

}  // namespace ayslab
