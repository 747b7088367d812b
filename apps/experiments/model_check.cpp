// model-check: the model pre-flight alone (docs/model-check.md): a user's model's denoising error per
// sigma band against the trivial denoisers and the data's own denoiser, its excess over the latter (the
// network's share of the sampling error), and every reading of the model (parametrisation x time input
// x process) ranked. Without a model it checks the data's own denoiser, as a reference (excess 0).
#include <fmt/format.h>

#include <cmath>

#include "ayslab/error.hpp"
#include "ayslab/network.hpp"
#include "ayslab/preflight.hpp"
#include "keys.hpp"
#include "model_preflight.hpp"

namespace ayslab::app {

namespace {

Result run(const Config& cfg, const RunContext& ctx) {
    Result r;
    const Dataset ds = make_dataset(cfg.string("data"), read_dataset_options(cfg, ctx));
    const PreflightOptions o = preflight_options(cfg);
    const std::string file = cfg.string("model");
    std::shared_ptr<const ModelFunction> network;
    std::unique_ptr<Denoiser> model;
    const ModelConvention convention = read_model_convention(cfg);
    if (!file.empty()) {
        network = read_model_function(cfg, ds.data->dim());
        model = std::make_unique<NetworkDenoiser>(network, convention, ctx.threads);
    }
    const Denoiser& checked = model ? *model : ds.data->denoiser();
    const auto report = preflight(*ds.data, checked, o);
    r.line(fmt::format("{} on {} (d = {})", file.empty() ? "the data's own denoiser (no model given)"
                                                         : fmt::format("model '{}' with {}", file, convention_keys(convention)),
                       ds.name, ds.data->dim()));
    report_preflight(report, convention, &r);
    nlohmann::json excess = nlohmann::json::array();
    r.line(fmt::format("  {:>22} {:>14}", "sigma band", "excess over the data's D"));
    for (const auto& b : report.bands) {
        excess.push_back(b.model - b.data);
        r.line(fmt::format("  {:>22} {:>14.4g}", fmt::format("[{:.4g}, {:.4g}]", b.lo, b.hi), b.model - b.data));
    }
    r.values["excess_over_data_denoiser"] = excess;
    r.values["score"] = report.score();
    if (network) {
        const auto ranked = rank_conventions(*ds.data, network, convention, o, ctx.threads);
        nlohmann::json table = nlohmann::json::array();
        r.line("readings of the model, best first (geometric-mean error / the best trivial denoiser's, 16 draws per band):");
        for (std::size_t k = 0; k < ranked.size(); ++k) {
            table.push_back({{"convention", convention_keys(ranked[k].convention)},
                             {"error_ratio", std::exp(ranked[k].score)},
                             {"bands_worse_than_trivial", ranked[k].report.bad_bands}});
            if (k < 5)
                r.line(fmt::format("  {:.3g}  {} ({} bands worse than trivial)", std::exp(ranked[k].score),
                                   convention_keys(ranked[k].convention), ranked[k].report.bad_bands));
        }
        r.values["readings"] = table;
    }
    r.check({"bands where the model is worse than a trivial denoiser: at most half", 0.5 * static_cast<double>(report.bands.size()),
             static_cast<double>(report.bad_bands), 0.0, Criterion::at_most});
    return r;
}

}  // namespace

Experiment model_check_experiment() {
    return {"model-check",
            "the model pre-flight alone: a model's denoising error per sigma band against the trivial denoisers and the "
            "data's own, and every reading of it ranked",
            Schema{seed_key()} + shared_keys({"data", "file", "held_out_file", "held_out_fraction", "precision",
                                              "sigma_min", "sigma_max", "model", "parametrisation", "model_process",
                                              "model_time", "model_sigma_data", "model_labels", "model_null_label", "model_shape", "model_embedding", "device"}) +
                Schema{{"sigma_bands", KeyType::integer, "log-uniform sigma bands", 1, 1000},
                       {"band_draws", KeyType::integer, "(x0, eps) draws per band", 1, 1e7}},
            run};
}

}  // namespace ayslab::app
