// optimiser-league: AYS against other ways of choosing the steps (ays-dp, ays-grid, GITS, OSS, LD3,
// the exact-KL optimum, arctan, EDM rho=7), per problem x solver x NFE, judged exactly where the data
// allow it (exact KL of the solver's output on Gaussian data) and by the exact-density NLL and the
// distance to a fresh 1000-step teacher on the ring of 8 (docs/optimiser-league.md).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>

#include "ayslab/data/datasets.hpp"
#include "ayslab/divergence/kl.hpp"
#include "ayslab/divergence/klub.hpp"
#include "ayslab/optimise/ays.hpp"
#include "ayslab/optimise/registry.hpp"
#include "ayslab/optimise/exact.hpp"
#include "ayslab/optimise/league.hpp"
#include "ayslab/error.hpp"
#include "ayslab/schedule/published.hpp"
#include "ayslab/stats.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/streams.hpp"
#include "evaluate.hpp"
#include "gaussian_spectrum.hpp"
#include "keys.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {

struct Entry {
    Schedule schedule;
    std::size_t evaluations = 0;
    double seconds = 0.0;
};

nlohmann::json sigmas_json(const Schedule& s) { return s.sigmas(); }

// Refused before any work: a sampler without an exact output law on a Gaussian problem (judged by it),
// and an NFE x sampler cell the league cannot run (it skipped them silently: a run of nfe=[100000] had
// no cell and passed with 0 checks): at least one whole step, and steps + 1 points that fit the DP grid.
void refuse_cells_out_of_reach(const Config& cfg) {
    for (const auto& problem_name : cfg.strings("problems"))
        if (problem_name.starts_with("gaussian-"))
            for (const auto& solver_name : cfg.strings("samplers"))
                if (find_solver(solver_name).traits.law == ExactLaw::none)
                    throw InputError(fmt::format(
                        "sampler '{}' has no exact output law on Gaussian data, which problem '{}' is judged by "
                        "(use it on ring8, moons, gaussian or fashion-mnist)",
                        solver_name, problem_name));
    const auto grid = static_cast<std::size_t>(cfg.integer("grid"));
    for (const auto nfe : cfg.integers("nfe"))
        for (const auto& solver_name : cfg.strings("samplers")) {
            const auto per_step = std::max<std::size_t>(1, find_solver(solver_name).traits.nfe_per_step);
            const auto steps = static_cast<std::size_t>(nfe) / per_step;
            if (steps < 1)
                throw InputError(fmt::format("nfe = {} is below sampler '{}''s {} evaluations per step", nfe,
                                             solver_name, per_step));
            if (steps + 1 > grid)
                throw InputError(fmt::format("nfe = {} gives sampler '{}' {} steps, more than the grid of {} sigmas "
                                             "holds (raise grid or lower nfe)",
                                             nfe, solver_name, steps, grid));
        }
}

// One problem of the league: its data, the denoiser every optimiser and sampler calls (the data's exact
// one, or a model file: docs/your-model.md), and its judges (exact KL on Gaussian data; else the NLL
// under the exact density and the distance to a fresh teacher). Gaussian problems keep their exact
// denoiser: their judge is the exact law of an affine sampler map, which a network does not have. Made
// in place (the KLUB grid and the judges point into it).
struct Contest {
    Contest(const Config& config, const RunContext& context, const std::string& problem_name, Result& result)
        : cfg(config), ctx(context), name(problem_name), r(result), lo(config.number("sigma_min")),
          hi(config.number("sigma_max")) {
        const double c = cfg.number("c");
        if (name == "gaussian-1d") gaussian = gaussian_spectrum(1, c, cfg.number("spectrum_exponent"));
        else if (name == "gaussian-64") gaussian = gaussian_spectrum(64, c, cfg.number("spectrum_exponent"));
        else dataset = make_dataset(name, read_dataset_options(cfg, ctx));
        data = gaussian ? static_cast<const Data*>(&*gaussian) : dataset.data.get();
        model = gaussian ? nullptr : read_model_denoiser(cfg, *data, ctx, &r);
        denoiser = model ? model.get() : &data->denoiser();
        // Non-Gaussian problems are judged by samples (evaluation.hpp): NLL under the exact density.
        judged = gaussian ? Problem{} : problem_of(dataset, denoiser);
        p = read_schedule_problem(cfg, ctx, *data, *denoiser);
        p.gaussian = gaussian ? &*gaussian : nullptr;
        const auto particles = static_cast<std::size_t>(cfg.integer("particles"));
        const auto teacher_steps = static_cast<std::size_t>(cfg.integer("teacher_steps"));
        teacher = make_teacher(p, particles, teacher_steps, cfg.seed());
        fresh_teacher = make_teacher(p, particles, teacher_steps, streams::league_teacher(cfg.seed()));
        klub.emplace(p, cfg.seed());
    }
    Contest(const Contest&) = delete;
    Contest& operator=(const Contest&) = delete;
    bool exact() const { return gaussian.has_value(); }

