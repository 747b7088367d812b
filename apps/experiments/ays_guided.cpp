// ays-guided: how the AYS schedule moves with the classifier-free guidance scale w (guidance.hpp).
// Two exact settings, each judged without Monte Carlo in the judge where possible:
//  - Gaussian classes (data/gaussian_classes.hpp): the guided denoiser is affine, so the guided
//    ODE's own output law and every deterministic solver's output law are Gaussian and exact
//    (divergence/guided_law.hpp); the judge is KL(guided ODE output || sampler output), the
//    discretisation error a schedule can fix. Also reported: KL to the tilted law p_c^w p_u^(1-w),
//    which guidance is often said to sample and does not.
//  - the ring of 8 by class: class 0's guided samples scored by the exact class-conditional NLL
//    -log p_{sigma_min}(x | y = 0), paired over schedules (same starts), with the guided ODE's own
//    NLL (Dormand-Prince) as the level a schedule can reach.
//  - Fashion-MNIST with a class-conditional model file (model=FILE; skipped without one): AYS over
//    (x_0, y) pairs of every class per w, judged by per-class sliced W2 to the guided ODE's own output
//    (framework/guided_images.hpp).
// Schedules: EDM rho = 7, AYS optimised for the guided model at each w, and AYS of the unconditional
// (w = 0) and of the conditional (w = 1) models used at every w, as published schedules are.
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <map>

#include "ayslab/cluster.hpp"
#include "ayslab/denoisers/conditional.hpp"
#include "ayslab/data/gaussian_classes.hpp"
#include "ayslab/error.hpp"
#include "ayslab/divergence/guided_law.hpp"
#include "ayslab/denoisers/guidance.hpp"
#include "ayslab/optimise/ays.hpp"
#include "ayslab/optimise/registry.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/stats.hpp"
#include "ayslab/streams.hpp"
#include "evaluate.hpp"
#include "guided_images.hpp"
#include "keys.hpp"

