// likelihood (MATH.md §7): log p_{sigma_min}(x) by integrating the probability-flow ODE with its
// divergence (adaptive Dormand-Prince), with the exact divergence and with Hutchinson's estimator
// (Rademacher and Gaussian probes, mean and SE over probes), against the exact log-density.
#include "ayslab/evaluation/likelihood.hpp"

#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "ayslab/data/datasets.hpp"
#include "ayslab/data/io.hpp"
#include "ayslab/error.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/stats.hpp"
#include "keys.hpp"
#include "gaussian_spectrum.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {

std::unique_ptr<Data> make_data(const std::string& name) {
    if (name == "gaussian-1d") return std::make_unique<DiagonalGaussian>(gaussian_spectrum(1, 0.5, 0.0));
    if (name == "gaussian-64d") return std::make_unique<DiagonalGaussian>(gaussian_spectrum(64, 0.5, 1.5));
    return std::move(make_dataset(name, {}).data);
}

// Images (Fashion-MNIST test images), as the seeds' likelihood code (score_sde likelihood.py): pixels k
// uniformly dequantised to x = (k + u)/128 - 1 in [-1, 1] (bins 1/128 wide), log p by the ODE with
// Hutchinson's divergence (an exact trace would take d = 784 backward passes per step), and
// bits/dim = -log p / (d ln 2) + 7 (log2 128 = 7: the discrete likelihood of the 8-bit image).
void image_likelihood(const Config& cfg, const RunContext& ctx, const LikelihoodOptions& base, std::size_t points,
                      std::size_t probes, Result& r) {
    DatasetOptions o;
    o.held_out = points;
    o.threads = ctx.threads;
    const Dataset ds = make_dataset("fashion-mnist", o);
    const std::size_t d = ds.data->dim();
    const auto model = read_model_denoiser(cfg, *ds.data, ctx, &r);
    const Denoiser& denoiser = model ? *model : ds.data->denoiser();
    r.line(fmt::format("{:<13} {:>3} {:>26} {:>26} {:>8}", "data", "x", "bits/dim (Rademacher)",
                       "bits/dim (Gaussian)", "NFE"));
    for (std::size_t i = 0; i < points; ++i) {
        std::vector<double> x(d), u(d);
        fill_uniform({cfg.seed(), static_cast<std::uint64_t>(Stream::metrics), i, 3}, u);
        for (std::size_t j = 0; j < d; ++j) {
            const double k = std::round((ds.held_out.values[i * d + j] + 1.0) * 127.5);
            x[j] = (k + u[j]) / 128.0 - 1.0;
        }
        Moments hr, hg;
        LikelihoodOptions h = base;
        h.probe = i * probes;
        h.probes = probes;
        h.divergence = Divergence::hutchinson_rademacher;
        const auto a = probability_flow_log_likelihood(denoiser, x, h, ds.data.get());
        h.divergence = Divergence::hutchinson_gaussian;
        const auto b = probability_flow_log_likelihood(denoiser, x, h, ds.data.get());
        for (double v : a.log_p_probes) hr.add(bits_per_dim(v, d) + 7.0);
        for (double v : b.log_p_probes) hg.add(bits_per_dim(v, d) + 7.0);
        const std::size_t nfe = a.nfe + b.nfe;
        const std::string at = fmt::format("fashion-mnist x{}", i);
        // Both probe laws estimate the same log p: their means agree within n_se combined SE.
        r.check_se(at + ": bits/dim, Rademacher vs Gaussian probes", hg.mean(), hr.mean(),
                   std::hypot(hr.se_mean(), hg.se_mean()), cfg.number("n_se"),
                   cfg.number("tolerance_nats") / (static_cast<double>(d) * std::log(2.0)));
        r.values["fashion-mnist"].push_back({{"bits_per_dim_rademacher", {{"mean", hr.mean()}, {"se", hr.se_mean()}}},
                                             {"bits_per_dim_gaussian", {{"mean", hg.mean()}, {"se", hg.se_mean()}}},
                                             {"nfe", nfe}});
        r.line(fmt::format("{:<13} {:>3} {:>26} {:>26} {:>8}", "fashion-mnist", i,
                           fmt::format("{:.4f} ± {:.2g}", hr.mean(), hr.se_mean()),
                           fmt::format("{:.4f} ± {:.2g}", hg.mean(), hg.se_mean()), nfe));
    }
}