    const Config& cfg;
    const RunContext& ctx;
    std::string name;
    Result& r;
    double lo, hi;
    std::optional<DiagonalGaussian> gaussian;
    Dataset dataset;
    const Data* data = nullptr;
    std::unique_ptr<Denoiser> model;
    const Denoiser* denoiser = nullptr;
    Problem judged;
    ScheduleProblem p;
    Teacher teacher, fresh_teacher;
    std::optional<GridKlub> klub;
};

// Solver-independent schedules at a step count: EDM rho=7, arctan, the published tables where the
// problem has their range, AYS (early-stopped coordinate descent), Watson's DP, the grid DP optimum and
// grid coordinate descent; with the checks that tie them together.
std::map<std::string, Entry> shared_schedules(Contest& k, std::size_t steps, nlohmann::json& out) {
    const Config& cfg = k.cfg;
    const double lo = k.lo, hi = k.hi;
    std::map<std::string, Entry> m;
    k.p.steps = steps;
    const Schedule start = karras(steps, lo, hi, 7.0);
    m.insert_or_assign("karras", Entry{start, 0, 0.0});
    m.insert_or_assign("arctan", Entry{arctan_optimal(steps, lo, hi, std::sqrt(k.data->data_variance())), 0, 0.0});
    // ComfyUI's kl_optimal scheduler is the arctan spacing with c = 1 whatever the data (its final 0
    // replaced by sigma_min here, as for the tables below).
    m.insert_or_assign("comfyui-kl-optimal", Entry{arctan_optimal(steps, lo, hi, 1.0), 0, 0.0});
    // Published tables as baselines where the problem has their sigma range, the last sigma kept
    // rather than replaced by 0: NVIDIA's AYS (SD 1.5 / SDXL: [0.0291672, 14.6146]; SVD: [0.002,
    // 700]), log-linearly interpolated to the step count as NVIDIA's rule does, and ComfyUI's GITS
    // table (GITSScheduler, coeff 1.20: SD 1.5 sigmas; 2 steps or more), as its node reads it.
    std::vector<std::pair<const char*, std::vector<double>>> tables;
    for (const auto& [name, table_model] : {std::pair{"published-ays-sd15", PublishedAys::sd15},
                                            std::pair{"published-ays-sdxl", PublishedAys::sdxl},
                                            std::pair{"published-ays-svd", PublishedAys::svd}}) {
        const auto table = published_ays_sigmas(table_model);
        tables.emplace_back(name, steps + 1 == table.size() ? table : loglinear_interpolate(table, steps + 1));
    }
    if (steps >= 2) tables.emplace_back("comfyui-gits-sd15", comfyui_gits_sigmas(steps));
    for (auto& [name, v] : tables)
        if (std::abs(v.front() / hi - 1.0) < 1e-4 && std::abs(v.back() / lo - 1.0) < 1e-4) {
            v.front() = hi;
            v.back() = lo;
            m.insert_or_assign(name, Entry{Schedule(std::move(v)), 0, 0.0});
        }
    AysOptions o;
    o.samples = k.p.klub_samples;
    o.validation_samples = 2 * k.p.klub_samples;
    o.max_sweeps = static_cast<std::size_t>(cfg.integer("max_sweeps"));
    o.seed = cfg.seed();
    o.threads = k.ctx.threads;
    const auto t0 = std::chrono::steady_clock::now();
    const auto ays = *optimise_schedule("ays", *k.data, *k.denoiser, start, o).ays;
    // AYS's cost: golden-section candidates x 2 intervals x samples x 2 evaluations per sweep and
    // knot, plus validation; counted from its settings.
    const std::size_t sweeps = ays.trace.size();
    m.insert_or_assign("ays", Entry{ays.stages.back().schedule,
                                    sweeps * ((steps - 1) * (o.golden_iterations + 2) * 2 * o.samples + o.validation_samples * steps) * 2,
                                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()});
    const auto watson = optimise_watson(k.p, streams::watson_draws(cfg.seed()));
    m.insert_or_assign("watson", Entry{watson.schedule, watson.evaluations, watson.seconds});
    const auto dp = optimise_ays_dp(k.p, *k.klub);
    m.insert_or_assign("ays-dp", Entry{dp.schedule, dp.evaluations, dp.seconds});
    const auto descent = optimise_ays_grid_descent(k.p, *k.klub, start);
    m.insert_or_assign("ays-grid", Entry{descent.schedule, descent.evaluations, descent.seconds});
    // Watson's per-step ELBO terms are the KLUB plus int sigma^-3 E|x0 - E[x0|x_sigma]|^2 over the
    // interval (Pythagoras, exact denoiser; MATH §5), which sums to a schedule-independent
    // constant: both DPs pick the same path. On Gaussian data the constant is closed form,
    // sum_j [ln(sigma^2 / (c_j^2 + sigma^2))]/2 from sigma_min to sigma_max.
    out["steps=" + std::to_string(steps)]["watson_objective"] = watson.objective;
    if (k.exact()) {
        double constant = 0.0;
        for (double v : k.gaussian->variance())
            constant += 0.5 * (std::log(hi * hi / (v + hi * hi)) - std::log(lo * lo / (v + lo * lo)));
        k.r.check({fmt::format("{} {} steps: Watson's DP objective = AYS-DP KLUB + int sigma^-3 mmse (closed form)",
                               k.name, steps),
                   dp.objective + constant, watson.objective, 1e-10, Criterion::relative});
    }
    // How far coordinate descent lands from the grid's global optimum, on the same estimator.
    out["steps=" + std::to_string(steps)]["klub"] = {{"ays-dp", dp.objective},
                                                    {"ays-grid", descent.objective},
                                                    {"ays", k.klub->total(ays.stages.back().schedule)},
                                                    {"karras", k.klub->total(start)}};
    // The DP is the global optimum over the grid: never above coordinate descent on the same
    // interval costs (a DP with a wrong recursion or back-pointer fails this).
    k.r.check({fmt::format("{} {} steps: grid DP KLUB <= grid coordinate-descent KLUB (same interval costs)", k.name,
                           steps),
               descent.objective, dp.objective, 1e-12 * std::abs(descent.objective), Criterion::at_most});
    // AYS-DP's own objective on fresh draws: below EDM rho=7's beyond n_se combined SE (with one
    // step both are sigma_max -> sigma_min: no claim to make).
    const double n_se = cfg.number("n_se");
    if (!k.exact() && steps > 1) {
        const KlubMonteCarlo fresh{2 * k.p.klub_samples, streams::fresh_klub(cfg.seed()), 0.0, k.ctx.threads};
        const auto k_dp = klub_schedule_mc(*k.data, *k.denoiser, dp.schedule, fresh);
        const auto k_start = klub_schedule_mc(*k.data, *k.denoiser, start, fresh);
        k.r.check({fmt::format("{} {} steps: AYS-DP KLUB below EDM rho=7's on fresh draws by > {} SE", k.name, steps,
                               n_se),
                   k_start.value - n_se * std::hypot(k_dp.standard_error, k_start.standard_error), k_dp.value, 0.0,
                   Criterion::at_most});
    } else if (k.exact()) {
        double k_dp = 0.0, k_start = 0.0;
        for (double v : klub_schedule_gaussian(dp.schedule, k.gaussian->variance())) k_dp += v;
        for (double v : klub_schedule_gaussian(start, k.gaussian->variance())) k_start += v;
        k.r.check({fmt::format("{} {} steps: AYS-DP closed-form KLUB below EDM rho=7's", k.name, steps), k_start, k_dp,
                   0.0, Criterion::at_most});
    }
    return m;
}

