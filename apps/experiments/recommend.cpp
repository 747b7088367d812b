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

// Refused before any work: an NFE below a sampler's per-step cost, an adaptive sampler (no NFE budget), a
// teacher-based optimiser named for a stochastic sampler (`automatic` candidates skip those instead).
void refuse_unfit_samplers(const std::vector<std::string>& samplers, const std::vector<std::int64_t>& nfes,
                           const std::vector<std::string>& names, bool automatic) {
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
}

// The run's schedules: its spec at a step count, the user's current schedule (the `current` kind on
// it), and the range every judged schedule must span (a file's own range would end the comparison after
// every optimiser has run).
struct RunSchedules {
    const Config& cfg;
    const Process* process;
    double c, lo, hi;
    ScheduleSpec at(std::size_t steps) const {
        ScheduleSpec spec = read_schedule_spec(cfg, process, c);
        spec.steps = steps;
        return spec;
    }
    Schedule current(std::size_t steps) const { return make_schedule(cfg.string("current"), at(steps)); }
    std::string current_name() const {
        return "current (" + cfg.string("current") +
               (cfg.string("current") == "karras" ? fmt::format(" rho={}", cfg.number("rho")) : "") + ")";
    }
    void require_range(const std::string& what, const Schedule& s) const {
        if (std::abs(s.sigma_max() / hi - 1.0) > 1e-9 || std::abs(s.sigma_min() / lo - 1.0) > 1e-9)
            throw InputError(fmt::format("{} runs from sigma {} to {}; recommend judges schedules over [{}, {}] (set "
                                         "sigma_min and sigma_max to its range)",
                                         what, s.sigma_max(), s.sigma_min(), lo, hi));
    }
};

// A schedule file the user adds (a peer's list ending in 0 loses the 0: its last step's start is the
// sigma_min the NLL is taken at).
std::optional<Schedule> candidate_file(const Config& cfg, const RunSchedules& schedules) {
    if (cfg.string("candidate_file").empty()) return std::nullopt;
    Schedule extra = read_schedule_file(cfg.string("candidate_file"));
    if (extra.sigmas().back() == 0.0) {
        const auto s = extra.sigmas();
        extra = Schedule(std::vector<double>(s.begin(), s.end() - 1));
    }
    schedules.require_range("candidate_file " + cfg.string("candidate_file"), extra);
    return extra;
}

// The image judge: FID under a feature network (run-experiment features) against the held-out images.
// It stays where it is made (the judge points at its network).
struct ImageJudging {
    std::optional<FeatureNetwork> network;
    std::optional<ImageJudge> judge;
};
void set_image_judge(ImageJudging& out, const Config& cfg, const RunContext& ctx, const Dataset& dataset,
                     Problem& problem, Result& r) {
    const std::string path = cfg.string("features_model");
    if (path.empty()) return;
    out.network = FeatureNetwork::load(path);
    const FeatureNetwork& network = *out.network;
    if (network.image_dim() != dataset.data->dim())
        throw InputError(fmt::format("the feature network takes images of {} values; the data '{}' has {}",
                                     network.image_dim(), dataset.name, dataset.data->dim()));
    if (!dataset.held_out.n)
        throw InputError("features_model needs real held-out images to judge against (held_out, held_out_file)");
    // Each seed's FID needs a non-singular sample covariance: refused here, before the optimisers run.
    // (screen_particles = 0 is no screen.)
    for (const char* key : {"eval_particles", "screen_particles"})
        if (const auto n = static_cast<std::size_t>(cfg.integer(key));
            n <= network.feature_dim() && !(n == 0 && std::string_view(key) == "screen_particles"))
            throw InputError(fmt::format("{} = {} is too few for FID under a feature network of dimension {} "
                                         "(each seed's samples need more rows than dimensions)",
                                         key, n, network.feature_dim()));
    out.judge = ImageJudge::of(network, dataset.held_out, ctx.threads, dataset.held_out_labels);
    out.judge->decides = cfg.string("image_judge") == "kid" ? Metric::kid : Metric::fid;
    problem.images = &*out.judge;
    r.values["feature_network"] = {{"file", path}, {"fingerprint", network.fingerprint()},
                                   {"reference_images", dataset.held_out.n}};
}