Result run(const Config& cfg, const RunContext& ctx) {
    refuse_device_without_model(cfg, "likelihood");
    Result r;
    LikelihoodOptions base;
    base.sigma_min = cfg.number("sigma_min");
    base.sigma_max = cfg.number("sigma_max");
    base.rtol = cfg.number("rtol");
    base.atol = cfg.number("atol");
    base.seed = cfg.seed();
    const auto points = static_cast<std::size_t>(cfg.integer("evaluated_points"));
    const auto probes = static_cast<std::size_t>(cfg.integer("probes"));
    r.line(fmt::format("log p_sigma_min(x) by the probability-flow ODE (rtol {}, atol {}), sigma in [{}, {}], "
                       "denoiser {}",
                       base.rtol, base.atol, base.sigma_min, base.sigma_max,
                       cfg.string("denoiser") == "exact" ? "exact" : cfg.string("model")));
    // The data: `data` (with `file`, `points`, as every tool takes it) when given, else the `datasets`
    // list; the points scored: the rows of `score_file` when given, else `evaluated_points` draws.
    std::vector<std::string> names = cfg.strings("datasets");
    const std::string single = cfg.string("data");
    if (!single.empty()) names = {single};
    if (cfg.integer("label") != -1 && single.empty())
        throw InputError("label needs one labelled data set: data=ring8 or data=mixture");
    PointSet scored;
    if (!cfg.string("score_file").empty()) scored = load_points(cfg.string("score_file"));
    bool header_printed = false;
    for (const auto& name : names) {
        if (name == "fashion-mnist") {
            if (scored.n > 0) throw InputError("score_file applies to point data, not to fashion-mnist images");
            image_likelihood(cfg, ctx, base, points, probes, r);
            continue;
        }
        if (!header_printed)
            r.line(fmt::format("{:<13} {:>3} {:>13} {:>13} {:>10} {:>6} {:>9} | {:>22} {:>22}", "data", "x", "exact",
                               "ODE exact div", "error", "NFE", "bits/dim", "Hutchinson Rademacher",
                               "Hutchinson Gaussian"));
        header_printed = true;
        const auto data = single.empty() ? make_data(name) : make_dataset(name, read_dataset_options(cfg, ctx)).data;
        const std::size_t d = data->dim();
        if (scored.n > 0 && scored.d != d)
            throw InputError(fmt::format("score_file '{}' has {} columns; the data '{}' has d = {}",
                                         cfg.string("score_file"), scored.d, name, d));
        // The ODE runs on the data's exact denoiser or on a model file (its divergence by autograd);
        // the exact log-density stays the data's.
        const auto model = read_model_denoiser(cfg, *data, ctx, &r);
        // With a label: log p(x | y), the ODE on the class-conditional denoiser, the class's draws and
        // exact density (guidance has no density to compare with: refused).
        const Conditioning cond = read_conditioning(cfg, *data, model ? *model : data->denoiser());
        if (cond.guided && cond.guided->options().scale != 1.0)
            throw InputError("likelihood takes a label (log p(x|y)) but not guidance: guidance=1");
        const Data& target = *cond.data;
        const Denoiser& denoiser = *cond.denoiser;
        const std::size_t count = scored.n > 0 ? scored.n : points;
        std::vector<double> xs(count * d);
        if (scored.n > 0)
            xs = scored.values;
        else
            target.sample(points, cfg.seed(), 0, xs);
        for (std::size_t i = 0; i < count; ++i) {
            if (ctx.progress && model) fmt::print(stderr, "[likelihood] {}: point {} of {}\n", name, i + 1, count);
            const std::span<const double> x(xs.data() + i * d, d);
            const double exact = target.log_density(x, base.sigma_min);
            const auto ode = probability_flow_log_likelihood(denoiser, x, base, &target);
            LikelihoodOptions gauss_prior = base;
            gauss_prior.exact_prior = false;
            const auto with_gaussian_prior = probability_flow_log_likelihood(denoiser, x, gauss_prior);
            // All probes along one trajectory (independent given the path, which no probe changes).
            Moments hr(exact), hg(exact);
            LikelihoodOptions h = base;
            h.probe = i * probes;
            h.probes = probes;
            h.divergence = Divergence::hutchinson_rademacher;
            for (double v : probability_flow_log_likelihood(denoiser, x, h, &target).log_p_probes) hr.add(v);
            h.divergence = Divergence::hutchinson_gaussian;
            for (double v : probability_flow_log_likelihood(denoiser, x, h, &target).log_p_probes) hg.add(v);
            const std::string at = fmt::format("{} x{}", name, i);
            const double floor = cfg.number("tolerance_nats");
            if (!model) {
                r.check({at + ": ODE log-likelihood (exact divergence) vs exact log-density", exact, ode.log_p, floor,
                         Criterion::absolute});
                // Rademacher probes are exact for a diagonal Jacobian (SE = 0): allow the ODE's own accuracy.
                r.check_se(at + ": Hutchinson (Rademacher) vs exact", exact, hr.mean(), hr.se_mean(),
                           cfg.number("n_se"), floor);
                r.check_se(at + ": Hutchinson (Gaussian) vs exact", exact, hg.mean(), hg.se_mean(),
                           cfg.number("n_se"), floor);
                // Power: the agreement above means something only if the SE is small next to what the
                // estimator estimates (a 20% trace bias must show at 4 SE with the default 5%).
                r.check({at + ": Hutchinson (Gaussian) SE / |divergence integral| at most max_relative_se",
                         cfg.number("max_relative_se"), hg.se_mean() / std::abs(ode.divergence_integral), 0.0,
                         Criterion::at_most});
            } else {
                // A model's log-likelihood differs from the data's by the model's own error (reported);
                // what is checked is the estimator: Hutchinson against the model's exact-divergence ODE.
                r.check_se(at + ": Hutchinson (Rademacher) vs the model's exact-divergence ODE", ode.log_p,
                           hr.mean(), hr.se_mean(), cfg.number("n_se"), floor);
                r.check_se(at + ": Hutchinson (Gaussian) vs the model's exact-divergence ODE", ode.log_p,
                           hg.mean(), hg.se_mean(), cfg.number("n_se"), floor);
            }
            r.values[name].push_back({{"x", std::vector<double>(x.begin(), x.end())},
                                      {"exact_log_p", exact},
                                      {"ode_log_p", ode.log_p},
                                      {"error", ode.log_p - exact},
                                      {"nfe", ode.nfe},
                                      {"bits_per_dim", bits_per_dim(ode.log_p, d)},
                                      {"ode_log_p_gaussian_prior", with_gaussian_prior.log_p},
                                      {"hutchinson_rademacher", {{"mean", hr.mean()}, {"se", hr.se_mean()}}},
                                      {"hutchinson_gaussian", {{"mean", hg.mean()}, {"se", hg.se_mean()}}},
                                      {"divergence_integral", ode.divergence_integral},
                                      {"probes", probes}});
            r.line(
                fmt::format("{:<13} {:>3} {:>13.6f} {:>13.6f} {:>10.2e} {:>6} {:>9.4f} | {:>13.5f} ± "
                            "{:<6.2g} {:>13.5f} ± "
                            "{:<6.2g}",
                            name, i, exact, ode.log_p, ode.log_p - exact, ode.nfe, bits_per_dim(ode.log_p, d),
                            hr.mean(), hr.se_mean(), hg.mean(), hg.se_mean()));
        }
    }
    return r;
}

}  // namespace

