#include "guided_images.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "ayslab/cluster.hpp"
#include "ayslab/denoisers/conditional.hpp"
#include "ayslab/data/datasets.hpp"
#include "ayslab/error.hpp"
#include "ayslab/denoisers/guidance.hpp"
#include "ayslab/evaluation/metrics.hpp"
#include "ayslab/optimise/registry.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/stats.hpp"
#include "ayslab/streams.hpp"
#include "evaluate.hpp"
#include "keys.hpp"
#include "registry.hpp"

namespace ayslab::app {

namespace {

std::string label(double w) { return fmt::format("w={}", w); }

nlohmann::json moments_json(const Moments& m) { return {{"mean", m.mean()}, {"se", m.se_mean()}}; }

// The largest |D_w - (D_u + w (D_c - D_u))| over a batch, the right-hand side from separate calls of the
// model for the null label and for y: catches w applied to the wrong branch (D_c + w (D_u - D_c)) or a
// branch evaluated with the wrong label. Relative to 1 + |D|: the model's float32 rounding (one batched
// call of 2n rows against two calls of n) times w; measured 1.1e-6 at w = 3 and 2.6e-6 at w = 7.5 with
// the U-Net of docs/ays-guided.md, 0 at w = 0 and 1 (one branch).
double wrapper_error(const Denoiser& model, const GuidedDenoiser& guided, const Data& data, double w,
                     std::uint64_t seed, std::size_t threads) {
    constexpr std::size_t n = 16;
    const std::size_t d = data.dim();
    double worst = 0.0;
    for (const double sigma : {0.05, 1.0, 20.0}) {
        std::vector<double> x(n * d), u(n * d), c(n * d), g(n * d);
        std::vector<Label> y(n);
        sample_marginal_labelled(data, sigma, x, y, n, seed, threads);
        model.denoise_labelled(x, n, sigma, std::vector<Label>{null_label}, u);
        model.denoise_labelled(x, n, sigma, y, c);
        guided.denoise_labelled(x, n, sigma, y, g);
        for (std::size_t k = 0; k < n * d; ++k)
            worst = std::max(worst, std::abs(g[k] - (u[k] + w * (c[k] - u[k]))) / (1.0 + std::abs(g[k])));
    }
    return worst;
}

}  // namespace

std::optional<GuidedImages> prepare_guided_images(const Config& cfg, const RunContext& ctx, Result& r) {
    if (cfg.string("model").empty()) return std::nullopt;
    GuidedImages g;
    g.dataset = make_dataset("fashion-mnist", read_dataset_options(cfg, ctx));
    const Data& data = *g.dataset.data;
    g.model = read_model_denoiser(cfg, data, ctx, &r);
    if (g.model->classes() != data.classes())
        throw InputError(fmt::format("ays-guided: the model has {} classes (model_labels), Fashion-MNIST {}",
                                     g.model->classes(), data.classes()));
    for (const auto y : cfg.integers("image_classes"))
        if (y < 0 || static_cast<std::size_t>(y) >= data.classes())
            throw InputError(fmt::format("image_classes: {} is not a class of Fashion-MNIST (0..9)", y));
    return g;
}

void guided_images(const std::optional<GuidedImages>& prepared, const Config& cfg, const RunContext& ctx,
                   const std::vector<double>& scales, const std::vector<std::string>& solvers, Result& r) {
    if (!prepared) {
        r.values["fashion_mnist"] = {{"skipped", "no model: set model=FILE (a class-conditional Fashion-MNIST model)"}};
        r.line("Fashion-MNIST with a class-conditional model: skipped (set model=FILE; docs/ays-guided.md says how to "
               "train one)");
        return;
    }
    const Data& data = *prepared->dataset.data;
    const auto& model = prepared->model;
    const double lo = cfg.number("sigma_min"), hi = cfg.number("sigma_max");
    const auto steps = static_cast<std::size_t>(cfg.integer("steps"));
    const Schedule edm = karras(steps, lo, hi);                 // the baseline
    const Schedule start = read_start_schedule(cfg, data);  // AYS's start (EDM's by default)
    // AYS over (x_0, y) pairs of all classes (one schedule for the conditional model, as the AYS paper
    // optimises class-conditional models), with its own Monte Carlo budget (a model evaluation costs
    // far more than an exact one).
    AysOptions o = read_ays_options(cfg, ctx);
    o.checkpoint.clear();
    o.labelled = true;
    o.samples = static_cast<std::size_t>(cfg.integer("image_samples"));
    o.validation_samples = static_cast<std::size_t>(cfg.integer("image_validation_samples"));
    const auto classes = cfg.integers("image_classes");
    const auto n = static_cast<std::size_t>(cfg.integer("image_particles"));
    const auto seeds = static_cast<std::size_t>(cfg.integer("image_seeds"));
    const auto teacher_steps = static_cast<std::size_t>(cfg.integer("image_teacher_steps"));
    const auto projections = static_cast<std::size_t>(cfg.integer("projections"));
    const std::size_t d = data.dim();

    std::map<double, Schedule> ays;  // per guidance scale; w = 0 and w = 1 always (the published uses)
    std::vector<double> optimised = scales;
    optimised.push_back(0.0);
    optimised.push_back(1.0);
    for (const double w : optimised) {
        if (ays.count(w)) continue;
        const GuidedDenoiser guided(*model, {w});
        ProgressPrinter progress(ctx, o.max_sweeps * (o.subdivisions + 1));
        ays.emplace(w, optimise_schedule("ays", data, guided, start, o, std::ref(progress)).schedule);
    }

    const auto heun = make_solver("heun");
    std::vector<std::shared_ptr<const Solver>> samplers;
    for (const auto& name : solvers) samplers.push_back(make_solver(name));
    const Schedule teacher_schedule = karras(teacher_steps, lo, hi);
    // Each judged class's reference rows (its training images), drawn once.
    std::map<std::int64_t, std::vector<double>> class_rows;
    for (const auto y : classes) {
        auto& rows = class_rows[y];
        rows.resize(n * d);
        data.given(static_cast<Label>(y)).sample(n, streams::class_reference_rows(cfg.seed()), 0, rows);
    }
    r.line(fmt::format("Fashion-MNIST, {} (classes {}): sliced W2 of guided samples to the guided ODE's own output "
                       "({}-step Heun, same starts); mean over classes, paired SE over {} seeds x {} particles",
                       cfg.string("model"), fmt::join(classes, ","), teacher_steps, seeds, n));
    r.line(fmt::format("{:>6} {:<10} {:>9} {:>18} {:>18} {:>18}", "w", "solver", "edm", "ays(w) - edm", "ays(w=0) - edm",
                       "ays(w=1) - edm"));
    nlohmann::json out;
    out["model"] = cfg.string("model");
    out["classes"] = classes;
    for (const double w : scales) {
        const GuidedDenoiser guided(*model, {w});
        nlohmann::json entry;
        const std::vector<std::pair<std::string, Schedule>> schedules{
            {"edm", edm}, {"ays", ays.at(w)}, {"ays_w0", ays.at(0.0)}, {"ays_w1", ays.at(1.0)}};
        for (const auto& [name, s] : schedules) entry["sigmas"][name] = s.sigmas();
        // The wrapper against its formula on this model, and what a guided step costs it.
        const double wrap = wrapper_error(*model, guided, data, w, streams::guidance_check(), ctx.threads);
        r.check({fmt::format("Fashion-MNIST {}: the guided model = D_u + w (D_c - D_u) from separate model calls "
                             "(largest error relative to 1 + |D|)",
                             label(w)),
                 0.0, wrap, 2e-6 * std::max(1.0, std::abs(w)), Criterion::absolute});
        // per-(solver, schedule): per-seed values averaged over the classes
        std::map<std::string, std::map<std::string, std::vector<double>>> sw2;
        std::vector<double> target_to_class(seeds, 0.0);
        for (std::size_t s = 0; s < seeds; ++s) {
            for (const auto y : classes) {
                const Data& given = data.given(static_cast<Label>(y));
                const Conditioned view(guided, static_cast<Label>(y));
                const std::uint64_t seed =
                    streams::class_evaluation_seed(cfg.seed(), s, static_cast<std::uint64_t>(y));
                std::vector<double> starts(n * d);
                sample_marginal(given, hi, starts, n, seed, ctx.threads);
                auto teacher = starts;
                sample(view, *heun, teacher_schedule, teacher, n, {seed, ctx.threads, 0});
                target_to_class[s] += sliced_wasserstein2(teacher, n, class_rows.at(y), n, d, projections,
                                                          streams::sliced_w2_projections(cfg.seed())) /
                                      static_cast<double>(classes.size());
                for (std::size_t i = 0; i < solvers.size(); ++i) {
                    const auto& solver_name = solvers[i];
                    const Solver& solver = *samplers[i];
                    for (const auto& [name, sch] : schedules) {
                        auto x = starts;
                        guided.reset_counts();
                        const auto stats = sample(view, solver, sch, x, n, {seed, ctx.threads, 0});
                        if (s == 0 && y == classes.front() && solver_name == solvers.front() && name == "edm") {
                            // Network evaluations: a guided step evaluates both branches (one batched call).
                            const double per_particle = static_cast<double>(cluster::sum_over_ranks(guided.requested().rows)) / static_cast<double>(n);
                            const double branches = guided.guides_at(1.0) ? 2.0 : 1.0;
                            entry["nfe"] = stats.nfe;
                            entry["network_evaluations"] = per_particle;
                            r.check({fmt::format("Fashion-MNIST {}: network evaluations per particle = NFE x {} ({}, EDM)",
                                                 label(w), branches, solver_name),
                                     static_cast<double>(stats.nfe) * branches, per_particle, 0.0, Criterion::absolute});
                        }
                        const double v = sliced_wasserstein2(x, n, teacher, n, d, projections,
                                                             streams::sliced_w2_projections(cfg.seed()));
                        auto& per_seed = sw2[solver_name][name];
                        per_seed.resize(seeds, 0.0);
                        per_seed[s] += v / static_cast<double>(classes.size());
                    }
                }
            }
        }
        Moments target;
        for (const double v : target_to_class) target.add(v);
        entry["teacher_sw2_to_class_rows"] = moments_json(target);
        for (const auto& solver_name : solvers) {
            const auto& base = sw2[solver_name]["edm"];
            Moments bm;
            for (const double v : base) bm.add(v);
            entry["sw2_to_teacher"][solver_name]["edm"] = moments_json(bm);
            std::string row = fmt::format("{:>6} {:<10} {:>9.4f}", w, solver_name, bm.mean());
            for (std::size_t k = 1; k < schedules.size(); ++k) {
                const auto& name = schedules[k].first;
                const auto& v = sw2[solver_name][name];
                Moments m, diff;
                for (std::size_t s = 0; s < seeds; ++s) {
                    m.add(v[s]);
                    diff.add(v[s] - base[s]);
                }
                entry["sw2_to_teacher"][solver_name][name] = {
                    {"mean", m.mean()}, {"se", m.se_mean()}, {"minus_edm", diff.mean()}, {"minus_edm_se", diff.se_mean()}};
                row += fmt::format(" {:>+9.4f}±{:<7.4f}", diff.mean(), diff.se_mean());
            }
            r.line(row);
        }
        out[label(w)] = entry;
    }
    r.values["fashion_mnist"] = out;
}

}  // namespace ayslab::app