// The optimisers' schedules, each made once per step count (and per sampler where the sampler matters:
// the teacher-based ones, and AYS whose stop proxy is the user's sampler) and shared by every cell that
// needs it; one teacher for every teacher-based optimiser (it depends on no sampler or step count) and
// one path-KLUB table for ays-path. Their cost in rows and seconds goes into the result.
class OptimisedSchedules {
  public:
    OptimisedSchedules(const Config& cfg, const RunContext& ctx, const Problem& problem, bool model,
                       bool all_classes, Result& r)
        : cfg_(cfg), ctx_(ctx), problem_(problem), denoiser_(*problem.denoiser), model_(model), r_(r),
          ays_(read_ays_options(cfg, ctx)), sp_(read_schedule_problem(cfg, ctx, *problem.data, denoiser_)),
          league_{static_cast<std::size_t>(cfg.integer("particles")), static_cast<std::size_t>(cfg.integer("teacher_steps")),
                  static_cast<std::size_t>(cfg.integer("ld3_iterations")), cfg.number("ld3_slack")},
          proxy_schema_(cfg.schema() + Schema{shared_key("stop_sampler")}) {
        ays_.labelled = all_classes;
        sp_.labelled = all_classes;  // the teacher and ays-path follow each start's class, guided as sampled
    }
    const ScheduleProblem& problem() const { return sp_; }
    const LeagueOptimiserOptions& league() const { return league_; }
    const nlohmann::json& cost() const { return cost_; }
    std::size_t total_rows() const { return total_rows_; }

    const Schedule& get(const std::string& name, const std::string& sampler, std::size_t steps, double lo, double hi) {
        const ScheduleOptimiser& opt = find_schedule_optimiser(name);
        const bool per_sampler = opt.needs_teacher || name == "ays";
        const std::string key = fmt::format("{}@{}{}", name, steps, per_sampler ? "/" + sampler : "");
        if (auto it = made_.find(key); it != made_.end()) return it->second.schedule;
        if (steps + 1 > sp_.grid && name != "ays" && name != "ays-klub")
            throw InputError(fmt::format("{} steps need a grid of more than {} sigmas (grid = {})", steps, steps, sp_.grid));
        sp_.steps = steps;
        const Schedule start = karras(steps, lo, hi, 7.0);
        auto& solver = solvers_[sampler];
        if (!solver) solver = make_solver(sampler, read_solver_options(cfg_));
        OptimiserInput in{&sp_, &start, solver.get(), ays_, league_, {}};
        if (opt.needs_teacher) in.league.teacher = teacher();
        if (name == "ays-path") in.league.path_klub = path_klub();
        if (name == "ays") {  // the paper's stop, its proxy the user's sampler
            nlohmann::json values = cfg_.json();
            values["stop_sampler"] = nlohmann::json::array({sampler});
            set_stop_proxy(in.ays, Config(proxy_schema_, values), problem_, ctx_);
        }
        const Evaluations before = denoiser_.evaluations();
        OptimisedSchedule out = opt.make(in);
        const Evaluations after = denoiser_.evaluations();
        // A model counts its rows itself (the stop proxy's included); the exact denoisers do not, and
        // AYS does not count its KLUB draws (null: not counted), the league's optimisers do.
        const bool counted = model_ || (name != "ays" && name != "ays-klub");
        const std::size_t rows = model_ ? after.rows - before.rows : out.evaluations;
        total_rows_ += counted ? rows : 0;
        cost_[key] = {{"rows", counted ? nlohmann::json(rows) : nlohmann::json(nullptr)}};
        r_.timings["optimiser " + key] = out.seconds;
        if (ctx_.progress) fmt::print(stderr, "[recommend] {}: {:.1f} s\n", key, out.seconds);
        return made_.emplace(key, std::move(out)).first->second.schedule;
    }

