// ays: the Align Your Steps optimisation (MATH.md §5) on a data set, from EDM rho=7: the optimised
// schedule (sigmas, the process's t or timesteps), the KLUB trace, and both schedules' measured error
// (KLUB, and NLL / sliced W2 of samples over several seeds). optimiser = one of the league's
// (league.hpp) chooses the schedule instead, judged the same way.
#include "ayslab/optimise/ays.hpp"
#include "ayslab/optimise/league.hpp"
#include "ayslab/optimise/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "ayslab/data/datasets.hpp"
#include "ayslab/error.hpp"
#include "ayslab/schedule/schedule_factory.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/streams.hpp"
#include "keys.hpp"
#include "evaluate.hpp"
#include "list.hpp"
#include "schedule_format.hpp"
#include "stop_proxy.hpp"

namespace ayslab::app {

namespace {

nlohmann::json trace_json(const std::vector<AysTraceEntry>& trace) {
    nlohmann::json t = nlohmann::json::array();
    for (const auto& e : trace)
        t.push_back({{"steps", e.steps},
                     {"sweep", e.sweep},
                     {"klub", e.klub},
                     {"klub_se", e.klub_standard_error},
                     {"improved", e.improved},
                     {"quality", e.quality},
                     {"quality_se", e.quality_standard_error}});
    return t;
}

// What the optimiser returned: AYS's stages and trace (optimiser = ays), or a league entry's schedule.
struct Optimised {
    AysResult ays;
    std::optional<OptimisedSchedule> league;  // (a Schedule has no empty state)
};

// The paper's AYS (its stop proxy the samplers' quality) or the registry's `optimiser` from the start.
Optimised optimise(const Config& cfg, const RunContext& ctx, const Problem& problem, const Schedule& start,
                   AysOptions& o, bool paper) {
    const std::string optimiser = cfg.string("optimiser");
    Optimised out;
    if (paper) {
        ProgressPrinter progress(ctx, o.max_sweeps * (o.subdivisions + 1));
        out.ays = *optimise_schedule("ays", *problem.data, *problem.denoiser, start, o, std::ref(progress)).ays;
        return out;
    }
    ScheduleProblem p = read_schedule_problem(cfg, ctx, *problem.data, *problem.denoiser);
    p.steps = start.steps();
    if (p.steps + 1 > p.grid)
        throw InputError(fmt::format("steps = {} needs a grid of more than {} sigmas (grid = {})", p.steps, p.steps, p.grid));
    const LeagueOptimiserOptions lo{static_cast<std::size_t>(cfg.integer("particles")),
                                    static_cast<std::size_t>(cfg.integer("teacher_steps")),
                                    static_cast<std::size_t>(cfg.integer("ld3_iterations")), cfg.number("ld3_slack")};
    const auto sampler = make_solver(cfg.string("optimiser_sampler"));
    out.league = find_schedule_optimiser(optimiser).make({&p, &start, sampler.get(), o, lo, {}});
    return out;
}

// A label or every class, with guidance: said in the result.
void describe_conditioning(Result& r, const Conditioning& cond, const Dataset& dataset) {
    if (cond.guided && cond.all_classes) {
        r.values["label"] = "all";
        r.values["guidance"] = cond.guided->options().scale;
        r.line(fmt::format("every class of {} ({}), guidance w = {}: the KLUB's x_0 and the starts come with their class y, "
                           "the denoiser is called at each row's y, the NLL is -log p(x | y)",
                           dataset.name, dataset.data->classes(), cond.guided->options().scale));
    } else if (cond.guided) {
        r.values["label"] = cond.label;
        r.values["guidance"] = cond.guided->options().scale;
        r.line(fmt::format("class {} of {}, guidance w = {}: the KLUB's x_0 and the NLL are the class's", cond.label,
                           dataset.name, cond.guided->options().scale));
    }
}

nlohmann::json stages_json(const AysResult& ays, const Process& process) {
    nlohmann::json stages = nlohmann::json::array();
    for (const auto& st : ays.stages)
        stages.push_back({{"schedule", schedule_json(st.schedule, process)},
                          {"klub", st.klub.value},
                          {"klub_se", st.klub.standard_error},
                          {"stop_proxy", st.quality.value},
                          {"stop_proxy_se", st.quality.standard_error},
                          {"stopped_by", st.stop},
                          {"stopped_at_max_sweeps", st.stopped_at_max_sweeps}});
    return stages;
}

// The stop proxy kept the start (no sweep beat it): AYS found nothing better for the proxy's sampler.
// Said in one line, with the schedule the KLUB's own stop gives (registry entry ays-klub), compared
// beside the others (issue "Which schedule for my sampler?", item 2).
Schedule klub_stopped_instead(const Config& cfg, const RunContext& ctx, const Problem& problem, const Schedule& start,
                              const AysOptions& o, const Process& process, Result& r) {
    ScheduleProblem sp = read_schedule_problem(cfg, ctx, *problem.data, *problem.denoiser);
    sp.steps = start.steps();
    OptimiserInput in{&sp, &start, nullptr, o, {}, {}};
    in.ays.checkpoint.clear();  // the paper's run owns the checkpoint (and has removed it)
    in.ays.resume = false;
    ProgressPrinter progress(ctx, o.max_sweeps);
    in.progress = std::ref(progress);
    Schedule klub_stopped = find_schedule_optimiser("ays-klub").make(in).schedule;
    r.line(fmt::format("ays found nothing better than the start ({}) for its stop proxy ({}): it hands the start "
                       "back; the KLUB-stopped schedule (stop_on=klub) is compared beside it as ays-klub",
                       cfg.string("schedule"), o.quality_name));
    r.values["klub_stopped"] = schedule_json(klub_stopped, process);
    return klub_stopped;
}

// The league's optimiser: its own objective (the grid KLUB for ays-dp / ays-grid, Watson's ELBO terms,
// the teacher distances of GITS / OSS / LD3) and what it cost in denoiser rows, counted by the optimiser
// (the exact denoisers count nothing themselves).
void report_league_optimiser(const Config& cfg, const OptimisedSchedule& league, Result& r) {
    const std::string optimiser = cfg.string("optimiser");
    const bool teacher = find_schedule_optimiser(optimiser).needs_teacher;
    r.values["optimiser"] = {{"name", optimiser}, {"objective", league.objective}, {"evaluations", league.evaluations}};
    // Wall time is no result (identical runs differ there): under run/timings_s with the others.
    r.timings["optimiser"] = league.seconds;
    if (teacher) r.values["optimiser"]["sampler"] = cfg.string("optimiser_sampler");
    r.line(fmt::format("optimiser {}{}: objective {:.6g}, {} denoiser rows, {:.2f} s", optimiser,
                       teacher ? " for " + cfg.string("optimiser_sampler") : "", league.objective, league.evaluations,
                       league.seconds));
}

// The schedules against EDM rho=7 at the final step count: KLUB on common draws, samples over seeds
// (the same starts for every schedule); the KLUBs in `compared`'s order.
std::vector<double> compare_schedules(const Config& cfg, const RunContext& ctx, const Problem& problem,
                                      const std::vector<std::pair<std::string, const Schedule*>>& compared,
                                      const AysOptions& o, Result& r) {
    const KlubMonteCarlo mc{o.validation_samples, streams::ays_final_klub(cfg.seed()), o.proposal_variance, ctx.threads,
                            o.labelled};
    const EvaluationOptions eo = read_evaluation(cfg, ctx);
    const auto samplers = cfg.strings("samplers");
    std::string header = fmt::format("{:<8} {:>22}", "schedule", "KLUB");
    for (const auto& s : samplers) header += fmt::format(" | {:^56}", s + ": NLL (median), sliced W2");
    r.line(header);
    std::vector<NamedSchedule> named;
    for (const auto& [name, sched] : compared) named.push_back({name, *sched});
    const Comparison table = compare(problem, samplers, named, eo);
    std::vector<double> klubs;
    for (std::size_t q = 0; q < compared.size(); ++q) {
        const auto& [name, sched] = compared[q];
        const auto k = klub_schedule_mc(*problem.data, *problem.denoiser, *sched, mc);
        klubs.push_back(k.value);
        nlohmann::json entry = {{"klub", k.value}, {"klub_se", k.standard_error}, {"sigmas", sched->sigmas()}};
        std::string line = fmt::format("{:<8} {:>22}", name, fmt::format("{:.5g} ± {:.2g}", k.value, k.standard_error));
        for (std::size_t i = 0; i < samplers.size(); ++i) {
            const SampleQuality& quality = table.at(i, q);
            entry["samples"][samplers[i]] = quality_json(quality);
            line += fmt::format(" | {:>21} ({:>9.4g}) {:>21}", plus_minus(quality.nll), quality.nll_median.mean(),
                                plus_minus(quality.sw2));
        }
        r.values["comparison"][name] = entry;
        r.line(line);
    }
    return klubs;
}

// What the schedule cost in model evaluations (rows) and calls: the optimisation (KLUB sweeps and the
// stop proxy), and the whole run (with the pre-flight and the comparison).
void report_model_evaluations(const Evaluations& before, const Evaluations& optimising, const Evaluations& all,
                              Result& r) {
    r.values["model_evaluations"] = {
        {"optimisation", {{"rows", optimising.rows - before.rows}, {"calls", optimising.calls - before.calls}}},
        {"run", {{"rows", all.rows}, {"calls", all.calls}}}};
    r.line(fmt::format("model evaluations: {} rows in {} calls to optimise, {} rows in {} calls in all",
                       optimising.rows - before.rows, optimising.calls - before.calls, all.rows, all.calls));
}

Result run(const Config& cfg, const RunContext& ctx) {
    Result r;
    const Dataset dataset = make_dataset(cfg.string("data"), read_dataset_options(cfg, ctx));
    const auto process = make_process(cfg.string("process"));
    // The start schedule: any family (EDM rho=7 by default, as in the paper); arctan's c is the data's
    // standard deviation.
    const Schedule start = read_schedule(cfg, process.get(), std::sqrt(dataset.data->data_variance()));
    // The denoiser the schedule is optimised for and sampled with: the data's exact one, or a model file
    // (docs/your-model.md); the KLUB's x0 draws and the metrics stay with the exact data.
    const auto model = read_model_denoiser(cfg, *dataset.data, ctx, &r, true);
    // With a label: the class's data (x_0 draws, p(x | y)) and the denoiser with the class bound and
    // guidance applied; the held-out rows (of every class) are then not a reference.
    const Conditioning cond = read_conditioning(cfg, *dataset.data, model ? *model : dataset.data->denoiser());
    Problem problem = problem_of(dataset, cond.denoiser);
    problem.labelled = cond.all_classes;  // every class: the held-out rows stay the reference
    if (cond.guided && !cond.all_classes) {
        problem.data = cond.data;
        problem.held_out = nullptr;
    }
    const Denoiser& denoiser = *problem.denoiser;
    const std::string optimiser = cfg.string("optimiser");
    const bool paper = optimiser == "ays";  // else one of the registry's others (optimise/registry.hpp)
    AysOptions o = read_ays_options(cfg, ctx);
    o.labelled = cond.all_classes;
    if (!paper && cond.all_classes)
        throw InputError(fmt::format("all_classes=true applies to optimiser = ays, not {}", optimiser));
    if (!paper && o.subdivisions > 0)
        throw InputError(fmt::format("subdivisions = {} applies to optimiser = ays, not {}", o.subdivisions, optimiser));
    if (paper) set_stop_proxy(o, cfg, problem, ctx);
    const Evaluations before = denoiser.evaluations();  // the pre-flight's are not the optimiser's
    const Optimised made = optimise(cfg, ctx, problem, start, o, paper);
    const Evaluations optimising = denoiser.evaluations();

    describe_dataset(dataset, r);
    r.values["denoiser"] = denoiser_name(cfg);
    describe_conditioning(r, cond, dataset);
    r.values["trace"] = trace_json(made.ays.trace);
    r.values["stages"] = stages_json(made.ays, *process);
    const Schedule& best = paper ? made.ays.stages.back().schedule : made.league->schedule;
    r.values["schedule"] = schedule_json(best, *process);
    std::optional<Schedule> klub_stopped;
    const bool kept_start = paper && o.quality && o.subdivisions == 0 && std::ranges::equal(best.sigmas(), start.sigmas());
    if (paper) {
        report_max_sweeps(made.ays, o, r);
        r.values["kept_start"] = kept_start;
        if (kept_start) klub_stopped = klub_stopped_instead(cfg, ctx, problem, start, o, *process, r);
    } else {
        report_league_optimiser(cfg, *made.league, r);
    }

    const Schedule baseline = karras(best.steps(), cfg.number("sigma_min"), cfg.number("sigma_max"), cfg.number("rho"));
    std::vector<std::pair<std::string, const Schedule*>> compared = {{"ays", &best}, {"karras", &baseline}};
    if (klub_stopped) compared.emplace_back("ays-klub", &*klub_stopped);
    r.line(fmt::format("{} on {} ({} steps, started from {}), process {}, denoiser {}", paper ? "AYS" : optimiser,
                       dataset.name, best.steps(), cfg.string("schedule"), process->name(), denoiser_name(cfg)));
    for (const auto& line : format_schedule(best, *process, "list")) r.line("  " + line);
    const std::vector<double> klubs = compare_schedules(cfg, ctx, problem, compared, o, r);
    // The KLUB is what AYS and the KLUB-based league optimisers minimise (Watson's terms differ from it by a
    // schedule-independent constant, league.hpp); the teacher-based ones minimise a distance instead.
    if (!find_schedule_optimiser(optimiser).needs_teacher)
        r.check({fmt::format("{} KLUB <= EDM rho=7 KLUB (same Monte Carlo draws)", paper ? "AYS" : optimiser), klubs[1],
                 klubs[0], 0.0, Criterion::at_most});
    if (model) report_model_evaluations(before, optimising, denoiser.evaluations(), r);
    return r;
}

}  // namespace

Experiment ays_experiment() {
    return {"ays", "Align Your Steps: KLUB-optimised schedule for a data set, against EDM rho=7 (MATH §5)",
            Schema{seed_key()} +
                shared_keys({"data", "points", "file", "held_out_file", "held_out_fraction", "precision", "process", "steps", "subdivisions", "refine", "sigma_min",
                             "sigma_max", "schedule", "schedule_file", "rho", "samples", "validation_samples",
                             "golden_iterations", "max_sweeps", "patience", "min_improvement", "stop_on", "stop_sampler",
                             "stop_particles", "stop_n_se", "klub_c", "eval_particles",
                             "eval_seeds", "projections", "samplers", "denoiser", "model", "parametrisation",
                             "model_process", "model_time", "model_sigma_data", "preflight", "model_labels", "model_null_label",
                             "model_shape", "model_embedding", "device", "label", "all_classes", "guidance", "guidance_interval", "labels", "optimiser",
                             "optimiser_sampler", "grid", "teacher_steps", "ld3_iterations", "ld3_slack"}) +
                Schema{described(shared_key("particles"), "teacher trajectories (optimiser gits, oss, ld3)")},
            run};
}

}  // namespace ayslab::app