Experiment likelihood_experiment() {
    return {"likelihood",
            "probability-flow ODE log-likelihood, exact and Hutchinson divergence, vs the exact density "
            "(MATH §7)",
            {
                seed_key(),
                {"datasets",
                 KeyType::string_list,
                 "data",
                 {},
                 {},
                 {"gaussian-1d", "gaussian-64d", "gaussian", "mixture", "ring8", "moons", "swiss-roll",
                  "checkerboard", "fashion-mnist"}},
                {"data", KeyType::string, "one data set with its keys (file, points), instead of datasets; empty: datasets",
                 {}, {}, [] {
                     auto names = dataset_names();
                     names.push_back("");
                     return names;
                 }()},
                shared_key("file"),
                shared_key("points"),
                {"score_file", KeyType::path,
                 "points to score (.csv, .txt, .npy; n x d of the data), instead of evaluated_points draws; empty: draws"},
                {"evaluated_points", KeyType::integer, "data points evaluated per data set", 1, 10000},
                shared_key("sigma_min"),  // the sigma of the evaluated density
                shared_key("sigma_max"),  // the end of the ODE
                {"rtol", KeyType::number, "Dormand-Prince relative tolerance", 1e-14, 1},
                {"atol", KeyType::number, "Dormand-Prince absolute tolerance", 1e-14, 1},
                {"probes", KeyType::integer, "Hutchinson probes per point (all along one trajectory)", 2, 20000},
                {"max_relative_se", KeyType::number,
                 "check: Gaussian-probe standard error at most this share of |divergence integral|", 0, 1},
                {"tolerance_nats", KeyType::number, "check: |ODE - exact| in nats", 0, 1e3},
                shared_key("n_se"),
                shared_key("denoiser"),
                shared_key("model"),
                shared_key("parametrisation"),
                shared_key("model_process"),
                shared_key("model_time"),
                shared_key("model_sigma_data"), shared_key("preflight"), shared_key("model_labels"),
                shared_key("model_null_label"), shared_key("model_shape"), shared_key("model_embedding"), shared_key("device"), shared_key("label"), shared_key("guidance"), shared_key("labels"),
                shared_key("guidance_interval"),
            },
            run};
}

}  // namespace ayslab::app