// The exact-KL optimum by Newton from many starts (rho = 7, arctan, log-uniform, 5 seeded random
// schedules, every other optimiser's result), the best kept: the exact KL is multimodal (in 1-D it is
// zero on a whole surface of schedules for solvers whose output variance can overshoot the target), and
// one start can stop in a local optimum. Where the starts went into `starts_out`.
Entry exact_kl_optimum(const Contest& k, const Solver& solver, std::size_t steps,
                       const std::map<std::string, Entry>& entries, nlohmann::json& starts_out) {
    const double lo = k.lo, hi = k.hi;
    NewtonOptions newton;
    newton.threads = k.ctx.threads;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<Schedule> starts = {entries.at("karras").schedule,
                                    arctan_optimal(steps, lo, hi, std::sqrt(k.data->data_variance())),
                                    log_uniform(steps, lo, hi)};
    for (std::uint64_t q = 0; q < 5; ++q) {
        std::vector<double> u(steps - 1);
        fill_uniform({k.cfg.seed(), streams::league_starts, steps, q}, u);
        std::sort(u.begin(), u.end(), std::greater<>());
        std::vector<double> v = {hi};
        for (double x : u) v.push_back(lo * std::pow(hi / lo, x));
        v.push_back(lo);
        bool ok = true;
        for (std::size_t i = 1; i < v.size(); ++i) ok = ok && v[i] < v[i - 1];
        if (ok) starts.emplace_back(std::move(v));
    }
    std::vector<std::string> start_names = {"karras", "arctan", "log-uniform"};
    for (std::size_t q = start_names.size(); q < starts.size(); ++q) start_names.push_back(fmt::format("random-{}", q - 3));
    // Every other optimiser's schedule is a start too: Newton only descends, so the optimum
    // reported is never above any of them unless the Newton or KL code is wrong; where
    // the best came from another optimiser, the fixed starts had missed it (reported).
    for (const auto& [name, e] : entries)
        if (name != "karras" && name != "arctan" && name != "comfyui-kl-optimal") {
            starts.push_back(e.schedule);
            start_names.push_back(name);
        }
    std::optional<ExactOptimum> best;
    std::string best_from;
    std::size_t reached = 0;
    std::vector<double> finals;
    for (std::size_t q = 0; q < starts.size(); ++q) {
        auto o = optimise_exact_kl(solver, starts[q], *k.gaussian, newton);
        finals.push_back(o.kl);
        if (!best || o.kl < best->kl) {
            best = std::move(o);
            best_from = start_names[q];
        }
    }
    for (double f : finals) reached += f <= best->kl * (1.0 + 1e-6) + 1e-12;
    starts_out = {{"starts", start_names}, {"reached_best", reached}, {"best_from", best_from}, {"final_kls", finals}};
    return Entry{best->schedule, 0, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
}

// One NFE x sampler cell: every schedule judged (exact KL, or samples and the distance to a fresh
// teacher), into `cell` and the NFE's table, with the checks that can fail.
void judge_cell(Contest& k, const Solver& solver, const std::string& solver_name, std::size_t nfe, std::size_t steps,
                const std::map<std::string, Entry>& entries, nlohmann::json& cell,
                std::map<std::string, std::map<std::string, double>>& table) {
    const bool deterministic = !solver.stochastic();
    cell["steps"] = steps;
    std::map<std::string, std::vector<double>> teacher_each;  // per fresh-teacher particle
    for (const auto& [name, e] : entries) {
        nlohmann::json j = {{"sigmas", sigmas_json(e.schedule)}, {"cost_evaluations", e.evaluations}};
        k.r.timings[k.name]["nfe=" + std::to_string(nfe)][solver_name][name] = e.seconds;
        if (deterministic) {
            teacher_each[name] = teacher_distances(k.p, k.fresh_teacher, solver, e.schedule);
            Moments m;
            for (double v : teacher_each[name]) m.add(v);
            j["fresh_teacher_distance2"] = m.mean();
            j["fresh_teacher_distance2_se"] = m.se_mean();  // over the fresh teacher's particles
        }
        if (k.exact()) {
            const double kl = exact_solver_kl(solver, e.schedule, *k.gaussian);
            j["kl"] = kl;
            table[name][solver_name] = kl;
        } else {
            EvaluationOptions eo = read_evaluation(k.cfg, k.ctx);
            const auto q = evaluate_samples(k.judged, solver, e.schedule, eo);
            j["samples"] = quality_json(q);
            table[name][solver_name] = q.nll.mean();
        }
        cell[name] = j;
    }
    // Gaussian: no schedule beats the solver's exact-KL optimum (a Newton stuck in a local optimum, or a
    // wrong KL, shows here).
    if (k.exact() && entries.count("exact-kl"))
        for (const auto& [name, e] : entries)
            k.r.check({fmt::format("{} NFE {} {}: {} KL >= the exact-KL optimum's", k.name, nfe, solver_name, name),
                       cell[name]["kl"].get<double>(), cell["exact-kl"]["kl"].get<double>(),
                       1e-9 * cell["exact-kl"]["kl"].get<double>() + 1e-10, Criterion::at_most});
    // OSS and LD3 minimise the distance to the teacher: on a fresh teacher (other start points) it must
    // be below EDM rho=7's — by more than n_se standard errors of the paired difference over the fresh
    // teacher's particles (same start points for both schedules). One step has one schedule (sigma_max to
    // sigma_min): there is nothing to choose, and the claim would compare a schedule with itself.
    if (deterministic && steps > 1)
        for (const char* name : {"oss", "ld3"})
            if (entries.count(name)) {
                Moments diff;
                const auto& a = teacher_each[name];
                const auto& b = teacher_each["karras"];
                for (std::size_t i = 0; i < a.size(); ++i) diff.add(a[i] - b[i]);
                cell[name]["fresh_teacher_minus_karras"] = {{"mean", diff.mean()}, {"se", diff.se_mean()}};
                k.r.check({fmt::format("{} NFE {} {}: {} distance to a fresh teacher below EDM rho=7's "
                                       "(paired difference + n_se SE <= 0)",
                                       k.name, nfe, solver_name, name),
                           0.0, diff.mean() + k.cfg.number("n_se") * diff.se_mean(), 0.0, Criterion::at_most});
            }
}

// The NFE's table: one row per optimiser, one column per solver.
void print_table(Result& r, std::size_t nfe, const std::vector<std::string>& solvers,
                 const std::map<std::string, std::map<std::string, double>>& table) {
    std::string header = fmt::format("  NFE {:<3} {:<10}", nfe, "");
    for (const auto& s : solvers) header += fmt::format(" {:>14}", s);
    r.line(header);
    for (const auto& [name, row] : table) {
        std::string line = fmt::format("  {:<18}", name);
        for (const auto& s : solvers) line += row.count(s) ? fmt::format(" {:>14.5g}", row.at(s)) : fmt::format(" {:>14}", "-");
        r.line(line);
    }
}

Result run(const Config& cfg, const RunContext& ctx) {
    const auto grid = static_cast<std::size_t>(cfg.integer("grid"));
    const auto ld3_iterations = static_cast<std::size_t>(cfg.integer("ld3_iterations"));
    refuse_cells_out_of_reach(cfg);
    Result r;
    r.line(fmt::format("sigma in [{}, {}], grid of {} log-uniform sigmas for the DP methods, {} teacher trajectories "
                       "(Heun, {} steps)",
                       cfg.number("sigma_min"), cfg.number("sigma_max"), grid, cfg.integer("particles"),
                       cfg.integer("teacher_steps")));
    for (const auto& problem_name : cfg.strings("problems")) {
        Contest k(cfg, ctx, problem_name, r);
        auto& out = r.values[problem_name];
        out["dim"] = k.data->dim();
        out["teacher_evaluations"] = k.teacher.evaluations;
        out["denoiser"] = k.model ? cfg.string("model") : "exact";
        r.line(fmt::format("== {} (d = {}, denoiser {}): {}", problem_name, k.data->dim(),
                           k.model ? cfg.string("model") : "exact",
                           k.exact() ? "exact KL of each solver's output law (nats)"
                                     : "NLL under the exact p_sigma_min (mean over seeds) | distance^2 to a fresh teacher"));
        std::map<std::size_t, std::map<std::string, Entry>> by_steps;  // made once per step count
        for (const auto nfe64 : cfg.integers("nfe")) {
            const auto nfe = static_cast<std::size_t>(nfe64);
            const std::vector<std::string> solvers = cfg.strings("samplers");
            std::map<std::string, std::map<std::string, double>> table;  // optimiser -> solver -> value
            for (const auto& solver_name : solvers) {
                const auto solver = make_solver(solver_name);
                const std::size_t steps = std::max<std::size_t>(1, nfe / std::max<std::size_t>(1, solver->nfe_per_step()));
                if (steps + 1 > grid) continue;
                if (!by_steps.count(steps)) by_steps[steps] = shared_schedules(k, steps, out);
                k.p.steps = steps;
                std::map<std::string, Entry> entries = by_steps[steps];
                const Schedule& start = entries.at("karras").schedule;
                if (!solver->stochastic()) {  // the teacher-based optimisers
                    const auto gits = optimise_gits(k.p, k.teacher, *solver);
                    entries.insert_or_assign("gits", Entry{gits.schedule, gits.evaluations + k.teacher.evaluations, gits.seconds});
                    const auto oss = optimise_oss(k.p, k.teacher, *solver);
                    entries.insert_or_assign("oss", Entry{oss.schedule, oss.evaluations + k.teacher.evaluations, oss.seconds});
                    if (steps > 1) {
                        const auto ld3 = optimise_ld3(k.p, k.teacher, *solver, start, ld3_iterations, cfg.number("ld3_slack"));
                        entries.insert_or_assign("ld3", Entry{ld3.schedule, ld3.evaluations + k.teacher.evaluations, ld3.seconds});
                    }
                }
                auto& cells = out["nfe=" + std::to_string(nfe)];
                if (k.exact() && steps > 1)
                    entries.insert_or_assign("exact-kl",
                                             exact_kl_optimum(k, *solver, steps, entries, cells[solver_name]["exact_kl_starts"]));
                judge_cell(k, *solver, solver_name, nfe, steps, entries, cells[solver_name], table);
            }
            print_table(r, nfe, solvers, table);
        }
    }
    return r;
}

}  // namespace

Experiment optimiser_league_experiment() {
    return {
        "optimiser-league",
        "schedule optimisers (AYS, its grid DP optimum, GITS, OSS, LD3, exact-KL optimum) judged exactly",
        Schema{seed_key(),
               {"problems", KeyType::string_list, "test problems (fashion-mnist: the ideal denoiser of `subset` images, costly)",
                {}, {}, {"gaussian-1d", "gaussian-64", "ring8", "moons", "gaussian", "fashion-mnist"}},
               shared_key("samplers"),
               {"nfe", KeyType::integer_list, "denoiser evaluations per sample (steps = NFE / per-step NFE)", 1, 100000}} +
            shared_keys({"sigma_min", "sigma_max", "c", "spectrum_exponent", "samples", "max_sweeps", "eval_particles",
                         "eval_seeds", "projections", "n_se", "points", "subset", "directory", "denoiser", "model", "parametrisation",
                         "model_process", "model_time", "model_sigma_data", "preflight"}) +
            Schema{described(shared_key("particles"), "teacher trajectories (GITS, OSS, LD3)")} +
            shared_keys({"grid", "teacher_steps", "ld3_iterations", "ld3_slack"}),
        run};
}

}  // namespace ayslab::app
