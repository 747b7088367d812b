// likelihood (MATH.md §7): log p_{sigma_min}(x) by integrating the probability-flow ODE with its
// divergence (adaptive Dormand-Prince), with the exact divergence and with Hutchinson's estimator
// (Rademacher and Gaussian probes, mean and SE over probes), against the exact log-density.
#include "ayslab/likelihood.hpp"

#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "ayslab/data/datasets.hpp"
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

Result run(const Config& cfg, const RunContext& ctx) {
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
    r.line(fmt::format("{:<13} {:>3} {:>13} {:>13} {:>10} {:>6} {:>9} | {:>22} {:>22}", "data", "x", "exact",
                       "ODE exact div", "error", "NFE", "bits/dim", "Hutchinson Rademacher",
                       "Hutchinson Gaussian"));
    for (const auto& name : cfg.strings("datasets")) {
        const auto data = make_data(name);
        const std::size_t d = data->dim();
        // The ODE runs on the data's exact denoiser or on a model file (its divergence by autograd);
        // the exact log-density stays the data's.
        const auto model = read_model_denoiser(cfg, *data, ctx);
        const Denoiser& denoiser = model ? *model : data->denoiser();
        std::vector<double> xs(points * d);
        data->sample(points, cfg.seed(), 0, xs);
        for (std::size_t i = 0; i < points; ++i) {
            const std::span<const double> x(xs.data() + i * d, d);
            const double exact = data->log_density(x, base.sigma_min);
            const auto ode = probability_flow_log_likelihood(denoiser, x, base, data.get());
            LikelihoodOptions gauss_prior = base;
            gauss_prior.exact_prior = false;
            const auto with_gaussian_prior = probability_flow_log_likelihood(denoiser, x, gauss_prior);
            Moments hr(exact), hg(exact);
            for (std::size_t p = 0; p < probes; ++p) {
                LikelihoodOptions h = base;
                h.probe = i * probes + p;
                h.divergence = Divergence::hutchinson_rademacher;
                hr.add(probability_flow_log_likelihood(denoiser, x, h, data.get()).log_p);
                h.divergence = Divergence::hutchinson_gaussian;
                hg.add(probability_flow_log_likelihood(denoiser, x, h, data.get()).log_p);
            }
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
                                      {"hutchinson_gaussian", {{"mean", hg.mean()}, {"se", hg.se_mean()}}}});
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
                  "checkerboard"}},
                {"evaluated_points", KeyType::integer, "data points evaluated per data set", 1, 10000},
                shared_key("sigma_min"),  // the sigma of the evaluated density
                shared_key("sigma_max"),  // the end of the ODE
                {"rtol", KeyType::number, "Dormand-Prince relative tolerance", 1e-14, 1},
                {"atol", KeyType::number, "Dormand-Prince absolute tolerance", 1e-14, 1},
                {"probes", KeyType::integer, "Hutchinson probes per point", 2, 100000},
                {"tolerance_nats", KeyType::number, "check: |ODE - exact| in nats", 0, 1e3},
                shared_key("n_se"),
                shared_key("denoiser"),
                shared_key("model"),
                shared_key("parametrisation"),
                shared_key("model_process"),
                shared_key("model_time"),
                shared_key("model_sigma_data"),
            },
            run};
}

}  // namespace ayslab::app