namespace ayslab::app {

namespace {

using Schedules = std::vector<std::pair<std::string, Schedule>>;

GaussianLaw marginal(const DiagonalGaussian& g, double sigma) {
    GaussianLaw law{g.mean(), g.variance()};
    for (double& v : law.variance) v += sigma * sigma;
    return law;
}

// The largest |log(sigma_a / sigma_b)| over the interior knots of two schedules of one length.
double knot_shift(const Schedule& a, const Schedule& b) {
    double top = 0.0;
    for (std::size_t i = 1; i + 1 < a.size(); ++i) top = std::max(top, std::abs(std::log(a[i] / b[i])));
    return top;
}

std::string label(double w) { return fmt::format("w={}", w); }

// What the three settings share: the keys, AYS's options, EDM's schedule (the baseline; AYS's start by
// default, another with the schedule keys).
struct GuidedStudy {
    GuidedStudy(const Config& config, const RunContext& context, Result& result)
        : cfg(config), ctx(context), r(result), lo(config.number("sigma_min")), hi(config.number("sigma_max")),
          scales(config.numbers("scales")), solvers(config.strings("solvers")), o(read_ays_options(config, context)),
          edm(karras(static_cast<std::size_t>(config.integer("steps")), lo, hi)) {
        o.checkpoint.clear();  // several short optimisations per run: no checkpoints
    }
    // AYS from the start schedule (EDM's by default) for the denoiser on the data.
    Schedule ays_of(const Data& data, const Denoiser& denoiser) const {
        ProgressPrinter progress(ctx, o.max_sweeps * (o.subdivisions + 1));
        return optimise_schedule("ays", data, denoiser, read_start_schedule(cfg, data), o, std::ref(progress)).schedule;
    }
    const Config& cfg;
    const RunContext& ctx;
    Result& r;
    double lo, hi;
    std::vector<double> scales;
    std::vector<std::string> solvers;
    AysOptions o;
    Schedule edm;
};

// The guided ODE's exact output law on the Gaussian classes at each scale, from p_{sigma_max}(x | y = 0);
// a degenerate one refused before any work.
std::map<double, GaussianLaw> guided_ode_laws(const GuidedStudy& g, const DiagonalGaussian& uncond,
                                              const DiagonalGaussian& cond, const GaussianLaw& start) {
    const double lo = g.lo, hi = g.hi;
    const auto& scales = g.scales;
    std::map<double, GaussianLaw> ode_laws;
    for (const double w : scales) {
        auto law = guided_ode_law(uncond, cond, {w}, hi, lo, start);
        // A law narrower than float64 can resolve around its mean (sd below 1e-10 of |mean|; at w = 100
        // the guided ODE contracts every coordinate to ~1e-60) measures no sampler's error: refused.
        for (std::size_t j = 0; j < law.mean.size(); ++j) {
            const double sd = std::sqrt(law.variance[j]);
            if (!std::isfinite(sd) || !std::isfinite(law.mean[j]) || sd < 1e-10 * std::max(1.0, std::abs(law.mean[j])))
                throw InputError(fmt::format(
                    "scales: at w = {} the guided ODE's output law on the Gaussian classes degenerates (coordinate {}: "
                    "sd {:.3g} around mean {:.3g}, below what float64 resolves); use a smaller |w|",
                    w, j, sd, law.mean[j]));
        }
        ode_laws.emplace(w, std::move(law));
    }
    return ode_laws;
}

// Gaussian classes, class 0: exact KL(guided ODE output || sampler output) per scale, solver and
// schedule, with the checks that tie the closed forms to the solvers.
void gaussian_classes(const GuidedStudy& g, const GaussianClasses& toy, const std::map<double, GaussianLaw>& ode_laws,
                      const GaussianLaw& start) {
    const double lo = g.lo;
    const auto& scales = g.scales;
    const auto& solvers = g.solvers;
    const Schedule& edm = g.edm;
    Result& r = g.r;
    auto ays_of = [&](const Data& data, const Denoiser& denoiser) { return g.ays_of(data, denoiser); };
    const DiagonalGaussian &uncond = toy.given(null_label), &cond = toy.given(0);
    const Schedule ays_w0 = ays_of(uncond, toy);  // the unconditional model on its own law
    const Conditioned conditional(toy, 0);
    const Schedule ays_w1 = ays_of(cond, conditional);
    SolverOptions reference;
    reference.rtol = reference.atol = 1e-12;
    const auto dopri = make_solver("dopri5", reference);
    r.line(fmt::format("Gaussian classes (d = {}), class 0: exact KL(guided ODE output || sampler output)", toy.dim()));
    r.line(fmt::format("{:>6} {:<10} {:>12} {:>12} {:>12} {:>12}", "w", "solver", "edm", "ays(w)", "ays(w=0)", "ays(w=1)"));
    nlohmann::json gauss;
    std::optional<Schedule> ays_high;
    for (double w : scales) {
        const GuidedDenoiser guided(toy, {w});
        const Conditioned view(guided, 0);
        const Schedule ays_w = ays_of(cond, view);
        if (w == scales.back()) ays_high = ays_w;
        const Schedules schedules{{"edm", edm}, {"ays", ays_w}, {"ays_w0", ays_w0}, {"ays_w1", ays_w1}};
        const GaussianLaw& ode = ode_laws.at(w);
        nlohmann::json entry;
        for (const auto& [name, s] : schedules) entry["sigmas"][name] = s.sigmas();
        for (const auto& solver_name : solvers) {
            const auto solver = make_solver(solver_name);
            std::string row = fmt::format("{:>6} {:<10}", w, solver_name);
            for (const auto& [name, s] : schedules) {
                const auto law = affine_output_law(*solver, s, view, start);
                const double kl = kl_gaussian_diag(ode.mean, ode.variance, law.mean, law.variance);
                entry["exact_kl"][solver_name][name] = kl;
                row += fmt::format(" {:>12.4e}", kl);
            }
            r.line(row);
        }
        // The closed-form law against Dormand-Prince through the wrapper: probes at x = mean, mean + std.
        // (rtol = atol = 1e-12: measured within 1.1e-7 output standard deviations at w = 7.5, where the
        // output law is narrowest; a branch or sign error moves the end points by O(1).)
        std::vector<double> x(2 * toy.dim());
        for (std::size_t j = 0; j < toy.dim(); ++j) {
            x[j] = start.mean[j];
            x[toy.dim() + j] = start.mean[j] + std::sqrt(start.variance[j]);
        }
        sample(view, *dopri, edm, x, 2, {0, 1, 2});
        // The reference solver resolves end points to about rtol x |x|: in output standard deviations that
        // floor is rtol (|mean| + sd) / sd, which a narrow law (w = 10: sd 4e-8) lifts above 1e-6. The
        // tolerance is 1e-6 or ten times that floor; an error of the wrapper moves end points by O(1).
        double worst = 0.0, floor = 0.0;
        for (std::size_t j = 0; j < toy.dim(); ++j) {
            const double sd = std::sqrt(ode.variance[j]);
            worst = std::max({worst, std::abs(x[j] - ode.mean[j]) / sd,
                              std::abs(x[toy.dim() + j] - x[j] - sd) / sd});
            floor = std::max(floor, reference.rtol * (std::abs(ode.mean[j]) + sd) / sd);
        }
        r.check({fmt::format("{}: the guided ODE's closed-form law = Dormand-Prince through the guidance wrapper "
                             "(end points, in output standard deviations)", label(w)),
                 0.0, worst, std::max(1e-6, 10.0 * floor), Criterion::absolute});
        if (const auto tilted = tilted_law(uncond, cond, w, lo))
            entry["kl_ode_to_tilted"] = kl_gaussian_diag(ode.mean, ode.variance, tilted->mean, tilted->variance);
        else
            entry["kl_ode_to_tilted"] = nullptr;  // p_c^w p_u^(1-w) is not normalisable
        if (w == 1.0) {
            r.check({"w=1: AYS through the guidance wrapper is the conditional model's AYS (largest |log ratio| of knots)",
                     0.0, knot_shift(ays_w, ays_w1), 0.0, Criterion::absolute});
            r.check({"w=1: the guided ODE's law is the conditional marginal p_{sigma_min}(x | y) (KL)", 0.0,
                     kl_gaussian_diag(ode.mean, ode.variance, marginal(cond, lo).mean, marginal(cond, lo).variance),
                     1e-12, Criterion::absolute});
        }
        // Network evaluations: a guided step evaluates both branches.
        {
            const auto heun = make_solver("heun");
            std::vector<double> y(8 * toy.dim(), 0.0);
            guided.reset_counts();
            const auto stats = sample(view, *heun, edm, y, 8, {0, 1, 8});
            const double per_particle = static_cast<double>(cluster::sum_over_ranks(guided.requested().rows)) / 8.0;
            const double expect = static_cast<double>(stats.nfe) * (guided.guides_at(1.0) ? 2.0 : 1.0);
            entry["nfe"] = stats.nfe;
            entry["network_evaluations"] = per_particle;
            entry["model_calls"] = guided.requested().calls;
            r.check({fmt::format("{}: network evaluations per particle = NFE x {} (heun, batched)", label(w),
                                 guided.guides_at(1.0) ? 2 : 1),
                     expect, per_particle, 0.0, Criterion::absolute});
        }
        entry["ays_vs_w0_max_log_shift"] = knot_shift(ays_w, ays_w0);
        gauss[label(w)] = entry;
    }
    r.values["gaussian_classes"] = gauss;
    if (ays_high)
        r.line(fmt::format("AYS knots at w = {} vs the unconditional model's: largest |log ratio| {:.3f}", scales.back(),
                           knot_shift(*ays_high, ays_w0)));

}

// Ring of 8, class 0: class-conditional NLL of guided samples, paired over schedules (same starts).
void ring_class0(const GuidedStudy& g) {
    const Config& cfg = g.cfg;
    const RunContext& ctx = g.ctx;
    const double lo = g.lo, hi = g.hi;
    const auto& scales = g.scales;
    const auto& solvers = g.solvers;
    const Schedule& edm = g.edm;
    Result& r = g.r;
    auto ays_of = [&](const Data& data, const Denoiser& denoiser) { return g.ays_of(data, denoiser); };
    DatasetOptions dopt = read_dataset_options(cfg, ctx);
    const auto ring = make_dataset("ring8", dopt);
    const Data& rdata = *ring.data;
    const Data& rclass = rdata.given(0);
    const auto n = static_cast<std::size_t>(cfg.integer("eval_particles"));
    std::vector<double> starts(n * 2);
    sample_marginal(rclass, hi, starts, n, streams::evaluation_seed(cfg.seed(), 0), ctx.threads);
    const Schedule ring_w0 = ays_of(rdata, rdata.denoiser());
    const Conditioned ring_cond(rdata.denoiser(), 0);
    const Schedule ring_w1 = ays_of(rclass, ring_cond);
    SolverOptions ode_options;
    ode_options.rtol = ode_options.atol = 1e-7;
    const auto ode_solver = make_solver("dopri5", ode_options);
    auto nll = [&](const Denoiser& den, const Solver& solver, const Schedule& s) {
        auto x = starts;
        sample(den, solver, s, x, n, {0, ctx.threads, 512});
        std::vector<double> lp(n);
        rclass.log_density_rows(x, n, lo, lp);
        for (double& v : lp) v = -v;
        return lp;
    };
    r.line(fmt::format("ring of 8, class 0: mean -log p(x | y = 0) at sigma_min over {} samples (paired SE vs edm)", n));
    r.line(fmt::format("{:>6} {:<10} {:>9} {:>18} {:>18} {:>18} {:>9}", "w", "solver", "edm", "ays(w) - edm", "ays(w=0) - edm",
                       "ays(w=1) - edm", "ODE"));
    nlohmann::json ringj;
    for (double w : scales) {
        const GuidedDenoiser guided(rdata.denoiser(), {w});
        const Conditioned view(guided, 0);
        const Schedule ays_w = ays_of(rclass, view);
        const Schedules schedules{{"edm", edm}, {"ays", ays_w}, {"ays_w0", ring_w0}, {"ays_w1", ring_w1}};
        nlohmann::json entry;
        for (const auto& [name, s] : schedules) entry["sigmas"][name] = s.sigmas();
        Moments ode_m;
        for (double v : nll(view, *ode_solver, edm)) ode_m.add(v);
        entry["ode_nll"] = {{"mean", ode_m.mean()}, {"se", ode_m.se_mean()}};
        for (const auto& solver_name : solvers) {
            const auto solver = make_solver(solver_name);
            const auto base = nll(view, *solver, edm);
            Moments bm;
            for (double v : base) bm.add(v);
            std::string row = fmt::format("{:>6} {:<10} {:>9.4f}", w, solver_name, bm.mean());
            entry["nll"][solver_name]["edm"] = {{"mean", bm.mean()}, {"se", bm.se_mean()}};
            for (std::size_t k = 1; k < schedules.size(); ++k) {
                const auto v = nll(view, *solver, schedules[k].second);
                Moments m, diff;
                for (std::size_t i = 0; i < n; ++i) {
                    m.add(v[i]);
                    diff.add(v[i] - base[i]);
                }
                entry["nll"][solver_name][schedules[k].first] = {
                    {"mean", m.mean()}, {"se", m.se_mean()}, {"minus_edm", diff.mean()}, {"minus_edm_se", diff.se_mean()}};
                row += fmt::format(" {:>+9.4f}±{:<7.4f}", diff.mean(), diff.se_mean());
            }
            r.line(row + fmt::format(" {:>9.4f}", ode_m.mean()));
        }
        ringj[label(w)] = entry;
    }
    r.values["ring8_class0"] = ringj;

}

Result run(const Config& cfg, const RunContext& ctx) {
    refuse_device_without_model(cfg, "ays-guided");
    Result r;
    const GuidedStudy g(cfg, ctx, r);
    // Gaussian classes: exact laws, each scale's computed (and a degenerate one refused) before any work.
    const auto toy = GaussianClasses::two_classes(static_cast<std::size_t>(cfg.integer("dim")));
    const GaussianLaw start = marginal(toy.given(0), g.hi);  // p_{sigma_max}(x | y = 0)
    const auto ode_laws = guided_ode_laws(g, toy.given(null_label), toy.given(0), start);
    // The model file (if any) is loaded and checked first: refused before the exact settings' work.
    const auto images = prepare_guided_images(cfg, ctx, r);
    gaussian_classes(g, toy, ode_laws, start);
    ring_class0(g);
    // Fashion-MNIST with a class-conditional model (when one is given): guided samplers judged against
    // the guided ODE's own output.
    guided_images(images, cfg, ctx, g.scales, g.solvers, r);
    return r;
}

}  // namespace

Experiment ays_guided_experiment() {
    return {"ays-guided",
            "AYS under classifier-free guidance: schedules per guidance scale, exact KL on Gaussian classes, "
            "class-conditional NLL on the ring of 8, per-class sliced W2 on Fashion-MNIST with a model file",
            Schema{seed_key(),
                   {"scales", KeyType::number_list, "guidance scales w (diffusers' guidance_scale, ComfyUI's cfg)", -100, 100},
                   {"dim", KeyType::integer, "dimension of the Gaussian classes", 1, 1e5},
                   {"image_samples", KeyType::integer, "Fashion-MNIST: KLUB Monte Carlo samples per interval evaluation of AYS", 2, 1e7},
                   {"image_validation_samples", KeyType::integer, "Fashion-MNIST: KLUB samples of AYS's early-stopping estimate", 2, 1e7},
                   {"image_classes", KeyType::integer_list, "Fashion-MNIST: the classes judged (0..9)", 0, 9},
                   {"image_particles", KeyType::integer, "Fashion-MNIST: samples per class and seed", 2, 1e6},
                   {"image_seeds", KeyType::integer,
                    "Fashion-MNIST: seeds (the SE is over them; at most 62: streams::class_evaluation_seed)", 2, 62},
                   {"image_teacher_steps", KeyType::integer, "Fashion-MNIST: Heun steps of the guided ODE's reference output", 2, 1e5}} +
                shared_keys({"solvers", "process", "schedule", "schedule_file", "rho", "steps", "sigma_min", "sigma_max", "subdivisions", "refine", "samples",
                             "validation_samples", "golden_iterations", "max_sweeps", "patience", "eval_particles",
                             "projections", "subset", "directory", "model", "parametrisation", "model_process", "model_time",
                             "model_sigma_data", "preflight", "model_labels", "model_null_label", "model_shape",
                             "model_embedding", "device"}),
            run};
}

}  // namespace ayslab::app
