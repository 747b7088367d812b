#include "ayslab/optimise/registry.hpp"

#include <fmt/format.h>

#include <chrono>
#include <optional>

#include "ayslab/error.hpp"
#include "ayslab/streams.hpp"

namespace ayslab {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// AYS from the start, on the problem's data and denoiser; its cost in rows is the denoiser's count
// where the denoiser counts (a model), else the KLUB's draws are not counted here (0).
OptimisedSchedule run_ays(const OptimiserInput& in, bool klub_stop) {
    const auto t0 = std::chrono::steady_clock::now();
    AysOptions o = in.ays;
    if (klub_stop) {
        o.quality = {};
        o.quality_name.clear();
    }
    const Denoiser& denoiser = *in.problem->denoiser;
    const Evaluations before = denoiser.evaluations();
    AysResult r = optimise_ays(*in.problem->data, denoiser, *in.start, o, in.progress);
    OptimisedSchedule out{r.stages.back().schedule, r.stages.back().klub.value,
                          denoiser.evaluations().rows - before.rows, 0.0, {}};
    out.seconds = seconds_since(t0);
    out.ays = std::make_shared<const AysResult>(std::move(r));
    return out;
}

// The teacher-based optimisers (GITS, OSS, LD3) for in.solver, which must be deterministic: from the
// shared teacher when the caller made one for the problem (its rows then counted by the caller), else
// from one of their own (counted here).
OptimisedSchedule from_teacher(const std::string& name, const OptimiserInput& in) {
    if (!in.solver) throw InputError(fmt::format("optimiser {} optimises for a sampler: none was given", name));
    const ScheduleProblem& problem = *in.problem;
    const Solver& solver = *in.solver;
    const LeagueOptimiserOptions& options = in.league;
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
                                            : optimise_ld3(problem, teacher, solver, *in.start, options.ld3_iterations,
                                                           options.ld3_slack);
    if (own) out.evaluations += own->evaluations;  // an own teacher is part of what this optimiser costs
    out.seconds = seconds_since(t0);
    return out;
}

// An entry of the league (league.hpp) that reports no time of its own: timed here.
template <class Make>
OptimisedSchedule timed(Make make) {
    const auto t0 = std::chrono::steady_clock::now();
    OptimisedSchedule out = make();
    if (out.seconds == 0.0) out.seconds = seconds_since(t0);
    return out;
}

}  // namespace

const std::vector<ScheduleOptimiser>& schedule_optimisers() {
    // The league's entries draw as the optimiser-league experiment does for the same problem and seed, so
    // a schedule from here is the league's for the same settings.
    static const std::vector<ScheduleOptimiser> table = {
        {"ays", "Align Your Steps: KLUB coordinate descent stopped early on a sample-quality proxy (the paper)", false,
         [](const OptimiserInput& in) { return run_ays(in, false); }},
        {"ays-klub", "Align Your Steps stopped and chosen on the validation KLUB", false,
         [](const OptimiserInput& in) { return run_ays(in, true); }},
        {"ays-dp", "the KLUB's optimum over a log-uniform grid (dynamic programming)", false,
         [](const OptimiserInput& in) {
             return timed([&] {
                 GridKlub klub(*in.problem, in.problem->seed);
                 return optimise_ays_dp(*in.problem, klub);
             });
         }},
        {"ays-path", "the same from one table of Brownian paths (far fewer rows)", false,
         [](const OptimiserInput& in) {
             return timed([&] {  // samples = paths
                 return in.league.path_klub ? optimise_ays_path_dp(*in.problem, *in.league.path_klub)
                                            : optimise_ays_path_dp(*in.problem, in.problem->klub_samples);
             });
         }},
        {"ays-grid", "coordinate descent on the grid", false,
         [](const OptimiserInput& in) {
             return timed([&] {
                 GridKlub klub(*in.problem, in.problem->seed);
                 return optimise_ays_grid_descent(*in.problem, klub, *in.start);
             });
         }},
        {"watson", "Watson et al. 2021: DP on the ancestral step's ELBO terms", false,
         [](const OptimiserInput& in) {
             return timed([&] { return optimise_watson(*in.problem, streams::watson_draws(in.problem->seed)); });
         }},
        {"gits", "GITS: DP on the teacher's local error of the sampler's step", true,
         [](const OptimiserInput& in) { return from_teacher("gits", in); }},
        {"oss", "OSS: DP on the student's own path to the teacher", true,
         [](const OptimiserInput& in) { return from_teacher("oss", in); }},
        {"ld3", "LD3: gradient descent on the final teacher-student distance", true,
         [](const OptimiserInput& in) { return from_teacher("ld3", in); }},
    };
    return table;
}

const ScheduleOptimiser& find_schedule_optimiser(const std::string& name) {
    std::string known;
    for (const auto& o : schedule_optimisers()) {
        if (o.name == name) return o;
        known += (known.empty() ? "" : ", ") + o.name;
    }
    throw InputError(fmt::format("no schedule optimiser '{}' (known: {})", name, known));
}

OptimisedSchedule optimise_schedule(const std::string& name, const Data& data, const Denoiser& denoiser,
                                    const Schedule& start, const AysOptions& options, AysProgress progress) {
    ScheduleProblem problem;
    problem.data = &data;
    problem.denoiser = &denoiser;
    OptimiserInput in;
    in.problem = &problem;
    in.start = &start;
    in.ays = options;
    in.progress = std::move(progress);
    return find_schedule_optimiser(name).make(in);
}

}  // namespace ayslab
