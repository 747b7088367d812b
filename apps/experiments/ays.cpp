// ays: the Align Your Steps optimisation (MATH.md §5) on a data set, from EDM rho=7: the optimised
// schedule (sigmas, the process's t or timesteps), the KLUB trace, and both schedules' measured error
// (KLUB, and NLL / sliced W2 of samples over several seeds).
#include "ayslab/optimise/ays.hpp"

#include <fmt/format.h>

#include <cmath>

#include "ayslab/data/datasets.hpp"
#include "ayslab/schedule_factory.hpp"
#include "ayslab/solver/registry.hpp"
#include "evaluate.hpp"
#include "list.hpp"
#include "schedule_format.hpp"

namespace ayslab::app {

namespace {

nlohmann::json trace_json(const std::vector<AysTraceEntry>& trace) {
    nlohmann::json t = nlohmann::json::array();
    for (const auto& e : trace)
        t.push_back({{"steps", e.steps},
                     {"sweep", e.sweep},
                     {"klub", e.klub},
                     {"klub_se", e.klub_standard_error},
                     {"improved", e.improved}});
    return t;
}

Result run(const Config& cfg, const RunContext& ctx) {
    DatasetOptions dopt;
    dopt.points = static_cast<std::size_t>(cfg.integer("points"));
    dopt.seed = cfg.seed();
    dopt.precision = parse_precision(cfg.string("precision"));
    dopt.file = cfg.string("file");
    const Dataset dataset = make_dataset(cfg.string("data"), dopt);
    const auto process = make_process(cfg.string("process"));
    const auto steps = static_cast<std::size_t>(cfg.integer("steps"));
    // The start schedule: any family (EDM rho=7 by default, as in the paper).
    const Schedule start = make_schedule(cfg.string("start"), {steps,
                                                               cfg.number("sigma_min"),
                                                               cfg.number("sigma_max"),
                                                               cfg.number("rho"),
                                                               std::sqrt(dataset.data->data_variance()),
                                                               process.get(),
                                                               {}});
    AysOptions o = ays_options(cfg, ctx);
    ProgressPrinter progress(ctx, o.max_sweeps * (o.subdivisions + 1));
    const auto ays = optimise_ays(*dataset.data, dataset.data->denoiser(), start, o, std::ref(progress));

    Result r;
    r.values["trace"] = trace_json(ays.trace);
    r.values["stages"] = nlohmann::json::array();
    for (const auto& st : ays.stages)
        r.values["stages"].push_back({{"schedule", schedule_json(st.schedule, *process)},
                                      {"klub", st.klub.value},
                                      {"klub_se", st.klub.standard_error}});
    const Schedule& best = ays.stages.back().schedule;
    r.values["schedule"] = schedule_json(best, *process);

    // Compare with EDM rho=7 at the final step count: KLUB on common draws, samples over seeds.
    const Schedule baseline =
        karras(best.steps(), cfg.number("sigma_min"), cfg.number("sigma_max"), cfg.number("rho"));
    const KlubMonteCarlo mc{o.validation_samples, cfg.seed() + 991, 0.0, ctx.threads};
    const std::pair<std::string, const Schedule*> compared[] = {{"ays", &best}, {"karras", &baseline}};
    EvaluationOptions eo{static_cast<std::size_t>(cfg.integer("eval_particles")),
                         static_cast<std::size_t>(cfg.integer("eval_seeds")),
                         static_cast<std::size_t>(cfg.integer("projections")), cfg.seed(), ctx.threads};
    r.line(fmt::format("AYS on {} ({} steps, started from {}), process {}", dataset.name, best.steps(),
                       cfg.string("start"), process->name()));
    for (const auto& line : format_schedule(best, *process, "list")) r.line("  " + line);
    std::string header = fmt::format("{:<8} {:>22}", "schedule", "KLUB");
    for (const auto& s : cfg.strings("samplers")) header += fmt::format(" | {:^44}", s + ": NLL, sliced W2");
    r.line(header);
    double klubs[2] = {};
    for (std::size_t q = 0; q < 2; ++q) {
        const auto& [name, sched] = compared[q];
        const auto k = klub_schedule_mc(*dataset.data, dataset.data->denoiser(), *sched, mc);
        klubs[q] = k.value;
        nlohmann::json entry = {
            {"klub", k.value}, {"klub_se", k.standard_error}, {"sigmas", sched->sigmas()}};
        std::string line =
            fmt::format("{:<8} {:>22}", name, fmt::format("{:.5g} ± {:.2g}", k.value, k.standard_error));
        for (const auto& s : cfg.strings("samplers")) {
            const auto quality = evaluate_samples(dataset, dataset.data->denoiser(), *make_solver(s), *sched, eo);
            entry["samples"][s] = quality.to_json();
            line += fmt::format(" | {:>21} {:>21}", plus_minus(quality.nll), plus_minus(quality.sw2));
        }
        r.values["comparison"][name] = entry;
        r.line(line);
    }
    r.check(
        {"AYS KLUB <= EDM rho=7 KLUB (same Monte Carlo draws)", klubs[1], klubs[0], 0.0, Criterion::at_most});
    return r;
}

}  // namespace

Experiment ays_experiment() {
    return {
        "ays",
        "Align Your Steps: KLUB-optimised schedule for a data set, against EDM rho=7 (MATH §5)",
        {
            seed_key(),
            {"data", KeyType::string, "data set", {}, {}, dataset_names()},
            {"points", KeyType::integer, "points of generated 2-D sets", 10, 1e7},
            {"file", KeyType::string, "point set for data=file (.csv, .npy, .idx, .gz)"},
            precision_key(),
            {"process", KeyType::string, "process for the printed t / timesteps", {}, {}, process_names()},
            {"steps", KeyType::integer, "steps of the first stage", 2, 10000},
            {"subdivisions", KeyType::integer, "stages after the first (steps double)", 0, 6},
            {"sigma_min", KeyType::number, "smallest sigma", 1e-6, 1e6},
            {"sigma_max", KeyType::number, "largest sigma", 1e-6, 1e6},
            {"start",
             KeyType::string,
             "start schedule family",
             {},
             {},
             {"karras", "loguniform", "uniform-t", "arctan"}},
            {"rho", KeyType::number, "EDM rho of the start schedule and the baseline", 0.1, 100},
            {"samples", KeyType::integer, "Monte Carlo samples per interval evaluation", 2, 1e8},
            {"validation_samples", KeyType::integer, "samples of the early-stopping estimate", 2, 1e8},
            {"golden_iterations", KeyType::integer, "golden-section steps per coordinate", 1, 200},
            {"max_sweeps", KeyType::integer, "coordinate sweeps per stage at most", 1, 1000},
            {"patience", KeyType::integer, "sweeps without improvement before stopping", 1, 1000},
            {"min_improvement", KeyType::number, "relative KLUB improvement that counts", 0, 1},
            {"eval_particles", KeyType::integer, "particles per evaluation seed", 10, 1e8},
            {"eval_seeds", KeyType::integer, "evaluation seeds (standard errors over seeds)", 2, 1000},
            {"projections", KeyType::integer, "sliced W2 projections", 1, 1e6},
            {"samplers", KeyType::string_list, "samplers for the sample metrics", {}, {}, solver_names()},
        },
        run};
}

}  // namespace ayslab::app
