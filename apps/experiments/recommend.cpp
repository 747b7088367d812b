// recommend: which schedule for *my* sampler at *my* NFE (docs/recommend.md)? Every candidate — the
// schedule optimisers of the registry (optimise/registry.hpp: AYS with the paper's stop and with the
// KLUB's, ays-path, GITS, OSS, LD3, ...), the schedule families, a file the user adds — is judged with
// each of the user's samplers on held-out starts against the user's current schedule (study.hpp), and
// the answer per (sampler, NFE) is the winner and its margin in paired SE, or "keep your schedule".
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include "ayslab/data/datasets.hpp"
#include "ayslab/error.hpp"
#include "ayslab/evaluation/feature_network.hpp"
#include "ayslab/io/atomic_file.hpp"
#include "ayslab/io/image_grid.hpp"
#include "ayslab/optimise/registry.hpp"
#include "ayslab/schedule/schedule_factory.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/streams.hpp"
#include "ayslab/evaluation/study.hpp"
#include "evaluate.hpp"
#include "keys.hpp"
#include "list.hpp"
#include "schedule_format.hpp"
#include "stop_proxy.hpp"

namespace ayslab::app {

namespace {

const std::vector<std::string>& family_names() {
    static const std::vector<std::string> names = {"karras-rho3", "karras-rho5", "karras-rho7", "loguniform",
                                                   "uniform-t", "arctan"};
    return names;
}

std::vector<std::string> candidate_names() {
    std::vector<std::string> names{"auto", "fast"};
    for (const auto& o : schedule_optimisers()) names.push_back(o.name);
    for (const auto& f : family_names()) names.push_back(f);
    return names;
}

// "auto": AYS stopped both ways, ays-path, the teacher-based optimisers for deterministic samplers, and
// the families. "fast": the same without AYS's coordinate descent, which is most of auto's cost with a
// model (docs/recommend.md: 366 of 430 s on the ring's MLP).
std::vector<std::string> expand(const std::vector<std::string>& given) {
    std::vector<std::string> out;
    for (const auto& name : given) {
        if (name != "auto" && name != "fast") {
            out.push_back(name);
            continue;
        }
        if (name == "auto")
            for (const char* n : {"ays", "ays-klub"}) out.emplace_back(n);
        for (const char* n : {"ays-path", "gits", "ld3"}) out.emplace_back(n);
        for (const auto& f : family_names()) out.push_back(f);
    }
    std::vector<std::string> unique;
    for (const auto& n : out)
        if (std::find(unique.begin(), unique.end(), n) == unique.end()) unique.push_back(n);
    return unique;
}

// A family candidate on the run's spec (sigma range, process, arctan's c; the steps set).
Schedule family(const std::string& name, ScheduleSpec spec) {
    if (name.starts_with("karras-rho")) {
        spec.rho = std::stod(name.substr(10));
        return make_schedule("karras", spec);
    }
    return make_schedule(name, spec);
}

// A row per schedule of the cell, its first `shown` kept samples (the same starts in every row).
GrayImage schedules_grid(const StudyCell& cell, std::size_t shown, std::size_t side) {
    const std::size_t d = side * side;
    std::vector<double> tiles;
    tiles.reserve(cell.rows.size() * shown * d);
    for (const auto& row : cell.rows) {
        const auto& kept = row.quality.first_samples;
        tiles.insert(tiles.end(), kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(shown * d));
    }
    return image_grid(tiles, cell.rows.size() * shown, {cell.rows.size(), shown, side, side});
}

nlohmann::json moments_json(const Moments& m) {
    if (m.count() < 1) return nullptr;
    return {{"mean", m.mean()}, {"se", m.count() >= 2 ? m.se_mean() : 0.0}};
}

Result run(const Config& cfg, const RunContext& ctx) {
    Result r;
    const Dataset dataset = make_dataset(cfg.string("data"), read_dataset_options(cfg, ctx));
    const auto process = make_process(cfg.string("process"));
    const double lo = cfg.number("sigma_min"), hi = cfg.number("sigma_max");
    const double c = std::sqrt(dataset.data->data_variance());
    const auto samplers = cfg.strings("samplers");
    const auto nfes = cfg.integers("nfe");
    const auto given = cfg.strings("candidates");
    const bool automatic = std::find(given.begin(), given.end(), "auto") != given.end() ||
                           std::find(given.begin(), given.end(), "fast") != given.end();
    const auto names = expand(cfg.strings("candidates"));
    // Refused before any work: an NFE below a sampler's per-step cost, an adaptive sampler (no NFE
    // budget), a teacher-based optimiser named for a stochastic sampler.
    for (const auto& s : samplers) {
        const auto& traits = find_solver(s).traits;
        if (traits.nfe_per_step == 0)
            throw InputError(fmt::format("sampler '{}' chooses its own steps: recommend needs a fixed NFE per step", s));
        for (const auto nfe : nfes)
            if (static_cast<std::size_t>(nfe) < traits.nfe_per_step)
                throw InputError(fmt::format("nfe = {} is below sampler '{}''s {} evaluations per step", nfe, s,
                                             traits.nfe_per_step));
        if (!automatic && traits.stochastic)
            for (const auto& n : names)
                if (std::find(family_names().begin(), family_names().end(), n) == family_names().end() &&
                    find_schedule_optimiser(n).needs_teacher)
                    throw InputError(fmt::format("candidate '{}' follows a teacher, which sampler '{}' cannot (it draws "
                                                 "noise): drop one of them",
                                                 n, s));
    }
    // The run's schedule spec at a step count; the user's schedule now is the `current` kind on it.
    auto spec_at = [&](std::size_t steps) {
        ScheduleSpec spec = read_schedule_spec(cfg, process.get(), c);
        spec.steps = steps;
        return spec;
    };
    auto current_at = [&](std::size_t steps) { return make_schedule(cfg.string("current"), spec_at(steps)); };
    // Every schedule judged must span [lo, hi]: a file's own range would end the comparison after every
    // optimiser has run.
    auto require_range = [&](const std::string& what, const Schedule& s) {
        if (std::abs(s.sigma_max() / hi - 1.0) > 1e-9 || std::abs(s.sigma_min() / lo - 1.0) > 1e-9)
            throw InputError(fmt::format("{} runs from sigma {} to {}; recommend judges schedules over [{}, {}] (set "
                                         "sigma_min and sigma_max to its range)",
                                         what, s.sigma_max(), s.sigma_min(), lo, hi));
    };
    const std::string current_name = "current (" + cfg.string("current") +
                                     (cfg.string("current") == "karras" ? fmt::format(" rho={}", cfg.number("rho")) : "") +
                                     ")";

    for (const auto& sampler : samplers)
        for (const auto nfe : nfes)
            require_range("current = " + cfg.string("current"),
                          current_at(static_cast<std::size_t>(nfe) / find_solver(sampler).traits.nfe_per_step));
    // A schedule file the user adds.
    std::optional<Schedule> extra;
    if (!cfg.string("candidate_file").empty()) {
        extra = read_schedule_file(cfg.string("candidate_file"));
        if (extra->sigmas().back() == 0.0) {  // a peer's list (k-diffusion, ComfyUI) ends in 0: its last step's
            const auto s = extra->sigmas();    // start is the sigma_min the NLL is taken at
            extra = Schedule(std::vector<double>(s.begin(), s.end() - 1));
        }
        require_range("candidate_file " + cfg.string("candidate_file"), *extra);
    }
    const auto model = read_model_denoiser(cfg, *dataset.data, ctx, &r, true);
    const Conditioning cond = read_conditioning(cfg, *dataset.data, model ? *model : dataset.data->denoiser());
    Problem problem = problem_of(dataset, cond.denoiser);
    problem.labelled = cond.all_classes;
    if (cond.guided && !cond.all_classes) {
        problem.data = cond.data;
        problem.held_out = nullptr;
    }
    // The image judge: FID under a feature network (run-experiment features) against the held-out images.
    std::optional<FeatureNetwork> feature_network;
    std::optional<ImageJudge> image_judge;
    if (const std::string path = cfg.string("features_model"); !path.empty()) {
        feature_network = FeatureNetwork::load(path);
        if (feature_network->image_dim() != dataset.data->dim())
            throw InputError(fmt::format("the feature network takes images of {} values; the data '{}' has {}",
                                         feature_network->image_dim(), dataset.name, dataset.data->dim()));
        if (!dataset.held_out.n)
            throw InputError("features_model needs real held-out images to judge against (held_out, held_out_file)");
        // Each seed's FID needs a non-singular sample covariance: refused here, before the optimisers run.
        // (screen_particles = 0 is no screen.)
        for (const char* key : {"eval_particles", "screen_particles"})
            if (const auto n = static_cast<std::size_t>(cfg.integer(key));
                n <= feature_network->feature_dim() && !(n == 0 && std::string_view(key) == "screen_particles"))
                throw InputError(fmt::format("{} = {} is too few for FID under a feature network of dimension {} "
                                             "(each seed's samples need more rows than dimensions)",
                                             key, n, feature_network->feature_dim()));
        image_judge = ImageJudge::of(*feature_network, dataset.held_out, ctx.threads, dataset.held_out_labels);
        image_judge->decides = cfg.string("image_judge") == "kid" ? Metric::kid : Metric::fid;
        problem.images = &*image_judge;
        r.values["feature_network"] = {{"file", path}, {"fingerprint", feature_network->fingerprint()},
                                       {"reference_images", dataset.held_out.n}};
    }
    const Denoiser& denoiser = *problem.denoiser;
    describe_dataset(dataset, r);
    r.values["denoiser"] = denoiser_name(cfg);

    // Optimisers run once per step count (and per sampler where the sampler matters: the teacher-based
    // ones, and AYS whose stop proxy is the user's sampler), shared by every cell that needs them.
    AysOptions ays = read_ays_options(cfg, ctx);
    ays.labelled = cond.all_classes;
    ScheduleProblem sp = read_schedule_problem(cfg, ctx, *problem.data, denoiser);
    sp.labelled = cond.all_classes;  // the teacher and ays-path follow each start's class, guided as sampled
    LeagueOptimiserOptions league{static_cast<std::size_t>(cfg.integer("particles")),
                                  static_cast<std::size_t>(cfg.integer("teacher_steps")),
                                  static_cast<std::size_t>(cfg.integer("ld3_iterations")), cfg.number("ld3_slack")};
    const Schema proxy_schema = cfg.schema() + Schema{shared_key("stop_sampler")};
    std::map<std::string, OptimisedSchedule> made;
    std::map<std::string, std::unique_ptr<Solver>> solvers;
    nlohmann::json cost = nlohmann::json::object();
    std::size_t total_rows = 0;
    // A table shared by every cell, made once: its rows (the model's count, else what `make` reports)
    // and seconds recorded under `key`.
    auto made_once = [&](const std::string& key, const std::function<std::size_t()>& make) {
        const auto t0 = std::chrono::steady_clock::now();
        const Evaluations before = denoiser.evaluations();
        const std::size_t own = make();
        const std::size_t rows = model ? denoiser.evaluations().rows - before.rows : own;
        total_rows += rows;
        cost[key] = {{"rows", rows}};
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        r.timings[key] = seconds;
        if (ctx.progress) fmt::print(stderr, "[recommend] {}: {:.1f} s\n", key, seconds);
    };
    // One teacher for every teacher-based optimiser, sampler and step count (it depends on none of them),
    // and one path-KLUB table for ays-path at every step count.
    std::optional<Teacher> teacher;
    std::optional<PathKlub> path_klub;
    auto shared_teacher = [&]() -> const Teacher* {
        if (!teacher)
            made_once("teacher", [&] {
                teacher = make_teacher(sp, league.particles, league.teacher_steps, sp.seed);
                return teacher->evaluations;
            });
        return &*teacher;
    };
    auto shared_path_klub = [&]() -> const PathKlub* {
        if (!path_klub)
            made_once("ays-path table", [&] {
                path_klub.emplace(sp, sp.klub_samples, streams::path_klub_seed(sp.seed));
                return path_klub->evaluations();
            });
        return &*path_klub;
    };
    auto optimised = [&](const std::string& name, const std::string& sampler, std::size_t steps) -> const Schedule& {
        const ScheduleOptimiser& opt = find_schedule_optimiser(name);
        const bool per_sampler = opt.needs_teacher || name == "ays";
        const std::string key = fmt::format("{}@{}{}", name, steps, per_sampler ? "/" + sampler : "");
        if (auto it = made.find(key); it != made.end()) return it->second.schedule;
        if (steps + 1 > sp.grid && name != "ays" && name != "ays-klub")
            throw InputError(fmt::format("{} steps need a grid of more than {} sigmas (grid = {})", steps, steps, sp.grid));
        sp.steps = steps;
        const Schedule start = karras(steps, lo, hi, 7.0);
        auto& solver = solvers[sampler];
        if (!solver) solver = make_solver(sampler, read_solver_options(cfg));
        OptimiserInput in{&sp, &start, solver.get(), ays, league, {}};
        if (opt.needs_teacher) in.league.teacher = shared_teacher();
        if (name == "ays-path") in.league.path_klub = shared_path_klub();
        if (name == "ays") {  // the paper's stop, its proxy the user's sampler
            nlohmann::json values = cfg.json();
            values["stop_sampler"] = nlohmann::json::array({sampler});
            set_stop_proxy(in.ays, Config(proxy_schema, values), problem, ctx);
        }
        const Evaluations before = denoiser.evaluations();
        OptimisedSchedule out = opt.make(in);
        const Evaluations after = denoiser.evaluations();
        // A model counts its rows itself (the stop proxy's included); the exact denoisers do not, and
        // AYS does not count its KLUB draws (null: not counted), the league's optimisers do.
        const bool counted = model || (name != "ays" && name != "ays-klub");
        const std::size_t rows = model ? after.rows - before.rows : out.evaluations;
        total_rows += counted ? rows : 0;
        cost[key] = {{"rows", counted ? nlohmann::json(rows) : nlohmann::json(nullptr)}};
        r.timings["optimiser " + key] = out.seconds;
        if (ctx.progress) fmt::print(stderr, "[recommend] {}: {:.1f} s\n", key, out.seconds);
        return made.emplace(key, std::move(out)).first->second.schedule;
    };

    StudyOptions so;
    so.judge = read_evaluation(cfg, ctx);
    so.judge.seed = streams::held_out_judge(cfg.seed());  // starts no optimiser saw
    so.n_se = cfg.number("n_se");
    so.screen_particles = static_cast<std::size_t>(cfg.integer("screen_particles"));
    so.finalists = static_cast<std::size_t>(cfg.integer("finalists"));
    so.screen_seed = streams::held_out_screen(cfg.seed());  // apart from the judge's starts
    // Sample grids: one PNG per cell, a row per schedule (current first), the same held-out starts in
    // every column (with their classes when labelled), so schedules compare side by side.
    const std::string png = cfg.string("png");
    const auto png_columns = static_cast<std::size_t>(cfg.integer("png_columns"));
    const std::size_t side = png.empty() ? 0 : image_side(dataset.data->dim(), dataset.name);
    auto png_file = [&](const std::string& sampler, std::size_t nfe) {
        std::filesystem::path p(png);
        return (p.parent_path() / fmt::format("{}-{}-nfe{}.png", p.stem().string(), sampler, nfe)).string();
    };
    if (!png.empty()) {
        check_writable_target(png_file(samplers.front(), static_cast<std::size_t>(nfes.front())), "sample grid");
        so.judge.keep = png_columns;
    }
    const Metric metric = judge_metric(problem);
    r.values["judge"] = {{"metric", metric_name(metric)},
                         {"particles", so.judge.particles},
                         {"seeds", so.judge.seeds},
                         {"n_se", so.n_se},
                         {"starts", "held out: evaluation seeds of streams::held_out_judge(seed)"},
                         {"screen", so.screen_particles > 0 ? nlohmann::json{{"particles", so.screen_particles},
                                                                             {"finalists", so.finalists},
                                                                             {"starts", "streams::held_out_screen(seed)"}}
                                                            : nlohmann::json(nullptr)}};
    r.line(fmt::format("recommend on {} (denoiser {}), sigma in [{}, {}]: each candidate against {} with the same "
                       "held-out starts ({} seeds x {} particles), judged by {}; a winner must beat it by more than "
                       "{} paired SE",
                       dataset.name, denoiser_name(cfg), lo, hi, current_name, so.judge.seeds, so.judge.particles,
                       metric == Metric::nll         ? "the NLL under the data's exact density"
                       : metric == Metric::sliced_w2 ? "sliced W2 to the held-out rows"
                                                     : fmt::format("{} to the held-out images (feature network {})",
                                                                   metric == Metric::kid ? "KID" : "FID",
                                                                   feature_network->fingerprint()),
                       so.n_se));
    if (so.screen_particles > 0)
        r.line(fmt::format("screen: every candidate first on one seed of {} starts of its own; the {} best by the {} "
                           "go on to the judge beside the current schedule (the verdict on the judge's starts alone)",
                           so.screen_particles, so.finalists, metric_name(metric)));
    r.line(fmt::format("budget: candidates {}; teacher {} particles x {} Heun steps, grid {} sigmas, LD3 {} passes, "
                       "{} KLUB samples / paths{}",
                       fmt::join(given, ","), league.particles, league.teacher_steps, sp.grid, league.ld3_iterations,
                       sp.klub_samples, model ? " (a model: set these keys to change it)" : ""));
    const std::string format = cfg.string("format");
    std::vector<std::pair<std::string, GrayImage>> grids;  // written when every cell is done
    std::size_t keeps = 0, cells = 0;
    nlohmann::json out_cells = nlohmann::json::array();
    for (const auto& sampler : samplers) {
        const auto& traits = find_solver(sampler).traits;
        for (const auto nfe64 : nfes) {
            const auto nfe = static_cast<std::size_t>(nfe64);
            const std::size_t steps = nfe / traits.nfe_per_step;
            const Schedule current = current_at(steps);
            std::vector<NamedSchedule> candidates;
            std::vector<std::string> skipped;
            for (const auto& name : names) {
                if (std::find(family_names().begin(), family_names().end(), name) != family_names().end()) {
                    Schedule f = family(name, spec_at(steps));
                    if (!std::ranges::equal(f.sigmas(), current.sigmas())) candidates.push_back({name, std::move(f)});
                    continue;
                }
                if (find_schedule_optimiser(name).needs_teacher && traits.stochastic) {
                    skipped.push_back(name);  // (named explicitly it was refused above)
                    continue;
                }
                candidates.push_back({name, optimised(name, sampler, steps)});
            }
            if (extra) candidates.push_back({"candidate_file", resample_loglinear(*extra, steps)});
            const StudyCell cell = study(problem, sampler, {current_name, current}, candidates, so,
                                         read_solver_options(cfg));
            const StudyVerdict& v = cell.verdict;
            ++cells;
            keeps += v.keep ? 1 : 0;
            nlohmann::json rows = nlohmann::json::array();
            r.line(fmt::format("== {} at NFE {} ({} steps){}", sampler, nfe, steps,
                               skipped.empty() ? "" : fmt::format(" (teacher-based {} skipped: the sampler draws noise)",
                                                                  fmt::join(skipped, ", "))));
            // With the image judge, FID and KID replace the NLL columns (a point set's NLL is no judge).
            const bool images = problem.images != nullptr;
            r.line(fmt::format("  {:<26} {:>22} {:>24}{} {:>22} {:>24}", "schedule", images ? "FID" : "NLL", "vs current",
                               images ? fmt::format(" {:>22} {:>24}", "KID", "vs current") : "", "sliced W2",
                               "vs current"));
            for (const auto& row : cell.rows) {
                const bool first = &row == &cell.rows.front();
                auto versus = [&](const Moments& m) { return first || m.count() < 1 ? std::string() : plus_minus(m); };
                r.line(fmt::format("  {:<26} {:>22} {:>24}{} {:>22} {:>24}", row.name,
                                   plus_minus(images ? row.quality.fid : row.quality.nll),
                                   versus(images ? row.fid_vs_current : row.nll_vs_current),
                                   images ? fmt::format(" {:>22} {:>24}", plus_minus(row.quality.kid),
                                                        versus(row.kid_vs_current))
                                          : "",
                                   plus_minus(row.quality.sw2), versus(row.sw2_vs_current)));
                nlohmann::json j = {{"name", row.name},
                                    {"sigmas", row.schedule.sigmas()},
                                    {"samples", quality_json(row.quality)},
                                    {"nll_vs_current", moments_json(row.nll_vs_current)},
                                    {"sliced_w2_vs_current", moments_json(row.sw2_vs_current)}};
                if (images) {
                    j["fid_vs_current"] = moments_json(row.fid_vs_current);
                    j["kid_vs_current"] = moments_json(row.kid_vs_current);
                }
                rows.push_back(std::move(j));
            }
            nlohmann::json screened = nullptr;
            if (!cell.screened.empty()) {
                screened = nlohmann::json::array();
                std::vector<std::string> out;
                for (const auto& sc : cell.screened) {
                    screened.push_back({{"name", sc.name},
                                        {"value", std::isfinite(sc.value) ? nlohmann::json(sc.value) : nlohmann::json(nullptr)},
                                        {"finalist", sc.finalist}});
                    if (!sc.finalist) out.push_back(fmt::format("{} {:.4g}", sc.name, sc.value));
                }
                r.line(fmt::format("  screened out ({} on one seed of {} starts): {}", metric_name(metric),
                                   so.screen_particles, fmt::join(out, ", ")));
            }
            const auto& winner = *std::find_if(cell.rows.begin(), cell.rows.end(),
                                               [&](const StudyRow& row) { return row.name == v.winner; });
            if (v.keep)
                r.line(fmt::format("  verdict: keep your schedule — no candidate beats it by more than {} paired SE of "
                                   "the {}",
                                   so.n_se, metric_name(metric)));
            else
                r.line(fmt::format("  verdict: {} — better than your schedule by {:.4g} ± {:.2g} in {} ({:.1f} SE){}",
                                   v.winner, v.margin, v.margin_se, metric_name(metric), v.margin / v.margin_se,
                                   v.judges_disagree ? "; the other judge ranks it worse beyond noise" : ""));
            for (const auto& line : format_schedule(winner.schedule, *process, format)) r.line("    " + line);
            nlohmann::json grid = nullptr;
            if (!png.empty()) {
                const std::size_t shown = std::min(png_columns, so.judge.particles);
                const std::string file = png_file(sampler, nfe);
                grids.emplace_back(file, schedules_grid(cell, shown, side));
                std::vector<std::string> order;
                for (const auto& row : cell.rows) order.push_back(row.name);
                grid = {{"file", file}, {"rows", order}, {"columns", shown}};
                r.line(fmt::format("  sample grid (a row per schedule, the same {} starts in every row): {}", shown, file));
            }
            out_cells.push_back({{"sampler", sampler},
                                 {"nfe", nfe},
                                 {"steps", steps},
                                 {"rows", rows},
                                 {"skipped", skipped},
                                 {"screened", screened},
                                 {"verdict",
                                  {{"keep", v.keep},
                                   {"winner", v.winner},
                                   {"metric", metric_name(v.metric)},
                                   {"margin", v.margin},
                                   {"margin_se", v.margin_se},
                                   {"judges_disagree", v.judges_disagree}}},
                                 {"recommended", schedule_json(winner.schedule, *process)},
                                 {"png", grid},
                                 {"exports", schedule_exports(winner.schedule, *process)}});
        }
    }
    // The grids only after the last cell: a run that fails in a later cell leaves none behind.
    for (const auto& [file, image] : grids) write_png(file, image, "sample grid");
    r.values["cells"] = out_cells;
    r.values["optimiser_rows"] = cost;
    r.values["keep_your_schedule"] = {{"cells", keeps}, {"of", cells}};
    r.line(fmt::format("keep your schedule: {} of {} cells; optimisers spent {} denoiser rows{}", keeps, cells, total_rows,
                       model ? "" : " (AYS's KLUB draws on the exact denoiser not counted)"));
    if (model) {
        const Evaluations all = denoiser.evaluations();
        r.values["model_evaluations"] = {{"optimisers", total_rows}, {"run", {{"rows", all.rows}, {"calls", all.calls}}}};
    }
    return r;
}

}  // namespace

Experiment recommend_experiment() {
    return {"recommend",
            "which schedule for my sampler and NFE: every optimiser and family judged on held-out starts against "
            "the current schedule, or keep it",
            Schema{seed_key(), shared_key("samplers"),
                   {"nfe", KeyType::integer_list, "denoiser evaluations per sample (steps = NFE / the sampler's per-step NFE)",
                    1, 100000},
                   {"current", KeyType::string,
                    "the schedule you use now: a family (karras with rho; file with schedule_file); the default karras "
                    "becomes uniform-t for a DDPM process (diffusers' default spacing)",
                    {}, {}, schedule_kinds()},
                   {"candidates", KeyType::string_list,
                    "candidate schedules: optimisers of the registry and families (auto: ays, ays-klub, ays-path, gits and "
                    "ld3 for deterministic samplers, and every family; fast: auto without ays and ays-klub)",
                    {}, {}, candidate_names()},
                   {"candidate_file", KeyType::path, "one more candidate: a schedule file (re-spaced log-linearly to each "
                                                     "step count)"},
                   {"format", KeyType::string, "how the recommended schedule is printed", {}, {}, schedule_formats()}} +
                shared_keys({"data", "points", "file", "held_out_file", "held_out_fraction", "precision", "process",
                             "sigma_min", "sigma_max", "schedule_file", "rho", "samples", "validation_samples",
                             "golden_iterations", "max_sweeps", "patience", "min_improvement", "stop_on",
                             "stop_particles", "stop_n_se", "klub_c", "eval_particles", "eval_seeds", "projections", "n_se",
                             "denoiser", "model", "parametrisation", "model_process", "model_time", "model_sigma_data",
                             "preflight", "model_labels", "model_null_label", "model_shape", "model_embedding", "device",
                             "label", "all_classes", "guidance", "guidance_interval", "labels", "grid", "teacher_steps",
                             "ld3_iterations", "ld3_slack", "subset", "held_out", "directory"}) +
                Schema{described(shared_key("particles"), "teacher trajectories (gits, oss, ld3)"),
                       {"screen_particles", KeyType::integer,
                        "screen every candidate on one seed of this many starts first and judge only the `finalists` "
                        "best in full (0: judge every candidate in full; a model's budget on images screens)",
                        0, 1e8},
                       {"finalists", KeyType::integer, "candidates that go on from the screen to the full judge", 1, 100},
                       {"image_judge", KeyType::string,
                        "with features_model: what decides, the FID or the KID (both are reported)", {}, {}, {"fid", "kid"}},
                       {"png", KeyType::string,
                        "image data: PNG sample grids, one per cell as PREFIX-SAMPLER-nfeN.png beside this path (a row "
                        "per schedule, current first; the same held-out starts in every row); empty: none"},
                       {"png_columns", KeyType::integer, "samples per row of the png grids", 1, 64},
                       {"features_model", KeyType::path,
                        "image data: a feature network (run-experiment features) whose FID to the held-out images judges "
                        "(empty: none)"}},
            run};
}

}  // namespace ayslab::app
