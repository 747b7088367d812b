// model-check: the model pre-flight alone (docs/model-check.md): a user's model's denoising error per
// sigma band against the trivial denoisers and the data's own denoiser, its excess over the latter (the
// network's share of the sampling error), and every reading of the model (parametrisation x time input
// x process) ranked. Without a model it checks the data's own denoiser, as a reference (excess 0).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "ayslab/error.hpp"
#include "ayslab/denoisers/network.hpp"
#include "ayslab/evaluation/preflight.hpp"
#include "keys.hpp"
#include "model_preflight.hpp"

namespace ayslab::app {

namespace {

Result run(const Config& cfg, const RunContext& ctx) {
    refuse_device_without_model(cfg, "model-check");
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
        const auto ranking = rank_conventions(*ds.data, network, convention, o, ctx.threads);
        nlohmann::json table = nlohmann::json::array();
        const RankingOptions drawn;
        r.line(fmt::format("readings of the model, best first (geometric-mean error / the best trivial denoiser's; the "
                           "best {} on {} draws per band, the others screened on {}; {} model evaluations):",
                           std::count_if(ranking.readings.begin(), ranking.readings.end(), [](const auto& x) { return x.final; }),
                           drawn.final_draws, drawn.screen_draws, ranking.evaluations));
        const RankedConvention* mine = nullptr;
        for (const auto& x : ranking.readings)
            if (x.yours && x.final) mine = &x;
        for (std::size_t k = 0; k < ranking.readings.size(); ++k) {
            const auto& x = ranking.readings[k];
            table.push_back({{"convention", convention_keys(x.convention)},
                             {"error_ratio", std::isfinite(x.score) ? nlohmann::json(std::exp(x.score)) : nlohmann::json(nullptr)},
                             {"bands_worse_than_trivial", x.report.bad_bands},
                             {"finalist", x.final},
                             {"yours", x.yours}});
            nlohmann::json ratios = nlohmann::json::array();
            for (const auto& b : x.report.bands) ratios.push_back(b.reached ? nlohmann::json(b.ratio()) : nlohmann::json(nullptr));
            table.back()["band_ratios"] = ratios;  // error / the best trivial denoiser's, per band (null: not reached)
            // Paired against the user's reading on the finalists' draws: > 0, the user's fits worse.
            if (x.final && !x.yours && mine) {
                const auto c = compare_readings(mine->report, x.report);
                table.back()["yours_minus_this"] = {{"excess", c.excess}, {"se", c.se}, {"relative", c.relative},
                                                    {"bands", c.bands}};
            }
            if (k < 5)
                r.line(fmt::format("  {:.3g}  {} ({} bands worse than trivial){}", std::exp(x.score),
                                   convention_keys(x.convention), x.report.bad_bands, x.yours ? "  <- yours" : ""));
        }
        r.values["readings"] = table;
        r.values["model_evaluations"] = report.evaluations + ranking.evaluations;
        const auto verdict = judge_preflight(report, ranking, convention, file);
        r.values["verdict"] = verdict.refused ? verdict.message : "accepted";
        r.line(verdict.refused ? "verdict: refused: " + verdict.message : "verdict: the pre-flight accepts this reading");
        r.check({fmt::format("the pre-flight accepts the model's reading (no band worse than {}x trivial, no reading "
                             "fits better beyond noise)",
                             preflight_band_limit),
                 0.0, verdict.refused ? 1.0 : 0.0, 0.0, Criterion::at_most});
        return r;
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