  private:
    // A table shared by every cell, made once: its rows (the model's count, else what `make` reports)
    // and seconds recorded under `key`.
    void made_once(const std::string& key, const std::function<std::size_t()>& make) {
        const auto t0 = std::chrono::steady_clock::now();
        const Evaluations before = denoiser_.evaluations();
        const std::size_t own = make();
        const std::size_t rows = model_ ? denoiser_.evaluations().rows - before.rows : own;
        total_rows_ += rows;
        cost_[key] = {{"rows", rows}};
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        r_.timings[key] = seconds;
        if (ctx_.progress) fmt::print(stderr, "[recommend] {}: {:.1f} s\n", key, seconds);
    }
    const Teacher* teacher() {
        if (!teacher_)
            made_once("teacher", [&] {
                teacher_ = make_teacher(sp_, league_.particles, league_.teacher_steps, sp_.seed);
                return teacher_->evaluations;
            });
        return &*teacher_;
    }
    const PathKlub* path_klub() {
        if (!path_klub_)
            made_once("ays-path table", [&] {
                path_klub_.emplace(sp_, sp_.klub_samples, streams::path_klub_seed(sp_.seed));
                return path_klub_->evaluations();
            });
        return &*path_klub_;
    }

    const Config& cfg_;
    const RunContext& ctx_;
    const Problem& problem_;
    const Denoiser& denoiser_;
    bool model_;
    Result& r_;
    AysOptions ays_;
    ScheduleProblem sp_;
    LeagueOptimiserOptions league_;
    Schema proxy_schema_;
    std::map<std::string, OptimisedSchedule> made_;
    std::map<std::string, std::unique_ptr<Solver>> solvers_;
    nlohmann::json cost_ = nlohmann::json::object();
    std::size_t total_rows_ = 0;
    std::optional<Teacher> teacher_;
    std::optional<PathKlub> path_klub_;
};

// The study's options: the judge on held-out starts no optimiser saw, the screen on starts of its own.
StudyOptions study_options(const Config& cfg, const RunContext& ctx) {
    StudyOptions so;
    so.judge = read_evaluation(cfg, ctx);
    so.judge.seed = streams::held_out_judge(cfg.seed());  // starts no optimiser saw
    so.n_se = cfg.number("n_se");
    so.screen_particles = static_cast<std::size_t>(cfg.integer("screen_particles"));
    so.finalists = static_cast<std::size_t>(cfg.integer("finalists"));
    so.screen_seed = streams::held_out_screen(cfg.seed());  // apart from the judge's starts
    return so;
}

// How the run judges, into the result and its header lines.
void describe_judge(Result& r, const Config& cfg, const std::string& data_name, const RunSchedules& schedules,
                    const StudyOptions& so, Metric metric, const ImageJudging& images, const OptimisedSchedules& optimisers,
                    bool model) {
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
                       data_name, denoiser_name(cfg), schedules.lo, schedules.hi, schedules.current_name(), so.judge.seeds,
                       so.judge.particles,
                       metric == Metric::nll         ? "the NLL under the data's exact density"
                       : metric == Metric::sliced_w2 ? "sliced W2 to the held-out rows"
                                                     : fmt::format("{} to the held-out images (feature network {})",
                                                                   metric == Metric::kid ? "KID" : "FID",
                                                                   images.network->fingerprint()),
                       so.n_se));
    if (so.screen_particles > 0)
        r.line(fmt::format("screen: every candidate first on one seed of {} starts of its own; the {} best by the {} "
                           "go on to the judge beside the current schedule (the verdict on the judge's starts alone)",
                           so.screen_particles, so.finalists, metric_name(metric)));
    const auto& league = optimisers.league();
    r.line(fmt::format("budget: candidates {}; teacher {} particles x {} Heun steps, grid {} sigmas, LD3 {} passes, "
                       "{} KLUB samples / paths{}",
                       fmt::join(cfg.strings("candidates"), ","), league.particles, league.teacher_steps,
                       optimisers.problem().grid, league.ld3_iterations, optimisers.problem().klub_samples,
                       model ? " (a model: set these keys to change it)" : ""));
}

