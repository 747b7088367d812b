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

Result run(const Config& cfg, const RunContext& ctx) {
    const double lo = cfg.number("sigma_min"), hi = cfg.number("sigma_max"), c = cfg.number("c");
    const auto grid = static_cast<std::size_t>(cfg.integer("grid"));
    const auto particles = static_cast<std::size_t>(cfg.integer("particles"));
    const auto teacher_steps = static_cast<std::size_t>(cfg.integer("teacher_steps"));
    const auto ld3_iterations = static_cast<std::size_t>(cfg.integer("ld3_iterations"));
    const double n_se = cfg.number("n_se");
    // Gaussian problems are judged by the exact law of each sampler's output: refuse, before any work,
    // a sampler that has none (adaptive or own-step ones, ancestral samplers with non-linear noise).
    for (const auto& problem_name : cfg.strings("problems"))
        if (problem_name.starts_with("gaussian-"))
            for (const auto& solver_name : cfg.strings("samplers"))
                if (find_solver(solver_name).traits.law == ExactLaw::none)
                    throw InputError(fmt::format(
                        "sampler '{}' has no exact output law on Gaussian data, which problem '{}' is judged by "
                        "(use it on ring8, moons, gaussian or fashion-mnist)",
                        solver_name, problem_name));
    // Every NFE x sampler cell must be one the league can run (it skipped the others silently: a run of
    // nfe=[100000] had no cell and passed with 0 checks): at least one whole step, and a schedule of
    // steps + 1 points that fits the DP grid.
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
    Result r;
    r.line(fmt::format("sigma in [{}, {}], grid of {} log-uniform sigmas for the DP methods, {} teacher trajectories "
                       "(Heun, {} steps)",
                       lo, hi, grid, particles, teacher_steps));
    for (const auto& problem_name : cfg.strings("problems")) {
        // The problem's data and exact denoiser; Gaussian problems also get the exact judge.
        std::optional<DiagonalGaussian> gaussian;
        Dataset dataset;
        if (problem_name == "gaussian-1d") gaussian = gaussian_spectrum(1, c, cfg.number("spectrum_exponent"));
        else if (problem_name == "gaussian-64") gaussian = gaussian_spectrum(64, c, cfg.number("spectrum_exponent"));
        else dataset = make_dataset(problem_name, read_dataset_options(cfg, ctx));
        const Data& data = gaussian ? static_cast<const Data&>(*gaussian) : *dataset.data;
        // The denoiser every optimiser and sampler calls: the data's exact one, or a model file (a
        // trained network, docs/your-model.md); the judges (exact KL, NLL under the exact density, the
        // teacher) stay with the exact data. Gaussian problems keep their exact denoiser: their judge
        // is the exact law of an affine sampler map, which a network does not have.
        const auto model = gaussian ? nullptr : read_model_denoiser(cfg, data, ctx, &r);
        const Denoiser& denoiser = model ? *model : data.denoiser();
        // Non-Gaussian problems are judged by samples (evaluation.hpp): NLL under the exact density.
        const Problem judged = gaussian ? Problem{} : problem_of(dataset, &denoiser);
        ScheduleProblem p = read_schedule_problem(cfg, ctx, data, denoiser);
        p.gaussian = gaussian ? &*gaussian : nullptr;
        const Teacher teacher = make_teacher(p, particles, teacher_steps, cfg.seed());
        const Teacher fresh_teacher = make_teacher(p, particles, teacher_steps, streams::league_teacher(cfg.seed()));
        GridKlub klub(p, cfg.seed());
        auto& out = r.values[problem_name];
        out["dim"] = data.dim();
        out["teacher_evaluations"] = teacher.evaluations;
        const bool exact = gaussian.has_value();
        out["denoiser"] = model ? cfg.string("model") : "exact";
        r.line(fmt::format("== {} (d = {}, denoiser {}): {}", problem_name, data.dim(), model ? cfg.string("model") : "exact",
                           exact ? "exact KL of each solver's output law (nats)"
                                 : "NLL under the exact p_sigma_min (mean over seeds) | distance^2 to a fresh teacher"));
        // Solver-independent schedules per step count: AYS (early-stopped coordinate descent), its grid
        // DP optimum and grid coordinate descent.
        std::map<std::size_t, std::map<std::string, Entry>> by_steps;
        auto shared = [&](std::size_t steps) -> std::map<std::string, Entry>& {
            auto& m = by_steps[steps];
            if (!m.empty()) return m;
            p.steps = steps;
            const Schedule start = karras(steps, lo, hi, 7.0);
            m.insert_or_assign("karras", Entry{start, 0, 0.0});
            m.insert_or_assign("arctan", Entry{arctan_optimal(steps, lo, hi, std::sqrt(data.data_variance())), 0, 0.0});
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
            o.samples = p.klub_samples;
            o.validation_samples = 2 * p.klub_samples;
            o.max_sweeps = static_cast<std::size_t>(cfg.integer("max_sweeps"));
            o.seed = cfg.seed();
            o.threads = ctx.threads;
            const auto t0 = std::chrono::steady_clock::now();
            const auto ays = *optimise_schedule("ays", data, denoiser, start, o).ays;
            // AYS's cost: golden-section candidates x 2 intervals x samples x 2 evaluations per sweep and
            // knot, plus validation; counted from its settings.
            const std::size_t sweeps = ays.trace.size();
            m.insert_or_assign("ays", Entry{ays.stages.back().schedule,
                        sweeps * ((steps - 1) * (o.golden_iterations + 2) * 2 * o.samples + o.validation_samples * steps) * 2,
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()});
            const auto watson = optimise_watson(p, streams::watson_draws(cfg.seed()));
            m.insert_or_assign("watson", Entry{watson.schedule, watson.evaluations, watson.seconds});
            const auto dp = optimise_ays_dp(p, klub);
            m.insert_or_assign("ays-dp", Entry{dp.schedule, dp.evaluations, dp.seconds});
            const auto descent = optimise_ays_grid_descent(p, klub, start);
            m.insert_or_assign("ays-grid", Entry{descent.schedule, descent.evaluations, descent.seconds});
            // Watson's per-step ELBO terms are the KLUB plus int sigma^-3 E|x0 - E[x0|x_sigma]|^2 over the
            // interval (Pythagoras, exact denoiser; MATH §5), which sums to a schedule-independent
            // constant: both DPs pick the same path. On Gaussian data the constant is closed form,
            // sum_j [ln(sigma^2 / (c_j^2 + sigma^2))]/2 from sigma_min to sigma_max.
            out["steps=" + std::to_string(steps)]["watson_objective"] = watson.objective;
            if (exact) {
                double constant = 0.0;
                for (double v : gaussian->variance())
                    constant += 0.5 * (std::log(hi * hi / (v + hi * hi)) - std::log(lo * lo / (v + lo * lo)));
                r.check({fmt::format("{} {} steps: Watson's DP objective = AYS-DP KLUB + int sigma^-3 mmse (closed form)",
                                     problem_name, steps),
                         dp.objective + constant, watson.objective, 1e-10, Criterion::relative});
            }
            // How far coordinate descent lands from the grid's global optimum, on the same estimator.
            out["steps=" + std::to_string(steps)]["klub"] = {{"ays-dp", dp.objective},
                                                            {"ays-grid", descent.objective},
                                                            {"ays", klub.total(ays.stages.back().schedule)},
                                                            {"karras", klub.total(start)}};
            // The DP is the global optimum over the grid: never above coordinate descent on the same
            // interval costs (a DP with a wrong recursion or back-pointer fails this).
            r.check({fmt::format("{} {} steps: grid DP KLUB <= grid coordinate-descent KLUB (same interval costs)",
                                 problem_name, steps),
                     descent.objective, dp.objective, 1e-12 * std::abs(descent.objective), Criterion::at_most});
            // AYS-DP's own objective on fresh draws: below EDM rho=7's beyond n_se combined SE (with one
            // step both are sigma_max -> sigma_min: no claim to make).
            if (!exact && steps > 1) {
                const KlubMonteCarlo fresh{2 * p.klub_samples, streams::fresh_klub(cfg.seed()), 0.0, ctx.threads};
                const auto k_dp = klub_schedule_mc(data, denoiser, dp.schedule, fresh);
                const auto k_start = klub_schedule_mc(data, denoiser, start, fresh);
                r.check({fmt::format("{} {} steps: AYS-DP KLUB below EDM rho=7's on fresh draws by > {} SE",
                                     problem_name, steps, n_se),
                         k_start.value - n_se * std::hypot(k_dp.standard_error, k_start.standard_error), k_dp.value, 0.0,
                         Criterion::at_most});
            } else if (exact) {
                double k_dp = 0.0, k_start = 0.0;
                for (double v : klub_schedule_gaussian(dp.schedule, gaussian->variance())) k_dp += v;
                for (double v : klub_schedule_gaussian(start, gaussian->variance())) k_start += v;
                r.check({fmt::format("{} {} steps: AYS-DP closed-form KLUB below EDM rho=7's", problem_name, steps),
                         k_start, k_dp, 0.0, Criterion::at_most});
            }
            return m;
        };
        for (const auto nfe64 : cfg.integers("nfe")) {
            const auto nfe = static_cast<std::size_t>(nfe64);
            std::vector<std::string> solvers = cfg.strings("samplers");
            std::map<std::string, std::map<std::string, double>> table;  // optimiser -> solver -> value
            for (const auto& solver_name : solvers) {
                const auto solver = make_solver(solver_name);
                const std::size_t steps = std::max<std::size_t>(1, nfe / std::max<std::size_t>(1, solver->nfe_per_step()));
                if (steps + 1 > grid) continue;
                p.steps = steps;
                std::map<std::string, Entry> entries = shared(steps);
                const Schedule& start = entries.at("karras").schedule;
                const bool deterministic = !solver->stochastic();
                if (deterministic) {
                    const auto gits = optimise_gits(p, teacher, *solver);
                    entries.insert_or_assign("gits", Entry{gits.schedule, gits.evaluations + teacher.evaluations, gits.seconds});
                    const auto oss = optimise_oss(p, teacher, *solver);
                    entries.insert_or_assign("oss", Entry{oss.schedule, oss.evaluations + teacher.evaluations, oss.seconds});
                    if (steps > 1) {
                        const auto ld3 = optimise_ld3(p, teacher, *solver, start, ld3_iterations, cfg.number("ld3_slack"));
                        entries.insert_or_assign("ld3", Entry{ld3.schedule, ld3.evaluations + teacher.evaluations, ld3.seconds});
                    }
                }
                if (exact && steps > 1) {
                    // The exact-KL optimum by Newton from many starts (rho = 7, arctan, log-uniform, 5
                    // seeded random schedules, every other optimiser's result), the best kept: the exact KL
                    // is multimodal (in 1-D it is zero on a whole surface of schedules for solvers whose
                    // output variance can overshoot the target), and one start can stop in a local optimum.
                    NewtonOptions newton;
                    newton.threads = ctx.threads;
                    const auto t0 = std::chrono::steady_clock::now();
                    std::vector<Schedule> starts = {start, arctan_optimal(steps, lo, hi, std::sqrt(data.data_variance())),
                                                    log_uniform(steps, lo, hi)};
                    for (std::uint64_t k = 0; k < 5; ++k) {
                        std::vector<double> u(steps - 1);
                        fill_uniform({cfg.seed(), streams::league_starts, steps, k}, u);
                        std::sort(u.begin(), u.end(), std::greater<>());
                        std::vector<double> v = {hi};
                        for (double x : u) v.push_back(lo * std::pow(hi / lo, x));
                        v.push_back(lo);
                        bool ok = true;
                        for (std::size_t q = 1; q < v.size(); ++q) ok = ok && v[q] < v[q - 1];
                        if (ok) starts.emplace_back(std::move(v));
                    }
                    std::vector<std::string> start_names = {"karras", "arctan", "log-uniform"};
                    for (std::size_t k = start_names.size(); k < starts.size(); ++k)
                        start_names.push_back(fmt::format("random-{}", k - 3));
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
                    for (std::size_t k = 0; k < starts.size(); ++k) {
                        auto o = optimise_exact_kl(*solver, starts[k], *gaussian, newton);
                        finals.push_back(o.kl);
                        if (!best || o.kl < best->kl) {
                            best = std::move(o);
                            best_from = start_names[k];
                        }
                    }
                    for (double f : finals) reached += f <= best->kl * (1.0 + 1e-6) + 1e-12;
                    entries.insert_or_assign("exact-kl", Entry{best->schedule, 0,
                                           std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()});
                    out["nfe=" + std::to_string(nfe)][solver_name]["exact_kl_starts"] = {{"starts", start_names},
                                                                                         {"reached_best", reached},
                                                                                         {"best_from", best_from},
                                                                                         {"final_kls", finals}};
                }
                auto& cell = out["nfe=" + std::to_string(nfe)][solver_name];
                cell["steps"] = steps;
                std::map<std::string, double> teacher_d;
                std::map<std::string, std::vector<double>> teacher_each;  // per fresh-teacher particle
                for (const auto& [name, e] : entries) {
                    nlohmann::json j = {{"sigmas", sigmas_json(e.schedule)}, {"cost_evaluations", e.evaluations}};
                    r.timings[problem_name]["nfe=" + std::to_string(nfe)][solver_name][name] = e.seconds;
                    if (deterministic) {
                        teacher_each[name] = teacher_distances(p, fresh_teacher, *solver, e.schedule);
                        Moments m;
                        for (double v : teacher_each[name]) m.add(v);
                        teacher_d[name] = m.mean();
                        j["fresh_teacher_distance2"] = m.mean();
                        j["fresh_teacher_distance2_se"] = m.se_mean();  // over the fresh teacher's particles
                    }
                    if (exact) {
                        const double kl = exact_solver_kl(*solver, e.schedule, *gaussian);
                        j["kl"] = kl;
                        table[name][solver_name] = kl;
                    } else {
                        EvaluationOptions eo = read_evaluation(cfg, ctx);
                        const auto q = evaluate_samples(judged, *solver, e.schedule, eo);
                        j["samples"] = quality_json(q);
                        table[name][solver_name] = q.nll.mean();
                    }
                    cell[name] = j;
                }
                // Checks that can fail. Gaussian: no schedule beats the solver's exact-KL optimum (a
                // Newton stuck in a local optimum, or a wrong KL, shows here).
                if (exact && entries.count("exact-kl"))
                    for (const auto& [name, e] : entries)
                        r.check({fmt::format("{} NFE {} {}: {} KL >= the exact-KL optimum's", problem_name, nfe,
                                             solver_name, name),
                                 cell[name]["kl"].get<double>(), cell["exact-kl"]["kl"].get<double>(),
                                 1e-9 * cell["exact-kl"]["kl"].get<double>() + 1e-10, Criterion::at_most});
                // OSS and LD3 minimise the distance to the teacher: on a fresh teacher (other start
                // points) it must be below EDM rho=7's — by more than n_se standard errors of the paired
                // difference over the fresh teacher's particles (same start points for both schedules).
                // One step has one schedule (sigma_max to sigma_min): there is nothing to choose, and
                // the claim would compare a schedule with itself.
                if (deterministic && steps > 1)
                    for (const char* name : {"oss", "ld3"})
                        if (entries.count(name)) {
                            Moments diff;
                            const auto& a = teacher_each[name];
                            const auto& b = teacher_each["karras"];
                            for (std::size_t i = 0; i < a.size(); ++i) diff.add(a[i] - b[i]);
                            cell[name]["fresh_teacher_minus_karras"] = {{"mean", diff.mean()}, {"se", diff.se_mean()}};
                            r.check({fmt::format("{} NFE {} {}: {} distance to a fresh teacher below EDM rho=7's "
                                                 "(paired difference + n_se SE <= 0)",
                                                 problem_name, nfe, solver_name, name),
                                     0.0, diff.mean() + cfg.number("n_se") * diff.se_mean(), 0.0,
                                     Criterion::at_most});
                        }
            }
            // The table: one row per optimiser, one column per solver.
            std::string header = fmt::format("  NFE {:<3} {:<10}", nfe, "");
            for (const auto& s : solvers) header += fmt::format(" {:>14}", s);
            r.line(header);
            for (const auto& [name, row] : table) {
                std::string line = fmt::format("  {:<18}", name);
                for (const auto& s : solvers)
                    line += row.count(s) ? fmt::format(" {:>14.5g}", row.at(s)) : fmt::format(" {:>14}", "-");
                r.line(line);
            }
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
