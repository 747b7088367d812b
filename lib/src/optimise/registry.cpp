#include "ayslab/optimise/registry.hpp"

#include <fmt/format.h>

#include <chrono>

#include "ayslab/error.hpp"
#include "ayslab/solver/registry.hpp"

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

OptimisedSchedule run_league(const std::string& name, const OptimiserInput& in) {
    if (league_optimiser_uses_teacher(name) && !in.solver)
        throw InputError(fmt::format("optimiser {} optimises for a sampler: none was given", name));
    // The others take no sampler (optimise_by_name's is read by the teacher-based ones only).
    static const std::shared_ptr<const Solver> unused = make_solver("euler");
    const auto t0 = std::chrono::steady_clock::now();
    OptimisedSchedule out = optimise_by_name(name, *in.problem, in.solver ? *in.solver : *unused, *in.start, in.league);
    if (out.seconds == 0.0) out.seconds = seconds_since(t0);
    return out;
}

}  // namespace

const std::vector<ScheduleOptimiser>& schedule_optimisers() {
    static const std::vector<ScheduleOptimiser> table = [] {
        std::vector<ScheduleOptimiser> t;
        t.push_back({"ays", "Align Your Steps: KLUB coordinate descent stopped early on a sample-quality proxy (the paper)",
                     false, [](const OptimiserInput& in) { return run_ays(in, false); }});
        t.push_back({"ays-klub", "Align Your Steps stopped and chosen on the validation KLUB", false,
                     [](const OptimiserInput& in) { return run_ays(in, true); }});
        const char* summaries[] = {
            "the KLUB's optimum over a log-uniform grid (dynamic programming)",
            "the same from one table of Brownian paths (far fewer rows)",
            "coordinate descent on the grid",
            "Watson et al. 2021: DP on the ancestral step's ELBO terms",
            "GITS: DP on the teacher's local error of the sampler's step",
            "OSS: DP on the student's own path to the teacher",
            "LD3: gradient descent on the final teacher-student distance"};
        const auto& names = league_optimiser_names();
        for (std::size_t i = 0; i < names.size(); ++i) {
            const std::string name = names[i];
            t.push_back({name, summaries[i], league_optimiser_uses_teacher(name),
                         [name](const OptimiserInput& in) { return run_league(name, in); }});
        }
        return t;
    }();
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