// A cell's rows as lines and JSON (with the image judge, FID and KID replace the NLL columns: a point
// set's NLL is no judge).
nlohmann::json cell_rows(Result& r, const StudyCell& cell, bool images) {
    r.line(fmt::format("  {:<26} {:>22} {:>24}{} {:>22} {:>24}", "schedule", images ? "FID" : "NLL", "vs current",
                       images ? fmt::format(" {:>22} {:>24}", "KID", "vs current") : "", "sliced W2", "vs current"));
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& row : cell.rows) {
        const bool first = &row == &cell.rows.front();
        auto versus = [&](const Moments& m) { return first || m.count() < 1 ? std::string() : plus_minus(m); };
        r.line(fmt::format("  {:<26} {:>22} {:>24}{} {:>22} {:>24}", row.name,
                           plus_minus(images ? row.quality.fid : row.quality.nll),
                           versus(images ? row.fid_vs_current : row.nll_vs_current),
                           images ? fmt::format(" {:>22} {:>24}", plus_minus(row.quality.kid), versus(row.kid_vs_current))
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
    return rows;
}

// The candidates the screen dropped (null without a screen), as a line and JSON.
nlohmann::json screened_out(Result& r, const StudyCell& cell, Metric metric, std::size_t screen_particles) {
    if (cell.screened.empty()) return nullptr;
    nlohmann::json screened = nlohmann::json::array();
    std::vector<std::string> out;
    for (const auto& sc : cell.screened) {
        screened.push_back({{"name", sc.name},
                            {"value", std::isfinite(sc.value) ? nlohmann::json(sc.value) : nlohmann::json(nullptr)},
                            {"finalist", sc.finalist}});
        if (!sc.finalist) out.push_back(fmt::format("{} {:.4g}", sc.name, sc.value));
    }
    r.line(fmt::format("  screened out ({} on one seed of {} starts): {}", metric_name(metric), screen_particles,
                       fmt::join(out, ", ")));
    return screened;
}

void say_verdict(Result& r, const StudyVerdict& v, Metric metric, double n_se) {
    if (v.keep)
        r.line(fmt::format("  verdict: keep your schedule — no candidate beats it by more than {} paired SE of the {}",
                           n_se, metric_name(metric)));
    else
        r.line(fmt::format("  verdict: {} — better than your schedule by {:.4g} ± {:.2g} in {} ({:.1f} SE){}", v.winner,
                           v.margin, v.margin_se, metric_name(metric), v.margin / v.margin_se,
                           v.judges_disagree ? "; the other judge ranks it worse beyond noise" : ""));
}

nlohmann::json verdict_json(const StudyVerdict& v) {
    return {{"keep", v.keep},           {"winner", v.winner},       {"metric", metric_name(v.metric)},
            {"margin", v.margin},       {"margin_se", v.margin_se}, {"judges_disagree", v.judges_disagree}};
}

// Sample grids: one PNG per cell beside `png`, a row per schedule (current first), the same held-out
// starts in every column (with their classes when labelled), so schedules compare side by side.
// Written only after the last cell: a run that fails in a later cell leaves none behind.
struct SampleGrids {
    std::string png;
    std::size_t columns = 0, side = 0;
    std::vector<std::pair<std::string, GrayImage>> grids;
    std::string file(const std::string& sampler, std::size_t nfe) const {
        std::filesystem::path p(png);
        return (p.parent_path() / fmt::format("{}-{}-nfe{}.png", p.stem().string(), sampler, nfe)).string();
    }
    nlohmann::json add(Result& r, const StudyCell& cell, const std::string& sampler, std::size_t nfe, std::size_t particles) {
        if (png.empty()) return nullptr;
        const std::size_t shown = std::min(columns, particles);
        const std::string name = file(sampler, nfe);
        grids.emplace_back(name, schedules_grid(cell, shown, side));
        std::vector<std::string> order;
        for (const auto& row : cell.rows) order.push_back(row.name);
        r.line(fmt::format("  sample grid (a row per schedule, the same {} starts in every row): {}", shown, name));
        return {{"file", name}, {"rows", order}, {"columns", shown}};
    }
    void write() const {
        for (const auto& [name, image] : grids) write_png(name, image, "sample grid");
    }
};

// The cell's candidates: every family (the current schedule itself left out), every optimiser the
// sampler can follow (`skipped` gets the teacher-based ones a noisy sampler cannot), the user's file.
std::vector<NamedSchedule> cell_candidates(const std::vector<std::string>& names, const std::string& sampler,
                                           std::size_t steps, const RunSchedules& schedules, const Schedule& current,
                                           OptimisedSchedules& optimisers, const std::optional<Schedule>& extra,
                                           std::vector<std::string>& skipped) {
    const bool stochastic = find_solver(sampler).traits.stochastic;
    std::vector<NamedSchedule> candidates;
    for (const auto& name : names) {
        if (std::find(family_names().begin(), family_names().end(), name) != family_names().end()) {
            Schedule f = family(name, schedules.at(steps));
            if (!std::ranges::equal(f.sigmas(), current.sigmas())) candidates.push_back({name, std::move(f)});
            continue;
        }
        if (find_schedule_optimiser(name).needs_teacher && stochastic) {
            skipped.push_back(name);  // (named explicitly it was refused above)
            continue;
        }
        candidates.push_back({name, optimisers.get(name, sampler, steps, schedules.lo, schedules.hi)});
    }
    if (extra) candidates.push_back({"candidate_file", resample_loglinear(*extra, steps)});
    return candidates;
}

Result run(const Config& cfg, const RunContext& ctx) {
    Result r;
    const Dataset dataset = make_dataset(cfg.string("data"), read_dataset_options(cfg, ctx));
    const auto process = make_process(cfg.string("process"));
    const RunSchedules schedules{cfg, process.get(), std::sqrt(dataset.data->data_variance()), cfg.number("sigma_min"),
                                cfg.number("sigma_max")};
    const auto samplers = cfg.strings("samplers");
    const auto nfes = cfg.integers("nfe");
    const auto given = cfg.strings("candidates");
    const auto names = expand(given);
    refuse_unfit_samplers(samplers, nfes, names,
                          std::find(given.begin(), given.end(), "auto") != given.end() ||
                              std::find(given.begin(), given.end(), "fast") != given.end());
    for (const auto& sampler : samplers)
        for (const auto nfe : nfes)
            schedules.require_range("current = " + cfg.string("current"),
                                    schedules.current(static_cast<std::size_t>(nfe) / find_solver(sampler).traits.nfe_per_step));
    const std::optional<Schedule> extra = candidate_file(cfg, schedules);
    const auto model = read_model_denoiser(cfg, *dataset.data, ctx, &r, true);
    const Conditioning cond = read_conditioning(cfg, *dataset.data, model ? *model : dataset.data->denoiser());
    Problem problem = problem_of(dataset, cond.denoiser);
    problem.labelled = cond.all_classes;
    if (cond.guided && !cond.all_classes) {
        problem.data = cond.data;
        problem.held_out = nullptr;
    }
    ImageJudging images;
    set_image_judge(images, cfg, ctx, dataset, problem, r);
    const Denoiser& denoiser = *problem.denoiser;
    describe_dataset(dataset, r);
    r.values["denoiser"] = denoiser_name(cfg);

    OptimisedSchedules optimisers(cfg, ctx, problem, model != nullptr, cond.all_classes, r);
    StudyOptions so = study_options(cfg, ctx);
    SampleGrids grids{cfg.string("png"), static_cast<std::size_t>(cfg.integer("png_columns")), 0, {}};
    if (!grids.png.empty()) {
        grids.side = image_side(dataset.data->dim(), dataset.name);
        check_writable_target(grids.file(samplers.front(), static_cast<std::size_t>(nfes.front())), "sample grid");
        so.judge.keep = grids.columns;
    }
    const Metric metric = judge_metric(problem);
    describe_judge(r, cfg, dataset.name, schedules, so, metric, images, optimisers, model != nullptr);
    std::size_t keeps = 0, cells = 0;
    nlohmann::json out_cells = nlohmann::json::array();
    for (const auto& sampler : samplers) {
        for (const auto nfe64 : nfes) {
            const auto nfe = static_cast<std::size_t>(nfe64);
            const std::size_t steps = nfe / find_solver(sampler).traits.nfe_per_step;
            const Schedule current = schedules.current(steps);
            std::vector<std::string> skipped;
            const auto candidates = cell_candidates(names, sampler, steps, schedules, current, optimisers, extra, skipped);
            const StudyCell cell = study(problem, sampler, {schedules.current_name(), current}, candidates, so,
                                         read_solver_options(cfg));
            const StudyVerdict& v = cell.verdict;
            ++cells;
            keeps += v.keep ? 1 : 0;
            r.line(fmt::format("== {} at NFE {} ({} steps){}", sampler, nfe, steps,
                               skipped.empty() ? "" : fmt::format(" (teacher-based {} skipped: the sampler draws noise)",
                                                                  fmt::join(skipped, ", "))));
            nlohmann::json rows = cell_rows(r, cell, problem.images != nullptr);
            nlohmann::json screened = screened_out(r, cell, metric, so.screen_particles);
            const auto& winner = *std::find_if(cell.rows.begin(), cell.rows.end(),
                                               [&](const StudyRow& row) { return row.name == v.winner; });
            say_verdict(r, v, metric, so.n_se);
            for (const auto& line : format_schedule(winner.schedule, *process, cfg.string("format"))) r.line("    " + line);
            nlohmann::json grid = grids.add(r, cell, sampler, nfe, so.judge.particles);
            out_cells.push_back({{"sampler", sampler},
                                 {"nfe", nfe},
                                 {"steps", steps},
                                 {"rows", rows},
                                 {"skipped", skipped},
                                 {"screened", screened},
                                 {"verdict", verdict_json(v)},
                                 {"recommended", schedule_json(winner.schedule, *process)},
                                 {"png", grid},
                                 {"exports", schedule_exports(winner.schedule, *process)}});
        }
    }
    grids.write();
    r.values["cells"] = out_cells;
    r.values["optimiser_rows"] = optimisers.cost();
    r.values["keep_your_schedule"] = {{"cells", keeps}, {"of", cells}};
    r.line(fmt::format("keep your schedule: {} of {} cells; optimisers spent {} denoiser rows{}", keeps, cells,
                       optimisers.total_rows(), model ? "" : " (AYS's KLUB draws on the exact denoiser not counted)"));
    if (model) {
        const Evaluations all = denoiser.evaluations();
        r.values["model_evaluations"] = {{"optimisers", optimisers.total_rows()},
                                         {"run", {{"rows", all.rows}, {"calls", all.calls}}}};
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
                shared_keys({"png_columns", "data", "points", "file", "held_out_file", "held_out_fraction", "precision", "process",
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
                       {"features_model", KeyType::path,
                        "image data: a feature network (run-experiment features) whose FID to the held-out images judges "
                        "(empty: none)"}},
            run};
}

}  // namespace ayslab::app
